using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Integrations;

/// <summary>
/// HubSpot as its API reference documents it, on loopback (<see cref="FakeProvider"/>): the v1 token endpoint
/// (refresh_token grant, client_secret_post), the CRM v3 objects API (search with filterGroups, sorts, limit ≤ 200,
/// <c>after</c> offsets and the 10,000-result cap; create; update), calls and notes with associations, and its error
/// shapes (<c>{"status":"error","message","correlationId","category"}</c>; 401 EXPIRED_AUTHENTICATION; 429 with
/// policyName and the X-HubSpot-RateLimit-* headers). Each installation gets its own <see cref="Portal"/> (HubSpot
/// account), told apart by its tokens, so tests sharing the fake do not see each other's records.
/// </summary>
public sealed class HubSpotFake : IAsyncDisposable
{
    public const string ClientId = "hubspot-client-id", ClientSecret = "hubspot-client-secret";
    private static readonly string[] Objects = ["contacts", "deals", "calls", "notes"];

    public FakeProvider Provider { get; }
    /// <summary>HubSpot's clock (modification times); a test sets the node's, so both sides' times compare.</summary>
    public TimeProvider Clock { get; set; } = TimeProvider.System;
    public string BaseUrl => Provider.BaseUrl;
    private readonly ConcurrentDictionary<string, Portal> _byAccess = new(), _byRefresh = new();
    private int _portals;

    private HubSpotFake(FakeProvider provider) => Provider = provider;

    public sealed class Portal(int number, Func<DateTimeOffset> now)
    {
        /// <summary>Authorized calls, including those refused with 429.</summary>
        public int Calls => Volatile.Read(ref _calls);
        private int _calls;
        internal void Called() => Interlocked.Increment(ref _calls);
        public int Number { get; } = number;
        public string RefreshToken { get; } = $"rt-{number}";
        public string AccessToken { get; set; } = $"at-{number}-1";
        public int Refreshes => Volatile.Read(ref _refreshes);
        private int _refreshes;
        internal int Refreshed() => Interlocked.Increment(ref _refreshes);
        public ConcurrentDictionary<string, HubSpotObject> Contacts { get; } = new();
        public ConcurrentDictionary<string, HubSpotObject> Deals { get; } = new();
        public ConcurrentQueue<JsonObject> Engagements { get; } = new();
        /// <summary>Answer this many more calls with 429 (TEN_SECONDLY_ROLLING).</summary>
        public int RateLimitNext { get => Volatile.Read(ref _rateLimitNext); set => Volatile.Write(ref _rateLimitNext, value); }
        private int _rateLimitNext;
        internal bool TakeRateLimit() => Interlocked.Decrement(ref _rateLimitNext) >= 0;
        /// <summary>When set, this search (the n-th of an object type, from 1) waits until it is released (a page held while a node is killed).</summary>
        public (string Type, int Search)? Hold { get; set; }
        private readonly ConcurrentDictionary<string, int> _searchesByType = new();
        internal int CountSearch(string type) => _searchesByType.AddOrUpdate(type, 1, (_, n) => n + 1);
        public TaskCompletionSource HeldReached { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public ConcurrentQueue<JsonObject> Searches { get; } = new();
        public ConcurrentQueue<(string Method, string Id, JsonObject Properties)> Writes { get; } = new();
        private long _ids = 100;
        private long _clock = now().ToUnixTimeMilliseconds();

        public ConcurrentDictionary<string, HubSpotObject> Store(string type) => type == "deals" ? Deals : Contacts;

        /// <summary>HubSpot's modification times: milliseconds, never going back, and later than every earlier write.</summary>
        public DateTimeOffset Tick()
        {
            lock (_tickLock)
            {
                _clock = Math.Max(_clock + 1, now().ToUnixTimeMilliseconds());
                return DateTimeOffset.FromUnixTimeMilliseconds(_clock);
            }
        }

        private readonly Lock _tickLock = new();
        private int _version;
        private (int Version, HubSpotObject[] Sorted)? _sortedContacts, _sortedDeals;

        /// <summary>The type's objects by modification time then id, cached until the next write (a 100,000-contact bench pages through one sort).</summary>
        public HubSpotObject[] Sorted(string type)
        {
            var version = Volatile.Read(ref _version);
            var cached = type == "deals" ? _sortedDeals : _sortedContacts;
            if (cached is { } c && c.Version == version) return c.Sorted;
            var sorted = Store(type).Values.OrderBy(o => o.ModifiedAt).ThenBy(o => long.Parse(o.Id, CultureInfo.InvariantCulture)).ToArray();
            if (type == "deals") _sortedDeals = (version, sorted); else _sortedContacts = (version, sorted);
            return sorted;
        }

        public HubSpotObject Add(string type, Dictionary<string, string?> properties, DateTimeOffset? at = null)
        {
            var id = Interlocked.Increment(ref _ids).ToString(CultureInfo.InvariantCulture);
            var o = new HubSpotObject(id, new Dictionary<string, string?>(properties), at ?? Tick());
            Store(type)[id] = o;
            Interlocked.Increment(ref _version);
            return o;
        }

        public void Change(string type, string id, Dictionary<string, string?> properties)
        {
            var o = Store(type)[id];
            lock (o) { foreach (var (k, v) in properties) o.Properties[k] = v; o.ModifiedAt = Tick(); }
            Interlocked.Increment(ref _version);
        }

        /// <summary>Seeds <paramref name="count"/> contacts with modification times one millisecond apart.</summary>
        public void SeedContacts(int count, string prefix = "Seed")
        {
            var start = Tick();
            for (var i = 0; i < count; i++)
                Add("contacts", new() { ["firstname"] = $"{prefix}{i}", ["lastname"] = "Person", ["email"] = $"{prefix.ToLowerInvariant()}{i}@example.com",
                    ["phone"] = "+1 (415) 555-" + (1000 + i % 9000).ToString(CultureInfo.InvariantCulture), ["company"] = "Acme", ["jobtitle"] = null }, start.AddMilliseconds(i));
            lock (_tickLock) _clock = Math.Max(_clock, start.AddMilliseconds(count).ToUnixTimeMilliseconds());
        }
    }

    public sealed class HubSpotObject(string id, Dictionary<string, string?> properties, DateTimeOffset modifiedAt)
    {
        public string Id { get; } = id;
        public Dictionary<string, string?> Properties { get; } = properties;
        public DateTimeOffset ModifiedAt { get; set; } = modifiedAt;
        public DateTimeOffset CreatedAt { get; } = modifiedAt;
    }

    public Portal NewPortal()
    {
        var portal = new Portal(Interlocked.Increment(ref _portals), () => Clock.GetUtcNow());
        _byAccess[portal.AccessToken] = portal;
        _byRefresh[portal.RefreshToken] = portal;
        return portal;
    }

    /// <summary>The portal's current access token now answers 401 EXPIRED_AUTHENTICATION.</summary>
    public void Expire(Portal portal) => _byAccess.TryRemove(portal.AccessToken, out _);

    public static async Task<HubSpotFake> StartAsync()
    {
        HubSpotFake? self = null;
        var provider = await FakeProvider.StartAsync((app, fake) =>
        {
            app.MapPost("/oauth/v1/token", (Delegate)((HttpContext http) => self!.Token(http, fake)));
            app.MapGet("/crm/v3/objects/contacts", (Delegate)((HttpContext http) => self!.Authorized(http, fake, (portal, _) =>
            {
                fake.Require(http.Request.Query["limit"] == "1", "the test call should read one contact");
                return Task.FromResult(Results.Json(new { results = portal.Contacts.Values.Take(1).Select(o => Json(o, "contacts")).ToArray() }));
            })));
            app.MapPost("/crm/v3/objects/{type}/search", (string type, HttpContext http) => self!.Authorized(http, fake, (portal, body) => SearchAsync(portal, type, body!, fake)));
            app.MapPost("/crm/v3/objects/{type}", (string type, HttpContext http) => self!.Authorized(http, fake, (portal, body) => Task.FromResult(Create(portal, type, body!, fake))));
            app.MapMethods("/crm/v3/objects/{type}/{id}", ["PATCH"], (string type, string id, HttpContext http) =>
                self!.Authorized(http, fake, (portal, body) => Task.FromResult(Update(portal, type, id, body!, fake))));
        });
        self = new HubSpotFake(provider);
        return self;
    }

    private static IResult Error(int status, string message, string category, string? policy = null)
    {
        var body = new JsonObject { ["status"] = "error", ["message"] = message, ["correlationId"] = Guid.NewGuid().ToString(), ["category"] = category };
        if (policy is not null) { body["errorType"] = "RATE_LIMIT"; body["policyName"] = policy; }
        return Results.Json(body, statusCode: status);
    }

    private async Task<IResult> Token(HttpContext http, FakeProvider fake)
    {
        var form = await http.Request.ReadFormAsync();
        fake.Require(http.Request.ContentType?.StartsWith("application/x-www-form-urlencoded", StringComparison.Ordinal) == true, "the token request must be form-encoded");
        fake.Require(form["client_id"] == ClientId && form["client_secret"] == ClientSecret, "HubSpot takes the client credentials in the form (client_secret_post)");
        if (form["grant_type"] != "refresh_token")
        {
            fake.Violation($"unexpected grant_type {form["grant_type"]}");
            return Results.Json(new { status = "BAD_GRANT_TYPE", message = "unsupported grant", correlationId = Guid.NewGuid() }, statusCode: 400);
        }
        if (!_byRefresh.TryGetValue(form["refresh_token"].ToString(), out var portal))
            return Results.Json(new { status = "BAD_REFRESH_TOKEN", message = "missing or unknown refresh token", correlationId = Guid.NewGuid() }, statusCode: 400);
        var n = portal.Refreshed();
        portal.AccessToken = $"at-{portal.Number}-{n + 1}";
        _byAccess[portal.AccessToken] = portal;
        return Results.Json(new { token_type = "bearer", refresh_token = portal.RefreshToken, access_token = portal.AccessToken, expires_in = 1800 });
    }

    private async Task<IResult> Authorized(HttpContext http, FakeProvider fake, Func<Portal, JsonObject?, Task<IResult>> handle)
    {
        var auth = http.Request.Headers.Authorization.ToString();
        if (!auth.StartsWith("Bearer ", StringComparison.Ordinal) || !_byAccess.TryGetValue(auth["Bearer ".Length..], out var portal))
            return Error(401, "Authentication credentials not found. This API supports OAuth 2.0 authentication.", "EXPIRED_AUTHENTICATION");
        portal.Called();
        if (portal.RateLimitNext > 0 && portal.TakeRateLimit())
        {
            http.Response.Headers["X-HubSpot-RateLimit-Interval-Milliseconds"] = "10000";
            http.Response.Headers["X-HubSpot-RateLimit-Max"] = "100";
            http.Response.Headers["X-HubSpot-RateLimit-Remaining"] = "0";
            return Error(429, "You have reached your ten_secondly_rolling limit.", "RATE_LIMITS", "TEN_SECONDLY_ROLLING");
        }
        JsonObject? body = null;
        if (http.Request.Method is "POST" or "PATCH")
        {
            fake.Require(http.Request.ContentType?.StartsWith("application/json", StringComparison.Ordinal) == true, "HubSpot takes JSON bodies");
            try { body = (await JsonNode.ParseAsync(http.Request.Body)) as JsonObject; }
            catch (System.Text.Json.JsonException) { }
            if (body is null) return Error(400, "Invalid input JSON", "VALIDATION_ERROR");
        }
        return await handle(portal, body);
    }

    private static JsonObject Json(HubSpotObject o, string type, IEnumerable<string>? properties = null)
    {
        var props = new JsonObject();
        lock (o)
        {
            foreach (var name in properties ?? o.Properties.Keys) props[name] = o.Properties.GetValueOrDefault(name);
            props["hs_object_id"] = o.Id;
            props[type == "contacts" ? "lastmodifieddate" : "hs_lastmodifieddate"] = o.ModifiedAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
            props[type == "contacts" ? "createdate" : "createdate"] = o.CreatedAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
        }
        return new JsonObject
        {
            ["id"] = o.Id, ["properties"] = props, ["createdAt"] = o.CreatedAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture),
            ["updatedAt"] = o.ModifiedAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture), ["archived"] = false,
        };
    }

    private static async Task<IResult> SearchAsync(Portal portal, string type, JsonObject body, FakeProvider fake)
    {
        if (!fake.Require(type is "contacts" or "deals", $"search of {type}")) return Error(404, "Unknown object type", "OBJECT_NOT_FOUND");
        portal.Searches.Enqueue(body);
        var modified = type == "contacts" ? "lastmodifieddate" : "hs_lastmodifieddate";
        var limit = body["limit"]?.GetValue<int>() ?? 10;
        fake.Require(limit is > 0 and <= 200, "search limit must be 1 to 200");
        var after = body["after"]?.GetValue<string>();
        var offset = after is null ? 0 : int.Parse(after, CultureInfo.InvariantCulture);
        if (offset + limit > 10_000)
            return Error(400, "The search API returns at most 10,000 results.", "VALIDATION_ERROR");
        var sorts = body["sorts"] as JsonArray;
        fake.Require(sorts is { Count: 1 } && sorts[0]?["propertyName"]?.GetValue<string>() == modified && sorts[0]?["direction"]?.GetValue<string>() == "ASCENDING",
            $"an incremental search sorts by {modified} ascending");
        long? since = null;
        if (body["filterGroups"] is JsonArray groups)
        {
            var filter = groups.Single()!["filters"]!.AsArray().Single()!;
            fake.Require(filter["propertyName"]?.GetValue<string>() == modified && filter["operator"]?.GetValue<string>() == "GTE", "filter on the modification date, GTE");
            since = long.Parse(filter["value"]!.GetValue<string>(), CultureInfo.InvariantCulture);
        }
        var properties = (body["properties"] as JsonArray)?.Select(p => p!.GetValue<string>()).ToList();
        fake.Require(properties is { Count: > 0 }, "name the properties to read (HubSpot answers only a default few otherwise)");
        if (portal.CountSearch(type) is var nth && portal.Hold is { } hold && hold.Type == type && hold.Search == nth)
        {
            portal.HeldReached.TrySetResult();
            await portal.Release.Task;
        }
        var sorted = portal.Sorted(type);
        var first = since is null ? 0 : LowerBound(sorted, since.Value);
        var matching = new ArraySegment<HubSpotObject>(sorted, first, sorted.Length - first);
        var page = matching.Skip(offset).Take(limit).Select(o => Json(o, type, properties)).ToArray();
        var result = new JsonObject { ["total"] = matching.Count, ["results"] = new JsonArray(page) };
        if (offset + limit < matching.Count)
            result["paging"] = new JsonObject { ["next"] = new JsonObject { ["after"] = (offset + limit).ToString(CultureInfo.InvariantCulture), ["link"] = "?after=" + (offset + limit) } };
        return Results.Json(result);
    }

    private static int LowerBound(HubSpotObject[] sorted, long since)
    {
        var (lo, hi) = (0, sorted.Length);
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            if (sorted[mid].ModifiedAt.ToUnixTimeMilliseconds() < since) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    private static IResult Create(Portal portal, string type, JsonObject body, FakeProvider fake)
    {
        if (!fake.Require(Objects.Contains(type), $"create of {type}")) return Error(404, "Unknown object type", "OBJECT_NOT_FOUND");
        if (body["properties"] is not JsonObject properties) { fake.Violation("a create needs properties"); return Error(400, "properties are required", "VALIDATION_ERROR"); }
        var values = properties.ToDictionary(p => p.Key, p => p.Value?.GetValue<string>());
        if (type is "calls" or "notes")
        {
            fake.Require(values.ContainsKey("hs_timestamp"), "engagements need hs_timestamp");
            if (type == "notes") fake.Require(values.ContainsKey("hs_note_body"), "a note needs hs_note_body");
            var association = body["associations"]?[0];
            fake.Require(association?["to"]?["id"] is not null && association["types"]?[0]?["associationCategory"]?.GetValue<string>() == "HUBSPOT_DEFINED"
                && association["types"]?[0]?["associationTypeId"]?.GetValue<int>() == (type == "calls" ? 194 : 202), $"a {type[..^1]} is associated with its contact");
            var stored = body.DeepClone().AsObject();
            stored["type"] = type;
            portal.Engagements.Enqueue(stored);
            return Results.Json(new JsonObject { ["id"] = "9" + portal.Engagements.Count, ["properties"] = properties.DeepClone() }, statusCode: 201);
        }
        if (type == "deals")
        {
            fake.Require(values.ContainsKey("dealname") && values.ContainsKey("dealstage") && values.ContainsKey("pipeline"), "a deal needs dealname, dealstage and pipeline");
            if (body["associations"] is JsonArray links)
                fake.Require(links[0]?["types"]?[0]?["associationTypeId"]?.GetValue<int>() == 3, "deal → contact is association type 3");
        }
        var o = portal.Add(type, values);
        portal.Writes.Enqueue(("POST", o.Id, properties));
        return Results.Json(Json(o, type), statusCode: 201);
    }

    private static IResult Update(Portal portal, string type, string id, JsonObject body, FakeProvider fake)
    {
        if (!fake.Require(type is "contacts" or "deals", $"update of {type}")) return Error(404, "Unknown object type", "OBJECT_NOT_FOUND");
        if (!portal.Store(type).ContainsKey(id)) return Error(404, "resource not found", "OBJECT_NOT_FOUND");
        if (body["properties"] is not JsonObject properties) { fake.Violation("an update needs properties"); return Error(400, "properties are required", "VALIDATION_ERROR"); }
        portal.Change(type, id, properties.ToDictionary(p => p.Key, p => p.Value?.GetValue<string>()));
        portal.Writes.Enqueue(("PATCH", id, properties));
        return Results.Json(Json(portal.Store(type)[id], type));
    }

    public ValueTask DisposeAsync() => Provider.DisposeAsync();
}

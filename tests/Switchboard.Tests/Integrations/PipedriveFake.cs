using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Integrations;

/// <summary>
/// Pipedrive as its documentation describes it, on loopback, one <see cref="Company"/> per installation told apart by
/// its tokens:
/// - the token endpoint (https://developers.pipedrive.com/docs/api/v1/Oauth): HTTP Basic client authentication,
///   refresh_token grant, answers with api_domain and a rotated refresh token;
/// - API v1 (https://developers.pipedrive.com/docs/api/v1) under /api/v1 with a bearer token, else 401
///   <c>{"success": false, "error": "unauthorized access", "errorCode": 401, "error_info"}</c>; 429 with the
///   x-ratelimit-* headers (https://pipedrive.readme.io/docs/core-api-concepts-rate-limiting);
/// - start/limit paging with <c>additional_data.pagination</c> (limit at most 500,
///   https://pipedrive.readme.io/docs/core-api-concepts-pagination); deals listed by <c>status</c> and <c>sort</c>;
///   /recents with <c>since_timestamp</c> (YYYY-MM-DD HH:MM:SS) and <c>items</c>;
/// - deals (title required), persons (name required; email and phone as arrays of {value, primary, label}), search
///   (term of at least 2 characters; exact_match), notes (content and a deal), activities (a known type), webhooks
///   (subscription_url, event_action, event_object, http_auth_user/password) (https://developers.pipedrive.com/docs/api/v1/Webhooks).
/// </summary>
public sealed class PipedriveFake : IAsyncDisposable
{
    public const string ClientId = "pipedrive-client-id", ClientSecret = "pipedrive-client-secret";
    private static readonly HashSet<string> ActivityTypes = ["call", "meeting", "task", "deadline", "email", "lunch"];

    public FakeProvider Provider { get; }
    public TimeProvider Clock { get; set; } = TimeProvider.System;
    public string BaseUrl => Provider.BaseUrl;
    public string TokenUrl => BaseUrl + "/oauth/token";
    private readonly ConcurrentDictionary<string, Company> _byAccess = new(), _byRefresh = new();
    private int _companies;

    private PipedriveFake(FakeProvider provider) => Provider = provider;

    public sealed class Company(int number, Func<DateTimeOffset> now)
    {
        public int Number { get; } = number;
        public string RefreshToken { get; set; } = $"pd-rt-{number}-1";
        public string AccessToken { get; set; } = $"pd-at-{number}-1";
        public int Refreshes => Volatile.Read(ref _refreshes);
        private int _refreshes;
        internal int Refreshed() => Interlocked.Increment(ref _refreshes);
        public int RateLimitNext { get; set; }
        public int PageSize { get; set; } = 500;
        public ConcurrentDictionary<long, JsonObject> Deals { get; } = new();
        public ConcurrentDictionary<long, JsonObject> Persons { get; } = new();
        public ConcurrentDictionary<long, JsonObject> Notes { get; } = new();
        public ConcurrentDictionary<long, JsonObject> Activities { get; } = new();
        public ConcurrentDictionary<long, JsonObject> Webhooks { get; } = new();
        public ConcurrentQueue<(string Method, long Id, JsonObject Body)> DealWrites { get; } = new();
        private long _ids = 100;
        public long NextId() => Interlocked.Increment(ref _ids);
        public string Now() => now().UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

        public JsonObject AddDeal(string title, decimal value, string status = "open", long stageId = 1)
        {
            var id = NextId();
            var deal = new JsonObject
            {
                ["id"] = id, ["title"] = title, ["value"] = value, ["currency"] = "EUR", ["status"] = status, ["stage_id"] = stageId, ["pipeline_id"] = 1,
                ["expected_close_date"] = null, ["person_id"] = null, ["add_time"] = Now(), ["update_time"] = Now(),
            };
            Deals[id] = deal;
            return deal;
        }

        public void ChangeDeal(long id, JsonObject changes)
        {
            var deal = Deals[id];
            lock (deal) { foreach (var (k, v) in changes) deal[k] = v?.DeepClone(); deal["update_time"] = Now(); }
        }
    }

    public Company NewCompany()
    {
        var company = new Company(Interlocked.Increment(ref _companies), () => Clock.GetUtcNow());
        _byAccess[company.AccessToken] = company;
        _byRefresh[company.RefreshToken] = company;
        return company;
    }

    public void Expire(Company company) => _byAccess.TryRemove(company.AccessToken, out _);

    public static async Task<PipedriveFake> StartAsync()
    {
        PipedriveFake? self = null;
        var provider = await FakeProvider.StartAsync((app, fake) =>
        {
            app.MapPost("/oauth/token", (Delegate)((HttpContext http) => self!.TokenAsync(http, fake)));
            app.MapMethods("/api/v1/{**path}", ["GET", "POST", "PUT", "DELETE"], (Delegate)((HttpContext http, string path) => self!.ApiAsync(http, path, fake)));
        });
        self = new PipedriveFake(provider);
        return self;
    }

    private static IResult Error(int status, string error, string? info = null) =>
        Results.Json(new JsonObject { ["success"] = false, ["error"] = error, ["errorCode"] = status, ["error_info"] = info ?? "Please check developers.pipedrive.com for more information about Pipedrive API." },
            statusCode: status);

    private static IResult Ok(JsonNode? data, JsonObject? additional = null, int status = 200) =>
        Results.Json(new JsonObject { ["success"] = true, ["data"] = data, ["additional_data"] = additional }, statusCode: status);

    private async Task<IResult> TokenAsync(HttpContext http, FakeProvider fake)
    {
        var expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{ClientId}:{ClientSecret}"));
        fake.Require(http.Request.Headers.Authorization.ToString() == expected, "Pipedrive's token endpoint takes the client in HTTP Basic");
        var form = await http.Request.ReadFormAsync();
        fake.Require(!form.ContainsKey("client_secret"), "the client secret goes in the Basic header, not the form");
        if (form["grant_type"] != "refresh_token") { fake.Violation($"unexpected grant_type {form["grant_type"]}"); return Results.Json(new { error = "unsupported_grant_type" }, statusCode: 400); }
        if (!_byRefresh.TryRemove(form["refresh_token"].ToString(), out var company))
            return Results.Json(new { error = "invalid_grant", error_description = "Invalid grant: refresh token is invalid" }, statusCode: 400);
        var n = company.Refreshed() + 1;
        company.AccessToken = $"pd-at-{company.Number}-{n}";
        company.RefreshToken = $"pd-rt-{company.Number}-{n}";
        _byAccess[company.AccessToken] = company;
        _byRefresh[company.RefreshToken] = company;
        return Results.Json(new
        {
            access_token = company.AccessToken, token_type = "Bearer", refresh_token = company.RefreshToken, scope = "base,deals:full,contacts:full,activities:full,webhooks:full",
            expires_in = 3599, api_domain = $"https://company{company.Number}.pipedrive.com",
        });
    }

    private static int Int(HttpContext http, string name, int fallback) => int.TryParse(http.Request.Query[name], NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : fallback;

    private static IResult Page(Company company, HttpContext http, FakeProvider fake, IReadOnlyList<JsonNode> items, JsonObject? extra = null)
    {
        var start = Int(http, "start", 0);
        var limit = Int(http, "limit", 100);
        fake.Require(limit is > 0 and <= 500, "limit is 1 to 500");
        var page = items.Skip(start).Take(Math.Min(limit, company.PageSize)).Select(i => i.DeepClone()).ToList();
        var more = start + page.Count < items.Count;
        var pagination = new JsonObject { ["start"] = start, ["limit"] = limit, ["more_items_in_collection"] = more };
        if (more) pagination["next_start"] = start + page.Count;
        var additional = extra ?? [];
        additional["pagination"] = pagination;
        return Ok(new JsonArray([.. page]), additional);
    }

    private async Task<IResult> ApiAsync(HttpContext http, string path, FakeProvider fake)
    {
        var auth = http.Request.Headers.Authorization.ToString();
        if (!auth.StartsWith("Bearer ", StringComparison.Ordinal) || !_byAccess.TryGetValue(auth["Bearer ".Length..], out var company))
            return Error(401, "unauthorized access");
        if (company.RateLimitNext > 0)
        {
            company.RateLimitNext--;
            http.Response.Headers["x-ratelimit-limit"] = "80";
            http.Response.Headers["x-ratelimit-remaining"] = "0";
            http.Response.Headers["x-ratelimit-reset"] = "2";
            return Error(429, "Request over limit");
        }
        JsonObject? body = null;
        if (http.Request.Method is "POST" or "PUT")
        {
            fake.Require(http.Request.ContentType?.StartsWith("application/json", StringComparison.Ordinal) == true, "Pipedrive takes JSON bodies here");
            body = await JsonNode.ParseAsync(http.Request.Body) as JsonObject;
            if (body is null) return Error(400, "Invalid JSON");
        }
        var method = http.Request.Method;
        var segments = path.Split('/');
        var q = http.Request.Query;
        switch (method, segments)
        {
            case ("GET", ["users", "me"]):
                return Ok(new JsonObject { ["id"] = 9000 + company.Number, ["name"] = "Owner", ["company_domain"] = $"company{company.Number}" });
            case ("GET", ["deals"]):
                fake.Require(q["status"] == "all_not_deleted", "the full listing asks for every deal not deleted");
                fake.Require(q["sort"] == "id ASC", "a sort field and direction, e.g. id ASC");
                return Page(company, http, fake, company.Deals.Values.Where(d => d["status"]!.GetValue<string>() != "deleted").OrderBy(d => d["id"]!.GetValue<long>()).ToList());
            case ("GET", ["recents"]):
            {
                fake.Require(q["items"] == "deal", "items names the object type");
                if (!DateTime.TryParseExact(q["since_timestamp"], "yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var since))
                {
                    fake.Violation("since_timestamp is YYYY-MM-DD HH:MM:SS");
                    return Error(400, "since_timestamp is not valid");
                }
                var changed = company.Deals.Values.Select(d => { lock (d) return d.DeepClone().AsObject(); })
                    .Where(d => DateTime.Parse(d["update_time"]!.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal) >= since)
                    .OrderBy(d => d["update_time"]!.GetValue<string>(), StringComparer.Ordinal)
                    .Select(d => (JsonNode)new JsonObject { ["item"] = "deal", ["id"] = d["id"]!.GetValue<long>(), ["data"] = d }).ToList();
                return Page(company, http, fake, changed, new JsonObject { ["since_timestamp"] = q["since_timestamp"].ToString(), ["last_timestamp_on_page"] = company.Now() });
            }
            case ("GET", ["deals", "search"]) or ("GET", ["persons", "search"]):
            {
                var term = q["term"].ToString();
                fake.Require(term.Length >= 2, "a search term has at least 2 characters");
                fake.Require(q["exact_match"] == "true", "the look-up is an exact match");
                var persons = segments[0] == "persons";
                fake.Require(q["fields"] == (persons ? "email" : "title"), "search the one field that identifies the record");
                var hits = persons
                    ? company.Persons.Values.Where(p => (p["email"] as JsonArray ?? []).Any(e => string.Equals(e?["value"]?.GetValue<string>(), term, StringComparison.OrdinalIgnoreCase)))
                    : company.Deals.Values.Where(d => d["title"]!.GetValue<string>() == term && d["status"]!.GetValue<string>() != "deleted"
                        && (q["person_id"].Count == 0 || d["person_id"]?.ToString() == q["person_id"].ToString()));
                return Ok(new JsonObject { ["items"] = new JsonArray([.. hits.Take(Int(http, "limit", 100)).Select(h => (JsonNode)new JsonObject { ["result_score"] = 1.0, ["item"] = new JsonObject { ["id"] = h["id"]!.GetValue<long>() } })]) });
            }
            case ("POST", ["deals"]):
            {
                if (body!["title"] is not JsonValue t || t.GetValue<string>().Length == 0) return Error(400, "Deal title must be given.");
                if (!CheckDeal(company, body, fake, out var invalid)) return invalid!;
                var deal = company.AddDeal(t.GetValue<string>(), 0);
                company.ChangeDeal(deal["id"]!.GetValue<long>(), body);
                company.DealWrites.Enqueue(("POST", deal["id"]!.GetValue<long>(), body));
                return Ok(deal.DeepClone(), status: 201);
            }
            case ("PUT", ["deals", var id]):
            {
                if (!long.TryParse(id, out var dealId) || !company.Deals.TryGetValue(dealId, out var deal)) return Error(404, "Deal not found");
                if (!CheckDeal(company, body!, fake, out var invalid)) return invalid!;
                company.ChangeDeal(dealId, body!);
                company.DealWrites.Enqueue(("PUT", dealId, body!));
                lock (deal) return Ok(deal.DeepClone());
            }
            case ("POST", ["persons"]):
            {
                if (body!["name"] is not JsonValue) return Error(400, "Name must be given.");
                fake.Require(body["email"] is null or JsonArray, "email is an array of {value, primary, label}");
                var person = body.DeepClone().AsObject();
                person["id"] = company.NextId();
                company.Persons[person["id"]!.GetValue<long>()] = person;
                return Ok(person.DeepClone(), status: 201);
            }
            case ("GET", ["notes"]):
                fake.Require(long.TryParse(q["deal_id"], out _), "notes listed by deal_id");
                return Page(company, http, fake, company.Notes.Values.Where(n => n["deal_id"]?.ToString() == q["deal_id"].ToString()).ToList());
            case ("POST", ["notes"]):
            {
                if (body!["content"] is not JsonValue) return Error(400, "Note content must be given.");
                if (!company.Deals.ContainsKey(body["deal_id"]?.GetValue<long>() ?? 0)) return Error(400, "Note must be attached to a deal, person, organization or lead.");
                var note = body.DeepClone().AsObject();
                note["id"] = company.NextId();
                note["add_time"] = company.Now();
                company.Notes[note["id"]!.GetValue<long>()] = note;
                return Ok(note.DeepClone(), status: 201);
            }
            case ("GET", ["deals", var id, "activities"]):
                return Page(company, http, fake, company.Activities.Values.Where(a => a["deal_id"]?.ToString() == id).ToList());
            case ("POST", ["activities"]):
            {
                if (!ActivityTypes.Contains(body!["type"]?.GetValue<string>() ?? "")) return Error(400, "Invalid activity type");
                fake.Require(body["due_date"] is null || DateOnly.TryParseExact(body["due_date"]!.GetValue<string>(), "yyyy-MM-dd", out _), "due_date is YYYY-MM-DD");
                fake.Require(body["done"] is JsonValue d && d.GetValue<int>() is 0 or 1, "done is 0 or 1");
                var activity = body.DeepClone().AsObject();
                activity["id"] = company.NextId();
                company.Activities[activity["id"]!.GetValue<long>()] = activity;
                return Ok(activity.DeepClone(), status: 201);
            }
            case ("GET", ["webhooks"]):
                return Ok(new JsonArray([.. company.Webhooks.Values.Select(w => (JsonNode)w.DeepClone())]));
            case ("POST", ["webhooks"]):
            {
                var url = body!["subscription_url"]?.GetValue<string>();
                if (url is null || !url.StartsWith("https://", StringComparison.Ordinal)) return Error(400, "subscription_url must be a valid, publicly accessible https URL");
                fake.Require(body["event_action"]?.GetValue<string>() is "*" or "added" or "updated" or "merged" or "deleted", "event_action is added, updated, merged, deleted or *");
                fake.Require(body["event_object"]?.GetValue<string>() is "deal" or "person" or "activity" or "note" or "*", "event_object names an object");
                fake.Require(body["http_auth_user"] is JsonValue && body["http_auth_password"] is JsonValue, "the delivery is authenticated by HTTP Basic");
                var hook = body.DeepClone().AsObject();
                hook["id"] = company.NextId();
                hook["is_active"] = 1;
                hook["type"] = "general";
                company.Webhooks[hook["id"]!.GetValue<long>()] = hook;
                return Ok(hook.DeepClone(), status: 201);
            }
            case ("DELETE", ["webhooks", var id]):
                return long.TryParse(id, out var hookId) && company.Webhooks.TryRemove(hookId, out _) ? Ok(new JsonObject { ["id"] = hookId }) : Error(404, "Webhook not found");
            default:
                fake.Violation($"{method} /api/v1/{path} is not an endpoint this fake knows");
                return Error(404, "Unknown method .");
        }
    }

    private static bool CheckDeal(Company company, JsonObject body, FakeProvider fake, out IResult? invalid)
    {
        invalid = null;
        if (body["status"] is JsonValue s && s.GetValue<string>() is not ("open" or "won" or "lost" or "deleted")) { invalid = Error(400, "Invalid status"); return false; }
        if (body["stage_id"] is JsonValue st && st.GetValue<long>() is < 1 or > 5) { invalid = Error(400, "Stage not found"); return false; }
        fake.Require(body["currency"] is null || body["currency"]!.GetValue<string>().Length == 3, "currency is a 3-letter code");
        fake.Require(body["expected_close_date"] is null || DateOnly.TryParseExact(body["expected_close_date"]!.GetValue<string>(), "yyyy-MM-dd", out _), "expected_close_date is YYYY-MM-DD");
        return true;
    }

    public ValueTask DisposeAsync() => Provider.DisposeAsync();
}

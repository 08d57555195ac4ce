using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Integrations;

/// <summary>
/// Google's OAuth endpoints (token, revoke) and the Calendar API v3 on loopback, on <see cref="FakeProvider"/>. It checks
/// what Google documents and answers Google's shapes:
/// - every Calendar call carries <c>Authorization: Bearer</c>; an unknown, expired or revoked token is 401
///   <c>authError</c> (https://developers.google.com/calendar/api/guides/errors#401_invalid_credentials);
/// - <c>events.list</c> (https://developers.google.com/calendar/api/v3/reference/events/list): <c>maxResults</c> ≤ 2500;
///   a <c>syncToken</c> never beside <c>iCalUID, orderBy, privateExtendedProperty, q, sharedExtendedProperty, timeMin,
///   timeMax, updatedMin</c> nor <c>showDeleted=false</c>; the other parameters the same as the full sync's; a
///   <c>pageToken</c> only with the parameters of the listing it continues; <c>nextSyncToken</c> on the last page only;
///   a stale sync token 410 <c>fullSyncRequired</c> (https://developers.google.com/calendar/api/guides/sync);
///   deleted events in an incremental answer as Google sends them (id and status only);
/// - <c>events.insert</c>/<c>patch</c>: <c>start</c> and <c>end</c> each a <c>date</c> or an RFC 3339 <c>dateTime</c>
///   (with an offset, or a <c>timeZone</c>) of the same kind, end after start, attendees with emails, at most 5
///   reminder overrides of popup/email within four weeks, client ids in base32hex (409 <c>duplicate</c> when taken),
///   <c>sendUpdates</c> one of all/externalOnly/none; Switchboard always titles its events (summary);
/// - token endpoint: <c>grant_type=refresh_token</c> with the client's id and secret in the form (client_secret_post);
///   Google issues no new refresh token on refresh; revoke: a form with <c>token</c>, 400 <c>invalid_token</c> for one it
///   does not know.
/// </summary>
public sealed partial class GoogleCalendarFake : IAsyncDisposable
{
    public const string ClientId = "switchboard-test.apps.googleusercontent.com", ClientSecret = "GOCSPX-test-secret";
    public const string EventsScope = "https://www.googleapis.com/auth/calendar.events";
    private static readonly string[] NotWithSyncToken = ["iCalUID", "orderBy", "privateExtendedProperty", "q", "sharedExtendedProperty", "timeMin", "timeMax", "updatedMin"];

    private sealed class Grant
    {
        public required string RefreshToken { get; init; }
        public required string Scope { get; init; }
        public string AccessToken { get; set; } = "";
        public bool AccessExpired { get; set; }
        public bool Revoked { get; set; }
    }

    private sealed class Calendar
    {
        public readonly Lock Gate = new();
        public readonly Dictionary<string, (JsonObject Event, long Seq)> Events = new(StringComparer.Ordinal);
        public long Seq;
    }

    private sealed record Listing(string CalendarId, string Parameters, string? SyncToken, List<JsonObject> Items, int Offset, long Seq);

    private readonly ConcurrentDictionary<string, Grant> _byAccess = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Grant> _byRefresh = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Calendar> _calendars = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Listing> _pages = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (string CalendarId, long Seq, string Parameters)> _syncTokens = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<(int Status, string Reason, string Domain, string Message, string? RetryAfter)> _failures = new();
    private long _clockTicks = new DateTime(2026, 12, 1, 0, 0, 0, DateTimeKind.Utc).Ticks;

    public FakeProvider Provider { get; private set; } = null!;
    /// <summary>How many items a page holds at most, whatever <c>maxResults</c> asks (Google may answer fewer).</summary>
    public int ServerPageSize { get; set; } = 250;
    private int _refreshes;
    /// <summary>How many refresh grants the token endpoint answered.</summary>
    public int Refreshes => Volatile.Read(ref _refreshes);
    public string ApiBaseUrl => Provider.BaseUrl + "/calendar/v3";
    public string TokenUrl => Provider.BaseUrl + "/token";
    public string RevokeUrl => Provider.BaseUrl + "/revoke";

    public static async Task<GoogleCalendarFake> StartAsync()
    {
        var google = new GoogleCalendarFake();
        google.Provider = await FakeProvider.StartAsync((app, fake) =>
        {
            app.MapPost("/token", (Func<HttpContext, Task<IResult>>)google.TokenAsync);
            app.MapPost("/revoke", (Func<HttpContext, Task<IResult>>)google.RevokeAsync);
            app.MapGet("/calendar/v3/users/me/calendarList", (HttpContext http) => google.Authorized(http, out var grant) is { } refused ? refused
                : grant!.Scope.Contains("calendar.readonly", StringComparison.Ordinal) ? Json(200, new JsonObject { ["kind"] = "calendar#calendarList", ["items"] = new JsonArray() })
                : Error(403, "insufficientPermissions", "Request had insufficient authentication scopes.", status: "PERMISSION_DENIED"));
            app.MapGet("/calendar/v3/calendars/{calendarId}/events", google.List);
            app.MapPost("/calendar/v3/calendars/{calendarId}/events", google.InsertAsync);
            app.MapGet("/calendar/v3/calendars/{calendarId}/events/{eventId}", google.Get);
            app.MapMethods("/calendar/v3/calendars/{calendarId}/events/{eventId}", ["PATCH"], google.PatchAsync);
            app.MapDelete("/calendar/v3/calendars/{calendarId}/events/{eventId}", google.Delete);
        });
        return google;
    }

    /// <summary>A user's consent as the code exchange would leave it: an access token and a refresh token.</summary>
    public (string AccessToken, string RefreshToken) IssueGrant(string scope = EventsScope)
    {
        var grant = new Grant { RefreshToken = "1//" + Guid.NewGuid().ToString("N"), Scope = scope };
        _byRefresh[grant.RefreshToken] = grant;
        NewAccessToken(grant);
        return (grant.AccessToken, grant.RefreshToken);
    }

    /// <summary>Google stops taking this access token (expired early, as after a password change): the next call is 401.</summary>
    public void ExpireAccessToken(string accessToken) => _byAccess[accessToken].AccessExpired = true;

    public bool IsRevoked(string refreshToken) => _byRefresh[refreshToken].Revoked;

    /// <summary>Google will answer the next Calendar API call (after its auth check) with this error.</summary>
    public void FailNext(int status, string reason, string message, string domain = "usageLimits", string? retryAfter = null) =>
        _failures.Enqueue((status, reason, domain, message, retryAfter));

    /// <summary>Every sync token issued so far is refused from now on (expired, or the calendar's sharing changed).</summary>
    public void InvalidateSyncTokens() => _syncTokens.Clear();

    /// <summary>Adds or replaces an event, as a user would in Google Calendar's own UI; a change for incremental syncs.</summary>
    public JsonObject Put(string calendarId, JsonObject ev)
    {
        var calendar = _calendars.GetOrAdd(calendarId, _ => new Calendar());
        lock (calendar.Gate)
        {
            var id = ev["id"]?.GetValue<string>() ?? NewId();
            var now = Now();
            var stored = ev.DeepClone().AsObject();
            stored["kind"] = "calendar#event";
            stored["id"] = id;
            stored["etag"] = $"\"{now.Ticks}\"";
            stored["status"] ??= "confirmed";
            stored["htmlLink"] = $"https://www.google.com/calendar/event?eid={id}";
            stored["created"] = calendar.Events.TryGetValue(id, out var old) ? old.Event["created"]?.DeepClone() : Rfc3339(now);
            stored["updated"] = Rfc3339(now);
            calendar.Events[id] = (stored, ++calendar.Seq);
            return stored.DeepClone().AsObject();
        }
    }

    public void Cancel(string calendarId, string eventId)
    {
        var ev = Event(calendarId, eventId)!;
        ev["status"] = "cancelled";
        Put(calendarId, ev);
    }

    public JsonObject? Event(string calendarId, string eventId)
    {
        if (!_calendars.TryGetValue(calendarId, out var calendar)) return null;
        lock (calendar.Gate) return calendar.Events.TryGetValue(eventId, out var e) ? e.Event.DeepClone().AsObject() : null;
    }

    public IReadOnlyList<JsonObject> Events(string calendarId)
    {
        if (!_calendars.TryGetValue(calendarId, out var calendar)) return [];
        lock (calendar.Gate) return calendar.Events.Values.OrderBy(e => e.Seq).Select(e => e.Event.DeepClone().AsObject()).ToList();
    }

    private async Task<IResult> TokenAsync(HttpContext http)
    {
        if (!Provider.Require(http.Request.HasFormContentType, "the token endpoint takes application/x-www-form-urlencoded"))
            return Json(400, new JsonObject { ["error"] = "invalid_request" });
        var form = await http.Request.ReadFormAsync();
        Provider.Require(form["client_id"] == ClientId && form["client_secret"] == ClientSecret, "client_secret_post: client_id and client_secret in the form");
        if (!Provider.Require(form["grant_type"] == "refresh_token", $"grant_type '{form["grant_type"]}' (only refresh_token is exercised here)"))
            return Json(400, new JsonObject { ["error"] = "unsupported_grant_type" });
        if (!_byRefresh.TryGetValue(form["refresh_token"].ToString(), out var grant) || grant.Revoked)
            return Json(400, new JsonObject { ["error"] = "invalid_grant", ["error_description"] = "Token has been expired or revoked." });
        Interlocked.Increment(ref _refreshes);
        NewAccessToken(grant);
        // Google answers a refresh without a new refresh token: the one the client holds stays valid.
        return Json(200, new JsonObject { ["access_token"] = grant.AccessToken, ["expires_in"] = 3599, ["scope"] = grant.Scope, ["token_type"] = "Bearer" });
    }

    private async Task<IResult> RevokeAsync(HttpContext http)
    {
        if (!Provider.Require(http.Request.HasFormContentType, "the revocation endpoint takes application/x-www-form-urlencoded"))
            return Json(400, new JsonObject { ["error"] = "invalid_request" });
        var token = (await http.Request.ReadFormAsync())["token"].ToString();
        Provider.Require(token.Length > 0, "revoke needs the token parameter");
        var grant = _byRefresh.GetValueOrDefault(token) ?? _byAccess.GetValueOrDefault(token);
        if (grant is null || grant.Revoked) return Json(400, new JsonObject { ["error"] = "invalid_token", ["error_description"] = "Token expired or revoked" });
        grant.Revoked = true; // a refresh token takes the access tokens issued from it along
        return Json(200, new JsonObject());
    }

    private IResult List(HttpContext http, string calendarId)
    {
        if (Authorized(http, out _) is { } refused) return refused;
        if (InjectedFailure(http) is { } failure) return failure;
        var query = http.Request.Query;
        var syncToken = query["syncToken"].FirstOrDefault();
        var pageToken = query["pageToken"].FirstOrDefault();
        if (query["maxResults"].FirstOrDefault() is { } max && !Provider.Require(int.TryParse(max, out var m) && m is >= 1 and <= 2500, $"maxResults={max} (1 to 2500)"))
            return Error(400, "invalid", "Invalid value for maxResults", domain: "global");
        var pageSize = Math.Min(int.TryParse(query["maxResults"], out var asked) ? asked : 250, ServerPageSize);
        // What must stay the same across a listing's pages and from a full sync to the incremental ones.
        var parameters = $"singleEvents={query["singleEvents"]}&showDeleted={query["showDeleted"]}&maxResults={query["maxResults"]}";
        if (syncToken is not null)
        {
            foreach (var name in NotWithSyncToken)
                if (!Provider.Require(!query.ContainsKey(name), $"{name} cannot be combined with syncToken"))
                    return Error(400, "invalid", $"{name} is not supported together with syncToken", domain: "global");
            if (!Provider.Require(query["showDeleted"] != "false", "showDeleted=false cannot be combined with syncToken"))
                return Error(400, "invalid", "showDeleted=false is not allowed with syncToken", domain: "global");
        }

        Listing listing;
        if (pageToken is not null)
        {
            if (!Provider.Require(_pages.TryGetValue(pageToken, out listing!), "a pageToken this calendar did not issue"))
                return Error(400, "invalid", "Invalid page token value", domain: "global");
            Provider.Require(listing.CalendarId == calendarId && listing.Parameters == parameters && listing.SyncToken == syncToken,
                "a pageToken must come with the same parameters (and syncToken) as the request that got it");
        }
        else
        {
            var calendar = _calendars.GetOrAdd(calendarId, _ => new Calendar());
            lock (calendar.Gate)
            {
                if (syncToken is not null)
                {
                    if (!_syncTokens.TryGetValue(syncToken, out var token) || token.CalendarId != calendarId)
                        return Error(410, "fullSyncRequired", "Sync token is no longer valid, a full sync is required.", domain: "calendar");
                    Provider.Require(token.Parameters == parameters, $"an incremental sync with other parameters than its full sync ({parameters} vs {token.Parameters})");
                    // Deleted events are always in an incremental answer, as Google sends them: little more than the id.
                    var changed = calendar.Events.Values.Where(e => e.Seq > token.Seq).OrderBy(e => e.Seq)
                        .Select(e => e.Event["status"]?.GetValue<string>() == "cancelled"
                            ? new JsonObject { ["kind"] = "calendar#event", ["etag"] = e.Event["etag"]!.DeepClone(), ["id"] = e.Event["id"]!.DeepClone(), ["status"] = "cancelled" }
                            : e.Event.DeepClone().AsObject()).ToList();
                    listing = new Listing(calendarId, parameters, syncToken, changed, 0, calendar.Seq);
                }
                else
                {
                    var showDeleted = query["showDeleted"] == "true";
                    var all = calendar.Events.Values.OrderBy(e => e.Seq)
                        .Where(e => showDeleted || e.Event["status"]?.GetValue<string>() != "cancelled").Select(e => e.Event.DeepClone().AsObject()).ToList();
                    listing = new Listing(calendarId, parameters, null, all, 0, calendar.Seq);
                }
            }
        }

        var items = listing.Items.Skip(listing.Offset).Take(pageSize).ToList();
        var body = new JsonObject
        {
            ["kind"] = "calendar#events", ["etag"] = $"\"{listing.Seq}\"", ["summary"] = calendarId, ["updated"] = Rfc3339(Now()),
            ["timeZone"] = "UTC", ["accessRole"] = "owner", ["defaultReminders"] = new JsonArray(),
            ["items"] = new JsonArray(items.Select(i => (JsonNode)i).ToArray()),
        };
        if (listing.Offset + items.Count < listing.Items.Count)
        {
            var next = "pt_" + Guid.NewGuid().ToString("N");
            _pages[next] = listing with { Offset = listing.Offset + items.Count };
            body["nextPageToken"] = next;
        }
        else
        {
            var next = "st_" + Guid.NewGuid().ToString("N");
            _syncTokens[next] = (calendarId, listing.Seq, parameters);
            body["nextSyncToken"] = next;
        }
        return Json(200, body);
    }

    private async Task<IResult> InsertAsync(HttpContext http, string calendarId)
    {
        if (Authorized(http, out _) is { } refused) return refused;
        if (InjectedFailure(http) is { } failure) return failure;
        CheckSendUpdates(http);
        var body = await ReadEventAsync(http);
        if (body is null) return Error(400, "parseError", "Parse Error", domain: "global");
        if (CheckEvent(body) is { } invalid) return invalid;
        if (body["id"] is JsonValue id)
        {
            if (!Provider.Require(EventIdPattern().IsMatch(id.GetValue<string>()), $"event id '{id}' is not 5-1024 characters of base32hex (a-v, 0-9)"))
                return Error(400, "invalid", "Invalid resource id value.", domain: "global");
            if (Event(calendarId, id.GetValue<string>()) is not null)
                return Error(409, "duplicate", "The requested identifier already exists.", domain: "global");
        }
        return Json(200, Put(calendarId, body));
    }

    private IResult Get(HttpContext http, string calendarId, string eventId)
    {
        if (Authorized(http, out _) is { } refused) return refused;
        if (InjectedFailure(http) is { } failure) return failure;
        return Event(calendarId, eventId) is { } ev ? Json(200, ev) : NotFound();
    }

    private async Task<IResult> PatchAsync(HttpContext http, string calendarId, string eventId)
    {
        if (Authorized(http, out _) is { } refused) return refused;
        if (InjectedFailure(http) is { } failure) return failure;
        CheckSendUpdates(http);
        var patch = await ReadEventAsync(http);
        if (patch is null) return Error(400, "parseError", "Parse Error", domain: "global");
        var ev = Event(calendarId, eventId);
        if (ev is null || ev["status"]?.GetValue<string>() == "cancelled") return NotFound();
        foreach (var (name, value) in patch)
            if (value is null) ev.Remove(name);
            else ev[name] = value.DeepClone();
        if (CheckEvent(ev) is { } invalid) return invalid;
        return Json(200, Put(calendarId, ev));
    }

    private IResult Delete(HttpContext http, string calendarId, string eventId)
    {
        if (Authorized(http, out _) is { } refused) return refused;
        if (InjectedFailure(http) is { } failure) return failure;
        CheckSendUpdates(http);
        var ev = Event(calendarId, eventId);
        if (ev is null) return NotFound();
        if (ev["status"]?.GetValue<string>() == "cancelled") return Error(410, "deleted", "Resource has been deleted", domain: "global");
        Cancel(calendarId, eventId);
        return Results.StatusCode(204);
    }

    /// <summary>Bearer auth as Google checks it: 401 <c>authError</c> for a token it does not take, a violation when there is none at all.</summary>
    private IResult? Authorized(HttpContext http, out Grant? grant)
    {
        grant = null;
        var header = http.Request.Headers.Authorization.ToString();
        if (!Provider.Require(header.StartsWith("Bearer ", StringComparison.Ordinal), $"{http.Request.Method} {http.Request.Path} without a bearer token"))
            return Unauthorized(http);
        if (!_byAccess.TryGetValue(header["Bearer ".Length..], out grant) || grant.Revoked || grant.AccessExpired || grant.AccessToken != header["Bearer ".Length..])
            return Unauthorized(http);
        if (!grant.Scope.Split(' ').Any(s => s is EventsScope or "https://www.googleapis.com/auth/calendar"))
            return Error(403, "insufficientPermissions", "Request had insufficient authentication scopes.", domain: "global", status: "PERMISSION_DENIED");
        return null;
    }

    private static IResult Unauthorized(HttpContext http)
    {
        http.Response.Headers.WWWAuthenticate = "Bearer realm=\"https://accounts.google.com/\", error=\"invalid_token\"";
        return Error(401, "authError", "Invalid Credentials", domain: "global", status: "UNAUTHENTICATED", location: "Authorization");
    }

    private IResult? InjectedFailure(HttpContext http)
    {
        if (!_failures.TryDequeue(out var f)) return null;
        if (f.RetryAfter is not null) http.Response.Headers.RetryAfter = f.RetryAfter;
        return Error(f.Status, f.Reason, f.Message, f.Domain);
    }

    private void CheckSendUpdates(HttpContext http)
    {
        if (http.Request.Query["sendUpdates"].FirstOrDefault() is { } value)
            Provider.Require(value is "all" or "externalOnly" or "none", $"sendUpdates={value} (all, externalOnly or none)");
    }

    private async Task<JsonObject?> ReadEventAsync(HttpContext http)
    {
        Provider.Require(http.Request.ContentType?.StartsWith("application/json", StringComparison.Ordinal) == true, "an event body is application/json");
        try { return await System.Text.Json.JsonSerializer.DeserializeAsync<JsonObject>(http.Request.Body); }
        catch (System.Text.Json.JsonException) { Provider.Violation("an event body that is not JSON"); return null; }
    }

    /// <summary>The checks Google makes on an event (or an event after a patch); any failure is also a violation: Switchboard should never send it.</summary>
    private IResult? CheckEvent(JsonObject ev)
    {
        IResult Invalid(string text, string reason = "required")
        {
            Provider.Violation(text);
            return Error(400, reason, text, domain: "global");
        }
        if (ev["summary"] is not JsonValue summary || string.IsNullOrWhiteSpace(summary.GetValue<string>())) return Invalid("an event without a summary");
        var start = When(ev["start"], "start", out var startProblem);
        if (startProblem is not null) return Invalid(startProblem);
        var end = When(ev["end"], "end", out var endProblem);
        if (endProblem is not null) return Invalid(endProblem);
        if (start!.Value.IsDate != end!.Value.IsDate) return Invalid("start and end must both be dates or both be date-times");
        if (end.Value.At <= start.Value.At) return Invalid("The specified time range is empty.", "timeRangeEmpty");
        if (ev["attendees"] is { } attendees)
        {
            if (attendees is not JsonArray list) return Invalid("attendees must be a list");
            foreach (var a in list)
                if (a?["email"] is not JsonValue email || !email.GetValue<string>().Contains('@')) return Invalid("an attendee without an email");
        }
        if (ev["reminders"] is JsonObject reminders)
        {
            var useDefault = reminders["useDefault"]?.GetValue<bool>() ?? false;
            if (reminders["overrides"] is JsonArray overrides)
            {
                if (useDefault) return Invalid("reminder overrides with useDefault true");
                if (overrides.Count > 5) return Invalid("more than 5 reminder overrides");
                foreach (var o in overrides)
                    if (o?["method"]?.GetValue<string>() is not ("email" or "popup") || o["minutes"]?.GetValue<int>() is not (>= 0 and <= 40320))
                        return Invalid("a reminder override needs method email or popup and minutes 0 to 40320");
            }
        }
        return null;
    }

    private static (bool IsDate, DateTimeOffset At)? When(JsonNode? node, string name, out string? problem)
    {
        problem = null;
        if (node is not JsonObject time) { problem = $"an event without {name}"; return null; }
        var date = time["date"]?.GetValue<string>();
        var dateTime = time["dateTime"]?.GetValue<string>();
        var zone = time["timeZone"]?.GetValue<string>();
        if ((date is null) == (dateTime is null)) { problem = $"{name} must have exactly one of date and dateTime"; return null; }
        if (zone is not null && !TimeZoneInfo.TryFindSystemTimeZoneById(zone, out _)) { problem = $"{name}.timeZone '{zone}' is not an IANA time zone"; return null; }
        if (date is not null)
            return DateOnly.TryParseExact(date, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)
                ? (true, new DateTimeOffset(d.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero)) : Fail($"{name}.date '{date}' is not yyyy-mm-dd", out problem);
        if (!Rfc3339Pattern().IsMatch(dateTime!)) return Fail($"{name}.dateTime '{dateTime}' is not RFC 3339", out problem);
        if (!OffsetPattern().IsMatch(dateTime!) && zone is null) return Fail($"{name}.dateTime without an offset needs a timeZone", out problem);
        return (false, DateTimeOffset.Parse(dateTime!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal));
    }

    private static (bool, DateTimeOffset)? Fail(string text, out string? problem)
    {
        problem = text;
        return null;
    }

    private void NewAccessToken(Grant grant)
    {
        _byAccess.TryRemove(grant.AccessToken, out _);
        grant.AccessToken = "ya29." + Guid.NewGuid().ToString("N");
        grant.AccessExpired = false;
        _byAccess[grant.AccessToken] = grant;
    }

    private DateTime Now() => new(Interlocked.Add(ref _clockTicks, TimeSpan.TicksPerSecond), DateTimeKind.Utc);
    private static string Rfc3339(DateTime at) => at.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
    private static string NewId() => string.Concat(Guid.NewGuid().ToString("N").Select(c => c is >= 'w' ? 'a' : c));

    private static IResult NotFound() => Error(404, "notFound", "Not Found", domain: "global");

    /// <summary>Google's error body (https://developers.google.com/calendar/api/guides/errors).</summary>
    public static IResult Error(int code, string reason, string message, string domain = "global", string? status = null, string? location = null)
    {
        var detail = new JsonObject { ["domain"] = domain, ["reason"] = reason, ["message"] = message };
        if (location is not null) { detail["locationType"] = "header"; detail["location"] = location; }
        var error = new JsonObject { ["errors"] = new JsonArray(detail), ["code"] = code, ["message"] = message };
        if (status is not null) error["status"] = status;
        return Json(code, new JsonObject { ["error"] = error });
    }

    private static IResult Json(int status, JsonObject body) => Results.Text(body.ToJsonString(), "application/json; charset=UTF-8", statusCode: status);

    [GeneratedRegex("^[a-v0-9]{5,1024}$")]
    private static partial Regex EventIdPattern();

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$")]
    private static partial Regex Rfc3339Pattern();

    [GeneratedRegex(@"(Z|[+-]\d{2}:\d{2})$")]
    private static partial Regex OffsetPattern();

    public ValueTask DisposeAsync() => Provider.DisposeAsync();
}

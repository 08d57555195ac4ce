using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Integrations;

/// <summary>
/// Salesforce as its documentation describes it, on loopback (<see cref="FakeProvider"/>), one <see cref="Org"/> per
/// installation told apart by its tokens:
/// - the token endpoint's refresh_token grant with client_id and client_secret in the form, answering instance_url, id,
///   issued_at and signature and no expires_in; invalid_grant for an unknown refresh token
///   (https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_refresh_token_flow.htm); the revoke endpoint
///   (https://help.salesforce.com/s/articleView?id=sf.remoteaccess_revoke_token.htm);
/// - a bearer token on every REST call, else 401 <c>[{"message","errorCode":"INVALID_SESSION_ID"}]</c>
///   (https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/errorcodes.htm);
/// - <c>Sforce-Limit-Info: api-usage=used/limit</c> on every answer, and 403 <c>REQUEST_LIMIT_EXCEEDED</c> when the org's
///   allowance is used up (https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/headers_api_usage.htm);
/// - SOQL on <c>/query</c> and <c>/queryAll</c> (only the latter answers deleted records) with <c>done</c>,
///   <c>nextRecordsUrl</c> and query locators (https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_query.htm),
///   fields checked against the Lead's (custom fields included: 400 INVALID_FIELD for an unknown one), dateTime literals
///   unquoted (https://developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/soql_sosl/sforce_api_calls_soql_select_dateformats.htm);
/// - sObject Collections create (POST, no id, 1 to 200 records each with attributes.type), update (PATCH, each with its
///   id) and retrieve (GET ?ids&amp;fields), with per-record SaveResults (REQUIRED_FIELD_MISSING, the restricted Lead Status
///   picklist) (https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_composite_sobjects_collections.htm);
/// - Task's TaskSubtype set on create only, WhoId a contact or lead
///   (https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_task.htm).
/// </summary>
public sealed partial class SalesforceFake : IAsyncDisposable
{
    public const string ClientId = "salesforce-consumer-key", ClientSecret = "salesforce-consumer-secret";
    public const string Root = "/services/data/v62.0";
    private static readonly HashSet<string> LeadFields = ["Id", "FirstName", "LastName", "Name", "Email", "Phone", "Company", "Status", "LeadSource", "Description",
        "Rating", "Industry", "Title", "Website", "SystemModstamp", "IsDeleted", "IsConverted"];
    private static readonly HashSet<string> TaskFields = ["WhoId", "Subject", "TaskSubtype", "ActivityDate", "Status", "Description", "CallDurationInSeconds", "CallType"];

    public FakeProvider Provider { get; }
    public TimeProvider Clock { get; set; } = TimeProvider.System;
    public string BaseUrl => Provider.BaseUrl;
    public string TokenUrl => BaseUrl + "/services/oauth2/token";
    public string RevokeUrl => BaseUrl + "/services/oauth2/revoke";
    private readonly ConcurrentDictionary<string, Org> _byAccess = new(), _byRefresh = new();
    private readonly ConcurrentDictionary<string, (Org Org, List<JsonObject> Rows)> _locators = new();
    private int _orgs, _locatorCount;

    private SalesforceFake(FakeProvider provider) => Provider = provider;

    public sealed class Org(int number, Func<DateTimeOffset> now)
    {
        public int Number { get; } = number;
        public string OrgId { get; } = $"00D{number:D12}AAA";
        public string RefreshToken { get; } = $"5Aep-{number}";
        public string AccessToken { get; set; } = $"00D{number}!at-1";
        public int Refreshes => Volatile.Read(ref _refreshes);
        private int _refreshes;
        internal int Refreshed() => Interlocked.Increment(ref _refreshes);
        public bool Revoked { get; set; }
        public long ApiUsed { get; set; } = 10;
        public long ApiLimit { get; set; } = 15000;
        /// <summary>Answer this many more calls with 403 REQUEST_LIMIT_EXCEEDED.</summary>
        public int LimitExceededNext { get; set; }
        /// <summary>Records per query page (Salesforce may answer fewer than the batch size asked for).</summary>
        public int PageSize { get; set; } = 2000;
        public HashSet<string> CustomLeadFields { get; } = ["Score__c"];
        public HashSet<string> LeadStatuses { get; } = ["Open - Not Contacted", "Working - Contacted", "Closed - Converted", "Closed - Not Converted"];
        public ConcurrentDictionary<string, JsonObject> Leads { get; } = new();
        public ConcurrentDictionary<string, JsonObject> Contacts { get; } = new();
        public ConcurrentDictionary<string, JsonObject> Tasks { get; } = new();
        public ConcurrentQueue<string> Queries { get; } = new();
        /// <summary>Each sObject Collections write: its method and records.</summary>
        public ConcurrentQueue<(string Method, JsonArray Records)> Collections { get; } = new();
        private long _ids;
        private long _clock = now().ToUnixTimeMilliseconds();
        private readonly Lock _tick = new();

        public string NewId(string prefix) => $"{prefix}{Number:D3}{Interlocked.Increment(ref _ids):D12}";

        /// <summary>SystemModstamp: never going back, later than every earlier write.</summary>
        public string Tick()
        {
            lock (_tick)
            {
                _clock = Math.Max(_clock + 1, now().ToUnixTimeMilliseconds());
                return DateTimeOffset.FromUnixTimeMilliseconds(_clock).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'+0000'", CultureInfo.InvariantCulture);
            }
        }

        public JsonObject AddLead(string? first, string last, string company, string? email, string status = "Open - Not Contacted", JsonObject? more = null)
        {
            var lead = new JsonObject
            {
                ["Id"] = NewId("00Q"), ["FirstName"] = first, ["LastName"] = last, ["Company"] = company, ["Email"] = email, ["Phone"] = null,
                ["Status"] = status, ["IsDeleted"] = false, ["IsConverted"] = false, ["Score__c"] = null, ["SystemModstamp"] = Tick(),
            };
            foreach (var (k, v) in more ?? []) lead[k] = v?.DeepClone();
            Leads[lead["Id"]!.GetValue<string>()] = lead;
            return lead;
        }

        public void ChangeLead(string id, JsonObject changes)
        {
            var lead = Leads[id];
            lock (lead) { foreach (var (k, v) in changes) lead[k] = v?.DeepClone(); lead["SystemModstamp"] = Tick(); }
        }

        public JsonObject AddContact(string email)
        {
            var contact = new JsonObject { ["Id"] = NewId("003"), ["Email"] = email, ["LastName"] = "Contact" };
            Contacts[contact["Id"]!.GetValue<string>()] = contact;
            return contact;
        }
    }

    public Org NewOrg()
    {
        var org = new Org(Interlocked.Increment(ref _orgs), () => Clock.GetUtcNow());
        _byAccess[org.AccessToken] = org;
        _byRefresh[org.RefreshToken] = org;
        return org;
    }

    /// <summary>The org's session ends (Salesforce's session timeout): its access token now answers 401 INVALID_SESSION_ID.</summary>
    public void Expire(Org org) => _byAccess.TryRemove(org.AccessToken, out _);

    public static async Task<SalesforceFake> StartAsync()
    {
        SalesforceFake? self = null;
        var provider = await FakeProvider.StartAsync((app, fake) =>
        {
            app.MapPost("/services/oauth2/token", (Delegate)((HttpContext http) => self!.TokenAsync(http, fake)));
            app.MapPost("/services/oauth2/revoke", (Delegate)((HttpContext http) => self!.RevokeAsync(http, fake)));
            app.MapGet(Root + "/query", (Delegate)((HttpContext http) => self!.Authorized(http, fake, org => Task.FromResult(self.Query(http, org, fake, all: false)))));
            app.MapGet(Root + "/queryAll", (Delegate)((HttpContext http) => self!.Authorized(http, fake, org => Task.FromResult(self.Query(http, org, fake, all: true)))));
            app.MapGet(Root + "/query/{locator}", (string locator, HttpContext http) => self!.Authorized(http, fake, org => Task.FromResult(self.More(org, locator, fake))));
            app.MapPost(Root + "/composite/sobjects", (Delegate)((HttpContext http) => self!.Authorized(http, fake, org => SaveAsync(http, org, fake, update: false))));
            app.MapMethods(Root + "/composite/sobjects", ["PATCH"], (Delegate)((HttpContext http) => self!.Authorized(http, fake, org => SaveAsync(http, org, fake, update: true))));
            app.MapGet(Root + "/composite/sobjects/{type}", (string type, HttpContext http) => self!.Authorized(http, fake, org => Task.FromResult(Retrieve(http, org, type, fake))));
        });
        self = new SalesforceFake(provider);
        return self;
    }

    private static IResult Errors(int status, string code, string message, params string[] fields)
    {
        var error = new JsonObject { ["message"] = message, ["errorCode"] = code };
        if (fields.Length > 0) error["fields"] = new JsonArray([.. fields.Select(f => (JsonNode)f)]);
        return Results.Json(new JsonArray(error), statusCode: status);
    }

    private async Task<IResult> TokenAsync(HttpContext http, FakeProvider fake)
    {
        fake.Require(http.Request.ContentType?.StartsWith("application/x-www-form-urlencoded", StringComparison.Ordinal) == true, "the token request must be form-encoded");
        var form = await http.Request.ReadFormAsync();
        fake.Require(form["client_id"] == ClientId && form["client_secret"] == ClientSecret, "the connected app's consumer key and secret go in the form");
        if (form["grant_type"] != "refresh_token")
        {
            fake.Violation($"unexpected grant_type {form["grant_type"]}");
            return Results.Json(new { error = "unsupported_grant_type", error_description = "grant type not supported" }, statusCode: 400);
        }
        if (!_byRefresh.TryGetValue(form["refresh_token"].ToString(), out var org) || org.Revoked)
            return Results.Json(new { error = "invalid_grant", error_description = "expired access/refresh token" }, statusCode: 400);
        var n = org.Refreshed();
        org.AccessToken = $"00D{org.Number}!at-{n + 1}";
        _byAccess[org.AccessToken] = org;
        // No refresh_token and no expires_in in a refresh answer.
        return Results.Json(new JsonObject
        {
            ["access_token"] = org.AccessToken, ["signature"] = "c2lnbmF0dXJl", ["scope"] = "refresh_token api",
            ["instance_url"] = $"https://org{org.Number}.my.salesforce.com", ["id"] = $"https://login.salesforce.com/id/{org.OrgId}/005{org.Number:D12}AAA",
            ["token_type"] = "Bearer", ["issued_at"] = Clock.GetUtcNow().ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
        });
    }

    private async Task<IResult> RevokeAsync(HttpContext http, FakeProvider fake)
    {
        fake.Require(http.Request.ContentType?.StartsWith("application/x-www-form-urlencoded", StringComparison.Ordinal) == true, "the revoke request must be form-encoded");
        var form = await http.Request.ReadFormAsync();
        var token = form["token"].ToString();
        if (_byRefresh.TryGetValue(token, out var org) || _byAccess.TryGetValue(token, out org))
        {
            org.Revoked = true;
            _byAccess.TryRemove(org.AccessToken, out _);
            return Results.Ok();
        }
        return Results.Json(new { error = "unsupported_token_type", error_description = "this token type is not supported" }, statusCode: 400);
    }

    private async Task<IResult> Authorized(HttpContext http, FakeProvider fake, Func<Org, Task<IResult>> handle)
    {
        var auth = http.Request.Headers.Authorization.ToString();
        if (!auth.StartsWith("Bearer ", StringComparison.Ordinal) || !_byAccess.TryGetValue(auth["Bearer ".Length..], out var org))
            return Errors(401, "INVALID_SESSION_ID", "Session expired or invalid");
        org.ApiUsed++;
        http.Response.Headers["Sforce-Limit-Info"] = $"api-usage={org.ApiUsed}/{org.ApiLimit}";
        if (org.LimitExceededNext > 0)
        {
            org.LimitExceededNext--;
            return Errors(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.");
        }
        return await handle(org);
    }

    [GeneratedRegex(@"^SELECT (?<fields>[A-Za-z0-9_]+(?:, [A-Za-z0-9_]+)*) FROM Lead(?: WHERE SystemModstamp >= (?<since>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ))? ORDER BY SystemModstamp, Id$")]
    private static partial Regex SyncQuery();
    [GeneratedRegex(@"^SELECT Id, Email FROM Lead WHERE IsConverted = false AND Email IN \((?<emails>'[^']*'(?:, '[^']*')*)\)$")]
    private static partial Regex LeadsByEmail();
    [GeneratedRegex(@"^SELECT Id FROM (?<type>Contact|Lead) WHERE Email = '(?<email>[^']*)'(?<open> AND IsConverted = false)? LIMIT 1$")]
    private static partial Regex WhoByEmail();
    [GeneratedRegex(@"^SELECT Id FROM Task WHERE WhoId = '(?<who>\w+)' AND TaskSubtype = 'Call' AND Subject = '(?<subject>[^']*)' AND ActivityDate = (?<date>\d{4}-\d\d-\d\d) AND CallDurationInSeconds = (?<duration>\d+|null) LIMIT 1$")]
    private static partial Regex SameCall();

    private IResult Query(HttpContext http, Org org, FakeProvider fake, bool all)
    {
        var q = http.Request.Query["q"].ToString();
        org.Queries.Enqueue(q);
        List<JsonObject> rows;
        Match m;
        if (q == "SELECT Id FROM Lead LIMIT 1") rows = org.Leads.Values.Where(l => all || !Deleted(l)).Take(1).Select(l => Row("Lead", l, ["Id"])).ToList();
        else if ((m = SyncQuery().Match(q)).Success)
        {
            fake.Require(all, "the incremental sync reads deleted leads too: queryAll");
            var fields = m.Groups["fields"].Value.Split(", ");
            if (fields.FirstOrDefault(f => !LeadFields.Contains(f) && !org.CustomLeadFields.Contains(f)) is { } unknown)
                return Errors(400, "INVALID_FIELD", $"No such column '{unknown}' on entity 'Lead'.");
            DateTime? since = m.Groups["since"].Success ? DateTime.Parse(m.Groups["since"].Value, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal) : null;
            rows = org.Leads.Values.Where(l => all || !Deleted(l))
                .Select(l => { lock (l) return Row("Lead", l, fields); })
                .Where(l => since is null || Modstamp(l) >= since)
                .OrderBy(Modstamp).ThenBy(l => l["Id"]!.GetValue<string>(), StringComparer.Ordinal).ToList();
        }
        else if ((m = LeadsByEmail().Match(q)).Success)
        {
            var emails = m.Groups["emails"].Value.Split(", ").Select(e => e.Trim('\'')).ToHashSet(StringComparer.OrdinalIgnoreCase);
            rows = org.Leads.Values.Where(l => !Deleted(l) && l["IsConverted"]?.GetValue<bool>() != true && emails.Contains(l["Email"]?.GetValue<string>() ?? ""))
                .Select(l => Row("Lead", l, ["Id", "Email"])).ToList();
        }
        else if ((m = WhoByEmail().Match(q)).Success)
        {
            var store = m.Groups["type"].Value == "Contact" ? org.Contacts : org.Leads;
            fake.Require(m.Groups["type"].Value == "Contact" || m.Groups["open"].Success, "a converted lead is not where a call goes");
            rows = store.Values.Where(r => !Deleted(r) && string.Equals(r["Email"]?.GetValue<string>(), m.Groups["email"].Value, StringComparison.OrdinalIgnoreCase))
                .Take(1).Select(r => Row(m.Groups["type"].Value, r, ["Id"])).ToList();
        }
        else if ((m = SameCall().Match(q)).Success)
        {
            int? duration = m.Groups["duration"].Value == "null" ? null : int.Parse(m.Groups["duration"].Value, CultureInfo.InvariantCulture);
            rows = org.Tasks.Values.Where(t => t["WhoId"]?.GetValue<string>() == m.Groups["who"].Value && t["TaskSubtype"]?.GetValue<string>() == "Call"
                    && t["Subject"]?.GetValue<string>() == m.Groups["subject"].Value && t["ActivityDate"]?.GetValue<string>() == m.Groups["date"].Value
                    && (t["CallDurationInSeconds"] is JsonValue d ? d.GetValue<int>() : (int?)null) == duration)
                .Take(1).Select(t => Row("Task", t, ["Id"])).ToList();
        }
        else
        {
            fake.Violation($"a SOQL query this fake does not know: {q}");
            return Errors(400, "MALFORMED_QUERY", "unexpected token");
        }
        return Page(org, rows, 0);
    }

    private static bool Deleted(JsonObject record) => record["IsDeleted"] is JsonValue v && v.GetValue<bool>();

    private static DateTime Modstamp(JsonObject row) => DateTime.Parse(row["SystemModstamp"]!.GetValue<string>().Replace("+0000", "Z", StringComparison.Ordinal),
        CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal);

    private static JsonObject Row(string type, JsonObject record, IEnumerable<string> fields)
    {
        var id = record["Id"]!.GetValue<string>();
        var row = new JsonObject { ["attributes"] = new JsonObject { ["type"] = type, ["url"] = $"{Root}/sobjects/{type}/{id}" } };
        foreach (var field in fields)
            row[field] = field == "Name" ? $"{record["FirstName"]} {record["LastName"]}".Trim() : record[field]?.DeepClone();
        return row;
    }

    /// <summary>One page from <paramref name="offset"/>; the rest stays behind a query locator (a snapshot of the results).</summary>
    private IResult Page(Org org, List<JsonObject> rows, int offset)
    {
        var page = rows.Skip(offset).Take(org.PageSize).ToList();
        var done = offset + page.Count >= rows.Count;
        var answer = new JsonObject { ["totalSize"] = rows.Count, ["done"] = done, ["records"] = new JsonArray([.. page.Select(r => (JsonNode)r.DeepClone())]) };
        if (!done)
        {
            var locator = $"01g{org.Number:D3}{Interlocked.Increment(ref _locatorCount):D9}AAA";
            _locators[locator + "-" + (offset + page.Count).ToString(CultureInfo.InvariantCulture)] = (org, rows);
            answer["nextRecordsUrl"] = $"{Root}/query/{locator}-{offset + page.Count}";
        }
        return Results.Json(answer);
    }

    private IResult More(Org org, string locator, FakeProvider fake)
    {
        if (!_locators.TryRemove(locator, out var held) || held.Org != org)
            return Errors(400, "INVALID_QUERY_LOCATOR", "invalid query locator");
        var offset = int.Parse(locator[(locator.LastIndexOf('-') + 1)..], CultureInfo.InvariantCulture);
        return Page(org, held.Rows, offset);
    }

    private static async Task<IResult> SaveAsync(HttpContext http, Org org, FakeProvider fake, bool update)
    {
        fake.Require(http.Request.ContentType?.StartsWith("application/json", StringComparison.Ordinal) == true, "sObject Collections take JSON");
        var body = await JsonNode.ParseAsync(http.Request.Body) as JsonObject;
        if (body?["records"] is not JsonArray records) return Errors(400, "JSON_PARSER_ERROR", "records is required");
        if (!fake.Require(records.Count is > 0 and <= 200, "sObject Collections take 1 to 200 records"))
            return Errors(400, "EXCEEDED_ID_LIMIT", "record limit reached. cannot submit more than 200 records into this call");
        fake.Require(body["allOrNone"] is null or JsonValue, "allOrNone is a boolean");
        org.Collections.Enqueue((update ? "PATCH" : "POST", (JsonArray)records.DeepClone()));
        var results = new JsonArray();
        foreach (var node in records)
        {
            var record = node as JsonObject;
            var type = record?["attributes"]?["type"]?.GetValue<string>();
            if (!fake.Require(type is "Lead" or "Task", $"each record needs attributes.type (Lead or Task here), got {type}")) continue;
            var id = record!["id"]?.GetValue<string>();
            fake.Require(update == (id is not null), update ? "an update names each record's id" : "a create must not set an id");
            var fields = record.Where(p => p.Key is not ("attributes" or "id")).ToDictionary(p => p.Key, p => p.Value);
            var known = type == "Lead" ? LeadFields.Concat(org.CustomLeadFields).Except(["Id", "Name", "SystemModstamp", "IsDeleted", "IsConverted"]).ToHashSet() : TaskFields;
            if (fields.Keys.FirstOrDefault(k => !known.Contains(k)) is { } unknown)
            {
                results.Add(Failed("INVALID_FIELD", $"No such column '{unknown}' on sobject of type {type}", unknown));
                continue;
            }
            if (type == "Lead" && fields.TryGetValue("Status", out var status) && !org.LeadStatuses.Contains(status?.GetValue<string>() ?? ""))
            {
                results.Add(Failed("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", $"Status: bad value for restricted picklist field: {status}", "Status"));
                continue;
            }
            var store = type == "Lead" ? org.Leads : org.Tasks;
            if (update)
            {
                if (!store.TryGetValue(id!, out var existing) || Deleted(existing)) { results.Add(Failed("ENTITY_IS_DELETED", "entity is deleted")); continue; }
                if (type == "Task" && fields.ContainsKey("TaskSubtype")) { results.Add(Failed("INVALID_FIELD_FOR_INSERT_UPDATE", "Unable to create/update fields: TaskSubtype.", "TaskSubtype")); continue; }
                lock (existing)
                {
                    foreach (var (k, v) in fields) existing[k] = v?.DeepClone();
                    if (type == "Lead" && string.IsNullOrEmpty(existing["LastName"]?.GetValue<string>())) { results.Add(Failed("REQUIRED_FIELD_MISSING", "Required fields are missing: [LastName]", "LastName")); continue; }
                    existing["SystemModstamp"] = org.Tick();
                }
                results.Add(new JsonObject { ["id"] = id, ["success"] = true, ["errors"] = new JsonArray() });
                continue;
            }
            var required = type == "Lead" ? new[] { "LastName", "Company" } : ["Subject"];
            if (required.Where(r => fields.GetValueOrDefault(r) is not JsonValue v || v.GetValue<string>().Length == 0).ToArray() is { Length: > 0 } missing)
            {
                results.Add(Failed("REQUIRED_FIELD_MISSING", $"Required fields are missing: [{string.Join(", ", missing)}]", missing));
                continue;
            }
            if (type == "Task")
            {
                var who = fields.GetValueOrDefault("WhoId")?.GetValue<string>();
                fake.Require(who is not null && (org.Leads.ContainsKey(who) || org.Contacts.ContainsKey(who)), "a Task's WhoId is a lead or contact of the org");
                fake.Require(fields.GetValueOrDefault("TaskSubtype")?.GetValue<string>() is "Call" or "Task" or "Email", "TaskSubtype is a picklist value");
                fake.Require(fields.GetValueOrDefault("ActivityDate")?.GetValue<string>() is { } date && DateOnly.TryParseExact(date, "yyyy-MM-dd", out _), "ActivityDate is a date");
            }
            var newId = org.NewId(type == "Lead" ? "00Q" : "00T");
            var created = new JsonObject { ["Id"] = newId, ["IsDeleted"] = false };
            if (type == "Lead") { created["Status"] = "Open - Not Contacted"; created["IsConverted"] = false; }
            foreach (var (k, v) in fields) created[k] = v?.DeepClone();
            created["SystemModstamp"] = org.Tick();
            store[newId] = created;
            results.Add(new JsonObject { ["id"] = newId, ["success"] = true, ["errors"] = new JsonArray() });
        }
        return Results.Json(results);
    }

    private static JsonObject Failed(string code, string message, params string[] fields) => new()
    {
        ["success"] = false,
        ["errors"] = new JsonArray(new JsonObject { ["statusCode"] = code, ["message"] = message, ["fields"] = new JsonArray([.. fields.Select(f => (JsonNode)f)]) }),
    };

    private static IResult Retrieve(HttpContext http, Org org, string type, FakeProvider fake)
    {
        if (!fake.Require(type == "Lead", $"retrieve of {type}")) return Errors(404, "NOT_FOUND", "The requested resource does not exist");
        var ids = http.Request.Query["ids"].ToString().Split(',', StringSplitOptions.RemoveEmptyEntries);
        var fields = http.Request.Query["fields"].ToString().Split(',', StringSplitOptions.RemoveEmptyEntries);
        fake.Require(ids.Length is > 0 and <= 200 && fields.Length > 0, "retrieve takes 1 to 200 ids and the fields");
        if (fields.FirstOrDefault(f => !LeadFields.Contains(f) && !org.CustomLeadFields.Contains(f)) is { } unknown)
            return Errors(400, "INVALID_FIELD", $"No such column '{unknown}' on entity 'Lead'.");
        return Results.Json(new JsonArray([.. ids.Select(id => org.Leads.TryGetValue(id, out var l) ? (JsonNode)Row("Lead", l, fields) : null)]));
    }

    public ValueTask DisposeAsync() => Provider.DisposeAsync();
}

using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Integrations;

/// <summary>
/// Xero as its references document it, on loopback (<see cref="FakeProvider"/>):
/// - OAuth 2.0 with PKCE (https://developer.xero.com/documentation/guides/oauth2/auth-flow): the authorize request
///   (response_type=code, client_id, redirect_uri, scope with offline_access, state, S256 code_challenge); the token
///   endpoint with HTTP Basic client authentication, the code_verifier checked, refresh tokens rotating,
///   <c>invalid_grant</c>; revocation of a refresh token (form <c>token</c>, Basic authentication), which removes the
///   user's connections.
/// - <c>GET /connections</c> (https://developer.xero.com/documentation/guides/oauth2/tenants): the organisations the grant reaches.
/// - The Accounting API (https://developer.xero.com/documentation/api/accounting/overview): a bearer token, a
///   <c>xero-tenant-id</c> among the grant's connections (403 otherwise), <c>Accept: application/json</c>; Contacts
///   filtered with <c>where</c> and created (names unique: a ValidationException), Invoices (ACCREC, an existing contact,
///   line items with an account code the chart has), <c>Idempotency-Key</c> of at most 128 characters answering a
///   repeated write with the first answer; the Organisation; the ProfitAndLoss report (fromDate, toDate).
/// - Limits (https://developer.xero.com/documentation/guides/oauth2/limits): X-DayLimit-Remaining,
///   X-MinLimit-Remaining and X-AppMinLimit-Remaining on every answer; 429 with Retry-After and X-Rate-Limit-Problem.
/// - Errors (https://developer.xero.com/documentation/api/accounting/responsecodes): 400 ValidationException with
///   Elements[].ValidationErrors[]; 401/403 in the problem shape {Type, Title, Status, Detail, Instance}.
/// </summary>
public sealed class XeroFake : IAsyncDisposable
{
    public const string ClientId = "XERO0CLIENT0ID0000000000000000AB", ClientSecret = "xero-secret-Zx9/+=", WebhookKey = "xero-webhook-key-7f2d9a0c1b3e";
    public static readonly string[] Scopes = ["offline_access", "accounting.contacts", "accounting.transactions", "accounting.reports.read"];
    public FakeProvider Provider { get; }
    public string BaseUrl => Provider.BaseUrl;
    public string AuthorizeUrl => BaseUrl + "/identity/connect/authorize";
    public string TokenUrl => BaseUrl + "/connect/token";
    public string RevokeUrl => BaseUrl + "/connect/revocation";
    public string ApiUrl => BaseUrl + "/api.xro/2.0";
    public TimeProvider Clock { get; set; } = TimeProvider.System;

    private readonly ConcurrentDictionary<string, Grant> _byAccess = new(), _byRefresh = new();
    private readonly ConcurrentDictionary<string, (Grant Grant, string Challenge, string Redirect)> _byCode = new();
    private int _tokens;

    private XeroFake(FakeProvider provider) => Provider = provider;

    /// <summary>One user's consent: the organisations it reaches, and its current tokens.</summary>
    public sealed class Grant(IReadOnlyList<Organisation> organisations)
    {
        public IReadOnlyList<Organisation> Organisations { get; } = organisations;
        public string? AccessToken { get; internal set; }
        public string? RefreshToken { get; internal set; }
        public int Refreshes => Volatile.Read(ref _refreshes);
        internal int _refreshes;
        public bool Revoked { get; internal set; }
    }

    public sealed class Organisation(string name)
    {
        public string TenantId { get; } = Guid.NewGuid().ToString();
        public string Name { get; } = name;
        public ConcurrentDictionary<string, JsonObject> Contacts { get; } = new();
        public ConcurrentQueue<JsonObject> Invoices { get; } = new();
        public HashSet<string> AccountCodes { get; } = ["200", "260"];
        public decimal Expenses { get; set; }
        /// <summary>Answer the next calls with 429 for this limit (minute, day, concurrent), with this Retry-After.</summary>
        public Queue<(string Problem, string? RetryAfter)> Limited { get; } = new();
        internal ConcurrentDictionary<string, (int Status, string Body)> Replies { get; } = new();
        public JsonObject AddContact(string name, string? email)
        {
            var contact = new JsonObject { ["ContactID"] = Guid.NewGuid().ToString(), ["ContactStatus"] = "ACTIVE", [nameof(Name)] = name, ["EmailAddress"] = email ?? "" };
            Contacts[contact["ContactID"]!.GetValue<string>()] = contact;
            return contact;
        }
    }

    public static Grant NewGrant(params string[] organisations) => new(organisations.Select(n => new Organisation(n)).ToList());

    public void Expire(Grant grant) { if (grant.AccessToken is { } token) _byAccess.TryRemove(token, out _); }

    public string Approve(string authorizeUrl, Grant grant)
    {
        var uri = new Uri(authorizeUrl);
        Provider.Require(uri.GetLeftPart(UriPartial.Path) == AuthorizeUrl, $"authorize URL {uri.GetLeftPart(UriPartial.Path)}");
        var q = QueryHelpers.ParseQuery(uri.Query);
        string P(string name) => q.TryGetValue(name, out var v) && v.Count == 1 ? v[0]! : "";
        Provider.Require(P("response_type") == "code" && P("client_id") == ClientId, "response_type=code and the app's client_id");
        Provider.Require(P("scope").Split(' ').ToHashSet().SetEquals(Scopes), "scope (space-separated, with offline_access for a refresh token): " + P("scope"));
        Provider.Require(P("code_challenge_method") == "S256" && P("code_challenge").Length == 43, "PKCE: an S256 code_challenge");
        Provider.Require(P("state").Length > 0 && P("redirect_uri").Length > 0, "state and redirect_uri");
        var code = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        _byCode[code] = (grant, P("code_challenge"), P("redirect_uri"));
        return $"{P("redirect_uri")}?code={code}&scope={Uri.EscapeDataString(P("scope"))}&state={Uri.EscapeDataString(P("state"))}&session_state=xyz";
    }

    public static string Sign(string body, string key = WebhookKey) =>
        Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(body)));

    public static async Task<XeroFake> StartAsync()
    {
        XeroFake? self = null;
        var provider = await FakeProvider.StartAsync((app, fake) =>
        {
            app.MapPost("/connect/token", (Delegate)((HttpContext http) => self!.TokenAsync(http, fake)));
            app.MapPost("/connect/revocation", (Delegate)((HttpContext http) => self!.RevokeAsync(http, fake)));
            app.MapGet("/connections", (HttpContext http) => self!.Connections(http, fake));
            app.MapGet("/api.xro/2.0/Organisation", (Delegate)((HttpContext http) => self!.Api(http, fake, (o, _) =>
                Ok(new JsonObject { ["Organisations"] = new JsonArray(new JsonObject { ["OrganisationID"] = o.TenantId, ["Name"] = o.Name, ["BaseCurrency"] = "NZD" }) }))));
            app.MapGet("/api.xro/2.0/Contacts", (Delegate)((HttpContext http) => self!.Api(http, fake, (o, _) => FindContacts(o, http.Request.Query["where"].ToString(), fake))));
            app.MapPost("/api.xro/2.0/Contacts", (Delegate)((HttpContext http) => self!.Api(http, fake, (o, body) => CreateContacts(o, body!, fake))));
            app.MapPost("/api.xro/2.0/Invoices", (Delegate)((HttpContext http) => self!.Api(http, fake, (o, body) => self.CreateInvoices(o, body!, fake))));
            app.MapGet("/api.xro/2.0/Reports/ProfitAndLoss", (Delegate)((HttpContext http) => self!.Api(http, fake, (o, _) => ProfitAndLoss(o, http.Request.Query, fake))));
        });
        self = new XeroFake(provider);
        return self;
    }

    private static (int, string) Ok(JsonObject body)
    {
        body["Id"] = Guid.NewGuid().ToString(); body["Status"] = "OK"; body["ProviderName"] = "Switchboard";
        return (200, body.ToJsonString());
    }

    public static (int, string) Problem(int status, string title, string detail) =>
        (status, new JsonObject { ["Type"] = null, ["Title"] = title, ["Status"] = status, ["Detail"] = detail, ["Instance"] = Guid.NewGuid().ToString(), ["Extensions"] = new JsonObject() }.ToJsonString());

    public static (int, string) Validation(string element, params string[] messages) => (400, new JsonObject
    {
        ["ErrorNumber"] = 10, ["Type"] = "ValidationException", ["Message"] = "A validation exception occurred",
        ["Elements"] = new JsonArray(new JsonObject { ["Element"] = element, ["ValidationErrors"] = new JsonArray(messages.Select(m => (JsonNode)new JsonObject { ["Message"] = m }).ToArray()) }),
    }.ToJsonString());

    private static IResult Json((int Status, string Body) answer) => Results.Content(answer.Body, "application/json", Encoding.UTF8, answer.Status);

    private Grant? Bearer(HttpContext http)
    {
        var auth = http.Request.Headers.Authorization.ToString();
        return auth.StartsWith("Bearer ", StringComparison.Ordinal) && _byAccess.TryGetValue(auth["Bearer ".Length..], out var grant) && !grant.Revoked ? grant : null;
    }

    private static IResult Unauthorized(HttpContext http)
    {
        http.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
        return Json(Problem(401, "Unauthorized", "TokenExpired: token expired at " + DateTime.UtcNow.ToString("MM/dd/yyyy HH:mm:ss", CultureInfo.InvariantCulture)));
    }

    private IResult Connections(HttpContext http, FakeProvider fake)
    {
        fake.Require(!http.Request.Headers.ContainsKey("xero-tenant-id"), "/connections takes no tenant");
        if (Bearer(http) is not { } grant) return Unauthorized(http);
        return Results.Json(grant.Organisations.Select(o => new
        {
            id = Guid.NewGuid(), authEventId = Guid.NewGuid(), tenantId = o.TenantId, tenantType = "ORGANISATION", tenantName = o.Name,
            createdDateUtc = "2026-12-04T10:00:00.0000000", updatedDateUtc = "2026-12-04T10:00:00.0000000",
        }).ToArray());
    }

    private async Task<IResult> Api(HttpContext http, FakeProvider fake, Func<Organisation, JsonObject?, (int Status, string Body)> handle)
    {
        fake.Require(http.Request.Headers.Accept.ToString().Contains("application/json", StringComparison.Ordinal), "Accept: application/json (XML otherwise)");
        if (Bearer(http) is not { } grant) return Unauthorized(http);
        var tenant = http.Request.Headers["xero-tenant-id"].ToString();
        fake.Require(tenant.Length > 0, "every Accounting API call names its organisation in xero-tenant-id");
        var organisation = grant.Organisations.FirstOrDefault(o => o.TenantId == tenant);
        if (organisation is null) return Json(Problem(403, "Forbidden", "AuthenticationUnsuccessful"));
        http.Response.Headers["X-DayLimit-Remaining"] = "4990";
        http.Response.Headers["X-MinLimit-Remaining"] = "59";
        http.Response.Headers["X-AppMinLimit-Remaining"] = "9999";
        lock (organisation.Limited)
            if (organisation.Limited.TryDequeue(out var limit))
            {
                http.Response.Headers["X-Rate-Limit-Problem"] = limit.Problem;
                if (limit.RetryAfter is not null) http.Response.Headers.RetryAfter = limit.RetryAfter;
                return Results.StatusCode(429);
            }
        if (!HttpMethods.IsPost(http.Request.Method)) return Json(handle(organisation, null));
        fake.Require(http.Request.ContentType?.StartsWith("application/json", StringComparison.Ordinal) == true, "JSON bodies");
        JsonObject? body = null;
        try { body = await JsonNode.ParseAsync(http.Request.Body) as JsonObject; } catch (System.Text.Json.JsonException) { }
        if (body is null) return Json(Validation("body", "The request body is not JSON"));
        var key = http.Request.Headers["Idempotency-Key"].ToString();
        fake.Require(key.Length is > 0 and <= 128, $"a write with an Idempotency-Key of 1 to 128 characters (got {key.Length})");
        var replyKey = http.Request.Path + "\n" + key;
        if (key.Length > 0 && organisation.Replies.TryGetValue(replyKey, out var earlier)) return Json(earlier);
        var answer = handle(organisation, body);
        if (key.Length > 0) organisation.Replies[replyKey] = answer;
        return Json(answer);
    }

    private static readonly Regex Where = new("^(EmailAddress|Name)==\"((?:[^\"\\\\]|\\\\.)*)\"$", RegexOptions.CultureInvariant);

    private static (int, string) FindContacts(Organisation o, string where, FakeProvider fake)
    {
        var match = Where.Match(where);
        if (!fake.Require(match.Success, $"where '{where}' is not a filter this fake knows"))
            return Validation("where", "Invalid where clause");
        var value = Regex.Replace(match.Groups[2].Value, "\\\\(.)", "$1");
        var found = o.Contacts.Values.Where(c => string.Equals(c[match.Groups[1].Value]?.GetValue<string>(), value, StringComparison.OrdinalIgnoreCase)).Select(c => c.DeepClone()).ToArray();
        return Ok(new JsonObject { ["Contacts"] = new JsonArray(found) });
    }

    private static (int, string) CreateContacts(Organisation o, JsonObject body, FakeProvider fake)
    {
        if (body["Contacts"] is not JsonArray { Count: > 0 } contacts) return Validation("Contacts", "No Contacts were supplied");
        var created = new JsonArray();
        lock (o)
            foreach (var contact in contacts.OfType<JsonObject>())
            {
                var name = contact["Name"]?.GetValue<string>();
                if (string.IsNullOrWhiteSpace(name)) return Validation("Contact", "The contact name must be supplied.");
                fake.Require(name.Length <= 255, "Name at most 255 characters");
                if (o.Contacts.Values.Any(c => string.Equals(c["Name"]!.GetValue<string>(), name, StringComparison.OrdinalIgnoreCase)))
                    return Validation("Contact", $"The contact name {name} is already assigned to another contact. The contact name must be unique across all active contacts.");
                created.Add(o.AddContact(name, contact["EmailAddress"]?.GetValue<string>()).DeepClone());
            }
        return Ok(new JsonObject { ["Contacts"] = created });
    }

    private (int, string) CreateInvoices(Organisation o, JsonObject body, FakeProvider fake)
    {
        if (body["Invoices"] is not JsonArray { Count: > 0 } invoices) return Validation("Invoices", "No Invoices were supplied");
        var created = new JsonArray();
        foreach (var invoice in invoices.OfType<JsonObject>())
        {
            fake.Require(invoice["Type"]?.GetValue<string>() is "ACCREC" or "ACCPAY", "Type is ACCREC or ACCPAY");
            var contactId = invoice["Contact"]?["ContactID"]?.GetValue<string>();
            if (contactId is null || !o.Contacts.ContainsKey(contactId)) return Validation("Invoice", "The Contact must contain at least 1 of the following elements to identify the contact: Name, ContactID, ContactNumber");
            fake.Require(invoice["Status"]?.GetValue<string>() is null or "DRAFT" or "SUBMITTED" or "AUTHORISED", "Status DRAFT, SUBMITTED or AUTHORISED");
            if (invoice["LineItems"] is not JsonArray { Count: > 0 } lines) return Validation("Invoice", "At least one line item is required");
            var total = 0m;
            foreach (var line in lines.OfType<JsonObject>())
            {
                var code = line["AccountCode"]?.GetValue<string>();
                if (code is null || !o.AccountCodes.Contains(code)) return Validation("Invoice", $"Account code '{code}' is not a valid code for this document.");
                total += (line["Quantity"]?.GetValue<decimal>() ?? 1) * (line["UnitAmount"]?.GetValue<decimal>() ?? 0);
            }
            var date = invoice["Date"]?.GetValue<string>();
            fake.Require(date is null || DateOnly.TryParseExact(date, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _), "Date is yyyy-MM-dd");
            var stored = (JsonObject)invoice.DeepClone();
            stored["InvoiceID"] = Guid.NewGuid().ToString();
            stored["InvoiceNumber"] = "INV-" + (o.Invoices.Count + 1).ToString("0000", CultureInfo.InvariantCulture);
            stored["Date"] = date ?? Clock.GetUtcNow().ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            stored["Total"] = total;
            stored["AmountDue"] = total;
            o.Invoices.Enqueue(stored);
            created.Add(stored.DeepClone());
        }
        return Ok(new JsonObject { ["Invoices"] = created });
    }

    private static (int, string) ProfitAndLoss(Organisation o, IQueryCollection query, FakeProvider fake)
    {
        var ok = DateOnly.TryParseExact(query["fromDate"].ToString(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var from)
            & DateOnly.TryParseExact(query["toDate"].ToString(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var to);
        fake.Require(ok, "fromDate and toDate are yyyy-MM-dd");
        var income = o.Invoices.Where(i => i["Status"]?.GetValue<string>() != "DRAFT"
            && DateOnly.ParseExact(i["Date"]!.GetValue<string>(), "yyyy-MM-dd", CultureInfo.InvariantCulture) is var d && d >= from && d <= to).Sum(i => i["Total"]!.GetValue<decimal>());
        static JsonObject Row(string type, string label, decimal value) =>
            new() { ["RowType"] = type, ["Cells"] = new JsonArray(new JsonObject { ["Value"] = label }, new JsonObject { ["Value"] = value.ToString("0.00", CultureInfo.InvariantCulture) }) };
        static JsonObject Section(string title, params JsonObject[] rows) => new() { ["RowType"] = "Section", ["Title"] = title, ["Rows"] = new JsonArray(rows) };
        return Ok(new JsonObject
        {
            ["Reports"] = new JsonArray(new JsonObject
            {
                ["ReportID"] = "ProfitAndLoss", ["ReportName"] = "Profit and Loss", ["ReportType"] = "ProfitAndLoss",
                ["ReportTitles"] = new JsonArray("Profit & Loss", o.Name, $"{from:d MMMM yyyy} to {to:d MMMM yyyy}"),
                ["ReportDate"] = to.ToString("d MMMM yyyy", CultureInfo.InvariantCulture), ["UpdatedDateUTC"] = "/Date(1764842400000)/",
                ["Rows"] = new JsonArray(
                    new JsonObject { ["RowType"] = "Header", ["Cells"] = new JsonArray(new JsonObject { ["Value"] = "" }, new JsonObject { ["Value"] = to.ToString("d MMM yy", CultureInfo.InvariantCulture) }) },
                    Section("Income", Row("Row", "Sales", income), Row("SummaryRow", "Total Income", income)),
                    Section("", Row("Row", "Gross Profit", income)),
                    Section("Less Operating Expenses", Row("Row", "General Expenses", o.Expenses), Row("SummaryRow", "Total Operating Expenses", o.Expenses)),
                    Section("", Row("Row", "Net Profit", income - o.Expenses))),
            }),
        });
    }

    private static bool ClientAuthenticated(HttpContext http, FakeProvider fake) => fake.Require(http.Request.Headers.Authorization.ToString() ==
        "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(Uri.EscapeDataString(ClientId) + ":" + Uri.EscapeDataString(ClientSecret))),
        "Xero's identity endpoints take HTTP Basic client authentication");

    private async Task<IResult> TokenAsync(HttpContext http, FakeProvider fake)
    {
        fake.Require(http.Request.ContentType?.StartsWith("application/x-www-form-urlencoded", StringComparison.Ordinal) == true, "the token request is form-encoded");
        if (!ClientAuthenticated(http, fake)) return Results.Json(new { error = "invalid_client" }, statusCode: 400);
        var form = await http.Request.ReadFormAsync();
        Grant grant;
        switch (form["grant_type"].ToString())
        {
            case "authorization_code":
                if (!_byCode.TryRemove(form["code"].ToString(), out var issued)) return Results.Json(new { error = "invalid_grant" }, statusCode: 400);
                var challenge = Base64UrlTextEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(form["code_verifier"].ToString())));
                fake.Require(challenge == issued.Challenge, "the code_verifier must match the S256 code_challenge");
                fake.Require(form["redirect_uri"] == issued.Redirect, "redirect_uri must be the authorize request's");
                grant = issued.Grant;
                break;
            case "refresh_token":
                if (!_byRefresh.TryRemove(form["refresh_token"].ToString(), out grant!) || grant.Revoked) return Results.Json(new { error = "invalid_grant" }, statusCode: 400);
                Interlocked.Increment(ref grant._refreshes);
                break;
            default:
                fake.Violation($"grant_type {form["grant_type"]}");
                return Results.Json(new { error = "unsupported_grant_type" }, statusCode: 400);
        }
        var n = Interlocked.Increment(ref _tokens);
        if (grant.AccessToken is { } old) _byAccess.TryRemove(old, out _);
        grant.AccessToken = $"xero-at-{n}";
        grant.RefreshToken = $"xero-rt-{n}";
        _byAccess[grant.AccessToken] = grant;
        _byRefresh[grant.RefreshToken] = grant;
        return Results.Json(new { access_token = grant.AccessToken, expires_in = 1800, token_type = "Bearer", refresh_token = grant.RefreshToken, scope = string.Join(' ', Scopes) });
    }

    private async Task<IResult> RevokeAsync(HttpContext http, FakeProvider fake)
    {
        if (!ClientAuthenticated(http, fake)) return Results.Json(new { error = "invalid_client" }, statusCode: 400);
        var form = await http.Request.ReadFormAsync();
        fake.Require(form["token"].ToString().Length > 0, "the revocation names the refresh token");
        if (_byRefresh.TryRemove(form["token"].ToString(), out var grant)) grant.Revoked = true;
        return Results.Ok();
    }

    public ValueTask DisposeAsync() => Provider.DisposeAsync();
}

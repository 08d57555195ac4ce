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
/// Intuit's QuickBooks Online as its references document it, on loopback (<see cref="FakeProvider"/>):
/// - OAuth 2.0 (https://developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/oauth-2.0):
///   the authorize request (client_id, response_type=code, scope com.intuit.quickbooks.accounting, redirect_uri, state)
///   answered with <c>code</c>, <c>state</c> and <c>realmId</c>; the token endpoint with HTTP Basic client authentication
///   only, <c>authorization_code</c> and <c>refresh_token</c> grants, refresh tokens rotating; <c>invalid_grant</c>;
///   revocation with Basic authentication and a JSON <c>{"token"}</c>.
/// - The Accounting API (https://developer.intuit.com/app/developer/qbo/docs/learn/rest-api-features): every call under
///   <c>/v3/company/{realmId}</c> of the company's own host (production or sandbox: a sandbox company's token is refused
///   by the production host), a bearer token issued for that company, <c>Accept: application/json</c>, a
///   <c>minorversion</c> of 75 or more (1 to 74 are no longer served); <c>requestid</c> answering a repeated write with
///   the first answer; <c>select * from Customer where …</c> queries with backslash-escaped quotes
///   (https://developer.intuit.com/app/developer/qbo/docs/learn/explore-the-quickbooks-online-api/data-queries);
///   Customer create (DisplayName unique: 6240), Invoice create (CustomerRef and ItemRef must exist: 2500; one
///   SalesItemLineDetail line whose Amount is Qty × UnitPrice); CompanyInfo; the ProfitAndLoss report
///   (https://developer.intuit.com/app/developer/qbo/docs/api/accounting/report-entities/profitandloss).
/// - Errors as Intuit writes them (https://developer.intuit.com/app/developer/qbo/docs/develop/troubleshooting/error-codes):
///   <c>Fault.Error[]</c> with Message, Detail and code; 401 AuthenticationFailed (3200) in lower case; 429 ThrottleExceeded (3001).
/// </summary>
public sealed class QuickBooksFake : IAsyncDisposable
{
    public const string ClientId = "qbo-client-id", ClientSecret = "qbo-client-secret/+=", VerifierToken = "qbo-verifier-4c3a1e9b77d2";
    public const string Scope = "com.intuit.quickbooks.accounting";
    public FakeProvider Provider { get; }
    public string BaseUrl => Provider.BaseUrl;
    public string AuthorizeUrl => BaseUrl + "/connect/oauth2";
    public string TokenUrl => BaseUrl + "/oauth2/v1/tokens/bearer";
    public string RevokeUrl => BaseUrl + "/v2/oauth2/tokens/revoke";
    public string ProductionUrl => BaseUrl + "/production";
    public string SandboxUrl => BaseUrl + "/sandbox";
    /// <summary>QuickBooks' "today" for invoices without a TxnDate.</summary>
    public TimeProvider Clock { get; set; } = TimeProvider.System;

    private readonly ConcurrentDictionary<string, Company> _byAccess = new(), _byRefresh = new(), _byCode = new();
    private long _realms = 9130350000000000;
    private int _tokens;

    private QuickBooksFake(FakeProvider provider) => Provider = provider;

    public sealed class Company(string realm, string environment, string name)
    {
        public string Realm { get; } = realm;
        public string Environment { get; } = environment;
        public string Name { get; } = name;
        public ConcurrentDictionary<string, JsonObject> Customers { get; } = new();
        public ConcurrentQueue<JsonObject> Invoices { get; } = new();
        public HashSet<string> Items { get; } = ["1", "7"];
        public decimal Expenses { get; set; }
        internal ConcurrentDictionary<string, (int Status, string Body)> Replies { get; } = new();
        public string? AccessToken { get; internal set; }
        public string? RefreshToken { get; internal set; }
        public int Refreshes => Volatile.Read(ref _refreshes);
        internal int _refreshes;
        public int Revocations => Volatile.Read(ref _revocations);
        internal int _revocations;
        public int ThrottleNext { get; set; }
        private long _ids = 100;
        internal string NextId() => Interlocked.Increment(ref _ids).ToString(CultureInfo.InvariantCulture);

        public JsonObject AddCustomer(string displayName, string? email)
        {
            var id = NextId();
            var customer = new JsonObject { ["Id"] = id, ["SyncToken"] = "0", ["DisplayName"] = displayName, ["Active"] = true };
            if (email is not null) customer["PrimaryEmailAddr"] = new JsonObject { ["Address"] = email };
            Customers[id] = customer;
            return customer;
        }
    }

    public Company NewCompany(string environment = "production", string name = "Craig's Design and Landscaping Services") =>
        new(Interlocked.Increment(ref _realms).ToString(CultureInfo.InvariantCulture), environment, name);

    /// <summary>The company's current access token now answers 401 AuthenticationFailed (Token expired).</summary>
    public void Expire(Company company) { if (company.AccessToken is { } token) _byAccess.TryRemove(token, out _); }

    /// <summary>
    /// The user approves the authorize request for <paramref name="company"/>: checks it against Intuit's documented
    /// parameters and answers the redirect with the code, the state and the company's realmId.
    /// </summary>
    public string Approve(string authorizeUrl, Company company)
    {
        var uri = new Uri(authorizeUrl);
        Provider.Require(uri.GetLeftPart(UriPartial.Path) == AuthorizeUrl, $"authorize URL {uri.GetLeftPart(UriPartial.Path)}");
        var q = QueryHelpers.ParseQuery(uri.Query);
        string P(string name) => q.TryGetValue(name, out var v) && v.Count == 1 ? v[0]! : "";
        Provider.Require(P("client_id") == ClientId, "client_id must be the app's");
        Provider.Require(P("response_type") == "code", "response_type must be code");
        Provider.Require(P("scope") == Scope, "scope must be com.intuit.quickbooks.accounting: " + P("scope"));
        Provider.Require(P("redirect_uri").Length > 0 && P("state").Length > 0, "redirect_uri and state are required");
        var code = "AB11" + Convert.ToHexString(RandomNumberGenerator.GetBytes(12));
        _byCode[code] = company;
        return $"{P("redirect_uri")}?code={code}&state={Uri.EscapeDataString(P("state"))}&realmId={company.Realm}";
    }

    public static string Sign(string body, string token = VerifierToken) =>
        Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(token), Encoding.UTF8.GetBytes(body)));

    public static async Task<QuickBooksFake> StartAsync()
    {
        QuickBooksFake? self = null;
        var provider = await FakeProvider.StartAsync((app, fake) =>
        {
            app.MapPost("/oauth2/v1/tokens/bearer", (Delegate)((HttpContext http) => self!.TokenAsync(http, fake)));
            app.MapPost("/v2/oauth2/tokens/revoke", (Delegate)((HttpContext http) => self!.RevokeAsync(http, fake)));
            app.MapGet("/{env}/v3/company/{realm}/companyinfo/{id}", (string env, string realm, string id, HttpContext http) =>
                self!.Api(http, fake, env, realm, (company, _) =>
                {
                    fake.Require(id == realm, "CompanyInfo is read by the realm id");
                    return Ok(new JsonObject { ["CompanyInfo"] = new JsonObject { ["Id"] = "1", ["CompanyName"] = company.Name, ["Country"] = "US" } });
                }));
            app.MapGet("/{env}/v3/company/{realm}/query", (string env, string realm, HttpContext http) =>
                self!.Api(http, fake, env, realm, (company, _) => Query(company, http.Request.Query["query"].ToString(), fake)));
            app.MapPost("/{env}/v3/company/{realm}/customer", (string env, string realm, HttpContext http) =>
                self!.Api(http, fake, env, realm, (company, body) => CreateCustomer(company, body!, fake)));
            app.MapPost("/{env}/v3/company/{realm}/invoice", (string env, string realm, HttpContext http) =>
                self!.Api(http, fake, env, realm, (company, body) => self.CreateInvoice(company, body!, fake)));
            app.MapGet("/{env}/v3/company/{realm}/reports/ProfitAndLoss", (string env, string realm, HttpContext http) =>
                self!.Api(http, fake, env, realm, (company, _) => ProfitAndLoss(company, http.Request.Query, fake)));
        });
        self = new QuickBooksFake(provider);
        return self;
    }

    private static string Now => DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffzzz", CultureInfo.InvariantCulture);
    private static (int, string) Ok(JsonObject body) { body["time"] = Now; return (200, body.ToJsonString()); }

    /// <summary>Intuit's fault: <c>{"Fault":{"Error":[{"Message","Detail","code","element"}],"type"},"time"}</c>.</summary>
    public static (int, string) Fault(int status, string code, string message, string detail, string type = "ValidationFault") =>
        (status, new JsonObject
        {
            ["Fault"] = new JsonObject
            {
                ["Error"] = new JsonArray(new JsonObject { ["Message"] = message, ["Detail"] = detail, ["code"] = code, ["element"] = "" }), ["type"] = type,
            },
            ["time"] = Now,
        }.ToJsonString());

    private async Task<IResult> Api(HttpContext http, FakeProvider fake, string env, string realm, Func<Company, JsonObject?, (int Status, string Body)> handle)
    {
        var minor = http.Request.Query["minorversion"].ToString();
        fake.Require(int.TryParse(minor, NumberStyles.None, CultureInfo.InvariantCulture, out var version) && version >= 75,
            $"minorversion {minor}: every call names one, and 1 to 74 are no longer served");
        fake.Require(http.Request.Headers.Accept.ToString().Contains("application/json", StringComparison.Ordinal), "Accept: application/json (XML otherwise)");
        var auth = http.Request.Headers.Authorization.ToString();
        if (!auth.StartsWith("Bearer ", StringComparison.Ordinal) || !_byAccess.TryGetValue(auth["Bearer ".Length..], out var company) || company.Environment != env)
            return Json((401, new JsonObject
            {
                ["fault"] = new JsonObject
                {
                    ["error"] = new JsonArray(new JsonObject
                    {
                        ["message"] = "message=AuthenticationFailed; errorCode=003200; statusCode=401", ["detail"] = "Token expired: " + auth.Length, ["code"] = "3200",
                    }),
                    ["type"] = "AUTHENTICATION",
                },
                ["time"] = Now,
            }.ToJsonString()));
        if (company.Realm != realm)
            return Json(Fault(403, "003100", "message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403", "", "SECURITY"));
        if (company.ThrottleNext > 0)
        {
            company.ThrottleNext--;
            return Json(Fault(429, "3001", "message=ThrottleExceeded; errorCode=003001; statusCode=429", "The request limit was reached.", "SERVICE"));
        }
        JsonObject? body = null;
        if (HttpMethods.IsPost(http.Request.Method))
        {
            fake.Require(http.Request.ContentType?.StartsWith("application/json", StringComparison.Ordinal) == true, "QuickBooks takes JSON bodies");
            try { body = await JsonNode.ParseAsync(http.Request.Body) as JsonObject; } catch (System.Text.Json.JsonException) { }
            if (body is null) return Json(Fault(400, "2020", "Required param missing, need to supply the required value for the API", "Request body is not JSON"));
            var requestId = http.Request.Query["requestid"].ToString();
            fake.Require(requestId.Length > 0, $"a write to {http.Request.Path} without requestid cannot be retried safely");
            // https://developer.intuit.com/app/developer/qbo/docs/learn/rest-api-features#idempotency: the same request id answers the first answer.
            var key = http.Request.Path + "\n" + requestId;
            if (requestId.Length > 0 && company.Replies.TryGetValue(key, out var earlier)) return Json(earlier);
            var answer = handle(company, body);
            if (requestId.Length > 0) company.Replies[key] = answer;
            return Json(answer);
        }
        return Json(handle(company, body));
    }

    private static IResult Json((int Status, string Body) answer) => Results.Content(answer.Body, "application/json", Encoding.UTF8, answer.Status);

    private static readonly Regex Select = new(@"^select \* from (\w+) where (\w+) = '((?:[^'\\]|\\.)*)'$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

    private static (int, string) Query(Company company, string query, FakeProvider fake)
    {
        var match = Select.Match(query);
        if (!fake.Require(match.Success, $"query '{query}' is not one this fake knows (quotes must be escaped with a backslash)"))
            return Fault(400, "4000", "Error parsing query", "QueryParserError: Encountered an unexpected token");
        var (entity, field, value) = (match.Groups[1].Value, match.Groups[2].Value, Unescape(match.Groups[3].Value));
        fake.Require(entity == "Customer" && field is "PrimaryEmailAddr" or "DisplayName", $"query of {entity}.{field}");
        var found = company.Customers.Values.Where(c => field == "PrimaryEmailAddr"
            ? string.Equals(c["PrimaryEmailAddr"]?["Address"]?.GetValue<string>(), value, StringComparison.OrdinalIgnoreCase)
            : string.Equals(c["DisplayName"]?.GetValue<string>(), value, StringComparison.OrdinalIgnoreCase)).Select(c => c.DeepClone()).ToArray();
        var response = new JsonObject();
        if (found.Length > 0) { response["Customer"] = new JsonArray(found); response["startPosition"] = 1; response["maxResults"] = found.Length; }
        return Ok(new JsonObject { ["QueryResponse"] = response });
    }

    /// <summary>A literal's text: a backslash takes the next character as it is.</summary>
    private static string Unescape(string literal)
    {
        var text = new StringBuilder();
        for (var i = 0; i < literal.Length; i++) text.Append(literal[i] == '\\' && i + 1 < literal.Length ? literal[++i] : literal[i]);
        return text.ToString();
    }

    private static (int, string) CreateCustomer(Company company, JsonObject body, FakeProvider fake)
    {
        var name = body["DisplayName"]?.GetValue<string>();
        if (string.IsNullOrWhiteSpace(name))
            return Fault(400, "2020", "Required param missing, need to supply the required value for the API", "Required parameter DisplayName or a name field is missing in the request");
        fake.Require(name.Length <= 500 && !name.Contains(':', StringComparison.Ordinal), "DisplayName: at most 500 characters, no colon");
        var email = body["PrimaryEmailAddr"]?["Address"]?.GetValue<string>();
        fake.Require(email is null || (email.Length <= 100 && email.Contains('@', StringComparison.Ordinal)), "PrimaryEmailAddr.Address must be an email of at most 100 characters");
        lock (company)
        {
            if (company.Customers.Values.Any(c => string.Equals(c["DisplayName"]?.GetValue<string>(), name, StringComparison.OrdinalIgnoreCase)))
                return Fault(400, "6240", "Duplicate Name Exists Error",
                    $"The name supplied already exists. : Another customer, vendor or employee is already using this name. Please use a different name.");
            var customer = company.AddCustomer(name, email);
            if (body["CompanyName"]?.GetValue<string>() is { } companyName) customer["CompanyName"] = companyName;
            return Ok(new JsonObject { ["Customer"] = customer.DeepClone() });
        }
    }

    private (int, string) CreateInvoice(Company company, JsonObject body, FakeProvider fake)
    {
        var customerId = body["CustomerRef"]?["value"]?.GetValue<string>();
        if (customerId is null || !company.Customers.ContainsKey(customerId))
            return Fault(400, "2500", "Invalid Reference Id", $"Invalid Reference Id : Something you're trying to use has been made inactive. Check the fields with accounts, customers, items, vendors or employees. CustomerRef {customerId}");
        if (body["Line"] is not JsonArray { Count: > 0 } lines)
            return Fault(400, "2020", "Required param missing, need to supply the required value for the API", "Required parameter Line is missing in the request");
        var total = 0m;
        foreach (var line in lines.OfType<JsonObject>())
        {
            fake.Require(line["DetailType"]?.GetValue<string>() == "SalesItemLineDetail", "a line's DetailType is SalesItemLineDetail");
            var amount = line["Amount"]?.GetValue<decimal>() ?? 0;
            var detail = line["SalesItemLineDetail"] as JsonObject;
            var item = detail?["ItemRef"]?["value"]?.GetValue<string>();
            if (item is null || !company.Items.Contains(item))
                return Fault(400, "2500", "Invalid Reference Id", $"Invalid Reference Id : Item {item} is not a product or service of this company.");
            if (detail!["Qty"] is { } qty && detail["UnitPrice"] is { } price)
                fake.Require(qty.GetValue<decimal>() * price.GetValue<decimal>() == amount, "Amount must equal Qty × UnitPrice");
            total += amount;
        }
        var txnDate = body["TxnDate"]?.GetValue<string>() ?? Clock.GetUtcNow().ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        fake.Require(DateOnly.TryParseExact(txnDate, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _), "TxnDate is yyyy-MM-dd");
        var invoice = (JsonObject)body.DeepClone();
        var id = company.NextId();
        invoice["Id"] = id;
        invoice["DocNumber"] = (1000 + company.Invoices.Count + 1).ToString(CultureInfo.InvariantCulture);
        invoice["SyncToken"] = "0";
        invoice["TxnDate"] = txnDate;
        invoice["TotalAmt"] = total;
        invoice["Balance"] = total;
        company.Invoices.Enqueue(invoice);
        return Ok(new JsonObject { ["Invoice"] = invoice.DeepClone() });
    }

    /// <summary>The report as Intuit lays it out: sections by <c>group</c>, each with a Summary whose last column is the total.</summary>
    private static (int, string) ProfitAndLoss(Company company, IQueryCollection query, FakeProvider fake)
    {
        var ok = DateOnly.TryParseExact(query["start_date"].ToString(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var start)
            & DateOnly.TryParseExact(query["end_date"].ToString(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var end);
        fake.Require(ok, "start_date and end_date are yyyy-MM-dd");
        var method = query["accounting_method"].ToString();
        fake.Require(method is "" or "Cash" or "Accrual", "accounting_method is Cash or Accrual");
        var income = company.Invoices.Where(i => DateOnly.ParseExact(i["TxnDate"]!.GetValue<string>(), "yyyy-MM-dd", CultureInfo.InvariantCulture) is var d && d >= start && d <= end)
            .Sum(i => i["TotalAmt"]!.GetValue<decimal>());
        static JsonObject Section(string group, string title, decimal amount) => new()
        {
            ["Summary"] = new JsonObject { ["ColData"] = new JsonArray(new JsonObject { ["value"] = title }, new JsonObject { ["value"] = amount.ToString("0.00", CultureInfo.InvariantCulture) }) },
            ["type"] = "Section", ["group"] = group,
        };
        return Ok(new JsonObject
        {
            ["Header"] = new JsonObject
            {
                ["Time"] = Now, ["ReportName"] = "ProfitAndLoss", ["ReportBasis"] = method is "" ? "Accrual" : method,
                ["StartPeriod"] = start.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), ["EndPeriod"] = end.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                ["SummarizeColumnsBy"] = "Total", ["Currency"] = "USD",
            },
            ["Columns"] = new JsonObject { ["Column"] = new JsonArray(new JsonObject { ["ColTitle"] = "", ["ColType"] = "Account" }, new JsonObject { ["ColTitle"] = "Total", ["ColType"] = "Money" }) },
            ["Rows"] = new JsonObject
            {
                ["Row"] = new JsonArray(Section("Income", "Total Income", income), Section("GrossProfit", "Gross Profit", income),
                    Section("Expenses", "Total Expenses", company.Expenses), Section("NetOperatingIncome", "Net Operating Income", income - company.Expenses),
                    Section("NetIncome", "Net Income", income - company.Expenses)),
            },
        });
    }

    /// <summary>HTTP Basic client authentication only (Intuit's token endpoint takes no client secret in the form).</summary>
    private static bool ClientAuthenticated(HttpContext http, FakeProvider fake)
    {
        var auth = http.Request.Headers.Authorization.ToString();
        var expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(Uri.EscapeDataString(ClientId) + ":" + Uri.EscapeDataString(ClientSecret)));
        return fake.Require(auth == expected, "Intuit's OAuth endpoints take HTTP Basic client authentication");
    }

    private async Task<IResult> TokenAsync(HttpContext http, FakeProvider fake)
    {
        fake.Require(http.Request.ContentType?.StartsWith("application/x-www-form-urlencoded", StringComparison.Ordinal) == true, "the token request is form-encoded");
        fake.Require(http.Request.Headers.Accept.ToString().Contains("application/json", StringComparison.Ordinal), "Accept: application/json");
        if (!ClientAuthenticated(http, fake)) return Results.Json(new { error = "invalid_client" }, statusCode: 401);
        var form = await http.Request.ReadFormAsync();
        fake.Require(!form.ContainsKey("client_secret"), "the client secret goes in the Authorization header only");
        Company? company;
        switch (form["grant_type"].ToString())
        {
            case "authorization_code":
                fake.Require(form["redirect_uri"].ToString().Length > 0, "redirect_uri is required with the code");
                if (!_byCode.TryRemove(form["code"].ToString(), out company)) return Results.Json(new { error = "invalid_grant" }, statusCode: 400);
                break;
            case "refresh_token":
                if (!_byRefresh.TryRemove(form["refresh_token"].ToString(), out company)) return Results.Json(new { error = "invalid_grant" }, statusCode: 400);
                Interlocked.Increment(ref company._refreshes);
                break;
            default:
                fake.Violation($"grant_type {form["grant_type"]}");
                return Results.Json(new { error = "unsupported_grant_type" }, statusCode: 400);
        }
        // Refresh tokens rotate: the answer's refresh token replaces the one used.
        var n = Interlocked.Increment(ref _tokens);
        if (company.AccessToken is { } old) _byAccess.TryRemove(old, out _);
        company.AccessToken = $"eyJ-qbo-at-{n}";
        company.RefreshToken = $"AB11-qbo-rt-{n}";
        _byAccess[company.AccessToken] = company;
        _byRefresh[company.RefreshToken] = company;
        return Results.Json(new { token_type = "bearer", expires_in = 3600, refresh_token = company.RefreshToken, x_refresh_token_expires_in = 8726400, access_token = company.AccessToken });
    }

    private async Task<IResult> RevokeAsync(HttpContext http, FakeProvider fake)
    {
        fake.Require(http.Request.Headers.Accept.ToString().Contains("application/json", StringComparison.Ordinal), "Accept: application/json");
        fake.Require(http.Request.ContentType?.StartsWith("application/json", StringComparison.Ordinal) == true, "the revocation body is JSON");
        if (!ClientAuthenticated(http, fake)) return Results.Json(new { error = "invalid_client" }, statusCode: 401);
        var token = (await JsonNode.ParseAsync(http.Request.Body))?["token"]?.GetValue<string>();
        if (!fake.Require(token is not null, "the revocation names the token")) return Results.Json(new { error = "invalid_request" }, statusCode: 400);
        if (_byRefresh.TryRemove(token!, out var company) || _byAccess.TryGetValue(token!, out company))
        {
            Interlocked.Increment(ref company._revocations);
            if (company.AccessToken is { } access) _byAccess.TryRemove(access, out _);
            if (company.RefreshToken is { } refresh) _byRefresh.TryRemove(refresh, out _);
        }
        return Results.Ok();
    }

    public ValueTask DisposeAsync() => Provider.DisposeAsync();
}

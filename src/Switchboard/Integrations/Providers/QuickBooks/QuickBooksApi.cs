using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Switchboard.Integrations.Connectors;

namespace Switchboard.Integrations.Providers.QuickBooks;

/// <summary>
/// Calls to the QuickBooks Online Accounting API as Intuit documents them
/// (https://developer.intuit.com/app/developer/qbo/docs/learn/rest-api-features): every URL under
/// <c>{base}/v3/company/{realmId}</c>, <c>Accept: application/json</c> (the default answer is XML), one
/// <c>minorversion</c> on every call (https://developer.intuit.com/app/developer/qbo/docs/learn/explore-the-quickbooks-online-api/minor-versions:
/// versions 1 to 74 are no longer served), and <c>requestid</c> on writes: QuickBooks answers a repeated request id with
/// the first request's answer instead of acting again (https://developer.intuit.com/app/developer/qbo/docs/learn/rest-api-features#idempotency).
/// </summary>
public static class QuickBooksApi
{
    /// <summary>The one minor version every call names (the lowest Intuit still serves).</summary>
    public const string MinorVersion = "75";

    /// <summary>The key under which the company's realm id is kept with the tokens (<see cref="ProviderTokens.Extra"/>).</summary>
    public const string RealmIdExtra = "realmId", CompanyNameExtra = "companyName";

    /// <summary>A realm id is the company's number; anything else in a callback is refused before it goes into a URL.</summary>
    public static bool IsRealmId(string? value) => value is { Length: > 0 and <= 32 } && value.All(char.IsAsciiDigit);

    public static async Task<string> RealmIdAsync(ConnectorContext context, CancellationToken cancellationToken)
    {
        var realm = (await context.Http.TokensAsync(cancellationToken)).ExtraValue(RealmIdExtra);
        return IsRealmId(realm) ? realm!
            : throw new ProviderException("The QuickBooks connection names no company (realmId): connect the installation again.", null, "no_realm_id", retryable: false)
            { NeedsReauthorization = true };
    }

    /// <summary>Production's or the sandbox's host (the installation's <c>environment</c>), as the operator configured it or the definition declares it.</summary>
    public static string Host(ConnectorContext context) =>
        context.BaseUrl(context.Value("environment") == "sandbox" ? QuickBooksDefinition.Sandbox : QuickBooksDefinition.Production);

    public static string CompanyUrl(ConnectorContext context, string realmId) => $"{Host(context)}/v3/company/{realmId}";

    /// <summary>One call: <paramref name="path"/> under the company, the minor version (and a request id for a write) added to the query.</summary>
    public static async Task<ProviderResponse> SendAsync(ConnectorContext context, string realmId, HttpMethod method, string path, JsonObject? body,
        CancellationToken cancellationToken, string? query = null, string? requestId = null)
    {
        var url = $"{CompanyUrl(context, realmId)}{path}?minorversion={MinorVersion}{(query is null ? "" : "&" + query)}"
            + (requestId is null ? "" : "&requestid=" + Uri.EscapeDataString(requestId));
        var json = body?.ToJsonString();
        var response = await context.Http.SendAsync(() =>
        {
            var request = new HttpRequestMessage(method, url);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            if (json is not null) request.Content = new StringContent(json, new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" });
            return request;
        }, cancellationToken);
        return response.IsSuccess ? response : throw QuickBooksErrors.From(response, context.Time);
    }

    /// <summary>
    /// A query (https://developer.intuit.com/app/developer/qbo/docs/learn/explore-the-quickbooks-online-api/data-queries):
    /// <c>GET /query?query=select …</c>; answers the entities of <paramref name="entity"/> found.
    /// </summary>
    public static async Task<List<JsonObject>> QueryAsync(ConnectorContext context, string realmId, string entity, string statement, CancellationToken cancellationToken)
    {
        var response = await SendAsync(context, realmId, HttpMethod.Get, "/query", null, cancellationToken, "query=" + Uri.EscapeDataString(statement));
        return ((response.Json() as JsonObject)?["QueryResponse"]?[entity] as JsonArray ?? []).OfType<JsonObject>().ToList();
    }

    /// <summary>A string literal of the query language: in single quotes, a quote in it escaped with a backslash, as Intuit's query reference says.</summary>
    public static string Literal(string value) => "'" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal) + "'";

    /// <summary>
    /// A request id for one write of one installation: a SHA-256 of the installation, the write and the action's key, so
    /// a retried job sends the same id (QuickBooks then answers the first attempt's result) and no two installations share one.
    /// </summary>
    public static string RequestId(ConnectorContext context, string write, string key) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{context.Installation.Id}\n{write}\n{key}")))[..32];

    public static string Money(decimal amount) => amount.ToString("0.00", CultureInfo.InvariantCulture);

    public static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0 ? s : null;
}

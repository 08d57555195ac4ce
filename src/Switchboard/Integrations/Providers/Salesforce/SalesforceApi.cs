using System.Globalization;
using System.Text.Json.Nodes;
using Switchboard.Integrations.Connectors;

namespace Switchboard.Integrations.Providers.Salesforce;

/// <summary>
/// Where and how an installation talks to its Salesforce org. The REST API lives on the org's own host, named by the
/// token answer's <c>instance_url</c> (https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_web_server_flow.htm):
/// it is checked before a token is sent there (https, a host under <c>my.salesforce.com</c>, Salesforce's My Domain
/// hosts, sandboxes included), unless the operator configured the provider's <c>BaseUrls:api</c>, which then wins
/// (a proxy, a government cloud, the tests' fake). The API version is pinned here, in one place.
/// </summary>
public static class SalesforceApi
{
    /// <summary>Winter '25 (https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/dome_versions.htm).</summary>
    public const string Version = "v62.0";

    /// <summary>Salesforce's My Domain hosts (https://help.salesforce.com/s/articleView?id=sf.domain_name_formats.htm).</summary>
    public const string InstanceDomain = ".my.salesforce.com";

    /// <summary>The org's REST root: <c>https://….my.salesforce.com/services/data/v62.0</c>.</summary>
    public static async Task<string> RootAsync(ConnectorContext context, CancellationToken cancellationToken)
    {
        if (ProviderUrls.ConfiguredBaseUrl(context.Options, SalesforceDefinition.Key) is { } configured) return configured + "/services/data/" + Version;
        var tokens = await context.Http.TokensAsync(cancellationToken);
        return CheckedInstance(tokens.ExtraValue("instance_url")) + "/services/data/" + Version;
    }

    /// <summary>The org's instance URL when it is one Salesforce documents (https, default port, a My Domain host); refused otherwise.</summary>
    public static string CheckedInstance(string? instanceUrl)
    {
        if (instanceUrl is null)
            throw new ProviderException("The Salesforce connection has no instance_url: connect again.", null, null, retryable: false) { NeedsReauthorization = true };
        return ProviderUrls.ProviderOrigin(instanceUrl, InstanceDomain)
            ?? throw new ProviderException($"Salesforce's instance_url '{ProviderException.Truncate(instanceUrl)}' is not an https My Domain host (*{InstanceDomain}); " +
                "no token is sent there.", null, null, retryable: false);
    }

    /// <summary>
    /// The <c>Sforce-Limit-Info</c> header Salesforce puts on every REST answer, <c>api-usage=used/limit</c>
    /// (https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/headers_api_usage.htm), or null.
    /// </summary>
    public static (long Used, long Limit)? Usage(ProviderResponse response)
    {
        var header = response.HeaderValue("Sforce-Limit-Info");
        if (header is null) return null;
        foreach (var part in header.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!part.StartsWith("api-usage=", StringComparison.OrdinalIgnoreCase)) continue;
            var numbers = part["api-usage=".Length..].Split('/');
            if (numbers.Length == 2 && long.TryParse(numbers[0], NumberStyles.None, CultureInfo.InvariantCulture, out var used)
                && long.TryParse(numbers[1], NumberStyles.None, CultureInfo.InvariantCulture, out var limit) && limit > 0)
                return (used, limit);
        }
        return null;
    }

    /// <summary>The share of the org's daily API requests from which the connector reports it is near the limit.</summary>
    public const double NearLimit = 0.9;

    public static bool IsNearLimit((long Used, long Limit)? usage) => usage is { } u && (double)u.Used / u.Limit > NearLimit;

    /// <summary>
    /// Salesforce's error answer (https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/errorcodes.htm):
    /// a JSON array of <c>{"message", "errorCode", "fields"}</c>. 401 <c>INVALID_SESSION_ID</c> reaches here only after the
    /// client's one refresh, so the grant is gone. 403 <c>REQUEST_LIMIT_EXCEEDED</c> is the org's rolling 24-hour API
    /// allowance used up: retryable, after an hour unless Salesforce says otherwise. Other 4xx are refusals with
    /// Salesforce's message; 5xx, 429 and 503 (server busy) are retryable.
    /// </summary>
    public static ProviderException Error(ProviderResponse response, TimeProvider time)
    {
        var first = (response.Json() as JsonArray)?.OfType<JsonObject>().FirstOrDefault() ?? response.Json() as JsonObject;
        var code = Text(first, "errorCode") ?? Text(first, "error");
        var message = Text(first, "message") ?? Text(first, "error_description");
        var fields = first?["fields"] is JsonArray f && f.Count > 0 ? $" ({string.Join(", ", f.Select(x => x?.ToString()))})" : "";
        var error = code is null ? ProviderException.Truncate(response.Body) : $"{code}: {message}{fields}";
        if (code == "REQUEST_LIMIT_EXCEEDED")
        {
            var usage = Usage(response);
            return new ProviderException($"The Salesforce org's API request limit is used up{(usage is { } u ? $" ({u.Used}/{u.Limit})" : "")}.", response.Status, error,
                retryable: true, ProviderClient.RetryAfter(response, time) ?? TimeSpan.FromHours(1));
        }
        if (response.Status == 401)
            return new ProviderException("Salesforce refused the session after a refresh: connect again.", 401, error, retryable: false) { NeedsReauthorization = true };
        return ProviderException.From(response, "Salesforce", error, ProviderClient.RetryAfter(response, time));
    }

    internal static string? Text(JsonObject? json, string name) => json?[name] is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0 ? s : null;

    /// <summary>A SOQL string literal: quotes and backslashes escaped (https://developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/soql_sosl/sforce_api_calls_soql_select_quotedstringescapes.htm).</summary>
    public static string Literal(string value) => "'" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal)
        .Replace("\n", "\\n", StringComparison.Ordinal).Replace("\r", "\\r", StringComparison.Ordinal) + "'";

    /// <summary>A SOQL dateTime literal (unquoted, UTC): https://developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/soql_sosl/sforce_api_calls_soql_select_dateformats.htm.</summary>
    public static string DateTimeLiteral(DateTime at) => at.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    /// <summary>Salesforce's dateTime values: <c>2026-12-04T19:45:27.000+0000</c> (the offset without a colon, which .NET wants).</summary>
    public static DateTime? ParseTime(string? text)
    {
        if (string.IsNullOrEmpty(text)) return null;
        if (text.Length > 5 && text[^5] is '+' or '-' && text[^4..].All(char.IsAsciiDigit)) text = text[..^2] + ":" + text[^2..];
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at.UtcDateTime : null;
    }

    /// <summary>A time as Salesforce writes it.</summary>
    public static string FormatTime(DateTime at) => at.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'+0000'", CultureInfo.InvariantCulture);
}

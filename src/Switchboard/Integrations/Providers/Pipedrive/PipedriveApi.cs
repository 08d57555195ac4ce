using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Switchboard.Integrations.Connectors;

namespace Switchboard.Integrations.Providers.Pipedrive;

/// <summary>
/// Pipedrive's API v1 (https://developers.pipedrive.com/docs/api/v1) on the company's own domain, the token answer's
/// <c>api_domain</c> (https://pipedrive.readme.io/docs/marketplace-oauth-authorization), checked before a token goes
/// there: https, default port, a host under <c>pipedrive.com</c>; the operator's <c>BaseUrls:api</c> wins when set.
/// Answers are <c>{"success", "data", "additional_data"}</c>; refusals <c>{"success": false, "error", "error_info"}</c>;
/// a 429 carries <c>x-ratelimit-reset</c> (seconds until the window resets) and may carry <c>Retry-After</c>
/// (https://pipedrive.readme.io/docs/core-api-concepts-rate-limiting).
/// </summary>
public static class PipedriveApi
{
    public const string Domain = ".pipedrive.com";

    public static async Task<string> RootAsync(ConnectorContext context, CancellationToken cancellationToken)
    {
        if (ProviderUrls.ConfiguredBaseUrl(context.Options, PipedriveDefinition.Key) is { } configured) return configured + "/api/v1";
        return CheckedDomain((await context.Http.TokensAsync(cancellationToken)).ExtraValue("api_domain")) + "/api/v1";
    }

    /// <summary>The company's API domain when it is one Pipedrive documents (https, default port, a *.pipedrive.com host); refused otherwise.</summary>
    public static string CheckedDomain(string? apiDomain)
    {
        if (apiDomain is null)
            throw new ProviderException("The Pipedrive connection has no api_domain: connect again.", null, null, retryable: false) { NeedsReauthorization = true };
        return ProviderUrls.ProviderOrigin(apiDomain, Domain)
            ?? throw new ProviderException($"Pipedrive's api_domain '{ProviderException.Truncate(apiDomain)}' is not an https *{Domain} host; no token is sent there.",
                null, null, retryable: false);
    }

    public static async Task<JsonObject> SendAsync(ConnectorContext context, HttpMethod method, string pathAndQuery, JsonObject? body, TimeProvider time,
        CancellationToken cancellationToken)
    {
        var url = await RootAsync(context, cancellationToken) + pathAndQuery;
        var response = await context.Http.SendAsync(() => new HttpRequestMessage(method, url) { Content = body is null ? null : JsonContent.Create(body) }, cancellationToken);
        if (!response.IsSuccess) throw Error(response, time);
        return response.Json() as JsonObject ?? throw new ProviderException("Pipedrive's answer is not JSON.", response.Status, null, retryable: true);
    }

    public static ProviderException Error(ProviderResponse response, TimeProvider time)
    {
        var json = response.Json() as JsonObject;
        var message = Text(json, "error");
        var info = Text(json, "error_info");
        var error = message is null ? ProviderException.Truncate(response.Body) : info is null ? message : $"{message} ({info})";
        if (response.Status == 429)
        {
            var wait = ProviderClient.RetryAfter(response, time)
                ?? (long.TryParse(response.HeaderValue("x-ratelimit-reset"), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds is > 0 and <= 86_400
                    ? TimeSpan.FromSeconds(seconds) : TimeSpan.FromSeconds(2));
            return new ProviderException("Pipedrive's rate limit was reached.", 429, error, retryable: true, wait);
        }
        if (response.Status == 401)
            return new ProviderException("Pipedrive refused the token after a refresh: connect again.", 401, error, retryable: false) { NeedsReauthorization = true };
        return ProviderException.From(response, "Pipedrive", error, ProviderClient.RetryAfter(response, time));
    }

    internal static string? Text(JsonObject? json, string name) => json?[name] is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0 ? s : null;

    /// <summary>A whole number however the node holds it (parsed JSON, a CLR number from a rule's template, or digits in a string).</summary>
    internal static long? Long(JsonNode? node) => node is JsonValue v
        && long.TryParse(v.GetValueKind() == System.Text.Json.JsonValueKind.String ? v.GetValue<string>() : v.ToJsonString(), NumberStyles.None, CultureInfo.InvariantCulture, out var n)
        ? n : null;

    /// <summary>A JSON number however the node holds it.</summary>
    internal static decimal? Number(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.Number
            && decimal.TryParse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var number) ? number : null;

    /// <summary>Pipedrive's times: <c>2026-12-04 19:45:27</c>, UTC.</summary>
    public static DateTime? ParseTime(string? text) =>
        DateTime.TryParseExact(text, "yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var at) ? at : null;

    public static string FormatTime(DateTime at) => at.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    /// <summary>The next <c>start</c> of v1's offset paging (<c>additional_data.pagination</c>), or null on the last page.</summary>
    public static long? NextStart(JsonObject answer) =>
        answer["additional_data"]?["pagination"] is JsonObject p && p["more_items_in_collection"] is JsonValue more && more.TryGetValue<bool>(out var m) && m
            ? Long(p["next_start"]) : null;
}

using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Switchboard.Integrations.Connectors;

namespace Switchboard.Integrations.Providers.GitHub;

/// <summary>
/// Calls to GitHub's REST API as GitHub documents them (https://docs.github.com/en/rest/using-the-rest-api/getting-started-with-the-rest-api):
/// <c>Accept: application/vnd.github+json</c>, <c>X-GitHub-Api-Version: 2022-11-28</c>
/// (https://docs.github.com/en/rest/about-the-rest-api/api-versions) and a <c>User-Agent</c> (the provider client sends
/// one on every request); the token as a bearer token. Errors are <c>{"message","documentation_url","errors":[…]}</c>
/// (https://docs.github.com/en/rest/using-the-rest-api/troubleshooting-the-rest-api). Rate limits
/// (https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api): the primary limit answers 403 or 429
/// with <c>x-ratelimit-remaining: 0</c> and <c>x-ratelimit-reset</c> (epoch seconds); a secondary limit answers 403 or 429
/// with <c>retry-after</c> (seconds), or without it, in which case GitHub asks to wait at least a minute.
/// </summary>
public static partial class GitHubApi
{
    public const string MediaType = "application/vnd.github+json", ApiVersion = "2022-11-28";
    /// <summary>GitHub's largest page (<c>per_page</c> up to 100).</summary>
    public const int PageSize = 100;

    public static string Owner(ConnectorContext context) => context.Required("owner");
    public static string Repo(ConnectorContext context) => context.Required("repo");

    /// <summary><c>/repos/{owner}/{repo}</c>, escaped.</summary>
    public static string RepoPath(ConnectorContext context) => $"/repos/{Uri.EscapeDataString(Owner(context))}/{Uri.EscapeDataString(Repo(context))}";

    public static async Task<ProviderResponse> SendAsync(ConnectorContext context, HttpMethod method, string pathAndQuery, JsonObject? body,
        CancellationToken cancellationToken, bool throwOnError = true)
    {
        var url = context.BaseUrl() + pathAndQuery;
        var json = body?.ToJsonString();
        var response = await context.Http.SendAsync(() =>
        {
            var request = new HttpRequestMessage(method, url);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(MediaType));
            request.Headers.Add("X-GitHub-Api-Version", ApiVersion);
            if (json is not null) request.Content = new StringContent(json, new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" });
            return request;
        }, cancellationToken);
        return response.IsSuccess || !throwOnError ? response : throw Error(response, context.Time);
    }

    /// <summary>GitHub's error body read into a <see cref="ProviderException"/>, retryable for its rate limits and 5xx.</summary>
    public static ProviderException Error(ProviderResponse response, TimeProvider time)
    {
        var json = response.Json() as JsonObject;
        var message = Text(json?["message"]);
        var details = (json?["errors"] as JsonArray ?? []).Select(e => e switch
        {
            JsonObject o => Text(o["message"]) ?? string.Join(" ", new[] { Text(o["resource"]), Text(o["field"]), Text(o["code"]) }.OfType<string>()),
            _ => Text(e),
        }).Where(d => !string.IsNullOrEmpty(d)).ToList();
        var providerError = message is null ? ProviderException.Truncate(response.Body)
            : message + (details.Count == 0 ? "" : " (" + string.Join("; ", details) + ")");
        if (response.Status is 403 or 429 && RateLimitWait(response, message, time) is { } wait)
            return new ProviderException($"GitHub's rate limit was reached: {providerError}.", response.Status, providerError, retryable: true, wait);
        // A 401 after the client's one refresh (or with a token that never expires) means the grant is gone.
        return new ProviderException($"GitHub answered {response.Status}{(providerError is null ? "" : ": " + providerError)}.", response.Status, providerError,
            response.Status is 408 or >= 500) { NeedsReauthorization = response.Status == 401 };
    }

    /// <summary>The wait a rate-limited answer asks for, or null when the 403 is a refusal (permissions, a blocked resource).</summary>
    private static TimeSpan? RateLimitWait(ProviderResponse response, string? message, TimeProvider time)
    {
        if (response.HeaderValue("x-ratelimit-remaining") == "0"
            && long.TryParse(response.HeaderValue("x-ratelimit-reset"), NumberStyles.None, CultureInfo.InvariantCulture, out var reset))
        {
            var wait = DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(reset, 0, 253_402_300_799)) - time.GetUtcNow();
            return wait < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : wait > TimeSpan.FromHours(1) ? TimeSpan.FromHours(1) : wait;
        }
        if (Platform.Http.RetryAfterHeader.Of(response.Headers, time) is { } after) return after;
        // A secondary limit without retry-after: "wait for at least one minute before retrying".
        if (response.Status == 429 || (message?.Contains("rate limit", StringComparison.OrdinalIgnoreCase) ?? false)) return TimeSpan.FromMinutes(1);
        return null;
    }

    [GeneratedRegex("<([^>]+)>\\s*;\\s*rel=\"next\"")]
    private static partial Regex NextLink();

    /// <summary>The <c>page</c> of the <c>Link</c> header's rel="next" URL (https://docs.github.com/en/rest/using-the-rest-api/using-pagination-in-the-rest-api), or null on the last page.</summary>
    public static int? NextPage(ProviderResponse response)
    {
        if (response.HeaderValue("Link") is not { } link || NextLink().Match(link) is not { Success: true } match) return null;
        if (!Uri.TryCreate(match.Groups[1].Value, UriKind.Absolute, out var next)) return null;
        var page = System.Web.HttpUtility.ParseQueryString(next.Query)["page"];
        return int.TryParse(page, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : null;
    }

    /// <summary>The installation's inbound URL, which the repository hook delivers to: needs the node's public base URL.</summary>
    public static string CallbackUrl(ConnectorContext context) =>
        (context.Options.PublicBaseUrl is { Length: > 0 } publicBase ? publicBase.TrimEnd('/')
            : throw new ProviderException("GitHub needs this node's public URL to deliver to: set Switchboard:PublicBaseUrl.", null, "public_url_not_set", retryable: false))
        + $"/api/v1/integrations/{context.Installation.Id}/inbound/{GitHubDefinition.Events}";

    public static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0 ? s : null;

    public static long? Number(JsonNode? node) => node is JsonValue v && v.TryGetValue<long>(out var n) ? n : null;

    public static DateTime? Time(JsonNode? node) =>
        Text(node) is { } text && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at.UtcDateTime : null;

    public static string Cut(string text, int max) => text.Length <= max ? text : text[..max];
}

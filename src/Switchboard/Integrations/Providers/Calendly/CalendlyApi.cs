using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Switchboard.Integrations.Connectors;

namespace Switchboard.Integrations.Providers.Calendly;

/// <summary>
/// Calls to Calendly's API v2 and its answers as Calendly documents them. A personal access token or the OAuth access
/// token goes as a bearer token; errors are <c>{"title","message","details":[{"parameter","message"}]}</c>; a 429 carries
/// <c>X-RateLimit-Reset</c>, the seconds until the window resets (https://developer.calendly.com/api-docs/overview/rate-limits);
/// lists are <c>{"collection":[…],"pagination":{"next_page_token",…}}</c>, followed by <c>page_token</c>.
/// </summary>
public static class CalendlyApi
{
    /// <summary>Calendly's largest page (<c>count</c> is 1 to 100).</summary>
    public const int PageSize = 100;

    /// <summary>An installation with a personal access token and no OAuth connection uses the token.</summary>
    public static bool UsesPersonalToken(ConnectorContext context) =>
        context.Installation.TokensEncrypted is null && context.Value("personalAccessToken") is { Length: > 0 };

    public static async Task<ProviderResponse> SendAsync(ConnectorContext context, HttpMethod method, string pathAndQuery, JsonObject? body, CancellationToken cancellationToken)
    {
        var url = context.BaseUrl() + pathAndQuery;
        var json = body?.ToJsonString();
        var personal = UsesPersonalToken(context) ? context.Value("personalAccessToken") : null;
        var response = await context.Http.SendAsync(() =>
        {
            var request = new HttpRequestMessage(method, url);
            if (json is not null) request.Content = new StringContent(json, new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" });
            if (personal is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", personal);
            return request;
        }, cancellationToken, authenticate: personal is null);
        return response.IsSuccess ? response : throw Error(response, context.Time, oauth: personal is null);
    }

    /// <summary>Calendly's error body read into a <see cref="ProviderException"/>: its title, message and each detail.</summary>
    public static ProviderException Error(ProviderResponse response, TimeProvider time, bool oauth)
    {
        var json = response.Json() as JsonObject;
        var title = Text(json?["title"]);
        var message = Text(json?["message"]);
        var details = (json?["details"] as JsonArray ?? []).OfType<JsonObject>()
            .Select(d => Text(d["parameter"]) is { } parameter ? $"{parameter}: {Text(d["message"])}" : Text(d["message"])).OfType<string>().ToList();
        var providerError = title is null && message is null ? null
            : $"{title}{(title is not null && message is not null ? ": " : "")}{message}{(details.Count == 0 ? "" : " (" + string.Join("; ", details) + ")")}";
        if (response.Status == 429)
            return new ProviderException($"Calendly's rate limit was reached: {providerError}.", 429, providerError, retryable: true,
                ProviderClient.RetryAfter(response, time) ?? ResetWait(response));
        // A 401 after the client's one refresh means the OAuth grant is gone; a personal token is fixed by changing the installation.
        return new ProviderException($"Calendly answered {response.Status}{(providerError is null ? "" : ": " + providerError)}.", response.Status,
            providerError ?? ProviderException.Truncate(response.Body), response.Status is 408 or 425 or >= 500) { NeedsReauthorization = oauth && response.Status == 401 };
    }

    /// <summary><c>X-RateLimit-Reset</c>: seconds until the limit resets (a minute when absent, Calendly's window).</summary>
    private static TimeSpan ResetWait(ProviderResponse response) =>
        int.TryParse(response.HeaderValue("X-RateLimit-Reset"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds) && seconds is > 0 and <= 3600
            ? TimeSpan.FromSeconds(seconds) : TimeSpan.FromMinutes(1);

    /// <summary><c>GET /users/me</c>: the connected user (uri, current_organization, scheduling_url).</summary>
    public static async Task<(ProviderResponse Response, JsonObject User)> MeAsync(ConnectorContext context, CancellationToken cancellationToken)
    {
        var response = await SendAsync(context, HttpMethod.Get, "/users/me", null, cancellationToken);
        var user = (response.Json() as JsonObject)?["resource"] as JsonObject
            ?? throw new ProviderException("Calendly's /users/me answered no resource.", response.Status, "unexpected_response", retryable: true);
        return (response, user);
    }

    /// <summary>The installation's inbound URL, which the subscriptions deliver to: needs the node's public base URL.</summary>
    public static string CallbackUrl(ConnectorContext context) =>
        (context.Options.PublicBaseUrl is { Length: > 0 } publicBase ? publicBase.TrimEnd('/')
            : throw new ProviderException("Calendly needs this node's public URL to deliver to: set Switchboard:PublicBaseUrl.", null, "public_url_not_set", retryable: false))
        + $"/api/v1/integrations/{context.Installation.Id}/inbound/{CalendlyDefinition.Events}";

    /// <summary>
    /// Every webhook subscription of the organization (or of the user, for the user scope) delivering to
    /// <paramref name="callbackUrl"/>, page by page through <c>pagination.next_page_token</c>.
    /// </summary>
    public static async Task<List<JsonObject>> SubscriptionsAsync(ConnectorContext context, JsonObject user, string callbackUrl, CancellationToken cancellationToken)
    {
        var (organization, scope) = (Required(user, "current_organization"), Scope(context));
        var query = $"/webhook_subscriptions?organization={Uri.EscapeDataString(organization)}&scope={scope}&count={PageSize}"
            + (scope == "user" ? $"&user={Uri.EscapeDataString(Required(user, "uri"))}" : "");
        var found = new List<JsonObject>();
        string? token = null;
        for (var page = 0; page < 1000; page++)
        {
            var response = await SendAsync(context, HttpMethod.Get, query + (token is null ? "" : "&page_token=" + Uri.EscapeDataString(token)), null, cancellationToken);
            var json = response.Json() as JsonObject;
            found.AddRange((json?["collection"] as JsonArray ?? []).OfType<JsonObject>().Where(s => Text(s["callback_url"]) == callbackUrl));
            token = Text((json?["pagination"] as JsonObject)?["next_page_token"]);
            if (token is null) break;
        }
        return found;
    }

    public static string Scope(ConnectorContext context) => context.Value("scope") is "user" ? "user" : "organization";

    public static string Required(JsonObject json, string name) => Text(json[name])
        ?? throw new ProviderException($"Calendly's answer has no {name}.", null, "unexpected_response", retryable: true);

    /// <summary>The uuid at the end of a Calendly resource URI (<c>https://api.calendly.com/webhook_subscriptions/AAAA</c>).</summary>
    public static string Uuid(string uri) => uri[(uri.TrimEnd('/').LastIndexOf('/') + 1)..].TrimEnd('/');

    public static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0 ? s : null;
}

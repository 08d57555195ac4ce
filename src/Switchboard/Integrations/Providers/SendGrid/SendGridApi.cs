using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Switchboard.Integrations.Connectors;

namespace Switchboard.Integrations.Providers.SendGrid;

/// <summary>
/// Calls to SendGrid's v3 Web API (twilio/sendgrid-oai: tsg_mail_v3, tsg_mc_contacts_v3, tsg_scopes_v3): the API key
/// as a bearer token ("The Twilio SendGrid v3 APIs expect the key to be passed as a Bearer Token in an Authorization
/// header"), the global host or the EU one (<c>api.eu.sendgrid.com</c>, for EU regional subusers) by the installation's
/// <c>region</c>. Errors are <c>{"errors":[{"message","field","help"}]}</c>; a 429 ("Rate Limits") carries
/// <c>X-RateLimit-Limit</c>, <c>X-RateLimit-Remaining</c> and <c>X-RateLimit-Reset</c> (unix seconds) — the wait is until
/// that reset (or a <c>Retry-After</c>, should SendGrid send one).
/// </summary>
public static class SendGridApi
{
    public static string BaseUrl(ConnectorContext context) => context.BaseUrl(context.Value("region") == "eu" ? "api_eu" : "api");

    public static async Task<ProviderResponse> SendAsync(ConnectorContext context, HttpMethod method, string path, JsonObject? body, CancellationToken cancellationToken)
    {
        var url = BaseUrl(context) + path;
        var apiKey = context.Required("apiKey");
        var json = body?.ToJsonString();
        var response = await context.Http.SendAsync(() =>
        {
            var request = new HttpRequestMessage(method, url);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
            if (json is not null) request.Content = new StringContent(json, new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" });
            return request;
        }, cancellationToken, authenticate: false);
        return response.IsSuccess ? response : throw Error(response, context.Time);
    }

    /// <summary>SendGrid's error body as a <see cref="ProviderException"/>: each error's field and message (and its help, when a link or text).</summary>
    public static ProviderException Error(ProviderResponse response, TimeProvider time)
    {
        var messages = new List<string>();
        if (response.Json() is JsonObject json && json["errors"] is JsonArray errors)
            foreach (var error in errors.OfType<JsonObject>())
            {
                var message = Text(error["message"]);
                if (message is null) continue;
                var field = Text(error["field"]);
                var help = Text(error["help"]);
                messages.Add((field is null or "null" ? "" : field + ": ") + message + (help is null ? "" : $" ({help})"));
            }
        var providerError = messages.Count == 0 ? ProviderException.Truncate(response.Body) : ProviderException.Truncate(string.Join("; ", messages));
        if (response.Status == 429)
            return new ProviderException("SendGrid's rate limit was reached.", 429, providerError ?? "too many requests", retryable: true, RateLimitWait(response, time));
        return ProviderException.From(response, "SendGrid", providerError, ProviderClient.RetryAfter(response, time));
    }

    /// <summary>Until <c>X-RateLimit-Reset</c> (unix seconds), or the <c>Retry-After</c>; a second when SendGrid says neither.</summary>
    public static TimeSpan RateLimitWait(ProviderResponse response, TimeProvider time)
    {
        if (ProviderClient.RetryAfter(response, time) is { } retryAfter) return retryAfter;
        if (double.TryParse(response.HeaderValue("X-RateLimit-Reset"), NumberStyles.Float, CultureInfo.InvariantCulture, out var reset))
        {
            var wait = DateTimeOffset.FromUnixTimeMilliseconds((long)(reset * 1000)) - time.GetUtcNow();
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }
        return TimeSpan.FromSeconds(1);
    }

    public static string? Text(JsonNode? node) => node switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>() is { Length: > 0 } s ? s.Trim() : null,
        JsonValue v when v.GetValueKind() is JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => v.ToJsonString(),
        _ => null,
    };
}

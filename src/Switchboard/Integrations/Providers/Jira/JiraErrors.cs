using System.Globalization;
using System.Text.Json.Nodes;
using Switchboard.Integrations.Connectors;

namespace Switchboard.Integrations.Providers.Jira;

/// <summary>
/// Jira's error answers (https://developer.atlassian.com/cloud/jira/platform/rest/v3/intro/#status-codes):
/// <c>{"errorMessages":["…"],"errors":{"summary":"…"}}</c>, the gateway's own <c>{"code":401,"message":"Unauthorized"}</c>.
/// A 429 (https://developer.atlassian.com/cloud/jira/platform/rate-limiting/) is retryable after its <c>Retry-After</c>
/// (seconds), else until <c>X-RateLimit-Reset</c> (an ISO 8601 time), else after a short wait; 400/403/404 are refusals
/// with Jira's message; a 401 that the client's one refresh did not cure means the grant is gone.
/// </summary>
public static class JiraErrors
{
    public static ProviderException From(ProviderResponse response, TimeProvider time)
    {
        var error = Message(response);
        if (response.Status == 429)
            return new ProviderException("Jira's rate limit was reached.", 429, error, retryable: true,
                ProviderClient.RetryAfter(response, time) ?? ResetWait(response, time) ?? TimeSpan.FromSeconds(5));
        var exception = ProviderException.From(response, "Jira", error);
        return response.Status == 401
            ? new ProviderException(exception.Message, 401, error, retryable: false) { NeedsReauthorization = true }
            : exception;
    }

    /// <summary>errorMessages and errors joined (<c>"summary: You must specify a summary of the issue."</c>), or the gateway's message.</summary>
    public static string? Message(ProviderResponse response)
    {
        if (response.Json() is not JsonObject json) return ProviderException.Truncate(response.Body);
        var parts = new List<string>();
        if (json["errorMessages"] is JsonArray messages) parts.AddRange(messages.Select(m => Text(m)).OfType<string>());
        if (json["errors"] is JsonObject errors)
            parts.AddRange(errors.Select(e => $"{e.Key}: {Text(e.Value) ?? e.Value?.ToJsonString()}"));
        if (parts.Count == 0 && Text(json["message"]) is { } message) parts.Add(message);
        return parts.Count == 0 ? ProviderException.Truncate(response.Body) : ProviderException.Truncate(string.Join("; ", parts));
    }

    private static TimeSpan? ResetWait(ProviderResponse response, TimeProvider time) =>
        DateTimeOffset.TryParse(response.HeaderValue("X-RateLimit-Reset"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var reset)
            && reset > time.GetUtcNow() ? reset - time.GetUtcNow() : null;

    internal static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0 ? s : null;
}

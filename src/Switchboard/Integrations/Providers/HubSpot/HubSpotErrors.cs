using System.Globalization;
using System.Text.Json.Nodes;
using Switchboard.Integrations.Connectors;

namespace Switchboard.Integrations.Providers.HubSpot;

/// <summary>
/// HubSpot's error answers (https://developers.hubspot.com/docs/api/error-handling): a JSON body
/// <c>{"status":"error","message":…,"correlationId":…,"category":…}</c>. A 429 names the limit it hit
/// (<c>policyName</c>: <c>TEN_SECONDLY_ROLLING</c>, <c>SECONDLY</c>, <c>DAILY</c>) and carries the
/// <c>X-HubSpot-RateLimit-*</c> headers (https://developers.hubspot.com/docs/api/usage-details): the wait is a
/// <c>Retry-After</c> if HubSpot sends one, else the window (<c>X-HubSpot-RateLimit-Interval-Milliseconds</c>) when the
/// window is used up, else the policy's window, else an hour for the daily limit.
/// </summary>
public static class HubSpotErrors
{
    public static ProviderException From(ProviderResponse response, TimeProvider time)
    {
        var json = response.Json() as JsonObject;
        var message = Text(json, "message");
        var category = Text(json, "category") ?? Text(json, "errorType");
        var error = category is null ? message ?? ProviderException.Truncate(response.Body) : $"{category}: {message}";
        if (response.Status == 429)
        {
            var policy = Text(json, "policyName");
            return new ProviderException($"HubSpot's rate limit was reached{(policy is null ? "" : $" ({policy})")}.", 429, error, retryable: true,
                ProviderClient.RetryAfter(response, time) ?? RateLimitWait(response, policy));
        }
        return ProviderException.From(response, "HubSpot", error);
    }

    public static TimeSpan RateLimitWait(ProviderResponse response, string? policy)
    {
        if (policy?.Contains("DAILY", StringComparison.OrdinalIgnoreCase) == true || Number(response, "X-HubSpot-RateLimit-Daily-Remaining") == 0)
            return TimeSpan.FromHours(1);
        if (Number(response, "X-HubSpot-RateLimit-Interval-Milliseconds") is { } interval and > 0 and <= 60_000)
            return TimeSpan.FromMilliseconds(interval);
        return policy?.Contains("SECONDLY", StringComparison.OrdinalIgnoreCase) == true && !policy.Contains("TEN", StringComparison.OrdinalIgnoreCase)
            ? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(10);
    }

    private static long? Number(ProviderResponse response, string header) =>
        long.TryParse(response.HeaderValue(header), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : null;

    internal static string? Text(JsonObject? json, string name) => json?[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}

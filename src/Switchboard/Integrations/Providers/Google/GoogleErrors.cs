using System.Globalization;
using System.Text.Json.Nodes;
using Switchboard.Integrations.Connectors;

namespace Switchboard.Integrations.Providers.Google;

/// <summary>
/// Google's error answers, as the Calendar API documents them
/// (https://developers.google.com/calendar/api/guides/errors; Gmail, Sheets and the other
/// Google APIs answer in the same shape: https://cloud.google.com/apis/design/errors):
/// <c>{"error":{"code":403,"message":"Rate Limit Exceeded","errors":[{"domain":"usageLimits","reason":"rateLimitExceeded",…}],"status":"…"}}</c>.
/// The HTTP status alone is not enough: a 403 is a rate limit (<c>rateLimitExceeded</c>, <c>userRateLimitExceeded</c>,
/// <c>quotaExceeded</c>: back off and retry) or a refusal (<c>forbidden</c>, <c>insufficientPermissions</c>: do not),
/// and only the reason tells which.
/// </summary>
public static class GoogleErrors
{
    /// <summary>The reasons Google gives a 403 (or 429) whose request succeeds later, after an exponential backoff.</summary>
    private static readonly HashSet<string> RateLimitReasons = new(StringComparer.Ordinal) { "rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded" };

    /// <summary>The first <c>errors[].reason</c> of Google's answer (<c>fullSyncRequired</c>, <c>deleted</c>, <c>duplicate</c>, …), or null.</summary>
    public static string? Reason(ProviderResponse response) =>
        (response.Json() as JsonObject)?["error"]?["errors"] is JsonArray { Count: > 0 } errors && errors[0]?["reason"] is JsonValue reason
            && reason.TryGetValue<string>(out var text) ? text : null;

    /// <summary>
    /// A <see cref="ProviderException"/> carrying Google's own reason and message, retryable as Google advises;
    /// <paramref name="api"/> names the Google API in the message (Google Calendar, Gmail).
    /// </summary>
    public static ProviderException From(ProviderResponse response, TimeProvider time, string api = "Google Calendar")
    {
        var error = (response.Json() as JsonObject)?["error"] as JsonObject;
        var message = error?["message"] is JsonValue m && m.TryGetValue<string>(out var text) ? text : null;
        var reason = Reason(response);
        var domain = error?["errors"] is JsonArray { Count: > 0 } list && list[0]?["domain"] is JsonValue d && d.TryGetValue<string>(out var dt) ? dt : null;
        var rateLimited = response.Status == 429
            || (response.Status == 403 && ((reason is not null && RateLimitReasons.Contains(reason)) || domain == "usageLimits"));
        var retryable = rateLimited || response.Status is 408 or >= 500;
        var providerError = reason is null ? message ?? ProviderException.Truncate(response.Body) : message is null ? reason : $"{reason}: {message}";
        return new ProviderException($"{api} answered {response.Status}{(message is null ? "" : ": " + message)}.", response.Status, providerError,
            retryable, rateLimited || response.Status == 503 ? Platform.Http.RetryAfterHeader.Of(response.Headers, time) : null)
        {
            // The provider client has already refreshed once and retried: a second 401 means the grant itself is gone.
            NeedsReauthorization = response.Status == 401,
        };
    }

}

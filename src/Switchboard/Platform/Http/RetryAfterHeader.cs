using System.Globalization;
using System.Net.Http.Headers;

namespace Switchboard.Platform.Http;

/// <summary>
/// Reads a <c>Retry-After</c> answer header (RFC 9110 §10.2.3: a number of seconds or an HTTP date), once for every
/// outbound caller: the webhook sender and the integrations' provider calls. A date already past is no wait.
/// </summary>
public static class RetryAfterHeader
{
    public static TimeSpan? Of(HttpResponseHeaders headers, TimeProvider time)
    {
        if (!headers.TryGetValues("Retry-After", out var values) || values.FirstOrDefault() is not { } value) return null;
        // Seconds are an integer by the RFC; a fraction (some providers send one) is taken as meant.
        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds)) return TimeSpan.FromSeconds(Math.Max(0, seconds));
        return DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
            ? at - time.GetUtcNow() is { } wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero
            : null;
    }
}

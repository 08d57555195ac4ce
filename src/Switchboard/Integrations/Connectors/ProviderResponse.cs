using System.Net.Http.Headers;
using System.Text.Json.Nodes;

namespace Switchboard.Integrations.Connectors;

/// <summary>A provider's answer: status, body (the first 64 KB as text), headers, and how long the call took.</summary>
public sealed record ProviderResponse(int Status, string Body, HttpResponseHeaders Headers, long LatencyMs)
{
    public bool IsSuccess => Status is >= 200 and < 300;

    /// <summary>The body as JSON, or null when it is not JSON.</summary>
    public JsonNode? Json()
    {
        try { return string.IsNullOrEmpty(Body) ? null : JsonNode.Parse(Body); }
        catch (System.Text.Json.JsonException) { return null; }
    }

    public string? HeaderValue(string name) => Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;
}

/// <summary>
/// A provider refused or could not be reached. Carries the provider's status and its own error (its message or code, as
/// it wrote it), whether trying again may help (timeouts, 429, 5xx), and how long it asked to wait (<c>Retry-After</c>
/// or the provider's own field, such as Discord's <c>retry_after</c>).
/// </summary>
public sealed class ProviderException(string message, int? status, string? providerError, bool retryable, TimeSpan? retryAfter = null, Exception? inner = null)
    : Exception(message, inner)
{
    public int? Status { get; } = status;
    public string? ProviderError { get; } = providerError;
    public bool Retryable { get; } = retryable;
    public TimeSpan? RetryAfter { get; } = retryAfter;

    /// <summary>The installation's authorization is gone (refresh refused, token revoked): the user must connect again.</summary>
    public bool NeedsReauthorization { get; init; }

    /// <summary>From a provider's non-2xx answer: retryable on 408, 425, 429 and 5xx.</summary>
    public static ProviderException From(ProviderResponse response, string provider, string? providerError = null, TimeSpan? retryAfter = null) =>
        new($"{provider} answered {response.Status}{(providerError is null ? "" : ": " + providerError)}.", response.Status,
            providerError ?? Truncate(response.Body), response.Status is 408 or 425 or 429 or >= 500, retryAfter);

    internal static string? Truncate(string? text) => text is null ? null : text.Length <= 500 ? text : text[..500];
}

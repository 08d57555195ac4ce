using System.Text.Json.Nodes;
using Switchboard.Integrations.Connectors;

namespace Switchboard.Integrations.Providers.Microsoft;

/// <summary>
/// Microsoft Graph's error answers (https://learn.microsoft.com/graph/errors), shared by the Microsoft connectors:
/// <c>{"error":{"code":"ErrorAccessDenied","message":"Access is denied…","innerError":{"request-id":"…","date":"…"}}}</c>.
/// Retryable as Graph's throttling guidance (https://learn.microsoft.com/graph/throttling) says: 429 and 503/504 after
/// the <c>Retry-After</c> wait when one is sent (the queue's exponential backoff otherwise), other 5xx after a backoff.
/// A 403 (<c>ErrorAccessDenied</c>, <c>Authorization_RequestDenied</c>, a missing licence or consent) is a refusal and is
/// never retried; a 401 after the provider client's one refresh means the grant itself is gone.
/// </summary>
public static class GraphErrors
{
    /// <summary>Graph's <c>error.code</c> (<c>ErrorItemNotFound</c>, <c>syncStateNotFound</c>, …), or null.</summary>
    public static string? Code(ProviderResponse response) => Text((response.Json() as JsonObject)?["error"]?["code"]);

    /// <summary>Graph's <c>innerError.request-id</c>: what Microsoft support asks for, so it travels with the error.</summary>
    public static string? RequestId(ProviderResponse response) =>
        Text((response.Json() as JsonObject)?["error"]?["innerError"]?["request-id"]);

    /// <summary>A <see cref="ProviderException"/> carrying Graph's code, message and request id, retryable as Graph advises.</summary>
    public static ProviderException From(ProviderResponse response, string providerName, TimeProvider time)
    {
        var error = (response.Json() as JsonObject)?["error"] as JsonObject;
        var code = Text(error?["code"]);
        var message = Text(error?["message"]);
        var requestId = RequestId(response);
        var throttled = response.Status is 429 or 503 or 504;
        var retryable = throttled || response.Status is 408 or >= 500;
        var providerError = code is null && message is null
            ? ProviderException.Truncate(response.Body)
            : string.Join(": ", new[] { code, message }.Where(s => !string.IsNullOrEmpty(s)))
              + (requestId is null ? "" : $" (request-id {requestId})");
        return new ProviderException($"{providerName} answered {response.Status}{(message is { Length: > 0 } ? ": " + message : code is null ? "" : ": " + code)}.",
            response.Status, providerError, retryable, throttled ? Platform.Http.RetryAfterHeader.Of(response.Headers, time) : null)
        {
            // The provider client has already refreshed once and retried: a second 401 means the grant itself is gone.
            NeedsReauthorization = response.Status == 401,
        };
    }

    private static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}

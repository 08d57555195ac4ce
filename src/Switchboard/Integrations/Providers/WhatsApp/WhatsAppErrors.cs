using System.Globalization;
using System.Text.Json.Nodes;
using Switchboard.Integrations.Connectors;

namespace Switchboard.Integrations.Providers.WhatsApp;

/// <summary>
/// The Graph API's error answers as the Cloud API uses them
/// (https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes, and the Graph API's error handling
/// guide): <c>{"error":{"message","type","code","error_subcode","error_data":{"details"},"fbtrace_id"}}</c>, mostly with
/// HTTP 400 whatever the cause, so the <c>code</c> decides. Throttling codes are retried after a wait that fits the limit:
/// 130429 (the number's throughput, messages per second), 131056 (the business–customer pair rate, about one message
/// every six seconds), 80007 (the WhatsApp Business Account's rate limit), 4 and 613 (the app's call rate limit);
/// 1, 2, 131000 and 131016 are Meta's own trouble. Anything else (an unknown template, a bad parameter count, an invalid
/// token: 190) is final.
/// </summary>
public static class WhatsAppErrors
{
    private static readonly Dictionary<long, TimeSpan> RateLimits = new()
    {
        [130429] = TimeSpan.FromSeconds(1),
        [131056] = TimeSpan.FromSeconds(6),
        [80007] = TimeSpan.FromMinutes(1),
        [4] = TimeSpan.FromMinutes(1),
        [613] = TimeSpan.FromMinutes(1),
    };

    private static readonly HashSet<long> Transient = [1, 2, 131000, 131016];

    public static ProviderException From(ProviderResponse response, TimeProvider time)
    {
        var error = (response.Json() as JsonObject)?["error"] as JsonObject;
        var code = Number(error?["code"]);
        var subcode = Number(error?["error_subcode"]);
        var message = Text(error?["message"]);
        var details = Text((error?["error_data"] as JsonObject)?["details"]);
        var trace = Text(error?["fbtrace_id"]);
        if (error is null || code is null) return ProviderException.From(response, "WhatsApp", retryAfter: ProviderClient.RetryAfter(response, time));

        // The user sees what Meta said, with what Meta's support asks for (the code, subcode and fbtrace_id).
        var providerError = $"{message ?? "Graph API error"}{(details is null ? "" : " — " + details)} (code {code}" +
            $"{(subcode is null ? "" : $", subcode {subcode}")}{(trace is null ? "" : $", fbtrace_id {trace}")})";
        var text = $"WhatsApp answered {response.Status}: {providerError}.";
        if (RateLimits.TryGetValue(code.Value, out var wait))
            return new ProviderException(text, response.Status, providerError, retryable: true, ProviderClient.RetryAfter(response, time) ?? wait);
        var retryable = Transient.Contains(code.Value) || response.Status is 408 or 425 or 429 or >= 500;
        return new ProviderException(text, response.Status, providerError, retryable, ProviderClient.RetryAfter(response, time));
    }

    private static long? Number(JsonNode? node) => node is JsonValue v
        && (v.TryGetValue<long>(out var n) || (v.TryGetValue<string>(out var s) && long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out n))) ? n : null;

    internal static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0 ? s : null;
}

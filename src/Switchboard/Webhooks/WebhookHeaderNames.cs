namespace Switchboard.Webhooks;

/// <summary>
/// Header names an endpoint's custom headers may not set: they would change how the delivery is framed or routed,
/// or stand in for what the engine itself sends.
/// </summary>
public static class WebhookHeaderNames
{
    private static readonly HashSet<string> Reserved = new(StringComparer.OrdinalIgnoreCase)
    {
        // Framing and routing of the message (RFC 9112 §6, RFC 9110 §7.2, §8.3, §8.6).
        "Content-Length", "Transfer-Encoding", "Host", "Content-Type", "Content-Encoding", "Expect",
        // Hop-by-hop fields (RFC 9110 §7.6.1) and the proxy fields that are hop-by-hop in practice.
        "Connection", "Keep-Alive", "Proxy-Connection", "TE", "Trailer", "Upgrade", "Proxy-Authenticate", "Proxy-Authorization",
        // W3C Trace Context (https://www.w3.org/TR/trace-context/#relationship-between-the-headers): with telemetry on, each
        // delivery carries the traceparent (and tracestate) of its attempt, so the receiver joins the trace (docs/webhooks.md).
        "traceparent", "tracestate",
    };

    /// <summary>True for a framing or hop-by-hop field, a <c>Proxy-</c> field, a trace context field, or one of the engine's own (<c>webhook-*</c>, <c>X-Webhook-*</c>).</summary>
    public static bool IsReserved(string name) =>
        Reserved.Contains(name) || name.StartsWith("Proxy-", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("webhook-", StringComparison.OrdinalIgnoreCase) || name.StartsWith("x-webhook-", StringComparison.OrdinalIgnoreCase);
}

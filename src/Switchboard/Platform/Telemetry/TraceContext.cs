using System.Diagnostics;

namespace Switchboard.Platform.Telemetry;

/// <summary>
/// The W3C Trace Context (https://www.w3.org/TR/trace-context/) of the work that wrote an outbox event, kept with the
/// event and its deliveries, so the delivery attempt made later, by a worker and perhaps another node, continues the
/// trace of the API write that caused it (and the receiver, through the <c>traceparent</c> header, joins it too).
/// </summary>
public static class TraceContext
{
    /// <summary><c>traceparent</c> is 55 characters (version 00, §3.2); a little room for a later version's.</summary>
    public const int MaxTraceParent = 128;

    /// <summary>§3.3.1.1: at most 32 list members; 512 characters covers what vendors are asked to keep (§3.3.1.5).</summary>
    public const int MaxTraceState = 512;

    /// <summary>
    /// The current span's <c>traceparent</c> while telemetry is on (something listens to <see cref="SwitchboardTelemetry.Source"/>),
    /// sampled or not, so the delivery keeps the request's sampling decision. Without telemetry, ASP.NET Core still makes
    /// an activity per request (for log scopes); no one records it, so it is not stored.
    /// </summary>
    public static string? CurrentParent() =>
        SwitchboardTelemetry.Source.HasListeners() && Activity.Current is { IdFormat: ActivityIdFormat.W3C } a && a.Id is { Length: <= MaxTraceParent } id ? id : null;

    /// <summary>The current span's <c>tracestate</c>, with <see cref="CurrentParent"/>; null when empty or too long to keep.</summary>
    public static string? CurrentState() =>
        SwitchboardTelemetry.Source.HasListeners() && Activity.Current is { IdFormat: ActivityIdFormat.W3C, TraceStateString: { Length: > 0 and <= MaxTraceState } state }
            ? state : null;

    /// <summary>The stored context as a remote parent; default (no parent) when none was stored or it does not parse.</summary>
    public static ActivityContext Parent(string? traceParent, string? traceState) =>
        traceParent is not null && ActivityContext.TryParse(traceParent, traceState, isRemote: true, out var context) ? context : default;
}

namespace Switchboard.Webhooks;

public enum OutcomeKind { Sent, Deferred }

/// <summary>
/// How one attempt at a delivery ended, to be recorded (<see cref="IWebhookQueue.RecordAsync"/>): sent (with the
/// receiver's status, or the error when there was none), or deferred until <see cref="DeferUntil"/> without being sent
/// (endpoint gone or disabled, or over its throttle). <see cref="Final"/> marks a failure that no retry can mend (a
/// provider's refusal of the action's input, 4xx but 408/425/429): the delivery is dead at once.
/// </summary>
public sealed record DeliveryOutcome(WebhookDelivery Delivery, WebhookEndpoint? Endpoint, OutcomeKind Kind, DateTime At, DateTime? DeferUntil = null,
    int? Status = null, string? Body = null, string? Error = null, TimeSpan? RetryAfter = null, long LatencyMs = 0, bool Final = false)
{
    /// <summary>The receiver accepted it (2xx): the delivery is done.</summary>
    public bool Accepted => Kind == OutcomeKind.Sent && Status is >= 200 and < 300 && Endpoint is not null;
}

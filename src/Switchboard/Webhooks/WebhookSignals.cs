namespace Switchboard.Webhooks;

/// <summary>
/// Wakes this node's dispatcher when a change with events commits, and its workers when deliveries are created, so
/// events go out at once instead of at the next poll. Polling stays as the fallback (and is how other nodes' events
/// are noticed). A signal is a hint: missing one only costs a poll interval.
/// </summary>
public sealed class WebhookSignals : IDisposable
{
    private readonly SemaphoreSlim _events = new(0, 1);
    private readonly SemaphoreSlim _deliveries = new(0, 1);

    public void EventsCommitted() => Release(_events);
    public void DeliveriesCreated() => Release(_deliveries);

    public Task WaitForEventsAsync(TimeSpan timeout, CancellationToken cancellationToken) => _events.WaitAsync(timeout, cancellationToken);
    public Task WaitForDeliveriesAsync(TimeSpan timeout, CancellationToken cancellationToken) => _deliveries.WaitAsync(timeout, cancellationToken);

    public void Dispose()
    {
        _events.Dispose();
        _deliveries.Dispose();
    }

    private static void Release(SemaphoreSlim signal)
    {
        try { signal.Release(); }
        catch (SemaphoreFullException) { /* already signalled */ }
    }
}

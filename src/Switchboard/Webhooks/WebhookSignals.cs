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

    private readonly System.Collections.Concurrent.ConcurrentQueue<WebhookDelivery> _handedOver = new();

    public void EventsCommitted() => Release(_events);
    public void DeliveriesCreated() => Release(_deliveries);

    /// <summary>
    /// Deliveries this node's dispatcher created already leased to this node, for its delivery loops to send without
    /// leasing them from the database first. If the node stops before sending them, their lease runs out and they are
    /// leased from the database like any other.
    /// </summary>
    public void HandOver(IEnumerable<WebhookDelivery> deliveries)
    {
        foreach (var delivery in deliveries) _handedOver.Enqueue(delivery);
        Release(_deliveries);
    }

    /// <summary>
    /// At most this many deliveries wait in memory. Beyond it the dispatcher creates deliveries unleased, for the
    /// delivery loops to lease from the database, so that a backlog never sits in memory until its leases run out.
    /// </summary>
    public const int HandOverLimit = 1_000;

    public bool HandOverHasRoom => _handedOver.Count < HandOverLimit;

    /// <summary>
    /// Takes up to <paramref name="max"/> handed-over deliveries whose lease lasts past <paramref name="leasedPast"/>
    /// (an attempt must end within the lease). Any that waited too long are left to the database: their lease runs out
    /// and they are leased again, rather than risk a second node sending them alongside this one.
    /// </summary>
    public List<WebhookDelivery> TakeHandedOver(int max, DateTime leasedPast)
    {
        var taken = new List<WebhookDelivery>();
        while (taken.Count < max && _handedOver.TryDequeue(out var delivery))
            if (delivery.LockedUntil > leasedPast) taken.Add(delivery);
        return taken;
    }

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

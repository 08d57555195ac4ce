namespace Switchboard.Webhooks;

/// <summary>
/// What one background loop of this node last did: when it last finished a pass, when a pass last found work, when a
/// pass last failed, and how many items it has handled since start. The loop writes it after each pass (a few atomic
/// stores, no allocation); the status page reads it. It describes this node only: other nodes have their own.
/// </summary>
public sealed class WorkerHeartbeat(TimeProvider time)
{
    private long _lastPass, _lastWork, _lastFailure, _items;

    public void Passed(int items)
    {
        var now = time.GetUtcNow().UtcTicks;
        Interlocked.Exchange(ref _lastPass, now);
        if (items <= 0) return;
        Interlocked.Exchange(ref _lastWork, now);
        Interlocked.Add(ref _items, items);
    }

    public void Failed() => Interlocked.Exchange(ref _lastFailure, time.GetUtcNow().UtcTicks);

    public HeartbeatReading Read() => new(At(ref _lastPass), At(ref _lastWork), At(ref _lastFailure), Interlocked.Read(ref _items));

    private static DateTimeOffset? At(ref long ticks)
    {
        var value = Interlocked.Read(ref ticks);
        return value == 0 ? null : new DateTimeOffset(value, TimeSpan.Zero);
    }
}

public readonly record struct HeartbeatReading(DateTimeOffset? LastPassAt, DateTimeOffset? LastWorkAt, DateTimeOffset? LastFailureAt, long ItemsHandled);

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

    /// <summary>
    /// Runs a background loop until stopped: a pass (answering how many items it handled), noted here; a failed pass is
    /// logged and the loop goes on; after a pass that says the work is done for now (<paramref name="rest"/>), the loop
    /// waits for <paramref name="waitAsync"/> (a wake-up signal or the poll interval).
    /// </summary>
    public async Task RunAsync(string name, Func<CancellationToken, Task<int>> pass, Func<int, bool> rest, Func<CancellationToken, Task> waitAsync,
        ILogger logger, CancellationToken stoppingToken, Action<int>? afterPass = null)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var handled = 0;
            try
            {
                handled = await pass(stoppingToken);
                Passed(handled);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Failed();
                logger.LogError(ex, "{Loop} failed; will retry", name);
            }
            afterPass?.Invoke(handled);
            if (!rest(handled)) continue;
            try { await waitAsync(stoppingToken); }
            catch (OperationCanceledException) { break; }
        }
    }

    public HeartbeatReading Read() => new(At(ref _lastPass), At(ref _lastWork), At(ref _lastFailure), Interlocked.Read(ref _items));

    private static DateTimeOffset? At(ref long ticks)
    {
        var value = Interlocked.Read(ref ticks);
        return value == 0 ? null : new DateTimeOffset(value, TimeSpan.Zero);
    }
}

public readonly record struct HeartbeatReading(DateTimeOffset? LastPassAt, DateTimeOffset? LastWorkAt, DateTimeOffset? LastFailureAt, long ItemsHandled);

namespace Switchboard.Tests.Infrastructure;

/// <summary>The real clock plus an offset that tests move forward, to cross expiry times without waiting.</summary>
public sealed class TestClock : TimeProvider
{
    private long _offsetTicks;
    private long _frozenUtcTicks; // 0: not frozen

    public override DateTimeOffset GetUtcNow()
    {
        var frozen = Interlocked.Read(ref _frozenUtcTicks);
        return frozen != 0
            ? new DateTimeOffset(frozen, TimeSpan.Zero)
            : base.GetUtcNow() + TimeSpan.FromTicks(Interlocked.Read(ref _offsetTicks));
    }

    public void Advance(TimeSpan by) => Interlocked.Add(ref _offsetTicks, by.Ticks);

    /// <summary>
    /// Stops the clock at the present until the result is disposed: every request then reads one instant, as when a
    /// test needs concurrent requests to agree on the time (a token bucket's last token goes to a request whose clock
    /// reads no earlier than the first taker's; see docs/rate-limits.md). Timers still run on real time.
    /// </summary>
    public IDisposable Freeze()
    {
        Interlocked.Exchange(ref _frozenUtcTicks, GetUtcNow().UtcTicks);
        return new Thaw(this);
    }

    private sealed class Thaw(TestClock clock) : IDisposable
    {
        public void Dispose() => Interlocked.Exchange(ref clock._frozenUtcTicks, 0);
    }
}

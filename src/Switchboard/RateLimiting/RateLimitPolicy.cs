namespace Switchboard.RateLimiting;

public enum LimitKind
{
    /// <summary>
    /// Token bucket by GCRA (the Generic Cell Rate Algorithm, ITU-T I.371): up to <c>Limit</c> at once, refilled at
    /// <c>Limit</c> per window. Exact: never more than Limit in a burst, and never more than 2·Limit−1 in any window.
    /// </summary>
    TokenBucket,
    /// <summary>A counter per UTC day (plan quotas): exactly Limit per calendar day.</summary>
    DailyQuota,
}

/// <summary>One limit a request counts against.</summary>
public sealed record RateLimitPolicy(string Name, string Key, LimitKind Kind, long Limit, TimeSpan Window, int Cost = 1)
{
    /// <summary>Microseconds between tokens of a token bucket.</summary>
    public long IntervalMicros => Math.Max(1, (long)(Window.TotalMicroseconds / Limit));
    public long WindowMicros => (long)Window.TotalMicroseconds;
}

/// <summary>The verdict of one policy, with what the rate-limit headers report.</summary>
public readonly record struct RateLimitDecision(RateLimitPolicy Policy, bool Allowed, long Remaining, TimeSpan ResetAfter, TimeSpan RetryAfter)
{
    /// <summary>How used up the policy is, 0 (untouched) to 1 (exhausted).</summary>
    public double Pressure => Policy.Limit == 0 ? 1 : 1 - (double)Remaining / Policy.Limit;
}

/// <summary>The arithmetic of both kinds, shared by every store so all of them decide alike.</summary>
public static class LimitMath
{
    public static long UnixMicros(DateTime utc) => (utc.Ticks - DateTime.UnixEpoch.Ticks) / 10;

    public static long DayOf(DateTime utc) => (long)(utc - DateTime.UnixEpoch).TotalDays;

    /// <summary>
    /// GCRA for <paramref name="cost"/> tokens given the bucket's theoretical arrival time (TAT, µs). Returns the new TAT
    /// when allowed; the decision either way.
    /// </summary>
    public static (bool Allowed, long NewTat, RateLimitDecision Decision) TokenBucket(RateLimitPolicy p, long tat, long now)
    {
        var interval = p.IntervalMicros;
        var newTat = Math.Max(tat, now) + p.Cost * interval;
        var allowed = newTat - now <= p.WindowMicros;
        var effective = allowed ? newTat : Math.Max(tat, now);
        var remaining = Math.Max(0, (p.WindowMicros - (effective - now)) / interval);
        var resetAfter = TimeSpan.FromMicroseconds(Math.Max(0, effective - now));
        var retryAfter = allowed ? TimeSpan.Zero : TimeSpan.FromMicroseconds(newTat - now - p.WindowMicros);
        return (allowed, allowed ? newTat : tat, new RateLimitDecision(p, allowed, Math.Min(remaining, p.Limit), resetAfter, retryAfter));
    }

    /// <summary>
    /// The order in which a request takes its policies' locks (rows, or buckets in memory): daily quotas first, then by
    /// key. One order for every request and every store, so requests sharing counters never deadlock. An insertion sort:
    /// a request has 1–4 policies, and this runs on every one, so no delegate and no allocation.
    /// </summary>
    public static void LockOrder(IReadOnlyList<RateLimitPolicy> policies, Span<int> order)
    {
        for (var i = 0; i < order.Length; i++) order[i] = i;
        for (var i = 1; i < order.Length; i++)
            for (var j = i; j > 0 && Before(policies[order[j]], policies[order[j - 1]]); j--)
                (order[j - 1], order[j]) = (order[j], order[j - 1]);

        static bool Before(RateLimitPolicy a, RateLimitPolicy b) => a.Kind != b.Kind
            ? a.Kind == LimitKind.DailyQuota
            : string.CompareOrdinal(a.Key, b.Key) < 0;
    }

    /// <summary>A daily counter: <paramref name="used"/> in <paramref name="day"/>, at <paramref name="now"/>.</summary>
    public static (bool Allowed, long NewUsed, RateLimitDecision Decision) Daily(RateLimitPolicy p, long day, long used, DateTime now)
    {
        var today = DayOf(now);
        var current = day == today ? used : 0;
        var allowed = current + p.Cost <= p.Limit;
        var newUsed = allowed ? current + p.Cost : current;
        var resetAfter = DateTime.UnixEpoch.AddDays(today + 1) - now;
        return (allowed, newUsed, new RateLimitDecision(p, allowed, Math.Max(0, p.Limit - newUsed), resetAfter, allowed ? TimeSpan.Zero : resetAfter));
    }
}

/// <summary>Where counters live. Every store admits a request only if all its policies admit it, and then counts it in all.</summary>
public interface IRateLimitStore
{
    Task<IReadOnlyList<RateLimitDecision>> AcquireAsync(IReadOnlyList<RateLimitPolicy> policies, DateTime now, CancellationToken cancellationToken);
}

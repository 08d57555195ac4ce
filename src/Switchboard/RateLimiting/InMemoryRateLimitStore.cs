using System.Collections.Concurrent;

namespace Switchboard.RateLimiting;

/// <summary>
/// Counters in this process: exact for a single node (the SQLite deployment), at the cost of a lock per bucket. The
/// buckets of one request are locked in key order, so requests sharing buckets never deadlock, and the request is
/// counted in all of them or in none.
/// </summary>
public sealed class InMemoryRateLimitStore : IRateLimitStore
{
    private sealed class Bucket
    {
        public long Tat;
        public long Day;
        public long Used;
        public long LastTouched;
    }

    private readonly ConcurrentDictionary<string, Bucket> _buckets = new(StringComparer.Ordinal);

    public Task<IReadOnlyList<RateLimitDecision>> AcquireAsync(IReadOnlyList<RateLimitPolicy> policies, DateTime now, CancellationToken cancellationToken)
    {
        // Allocation-light on purpose: this runs on every request. A request has 1–4 policies.
        var count = policies.Count;
        var buckets = new Bucket[count];
        Span<int> order = count <= 8 ? stackalloc int[count] : new int[count];
        for (var i = 0; i < count; i++) buckets[i] = _buckets.GetOrAdd(policies[i].Key, static _ => new Bucket());
        LimitMath.LockOrder(policies, order);
        var decisions = new RateLimitDecision[count];
        var micros = LimitMath.UnixMicros(now);
        var today = LimitMath.DayOf(now);
        var entered = 0;
        try
        {
            for (; entered < count; entered++) Monitor.Enter(buckets[order[entered]]);
            Span<long> next = stackalloc long[count];
            var all = true;
            for (var i = 0; i < count; i++)
            {
                var (p, b) = (policies[i], buckets[i]);
                bool ok;
                if (p.Kind == LimitKind.TokenBucket) (ok, next[i], decisions[i]) = LimitMath.TokenBucket(p, b.Tat, micros);
                else (ok, next[i], decisions[i]) = LimitMath.Daily(p, b.Day, b.Used, now);
                all &= ok;
            }
            for (var i = 0; i < count; i++)
            {
                if (all)
                {
                    var b = buckets[i];
                    if (policies[i].Kind == LimitKind.TokenBucket) b.Tat = next[i];
                    else (b.Day, b.Used) = (today, next[i]);
                    b.LastTouched = micros;
                }
                else if (decisions[i].Allowed)
                {
                    // Nothing was counted: report the policies that admitted as they stand, not as if this request had been counted.
                    decisions[i] = decisions[i] with { Remaining = Math.Min(policies[i].Limit, decisions[i].Remaining + policies[i].Cost) };
                }
            }
        }
        finally
        {
            for (var i = entered - 1; i >= 0; i--) Monitor.Exit(buckets[order[i]]);
        }
        return Task.FromResult<IReadOnlyList<RateLimitDecision>>(decisions);
    }

    /// <summary>Forgets buckets idle longer than <paramref name="idle"/>; a forgotten bucket is a full one.</summary>
    public void Prune(DateTime now, TimeSpan idle)
    {
        var cutoff = LimitMath.UnixMicros(now - idle);
        foreach (var (key, bucket) in _buckets)
            if (Volatile.Read(ref bucket.LastTouched) < cutoff) _buckets.TryRemove(key, out _);
    }
}

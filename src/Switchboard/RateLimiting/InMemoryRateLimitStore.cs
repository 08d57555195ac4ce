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
        var ordered = policies.Select((p, i) => (Policy: p, Index: i, Bucket: _buckets.GetOrAdd(p.Key, _ => new Bucket())))
            .OrderBy(x => x.Policy.Key, StringComparer.Ordinal).ToArray();
        var decisions = new RateLimitDecision[policies.Count];
        var micros = LimitMath.UnixMicros(now);
        Enter(ordered, 0);
        try
        {
            var all = true;
            var next = new (long Tat, long Used)[ordered.Length];
            for (var i = 0; i < ordered.Length; i++)
            {
                var (p, index, b) = ordered[i];
                if (p.Kind == LimitKind.TokenBucket)
                {
                    var (ok, tat, d) = LimitMath.TokenBucket(p, b.Tat, micros);
                    decisions[index] = d;
                    next[i] = (tat, 0);
                    all &= ok;
                }
                else
                {
                    var (ok, used, d) = LimitMath.Daily(p, b.Day, b.Used, now);
                    decisions[index] = d;
                    next[i] = (0, used);
                    all &= ok;
                }
            }
            if (all)
            {
                for (var i = 0; i < ordered.Length; i++)
                {
                    var b = ordered[i].Bucket;
                    if (ordered[i].Policy.Kind == LimitKind.TokenBucket) b.Tat = next[i].Tat;
                    else (b.Day, b.Used) = (LimitMath.DayOf(now), next[i].Used);
                    b.LastTouched = micros;
                }
            }
            else
            {
                // Nothing was counted: report the allowed policies as they stand, not as if this request had been counted.
                for (var i = 0; i < ordered.Length; i++)
                {
                    var (p, index, b) = ordered[i];
                    if (!decisions[index].Allowed) continue;
                    decisions[index] = p.Kind == LimitKind.TokenBucket
                        ? decisions[index] with { Remaining = Math.Min(p.Limit, decisions[index].Remaining + p.Cost) }
                        : decisions[index] with { Remaining = Math.Min(p.Limit, decisions[index].Remaining + p.Cost) };
                }
            }
        }
        finally
        {
            foreach (var x in ordered) if (Monitor.IsEntered(x.Bucket)) Monitor.Exit(x.Bucket);
        }
        return Task.FromResult<IReadOnlyList<RateLimitDecision>>(decisions);
    }

    private static void Enter((RateLimitPolicy, int, Bucket Bucket)[] ordered, int _)
    {
        foreach (var x in ordered) if (!Monitor.IsEntered(x.Bucket)) Monitor.Enter(x.Bucket);
    }

    /// <summary>Forgets buckets idle longer than <paramref name="idle"/>; a forgotten bucket is a full one.</summary>
    public void Prune(DateTime now, TimeSpan idle)
    {
        var cutoff = LimitMath.UnixMicros(now - idle);
        foreach (var (key, bucket) in _buckets)
            if (Volatile.Read(ref bucket.LastTouched) < cutoff) _buckets.TryRemove(key, out _);
    }
}

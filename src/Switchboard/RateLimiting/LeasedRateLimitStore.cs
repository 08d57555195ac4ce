using System.Collections.Concurrent;
using Npgsql;
using NpgsqlTypes;

namespace Switchboard.RateLimiting;

/// <summary>How a node leases: the longest it keeps a lease before giving back what it did not use, the largest slice,
/// and how many nodes it assumes share a limit (a slice is at most what is left divided by twice that).</summary>
public sealed record LeaseSettings(TimeSpan LeaseDuration, int MaxLeaseTokens, int ExpectedNodes)
{
    public static LeaseSettings Of(Platform.RateLimitOptions options) =>
        new(TimeSpan.FromSeconds(options.LeaseSeconds), options.MaxLeaseTokens, options.ExpectedNodes);
}

/// <summary>
/// PostgreSQL counters without a round trip per request: for a busy limit the node leases a slice of it from the shared
/// row with one conditional upsert (a token bucket's TAT advanced by slice·interval, exactly as taking that many tokens;
/// a daily count raised by the slice), admits from the slice in memory, and gives back what it did not use once the
/// lease is older than <see cref="LeaseSettings.LeaseDuration"/> (or at shutdown). Quiet limits, small limits and limits
/// near exhaustion go to the exact per-request store, as do the policies a lease cannot serve.
/// <para>
/// Why it never admits more than the exact store could: a token bucket's row hands out slots of one interval each on the
/// TAT time line; every admission owns one slot <c>v</c> with <c>a ≤ v</c> and <c>v + interval ≤ a + window</c> (a: the
/// admission time), and no two admissions share a slot, so any span of time [s, e] holds at most
/// window/interval + (e − s)/interval admissions, the exact GCRA's bound. A lease owns the slots [end − n·interval, end),
/// uses its lowest first and drops the slots time has passed (<c>usable = min(held, (end − now)/interval)</c>: those
/// tokens would have refilled a full bucket in vain anyway). Giving back moves the TAT from <c>end</c> to
/// <c>end − unused·interval</c> only while the TAT is still <c>end</c> (conditional UPDATE): had another node reserved
/// after us, moving the TAT back would hand its slots out a second time. A lease that cannot be given back stays with
/// the node, which goes on admitting from it until it is used or time passes its slots; a node that dies loses it (spent,
/// never over-admitted). A daily count has no slots: the unused part is subtracted, always safe.
/// </para>
/// </summary>
public sealed class LeasedRateLimitStore(NpgsqlDataSource dataSource, PostgresRateLimitStore exact, LeaseSettings settings, TimeProvider time,
    ILogger<LeasedRateLimitStore> logger)
    : IRateLimitStore, IAsyncDisposable
{
    private sealed class Lease
    {
        // Local takes and every field below are guarded by this lock; one database operation at a time per key (Busy).
        public readonly Lock Gate = new();
        public Task? Busy;
        public long Generation;
        // The policy shape the lease was taken for; a request with another shape (a changed limit) does not use it.
        public long Limit, WindowMicros, Interval;
        public long Held;      // tokens not used yet
        public long End;       // bucket: the TAT the lease set (its slots end there); quota: the UTC day of the lease
        public long RowUsed;   // quota: the day's count as the lease left it
        public long TakenAt;   // µs
        // This node's recent rate for the key: requests in the current and the previous lease period.
        public long PeriodStart, ThisPeriod, LastPeriod;
        public long Remaining = -1; // what the row had left when last seen (−1: not seen yet)
        public long LastTouched;
    }

    private readonly ConcurrentDictionary<string, Lease> _leases = new(StringComparer.Ordinal);
    private long PeriodMicros => Math.Max(1, (long)settings.LeaseDuration.TotalMicroseconds);

    public async Task<IReadOnlyList<RateLimitDecision>> AcquireAsync(IReadOnlyList<RateLimitPolicy> policies, DateTime now, CancellationToken cancellationToken)
    {
        var count = policies.Count;
        var micros = LimitMath.UnixMicros(now);
        for (var i = 0; i < count; i++)
            if (policies[i].Cost == 0) return await PeekAsync(policies, now, micros, cancellationToken);
        var decisions = new RateLimitDecision[count];
        var leases = new Lease[count];
        var local = new long[count]; // the lease generation a local take came from, 0 when not local
        var pending = 0;
        for (var i = 0; i < count; i++)
        {
            leases[i] = _leases.GetOrAdd(policies[i].Key, static _ => new Lease());
            if (!TryTake(leases[i], policies[i], now, micros, countRate: true, out decisions[i], out local[i])) pending++;
        }
        if (pending == 0) return decisions;

        // A policy the lease cannot serve: take a new lease if the limit is busy and far from exhausted (one database
        // operation per key at a time; the others wait for it), then try the lease again.
        for (var i = 0; i < count; i++)
        {
            if (local[i] != 0) continue;
            var (lease, p) = (leases[i], policies[i]);
            var slice = SliceOf(lease, p);
            if (slice == 0) continue;
            Task? wait;
            TaskCompletionSource? mine = null;
            lock (lease.Gate)
            {
                wait = lease.Busy;
                if (wait is null)
                {
                    mine = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    lease.Busy = mine.Task;
                }
            }
            if (mine is not null)
            {
                // Not the request's token: other requests wait for this renewal, and a lease taken in the database but
                // abandoned on the way back would be lost to everyone. Npgsql's command timeout still bounds it.
                try { await RenewAsync(lease, p, slice, now, micros, CancellationToken.None); }
                catch (Exception ex) when (ex is not OperationCanceledException) { logger.LogWarning(ex, "Leasing {Key} failed", p.Key); }
                finally
                {
                    lock (lease.Gate) lease.Busy = null;
                    mine.SetResult();
                }
            }
            else await wait!.WaitAsync(cancellationToken);
            TryTake(lease, p, now, micros, countRate: false, out decisions[i], out local[i]);
        }

        var rest = new List<RateLimitPolicy>(count);
        for (var i = 0; i < count; i++) if (local[i] == 0) rest.Add(policies[i]);
        if (rest.Count > 0)
        {
            IReadOnlyList<RateLimitDecision> exactDecisions;
            try { exactDecisions = await exact.AcquireAsync(rest, now, cancellationToken); }
            catch
            {
                GiveBack(leases, policies, local, now);
                throw;
            }
            for (int i = 0, j = 0; i < count; i++)
            {
                if (local[i] != 0) continue;
                decisions[i] = exactDecisions[j++];
                lock (leases[i].Gate) leases[i].Remaining = decisions[i].Remaining;
            }
        }
        if (decisions.All(d => d.Allowed)) return decisions;
        // Refused: nothing counts. The exact store gave back its own takes; the lease gets its tokens back.
        GiveBack(leases, policies, local, now);
        for (var i = 0; i < count; i++)
            if (local[i] != 0) decisions[i] = decisions[i] with { Remaining = Math.Min(policies[i].Limit, decisions[i].Remaining + policies[i].Cost) };
        return decisions;
    }

    /// <summary>
    /// A zero-cost request (the usage API reading today's quota) counts nothing: the shared row as it stands, plus what
    /// this node holds unused of it (counted in the row, not spent). Other nodes' unused leases are not seen.
    /// </summary>
    private async Task<IReadOnlyList<RateLimitDecision>> PeekAsync(IReadOnlyList<RateLimitPolicy> policies, DateTime now, long micros,
        CancellationToken cancellationToken)
    {
        var decisions = (await exact.AcquireAsync(policies, now, cancellationToken)).ToArray();
        for (var i = 0; i < decisions.Length; i++)
        {
            if (!_leases.TryGetValue(policies[i].Key, out var lease)) continue;
            lock (lease.Gate)
            {
                if (!Fits(lease, policies[i])) continue;
                var unused = Usable(lease, policies[i], now, micros);
                decisions[i] = decisions[i] with { Remaining = Math.Min(policies[i].Limit, decisions[i].Remaining + unused) };
            }
        }
        return decisions;
    }

    /// <summary>Rolls the rate periods over; called under the lock.</summary>
    private void Roll(Lease lease, long micros)
    {
        var periods = (micros - lease.PeriodStart) / PeriodMicros;
        if (periods <= 0) return;
        lease.LastPeriod = periods == 1 ? lease.ThisPeriod : 0;
        lease.ThisPeriod = 0;
        lease.PeriodStart = micros;
    }

    /// <summary>
    /// How many tokens to lease: twice what this node used in a recent period (enough for the next one), but at most
    /// <see cref="LeaseSettings.MaxLeaseTokens"/>, 1% of the limit and what is left divided by twice the expected nodes.
    /// 0 (no lease, exact decisions) when that is less than two requests' worth.
    /// </summary>
    private long SliceOf(Lease lease, RateLimitPolicy p)
    {
        long rate, remaining;
        lock (lease.Gate)
        {
            rate = Math.Max(lease.ThisPeriod, lease.LastPeriod);
            remaining = lease.Remaining;
        }
        if (rate < 2 || remaining < 0) return 0;
        var slice = Math.Min(Math.Min(2 * rate * p.Cost, settings.MaxLeaseTokens), Math.Min(p.Limit / 100, remaining / (2L * settings.ExpectedNodes)));
        slice -= slice % p.Cost;
        return slice >= 2L * p.Cost ? slice : 0;
    }

    /// <summary>Whether the lease holds units of <paramref name="p"/>'s daily quota for <paramref name="day"/>: such units are all
    /// alike (counted in the row, spent in any order), whichever lease generation they were taken from.</summary>
    private static bool HoldsDay(Lease lease, RateLimitPolicy p, long day) => p.Kind == LimitKind.DailyQuota && Fits(lease, p) && lease.End == day;

    private static bool Fits(Lease lease, RateLimitPolicy p) =>
        lease.Limit == p.Limit && lease.WindowMicros == p.WindowMicros && lease.Interval == (p.Kind == LimitKind.TokenBucket ? p.IntervalMicros : 0);

    /// <summary>Tokens of the lease still usable at <paramref name="micros"/>: a bucket's slots time has passed are gone.</summary>
    private static long Usable(Lease lease, RateLimitPolicy p, DateTime now, long micros) => p.Kind == LimitKind.TokenBucket
        ? Math.Min(lease.Held, Math.Max(0, (lease.End - micros) / lease.Interval))
        : lease.End == LimitMath.DayOf(now) ? lease.Held : 0;

    /// <summary>
    /// Admits from the lease if it can. With <paramref name="countRate"/> (a request's first look, not its retry after a
    /// renewal) the request also counts toward this node's rate for the key, under the same lock.
    /// </summary>
    private bool TryTake(Lease lease, RateLimitPolicy p, DateTime now, long micros, bool countRate, out RateLimitDecision decision, out long generation)
    {
        lock (lease.Gate)
        {
            if (countRate)
            {
                Roll(lease, micros);
                lease.LastTouched = micros;
                lease.ThisPeriod++;
            }
            decision = default;
            generation = 0;
            if (lease.Held == 0 || !Fits(lease, p)) return false;
            var usable = Usable(lease, p, now, micros);
            if (usable < p.Cost)
            {
                lease.Held = usable;
                return false;
            }
            lease.Held = usable - p.Cost;
            generation = lease.Generation;
            decision = Describe(lease, p, now, micros, allowed: true);
            return true;
        }
    }

    /// <summary>
    /// The headers' view: the shared row as this node last saw it (at lease time), plus the tokens this node still holds.
    /// Other nodes' use since then is not seen, so Remaining can be high by what they took since their last lease.
    /// </summary>
    private static RateLimitDecision Describe(Lease lease, RateLimitPolicy p, DateTime now, long micros, bool allowed)
    {
        if (p.Kind == LimitKind.TokenBucket)
        {
            var effective = Math.Max(lease.End - lease.Held * lease.Interval, micros);
            var remaining = Math.Clamp((p.WindowMicros - (effective - micros)) / lease.Interval, 0, p.Limit);
            return new RateLimitDecision(p, allowed, remaining, TimeSpan.FromMicroseconds(effective - micros), TimeSpan.Zero);
        }
        var left = Math.Clamp(p.Limit - lease.RowUsed + lease.Held, 0, p.Limit);
        return new RateLimitDecision(p, allowed, left, DateTime.UnixEpoch.AddDays(LimitMath.DayOf(now) + 1) - now, TimeSpan.Zero);
    }

    private static void GiveBack(Lease[] leases, IReadOnlyList<RateLimitPolicy> policies, long[] local, DateTime now)
    {
        for (var i = 0; i < leases.Length; i++)
        {
            if (local[i] == 0) continue;
            var (lease, p) = (leases[i], policies[i]);
            lock (lease.Gate)
            {
                // A bucket's token goes back only into the lease it came from: a renewed lease's slots are elsewhere on
                // the time line. A day's units are all alike: one taken from a lease renewed since (the node's other
                // requests used it up meanwhile) goes into the new lease of the same day, which the row counts too.
                // Dropping it lost a unit of the quota for every request a bucket refused during a renewal.
                if (lease.Generation == local[i] || HoldsDay(lease, p, LimitMath.DayOf(now))) lease.Held += p.Cost;
            }
        }
    }

    private static long _generations;

    /// <summary>
    /// One batch, one round trip: give back what is left of the previous lease (if it can be), take the new slice and
    /// read the row. Called with the key's Busy slot held.
    /// </summary>
    private async Task RenewAsync(Lease lease, RateLimitPolicy p, long slice, DateTime now, long micros, CancellationToken cancellationToken)
    {
        lock (lease.Gate)
            // Another request renewed it while this one waited for the slot: nothing to do (and nothing to drop).
            if (Fits(lease, p) && Usable(lease, p, now, micros) >= p.Cost) return;
        var expires = now + p.Window + TimeSpan.FromDays(1);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection);
        long returning, generation;
        lock (lease.Gate)
        {
            returning = lease.Held > 0 && Fits(lease, p) ? Usable(lease, p, now, micros) : 0;
            generation = lease.Generation;
            // Out of local use while the batch is in flight, so no request spends what is being given back.
            lease.Held = 0;
            if (returning > 0) batch.BatchCommands.Add(ReturnCommand(lease, p, returning, micros));
        }
        // A bucket's slice starts one lease lifetime ahead of now, at most 1% of the window: a bucket with room (TAT in
        // the past) must not lease slots that time passes within microseconds (with 10⁹ an hour a slot is 3.6 µs). The
        // slots of that lead are nobody's; time passes them within the lead, at most 1% of the limit.
        batch.BatchCommands.Add(p.Kind == LimitKind.TokenBucket
            ? PostgresRateLimitStore.Command(PostgresRateLimitStore.TakeSlice, p.Key, micros, slice * p.IntervalMicros, p.WindowMicros, expires,
                start: micros + Math.Min(PeriodMicros, p.WindowMicros / 100))
            : PostgresRateLimitStore.Command(PostgresRateLimitStore.CountSlice, p.Key, LimitMath.DayOf(now), slice, p.Limit, expires));
        var read = new NpgsqlBatchCommand(PostgresRateLimitStore.Read);
        read.Parameters.Add(new NpgsqlParameter { Value = p.Key, NpgsqlDbType = NpgsqlDbType.Varchar });
        batch.BatchCommands.Add(read);

        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        // The give-back answers a row when it took (RETURNING 1), so every command of the batch has a result set to step
        // over. Npgsql passes over a command that returns no rows: reading the batch by position then took the read for
        // the slice and threw at the end, after the slice was taken in the row, which lost it (session 18: 157 renewals
        // in one randomized run, a quarter of a daily quota).
        var givenBack = false;
        if (returning > 0)
        {
            givenBack = await reader.ReadAsync(cancellationToken);
            await reader.NextResultAsync(cancellationToken);
        }
        long? taken = await reader.ReadAsync(cancellationToken) ? reader.GetInt64(0) : null;
        await reader.NextResultAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var (tat, used) = (reader.GetInt64(0), reader.GetInt64(2));
        var rowDay = reader.GetInt64(1);
        lock (lease.Gate)
        {
            if (returning > 0 && !givenBack && taken is null && lease.Generation == generation)
                lease.Held += returning; // not given back and no new lease: the node goes on using what it holds
            var today = LimitMath.DayOf(now);
            lease.Remaining = p.Kind == LimitKind.TokenBucket
                ? Math.Clamp((p.WindowMicros - (Math.Max(tat, micros) - micros)) / p.IntervalMicros, 0, p.Limit)
                : Math.Max(0, p.Limit - (rowDay == today ? used : 0));
            if (taken is not { } value) return;
            // Units refused requests gave back while this renewal was in flight went into the old lease (Held is 0 since
            // the batch began). A day's units are counted in the row like the new ones: they carry over. Overwriting
            // them lost a unit of the quota for every request a bucket refused during a renewal. A bucket's tokens given
            // back meanwhile are slots of the old lease: dropped, spent.
            var carried = HoldsDay(lease, p, today) ? lease.Held : 0;
            // A previous lease that could not be given back is dropped here: its unused slots stay spent.
            lease.Generation = Interlocked.Increment(ref _generations);
            (lease.Limit, lease.WindowMicros, lease.Interval) = (p.Limit, p.WindowMicros, p.Kind == LimitKind.TokenBucket ? p.IntervalMicros : 0);
            lease.Held = slice + carried;
            lease.TakenAt = micros;
            if (p.Kind == LimitKind.TokenBucket) lease.End = value;
            else (lease.End, lease.RowUsed) = (today, value);
        }
    }

    private static NpgsqlBatchCommand ReturnCommand(Lease lease, RateLimitPolicy p, long unused, long micros)
    {
        NpgsqlBatchCommand command;
        if (p.Kind == LimitKind.TokenBucket)
        {
            // Only while the row's TAT is still where this lease left it, and never below now.
            command = new NpgsqlBatchCommand("""UPDATE rate_limit_buckets SET tat = GREATEST($2 - $3, $4) WHERE "key" = $1 AND tat = $2 RETURNING 1""");
            command.Parameters.Add(new NpgsqlParameter { Value = lease.End, NpgsqlDbType = NpgsqlDbType.Bigint });
            command.Parameters.Add(new NpgsqlParameter { Value = unused * lease.Interval, NpgsqlDbType = NpgsqlDbType.Bigint });
            command.Parameters.Add(new NpgsqlParameter { Value = micros, NpgsqlDbType = NpgsqlDbType.Bigint });
        }
        else
        {
            command = new NpgsqlBatchCommand("""UPDATE rate_limit_buckets SET used = GREATEST(0, used - $2) WHERE "key" = $1 AND day = $3 RETURNING 1""");
            command.Parameters.Add(new NpgsqlParameter { Value = unused, NpgsqlDbType = NpgsqlDbType.Bigint });
            command.Parameters.Add(new NpgsqlParameter { Value = lease.End, NpgsqlDbType = NpgsqlDbType.Bigint });
        }
        command.Parameters.Insert(0, new NpgsqlParameter { Value = p.Key, NpgsqlDbType = NpgsqlDbType.Varchar });
        return command;
    }

    /// <summary>
    /// Gives back the unused part of every lease older than the lease duration (all of them when
    /// <paramref name="all"/>), and forgets keys idle for a minute that hold nothing. Run by <see cref="LeaseReturner"/>.
    /// </summary>
    public async Task ReturnAsync(DateTime now, bool all, CancellationToken cancellationToken)
    {
        var micros = LimitMath.UnixMicros(now);
        foreach (var (key, lease) in _leases)
        {
            TaskCompletionSource? mine = null;
            NpgsqlBatchCommand? command = null;
            long unused = 0, generation = 0;
            lock (lease.Gate)
            {
                if (lease.Held == 0 && micros - lease.LastTouched > 60_000_000 && lease.Busy is null)
                {
                    _leases.TryRemove(new KeyValuePair<string, Lease>(key, lease));
                    continue;
                }
                if (lease.Held == 0 || lease.Busy is not null || (!all && micros - lease.TakenAt < PeriodMicros)) continue;
                var shape = new RateLimitPolicy("lease", key, lease.Interval == 0 ? LimitKind.DailyQuota : LimitKind.TokenBucket, lease.Limit,
                    TimeSpan.FromMicroseconds(lease.WindowMicros));
                unused = Usable(lease, shape, now, micros);
                if (unused == 0) { lease.Held = 0; continue; }
                command = ReturnCommand(lease, shape, unused, micros);
                // Out of local use while the return is in flight; put back if the row refuses it.
                (lease.Held, generation) = (0, lease.Generation);
                mine = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                lease.Busy = mine.Task;
            }
            var given = false;
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
                await using var batch = new NpgsqlBatch(connection) { BatchCommands = { command! } };
                given = await batch.ExecuteNonQueryAsync(cancellationToken) == 1;
            }
            catch (Exception ex) when (ex is not OperationCanceledException) { logger.LogWarning(ex, "Giving back the lease of {Key} failed", key); }
            finally
            {
                lock (lease.Gate)
                {
                    // Not the row's tail any more (or the database failed): keep admitting from it.
                    if (!given && lease.Generation == generation) lease.Held += unused;
                    lease.Busy = null;
                }
                mine!.SetResult();
            }
        }
    }

    /// <summary>Tokens this node holds unused for <paramref name="key"/> (tests and the under-admission bound).</summary>
    public long HeldFor(string key) => _leases.TryGetValue(key, out var lease) ? Volatile.Read(ref lease.Held) : 0;

    public async ValueTask DisposeAsync()
    {
        try { await ReturnAsync(time.GetUtcNow().UtcDateTime, all: true, CancellationToken.None); }
        catch (Exception ex) { logger.LogWarning(ex, "Giving back leases at shutdown failed"); }
    }
}

/// <summary>Gives back leases older than the lease duration, every half lease duration, and all of them at shutdown.</summary>
public sealed class LeaseReturner(IRateLimitStore store, LeaseSettings settings, TimeProvider time, ILogger<LeaseReturner> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (store is not LeasedRateLimitStore leased) return;
        using var timer = new PeriodicTimer(settings.LeaseDuration / 2, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try { await leased.ReturnAsync(time.GetUtcNow().UtcDateTime, all: false, stoppingToken); }
                catch (Exception ex) when (ex is not OperationCanceledException) { logger.LogWarning(ex, "Giving back rate-limit leases failed"); }
            }
        }
        catch (OperationCanceledException) { }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (store is LeasedRateLimitStore leased) await leased.ReturnAsync(time.GetUtcNow().UtcDateTime, all: true, cancellationToken);
    }
}

using System.Collections.Concurrent;
using System.Text;
using Npgsql;
using NpgsqlTypes;

namespace Switchboard.RateLimiting;

/// <summary>
/// Counters shared by every node through PostgreSQL, exact under any concurrency. Each policy is one conditional upsert
/// (the row lock orders concurrent requests, and the WHERE admits only within the limit). All policies of a request go
/// in one statement that chains them: daily quotas first, then token buckets, each upsert running only if the one
/// before it took (data-modifying CTEs reading the previous one's RETURNING), so a request that a quota refuses
/// takes nothing from its key's bucket. A second statement in the same round trip reads the rows for the headers.
/// <para>
/// If a later policy refuses, what the earlier ones took is given back: a daily count always (a count has no order), a
/// token bucket only while its row's TAT is still the one this request set (nobody took after it). Moving a TAT back
/// under someone else's later reservation would hand their slot of the bucket's time line out twice, which a leased
/// slice (<see cref="LeasedRateLimitStore"/>) relies on not happening; a token not given back is spent. Only a request
/// with two buckets (its key's and an endpoint's) can leave one that way.
/// </para>
/// </summary>
public sealed class PostgresRateLimitStore(NpgsqlDataSource dataSource) : IRateLimitStore
{
    /// <summary>
    /// A token bucket's conditional upsert, its parameters from <c>$(n+1)</c>: key, now (µs), cost × interval, window (µs),
    /// expires_at, and the earliest slot to take from (now for a request; later for a leased slice, see
    /// <see cref="LeasedRateLimitStore"/>). Takes only within the window; RETURNING the new TAT as <c>v</c>.
    /// <paramref name="guard"/> (a WHERE on the SELECT) makes the take conditional on an earlier one in the same statement.
    /// </summary>
    internal static string BucketUpsert(int n, string guard = "") => $"""
        INSERT INTO rate_limit_buckets AS b ("key", tat, day, used, expires_at) SELECT ${n + 1}, ${n + 6} + ${n + 3}, 0, 0, ${n + 5}{guard}
        ON CONFLICT ("key") DO UPDATE SET tat = GREATEST(b.tat, ${n + 6}) + ${n + 3}, expires_at = ${n + 5}
        WHERE GREATEST(b.tat, ${n + 6}) + ${n + 3} - ${n + 2} <= ${n + 4} RETURNING tat AS v
        """;

    /// <summary>A daily count's conditional upsert, its parameters from <c>$(n+1)</c>: key, day, cost, limit, expires_at; RETURNING the new count as <c>v</c>.</summary>
    internal static string QuotaUpsert(int n, string guard = "") => $"""
        INSERT INTO rate_limit_buckets AS b ("key", tat, day, used, expires_at) SELECT ${n + 1}, 0, ${n + 2}, ${n + 3}, ${n + 5}{guard}
        ON CONFLICT ("key") DO UPDATE SET used = (CASE WHEN b.day = ${n + 2} THEN b.used ELSE 0 END) + ${n + 3}, day = ${n + 2}, expires_at = ${n + 5}
        WHERE (CASE WHEN b.day = ${n + 2} THEN b.used ELSE 0 END) + ${n + 3} <= ${n + 4} RETURNING used AS v
        """;

    internal static readonly string TakeSlice = BucketUpsert(0), CountSlice = QuotaUpsert(0);
    internal const string Read = """SELECT tat, day, used FROM rate_limit_buckets WHERE "key" = $1""";
    private const string ReadAll = """SELECT "key", tat, day, used FROM rate_limit_buckets WHERE "key" = ANY($1)""";

    // The chained statement for each shape (which of the request's policies are buckets, in chain order): 1–4 policies.
    private static readonly ConcurrentDictionary<int, string> Chains = new();

    public async Task<IReadOnlyList<RateLimitDecision>> AcquireAsync(IReadOnlyList<RateLimitPolicy> policies, DateTime now, CancellationToken cancellationToken)
    {
        var count = policies.Count;
        var micros = LimitMath.UnixMicros(now);
        var today = LimitMath.DayOf(now);
        // Chain order: quotas, then buckets; by key within each, so concurrent requests lock shared rows in one order.
        var order = new int[count];
        LimitMath.LockOrder(policies, order);

        var shape = 0;
        for (var k = 0; k < count; k++) if (policies[order[k]].Kind == LimitKind.TokenBucket) shape |= 1 << k;
        shape |= 1 << (count + 8); // the count, so shapes of different lengths differ
        if (!Chains.TryGetValue(shape, out var sql)) sql = Chains.GetOrAdd(shape, ChainSql(policies, order));
        var chain = new NpgsqlBatchCommand(sql);
        var keys = new string[count];
        for (var k = 0; k < count; k++)
        {
            var p = policies[order[k]];
            keys[k] = p.Key;
            var expires = now + p.Window + TimeSpan.FromDays(1);
            if (p.Kind == LimitKind.TokenBucket) AddParameters(chain, p.Key, micros, p.Cost * p.IntervalMicros, p.WindowMicros, expires, start: micros);
            else AddParameters(chain, p.Key, today, p.Cost, p.Limit, expires);
        }
        var read = new NpgsqlBatchCommand(ReadAll);
        read.Parameters.Add(new NpgsqlParameter { Value = keys, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Varchar });

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection) { BatchCommands = { chain, read } };
        // taken[k]: the value the chain's k-th upsert returned (the new TAT or count), null when it did not take.
        var taken = new long?[count];
        var rows = new Dictionary<string, (long Tat, long Day, long Used)>(count, StringComparer.Ordinal);
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
        {
            await reader.ReadAsync(cancellationToken);
            for (var k = 0; k < count; k++) taken[k] = reader.IsDBNull(k) ? null : reader.GetInt64(k);
            await reader.NextResultAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
                rows[reader.GetString(0)] = (reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3));
        }

        var decisions = new RateLimitDecision[count];
        var refused = Array.FindIndex(taken, t => t is null); // the first policy of the chain that refused, or −1
        for (var k = 0; k < count; k++)
        {
            var p = policies[order[k]];
            var (tat, day, used) = rows.GetValueOrDefault(p.Key);
            RateLimitDecision decision;
            if (refused < 0 || k < refused)
            {
                // Counted (and given back below if a later policy refused): the row as it is now, which counts this request.
                decision = p.Kind == LimitKind.TokenBucket
                    ? Describe(p, tat, micros, allowed: true)
                    : LimitMath.Daily(p with { Cost = 0 }, day, used, now).Decision with { Allowed = true, Policy = p };
                if (refused >= 0) decision = decision with { Remaining = Math.Min(p.Limit, decision.Remaining + p.Cost) };
            }
            else if (k == refused)
            {
                decision = p.Kind == LimitKind.TokenBucket
                    ? Describe(p, tat, micros, allowed: false)
                    : LimitMath.Daily(p with { Cost = 0 }, day, used, now).Decision with { Allowed = false, Policy = p };
                if (p.Kind == LimitKind.DailyQuota) decision = decision with { RetryAfter = decision.ResetAfter };
            }
            else
            {
                // Not reached: its own verdict on the row as it stands, as the in-memory store reports it.
                var verdict = p.Kind == LimitKind.TokenBucket ? LimitMath.TokenBucket(p, tat, micros).Decision : LimitMath.Daily(p, day, used, now).Decision;
                decision = verdict.Allowed ? verdict with { Remaining = Math.Min(p.Limit, verdict.Remaining + p.Cost) } : verdict;
            }
            decisions[order[k]] = decision;
        }
        if (refused > 0) await GiveBackAsync(connection, policies, order, taken, refused, today, cancellationToken);
        return decisions;
    }

    /// <summary>
    /// <c>WITH s0 AS (upsert), s1 AS (upsert … WHERE EXISTS (SELECT 1 FROM s0)), … SELECT (SELECT v FROM s0), …</c>: the
    /// k-th upsert takes only if every one before it took. A data-modifying CTE runs once and to completion whether read
    /// or not; reading the previous one's RETURNING is what orders them.
    /// </summary>
    private static string ChainSql(IReadOnlyList<RateLimitPolicy> policies, int[] order)
    {
        var sql = new StringBuilder("WITH ");
        var n = 0; // parameters so far: six for a bucket, five for a count
        for (var k = 0; k < order.Length; k++)
        {
            var guard = k == 0 ? "" : $" WHERE EXISTS (SELECT 1 FROM s{k - 1})";
            var bucket = policies[order[k]].Kind == LimitKind.TokenBucket;
            sql.Append(k == 0 ? "" : ", ").Append($"s{k} AS (").Append(bucket ? BucketUpsert(n, guard) : QuotaUpsert(n, guard)).Append(')');
            n += bucket ? 6 : 5;
        }
        sql.Append(" SELECT ");
        for (var k = 0; k < order.Length; k++) sql.Append(k == 0 ? "" : ", ").Append($"(SELECT v FROM s{k})");
        return sql.ToString();
    }

    private static RateLimitDecision Describe(RateLimitPolicy p, long tat, long now, bool allowed)
    {
        var interval = p.IntervalMicros;
        var remaining = Math.Max(0, (p.WindowMicros - (Math.Max(tat, now) - now)) / interval);
        var next = Math.Max(tat, now) + p.Cost * interval;
        return new RateLimitDecision(p, allowed, Math.Min(remaining, p.Limit), TimeSpan.FromMicroseconds(Math.Max(0, tat - now)),
            allowed ? TimeSpan.Zero : TimeSpan.FromMicroseconds(Math.Max(0, next - now - p.WindowMicros)));
    }

    /// <summary>Gives back what the chain's first <paramref name="refused"/> policies took (see the class comment for how).</summary>
    private static async Task GiveBackAsync(NpgsqlConnection connection, IReadOnlyList<RateLimitPolicy> policies, int[] order, long?[] taken, int refused,
        long today, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection);
        for (var k = 0; k < refused; k++)
        {
            var p = policies[order[k]];
            var command = p.Kind == LimitKind.TokenBucket
                ? new NpgsqlBatchCommand("""UPDATE rate_limit_buckets SET tat = tat - $2 WHERE "key" = $1 AND tat = $3""")
                : new NpgsqlBatchCommand("""UPDATE rate_limit_buckets SET used = GREATEST(0, used - $2) WHERE "key" = $1 AND day = $3""");
            command.Parameters.Add(new NpgsqlParameter { Value = p.Key, NpgsqlDbType = NpgsqlDbType.Varchar });
            command.Parameters.Add(new NpgsqlParameter { Value = p.Kind == LimitKind.TokenBucket ? p.Cost * p.IntervalMicros : (long)p.Cost, NpgsqlDbType = NpgsqlDbType.Bigint });
            command.Parameters.Add(new NpgsqlParameter { Value = p.Kind == LimitKind.TokenBucket ? taken[k]!.Value : today, NpgsqlDbType = NpgsqlDbType.Bigint });
            batch.BatchCommands.Add(command);
        }
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    internal static NpgsqlBatchCommand Command(string sql, string key, long a, long b, long c, DateTime expires, long? start = null)
    {
        var command = new NpgsqlBatchCommand(sql);
        AddParameters(command, key, a, b, c, expires, start);
        return command;
    }

    /// <summary>An upsert's parameters in <see cref="BucketUpsert"/>'s or <see cref="QuotaUpsert"/>'s order; <paramref name="start"/> for a bucket only.</summary>
    private static void AddParameters(NpgsqlBatchCommand command, string key, long a, long b, long c, DateTime expires, long? start = null)
    {
        command.Parameters.Add(new NpgsqlParameter { Value = key, NpgsqlDbType = NpgsqlDbType.Varchar });
        command.Parameters.Add(new NpgsqlParameter { Value = a, NpgsqlDbType = NpgsqlDbType.Bigint });
        command.Parameters.Add(new NpgsqlParameter { Value = b, NpgsqlDbType = NpgsqlDbType.Bigint });
        command.Parameters.Add(new NpgsqlParameter { Value = c, NpgsqlDbType = NpgsqlDbType.Bigint });
        command.Parameters.Add(new NpgsqlParameter { Value = expires, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        if (start is { } from) command.Parameters.Add(new NpgsqlParameter { Value = from, NpgsqlDbType = NpgsqlDbType.Bigint });
    }
}

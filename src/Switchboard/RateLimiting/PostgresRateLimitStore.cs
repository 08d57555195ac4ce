using Npgsql;
using NpgsqlTypes;

namespace Switchboard.RateLimiting;

/// <summary>
/// Counters shared by every node through PostgreSQL, exact under any concurrency: each policy is one conditional upsert
/// (the row lock orders concurrent requests, and the WHERE admits only within the limit), and all policies of a request
/// travel in one batch, one round trip. If a later policy refuses, the tokens the others took are given back.
/// </summary>
public sealed class PostgresRateLimitStore(NpgsqlDataSource dataSource) : IRateLimitStore
{
    private const string TakeToken = """
        INSERT INTO rate_limit_buckets AS b ("key", tat, day, used, expires_at) VALUES ($1, $2 + $3, 0, 0, $5)
        ON CONFLICT ("key") DO UPDATE SET tat = GREATEST(b.tat, $2) + $3, expires_at = $5
        WHERE GREATEST(b.tat, $2) + $3 - $2 <= $4
        RETURNING tat
        """;
    private const string CountToday = """
        INSERT INTO rate_limit_buckets AS b ("key", tat, day, used, expires_at) VALUES ($1, 0, $2, $3, $5)
        ON CONFLICT ("key") DO UPDATE SET used = (CASE WHEN b.day = $2 THEN b.used ELSE 0 END) + $3, day = $2, expires_at = $5
        WHERE (CASE WHEN b.day = $2 THEN b.used ELSE 0 END) + $3 <= $4
        RETURNING used
        """;
    private const string Read = """SELECT tat, day, used FROM rate_limit_buckets WHERE "key" = $1""";

    public async Task<IReadOnlyList<RateLimitDecision>> AcquireAsync(IReadOnlyList<RateLimitPolicy> policies, DateTime now, CancellationToken cancellationToken)
    {
        var micros = LimitMath.UnixMicros(now);
        var today = LimitMath.DayOf(now);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection);
        foreach (var p in policies)
        {
            var expires = now + p.Window + TimeSpan.FromDays(1);
            var take = p.Kind == LimitKind.TokenBucket
                ? Command(TakeToken, p.Key, micros, p.Cost * p.IntervalMicros, p.WindowMicros, expires)
                : Command(CountToday, p.Key, today, p.Cost, p.Limit, expires);
            batch.BatchCommands.Add(take);
            var read = new NpgsqlBatchCommand(Read);
            read.Parameters.Add(new NpgsqlParameter { Value = p.Key, NpgsqlDbType = NpgsqlDbType.Varchar });
            batch.BatchCommands.Add(read);
        }

        var decisions = new RateLimitDecision[policies.Count];
        var taken = new bool[policies.Count];
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
        {
            for (var i = 0; i < policies.Count; i++)
            {
                taken[i] = await reader.ReadAsync(cancellationToken);
                await reader.NextResultAsync(cancellationToken);
                await reader.ReadAsync(cancellationToken);
                var (tat, day, used) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
                await reader.NextResultAsync(cancellationToken);
                var p = policies[i];
                // The row as it is now, which already counts this request when it was admitted.
                decisions[i] = p.Kind == LimitKind.TokenBucket
                    ? Describe(p, tat, micros, taken[i])
                    : LimitMath.Daily(p with { Cost = 0 }, day, used, now).Decision with { Allowed = taken[i], Policy = p };
                if (!taken[i] && p.Kind == LimitKind.DailyQuota) decisions[i] = decisions[i] with { RetryAfter = decisions[i].ResetAfter };
            }
        }

        if (taken.All(t => t)) return decisions;
        await RefundAsync(connection, policies, taken, today, cancellationToken);
        for (var i = 0; i < policies.Count; i++)
            if (taken[i]) decisions[i] = decisions[i] with { Remaining = Math.Min(policies[i].Limit, decisions[i].Remaining + policies[i].Cost) };
        return decisions;
    }

    private static RateLimitDecision Describe(RateLimitPolicy p, long tat, long now, bool allowed)
    {
        var interval = p.IntervalMicros;
        var remaining = Math.Max(0, (p.WindowMicros - (Math.Max(tat, now) - now)) / interval);
        var next = Math.Max(tat, now) + p.Cost * interval;
        return new RateLimitDecision(p, allowed, Math.Min(remaining, p.Limit), TimeSpan.FromMicroseconds(Math.Max(0, tat - now)),
            allowed ? TimeSpan.Zero : TimeSpan.FromMicroseconds(Math.Max(0, next - now - p.WindowMicros)));
    }

    private static async Task RefundAsync(NpgsqlConnection connection, IReadOnlyList<RateLimitPolicy> policies, bool[] taken, long today, CancellationToken cancellationToken)
    {
        await using var refund = new NpgsqlBatch(connection);
        for (var i = 0; i < policies.Count; i++)
        {
            if (!taken[i]) continue;
            var p = policies[i];
            var command = p.Kind == LimitKind.TokenBucket
                ? new NpgsqlBatchCommand("""UPDATE rate_limit_buckets SET tat = tat - $2 WHERE "key" = $1""")
                : new NpgsqlBatchCommand("""UPDATE rate_limit_buckets SET used = GREATEST(0, used - $2) WHERE "key" = $1 AND day = $3""");
            command.Parameters.Add(new NpgsqlParameter { Value = p.Key, NpgsqlDbType = NpgsqlDbType.Varchar });
            command.Parameters.Add(new NpgsqlParameter { Value = p.Kind == LimitKind.TokenBucket ? p.Cost * p.IntervalMicros : (long)p.Cost, NpgsqlDbType = NpgsqlDbType.Bigint });
            if (p.Kind == LimitKind.DailyQuota) command.Parameters.Add(new NpgsqlParameter { Value = today, NpgsqlDbType = NpgsqlDbType.Bigint });
            refund.BatchCommands.Add(command);
        }
        await refund.ExecuteNonQueryAsync(cancellationToken);
    }

    private static NpgsqlBatchCommand Command(string sql, string key, long a, long b, long c, DateTime expires)
    {
        var command = new NpgsqlBatchCommand(sql);
        command.Parameters.Add(new NpgsqlParameter { Value = key, NpgsqlDbType = NpgsqlDbType.Varchar });
        command.Parameters.Add(new NpgsqlParameter { Value = a, NpgsqlDbType = NpgsqlDbType.Bigint });
        command.Parameters.Add(new NpgsqlParameter { Value = b, NpgsqlDbType = NpgsqlDbType.Bigint });
        command.Parameters.Add(new NpgsqlParameter { Value = c, NpgsqlDbType = NpgsqlDbType.Bigint });
        command.Parameters.Add(new NpgsqlParameter { Value = expires, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        return command;
    }
}

using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Switchboard.Platform;
using Switchboard.Platform.Security;
using Switchboard.Platform.Storage;

namespace Switchboard.Identity;

/// <summary>
/// Brute-force protection for password logins (OWASP ASVS V2.2.1): failures are counted per account and per client
/// IP in a fixed window, in the database so every node sees the same counts. Past the threshold the key is locked
/// for an exponentially growing time (base × 2^(failures − threshold), capped). A success clears the account's count.
/// </summary>
public sealed class LoginThrottler(SwitchboardDbContext db, IOptions<SwitchboardOptions> options, TimeProvider time)
{
    private LoginThrottleOptions Settings => options.Value.Auth.LoginThrottle;

    public static string AccountKey(string normalizedEmail) => "acct:" + SecretHash.Sha256Hex(normalizedEmail)[..40];
    public static string IpKey(string ip) => "ip:" + ip;

    /// <summary>How long until a login may be tried again, or null when it may be tried now.</summary>
    public async Task<TimeSpan?> RetryAfterAsync(string accountKey, string? ipKey, CancellationToken cancellationToken)
    {
        var now = time.UtcNow();
        var keys = ipKey is null ? new[] { accountKey } : [accountKey, ipKey];
        var lockedUntil = await db.LoginThrottles.AsNoTracking()
            .Where(t => keys.Contains(t.Key) && t.LockedUntil != null && t.LockedUntil > now)
            .Select(t => t.LockedUntil).MaxAsync(cancellationToken);
        return lockedUntil is { } until ? until - now : null;
    }

    public async Task RecordFailureAsync(string accountKey, string? ipKey, CancellationToken cancellationToken)
    {
        await CountAsync(accountKey, Settings.MaxFailuresPerAccount, cancellationToken);
        if (ipKey is not null) await CountAsync(ipKey, Settings.MaxFailuresPerIp, cancellationToken);
    }

    public Task ResetAsync(string accountKey, CancellationToken cancellationToken) =>
        db.LoginThrottles.Where(t => t.Key == accountKey).ExecuteDeleteAsync(cancellationToken);

    private async Task CountAsync(string key, int threshold, CancellationToken cancellationToken)
    {
        var now = time.UtcNow();
        var windowStart = now.AddSeconds(-Settings.WindowSeconds);
        // One atomic statement (the same SQL on SQLite ≥ 3.35 and PostgreSQL), so concurrent failures on any nodes all count.
        var failures = (await db.Database.SqlQuery<int>($"""
            INSERT INTO login_throttles ("key", failures, window_started_at, locked_until) VALUES ({key}, 1, {now}, NULL)
            ON CONFLICT ("key") DO UPDATE SET
              failures = CASE WHEN login_throttles.window_started_at < {windowStart} THEN 1 ELSE login_throttles.failures + 1 END,
              window_started_at = CASE WHEN login_throttles.window_started_at < {windowStart} THEN {now} ELSE login_throttles.window_started_at END
            RETURNING failures AS "Value"
            """).ToListAsync(cancellationToken)).Single();
        if (failures < threshold) return;
        var exponent = Math.Min(failures - threshold, 20);
        var seconds = Math.Min(Settings.BaseLockoutSeconds * Math.Pow(2, exponent), Settings.MaxLockoutSeconds);
        var until = now.AddSeconds(seconds);
        await db.LoginThrottles.Where(t => t.Key == key)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.LockedUntil, until), cancellationToken);
    }
}

using Microsoft.EntityFrameworkCore;
using Switchboard.Audit;
using Switchboard.Platform;
using Switchboard.Platform.Auth;
using Switchboard.Platform.Storage;

namespace Switchboard.Identity;

public enum PasswordSignInStatus { Succeeded, Failed, Throttled }

/// <param name="RetryAfter">Set when throttled: how long until a sign-in may be tried again.</param>
public sealed record PasswordSignInResult(PasswordSignInStatus Status, User? User = null, Membership? Membership = null, TimeSpan RetryAfter = default);

/// <summary>
/// The one email-and-password check, behind the login API and the browser sign-in page alike: the
/// <see cref="LoginThrottler"/> per account and per client IP, the same work whether or not the account exists, one
/// answer for an unknown email and a wrong password (no account enumeration), and the audit entries.
/// </summary>
public sealed class PasswordSignIn(SwitchboardDbContext db, PasswordHasher hasher, LoginThrottler throttle, TimeProvider time)
{
    /// <summary>
    /// Checks the credentials. A failure is counted and audited (saved here); a success clears the account's count and
    /// adds the user's last-login time, a rehash if the iteration count was raised, and the audit entry to the unit of
    /// work, for the caller to save with the session it issues.
    /// </summary>
    /// <param name="organizationId">The organization to sign in to; null for the user's first membership.</param>
    public async Task<PasswordSignInResult> VerifyAsync(string email, string password, string? organizationId, HttpContext http,
        CancellationToken cancellationToken, object? auditDetails = null)
    {
        var normalized = AccountService.Normalize(email);
        var accountKey = LoginThrottler.AccountKey(normalized);
        var ipKey = http.ClientIp() is { } ip ? LoginThrottler.IpKey(ip.ToString()) : null;
        if (await throttle.RetryAfterAsync(accountKey, ipKey, cancellationToken) is { } wait)
            return new PasswordSignInResult(PasswordSignInStatus.Throttled, RetryAfter: wait);

        var user = await db.Users.FirstOrDefaultAsync(u => u.NormalizedEmail == normalized, cancellationToken);
        var verification = hasher.Verify(user?.PasswordHash, password);
        var memberships = user is null || verification == PasswordVerification.Failed ? [] :
            await db.Memberships.IgnoreQueryFilters().Where(m => m.UserId == user.Id).OrderBy(m => m.CreatedAt).ToListAsync(cancellationToken);
        var membership = organizationId is null ? memberships.FirstOrDefault() : memberships.FirstOrDefault(m => m.OrganizationId == organizationId);

        if (user is null || membership is null)
        {
            await throttle.RecordFailureAsync(accountKey, ipKey, cancellationToken);
            if (user is not null)
            {
                var home = await db.Memberships.IgnoreQueryFilters().Where(m => m.UserId == user.Id).Select(m => m.OrganizationId).FirstOrDefaultAsync(cancellationToken);
                if (home is not null)
                {
                    AuditTrail.Record(db, http, time, home, "user", user.Id, "auth.login_failed", "user", user.Id, auditDetails);
                    await db.SaveChangesAsync(cancellationToken);
                }
            }
            return new PasswordSignInResult(PasswordSignInStatus.Failed);
        }

        await throttle.ResetAsync(accountKey, cancellationToken);
        if (verification == PasswordVerification.SuccessRehashNeeded) user.PasswordHash = hasher.Hash(password);
        user.LastLoginAt = time.UtcNow();
        AuditTrail.Record(db, http, time, membership.OrganizationId, "user", user.Id, "auth.login", "user", user.Id, auditDetails);
        return new PasswordSignInResult(PasswordSignInStatus.Succeeded, user, membership);
    }
}

using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Switchboard.Identity;
using Switchboard.Platform;
using Switchboard.Platform.Auth;
using Switchboard.Platform.Security;
using Switchboard.Platform.Storage;

namespace Switchboard.OAuth.Browser;

/// <summary>Who is signed in to this browser, and since when the password was entered (OpenID Connect's <c>auth_time</c>).</summary>
public sealed record BrowserSignIn(string SessionId, string UserId, DateTime AuthenticatedAt);

/// <summary>
/// Browser sign-in sessions, stored in the database every node shares (<see cref="BrowserSession"/>). A session ends
/// at sign-out, after <see cref="AuthOptions.BrowserSessionIdleSeconds"/> without a request, at
/// <see cref="AuthOptions.BrowserSessionLifetimeSeconds"/> after sign-in, when the user's password changes, and when
/// the user is invalidated (<see cref="InvalidationKinds.User"/>): on the node that wrote the invalidation at once, on
/// the others at their next poll of the feed, which also ends the sessions in the database for good
/// (<see cref="EndForUsersAsync"/>).
/// </summary>
public sealed class BrowserSessions(SwitchboardDbContext db, AuthInvalidationFeed invalidations, IOptions<SwitchboardOptions> options, TimeProvider time)
{
    private static readonly object RequestCacheKey = new();

    private AuthOptions Settings => options.Value.Auth;

    /// <summary>The signed-in user of this request, or null. Read once per request.</summary>
    public async Task<BrowserSignIn?> CurrentAsync(HttpContext http, CancellationToken ct)
    {
        if (http.Items.TryGetValue(RequestCacheKey, out var known)) return (BrowserSignIn?)known;
        var found = await FindAsync(http, ct);
        http.Items[RequestCacheKey] = found;
        return found;
    }

    private async Task<BrowserSignIn?> FindAsync(HttpContext http, CancellationToken ct)
    {
        var cookie = BrowserCookies.Session(http.Request);
        if (BrowserCookies.Read(http, cookie) is not { } token) return null;
        var hash = SecretHash.Sha256Hex(token);
        var found = await (from s in db.Set<BrowserSession>().AsNoTracking()
                           where s.TokenHash == hash
                           join u in db.Users on s.UserId equals u.Id
                           select new { Session = s, u.PasswordHash }).FirstOrDefaultAsync(ct);
        if (found is null)
        {
            BrowserCookies.Delete(http, cookie);
            return null;
        }

        var session = found.Session;
        var now = time.UtcNow();
        var ended = session.RevokedAt is not null
            || session.ExpiresAt <= now
            || session.LastSeenAt.AddSeconds(Settings.BrowserSessionIdleSeconds) <= now
            || !SecretHash.FixedTimeEquals(session.PasswordStamp, PasswordStamp(found.PasswordHash))
            || invalidations.IsRevoked(session.Id, session.UserId, session.CreatedAt);
        if (ended)
        {
            if (session.RevokedAt is null) await EndAsync(session.Id, now, ct);
            BrowserCookies.Delete(http, cookie);
            return null;
        }

        // The idle clock needs the last request only roughly: one write a minute at most, not one per page.
        var touchEvery = TimeSpan.FromSeconds(Math.Min(60, Settings.BrowserSessionIdleSeconds / 10.0));
        if (now - session.LastSeenAt >= touchEvery)
            await db.Set<BrowserSession>().Where(s => s.Id == session.Id).ExecuteUpdateAsync(u => u.SetProperty(s => s.LastSeenAt, now), ct);
        return new BrowserSignIn(session.Id, session.UserId, session.CreatedAt);
    }

    /// <summary>
    /// Starts a session for <paramref name="user"/> in the unit of work (the caller saves it) and sets the cookie. The
    /// browser's previous session, if any, ends: a sign-in always gets a new token, so a token planted before it is
    /// worth nothing after (session fixation, OWASP Session Management Cheat Sheet).
    /// </summary>
    public async Task<BrowserSession> StartAsync(User user, HttpContext http, CancellationToken ct)
    {
        var now = time.UtcNow();
        var cookie = BrowserCookies.Session(http.Request);
        if (BrowserCookies.Read(http, cookie) is { } previous)
        {
            var previousHash = SecretHash.Sha256Hex(previous);
            await db.Set<BrowserSession>().Where(s => s.TokenHash == previousHash && s.RevokedAt == null)
                .ExecuteUpdateAsync(u => u.SetProperty(s => s.RevokedAt, now), ct);
        }
        var token = SecretHash.RandomToken(32);
        var session = new BrowserSession
        {
            Id = Ids.New("bss", time), TokenHash = SecretHash.Sha256Hex(token), UserId = user.Id, PasswordStamp = PasswordStamp(user.PasswordHash),
            CreatedAt = now, LastSeenAt = now, ExpiresAt = now.AddSeconds(Settings.BrowserSessionLifetimeSeconds),
        };
        db.Add(session);
        BrowserCookies.Write(http, cookie, token);
        http.Items[RequestCacheKey] = new BrowserSignIn(session.Id, user.Id, now);
        return session;
    }

    /// <summary>Ends this browser's session, if it has one, and clears its cookie.</summary>
    public async Task EndCurrentAsync(HttpContext http, CancellationToken ct)
    {
        var cookie = BrowserCookies.Session(http.Request);
        if (BrowserCookies.Read(http, cookie) is { } token)
        {
            var hash = SecretHash.Sha256Hex(token);
            var now = time.UtcNow();
            await db.Set<BrowserSession>().Where(s => s.TokenHash == hash && s.RevokedAt == null)
                .ExecuteUpdateAsync(u => u.SetProperty(s => s.RevokedAt, now), ct);
        }
        BrowserCookies.Delete(http, cookie);
        http.Items[RequestCacheKey] = null;
    }

    /// <summary>The session cookie's value, to which the forms of a signed-in page bind their tokens.</summary>
    public static string? CookieValue(HttpContext http) => BrowserCookies.Read(http, BrowserCookies.Session(http.Request));

    private Task<int> EndAsync(string id, DateTime now, CancellationToken ct) =>
        db.Set<BrowserSession>().Where(s => s.Id == id && s.RevokedAt == null).ExecuteUpdateAsync(u => u.SetProperty(s => s.RevokedAt, now), ct);

    /// <summary>
    /// Ends, in the database, the sessions that user invalidations made before their instants. Called by the
    /// invalidation feed with every batch it reads, so a session unused for longer than the feed keeps revocations in
    /// memory still ends. Applying a row twice changes nothing.
    /// </summary>
    public static async Task EndForUsersAsync(SwitchboardDbContext db, IEnumerable<AuthInvalidation> rows, CancellationToken ct)
    {
        foreach (var row in rows.Where(r => r.Kind == InvalidationKinds.User))
        {
            var (userId, notBefore) = (row.SubjectId, row.NotBefore);
            await db.Set<BrowserSession>().Where(s => s.UserId == userId && s.RevokedAt == null && s.CreatedAt < notBefore)
                .ExecuteUpdateAsync(u => u.SetProperty(s => s.RevokedAt, notBefore), ct);
        }
    }

    /// <summary>Deletes sessions a day after they ended; nothing reads them after that.</summary>
    public static Task<int> PruneAsync(SwitchboardDbContext db, DateTime now, CancellationToken ct)
    {
        var cutoff = now.AddDays(-1);
        return db.Set<BrowserSession>().Where(s => s.ExpiresAt < cutoff || s.RevokedAt < cutoff).ExecuteDeleteAsync(ct);
    }

    /// <summary>Stands for the password hash in a session row: any change of the password (a new salt) changes it.</summary>
    private static string PasswordStamp(string passwordHash) => SecretHash.Sha256Hex("browser-session:" + passwordHash);
}

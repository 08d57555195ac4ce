using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Switchboard.ApiKeys;
using Switchboard.Platform.Storage;

namespace Switchboard.Platform.Auth;

/// <summary>
/// Carries revocations to every node. A revocation is a row written in the same transaction as the change;
/// each node polls for rows newer than its last poll (with an overlap, since applying one twice is harmless)
/// and drops what it cached. The writing node applies it at once; others within one poll interval. User invalidations
/// also end that user's browser sign-ins in the database (<see cref="OAuth.Browser.BrowserSessions.EndForUsersAsync"/>),
/// which live longer than this cache's horizon.
/// </summary>
public sealed class AuthInvalidationFeed(
    IServiceScopeFactory scopes,
    ApiKeyAuthenticator apiKeys,
    OAuth.Protocol.OAuthAppCache oauthApps,
    IOptions<SwitchboardOptions> options,
    TimeProvider time,
    ILogger<AuthInvalidationFeed> logger) : BackgroundService
{
    private static readonly TimeSpan Overlap = TimeSpan.FromSeconds(30);

    // Subject (session or grant id, user id, OAuth client id, access-token jti) -> credentials issued before this instant are refused.
    private readonly ConcurrentDictionary<string, DateTime> _notBefore = new(StringComparer.Ordinal);
    private DateTime _lastPoll = DateTime.MinValue;

    private TimeSpan TokenLifetime => TimeSpan.FromSeconds(options.Value.Auth.AccessTokenLifetimeSeconds);

    /// <summary>Adds the revocation to <paramref name="db"/>'s unit of work; call <see cref="Apply"/> after it commits.</summary>
    public static AuthInvalidation Stage(SwitchboardDbContext db, string kind, string subjectId, TimeProvider time)
    {
        var now = time.UtcNow();
        var row = new AuthInvalidation { Id = Ids.New("inv", time), Kind = kind, SubjectId = subjectId, NotBefore = now, CreatedAt = now };
        db.AuthInvalidations.Add(row);
        return row;
    }

    public void Apply(AuthInvalidation row)
    {
        switch (row.Kind)
        {
            case InvalidationKinds.ApiKey:
                apiKeys.Invalidate(row.SubjectId);
                break;
            case InvalidationKinds.OAuthApp:
                oauthApps.Invalidate(row.SubjectId);
                break;
            case InvalidationKinds.Session or InvalidationKinds.User or InvalidationKinds.AccessToken:
                _notBefore.AddOrUpdate(row.SubjectId, row.NotBefore, (_, old) => old > row.NotBefore ? old : row.NotBefore);
                break;
        }
    }

    /// <summary>Whether a token issued at <paramref name="issuedAt"/> for this session and user was revoked since.</summary>
    public bool IsRevoked(string? sessionId, string userId, DateTime issuedAt) =>
        (sessionId is not null && _notBefore.TryGetValue(sessionId, out var s) && issuedAt < s) ||
        (_notBefore.TryGetValue(userId, out var u) && issuedAt < u);

    /// <summary>
    /// Whether credentials of one more subject issued at <paramref name="issuedAt"/> were revoked since: an OAuth app's
    /// client_id (the app deleted or its secret compromised) or one access token's jti (RFC 7009 revocation).
    /// </summary>
    public bool IsRevoked(string subjectId, DateTime issuedAt) => _notBefore.TryGetValue(subjectId, out var s) && issuedAt < s;

    /// <summary>Reads rows written since the last poll. Public so tests and start-up can force one.</summary>
    public async Task PollAsync(CancellationToken cancellationToken)
    {
        var started = time.UtcNow();
        // On the first poll, every revocation still relevant to a live access token.
        var since = _lastPoll == DateTime.MinValue ? started - TokenLifetime - Overlap : _lastPoll - Overlap;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
        var rows = await db.AuthInvalidations.AsNoTracking().Where(x => x.CreatedAt >= since).ToListAsync(cancellationToken);
        foreach (var row in rows) Apply(row);
        // Browser sign-ins outlive this in-memory horizon: a user invalidation ends them in the database too.
        await OAuth.Browser.BrowserSessions.EndForUsersAsync(db, rows, cancellationToken);
        _lastPoll = started;

        var horizon = started - TokenLifetime - Overlap;
        foreach (var (subject, notBefore) in _notBefore)
            if (notBefore < horizon) _notBefore.TryRemove(subject, out _);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromSeconds(options.Value.Auth.InvalidationPollSeconds);
        var lastPrune = time.GetUtcNow();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await PollAsync(stoppingToken);
                if (time.GetUtcNow() - lastPrune > TimeSpan.FromHours(1))
                {
                    await PruneAsync(stoppingToken);
                    lastPrune = time.GetUtcNow();
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { break; }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "Polling auth invalidations failed; cached credentials stay bounded by their cache lifetime");
            }
            try { await Task.Delay(interval, time, stoppingToken); }
            catch (OperationCanceledException) { break; }
        }
    }

    private async Task PruneAsync(CancellationToken cancellationToken)
    {
        var cutoff = time.UtcNow() - TokenLifetime - TimeSpan.FromDays(1);
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
        await db.AuthInvalidations.Where(x => x.CreatedAt < cutoff).ExecuteDeleteAsync(cancellationToken);
        await OAuth.Browser.BrowserSessions.PruneAsync(db, time.UtcNow(), cancellationToken);
    }
}

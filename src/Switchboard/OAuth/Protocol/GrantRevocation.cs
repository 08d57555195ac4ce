using Microsoft.EntityFrameworkCore;
using Switchboard.Audit;
using Switchboard.Platform;
using Switchboard.Platform.Auth;
using Switchboard.Platform.Storage;

namespace Switchboard.OAuth.Protocol;

/// <summary>
/// Revokes a grant and everything issued under it, in one transaction: the grant's <c>RevokedAt</c>, every refresh token
/// of its family, an <see cref="AuthInvalidationFeed"/> row for its id (the <c>sid</c> of its access tokens, so they stop
/// on every node within a poll interval), the <c>oauth.authorization_revoked</c> event and an audit entry.
/// </summary>
public sealed class GrantRevocation(SwitchboardDbContext db, AuthInvalidationFeed invalidations, TimeProvider time)
{
    /// <summary>Revokes the grant unless it already is; false when it was revoked before (or does not exist).</summary>
    public async Task<bool> RevokeAsync(string grantId, string actorType, string? actorId, string auditAction, object? details,
        HttpContext? http, CancellationToken ct)
    {
        var now = time.UtcNow();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var grant = await db.OAuthGrants.IgnoreQueryFilters().FirstOrDefaultAsync(g => g.Id == grantId, ct);
        if (grant is null || grant.RevokedAt is not null)
        {
            await tx.RollbackAsync(ct);
            return false;
        }
        var app = await db.OAuthApps.IgnoreQueryFilters().AsNoTracking().FirstOrDefaultAsync(a => a.Id == grant.AppId, ct);
        grant.RevokedAt = now;
        grant.UpdatedAt = now;
        await db.RefreshTokens.Where(t => t.FamilyId == grant.Id && t.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.RevokedAt, now), ct);
        var invalidation = AuthInvalidationFeed.Stage(db, InvalidationKinds.Session, grant.Id, time);
        if (app is not null) OAuthResources.StageEvent(db, OAuthResources.RevokedEvent, grant, app, time);
        AuditTrail.Record(db, http, time, grant.OrganizationId, actorType, actorId, auditAction, OAuthResources.Authorizations.Name, grant.Id, details);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        invalidations.Apply(invalidation);
        return true;
    }
}

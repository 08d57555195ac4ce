using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Switchboard.Audit;
using Switchboard.Platform;
using Switchboard.Platform.Auth;
using Switchboard.Platform.Errors;
using Switchboard.Platform.Security;
using Switchboard.Platform.Storage;

namespace Switchboard.Identity;

/// <summary>
/// Sessions of signed-in users: an access token plus a rotating refresh token. Each refresh consumes the token with
/// one conditional UPDATE (so two nodes cannot both redeem it) and issues its successor in the same family; a
/// consumed token presented again means it was stolen or replayed, and the whole family is revoked
/// (RFC 9700 §4.14.2, "refresh token rotation").
/// </summary>
public sealed class SessionService(
    SwitchboardDbContext db, AccessTokenService accessTokens, AuthInvalidationFeed invalidations,
    IOptions<SwitchboardOptions> options, TimeProvider time)
{
    public const string RefreshTokenPrefix = "sbr_";

    /// <summary>Adds a refresh token to the unit of work and returns the response to send once it is saved.</summary>
    public AuthResponse Issue(User user, Organization org, Membership membership, string? familyId = null)
    {
        var now = time.UtcNow();
        var refresh = RefreshTokenPrefix + SecretHash.RandomToken(32);
        var row = new RefreshToken
        {
            Id = Ids.New("rt", time),
            FamilyId = familyId ?? Ids.New("ses", time),
            TokenHash = SecretHash.Sha256Hex(refresh),
            UserId = user.Id,
            OrganizationId = org.Id,
            CreatedAt = now,
            ExpiresAt = now.AddSeconds(options.Value.Auth.RefreshTokenLifetimeSeconds),
        };
        db.RefreshTokens.Add(row);
        var access = accessTokens.Create(user.Id, org.Id, membership.Role, Scopes.ForRole(membership.Role), row.FamilyId);
        return new AuthResponse(access, refresh, "Bearer", accessTokens.LifetimeSeconds, user.AsResponse(), org.AsResponse(membership.Role));
    }

    public async Task<(AuthResponse? Response, string? FailureCode)> RefreshAsync(string presented, HttpContext http, CancellationToken cancellationToken)
    {
        var now = time.UtcNow();
        var hash = SecretHash.Sha256Hex(presented);
        var row = await db.RefreshTokens.AsNoTracking().FirstOrDefaultAsync(t => t.TokenHash == hash, cancellationToken);
        // An OAuth app's refresh token (ClientId set) is redeemed at /oauth/token only: here it would become a full session.
        if (row is null || row.ClientId is not null || row.RevokedAt is not null || row.ExpiresAt <= now) return (null, ErrorCodes.InvalidRefreshToken);

        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        var claimed = row.UsedAt is null && await db.RefreshTokens
            .Where(t => t.Id == row.Id && t.UsedAt == null && t.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.UsedAt, now), cancellationToken) == 1;
        if (!claimed)
        {
            await tx.RollbackAsync(cancellationToken);
            await RevokeFamilyAsync(row.FamilyId, row.OrganizationId, "auth.refresh_token_reused", row.UserId, http, cancellationToken);
            return (null, ErrorCodes.RefreshTokenReused);
        }

        var user = await db.Users.FirstOrDefaultAsync(u => u.Id == row.UserId, cancellationToken);
        var org = await db.Organizations.FirstOrDefaultAsync(o => o.Id == row.OrganizationId, cancellationToken);
        var membership = await db.Memberships.IgnoreQueryFilters()
            .FirstOrDefaultAsync(m => m.UserId == row.UserId && m.OrganizationId == row.OrganizationId, cancellationToken);
        if (user is null || org is null || membership is null)
        {
            await tx.RollbackAsync(cancellationToken);
            return (null, ErrorCodes.InvalidRefreshToken);
        }
        var response = Issue(user, org, membership, row.FamilyId);
        await db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return (response, null);
    }

    /// <summary>Revokes every refresh token of the session and, through the invalidation feed, its access tokens.</summary>
    public async Task RevokeFamilyAsync(string familyId, string organizationId, string auditAction, string userId, HttpContext http, CancellationToken cancellationToken)
    {
        var now = time.UtcNow();
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.RefreshTokens.Where(t => t.FamilyId == familyId && t.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.RevokedAt, now), cancellationToken);
        var invalidation = AuthInvalidationFeed.Stage(db, InvalidationKinds.Session, familyId, time);
        AuditTrail.Record(db, http, time, organizationId, "user", userId, auditAction, "session", familyId);
        await db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
        invalidations.Apply(invalidation);
    }

    public Task<RefreshToken?> FindAsync(string presented, CancellationToken cancellationToken)
    {
        var hash = SecretHash.Sha256Hex(presented);
        return db.RefreshTokens.AsNoTracking().FirstOrDefaultAsync(t => t.TokenHash == hash && t.ClientId == null, cancellationToken);
    }
}

using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Switchboard.Audit;
using Switchboard.Platform;
using Switchboard.Platform.Security;
using Switchboard.Platform.Storage;

namespace Switchboard.OAuth.Protocol;

/// <summary>A validated authorization request waiting for the user (pending) — also what PAR stores.</summary>
public sealed record PendingAuthorization(string Id, OAuthApp App, string RedirectUri, IReadOnlyList<string> RequestedScopes,
    string? State, string CodeChallenge, string? Nonce, string? DpopJkt, string? Prompt, int? MaxAge, DateTime ExpiresAt);

/// <summary>
/// Authorization requests between <c>/oauth/authorize</c> (or <c>/oauth/par</c>) and the user's answer at the consent
/// page: stored validated, answered once, and turned into an authorization code (RFC 6749 §4.1.2) or an error response,
/// both carrying <c>state</c> and <c>iss</c> (RFC 9207 §2).
/// </summary>
public sealed class AuthorizationRequests(SwitchboardDbContext db, OAuthAppCache apps, IOptions<SwitchboardOptions> options, TimeProvider time)
{
    public const string PendingPrefix = "azr";
    public const string PushedPrefix = "par";
    public const string RequestUriPrefix = "urn:ietf:params:oauth:request_uri:";

    /// <summary>The app with this <c>client_id</c>, in any organization (the protocol runs before any tenant is known).</summary>
    public Task<OAuthApp?> FindAppAsync(string clientId, CancellationToken ct) =>
        apps.FindAsync(clientId, (id, token) => db.OAuthApps.IgnoreQueryFilters().AsNoTracking().FirstOrDefaultAsync(a => a.ClientId == id, token), ct);

    /// <summary>Stores a validated request: pending (for the consent page) or pushed (RFC 9126, for a later authorize).</summary>
    public async Task<OAuthAuthorizationRequest> StoreAsync(AuthorizationParameters p, bool pushed, string issuer, CancellationToken ct)
    {
        var now = time.UtcNow();
        var lifetime = pushed ? options.Value.OAuth.PushedRequestLifetimeSeconds : options.Value.OAuth.AuthorizationRequestLifetimeSeconds;
        var row = new OAuthAuthorizationRequest
        {
            // Random, not a ULID: a ULID's successor in the same millisecond is guessable, and the id is the key to the request.
            Id = (pushed ? PushedPrefix : PendingPrefix) + "_" + SecretHash.RandomToken(24),
            AppId = p.App.Id, ClientId = p.App.ClientId, Pushed = pushed, RedirectUri = p.RedirectUri, Scopes = [.. p.Scopes],
            State = p.State, CodeChallenge = p.CodeChallenge, Nonce = p.Nonce, DpopJkt = p.DpopJkt, Prompt = p.Prompt, MaxAge = p.MaxAge,
            Issuer = issuer, CreatedAt = now, ExpiresAt = now.AddSeconds(lifetime),
        };
        db.OAuthAuthorizationRequests.Add(row);
        await db.SaveChangesAsync(ct);
        return row;
    }

    /// <summary>
    /// Redeems a pushed request's <c>request_uri</c> for <paramref name="clientId"/>: once (RFC 9126 §4: the authorization
    /// server SHOULD treat it as one-time use), before it expires, and only for the client that pushed it.
    /// </summary>
    public async Task<OAuthAuthorizationRequest?> ClaimPushedAsync(string requestUri, string clientId, CancellationToken ct)
    {
        if (!requestUri.StartsWith(RequestUriPrefix, StringComparison.Ordinal)) return null;
        var id = requestUri[RequestUriPrefix.Length..];
        if (!id.StartsWith(PushedPrefix + "_", StringComparison.Ordinal) || id.Length > 40) return null;
        var now = time.UtcNow();
        var claimed = await db.OAuthAuthorizationRequests
            .Where(r => r.Id == id && r.Pushed && r.ClientId == clientId && r.UsedAt == null && r.ExpiresAt > now)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.UsedAt, now), ct);
        return claimed == 1 ? await db.OAuthAuthorizationRequests.AsNoTracking().FirstAsync(r => r.Id == id, ct) : null;
    }

    /// <summary>The pending request; null when unknown, expired or already answered.</summary>
    public async Task<PendingAuthorization?> FindPendingAsync(string id, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(id) || id.Length > 40 || !id.StartsWith(PendingPrefix + "_", StringComparison.Ordinal)) return null;
        var now = time.UtcNow();
        var found = await (from r in db.OAuthAuthorizationRequests.AsNoTracking()
                           join a in db.OAuthApps.IgnoreQueryFilters().AsNoTracking() on r.AppId equals a.Id
                           where r.Id == id && !r.Pushed && r.UsedAt == null && r.ExpiresAt > now
                           select new { r, a }).FirstOrDefaultAsync(ct);
        return found is null ? null : AsPending(found.r, found.a);
    }

    private static PendingAuthorization AsPending(OAuthAuthorizationRequest r, OAuthApp app) =>
        new(r.Id, app, r.RedirectUri, r.Scopes, r.State, r.CodeChallenge, r.Nonce, r.DpopJkt, r.Prompt, r.MaxAge, r.ExpiresAt);

    /// <summary>
    /// Issues the code under a grant (creating or widening the user's OAuthGrant, staging oauth.authorization_granted
    /// when the grant is new or its scopes widen), marks the request used, and returns the redirect URI
    /// (code, state, iss per RFC 9207). The scopes granted are <paramref name="grantedScopes"/> within
    /// <see cref="OAuthScopes.Effective"/> for the user's role in <paramref name="organizationId"/>; a user who is not a
    /// member there, or for whom nothing requested can be granted, gets an <c>access_denied</c> redirect instead.
    /// </summary>
    public Task<Uri> ApproveAsync(PendingAuthorization request, string userId, string organizationId, IReadOnlyList<string> grantedScopes,
        HttpContext http, CancellationToken ct) =>
        ApproveAsync(request, userId, organizationId, grantedScopes, authenticatedAt: null, http, ct);

    /// <summary>
    /// <see cref="ApproveAsync(PendingAuthorization, string, string, IReadOnlyList{string}, HttpContext, CancellationToken)"/>,
    /// with when the user signed in (the browser sign-in's time): the OpenID Connect id_token's <c>auth_time</c>, which a
    /// request with <c>max_age</c> requires (Core §2).
    /// </summary>
    public async Task<Uri> ApproveAsync(PendingAuthorization request, string userId, string organizationId, IReadOnlyList<string> grantedScopes,
        DateTime? authenticatedAt, HttpContext http, CancellationToken ct)
    {
        var row = await db.OAuthAuthorizationRequests.AsNoTracking().FirstOrDefaultAsync(r => r.Id == request.Id && !r.Pushed, ct)
            ?? throw new InvalidOperationException("No such authorization request.");
        var membership = await db.Memberships.IgnoreQueryFilters().AsNoTracking()
            .FirstOrDefaultAsync(m => m.UserId == userId && m.OrganizationId == organizationId, ct);
        if (membership is null)
            return await AnswerAsync(row, OAuthErrorCodes.AccessDenied, "The user is not a member of the chosen organization.", ct);
        var app = await db.OAuthApps.IgnoreQueryFilters().AsNoTracking().FirstOrDefaultAsync(a => a.Id == row.AppId, ct);
        if (app is null)
            return await AnswerAsync(row, OAuthErrorCodes.AccessDenied, "The app no longer exists.", ct);
        var scopes = OAuthScopes.Effective([.. grantedScopes.Where(s => row.Scopes.Contains(s))], app, membership.Role);
        if (scopes.Count == 0)
            return await AnswerAsync(row, OAuthErrorCodes.AccessDenied, "None of the requested scopes can be granted by this user.", ct);

        var now = time.UtcNow();
        var code = SecretHash.RandomToken(32);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        if (!await ClaimAsync(row.Id, now, ct))
        {
            await tx.RollbackAsync(ct);
            return Redirect(row, [("error", OAuthErrorCodes.InvalidRequest), ("error_description", "The authorization request was already answered or has expired.")]);
        }

        var grant = await db.OAuthGrants.IgnoreQueryFilters()
            .Where(g => g.OrganizationId == organizationId && g.UserId == userId && g.AppId == app.Id && g.RevokedAt == null)
            .OrderByDescending(g => g.CreatedAt).FirstOrDefaultAsync(ct);
        if (grant is null)
        {
            grant = new OAuthGrant
            {
                Id = Ids.New(OAuthResources.Authorizations, time), OrganizationId = organizationId, AppId = app.Id, UserId = userId,
                Scopes = [.. scopes], CreatedAt = now, UpdatedAt = now,
            };
            db.OAuthGrants.Add(grant);
            Granted(grant, app, http);
        }
        else if (scopes.Except(grant.Scopes, StringComparer.Ordinal).Any())
        {
            grant.Scopes = [.. grant.Scopes.Union(scopes, StringComparer.Ordinal)];
            grant.UpdatedAt = now;
            Granted(grant, app, http);
        }

        db.OAuthAuthorizationCodes.Add(new OAuthAuthorizationCode
        {
            Id = Ids.New("ac", time), CodeHash = SecretHash.Sha256Hex(code), OrganizationId = organizationId, AppId = app.Id,
            ClientId = app.ClientId, UserId = userId, GrantId = grant.Id, RedirectUri = row.RedirectUri, Scopes = [.. scopes],
            CodeChallenge = row.CodeChallenge, Nonce = row.Nonce, DpopJkt = row.DpopJkt, AuthTime = authenticatedAt,
            CreatedAt = now, ExpiresAt = now.AddSeconds(options.Value.OAuth.CodeLifetimeSeconds),
        });
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return Redirect(row, [("code", code)]);
    }

    private void Granted(OAuthGrant grant, OAuthApp app, HttpContext http)
    {
        OAuthResources.StageEvent(db, OAuthResources.GrantedEvent, grant, app, time);
        AuditTrail.Record(db, http, time, grant.OrganizationId, "user", grant.UserId, OAuthResources.GrantedEvent,
            OAuthResources.Authorizations.Name, grant.Id, new { appId = app.Id, clientId = app.ClientId, scopes = grant.Scopes });
    }

    /// <summary>Marks the request used and returns the redirect with error=access_denied (+ state, iss).</summary>
    public Task<Uri> DenyAsync(PendingAuthorization request, CancellationToken ct) =>
        DenyAsync(request, OAuthErrorCodes.AccessDenied, "The user denied the request.", ct);

    /// <summary>
    /// Marks the request used and returns the redirect with <paramref name="error"/> (+ state, iss): <c>access_denied</c>,
    /// or for <c>prompt=none</c> <c>login_required</c>, <c>consent_required</c>, <c>interaction_required</c> (OpenID
    /// Connect Core §3.1.2.6).
    /// </summary>
    public async Task<Uri> DenyAsync(PendingAuthorization request, string error, string? description, CancellationToken ct)
    {
        var row = await db.OAuthAuthorizationRequests.AsNoTracking().FirstOrDefaultAsync(r => r.Id == request.Id && !r.Pushed, ct)
            ?? throw new InvalidOperationException("No such authorization request.");
        return await AnswerAsync(row, error, description, ct);
    }

    private async Task<Uri> AnswerAsync(OAuthAuthorizationRequest row, string error, string? description, CancellationToken ct)
    {
        await ClaimAsync(row.Id, time.UtcNow(), ct);
        return Redirect(row, description is null ? [("error", error)] : [("error", error), ("error_description", description)]);
    }

    /// <summary>Marks the request answered: one conditional UPDATE, so it is answered once across nodes and double submits.</summary>
    private async Task<bool> ClaimAsync(string id, DateTime now, CancellationToken ct) =>
        await db.OAuthAuthorizationRequests.Where(r => r.Id == id && r.UsedAt == null && r.ExpiresAt > now)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.UsedAt, now), ct) == 1;

    private static Uri Redirect(OAuthAuthorizationRequest row, IEnumerable<(string Name, string Value)> parameters) =>
        AuthorizationResponse.To(row.RedirectUri, parameters, row.State, row.Issuer);
}

/// <summary>Builds the redirect of an authorization response: the parameters, <c>state</c> and <c>iss</c> (RFC 9207 §2) in the query.</summary>
public static class AuthorizationResponse
{
    public static Uri To(string redirectUri, IEnumerable<(string Name, string Value)> parameters, string? state, string issuer)
    {
        var query = new List<KeyValuePair<string, string?>>();
        foreach (var (name, value) in parameters) query.Add(new(name, value));
        if (state is not null) query.Add(new("state", state));
        query.Add(new("iss", issuer));
        return new Uri(QueryHelpers.AddQueryString(redirectUri, query));
    }
}

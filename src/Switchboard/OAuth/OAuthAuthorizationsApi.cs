using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Switchboard.Audit;
using Switchboard.Docs;
using Switchboard.Identity;
using Switchboard.Platform;
using Switchboard.Platform.Auth;
using Switchboard.Platform.Errors;
using Switchboard.Platform.Http;
using Switchboard.Platform.Pagination;
using Switchboard.Platform.Storage;

namespace Switchboard.OAuth;

/// <summary>
/// Connected apps: the authorizations (<see cref="OAuthGrant"/>) users gave third-party apps in the organization, at
/// <c>/api/v1/oauth/authorizations</c>. An authorization belongs to a person, so it is managed with a person's
/// credentials: a signed-in user sees and revokes their own, an owner or admin every member's (as they manage members);
/// an app's own delegated token reaches only the authorization it was issued under (to disconnect itself). API keys and
/// client_credentials tokens act for the organization or the app, not for a person, and are refused. No scope gates it:
/// what a caller reaches is decided by who they are. Revoking stops every token of the authorization on every node
/// within a poll interval of the revocation feed.
/// </summary>
public static class OAuthAuthorizationsApi
{
    private const string Path = "/api/v1/oauth/authorizations";

    public static IEndpointRouteBuilder MapOAuthAuthorizationsApi(this IEndpointRouteBuilder app)
    {
        var authorizations = app.MapGroup(Path).WithTags("OAuth authorizations").RequireAuthorization();
        authorizations.MapGet("/", List).WithPaging().WithQueryParameters(
                new QueryParameterDoc("userId", "Another member's authorizations (owners and admins only); by default the caller's own.", Example: "usr_01JD4V2Q8M3ZC5X7T9W1E6R0YB"),
                new QueryParameterDoc("appId", "Only authorizations of this app.", Example: "app_01JD4V2Q8M3ZC5X7T9W1E6R0YB"),
                new QueryParameterDoc("status", "Only authorizations in this state.", Enum: ["active", "revoked"], Example: "active"))
            .ProducesErrors(ErrorCodes.Forbidden).WithName("listOAuthAuthorizations").WithSummary("List the apps a user authorized (connected apps)");
        authorizations.MapGet("/{id}", Get).ProducesErrors(ErrorCodes.Forbidden).WithName("getOAuthAuthorization").WithSummary("Get an authorization")
            .WithConditionalRequests(ifMatch: false, ifNoneMatch: false);
        authorizations.MapDelete("/{id}", Revoke).ProducesErrors(ErrorCodes.Forbidden).WithName("revokeOAuthAuthorization")
            .WithSummary("Revoke an authorization: every token issued under it stops working")
            .WithConditionalRequests(ifMatch: true, ifNoneMatch: false, etag: false);
        return app;
    }

    /// <summary>An authorization with what the list shows of its app, as one query reads it.</summary>
    private sealed class GrantRow
    {
        public required string Id { get; init; }
        public required string AppId { get; init; }
        public required string UserId { get; init; }
        public required string[] Scopes { get; init; }
        public DateTime CreatedAt { get; init; }
        public DateTime UpdatedAt { get; init; }
        public DateTime? LastUsedAt { get; init; }
        public DateTime? RevokedAt { get; init; }
        public required string AppName { get; init; }
        public required string ClientId { get; init; }
        public string? AppHomepageUrl { get; init; }
        public string? AppLogoUrl { get; init; }

        public OAuthAuthorizationResponse AsResponse() => new(Id, AppId, AppName, ClientId, AppHomepageUrl, AppLogoUrl, UserId, Scopes,
            RevokedAt is null ? "active" : "revoked", CreatedAt, UpdatedAt, LastUsedAt, RevokedAt);
    }

    internal static async Task<Results<Ok<ListResponse<OAuthAuthorizationResponse>>, ProblemHttpResult>> List(
        SwitchboardDbContext db, HttpContext http, CancellationToken cancellationToken)
    {
        var caller = http.GetCaller();
        if (Refusal(caller) is { } refused) return refused;
        if (!PageRequest.TryParse(http.Request, out var page, out var problem)) return problem!;
        var query = Visible(db.OAuthGrants.AsNoTracking(), db, caller, wholeOrganization: IsAdmin(caller));

        var userId = http.Request.Query["userId"].ToString();
        if (userId.Length == 0) query = query.Where(g => g.UserId == caller.UserId);
        else if (!Ids.LooksValid(userId, IdentityResources.Members)) return ApiProblem.Validation("userId", "Must be a user id (usr_…).");
        else if (userId != caller.UserId && !IsAdmin(caller))
            return Forbidden("Only an owner or an admin sees other members' authorizations.");
        else query = query.Where(g => g.UserId == userId);

        var appId = http.Request.Query["appId"].ToString();
        if (appId.Length > 0)
        {
            if (!Ids.LooksValid(appId, OAuthResources.Apps)) return ApiProblem.Validation("appId", "Must be an app id (app_…).");
            query = query.Where(g => g.AppId == appId);
        }
        switch (http.Request.Query["status"].ToString())
        {
            case "": break;
            case "active": query = query.Where(g => g.RevokedAt == null); break;
            case "revoked": query = query.Where(g => g.RevokedAt != null); break;
            default: return ApiProblem.Validation("status", "Must be active or revoked.");
        }
        return TypedResults.Ok(await Paging.NewestFirstAsync(WithApp(query, db), r => r.Id, page, http, r => r.AsResponse(), cancellationToken));
    }

    internal static async Task<Results<Ok<OAuthAuthorizationResponse>, ProblemHttpResult>> Get(
        string id, SwitchboardDbContext db, HttpContext http, CancellationToken cancellationToken)
    {
        var caller = http.GetCaller();
        if (Refusal(caller) is { } refused) return refused;
        if (!Ids.LooksValid(id, OAuthResources.Authorizations)) return NotFound();
        var row = await WithApp(Visible(db.OAuthGrants.AsNoTracking(), db, caller, IsAdmin(caller)).Where(g => g.Id == id), db).FirstOrDefaultAsync(cancellationToken);
        if (row is null) return NotFound();
        ETags.Set(http.Response, ETags.For(row.Id, row.UpdatedAt));
        return TypedResults.Ok(row.AsResponse());
    }

    /// <summary>
    /// Revokes the authorization in one transaction: the grant (never reused: a new authorization makes a new one), its
    /// refresh-token family, a revocation of its id (the <c>sid</c> of its access tokens) for every node's feed, the
    /// <c>oauth.authorization_revoked</c> event and the audit entry. Revoking a revoked authorization changes nothing.
    /// </summary>
    internal static async Task<Results<NoContent, ProblemHttpResult>> Revoke(
        string id, SwitchboardDbContext db, TimeProvider time, AuthInvalidationFeed invalidations, HttpContext http, CancellationToken cancellationToken)
    {
        var caller = http.GetCaller();
        if (Refusal(caller) is { } refused) return refused;
        if (!Ids.LooksValid(id, OAuthResources.Authorizations)) return NotFound();
        var grant = await Visible(db.OAuthGrants, db, caller, IsAdmin(caller)).FirstOrDefaultAsync(g => g.Id == id, cancellationToken);
        if (grant is null) return NotFound();
        if (!ETags.IfMatchSatisfied(http.Request, ETags.For(grant.Id, grant.UpdatedAt)))
            return ApiProblem.Result(412, ErrorCodes.PreconditionFailed, "The authorization changed since you read it (If-Match does not match its ETag).");
        if (grant.RevokedAt is not null) return TypedResults.NoContent();
        var app = await db.OAuthApps.AsNoTracking().FirstAsync(a => a.Id == grant.AppId, cancellationToken);

        var now = time.UtcNow();
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        grant.RevokedAt = grant.UpdatedAt = now;
        await db.RefreshTokens.Where(t => t.OrganizationId == grant.OrganizationId && t.FamilyId == grant.Id && t.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.RevokedAt, now), cancellationToken);
        var invalidation = AuthInvalidationFeed.Stage(db, InvalidationKinds.Session, grant.Id, time);
        OAuthResources.StageEvent(db, OAuthResources.RevokedEvent, grant, app, time);
        AuditTrail.Record(db, http, time, caller, "oauth_authorization.revoked", OAuthResources.Authorizations.Name, grant.Id,
            new { grant.AppId, app.ClientId, appName = app.Name, grant.UserId, grant.Scopes });
        await db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
        invalidations.Apply(invalidation);
        return TypedResults.NoContent();
    }

    /// <summary>API keys and client_credentials tokens act for no person: they have no authorizations of their own.</summary>
    private static ProblemHttpResult? Refusal(Caller caller) => caller.Kind switch
    {
        CallerKind.ApiKey => Forbidden("An API key acts for the organization, not for a person: manage authorizations with a user's credentials."),
        CallerKind.OAuthClient when caller.UserId is null || caller.ClientId is null || caller.UserId == caller.ClientId =>
            Forbidden("A client_credentials token acts for its app, not for a person: manage authorizations with a user's credentials."),
        _ => null,
    };

    /// <summary>Owners and admins manage every member's authorizations, as they manage members; only when signed in themselves.</summary>
    private static bool IsAdmin(Caller caller) => caller.Kind == CallerKind.User && caller.Has(Scopes.Admin);

    /// <summary>
    /// The grants the caller may reach (the tenant filter already keeps them to its organization): a user's own, or, for an
    /// owner or admin, the organization's; an app's delegated token reaches only its user's grant of that app.
    /// </summary>
    private static IQueryable<OAuthGrant> Visible(IQueryable<OAuthGrant> grants, SwitchboardDbContext db, Caller caller, bool wholeOrganization)
    {
        if (caller.Kind == CallerKind.User) return wholeOrganization ? grants : grants.Where(g => g.UserId == caller.UserId);
        var (userId, clientId) = (caller.UserId, caller.ClientId);
        return grants.Where(g => g.UserId == userId && db.OAuthApps.Any(a => a.Id == g.AppId && a.ClientId == clientId));
    }

    private static IQueryable<GrantRow> WithApp(IQueryable<OAuthGrant> grants, SwitchboardDbContext db) =>
        grants.Join(db.OAuthApps, g => g.AppId, a => a.Id, (g, a) => new GrantRow
        {
            Id = g.Id, AppId = g.AppId, UserId = g.UserId, Scopes = g.Scopes, CreatedAt = g.CreatedAt, UpdatedAt = g.UpdatedAt,
            LastUsedAt = g.LastUsedAt, RevokedAt = g.RevokedAt, AppName = a.Name, ClientId = a.ClientId,
            AppHomepageUrl = a.HomepageUrl, AppLogoUrl = a.LogoUrl,
        });

    private static ProblemHttpResult NotFound() => ApiProblem.NotFound("authorization");

    private static ProblemHttpResult Forbidden(string detail) => ApiProblem.Result(403, ErrorCodes.Forbidden, detail);
}

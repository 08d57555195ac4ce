using FluentValidation;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Switchboard.Audit;
using Switchboard.Docs;
using Switchboard.Platform;
using Switchboard.Platform.Auth;
using Switchboard.Platform.Errors;
using Switchboard.Platform.Http;
using Switchboard.Platform.Pagination;
using Switchboard.Platform.Storage;
using Switchboard.Platform.Validation;

namespace Switchboard.OAuth;

/// <summary>
/// Registration of third-party apps (OAuth 2.0 clients, RFC 6749 §2) at <c>/api/v1/oauth/apps</c>, modelled on API keys:
/// the client secret is shown once and stored as its SHA-256, rotation keeps the previous secret for a grace period, a
/// caller cannot register an app that could obtain more than the caller itself holds, and every change is audited.
/// </summary>
public static class OAuthAppsApi
{
    private static readonly string Read = Scopes.Read(OAuthResources.Apps.Scope!);
    private static readonly string Write = Scopes.Write(OAuthResources.Apps.Scope!);
    private const string Path = "/api/v1/oauth/apps";

    public static IEndpointRouteBuilder MapOAuthAppsApi(this IEndpointRouteBuilder app)
    {
        var apps = app.MapGroup(Path).WithTags("OAuth apps");
        apps.MapPost("/", Create).RequireScope(Write).WithName("createOAuthApp")
            .WithSummary("Register an app (a confidential app's client secret is shown once)")
            .WithConditionalRequests(ifMatch: false, ifNoneMatch: false);
        apps.MapGet("/", List).RequireScope(Read).WithPaging().WithQueryParameters(
                new QueryParameterDoc("type", "Only apps of this type.", Enum: OAuthAppTypes.All, Example: OAuthAppTypes.Confidential))
            .WithName("listOAuthApps").WithSummary("List registered apps");
        apps.MapGet("/{id}", Get).RequireScope(Read).WithName("getOAuthApp").WithSummary("Get an app")
            .WithConditionalRequests(ifMatch: false, ifNoneMatch: false);
        apps.MapPatch("/{id}", Update).RequireScope(Write).WithName("updateOAuthApp").WithSummary("Update an app")
            .WithConditionalRequests(ifMatch: true, ifNoneMatch: false);
        apps.MapDelete("/{id}", Delete).RequireScope(Write).WithName("deleteOAuthApp")
            .WithSummary("Delete an app; every authorization of it is revoked and its tokens stop working")
            .WithConditionalRequests(ifMatch: true, ifNoneMatch: false, etag: false);
        apps.MapPost("/{id}/rotate-secret", RotateSecret).RequireScope(Write).WithName("rotateOAuthAppSecret")
            .WithSummary("Replace a confidential app's client secret; the old one keeps working for the grace period")
            .WithConditionalRequests(ifMatch: false, ifNoneMatch: false).ProducesErrors(ErrorCodes.Conflict);
        return app;
    }

    internal static async Task<Results<Created<OAuthAppResponse>, ProblemHttpResult>> Create(
        OAuthAppInput input, IValidator<OAuthAppInput> validator, SwitchboardDbContext db, TimeProvider time, HttpContext http,
        CancellationToken cancellationToken)
    {
        if (await validator.CheckAsync(input, BodyUse.Create, cancellationToken) is { } invalid) return invalid;
        var caller = http.GetCaller();
        // An app's client_credentials tokens carry its scopes: registering one must not hand out more than the caller holds.
        if (!Scopes.Covers(caller.Scopes, input.Scopes.Value!)) return CannotGrant();
        var now = time.UtcNow();
        var confidential = input.Type.Value == OAuthAppTypes.Confidential;
        (string? Secret, string? Hash, string? Prefix) secret = confidential ? OAuthAppCredentials.Generate() : (null, null, null);
        var app = new OAuthApp
        {
            Id = Ids.New(OAuthResources.Apps, time),
            OrganizationId = caller.OrganizationId,
            ClientId = OAuthAppCredentials.NewClientId(),
            Name = input.Name.Value!.Trim(),
            Description = input.Description.Value.Clean(),
            HomepageUrl = input.HomepageUrl.Value,
            LogoUrl = input.LogoUrl.Value,
            RedirectUris = input.RedirectUris.Value!,
            Scopes = input.Scopes.Value!,
            Type = input.Type.Value!,
            SecretHash = secret.Hash,
            SecretPrefix = secret.Prefix,
            Jwks = input.Jwks.Value is { } jwks ? OAuthAppRules.Serialize(jwks) : null,
            CreatedByUserId = caller.UserId,
            CreatedAt = now,
            UpdatedAt = now,
        };
        db.OAuthApps.Add(app);
        AuditTrail.Record(db, http, time, caller, "oauth_app.created", OAuthResources.Apps.Name, app.Id,
            new { app.Name, app.ClientId, app.Type, app.Scopes, app.RedirectUris, app.SecretPrefix, hasJwks = app.Jwks is not null });
        await db.SaveChangesAsync(cancellationToken);
        ETags.Set(http.Response, ETags.For(app.Id, app.UpdatedAt));
        return TypedResults.Created($"{Path}/{app.Id}", app.AsResponse(now, secret.Secret));
    }

    internal static async Task<Results<Ok<ListResponse<OAuthAppResponse>>, ProblemHttpResult>> List(
        SwitchboardDbContext db, TimeProvider time, HttpContext http, CancellationToken cancellationToken)
    {
        if (!PageRequest.TryParse(http.Request, out var page, out var problem)) return problem!;
        var query = db.OAuthApps.AsNoTracking();
        switch (http.Request.Query["type"].ToString())
        {
            case "": break;
            case OAuthAppTypes.Confidential: query = query.Where(a => a.Type == OAuthAppTypes.Confidential); break;
            case OAuthAppTypes.Public: query = query.Where(a => a.Type == OAuthAppTypes.Public); break;
            default: return ApiProblem.Validation("type", "Must be confidential or public.");
        }
        var now = time.UtcNow();
        return TypedResults.Ok(await Paging.NewestFirstAsync(query, a => a.Id, page, http, a => a.AsResponse(now), cancellationToken));
    }

    internal static async Task<Results<Ok<OAuthAppResponse>, ProblemHttpResult>> Get(
        string id, SwitchboardDbContext db, TimeProvider time, HttpContext http, CancellationToken cancellationToken)
    {
        var app = await FindAsync(db, id, cancellationToken);
        if (app is null) return NotFound();
        ETags.Set(http.Response, ETags.For(app.Id, app.UpdatedAt));
        return TypedResults.Ok(app.AsResponse(time.UtcNow()));
    }

    internal static async Task<Results<Ok<OAuthAppResponse>, ProblemHttpResult>> Update(
        string id, OAuthAppInput input, IValidator<OAuthAppInput> validator, SwitchboardDbContext db, TimeProvider time,
        AuthInvalidationFeed invalidations, HttpContext http, CancellationToken cancellationToken)
    {
        var app = await FindAsync(db, id, cancellationToken);
        if (app is null) return NotFound();
        if (!ETags.IfMatchSatisfied(http.Request, ETags.For(app.Id, app.UpdatedAt))) return PreconditionFailed();
        if (await validator.CheckAsync(input, BodyUse.Update, cancellationToken) is { } invalid) return invalid;
        if (input.Type.IsSet && input.Type.Value != app.Type)
            return ApiProblem.Validation("type", $"An app's type cannot change (this one is {app.Type}); register a new app instead.");
        if (app.Type == OAuthAppTypes.Public && input.Jwks.Value is not null)
            return ApiProblem.Validation("jwks", "A public app has no client authentication, so no keys: use a confidential app for private_key_jwt.");
        var caller = http.GetCaller();
        // Changing an app must not let the caller reach beyond its own scopes, before or after.
        if (!Scopes.Covers(caller.Scopes, app.Scopes) || (input.Scopes.IsSet && !Scopes.Covers(caller.Scopes, input.Scopes.Value!)))
            return CannotGrant();

        var narrowed = input.Scopes.IsSet && app.Scopes.Except(input.Scopes.Value!, StringComparer.Ordinal).Any();
        input.Name.IfSet(v => app.Name = v!.Trim());
        input.Description.IfSet(v => app.Description = v.Clean());
        input.HomepageUrl.IfSet(v => app.HomepageUrl = v);
        input.LogoUrl.IfSet(v => app.LogoUrl = v);
        input.RedirectUris.IfSet(v => app.RedirectUris = v!);
        input.Scopes.IfSet(v => app.Scopes = v!);
        input.Jwks.IfSet(v => app.Jwks = v is null ? null : OAuthAppRules.Serialize(v));
        app.UpdatedAt = time.UtcNow();

        // Tokens issued before a scope was taken away carry it until they expire; stop them on every node, so the app
        // must come back (a refresh) for tokens within its new scopes.
        var invalidation = narrowed ? AuthInvalidationFeed.Stage(db, InvalidationKinds.Session, app.ClientId, time) : null;
        var changed = AuthInvalidationFeed.Stage(db, InvalidationKinds.OAuthApp, app.ClientId, time); // every node reloads the app
        AuditTrail.Record(db, http, time, caller, "oauth_app.updated", OAuthResources.Apps.Name, app.Id,
            new { app.Name, app.Scopes, app.RedirectUris, app.HomepageUrl, app.LogoUrl, hasJwks = app.Jwks is not null });
        await db.SaveChangesAsync(cancellationToken);
        if (invalidation is not null) invalidations.Apply(invalidation);
        invalidations.Apply(changed);
        ETags.Set(http.Response, ETags.For(app.Id, app.UpdatedAt));
        return TypedResults.Ok(app.AsResponse(app.UpdatedAt));
    }

    /// <summary>
    /// Deletes the app and, in the same transaction, revokes every authorization of it (each with its
    /// <c>oauth.authorization_revoked</c> event and its refresh-token family) and records a revocation of its client id,
    /// which every node applies to the app's access tokens within a poll interval.
    /// </summary>
    internal static async Task<Results<NoContent, ProblemHttpResult>> Delete(
        string id, SwitchboardDbContext db, Protocol.GrantRevocation revocation, TimeProvider time, AuthInvalidationFeed invalidations, HttpContext http,
        CancellationToken cancellationToken)
    {
        var app = await FindAsync(db, id, cancellationToken);
        if (app is null) return NotFound();
        if (!ETags.IfMatchSatisfied(http.Request, ETags.For(app.Id, app.UpdatedAt))) return PreconditionFailed();

        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        var grants = await db.OAuthGrants.Where(g => g.AppId == app.Id && g.RevokedAt == null).ToListAsync(cancellationToken);
        await revocation.StageAsync(grants, app, cancellationToken);
        var invalidation = AuthInvalidationFeed.Stage(db, InvalidationKinds.Session, app.ClientId, time);
        var changed = AuthInvalidationFeed.Stage(db, InvalidationKinds.OAuthApp, app.ClientId, time); // every node forgets the app
        AuditTrail.Record(db, http, time, http.GetCaller(), "oauth_app.deleted", OAuthResources.Apps.Name, app.Id,
            new { app.Name, app.ClientId, revokedAuthorizations = grants.Count });
        db.OAuthApps.Remove(app);
        await db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
        invalidations.Apply(invalidation);
        invalidations.Apply(changed);
        return TypedResults.NoContent();
    }

    /// <summary>
    /// A new client secret, shown once. With a grace period the previous secret keeps authenticating until it ends (a
    /// planned rotation: deploy the new secret, then let the old one lapse). Without one (a leak) the previous secret
    /// stops at once and so does every access token issued to the app so far; refresh tokens stay valid, so the app's
    /// users are not signed out once it presents the new secret.
    /// </summary>
    internal static async Task<Results<Ok<OAuthAppResponse>, ProblemHttpResult>> RotateSecret(
        string id, RotateOAuthAppSecretRequest request, IValidator<RotateOAuthAppSecretRequest> validator, SwitchboardDbContext db,
        TimeProvider time, AuthInvalidationFeed invalidations, HttpContext http, CancellationToken cancellationToken)
    {
        if (await validator.CheckAsync(request, cancellationToken) is { } invalid) return invalid;
        var app = await FindAsync(db, id, cancellationToken);
        if (app is null) return NotFound();
        if (app.Type != OAuthAppTypes.Confidential || app.SecretHash is null)
            return ApiProblem.Conflict(ErrorCodes.Conflict, "A public app has no client secret to rotate.");
        var caller = http.GetCaller();
        // The answer holds a working secret for the app's scopes: only a caller holding them may ask for it.
        if (!Scopes.Covers(caller.Scopes, app.Scopes)) return CannotGrant();

        var now = time.UtcNow();
        var grace = request.GracePeriodSeconds ?? 0;
        var secret = OAuthAppCredentials.Generate();
        app.PreviousSecretHash = grace == 0 ? null : app.SecretHash;
        app.PreviousSecretExpiresAt = grace == 0 ? null : now.AddSeconds(grace);
        (app.SecretHash, app.SecretPrefix) = (secret.Hash, secret.Prefix);
        app.UpdatedAt = now;
        var invalidation = grace == 0 ? AuthInvalidationFeed.Stage(db, InvalidationKinds.Session, app.ClientId, time) : null;
        var changed = AuthInvalidationFeed.Stage(db, InvalidationKinds.OAuthApp, app.ClientId, time); // every node reloads the secret
        AuditTrail.Record(db, http, time, caller, "oauth_app.secret_rotated", OAuthResources.Apps.Name, app.Id,
            new { gracePeriodSeconds = grace, previousSecretExpiresAt = app.PreviousSecretExpiresAt, app.SecretPrefix });
        await db.SaveChangesAsync(cancellationToken);
        if (invalidation is not null) invalidations.Apply(invalidation);
        invalidations.Apply(changed);
        ETags.Set(http.Response, ETags.For(app.Id, app.UpdatedAt));
        return TypedResults.Ok(app.AsResponse(now, secret.Secret));
    }

    private static Task<OAuthApp?> FindAsync(SwitchboardDbContext db, string id, CancellationToken cancellationToken) =>
        Ids.LooksValid(id, OAuthResources.Apps) ? db.OAuthApps.FirstOrDefaultAsync(a => a.Id == id, cancellationToken) : Task.FromResult<OAuthApp?>(null);

    private static ProblemHttpResult NotFound() => ApiProblem.NotFound("OAuth app");

    private static ProblemHttpResult CannotGrant() =>
        ApiProblem.Result(403, ErrorCodes.InsufficientScope, "An app cannot be given, or expose, scopes that your own credentials do not hold.");

    private static ProblemHttpResult PreconditionFailed() =>
        ApiProblem.Result(412, ErrorCodes.PreconditionFailed, "The app changed since you read it (If-Match does not match its ETag).");
}

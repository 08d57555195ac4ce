using Switchboard.Docs;
using FluentValidation;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Switchboard.Audit;
using Switchboard.Platform;
using Switchboard.Platform.Auth;
using Switchboard.Platform.Errors;
using Switchboard.Platform.Http;
using Switchboard.Platform.Pagination;
using Switchboard.Platform.Security;
using Switchboard.Platform.Storage;
using Switchboard.Platform.Validation;

namespace Switchboard.ApiKeys;

public static class ApiKeysApi
{
    private static readonly string Read = ApiKeyResource.Declaration.ReadScope;
    private static readonly string Write = ApiKeyResource.Declaration.WriteScope;

    public static IEndpointRouteBuilder MapApiKeysApi(this IEndpointRouteBuilder app)
    {
        var keys = app.MapGroup("/api/v1/api-keys").WithTags("API keys");
        keys.MapPost("/", Create).RequireScope(Write).WithName("createApiKey").WithSummary("Create an API key (the secret is shown once)")
            .WithConditionalRequests(ifMatch: false, ifNoneMatch: false);
        keys.MapGet("/", List).RequireScope(Read).WithPaging()
            .WithQueryParameters(new QueryParameterDoc("status", "Only keys in this state.", Enum: ["active", "expired", "revoked"], Example: "active")).WithName("listApiKeys").WithSummary("List API keys (masked)");
        keys.MapGet("/{id}", Get).RequireScope(Read).WithName("getApiKey").WithSummary("Get an API key (masked)")
            .WithConditionalRequests(ifMatch: false, ifNoneMatch: false);
        keys.MapPatch("/{id}", Update).RequireScope(Write).WithName("updateApiKey").WithSummary("Update an API key")
            .WithConditionalRequests(ifMatch: true, ifNoneMatch: false);
        keys.MapDelete("/{id}", Revoke).RequireScope(Write).WithName("revokeApiKey").WithSummary("Revoke an API key");
        keys.MapPost("/{id}/rotate", Rotate).RequireScope(Write).WithName("rotateApiKey")
            .WithSummary("Replace an API key; the old one keeps working for the grace period")
            .WithConditionalRequests(ifMatch: false, ifNoneMatch: false).ProducesErrors(ErrorCodes.Conflict);
        return app;
    }

    internal static async Task<Results<Created<ApiKeyResponse>, ProblemHttpResult>> Create(
        CreateApiKeyRequest request, IValidator<CreateApiKeyRequest> validator, SwitchboardDbContext db, TimeProvider time, HttpContext http,
        CancellationToken cancellationToken)
    {
        if (await validator.CheckAsync(request, cancellationToken) is { } invalid) return invalid;
        var caller = http.GetCaller();
        if (!Scopes.Covers(caller.Scopes, request.Scopes!)) return CannotGrant();
        var now = time.UtcNow();
        var secret = ApiKeyFormat.Generate();
        var key = new ApiKey
        {
            Id = Ids.New(ApiKeyResource.Declaration, time),
            OrganizationId = caller.OrganizationId,
            Name = request.Name!.Trim(),
            KeyPrefix = ApiKeyFormat.DisplayPrefix(secret),
            KeyHash = SecretHash.Sha256Hex(secret),
            Scopes = request.Scopes!,
            ExpiresAt = request.ExpiresAt?.ToUniversalTime(),
            RateLimitRequests = request.RateLimit?.Requests,
            RateLimitWindowSeconds = request.RateLimit?.WindowSeconds,
            AllowedIps = NormalizeIps(request.AllowedIps),
            CreatedByUserId = caller.UserId,
            CreatedAt = now,
            UpdatedAt = now,
        };
        db.ApiKeys.Add(key);
        AuditTrail.Record(db, http, time, caller, "api_key.created", "api_key", key.Id, new { key.Name, key.Scopes, key.KeyPrefix });
        await db.SaveChangesAsync(cancellationToken);
        ETags.Set(http.Response, ETags.For(key.Id, key.UpdatedAt));
        return TypedResults.Created($"/api/v1/api-keys/{key.Id}", key.AsResponse(now, secret));
    }

    internal static async Task<Results<Ok<ListResponse<ApiKeyResponse>>, ProblemHttpResult>> List(
        SwitchboardDbContext db, TimeProvider time, HttpContext http, CancellationToken cancellationToken)
    {
        if (!PageRequest.TryParse(http.Request, out var page, out var problem)) return problem!;
        var now = time.UtcNow();
        var query = db.ApiKeys.AsNoTracking();
        switch (http.Request.Query["status"].ToString())
        {
            case "": break;
            case "active": query = query.Where(k => k.RevokedAt == null && (k.ExpiresAt == null || k.ExpiresAt > now)); break;
            case "expired": query = query.Where(k => k.RevokedAt == null && k.ExpiresAt <= now); break;
            case "revoked": query = query.Where(k => k.RevokedAt != null); break;
            default: return ApiProblem.Validation("status", "Must be active, expired or revoked.");
        }
        return TypedResults.Ok(await Paging.NewestFirstAsync(query, k => k.Id, page, http, k => k.AsResponse(now), cancellationToken));
    }

    internal static async Task<Results<Ok<ApiKeyResponse>, ProblemHttpResult>> Get(
        string id, SwitchboardDbContext db, TimeProvider time, HttpContext http, CancellationToken cancellationToken)
    {
        var key = await FindAsync(db, id, cancellationToken);
        if (key is null) return ApiProblem.NotFound("API key");
        ETags.Set(http.Response, ETags.For(key.Id, key.UpdatedAt));
        return TypedResults.Ok(key.AsResponse(time.UtcNow()));
    }

    internal static async Task<Results<Ok<ApiKeyResponse>, ProblemHttpResult>> Update(
        string id, UpdateApiKeyRequest request, IValidator<UpdateApiKeyRequest> validator, SwitchboardDbContext db, TimeProvider time,
        AuthInvalidationFeed invalidations, HttpContext http, CancellationToken cancellationToken)
    {
        if (await validator.CheckAsync(request, cancellationToken) is { } invalid) return invalid;
        var caller = http.GetCaller();
        var key = await FindAsync(db, id, cancellationToken);
        if (key is null) return ApiProblem.NotFound("API key");
        if (!ETags.IfMatchSatisfied(http.Request, ETags.For(key.Id, key.UpdatedAt))) return PreconditionFailed();
        // Changing a key must not let the caller reach beyond its own scopes, before or after.
        if (!Scopes.Covers(caller.Scopes, key.Scopes) || (request.Scopes.IsSet && !Scopes.Covers(caller.Scopes, request.Scopes.Value!)))
            return CannotGrant();

        if (request.Name.IsSet) key.Name = request.Name.Value!.Trim();
        if (request.Scopes.IsSet) key.Scopes = request.Scopes.Value!;
        if (request.ExpiresAt.IsSet) key.ExpiresAt = request.ExpiresAt.Value?.ToUniversalTime();
        if (request.RateLimit.IsSet)
            (key.RateLimitRequests, key.RateLimitWindowSeconds) = (request.RateLimit.Value?.Requests, request.RateLimit.Value?.WindowSeconds);
        if (request.AllowedIps.IsSet) key.AllowedIps = NormalizeIps(request.AllowedIps.Value);
        key.UpdatedAt = time.UtcNow();

        var invalidation = AuthInvalidationFeed.Stage(db, InvalidationKinds.ApiKey, key.Id, time);
        AuditTrail.Record(db, http, time, caller, "api_key.updated", "api_key", key.Id, new { key.Name, key.Scopes, key.ExpiresAt, key.AllowedIps });
        await db.SaveChangesAsync(cancellationToken);
        invalidations.Apply(invalidation);
        ETags.Set(http.Response, ETags.For(key.Id, key.UpdatedAt));
        return TypedResults.Ok(key.AsResponse(key.UpdatedAt));
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> Revoke(
        string id, SwitchboardDbContext db, TimeProvider time, AuthInvalidationFeed invalidations, HttpContext http, CancellationToken cancellationToken)
    {
        var key = await FindAsync(db, id, cancellationToken);
        if (key is null) return ApiProblem.NotFound("API key");
        if (!ETags.IfMatchSatisfied(http.Request, ETags.For(key.Id, key.UpdatedAt))) return PreconditionFailed();
        if (key.RevokedAt is not null) return TypedResults.NoContent();
        key.RevokedAt = key.UpdatedAt = time.UtcNow();
        var invalidation = AuthInvalidationFeed.Stage(db, InvalidationKinds.ApiKey, key.Id, time);
        AuditTrail.Record(db, http, time, http.GetCaller(), "api_key.revoked", "api_key", key.Id, new { key.Name, key.KeyPrefix });
        await db.SaveChangesAsync(cancellationToken);
        invalidations.Apply(invalidation);
        return TypedResults.NoContent();
    }

    internal static async Task<Results<Created<ApiKeyResponse>, ProblemHttpResult>> Rotate(
        string id, RotateApiKeyRequest request, IValidator<RotateApiKeyRequest> validator, SwitchboardDbContext db, TimeProvider time,
        AuthInvalidationFeed invalidations, HttpContext http, CancellationToken cancellationToken)
    {
        if (await validator.CheckAsync(request, cancellationToken) is { } invalid) return invalid;
        var caller = http.GetCaller();
        var old = await FindAsync(db, id, cancellationToken);
        if (old is null) return ApiProblem.NotFound("API key");
        // The answer holds a working secret with the old key's scopes: only a caller holding them may ask for it.
        if (!Scopes.Covers(caller.Scopes, old.Scopes)) return CannotGrant();
        var now = time.UtcNow();
        if (old.RevokedAt is not null || old.ExpiresAt <= now)
            return ApiProblem.Conflict(ErrorCodes.Conflict, "Only an active key can be rotated.");

        var secret = ApiKeyFormat.Generate();
        var replacement = new ApiKey
        {
            Id = Ids.New(ApiKeyResource.Declaration, time),
            OrganizationId = old.OrganizationId,
            Name = old.Name,
            KeyPrefix = ApiKeyFormat.DisplayPrefix(secret),
            KeyHash = SecretHash.Sha256Hex(secret),
            Scopes = old.Scopes,
            ExpiresAt = old.ExpiresAt,
            RateLimitRequests = old.RateLimitRequests,
            RateLimitWindowSeconds = old.RateLimitWindowSeconds,
            AllowedIps = old.AllowedIps,
            CreatedByUserId = caller.UserId,
            CreatedAt = now,
            UpdatedAt = now,
        };
        var grace = request.GracePeriodSeconds ?? 0;
        if (grace == 0) old.RevokedAt = now;
        else
        {
            var graceEnd = now.AddSeconds(grace);
            if (old.ExpiresAt is null || old.ExpiresAt > graceEnd) old.ExpiresAt = graceEnd;
        }
        old.RotatedToId = replacement.Id;
        old.UpdatedAt = now;
        db.ApiKeys.Add(replacement);
        var invalidation = AuthInvalidationFeed.Stage(db, InvalidationKinds.ApiKey, old.Id, time);
        AuditTrail.Record(db, http, time, caller, "api_key.rotated", "api_key", old.Id,
            new { replacedBy = replacement.Id, gracePeriodSeconds = grace, oldKeyExpiresAt = old.ExpiresAt });
        await db.SaveChangesAsync(cancellationToken);
        invalidations.Apply(invalidation);
        ETags.Set(http.Response, ETags.For(replacement.Id, replacement.UpdatedAt));
        return TypedResults.Created($"/api/v1/api-keys/{replacement.Id}", replacement.AsResponse(now, secret));
    }

    private static Task<ApiKey?> FindAsync(SwitchboardDbContext db, string id, CancellationToken cancellationToken) =>
        Ids.LooksValid(id, ApiKeyResource.Declaration) ? db.ApiKeys.FirstOrDefaultAsync(k => k.Id == id, cancellationToken) : Task.FromResult<ApiKey?>(null);

    private static string[] NormalizeIps(string[]? ips) =>
        ips is null ? [] : ips.Select(ip => IpAllowlist.TryNormalize(ip, out var n) ? n : throw new InvalidOperationException("validated"))
            .Distinct(StringComparer.Ordinal).ToArray();

    private static ProblemHttpResult CannotGrant() =>
        ApiProblem.Result(403, ErrorCodes.InsufficientScope, "A key cannot be given, or expose, scopes that your own credentials do not hold.");

    private static ProblemHttpResult PreconditionFailed() =>
        ApiProblem.Result(412, ErrorCodes.PreconditionFailed, "The key changed since you read it (If-Match does not match its ETag).");
}

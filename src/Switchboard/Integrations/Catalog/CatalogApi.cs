using System.Text.Json.Nodes;
using FluentValidation;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Switchboard.Integrations.Connectors;
using Switchboard.Docs;
using Switchboard.Platform;
using Switchboard.Platform.Auth;
using Switchboard.Platform.Errors;
using Switchboard.Platform.Pagination;
using Switchboard.Platform.Storage;
using Switchboard.Platform.Validation;
using Switchboard.Webhooks;

namespace Switchboard.Integrations.Catalog;

internal sealed class ReviewInputValidator : AbstractValidator<ReviewInput>
{
    public const int MaxText = 2000;

    public ReviewInputValidator()
    {
        RuleFor(x => x.Rating).NotNull().WithMessage("Is required: 1 to 5 stars.").InclusiveBetween(1, 5).WithMessage("Must be 1 to 5 stars.");
        RuleFor(x => x.Text).MaximumLength(MaxText);
    }
}

/// <summary>
/// The catalog: every provider of this build (<see cref="ProviderCatalog"/>) with its definition and rating, filtered by
/// text, category and capability; each provider's icon, served by the node; and the marketplace's reviews, one per user
/// and provider, shown without their author.
/// </summary>
public static class CatalogApi
{
    public const string ProvidersPath = "/api/v1/integrations/providers";

    public static IEndpointRouteBuilder MapIntegrationCatalogApi(this IEndpointRouteBuilder app)
    {
        var read = IntegrationResources.Installations.ReadScope;
        var write = IntegrationResources.Installations.WriteScope;
        var providers = app.MapGroup(ProvidersPath).WithTags("Integrations");
        providers.MapGet("/", List).RequireScope(read).WithName("listIntegrationProviders").WithSummary("The catalog of providers, filtered by text, category and capability")
            .WithQueryParameters(
                new QueryParameterDoc("q", "Only providers whose key, name or description contains this text (case-insensitive).", Example: "chat"),
                new QueryParameterDoc("category", "Only providers of this category.", Enum: ProviderCategory.All, Example: "communication"),
                new QueryParameterDoc("action", "Only providers that offer this action.", Example: "send_message"),
                new QueryParameterDoc("trigger", "Only providers whose actions are meant for this CRM event type.", Example: "lead.created"),
                new QueryParameterDoc("sync", "Only providers that sync this model (or local resource).", Example: "contacts"),
                new QueryParameterDoc("auth", "Only providers that authenticate this way.", Enum: ProviderAuthKind.All, Example: "oauth2"));
        providers.MapGet("/{key}", Get).RequireScope(read).WithName("getIntegrationProvider").WithSummary("A provider's definition: configuration schema, actions, triggers, syncs, rating");
        // Anonymous: an <img> in a dashboard sends no credentials, and the icon is the build's, the same for everyone.
        providers.MapGet("/{key}/icon.svg", Icon).AllowAnonymous().WithName("getIntegrationProviderIcon").WithSummary("A provider's icon (SVG, cacheable)")
            .Produces<byte[]>(StatusCodes.Status200OK, "image/svg+xml");
        providers.MapGet("/{key}/reviews", Reviews).RequireScope(read).WithPaging().WithName("listIntegrationProviderReviews").WithSummary("A provider's reviews, newest first");
        providers.MapPut("/{key}/reviews/mine", PutReview).RequireScope(write).WithName("putMyIntegrationProviderReview")
            .WithSummary("Create or replace your review of a provider (signed-in users only)").ProducesErrors(ErrorCodes.Forbidden);
        providers.MapDelete("/{key}/reviews/mine", DeleteReview).RequireScope(write).WithName("deleteMyIntegrationProviderReview")
            .WithSummary("Delete your review of a provider").ProducesErrors(ErrorCodes.Forbidden);
        return app;
    }

    public static string IconPath(string key) => $"{ProvidersPath}/{key}/icon.svg";

    internal static ProviderInfo AsInfo(ProviderDefinition p, ProviderRating rating, SwitchboardOptions options) => new(
        p.Key, p.Name, p.Description, p.Category, p.Publisher, p.Version, IconPath(p.Key), p.Auth.Kind,
        new ProviderAuthInfo(p.Auth.Kind, p.Auth.Scopes, p.Auth.Pkce, p.Auth.Kind == ProviderAuthKind.External ? ProviderUrls.BaseUrl(options, p, ProviderAuthKind.SetupUrlName) : null),
        ProviderCapability.Of(p), p.ConfigSchemaNode, p.Actions.Select(a => new ProviderActionInfo(a.Name, a.Description, JsonNode.Parse(a.InputSchema)!)).ToList(), p.Triggers,
        p.Syncs.Select(s => new ProviderSyncInfo(s.Model, s.LocalResource, s.Direction, s.DefaultIntervalSeconds, s.Description)).ToList(), p.Inbound, p.AppInbound,
        p.DocumentationUrl, rating);

    /// <summary>Average (one decimal) and count of the reviews of each provider that has any.</summary>
    private static async Task<Dictionary<string, ProviderRating>> RatingsAsync(SwitchboardDbContext db, string? key, CancellationToken ct)
    {
        var reviews = db.Set<ProviderReview>().AsNoTracking();
        if (key is not null) reviews = reviews.Where(r => r.ProviderKey == key);
        var rows = await reviews.GroupBy(r => r.ProviderKey).Select(g => new { Key = g.Key, Count = g.Count(), Sum = g.Sum(r => r.Rating) }).ToListAsync(ct);
        return rows.ToDictionary(r => r.Key, r => new ProviderRating(Math.Round((double)r.Sum / r.Count, 1), r.Count), StringComparer.Ordinal);
    }

    private static readonly ProviderRating NoRating = new(null, 0);

    internal static async Task<Results<Ok<ListResponse<ProviderInfo>>, ProblemHttpResult>> List(ProviderCatalog catalog, SwitchboardDbContext db, IOptions<SwitchboardOptions> options, HttpContext http, CancellationToken ct)
    {
        var query = http.Request.Query;
        string? Param(string name) => query[name].ToString() is { Length: > 0 } v ? v.Trim() : null;
        var (q, category, action, trigger, sync, auth) = (Param("q"), Param("category"), Param("action"), Param("trigger"), Param("sync"), Param("auth"));
        var errors = new Dictionary<string, string[]>();
        if (category is not null && !ProviderCategory.All.Contains(category)) errors["category"] = [$"Must be one of {string.Join(", ", ProviderCategory.All)}."];
        if (auth is not null && !ProviderAuthKind.All.Contains(auth)) errors["auth"] = [$"Must be one of {string.Join(", ", ProviderAuthKind.All)}."];
        if (q is { Length: > 200 }) errors["q"] = ["At most 200 characters."];
        if (errors.Count > 0) return ApiProblem.Validation(errors);

        IEnumerable<ProviderDefinition> found = catalog.All;
        if (q is not null)
            found = found.Where(p => p.Key.Contains(q, StringComparison.OrdinalIgnoreCase) || p.Name.Contains(q, StringComparison.OrdinalIgnoreCase)
                || p.Description.Contains(q, StringComparison.OrdinalIgnoreCase));
        if (category is not null) found = found.Where(p => p.Category == category);
        if (auth is not null) found = found.Where(p => p.Auth.Kind == auth);
        if (action is not null) found = found.Where(p => p.Actions.Any(a => string.Equals(a.Name, action, StringComparison.OrdinalIgnoreCase)));
        if (trigger is not null) found = found.Where(p => p.Triggers.Contains(trigger, StringComparer.Ordinal) || EventTypes.Matches(p.Triggers, trigger));
        if (sync is not null)
            found = found.Where(p => p.Syncs.Any(s => string.Equals(s.Model, sync, StringComparison.OrdinalIgnoreCase) || string.Equals(s.LocalResource, sync, StringComparison.OrdinalIgnoreCase)));
        var ratings = await RatingsAsync(db, null, ct);
        // The catalog is short and fixed (one entry per provider folder): one page, no cursor.
        return TypedResults.Ok(new ListResponse<ProviderInfo>(found.Select(p => AsInfo(p, ratings.GetValueOrDefault(p.Key, NoRating), options.Value)).ToList(), false, null));
    }

    internal static async Task<Results<Ok<ProviderInfo>, ProblemHttpResult>> Get(string key, ProviderCatalog catalog, SwitchboardDbContext db, IOptions<SwitchboardOptions> options, CancellationToken ct)
    {
        if (catalog.Find(key) is not { } connector) return ApiProblem.NotFound("provider");
        var ratings = await RatingsAsync(db, key, ct);
        return TypedResults.Ok(AsInfo(connector.Definition, ratings.GetValueOrDefault(key, NoRating), options.Value));
    }

    internal static IResult Icon(string key, ProviderCatalog catalog, HttpContext http)
    {
        if (catalog.Icon(key) is not { } svg) return ApiProblem.NotFound("provider");
        var headers = http.Response.Headers;
        // Part of the build, the same for everyone: any cache may keep it for a day.
        headers.CacheControl = "public, max-age=86400";
        headers.XContentTypeOptions = "nosniff";
        // An SVG opened on its own is a document: no script, nothing loaded from anywhere.
        headers.ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; sandbox";
        var etag = "\"" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(svg).AsSpan(0, 8)) + "\"";
        headers.ETag = etag;
        if (http.Request.Headers.IfNoneMatch.ToString().Contains(etag, StringComparison.Ordinal)) return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        return TypedResults.Bytes(svg, "image/svg+xml");
    }

    private static ReviewResponse AsReview(ProviderReview r, string? userId) =>
        new(r.Id, r.ProviderKey, r.Rating, r.Text, r.UserId == userId, r.CreatedAt, r.UpdatedAt);

    internal static async Task<Results<Ok<ListResponse<ReviewResponse>>, ProblemHttpResult>> Reviews(string key, ProviderCatalog catalog, SwitchboardDbContext db, HttpContext http, CancellationToken ct)
    {
        if (catalog.Find(key) is null) return ApiProblem.NotFound("provider");
        if (!PageRequest.TryParse(http.Request, out var page, out var problem)) return problem!;
        var userId = http.GetCaller().UserId;
        return TypedResults.Ok(await Paging.NewestFirstAsync(db.Set<ProviderReview>().AsNoTracking().Where(r => r.ProviderKey == key), r => r.Id, page, http,
            r => AsReview(r, userId), ct));
    }

    /// <summary>A review is a person's: an API key or an app acting for no user cannot write one.</summary>
    private static ProblemHttpResult? RequireUser(Caller caller) => caller.UserId is null
        ? ApiProblem.Result(StatusCodes.Status403Forbidden, ErrorCodes.Forbidden,
            "Reviews are written by people: sign in as a user (a user's access token or browser session); an API key acts for no user.")
        : null;

    internal static async Task<Results<Ok<ReviewResponse>, Created<ReviewResponse>, ProblemHttpResult>> PutReview(
        string key, ReviewInput input, IValidator<ReviewInput> validator, ProviderCatalog catalog, SwitchboardDbContext db, TimeProvider time, HttpContext http, CancellationToken ct)
    {
        if (catalog.Find(key) is null) return ApiProblem.NotFound("provider");
        var caller = http.GetCaller();
        if (RequireUser(caller) is { } refused) return refused;
        if (await validator.CheckAsync(input, ct) is { } invalid) return invalid;
        var now = time.UtcNow();
        var text = string.IsNullOrWhiteSpace(input.Text) ? null : input.Text.Trim();
        var review = await db.Set<ProviderReview>().FirstOrDefaultAsync(r => r.ProviderKey == key && r.UserId == caller.UserId, ct);
        var created = review is null;
        if (review is null)
        {
            review = new ProviderReview
            {
                Id = Ids.New(IntegrationResources.Reviews, time), ProviderKey = key, UserId = caller.UserId!, OrganizationId = caller.OrganizationId, CreatedAt = now,
            };
            db.Add(review);
        }
        review.Rating = input.Rating!.Value;
        review.Text = text;
        review.UpdatedAt = now;
        Audit.AuditTrail.Record(db, http, time, caller, created ? "integration.review_created" : "integration.review_updated", IntegrationResources.Reviews.Name, review.Id,
            new { provider = key, review.Rating });
        try { await db.SaveChangesAsync(ct); }
        catch (DbUpdateException) when (created)
        {
            // The same user's other request created it first (the unique index): theirs stands, this one replaces it.
            return ApiProblem.Conflict(ErrorCodes.Conflict, "Your review of this provider was written by another request at the same time; send it again.");
        }
        var response = AsReview(review, caller.UserId);
        return created ? TypedResults.Created($"{ProvidersPath}/{key}/reviews/mine", response) : TypedResults.Ok(response);
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> DeleteReview(
        string key, ProviderCatalog catalog, SwitchboardDbContext db, TimeProvider time, HttpContext http, CancellationToken ct)
    {
        if (catalog.Find(key) is null) return ApiProblem.NotFound("provider");
        var caller = http.GetCaller();
        if (RequireUser(caller) is { } refused) return refused;
        var review = await db.Set<ProviderReview>().FirstOrDefaultAsync(r => r.ProviderKey == key && r.UserId == caller.UserId, ct);
        if (review is null) return ApiProblem.NotFound("review");
        db.Remove(review);
        Audit.AuditTrail.Record(db, http, time, caller, "integration.review_deleted", IntegrationResources.Reviews.Name, review.Id, new { provider = key });
        await db.SaveChangesAsync(ct);
        return TypedResults.NoContent();
    }
}

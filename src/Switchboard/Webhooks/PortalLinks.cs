using FluentValidation;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using System.Text.Json.Serialization;
using Switchboard.Audit;
using Switchboard.Docs;
using Switchboard.Identity;
using Switchboard.OAuth.Protocol;
using Switchboard.Platform;
using Switchboard.Platform.Auth;
using Switchboard.Platform.Errors;
using Switchboard.Platform.Pagination;
using Switchboard.Platform.Security;
using Switchboard.Platform.Storage;
using Switchboard.Platform.Validation;

namespace Switchboard.Webhooks;

/// <summary>
/// A short-lived link to the embeddable webhook portal: the webhook pages of one organization, opened inside a CRM's own
/// product in an iframe, with only the capabilities the link grants (modelled on Svix's App Portal magic links,
/// https://docs.svix.com/app-portal/). The URL carries a random token; the row holds only its SHA-256, so a copy of the
/// database opens no portal. Ends at <see cref="ExpiresAt"/> or, at once, when revoked.
/// </summary>
public sealed class WebhookPortalLink : ITenantOwned
{
    public required string Id { get; init; }
    public required string OrganizationId { get; init; }
    /// <summary>SHA-256 (hex) of the token in the link's URL.</summary>
    public required string TokenHash { get; init; }
    public string[] Capabilities { get; init; } = [];
    /// <summary>The origins allowed to frame the portal (CSP <c>frame-ancestors</c>), as bare origins.</summary>
    public string[] AllowedOrigins { get; init; } = [];
    public DateTime ExpiresAt { get; init; }
    public string? CreatedByType { get; init; }
    public string? CreatedById { get; init; }
    public DateTime CreatedAt { get; init; }
    public DateTime? RevokedAt { get; set; }
}

internal sealed class WebhookPortalLinkConfiguration : IEntityTypeConfiguration<WebhookPortalLink>
{
    public void Configure(EntityTypeBuilder<WebhookPortalLink> b)
    {
        b.ToTable("webhook_portal_links");
        b.Property(x => x.Id).HasMaxLength(40);
        b.Property(x => x.OrganizationId).HasMaxLength(40);
        b.Property(x => x.TokenHash).HasMaxLength(64);
        b.Property(x => x.Capabilities).HasConversion(StringListColumn.Converter, StringListColumn.Comparer).HasMaxLength(200);
        b.Property(x => x.AllowedOrigins).HasConversion(StringListColumn.Converter, StringListColumn.Comparer).HasMaxLength(4000);
        b.Property(x => x.CreatedByType).HasMaxLength(20);
        b.Property(x => x.CreatedById).HasMaxLength(40);
        b.HasIndex(x => x.TokenHash).IsUnique();
        b.HasIndex(x => new { x.OrganizationId, x.Id });
        b.HasOne<Organization>().WithMany().HasForeignKey(x => x.OrganizationId).OnDelete(DeleteBehavior.Cascade);
    }
}

/// <summary>
/// What a portal link may do. <c>view</c> is always granted; each other capability opens the page controls of a set of
/// webhook operations, and the dashboard gate refuses the forms of the others (<see cref="ForForm"/>).
/// </summary>
public static class PortalCapabilities
{
    /// <summary>The endpoints, their health, their deliveries and the event catalog (the GETs of the webhook API).</summary>
    public const string View = "view";
    /// <summary>Create an endpoint; enable, disable or throttle it; send it a test event.</summary>
    public const string ManageEndpoints = "manage_endpoints";
    /// <summary>Rotate an endpoint's signing secret, which shows the new secret once (Switchboard never shows a secret twice).</summary>
    public const string Secrets = "secrets";
    /// <summary>Retry one delivery, retry the failed deliveries a filter selects, replay events since a time.</summary>
    public const string Retry = "retry";

    public static readonly IReadOnlyList<string> All = [View, ManageEndpoints, Secrets, Retry];

    /// <summary>
    /// The capability each form of the webhook pages needs, by its Blazor form name (the <c>_handler</c> field a
    /// <c>@formname</c> form posts). A form not listed is refused in the portal.
    /// </summary>
    private static readonly Dictionary<string, string> Forms = new(StringComparer.Ordinal)
    {
        ["create-webhook"] = ManageEndpoints,
        ["throttle"] = ManageEndpoints,
        ["toggle"] = ManageEndpoints,
        ["send-test"] = ManageEndpoints,
        ["rotate"] = Secrets,
        ["retry-delivery"] = Retry,
        ["bulk-retry"] = Retry,
        ["replay"] = Retry,
    };

    public static string? ForForm(string? handler) => handler is not null && Forms.TryGetValue(handler, out var capability) ? capability : null;

    /// <summary>
    /// The API scopes a link's caller holds: the webhook scopes only, read always, write when any write capability is
    /// granted (the finer split between writes is the capabilities', checked per form).
    /// </summary>
    public static string[] Scopes(IReadOnlyCollection<string> capabilities) => capabilities.Any(c => c != View)
        ? [WebhookResources.Endpoints.ReadScope, WebhookResources.Endpoints.WriteScope]
        : [WebhookResources.Endpoints.ReadScope];
}

public sealed record PortalLinkRequest(string[]? Capabilities = null, string[]? AllowedOrigins = null, int? ExpiresInSeconds = null);

public sealed record PortalLinkResponse(string Id, IReadOnlyList<string> Capabilities, IReadOnlyList<string> AllowedOrigins, DateTime ExpiresAt,
    DateTime CreatedAt, DateTime? RevokedAt, string Status)
{
    /// <summary>The portal's address, with its token: present only in the answer to create.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Url { get; init; }
}

internal sealed class PortalLinkRequestValidator : AbstractValidator<PortalLinkRequest>
{
    public const int DefaultSeconds = 3600, MinSeconds = 60, MaxSeconds = 86_400, MaxOrigins = 20;

    public PortalLinkRequestValidator()
    {
        RuleFor(x => x.Capabilities).Custom((capabilities, ctx) =>
        {
            if (capabilities is null) return;
            if (capabilities.Any(c => c is null)) ctx.AddFailure("capabilities", "Capabilities must be strings, not null.");
            else if (capabilities.FirstOrDefault(c => !PortalCapabilities.All.Contains(c)) is { } unknown)
                ctx.AddFailure("capabilities", $"Unknown capability '{unknown}'; give any of {string.Join(", ", PortalCapabilities.All)}.");
        });
        RuleFor(x => x.AllowedOrigins).Custom((origins, ctx) =>
        {
            if (origins is null || origins.Length is 0 or > MaxOrigins)
            {
                ctx.AddFailure("allowedOrigins", $"Give 1 to {MaxOrigins} origins allowed to embed the portal, such as https://crm.example.com.");
                return;
            }
            foreach (var origin in origins)
                if (PortalOrigins.Problem(origin) is { } problem) ctx.AddFailure("allowedOrigins", problem);
        });
        RuleFor(x => x.ExpiresInSeconds).InclusiveBetween(MinSeconds, MaxSeconds).When(x => x.ExpiresInSeconds is not null)
            .WithMessage($"Must be from {MinSeconds} to {MaxSeconds} seconds (one day).").OverridePropertyName("expiresInSeconds");
    }
}

/// <summary>
/// The origins a link may name: each becomes a source of the pages' <c>frame-ancestors</c> directive (CSP Level 3 §6.4.2,
/// https://www.w3.org/TR/CSP3/#directive-frame-ancestors), so only a bare origin (RFC 6454 §4: scheme, host, port) is
/// taken, written as its serialization: no path, query, fragment, user info or wildcard. https only, except the loopback
/// hosts, where a CRM is developed.
/// </summary>
public static class PortalOrigins
{
    public static string? Problem(string? origin)
    {
        if (string.IsNullOrWhiteSpace(origin)) return "An origin must not be empty.";
        if (origin.Contains('*', StringComparison.Ordinal)) return $"'{origin}': wildcards are not allowed; name each origin.";
        if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http") || uri.UserInfo.Length > 0 || uri.HostNameType == UriHostNameType.Unknown)
            return $"'{origin}' is not an origin such as https://crm.example.com.";
        if (uri.Scheme == "http" && uri.Host is not ("localhost" or "127.0.0.1"))
            return $"'{origin}': only https origins, or http://localhost and http://127.0.0.1 for development.";
        var serialized = Serialize(uri);
        if (!string.Equals(origin, serialized, StringComparison.OrdinalIgnoreCase))
            return $"'{origin}' is not a bare origin (no path, query or trailing slash, no default port): write {serialized}.";
        return null;
    }

    /// <summary>The origin as browsers serialize it: lower case, the port only when it is not the scheme's default.</summary>
    public static string Normalize(string origin) => Serialize(new Uri(origin, UriKind.Absolute));

    private static string Serialize(Uri uri) => uri.GetLeftPart(UriPartial.Authority).ToLowerInvariant();
}

public static class PortalLinks
{
    public const string EmbedPrefix = "/embed/webhooks";
    /// <summary>The link's token: 32 random bytes, after a prefix that tells a leaked one for what it is (secret scanners).</summary>
    private const string TokenPrefix = "sbwp_";

    public static IEndpointRouteBuilder MapWebhookPortalLinksApi(this IEndpointRouteBuilder app)
    {
        var links = app.MapGroup("/api/v1/webhooks/portal-links").WithTags("Webhooks");
        // admin: a link hands its holder a bearer URL to the organization's webhooks (secrets included), so only those
        // who hold every scope (owners, admins, an admin key) hand one out; admin implies webhooks:write.
        links.MapPost("/", Create).RequireScope(Scopes.Admin).WithName("createWebhookPortalLink")
            .WithSummary("Mint a short-lived link to the embeddable webhook portal (the URL is shown once)");
        links.MapGet("/", List).RequireScope(Scopes.Admin).WithPaging().WithName("listWebhookPortalLinks").WithSummary("List portal links (without their URLs)");
        links.MapDelete("/{id}", Revoke).RequireScope(Scopes.Admin).WithName("revokeWebhookPortalLink").WithSummary("Revoke a portal link at once");
        return app;
    }

    internal static async Task<Results<Created<PortalLinkResponse>, ProblemHttpResult>> Create(
        PortalLinkRequest request, IValidator<PortalLinkRequest> validator, SwitchboardDbContext db, TimeProvider time, OAuthIssuer issuer, HttpContext http,
        CancellationToken ct)
    {
        if (await validator.CheckAsync(request, ct) is { } invalid) return invalid;
        var caller = http.GetCaller();
        var now = time.UtcNow();
        var token = TokenPrefix + SecretHash.RandomToken(32);
        var link = new WebhookPortalLink
        {
            Id = Ids.New(WebhookResources.PortalLinks, time),
            OrganizationId = caller.OrganizationId,
            TokenHash = SecretHash.Sha256Hex(token),
            Capabilities = [.. PortalCapabilities.All.Where(c => c == PortalCapabilities.View || (request.Capabilities?.Contains(c) ?? false))],
            AllowedOrigins = [.. request.AllowedOrigins!.Select(PortalOrigins.Normalize).Distinct(StringComparer.Ordinal)],
            ExpiresAt = now.AddSeconds(request.ExpiresInSeconds ?? PortalLinkRequestValidator.DefaultSeconds),
            CreatedByType = caller.ActorType,
            CreatedById = caller.ActorId,
            CreatedAt = now,
        };
        db.Add(link);
        AuditTrail.Record(db, http, time, caller, "webhook.portal_link_created", "webhook_portal_link", link.Id,
            new { link.Capabilities, link.AllowedOrigins, link.ExpiresAt });
        await db.SaveChangesAsync(ct);
        return TypedResults.Created($"/api/v1/webhooks/portal-links/{link.Id}",
            AsResponse(link, now) with { Url = issuer.For(http) + EmbedPrefix + "/" + token });
    }

    internal static async Task<Results<Ok<ListResponse<PortalLinkResponse>>, ProblemHttpResult>> List(
        SwitchboardDbContext db, TimeProvider time, HttpContext http, CancellationToken ct)
    {
        if (!PageRequest.TryParse(http.Request, out var page, out var problem)) return problem!;
        var now = time.UtcNow();
        return TypedResults.Ok(await Paging.NewestFirstAsync(db.Set<WebhookPortalLink>().AsNoTracking(), l => l.Id, page, http, l => AsResponse(l, now), ct));
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> Revoke(string id, SwitchboardDbContext db, TimeProvider time, HttpContext http, CancellationToken ct)
    {
        var link = Ids.LooksValid(id, WebhookResources.PortalLinks)
            ? await db.Set<WebhookPortalLink>().FirstOrDefaultAsync(l => l.Id == id, ct) : null;
        if (link is null) return ApiProblem.NotFound("portal link");
        if (link.RevokedAt is not null) return TypedResults.NoContent();
        link.RevokedAt = time.UtcNow();
        AuditTrail.Record(db, http, time, http.GetCaller(), "webhook.portal_link_revoked", "webhook_portal_link", link.Id);
        await db.SaveChangesAsync(ct);
        return TypedResults.NoContent();
    }

    /// <summary>
    /// The link whose token this is, in any organization (the token is what says which), whether or not it still works:
    /// the caller tells an ended link from an unknown one. Looked up by the hash's unique index, then compared in
    /// constant time.
    /// </summary>
    public static async Task<WebhookPortalLink?> FindAsync(SwitchboardDbContext db, string? token, CancellationToken ct)
    {
        if (token is null || !token.StartsWith(TokenPrefix, StringComparison.Ordinal) || token.Length > 100) return null;
        var hash = SecretHash.Sha256Hex(token);
        var link = await db.Set<WebhookPortalLink>().IgnoreQueryFilters().AsNoTracking().FirstOrDefaultAsync(l => l.TokenHash == hash, ct);
        return link is not null && SecretHash.FixedTimeEquals(link.TokenHash, hash) ? link : null;
    }

    public static string StatusOf(WebhookPortalLink link, DateTime now) => link.RevokedAt is not null ? "revoked" : link.ExpiresAt <= now ? "expired" : "active";

    private static PortalLinkResponse AsResponse(WebhookPortalLink link, DateTime now) =>
        new(link.Id, link.Capabilities, link.AllowedOrigins, link.ExpiresAt, link.CreatedAt, link.RevokedAt, StatusOf(link, now));
}

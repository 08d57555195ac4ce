using Switchboard.Docs;
using System.Security.Cryptography;
using System.Text;
using FluentValidation;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Switchboard.Audit;
using Switchboard.Identity;
using Switchboard.Platform;
using Switchboard.Platform.Auth;
using Switchboard.Platform.Errors;
using Switchboard.Platform.Storage;
using Switchboard.Platform.Validation;

namespace Switchboard.RateLimiting;

public sealed record OrganizationView(string Id, string Name, string Plan, long? DailyQuota, DateTime CreatedAt);
public sealed record SetPlanRequest(string? Plan, long? DailyQuota);

internal sealed class SetPlanRequestValidator : AbstractValidator<SetPlanRequest>
{
    public SetPlanRequestValidator()
    {
        RuleFor(x => x.Plan).Must(p => p is not null && Plans.All.Contains(p)).WithMessage($"Must be one of: {string.Join(", ", Plans.All)}.");
        RuleFor(x => x.DailyQuota).InclusiveBetween(1, 10_000_000_000).When(x => x.DailyQuota is not null);
    }
}

/// <summary>
/// The organization's plan: readable by its members, set by the platform's operators (billing decides plans, not tenants)
/// through /api/v1/admin with the X-Admin-Token configured as Switchboard:Admin:Token.
/// </summary>
public static class PlansApi
{
    public const string AdminTokenHeader = "X-Admin-Token";

    public static IEndpointRouteBuilder MapPlansApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/organization", async (HttpContext http, SwitchboardDbContext db, PlanCache plans, CancellationToken ct) =>
            {
                var org = await db.Organizations.AsNoTracking().FirstAsync(o => o.Id == http.GetCaller().OrganizationId, ct);
                return TypedResults.Ok(new OrganizationView(org.Id, org.Name, org.Plan, plans.QuotaOf(org.Plan, org.DailyQuota), org.CreatedAt));
            })
            .RequireAuthorization().WithTags("Organization").WithName("getOrganization").WithSummary("The caller's organization and plan");

        var admin = app.MapGroup("/api/v1/admin").WithTags("Platform administration").AllowAnonymous().AddEndpointFilter(RequireAdminToken)
            .WithMetadata(new AdminTokenDoc());
        admin.MapPut("/organizations/{id}/plan", SetPlanAsync).WithName("setOrganizationPlan")
            .WithSummary("Set an organization's plan and daily quota override (operators only)");
        return app;
    }

    internal static async Task<Results<Ok<OrganizationView>, ProblemHttpResult>> SetPlanAsync(
        string id, SetPlanRequest request, IValidator<SetPlanRequest> validator, SwitchboardDbContext db, PlanCache plans, TimeProvider time,
        HttpContext http, CancellationToken ct)
    {
        if (await validator.CheckAsync(request, ct) is { } invalid) return invalid;
        var org = await db.Organizations.FirstOrDefaultAsync(o => o.Id == id, ct);
        if (org is null) return ApiProblem.NotFound("organization");
        var previous = new { org.Plan, org.DailyQuota };
        org.Plan = request.Plan!;
        org.DailyQuota = request.DailyQuota;
        org.UpdatedAt = time.UtcNow();
        AuditTrail.Record(db, http, time, org.Id, "system", "platform_admin", "organization.plan_changed", "organization", org.Id,
            new { from = previous, to = new { org.Plan, org.DailyQuota } });
        await db.SaveChangesAsync(ct);
        plans.Invalidate(org.Id);
        return TypedResults.Ok(new OrganizationView(org.Id, org.Name, org.Plan, plans.QuotaOf(org.Plan, org.DailyQuota), org.CreatedAt));
    }

    private static async ValueTask<object?> RequireAdminToken(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        if (!PresentsAdminToken(context.HttpContext))
            return ApiProblem.Result(401, ErrorCodes.Unauthorized, $"Operator endpoints need the {AdminTokenHeader} header with the configured admin token.");
        return await next(context);
    }

    /// <summary>
    /// Whether the request carries the configured operator token (false when none is configured): the one check of the
    /// admin endpoints and of the Prometheus scrape at <c>/metrics</c> (Platform/Telemetry).
    /// </summary>
    public static bool PresentsAdminToken(HttpContext http)
    {
        var configured = http.RequestServices.GetRequiredService<IOptions<SwitchboardOptions>>().Value.Admin.Token;
        var presented = http.Request.Headers[AdminTokenHeader].ToString();
        // Compare digests in constant time, so neither the token nor its length leaks through timing.
        return !string.IsNullOrEmpty(configured) && presented.Length > 0 &&
               CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), SHA256.HashData(Encoding.UTF8.GetBytes(configured)));
    }
}

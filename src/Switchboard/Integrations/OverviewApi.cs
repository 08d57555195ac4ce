using Microsoft.EntityFrameworkCore;
using Switchboard.ApiKeys;
using Switchboard.Platform;
using Switchboard.Platform.Storage;
using Switchboard.Usage;
using Switchboard.Webhooks;

namespace Switchboard.Integrations;

/// <summary>Installations by status (every status present, zero when none).</summary>
public sealed record OverviewIntegrations(int Total, IReadOnlyDictionary<string, int> ByStatus);
public sealed record OverviewWebhooks(int Active, int Disabled);
public sealed record OverviewApiKeys(int Active);
/// <summary>API requests of the last 24 hours (counted by the hour, so up to 25 hours) and the share answered 4xx or 5xx, in percent.</summary>
public sealed record OverviewRequests(long Last24h, long Errors, double? ErrorRate);
/// <summary>Webhook and action delivery attempts of the last 24 hours and the share answered 2xx, in percent.</summary>
public sealed record OverviewDeliveries(long Last24h, long Succeeded, double? SuccessRate);
/// <summary>The organization at a glance: what the dashboard's first page shows.</summary>
public sealed record OverviewResponse(OverviewIntegrations Integrations, OverviewWebhooks Webhooks, OverviewApiKeys ApiKeys, OverviewRequests Requests,
    OverviewDeliveries Deliveries, DateTime GeneratedAt);

/// <summary>
/// <c>GET /api/v1/overview</c>: counts only, no record of any kind, so any authenticated member of the organization (any
/// scope) may read it; the lists behind each count keep their own scopes.
/// </summary>
public static class OverviewApi
{
    public static IEndpointRouteBuilder MapOverviewApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/overview", Get).RequireAuthorization().WithTags("Overview").WithName("getOverview")
            .WithSummary("The organization at a glance: integrations, webhooks, API keys, requests and deliveries in the last 24 hours");
        return app;
    }

    private static double? Percent(long part, long total) => total > 0 ? Math.Round(part * 100.0 / total, 1) : null;

    internal static async Task<Microsoft.AspNetCore.Http.HttpResults.Ok<OverviewResponse>> Get(SwitchboardDbContext db, TimeProvider time, CancellationToken ct) =>
        TypedResults.Ok((await ReadAsync(db, time, ct)).Overview);

    /// <summary>
    /// The overview, with the last 24 hours' usage totals its request counts come from (read from the hourly totals: a
    /// row per hour and credential), which the dashboard's overview shows the latency of: one read for both.
    /// </summary>
    internal static async Task<(OverviewResponse Overview, UsageTotals Usage)> ReadAsync(SwitchboardDbContext db, TimeProvider time, CancellationToken ct)
    {
        var now = time.UtcNow();
        var since = now.AddHours(-24);
        var statuses = await db.Set<IntegrationInstallation>().AsNoTracking().GroupBy(i => i.Status).Select(g => new { Status = g.Key, Count = g.Count() }).ToListAsync(ct);
        var byStatus = InstallationStatus.All.ToDictionary(s => s, s => statuses.FirstOrDefault(x => x.Status == s)?.Count ?? 0);
        var hooks = await db.Set<WebhookEndpoint>().AsNoTracking().Where(e => e.Kind == EndpointKind.Webhook).GroupBy(e => e.IsActive)
            .Select(g => new { Active = g.Key, Count = g.Count() }).ToListAsync(ct);
        var keys = await db.Set<ApiKey>().AsNoTracking().CountAsync(k => k.RevokedAt == null && (k.ExpiresAt == null || k.ExpiresAt > now), ct);
        var usage = await UsageApi.TotalsAsync(db, new Crm.Analytics.Period(since, now), ct);
        // The one group is read as a list: FirstOrDefault on an unordered query makes EF Core log a warning on every request.
        var attempts = (await db.Set<WebhookAttempt>().AsNoTracking().Where(a => a.AttemptedAt >= since).GroupBy(_ => 1)
            .Select(g => new { Total = g.LongCount(), Ok = g.LongCount(a => a.StatusCode >= 200 && a.StatusCode < 300) }).ToListAsync(ct)).FirstOrDefault();
        var (sent, ok) = (attempts?.Total ?? 0, attempts?.Ok ?? 0);
        return (new OverviewResponse(
            new OverviewIntegrations(statuses.Sum(s => s.Count), byStatus),
            new OverviewWebhooks(hooks.Where(h => h.Active).Sum(h => h.Count), hooks.Where(h => !h.Active).Sum(h => h.Count)),
            new OverviewApiKeys(keys), new OverviewRequests(usage.Requests, usage.Failed, Percent(usage.Failed, usage.Requests)),
            new OverviewDeliveries(sent, ok, Percent(ok, sent)), now), usage);
    }
}

using System.Globalization;
using Switchboard.Docs;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Switchboard.Crm.Analytics;
using Switchboard.Platform;
using Switchboard.Platform.Auth;
using Switchboard.Platform.Errors;
using Switchboard.Platform.Storage;
using Switchboard.RateLimiting;

namespace Switchboard.Usage;

public sealed record UsageTotals(long Requests, long Successful, long Failed, double? AverageLatencyMs, double? P50LatencyMs, double? P95LatencyMs, long RequestBytes, long ResponseBytes);
public sealed record EndpointUsage(string Method, string Route, long Requests, long Failed, double? AverageLatencyMs, double? P50LatencyMs, double? P95LatencyMs);
public sealed record StatusUsage(int Status, long Requests);
public sealed record HourUsage(DateTime Hour, long Requests, long Failed);
public sealed record KeyUsage(string ApiKeyId, long Requests, long Failed);
/// <summary>The requests an OAuth app made, by its client_id.</summary>
public sealed record AppUsage(string ClientId, long Requests, long Failed);
public sealed record QuotaStatus(string Plan, long? DailyLimit, long? UsedToday, long? RemainingToday, DateTime ResetsAt, IReadOnlyList<QuotaAlertView> Alerts);
public sealed record QuotaAlertView(string Level, DateOnly Day, long Limit, DateTime CreatedAt);
public sealed record UsageResponse(Period Period, string? ApiKeyId, string? ClientId, UsageTotals Totals, IReadOnlyList<EndpointUsage> ByEndpoint,
    IReadOnlyList<StatusUsage> ByStatus, IReadOnlyList<HourUsage> ByHour, IReadOnlyList<KeyUsage> TopKeys, IReadOnlyList<AppUsage> TopApps, QuotaStatus Quota);

/// <summary>
/// Usage over a period (<c>from</c>, <c>to</c>; default the last 30 days), from the hourly roll-ups: totals, by endpoint,
/// status and hour, average, median and p95 latency (from the latency histogram), the busiest keys and OAuth apps, and the plan quota.
/// </summary>
public static class UsageApi
{
    public static IEndpointRouteBuilder MapUsageApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/usage", (HttpContext http, SwitchboardDbContext db, TimeProvider time, PlanCache plans, IRateLimitStore store, CancellationToken ct) =>
                GetAsync(http, db, time, plans, store, http.Request.Query["apiKeyId"].ToString() is { Length: > 0 } k ? k : null, ct,
                    http.Request.Query["clientId"].ToString() is { Length: > 0 } c ? c : null))
            .RequireScope(UsageResource.Declaration.ReadScope).WithTags("Usage").WithName("getUsage").WithSummary("API usage of the organization")
            .WithPeriod().WithQueryParameters(new QueryParameterDoc("apiKeyId", "Only the usage of this API key.", Example: "key_01JD4V2Q8M3ZC5X7T9W1E6R0YB"),
                new QueryParameterDoc("clientId", "Only the usage of this OAuth app (its client_id).", Example: "sbc_4fQm2pXw7Rk9TzV1bN8cYd3H"));
        app.MapGet("/api/v1/api-keys/{id}/usage", async (string id, HttpContext http, SwitchboardDbContext db, TimeProvider time, PlanCache plans,
                IRateLimitStore store, CancellationToken ct) =>
            {
                if (!Ids.LooksValid(id, ApiKeys.ApiKeyResource.Declaration) || !await db.ApiKeys.AnyAsync(k => k.Id == id, ct))
                    return (Results<Ok<UsageResponse>, ProblemHttpResult>)ApiProblem.NotFound("API key");
                return await GetAsync(http, db, time, plans, store, id, ct);
            })
            .RequireScope(ApiKeys.ApiKeyResource.Declaration.ReadScope).WithTags("API keys").WithName("getApiKeyUsage").WithSummary("Usage of one API key").WithPeriod();
        app.MapGet("/api/v1/usage/export", ExportAsync)
            .RequireScope(UsageResource.Declaration.ReadScope).WithTags("Usage").WithName("exportUsage")
            .WithSummary("The hourly usage roll-ups of a period as CSV (RFC 4180), one line per hour, credential, route and status")
            .WithPeriod().WithQueryParameters(new QueryParameterDoc("apiKeyId", "Only the usage of this API key.", Example: "key_01JD4V2Q8M3ZC5X7T9W1E6R0YB"),
                new QueryParameterDoc("clientId", "Only the usage of this OAuth app (its client_id).", Example: "sbc_4fQm2pXw7Rk9TzV1bN8cYd3H"))
            .Produces<string>(StatusCodes.Status200OK, CsvContentType);
        return app;
    }

    public const string CsvContentType = "text/csv";

    /// <summary>The columns of the CSV export, in order.</summary>
    public static readonly IReadOnlyList<string> CsvColumns =
    [
        "hour", "api_key_id", "user_id", "client_id", "method", "route", "status", "requests",
        "average_latency_ms", "p50_latency_ms", "p95_latency_ms", "request_bytes", "response_bytes",
    ];

    /// <summary>
    /// <c>GET /api/v1/usage/export</c>, and the dashboard's download: the organization's hourly roll-ups in the period
    /// (<c>from</c>, <c>to</c>, as <c>GET /api/v1/usage</c>), optionally of one key or app, streamed as CSV.
    /// </summary>
    internal static async Task<Results<PushStreamHttpResult, ProblemHttpResult>> ExportAsync(HttpContext http, SwitchboardDbContext db, TimeProvider time, CancellationToken ct)
    {
        if (!AnalyticsApi.TryPeriod(http.Request, time, out var period, out var problem)) return problem!;
        var apiKeyId = http.Request.Query["apiKeyId"].ToString() is { Length: > 0 } k ? k : null;
        var clientId = http.Request.Query["clientId"].ToString() is { Length: > 0 } c ? c : null;
        var name = $"usage-{period.From:yyyyMMdd'T'HHmm'Z'}-{period.To:yyyyMMdd'T'HHmm'Z'}.csv";
        return TypedResults.Stream(body => WriteCsvAsync(db, period, apiKeyId, clientId, body, ct), CsvContentType + "; charset=utf-8", name);
    }

    /// <summary>
    /// RFC 4180: a header line, CRLF line ends, fields with a comma, quote or line break quoted (quotes doubled). A field
    /// that a spreadsheet would read as a formula (=, +, -, @ first) is prefixed with an apostrophe inside quotes (OWASP's
    /// CSV injection advice); routes, ids and methods never start so, but the export does not rely on it.
    /// Rows are read in the roll-ups' key order and written as they come, so a 400-day export holds no more than a row in memory.
    /// </summary>
    internal static async Task WriteCsvAsync(SwitchboardDbContext db, Period period, string? apiKeyId, string? clientId, Stream body, CancellationToken ct)
    {
        var from = UsageHour.HourOf(period.From);
        var rows = db.Set<UsageHour>().AsNoTracking().Where(u => u.Hour >= from && u.Hour < period.To);
        if (apiKeyId is not null) rows = rows.Where(u => u.ApiKeyId == apiKeyId);
        if (clientId is not null) rows = rows.Where(u => u.ClientId == clientId);
        await using var writer = new StreamWriter(body, new System.Text.UTF8Encoding(false), 16 * 1024) { NewLine = "\r\n" };
        await writer.WriteLineAsync(string.Join(',', CsvColumns));
        await foreach (var u in rows.OrderBy(u => u.Hour).ThenBy(u => u.ApiKeyId).ThenBy(u => u.UserId).ThenBy(u => u.ClientId)
                           .ThenBy(u => u.Method).ThenBy(u => u.Route).ThenBy(u => u.Status).AsAsyncEnumerable().WithCancellation(ct))
        {
            long[] histogram = [u.L0, u.L1, u.L2, u.L3, u.L4, u.L5, u.L6, u.L7, u.L8, u.L9, u.L10, u.L11, u.L12, u.L13];
            await writer.WriteLineAsync(string.Join(',',
                u.Hour.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture), Csv(u.ApiKeyId), Csv(u.UserId), Csv(u.ClientId),
                Csv(u.Method), Csv(u.Route), u.Status.ToString(CultureInfo.InvariantCulture), u.Requests.ToString(CultureInfo.InvariantCulture),
                Number(Average(u.LatencyMicros, u.Requests)), Number(LatencyHistogram.Quantile(histogram, 0.5)),
                Number(LatencyHistogram.Quantile(histogram, 0.95)), u.RequestBytes.ToString(CultureInfo.InvariantCulture),
                u.ResponseBytes.ToString(CultureInfo.InvariantCulture)));
        }
    }

    internal static string Csv(string value)
    {
        if (value.Length > 0 && value[0] is '=' or '+' or '-' or '@') value = "'" + value;
        return value.AsSpan().IndexOfAny(",\"\r\n'") < 0 ? value : "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }

    private static string Number(double? value) => value?.ToString("0.##", CultureInfo.InvariantCulture) ?? "";

    internal static async Task<Results<Ok<UsageResponse>, ProblemHttpResult>> GetAsync(
        HttpContext http, SwitchboardDbContext db, TimeProvider time, PlanCache plans, IRateLimitStore store, string? apiKeyId, CancellationToken ct,
        string? clientId = null)
    {
        if (!AnalyticsApi.TryPeriod(http.Request, time, out var period, out var problem)) return problem!;
        return TypedResults.Ok(await SummarizeAsync(db, time, plans, store, http.GetCaller().OrganizationId, period, apiKeyId, clientId, ct));
    }

    /// <summary>The usage of the caller's organization (the context's tenant) in <paramref name="period"/>: what the API answers, for the dashboard too.</summary>
    internal static async Task<UsageResponse> SummarizeAsync(SwitchboardDbContext db, TimeProvider time, PlanCache plans, IRateLimitStore store,
        string organizationId, Period period, string? apiKeyId, string? clientId, CancellationToken ct)
    {
        var from = UsageHour.HourOf(period.From);
        var rows = db.Set<UsageHour>().AsNoTracking().Where(u => u.Hour >= from && u.Hour < period.To);
        if (apiKeyId is not null) rows = rows.Where(u => u.ApiKeyId == apiKeyId);
        if (clientId is not null) rows = rows.Where(u => u.ClientId == clientId);

        // Each aggregate is one GROUP BY in the database; only the 14 histogram sums per group come back to be read.
        var totalRow = await rows.GroupBy(_ => 1).Select(g => new Sums(
            g.Sum(u => u.Requests), g.Where(u => u.Status >= 400).Sum(u => u.Requests), g.Sum(u => u.LatencyMicros), g.Sum(u => u.RequestBytes), g.Sum(u => u.ResponseBytes),
            g.Sum(u => u.L0), g.Sum(u => u.L1), g.Sum(u => u.L2), g.Sum(u => u.L3), g.Sum(u => u.L4), g.Sum(u => u.L5), g.Sum(u => u.L6),
            g.Sum(u => u.L7), g.Sum(u => u.L8), g.Sum(u => u.L9), g.Sum(u => u.L10), g.Sum(u => u.L11), g.Sum(u => u.L12), g.Sum(u => u.L13), "", ""))
            .FirstOrDefaultAsync(ct);
        var totals = totalRow ?? Sums.Empty;
        var byEndpoint = await rows.GroupBy(u => new { u.Method, u.Route }).Select(g => new Sums(
            g.Sum(u => u.Requests), g.Where(u => u.Status >= 400).Sum(u => u.Requests), g.Sum(u => u.LatencyMicros), 0, 0,
            g.Sum(u => u.L0), g.Sum(u => u.L1), g.Sum(u => u.L2), g.Sum(u => u.L3), g.Sum(u => u.L4), g.Sum(u => u.L5), g.Sum(u => u.L6),
            g.Sum(u => u.L7), g.Sum(u => u.L8), g.Sum(u => u.L9), g.Sum(u => u.L10), g.Sum(u => u.L11), g.Sum(u => u.L12), g.Sum(u => u.L13),
            g.Key.Method, g.Key.Route)).ToListAsync(ct);
        var byStatus = await rows.GroupBy(u => u.Status).Select(g => new StatusUsage(g.Key, g.Sum(u => u.Requests))).ToListAsync(ct);
        var byHour = await rows.GroupBy(u => u.Hour).Select(g => new HourUsage(g.Key, g.Sum(u => u.Requests), g.Where(u => u.Status >= 400).Sum(u => u.Requests))).ToListAsync(ct);
        var topKeys = (await rows.Where(u => u.ApiKeyId != "").GroupBy(u => u.ApiKeyId)
                .Select(g => new { g.Key, Requests = g.Sum(u => u.Requests), Failed = g.Where(u => u.Status >= 400).Sum(u => u.Requests) })
                .OrderByDescending(k => k.Requests).ThenBy(k => k.Key).Take(10).ToListAsync(ct))
            .Select(k => new KeyUsage(k.Key, k.Requests, k.Failed)).ToList();
        var topApps = (await rows.Where(u => u.ClientId != "").GroupBy(u => u.ClientId)
                .Select(g => new { g.Key, Requests = g.Sum(u => u.Requests), Failed = g.Where(u => u.Status >= 400).Sum(u => u.Requests) })
                .OrderByDescending(k => k.Requests).ThenBy(k => k.Key).Take(10).ToListAsync(ct))
            .Select(k => new AppUsage(k.Key, k.Requests, k.Failed)).ToList();

        var quota = await QuotaAsync(db, plans, store, organizationId, period, time, ct);
        return new UsageResponse(period, apiKeyId, clientId,
            new UsageTotals(totals.Requests, totals.Requests - totals.Failed, totals.Failed, Average(totals.Latency, totals.Requests),
                LatencyHistogram.Quantile(totals.Histogram, 0.5), LatencyHistogram.Quantile(totals.Histogram, 0.95), totals.RequestBytes, totals.ResponseBytes),
            byEndpoint.OrderByDescending(e => e.Requests).ThenBy(e => e.Route, StringComparer.Ordinal)
                .Select(e => new EndpointUsage(e.Method, e.Route, e.Requests, e.Failed, Average(e.Latency, e.Requests),
                    LatencyHistogram.Quantile(e.Histogram, 0.5), LatencyHistogram.Quantile(e.Histogram, 0.95))).ToList(),
            byStatus.OrderBy(s => s.Status).ToList(), byHour.OrderBy(h => h.Hour).ToList(), topKeys, topApps, quota);
    }

    private static async Task<QuotaStatus> QuotaAsync(SwitchboardDbContext db, PlanCache plans, IRateLimitStore store, string organizationId, Period period,
        TimeProvider time, CancellationToken ct)
    {
        var (plan, limit) = await plans.GetAsync(organizationId, ct);
        var now = time.GetUtcNow().UtcDateTime;
        long? used = null;
        if (limit is { } daily)
        {
            // A zero-cost request reads the counter without counting.
            var peek = await store.AcquireAsync([new RateLimitPolicy("plan_daily", "quota:" + organizationId, LimitKind.DailyQuota, daily, TimeSpan.FromDays(1), 0)], now, ct);
            used = daily - peek[0].Remaining;
        }
        var fromDay = LimitMath.DayOf(period.From);
        var toDay = LimitMath.DayOf(period.To);
        var alerts = await db.Set<QuotaAlert>().AsNoTracking().Where(a => a.Day >= fromDay && a.Day <= toDay).OrderBy(a => a.CreatedAt).ToListAsync(ct);
        return new QuotaStatus(plan, limit, used, limit - used, DateTime.UnixEpoch.AddDays(LimitMath.DayOf(now) + 1),
            alerts.Select(a => new QuotaAlertView(a.Level, DateOnly.FromDateTime(DateTime.UnixEpoch.AddDays(a.Day)), a.Limit, a.CreatedAt)).ToList());
    }

    private static double? Average(long micros, long count) => count == 0 ? null : Math.Round(micros / 1000.0 / count, 2);

    private sealed record Sums(long Requests, long Failed, long Latency, long RequestBytes, long ResponseBytes,
        long L0, long L1, long L2, long L3, long L4, long L5, long L6, long L7, long L8, long L9, long L10, long L11, long L12, long L13,
        string Method, string Route)
    {
        public static readonly Sums Empty = new(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "", "");
        public long[] Histogram => [L0, L1, L2, L3, L4, L5, L6, L7, L8, L9, L10, L11, L12, L13];
    }
}

/// <summary>Prunes usage past its retention, and counters nobody uses any more, once an hour.</summary>
public sealed class UsagePruner(IServiceScopeFactory scopes, Microsoft.Extensions.Options.IOptions<SwitchboardOptions> options, TimeProvider time,
    IRateLimitStore store, ILogger<UsagePruner> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var now = time.UtcNow();
                await using var scope = scopes.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
                var raw = now.AddDays(-options.Value.Usage.RawRetentionDays);
                var hourly = now.AddDays(-options.Value.Usage.HourlyRetentionDays);
                await db.Set<ApiRequestRecord>().IgnoreQueryFilters().Where(r => r.CreatedAt < raw).ExecuteDeleteAsync(stoppingToken);
                await db.Set<UsageHour>().IgnoreQueryFilters().Where(r => r.Hour < hourly).ExecuteDeleteAsync(stoppingToken);
                await db.Set<RateLimitBucket>().Where(b => b.ExpiresAt < now).ExecuteDeleteAsync(stoppingToken);
                if (store is InMemoryRateLimitStore memory) memory.Prune(now, TimeSpan.FromDays(2));
            }
            catch (Exception ex) when (ex is not OperationCanceledException) { logger.LogWarning(ex, "Pruning usage failed"); }
            try { await Task.Delay(TimeSpan.FromHours(1), time, stoppingToken); }
            catch (OperationCanceledException) { break; }
        }
    }
}

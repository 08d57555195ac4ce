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
/// Usage over a period (<c>from</c>, <c>to</c>; default the last 30 days), from the roll-ups: totals, by endpoint,
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
        var rows = db.Set<UsageHour>().AsNoTracking().Where(u => u.Hour >= from && u.Hour < period.To).OfCredential(apiKeyId, clientId);
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

    /// <summary>
    /// The usage of the caller's organization (the context's tenant) in <paramref name="period"/>: what the API answers, for
    /// the dashboard too. The period's hours are <c>[HourOf(from), to)</c>. The totals, the chart and the top keys and apps
    /// come from the hourly totals (a row per hour and credential); the endpoints and statuses from the roll-ups, whole
    /// days from the daily one and only the hours at either end from the hourly one, so a month costs about as much as two
    /// days: one GROUP BY by endpoint and status per slice, summed here. Without a key or app filter those are the
    /// roll-ups without the credential (<see cref="UsageEndpointRow"/>).
    /// </summary>
    internal static async Task<UsageResponse> SummarizeAsync(SwitchboardDbContext db, TimeProvider time, PlanCache plans, IRateLimitStore store,
        string organizationId, Period period, string? apiKeyId, string? clientId, CancellationToken ct)
    {
        var (from, to) = HoursOf(period);
        var firstDay = from.TimeOfDay == TimeSpan.Zero ? from : from.Date.AddDays(1);
        var endDay = to.Date;
        var slices = new UsageSlices();
        // The whole organization's breakdown reads the roll-ups without the credential; one key's or app's, those with it.
        var everyone = apiKeyId is null && clientId is null;
        async Task HoursAsync(DateTime start, DateTime end) => await (everyone
            ? slices.AddAsync(db.Set<UsageEndpointHour>().AsNoTracking().Where(u => u.Hour >= start && u.Hour < end), ct)
            : slices.AddAsync(db.Set<UsageHour>().AsNoTracking().Where(u => u.Hour >= start && u.Hour < end).OfCredential(apiKeyId, clientId), ct));
        if (endDay > firstDay)
        {
            await (everyone
                ? slices.AddAsync(db.Set<UsageEndpointDay>().AsNoTracking().Where(u => u.Day >= firstDay && u.Day < endDay), ct)
                : slices.AddAsync(db.Set<UsageDay>().AsNoTracking().Where(u => u.Day >= firstDay && u.Day < endDay).OfCredential(apiKeyId, clientId), ct));
            if (from < firstDay) await HoursAsync(from, firstDay);
            if (endDay < to) await HoursAsync(endDay, to);
        }
        else await HoursAsync(from, to);

        var totals = db.Set<UsageHourTotal>().AsNoTracking().Where(u => u.Hour >= from && u.Hour < to).OfCredential(apiKeyId, clientId);
        var hours = await ByHourAsync(totals, ct);
        var credentials = await totals.Where(u => u.ApiKeyId != "" || u.ClientId != "").GroupBy(u => new { u.ApiKeyId, u.ClientId })
            .Select(g => new { g.Key.ApiKeyId, g.Key.ClientId, Requests = g.Sum(u => u.Requests), Failed = g.Sum(u => u.Failed) })
            .ToListAsync(ct);
        var byKey = new Dictionary<string, (long Requests, long Failed)>(StringComparer.Ordinal);
        var byApp = new Dictionary<string, (long Requests, long Failed)>(StringComparer.Ordinal);
        foreach (var c in credentials)
        {
            if (c.ApiKeyId != "") Add(byKey, c.ApiKeyId, c.Requests, c.Failed);
            if (c.ClientId != "") Add(byApp, c.ClientId, c.Requests, c.Failed);
        }

        var quota = await QuotaAsync(db, plans, store, organizationId, period, time, ct);
        return new UsageResponse(period, apiKeyId, clientId, TotalsOf(hours),
            slices.ByEndpoint.OrderByDescending(e => e.Value.Requests).ThenBy(e => e.Key.Route, StringComparer.Ordinal).ThenBy(e => e.Key.Method, StringComparer.Ordinal)
                .Select(e => new EndpointUsage(e.Key.Method, e.Key.Route, e.Value.Requests, e.Value.Failed, Average(e.Value.Latency, e.Value.Requests),
                    LatencyHistogram.Quantile(e.Value.Histogram, 0.5), LatencyHistogram.Quantile(e.Value.Histogram, 0.95))).ToList(),
            slices.ByStatus.OrderBy(s => s.Key).Select(s => new StatusUsage(s.Key, s.Value)).ToList(),
            hours.Select(h => new HourUsage(h.Hour, h.Sums.Requests, h.Sums.Failed)).ToList(),
            Top(byKey).Select(k => new KeyUsage(k.Id, k.Requests, k.Failed)).ToList(),
            Top(byApp).Select(k => new AppUsage(k.Id, k.Requests, k.Failed)).ToList(),
            quota);

        static IEnumerable<(string Id, long Requests, long Failed)> Top(Dictionary<string, (long Requests, long Failed)> by) =>
            by.OrderByDescending(k => k.Value.Requests).ThenBy(k => k.Key, StringComparer.Ordinal).Take(10).Select(k => (k.Key, k.Value.Requests, k.Value.Failed));
        static void Add(Dictionary<string, (long Requests, long Failed)> by, string id, long requests, long failed)
        {
            var (r, f) = by.GetValueOrDefault(id);
            by[id] = (r + requests, f + failed);
        }
    }

    /// <summary>
    /// The totals of the caller's organization in <paramref name="period"/> (requests, failures, latency average and
    /// percentiles, bytes), from the hourly totals alone: the overview's figures, without the per-endpoint roll-ups.
    /// </summary>
    internal static async Task<UsageTotals> TotalsAsync(SwitchboardDbContext db, Period period, CancellationToken ct)
    {
        var (from, to) = HoursOf(period);
        return TotalsOf(await ByHourAsync(db.Set<UsageHourTotal>().AsNoTracking().Where(u => u.Hour >= from && u.Hour < to), ct));
    }

    /// <summary>A period's hours, <c>[HourOf(from), to)</c>, with <c>to</c> the first hour boundary at or after its end: an hour starting before the end is in it.</summary>
    private static (DateTime From, DateTime To) HoursOf(Period period) =>
        (UsageHour.HourOf(period.From), period.To.Ticks % TimeSpan.TicksPerHour == 0 ? period.To : UsageHour.HourOf(period.To).AddHours(1));

    /// <summary>Every measure of the hourly totals summed by hour (one GROUP BY), in hour order.</summary>
    private static async Task<List<(DateTime Hour, Sums Sums)>> ByHourAsync(IQueryable<UsageHourTotal> totals, CancellationToken ct)
    {
        var rows = await totals.GroupBy(u => u.Hour).Select(g => new
        {
            Hour = g.Key, Requests = g.Sum(u => u.Requests), Failed = g.Sum(u => u.Failed), Latency = g.Sum(u => u.LatencyMicros),
            RequestBytes = g.Sum(u => u.RequestBytes), ResponseBytes = g.Sum(u => u.ResponseBytes),
            L0 = g.Sum(u => u.L0), L1 = g.Sum(u => u.L1), L2 = g.Sum(u => u.L2), L3 = g.Sum(u => u.L3), L4 = g.Sum(u => u.L4), L5 = g.Sum(u => u.L5),
            L6 = g.Sum(u => u.L6), L7 = g.Sum(u => u.L7), L8 = g.Sum(u => u.L8), L9 = g.Sum(u => u.L9), L10 = g.Sum(u => u.L10), L11 = g.Sum(u => u.L11),
            L12 = g.Sum(u => u.L12), L13 = g.Sum(u => u.L13),
        }).ToListAsync(ct);
        return rows.OrderBy(r => r.Hour).Select(r =>
        {
            var sums = new Sums();
            sums.Add(r.Requests, r.Failed, r.Latency, r.RequestBytes, r.ResponseBytes,
                [r.L0, r.L1, r.L2, r.L3, r.L4, r.L5, r.L6, r.L7, r.L8, r.L9, r.L10, r.L11, r.L12, r.L13]);
            return (r.Hour, sums);
        }).ToList();
    }

    private static UsageTotals TotalsOf(List<(DateTime Hour, Sums Sums)> hours)
    {
        var all = new Sums();
        foreach (var (_, s) in hours) all.Add(s.Requests, s.Failed, s.Latency, s.RequestBytes, s.ResponseBytes, s.Histogram);
        return new UsageTotals(all.Requests, all.Requests - all.Failed, all.Failed, Average(all.Latency, all.Requests),
            LatencyHistogram.Quantile(all.Histogram, 0.5), LatencyHistogram.Quantile(all.Histogram, 0.95), all.RequestBytes, all.ResponseBytes);
    }

    /// <summary>
    /// The figures per endpoint (with the latency histogram) and per status of a period, summed from its slices: whole days
    /// from one roll-up, end hours from another.
    /// </summary>
    private sealed class UsageSlices
    {
        public readonly Dictionary<(string Method, string Route), Sums> ByEndpoint = [];
        public readonly Dictionary<int, long> ByStatus = [];

        public async Task AddAsync<T>(IQueryable<T> rows, CancellationToken ct) where T : UsageMeasures, IUsageEndpoint
        {
            var groups = await rows.GroupBy(u => new { u.Method, u.Route, u.Status }).Select(g => new
            {
                g.Key.Method, g.Key.Route, g.Key.Status, Requests = g.Sum(u => u.Requests), Latency = g.Sum(u => u.LatencyMicros),
                L0 = g.Sum(u => u.L0), L1 = g.Sum(u => u.L1), L2 = g.Sum(u => u.L2), L3 = g.Sum(u => u.L3), L4 = g.Sum(u => u.L4), L5 = g.Sum(u => u.L5),
                L6 = g.Sum(u => u.L6), L7 = g.Sum(u => u.L7), L8 = g.Sum(u => u.L8), L9 = g.Sum(u => u.L9), L10 = g.Sum(u => u.L10), L11 = g.Sum(u => u.L11),
                L12 = g.Sum(u => u.L12), L13 = g.Sum(u => u.L13),
            }).ToListAsync(ct);
            foreach (var g in groups)
            {
                long[] histogram = [g.L0, g.L1, g.L2, g.L3, g.L4, g.L5, g.L6, g.L7, g.L8, g.L9, g.L10, g.L11, g.L12, g.L13];
                var failed = g.Status >= 400 ? g.Requests : 0;
                if (!ByEndpoint.TryGetValue((g.Method, g.Route), out var endpoint)) ByEndpoint[(g.Method, g.Route)] = endpoint = new Sums();
                endpoint.Add(g.Requests, failed, g.Latency, 0, 0, histogram);
                ByStatus[g.Status] = ByStatus.GetValueOrDefault(g.Status) + g.Requests;
            }
        }
    }

    private sealed class Sums
    {
        public readonly long[] Histogram = new long[LatencyHistogram.Buckets];
        public long Requests, Failed, Latency, RequestBytes, ResponseBytes;

        public void Add(long requests, long failed, long latency, long requestBytes, long responseBytes, long[] histogram)
        {
            (Requests, Failed, Latency, RequestBytes, ResponseBytes) = (Requests + requests, Failed + failed, Latency + latency, RequestBytes + requestBytes, ResponseBytes + responseBytes);
            for (var i = 0; i < Histogram.Length; i++) Histogram[i] += histogram[i];
        }
    }

    /// <summary>The plan, its daily quota, today's use and the quota alerts in <paramref name="period"/>: <c>quota</c> of <c>GET /api/v1/usage</c>.</summary>
    internal static async Task<QuotaStatus> QuotaAsync(SwitchboardDbContext db, PlanCache plans, IRateLimitStore store, string organizationId, Period period,
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
                await db.Set<UsageHourTotal>().IgnoreQueryFilters().Where(r => r.Hour < hourly).ExecuteDeleteAsync(stoppingToken);
                await db.Set<UsageEndpointHour>().IgnoreQueryFilters().Where(r => r.Hour < hourly).ExecuteDeleteAsync(stoppingToken);
                // A day goes once all of it is past the retention.
                var day = hourly.Date;
                await db.Set<UsageDay>().IgnoreQueryFilters().Where(r => r.Day < day).ExecuteDeleteAsync(stoppingToken);
                await db.Set<UsageEndpointDay>().IgnoreQueryFilters().Where(r => r.Day < day).ExecuteDeleteAsync(stoppingToken);
                await db.Set<RateLimitBucket>().Where(b => b.ExpiresAt < now).ExecuteDeleteAsync(stoppingToken);
                if (store is InMemoryRateLimitStore memory) memory.Prune(now, TimeSpan.FromDays(2));
            }
            catch (Exception ex) when (ex is not OperationCanceledException) { logger.LogWarning(ex, "Pruning usage failed"); }
            try { await Task.Delay(TimeSpan.FromHours(1), time, stoppingToken); }
            catch (OperationCanceledException) { break; }
        }
    }
}

using Switchboard.Docs;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Switchboard.Crm.Calls;
using Switchboard.Crm.Chat;
using Switchboard.Crm.Contacts;
using Switchboard.Crm.Deals;
using Switchboard.Crm.Leads;
using Switchboard.Crm.Payments;
using Switchboard.Crm.Pipeline;
using Switchboard.Platform;
using Switchboard.Platform.Auth;
using Switchboard.Platform.Errors;
using Switchboard.Platform.Storage;
using Switchboard.RateLimiting;

namespace Switchboard.Crm.Analytics;

public sealed record Period(DateTime From, DateTime To);
/// <summary>A count in the period, in the period before it of the same length, and the change in percent (null when there was nothing before).</summary>
public sealed record Trend(long Current, long Previous, double? ChangePercent)
{
    public static Trend Of(long current, long previous) =>
        new(current, previous, previous == 0 ? null : Math.Round((current - previous) * 100.0 / previous, 1));
}
public sealed record MoneyTotal(string Currency, decimal Amount, long Count);
public sealed record SummaryResponse(
    Period Period, Period PreviousPeriod, Trend ContactsCreated, Trend LeadsCreated, Trend LeadsConverted, double? LeadConversionRate,
    Trend DealsCreated, Trend DealsWon, Trend DealsLost, IReadOnlyList<MoneyTotal> WonAmount, Trend Calls, Trend MissedCalls,
    Trend ChatSessions, Trend ChatMessages, Trend PaymentsCompleted, Trend PaymentsFailed, IReadOnlyList<MoneyTotal> Revenue);
public sealed record CallDay(DateOnly Date, long Total, long Completed, long Missed, long Failed, long TotalDurationSeconds, double AverageDurationSeconds);
public sealed record Count(string Key, long Value);
public sealed record CallsResponse(Period Period, long Total, long TotalDurationSeconds, double AverageDurationSeconds,
    IReadOnlyList<CallDay> ByDay, IReadOnlyList<Count> ByStatus, IReadOnlyList<Count> ByDirection, IReadOnlyList<Count> ByOutcome);
public sealed record LeadSource(string Source, long Leads, long Converted, double? ConversionRate);
public sealed record LeadsResponse(Period Period, long Total, long Converted, double? ConversionRate, IReadOnlyList<LeadSource> BySource, IReadOnlyList<Count> ByStatus);

/// <summary>
/// CRM analytics over a period (<c>from</c>, <c>to</c>; default the last 30 days), each figure one aggregate query in the
/// database, so the cost does not grow with what would have to be loaded into memory.
/// </summary>
public static class AnalyticsApi
{
    private static readonly TimeSpan DefaultPeriod = TimeSpan.FromDays(30);
    private static readonly TimeSpan MaxPeriod = TimeSpan.FromDays(400);

    public static IEndpointRouteBuilder MapAnalyticsApi(this IEndpointRouteBuilder app)
    {
        // Aggregates are the heaviest reads: they get a budget of their own on top of the caller's limits.
        var analytics = app.MapGroup("/api/v1/analytics").WithTags("Analytics").RequireScope(AnalyticsResource.Declaration.ReadScope).WithRateLimit("analytics", 120, 60).WithPeriod();
        analytics.MapGet("/summary", SummaryAsync).WithName("getAnalyticsSummary").WithSummary("Counts and trends over a period");
        analytics.MapGet("/calls", CallsAsync).WithName("getCallAnalytics").WithSummary("Call volume, duration and outcomes by day");
        analytics.MapGet("/leads", LeadsAsync).WithName("getLeadAnalytics").WithSummary("Leads by source and status, and conversion");
        return app;
    }

    private static readonly DateTime PeriodFloor = DateTime.UnixEpoch;
    private static readonly DateTime PeriodCeiling = new(9999, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    internal static bool TryPeriod(HttpRequest request, TimeProvider time, out Period period, out ProblemHttpResult? problem)
    {
        var errors = new Dictionary<string, string[]>();
        var to = time.UtcNow();
        if (request.Query["to"].ToString() is { Length: > 0 } t)
        {
            var (ok, value) = Filter.ParseTime(t);
            if (ok) to = value; else errors["to"] = ["Must be an ISO 8601 timestamp."];
        }
        // Clamped: a 'to' within the period of the calendar's start (0001-01-01) is the caller's odd choice, not an overflow.
        var from = to.Ticks > DefaultPeriod.Ticks ? to - DefaultPeriod : DateTime.MinValue;
        if (request.Query["from"].ToString() is { Length: > 0 } f)
        {
            var (ok, value) = Filter.ParseTime(f);
            if (ok) from = value; else errors["from"] = ["Must be an ISO 8601 timestamp."];
        }
        // Periods are of requests and records this service kept: outside these years there is nothing to count, and the
        // calendar's edges would overflow the period arithmetic.
        foreach (var (name, value) in new[] { ("from", from), ("to", to) })
            if (errors.Count == 0 && (value < PeriodFloor || value > PeriodCeiling)) errors[name] = ["Must be between 1970-01-01 and 9999-01-01."];
        if (errors.Count == 0 && from >= to) errors["from"] = ["Must be before 'to'."];
        if (errors.Count == 0 && to - from > MaxPeriod) errors["from"] = ["The period may span at most 400 days."];
        period = new Period(from, to);
        problem = errors.Count > 0 ? ApiProblem.Validation(errors) : null;
        return problem is null;
    }

    internal static async Task<Results<Ok<SummaryResponse>, ProblemHttpResult>> SummaryAsync(
        SwitchboardDbContext db, TimeProvider time, HttpContext http, CancellationToken ct)
    {
        if (!TryPeriod(http.Request, time, out var p, out var problem)) return problem!;
        var previous = new Period(p.From - (p.To - p.From), p.From);

        async Task<Trend> TrendAsync<T>(IQueryable<T> rows, Func<Period, System.Linq.Expressions.Expression<Func<T, bool>>> inPeriod) =>
            Trend.Of(await rows.LongCountAsync(inPeriod(p), ct), await rows.LongCountAsync(inPeriod(previous), ct));

        var contacts = await TrendAsync(db.Set<Contact>(), r => x => x.CreatedAt >= r.From && x.CreatedAt < r.To);
        var leads = await TrendAsync(db.Set<Lead>(), r => x => x.CreatedAt >= r.From && x.CreatedAt < r.To);
        var converted = await TrendAsync(db.Set<Lead>(), r => x => x.ConvertedAt >= r.From && x.ConvertedAt < r.To);
        var convertedOfCreated = await db.Set<Lead>().LongCountAsync(x => x.CreatedAt >= p.From && x.CreatedAt < p.To && x.Status == LeadStatus.Converted, ct);
        var deals = await TrendAsync(db.Set<Deal>(), r => x => x.CreatedAt >= r.From && x.CreatedAt < r.To);
        var won = await TrendAsync(db.Set<Deal>(), r => x => x.Stage == DealStage.Won && x.ClosedAt >= r.From && x.ClosedAt < r.To);
        var lost = await TrendAsync(db.Set<Deal>(), r => x => x.Stage == DealStage.Lost && x.ClosedAt >= r.From && x.ClosedAt < r.To);
        var wonAmount = await db.Set<Deal>().Where(x => x.Stage == DealStage.Won && x.ClosedAt >= p.From && x.ClosedAt < p.To)
            .GroupBy(x => x.Currency).Select(g => new { Currency = g.Key, Micros = g.Sum(x => x.AmountMicros), Count = g.LongCount() }).ToListAsync(ct);
        var calls = await TrendAsync(db.Set<Call>(), r => x => x.StartedAt >= r.From && x.StartedAt < r.To);
        var missed = await TrendAsync(db.Set<Call>(), r => x => x.Status == CallStatus.Missed && x.StartedAt >= r.From && x.StartedAt < r.To);
        var sessions = await TrendAsync(db.Set<ChatSession>(), r => x => x.CreatedAt >= r.From && x.CreatedAt < r.To);
        var messages = await TrendAsync(db.Set<ChatMessage>(), r => x => x.CreatedAt >= r.From && x.CreatedAt < r.To);
        var paid = await TrendAsync(db.Set<Payment>(), r => x => x.Status == PaymentStatus.Completed && x.PaidAt >= r.From && x.PaidAt < r.To);
        var failed = await TrendAsync(db.Set<Payment>(), r => x => x.Status == PaymentStatus.Failed && x.UpdatedAt >= r.From && x.UpdatedAt < r.To);
        var revenue = await db.Set<Payment>().Where(x => x.Status == PaymentStatus.Completed && x.PaidAt >= p.From && x.PaidAt < p.To)
            .GroupBy(x => x.Currency).Select(g => new { Currency = g.Key, Micros = g.Sum(x => x.AmountMicros), Count = g.LongCount() }).ToListAsync(ct);

        return TypedResults.Ok(new SummaryResponse(p, previous, contacts, leads, converted, Rate(convertedOfCreated, leads.Current),
            deals, won, lost, wonAmount.OrderBy(x => x.Currency, StringComparer.Ordinal).Select(x => new MoneyTotal(x.Currency, Money.FromMicros(x.Micros), x.Count)).ToList(),
            calls, missed, sessions, messages, paid, failed,
            revenue.OrderBy(x => x.Currency, StringComparer.Ordinal).Select(x => new MoneyTotal(x.Currency, Money.FromMicros(x.Micros), x.Count)).ToList()));
    }

    internal static async Task<Results<Ok<CallsResponse>, ProblemHttpResult>> CallsAsync(
        SwitchboardDbContext db, TimeProvider time, HttpContext http, CancellationToken ct)
    {
        if (!TryPeriod(http.Request, time, out var p, out var problem)) return problem!;
        var calls = db.Set<Call>().Where(x => x.StartedAt >= p.From && x.StartedAt < p.To);
        var byDay = await calls.GroupBy(x => x.StartedAt.Date).Select(g => new
        {
            Day = g.Key,
            Total = g.LongCount(),
            Completed = g.LongCount(x => x.Status == CallStatus.Completed),
            Missed = g.LongCount(x => x.Status == CallStatus.Missed),
            Failed = g.LongCount(x => x.Status == CallStatus.Failed),
            Duration = g.Sum(x => (long)x.DurationSeconds),
        }).ToListAsync(ct);
        var byStatus = await calls.GroupBy(x => x.Status).Select(g => new Count(g.Key, g.LongCount())).ToListAsync(ct);
        var byDirection = await calls.GroupBy(x => x.Direction).Select(g => new Count(g.Key, g.LongCount())).ToListAsync(ct);
        var byOutcome = await calls.GroupBy(x => x.Outcome ?? "none").Select(g => new Count(g.Key, g.LongCount())).ToListAsync(ct);
        var total = byDay.Sum(d => d.Total);
        var duration = byDay.Sum(d => d.Duration);
        return TypedResults.Ok(new CallsResponse(p, total, duration, total == 0 ? 0 : Math.Round((double)duration / total, 1),
            byDay.OrderBy(d => d.Day).Select(d => new CallDay(DateOnly.FromDateTime(d.Day), d.Total, d.Completed, d.Missed, d.Failed, d.Duration,
                d.Total == 0 ? 0 : Math.Round((double)d.Duration / d.Total, 1))).ToList(),
            Sorted(byStatus), Sorted(byDirection), Sorted(byOutcome)));
    }

    internal static async Task<Results<Ok<LeadsResponse>, ProblemHttpResult>> LeadsAsync(
        SwitchboardDbContext db, TimeProvider time, HttpContext http, CancellationToken ct)
    {
        if (!TryPeriod(http.Request, time, out var p, out var problem)) return problem!;
        var leads = db.Set<Lead>().Where(x => x.CreatedAt >= p.From && x.CreatedAt < p.To);
        var bySource = await leads.GroupBy(x => x.Source ?? "unknown").Select(g => new
        {
            Source = g.Key,
            Leads = g.LongCount(),
            Converted = g.LongCount(x => x.Status == LeadStatus.Converted),
        }).ToListAsync(ct);
        var byStatus = await leads.GroupBy(x => x.Status).Select(g => new Count(g.Key, g.LongCount())).ToListAsync(ct);
        var total = bySource.Sum(s => s.Leads);
        var converted = bySource.Sum(s => s.Converted);
        return TypedResults.Ok(new LeadsResponse(p, total, converted, Rate(converted, total),
            bySource.OrderByDescending(s => s.Leads).ThenBy(s => s.Source, StringComparer.Ordinal)
                .Select(s => new LeadSource(s.Source, s.Leads, s.Converted, Rate(s.Converted, s.Leads))).ToList(),
            Sorted(byStatus)));
    }

    private static double? Rate(long part, long whole) => whole == 0 ? null : Math.Round(part * 100.0 / whole, 1);

    private static List<Count> Sorted(List<Count> counts) =>
        counts.OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal).ToList();
}

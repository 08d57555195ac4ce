using System.Globalization;
using System.Text.Json.Nodes;
using Cronos;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Switchboard.Platform;
using Switchboard.Platform.Resources;
using Switchboard.Platform.Storage;
using Switchboard.Webhooks;

namespace Switchboard.Integrations.Actions;

/// <summary>
/// Runs action rules on their schedules (a daily digest): each due time of a rule's cron expression becomes one
/// delivery of an <c>integration.scheduled</c> payload on the one delivery queue, retried and logged like any other.
/// Several nodes poll side by side; a due time is claimed by a conditional UPDATE of the rule's
/// <see cref="WebhookEndpoint.NextScheduledAt"/> from the time read to the next one, in the transaction that inserts the
/// delivery, so exactly one node fires it. A node that was down fires a missed time once, not once per missed time, and
/// goes on from the next time after now.
/// </summary>
public sealed class RuleScheduler(IServiceScopeFactory scopes, WebhookSignals signals, IOptions<SwitchboardOptions> options, TimeProvider time,
    ILogger<RuleScheduler> logger) : BackgroundService
{
    public const string ScheduledEvent = "integration.scheduled";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try { await RunOnceAsync(stoppingToken); }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { return; }
            catch (Exception ex) { logger.LogError(ex, "Scheduling action rules failed; trying again at the next poll"); }
            try { await Task.Delay(TimeSpan.FromSeconds(options.Value.Integrations.SchedulerPollSeconds), time, stoppingToken); }
            catch (OperationCanceledException) { return; }
        }
    }

    /// <summary>Fires every rule due now; answers how many deliveries this node created.</summary>
    public async Task<int> RunOnceAsync(CancellationToken cancellationToken)
    {
        var now = time.UtcNow();
        List<(string Id, string OrganizationId, string Schedule, string? Zone, DateTime Due)> due;
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
            due = (await db.Set<WebhookEndpoint>().IgnoreQueryFilters().AsNoTracking()
                    .Where(r => r.NextScheduledAt != null && r.NextScheduledAt <= now && r.Kind == EndpointKind.Action && r.IsActive && r.Schedule != null)
                    .OrderBy(r => r.NextScheduledAt).Take(500)
                    .Select(r => new { r.Id, r.OrganizationId, r.Schedule, r.ScheduleTimeZone, r.NextScheduledAt }).ToListAsync(cancellationToken))
                .Select(r => (r.Id, r.OrganizationId, r.Schedule!, r.ScheduleTimeZone, r.NextScheduledAt!.Value)).ToList();
        }
        var fired = 0;
        foreach (var rule in due)
            if (await FireAsync(rule.Id, rule.OrganizationId, rule.Schedule, rule.Zone, rule.Due, now, cancellationToken)) fired++;
        if (fired > 0) signals.DeliveriesCreated();
        return fired;
    }

    private async Task<bool> FireAsync(string ruleId, string organizationId, string schedule, string? zone, DateTime dueAt, DateTime now, CancellationToken cancellationToken)
    {
        var next = NextOccurrence(schedule, zone, now);
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        // The claim: only the node whose read is still current moves the time on (and fires).
        var claimed = await db.Set<WebhookEndpoint>().IgnoreQueryFilters()
            .Where(r => r.Id == ruleId && r.NextScheduledAt == dueAt)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.NextScheduledAt, next), cancellationToken);
        if (claimed != 1) return false;
        var eventId = Ids.New(ResourceRegistry.Events, time);
        var payload = new JsonObject
        {
            ["id"] = eventId, ["type"] = ScheduledEvent,
            ["timestamp"] = now.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture),
            ["data"] = new JsonObject { ["ruleId"] = ruleId, ["scheduledFor"] = dueAt.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture) },
        };
        db.Add(new WebhookDelivery
        {
            Id = Ids.New(WebhookResources.Deliveries, time), OrganizationId = organizationId, EndpointId = ruleId, EventId = eventId, EventType = ScheduledEvent,
            Payload = payload.ToJsonString(), NextAttemptAt = now, CreatedAt = now, UpdatedAt = now,
        });
        await db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
        logger.LogInformation("Action rule {RuleId} ran on its schedule for {DueAt:O}", ruleId, dueAt);
        return true;
    }

    /// <summary>The next time after <paramref name="after"/> (UTC) of a five-field cron expression in an IANA time zone (UTC when null); null when there is none.</summary>
    public static DateTime? NextOccurrence(string schedule, string? zone, DateTime after) =>
        CronExpression.Parse(schedule, CronFormat.Standard).GetNextOccurrence(DateTime.SpecifyKind(after, DateTimeKind.Utc),
            zone is null ? TimeZoneInfo.Utc : TimeZoneInfo.FindSystemTimeZoneById(zone));

    /// <summary>Why a schedule or time zone cannot be used, or null.</summary>
    public static (string Field, string Message)? Check(string? schedule, string? zone)
    {
        if (zone is not null)
        {
            if (zone.Length > 64 || !TimeZoneInfo.TryFindSystemTimeZoneById(zone, out _)) return ("scheduleTimeZone", "Must be an IANA time zone, such as Europe/Paris.");
            if (schedule is null) return ("scheduleTimeZone", "Only with a schedule.");
        }
        if (schedule is null) return null;
        if (schedule.Length > 100 || !CronExpression.TryParse(schedule, CronFormat.Standard, out _))
            return ("schedule", "Must be a cron expression of five fields (minute hour day-of-month month day-of-week), such as \"0 9 * * 1-5\".");
        return null;
    }
}

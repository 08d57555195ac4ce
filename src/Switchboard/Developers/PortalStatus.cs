using System.Diagnostics;
using System.Reflection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Switchboard.Platform;
using Switchboard.Platform.Storage;
using Switchboard.Webhooks;

namespace Switchboard.Developers;

/// <summary>Times are UTC (serialized with "Z", like every timestamp of the API).</summary>
public sealed record StatusReport(string Status, DateTime CheckedAt, NodeStatus Node, DatabaseStatus Database, WebhookStatus Webhooks);

public sealed record NodeStatus(string Status, string Version, DateTime StartedAt, long UptimeSeconds);

public sealed record DatabaseStatus(string Status, string Provider, double? LatencyMs);

public sealed record WebhookStatus(string Status, WorkerStatus Dispatcher, WorkerStatus Delivery, WebhookBacklog? Backlog);

/// <param name="ItemsHandled">Events dispatched or deliveries attempted by this node since it started.</param>
public sealed record WorkerStatus(string Status, DateTime? LastPassAt, DateTime? LastWorkAt, DateTime? LastFailureAt, long ItemsHandled);

/// <summary>Installation-wide counts (every tenant together, nothing that names one).</summary>
/// <param name="UndispatchedEvents">Events committed but not yet turned into deliveries.</param>
/// <param name="DueDeliveries">Pending deliveries whose next attempt is due now: the workers' queue.</param>
/// <param name="OldestDueSeconds">How long the longest-waiting due delivery has been due.</param>
/// <param name="ScheduledDeliveries">Pending deliveries waiting for a later retry (or for their endpoint to be re-enabled).</param>
public sealed record WebhookBacklog(long UndispatchedEvents, double? OldestUndispatchedSeconds, long DueDeliveries, double? OldestDueSeconds, long ScheduledDeliveries);

/// <summary>
/// The live state of this node, its database and its webhook workers, for /developers/status. Anonymous callers can
/// reach it, so it answers aggregate counts only, never a message from the database (which could name hosts or
/// users), and one report is shared by every request within <see cref="ReuseFor"/>: a flood of status requests costs
/// the database one set of cheap, indexed queries per interval.
/// </summary>
public sealed class PortalStatus(IServiceScopeFactory scopes, OutboxDispatcher dispatcher, DeliveryWorker delivery, DatabaseSettings database,
    IOptions<SwitchboardOptions> options, TimeProvider time, ILogger<PortalStatus> logger)
{
    private static readonly TimeSpan ReuseFor = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan QueryTimeout = TimeSpan.FromSeconds(3);

    public static readonly string Version =
        typeof(PortalStatus).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(PortalStatus).Assembly.GetName().Version?.ToString() ?? "unknown";

    private readonly DateTimeOffset _startedAt = time.GetUtcNow();
    private readonly Lock _gate = new();
    private (Task<StatusReport> Report, DateTimeOffset At)? _last;

    public Task<StatusReport> CurrentAsync()
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            if (_last is { } last && now - last.At < ReuseFor) return last.Report;
            // Not tied to one request's cancellation: other requests may await the same report.
            var report = CheckAsync(now);
            _last = (report, now);
            return report;
        }
    }

    private async Task<StatusReport> CheckAsync(DateTimeOffset started)
    {
        var (databaseStatus, backlog) = await ProbeDatabaseAsync(started);
        // Heartbeats first, then the report's time: a pass that lands in between must not look like it is in the future.
        var dispatcherBeat = dispatcher.Heartbeat.Read();
        var deliveryBeat = delivery.Heartbeat.Read();
        var now = time.GetUtcNow();
        var settings = options.Value.Webhooks;
        // Idle loops pass every PollMilliseconds; a delivery pass may take up to the attempt timeout. Past twice that
        // (and at least half a minute) without a pass, the loop is stuck.
        var dispatcherStatus = Worker(dispatcherBeat, now, TimeSpan.FromSeconds(30));
        var deliveryStatus = Worker(deliveryBeat, now, TimeSpan.FromSeconds(Math.Max(30, 2 * (settings.TimeoutSeconds + 15))));
        var webhooks = dispatcherStatus.Status == "up" && deliveryStatus.Status == "up" ? "up"
            : dispatcherStatus.Status == "starting" && deliveryStatus.Status is "starting" or "up" ? "starting" : "degraded";
        var node = new NodeStatus("up", Version, _startedAt.UtcDateTime, (long)(now - _startedAt).TotalSeconds);
        var overall = databaseStatus.Status != "up" ? "down" : webhooks is "up" or "starting" ? "operational" : "degraded";
        return new StatusReport(overall, now.UtcDateTime, node, databaseStatus, new WebhookStatus(webhooks, dispatcherStatus, deliveryStatus, backlog));
    }

    private static WorkerStatus Worker(HeartbeatReading heartbeat, DateTimeOffset now, TimeSpan stalledAfter)
    {
        var lastPass = heartbeat.LastPassAt;
        var lastFailure = heartbeat.LastFailureAt;
        var status = lastFailure > (lastPass ?? DateTimeOffset.MinValue) ? "failing"
            : lastPass is null ? "starting"
            : now - lastPass > stalledAfter ? "stalled"
            : "up";
        return new WorkerStatus(status, lastPass?.UtcDateTime, heartbeat.LastWorkAt?.UtcDateTime, lastFailure?.UtcDateTime, heartbeat.ItemsHandled);
    }

    private async Task<(DatabaseStatus, WebhookBacklog?)> ProbeDatabaseAsync(DateTimeOffset now)
    {
        var provider = database.Provider == DatabaseProvider.Postgres ? "postgres" : "sqlite";
        using var timeout = new CancellationTokenSource(QueryTimeout);
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
            // The connection is opened first, so the latency is of a trivial query, not of a pool miss or a file open.
            await db.Database.OpenConnectionAsync(timeout.Token);
            var started = Stopwatch.GetTimestamp();
            await db.Database.SqlQueryRaw<int>("SELECT 1 AS \"Value\"").ToListAsync(timeout.Token);
            var latency = Math.Round(Stopwatch.GetElapsedTime(started).TotalMilliseconds, 2);
            return (new DatabaseStatus("up", provider, latency), await BacklogAsync(db, now.UtcDateTime, timeout.Token));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            logger.LogWarning(ex, "Status check: the database did not answer");
            return (new DatabaseStatus("down", provider, null), null);
        }
    }

    private static async Task<WebhookBacklog> BacklogAsync(SwitchboardDbContext db, DateTime now, CancellationToken cancellationToken)
    {
        // Each of these reads an index ((dispatched_at, id) and (status, next_attempt_at)), not the tables.
        var undispatched = db.OutboxEvents.IgnoreQueryFilters().Where(e => e.DispatchedAt == null);
        var undispatchedCount = await undispatched.LongCountAsync(cancellationToken);
        var oldestEvent = undispatchedCount == 0 ? null : await undispatched.MinAsync(e => (DateTime?)e.CreatedAt, cancellationToken);
        var pending = db.Set<WebhookDelivery>().IgnoreQueryFilters().Where(d => d.Status == DeliveryStatus.Pending);
        var due = pending.Where(d => d.NextAttemptAt <= now);
        var dueCount = await due.LongCountAsync(cancellationToken);
        var oldestDue = dueCount == 0 ? null : await due.MinAsync(d => (DateTime?)d.NextAttemptAt, cancellationToken);
        var scheduled = await pending.Where(d => d.NextAttemptAt > now).LongCountAsync(cancellationToken);
        return new WebhookBacklog(undispatchedCount, Age(oldestEvent, now), dueCount, Age(oldestDue, now), scheduled);
    }

    private static double? Age(DateTime? since, DateTime now) => since is { } s ? Math.Round(Math.Max(0, (now - s).TotalSeconds), 1) : null;
}

using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Switchboard.Integrations.Catalog;
using Switchboard.Platform;
using Switchboard.Platform.Storage;

namespace Switchboard.Integrations.Syncs;

/// <summary>
/// Each node's sync worker. Every <see cref="IntegrationOptions.SchedulerPollSeconds"/> (or at once when a run is
/// queued here) it queues the scheduled runs that are due (<see cref="ScheduleDueAsync"/>) and leases runs to execute:
/// queued ones, and running ones whose lease ran out (their node died, or a retryable failure set the lease to the time
/// of the retry). A lease is one conditional UPDATE (still in the state read), which one node wins on PostgreSQL and
/// SQLite alike; at most <see cref="MaxParallel"/> runs at a time per node.
/// </summary>
public sealed class SyncRunner(IServiceScopeFactory scopes, SyncEngine engine, SyncQueue queue, SyncSignals signals, ProviderCatalog catalog,
    IOptions<SwitchboardOptions> options, TimeProvider time, ILogger<SyncRunner> logger) : BackgroundService
{
    public const int MaxParallel = 4;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var running = new List<Task>();
        var poll = TimeSpan.FromSeconds(options.Value.Integrations.SchedulerPollSeconds);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await ScheduleDueAsync(stoppingToken);
                running.RemoveAll(t => t.IsCompleted);
                while (running.Count < MaxParallel && await TryLeaseAsync(stoppingToken) is { } lease)
                    running.Add(Task.Run(async () =>
                    {
                        try { await engine.RunAsync(lease, stoppingToken); }
                        catch (Exception ex) when (ex is not OperationCanceledException) { logger.LogError(ex, "Sync run {RunId} stopped", lease.RunId); }
                        finally { signals.Wake(); }
                    }, CancellationToken.None));
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(ex, "The sync runner's poll failed");
            }
            try { await signals.WaitAsync(poll, stoppingToken); }
            catch (OperationCanceledException) { break; }
        }
        await Task.WhenAll(running);
    }

    /// <summary>Takes the oldest run that is queued or whose lease ran out, if any; null when there is none or others won them.</summary>
    public async Task<SyncLease?> TryLeaseAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
        var runs = db.Set<IntegrationSyncRun>().IgnoreQueryFilters();
        var now = time.UtcNow();
        var candidates = await runs.Where(r => r.Status == SyncRunStatus.Queued || (r.Status == SyncRunStatus.Running && r.LeasedUntil < now))
            .OrderBy(r => r.CreatedAt).Select(r => new { r.Id, r.Status, r.LeasedUntil }).Take(MaxParallel * 2).ToListAsync(cancellationToken);
        foreach (var c in candidates)
        {
            var until = now.AddSeconds(options.Value.Integrations.SyncLeaseSeconds);
            var won = await runs.Where(r => r.Id == c.Id && r.Status == c.Status && r.LeasedUntil == c.LeasedUntil).ExecuteUpdateAsync(s => s
                .SetProperty(r => r.Status, SyncRunStatus.Running)
                .SetProperty(r => r.LeasedUntil, until)
                .SetProperty(r => r.Attempts, r => r.Attempts + 1)
                .SetProperty(r => r.StartedAt, r => r.StartedAt ?? now)
                .SetProperty(r => r.UpdatedAt, now), cancellationToken);
            if (won == 1) return new SyncLease(c.Id, until);
        }
        return null;
    }

    /// <summary>
    /// The scheduler: gives an active installation first seen its sync states (the first scheduled run one interval
    /// later), and queues a scheduled run for every state that is due. Moving a state's next run time is a conditional
    /// update, so one node queues it.
    /// </summary>
    public async Task ScheduleDueAsync(CancellationToken cancellationToken)
    {
        // Only the models a connector implements are scheduled (a definition may declare more than its connector syncs).
        var syncing = catalog.All
            .Select(p => (p.Key, Syncs: p.Syncs.Where(s => catalog.Find(p.Key)?.Sync(s.Model) is not null).ToList()))
            .Where(p => p.Syncs.Count > 0).ToDictionary(p => p.Key, p => p.Syncs, StringComparer.Ordinal);
        if (syncing.Count == 0) return;
        var keys = syncing.Keys.ToList();
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
        var installations = db.Set<IntegrationInstallation>().IgnoreQueryFilters();
        var states = db.Set<IntegrationSyncState>().IgnoreQueryFilters();
        var now = time.UtcNow();

        var unseen = await installations.Where(i => i.Status == InstallationStatus.Active && keys.Contains(i.ProviderKey) && !states.Any(s => s.InstallationId == i.Id))
            .OrderBy(i => i.Id).AsNoTracking().Take(100).ToListAsync(cancellationToken);
        if (unseen.Count > 0)
        {
            foreach (var installation in unseen)
            {
                var config = JsonNode.Parse(installation.Config) as JsonObject ?? [];
                foreach (var sync in syncing[installation.ProviderKey])
                {
                    var interval = SyncQueue.IntervalSeconds(config, sync);
                    db.Add(new IntegrationSyncState
                    {
                        InstallationId = installation.Id, Model = sync.Model, OrganizationId = installation.OrganizationId, IntervalSeconds = interval,
                        NextRunAt = now.AddSeconds(interval), UpdatedAt = now,
                    });
                }
            }
            try { await db.SaveChangesAsync(cancellationToken); }
            catch (DbUpdateException) { db.ChangeTracker.Clear(); } // another node added them first
        }

        var due = await (from s in states
                         join i in installations on s.InstallationId equals i.Id
                         where s.NextRunAt <= now && i.Status == InstallationStatus.Active
                         select new { s.InstallationId, s.Model, s.NextRunAt, s.IntervalSeconds, Installation = i })
            .OrderBy(d => d.NextRunAt).AsNoTracking().Take(100).ToListAsync(cancellationToken);
        foreach (var d in due)
        {
            var next = now.AddSeconds(Math.Max(60, d.IntervalSeconds));
            var mine = await states.Where(s => s.InstallationId == d.InstallationId && s.Model == d.Model && s.NextRunAt == d.NextRunAt)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.NextRunAt, next).SetProperty(x => x.UpdatedAt, now), cancellationToken);
            if (mine == 1) await queue.QueueAsync(db, d.Installation, [d.Model], SyncTrigger.Scheduled, cancellationToken);
        }
    }
}

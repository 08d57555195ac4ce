using Microsoft.EntityFrameworkCore;
using Switchboard.Integrations.Catalog;
using Switchboard.Platform;
using Switchboard.Platform.Storage;

namespace Switchboard.Integrations.Syncs;

public static class SyncTrigger
{
    public const string Manual = "manual", Scheduled = "scheduled", Webhook = "webhook";
}

/// <summary>
/// Queues sync runs: at most one queued or running run per installation and model. The schema has no unique index
/// for it (the run table keeps history), so two nodes queueing the same model at once both insert, then look again and
/// the later run (ids are time-ordered) withdraws: one survives, whoever commits first.
/// </summary>
public sealed class SyncQueue(TimeProvider time, SyncSignals signals)
{
    public sealed record Outcome(IReadOnlyList<IntegrationSyncRun> Queued, IReadOnlyList<string> Busy);

    public async Task<Outcome> QueueAsync(SwitchboardDbContext db, IntegrationInstallation installation, IEnumerable<string> models, string trigger,
        CancellationToken cancellationToken)
    {
        var runs = db.Set<IntegrationSyncRun>().IgnoreQueryFilters();
        var busy = await runs.Where(r => r.InstallationId == installation.Id && (r.Status == SyncRunStatus.Queued || r.Status == SyncRunStatus.Running))
            .Select(r => r.Model).Distinct().ToListAsync(cancellationToken);
        var now = time.UtcNow();
        var queued = new List<IntegrationSyncRun>();
        foreach (var model in models.Distinct(StringComparer.Ordinal))
        {
            if (busy.Contains(model)) continue;
            var run = new IntegrationSyncRun
            {
                Id = Ids.New(IntegrationResources.SyncRuns, time), OrganizationId = installation.OrganizationId, InstallationId = installation.Id,
                Model = model, Trigger = trigger, CreatedAt = now, UpdatedAt = now,
            };
            db.Add(run);
            queued.Add(run);
        }
        if (queued.Count == 0) return new Outcome([], busy);
        await db.SaveChangesAsync(cancellationToken);

        // Another node may have queued the same model meanwhile: the earlier run stands.
        var ids = queued.Select(r => r.Id).ToList();
        var modelsQueued = queued.Select(r => r.Model).ToList();
        var rivals = await runs.Where(r => r.InstallationId == installation.Id && modelsQueued.Contains(r.Model) && !ids.Contains(r.Id)
                && (r.Status == SyncRunStatus.Queued || r.Status == SyncRunStatus.Running))
            .Select(r => new { r.Id, r.Model }).ToListAsync(cancellationToken);
        var withdrawn = queued.Where(q => rivals.Any(r => r.Model == q.Model && string.CompareOrdinal(r.Id, q.Id) < 0)).ToList();
        if (withdrawn.Count > 0)
        {
            var withdrawnIds = withdrawn.Select(w => w.Id).ToList();
            await runs.Where(r => withdrawnIds.Contains(r.Id)).ExecuteDeleteAsync(cancellationToken);
            foreach (var run in withdrawn) db.Entry(run).State = EntityState.Detached;
            queued.RemoveAll(withdrawn.Contains);
            busy.AddRange(withdrawn.Select(w => w.Model));
        }
        if (queued.Count > 0) signals.Wake();
        return new Outcome(queued, busy);
    }

    /// <summary>The interval of scheduled runs: the installation's <c>syncIntervalSeconds</c> (at least 60) or the model's default.</summary>
    public static int IntervalSeconds(System.Text.Json.Nodes.JsonObject config, ProviderSync sync) =>
        config["syncIntervalSeconds"] is System.Text.Json.Nodes.JsonValue v && v.TryGetValue<int>(out var seconds) && seconds >= 60 ? seconds : sync.DefaultIntervalSeconds;
}

/// <summary>Wakes this node's sync runner when a run is queued or one finishes, instead of waiting for its next poll.</summary>
public sealed class SyncSignals : IDisposable
{
    private readonly SemaphoreSlim _wake = new(0, 1);

    public void Wake()
    {
        try { _wake.Release(); }
        catch (SemaphoreFullException) { } // already signalled
    }

    public Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => _wake.WaitAsync(timeout, cancellationToken);

    public void Dispose() => _wake.Dispose();
}

/// <summary>A sync model that names the CRM fields it maps (what a push reads from the CRM record).</summary>
public interface ISyncFieldMap
{
    IReadOnlyList<string> Fields { get; }
}

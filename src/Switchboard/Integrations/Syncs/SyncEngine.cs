using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Switchboard.Crm.Pipeline;
using Switchboard.Integrations.Catalog;
using Switchboard.Integrations.Connectors;
using Switchboard.Platform;
using Switchboard.Platform.Storage;
using Switchboard.Webhooks;

namespace Switchboard.Integrations.Syncs;

/// <summary>A run this node holds: its id and the lease it took (the lease's end is the token every later write checks).</summary>
public sealed record SyncLease(string RunId, DateTime Until);

/// <summary>
/// Runs one leased sync run, page by page. Each page's CRM writes (through the CRM's write path, with their outbox
/// events), its id-map links, the run's counts and its checkpoint (the provider's cursor of the next page) commit in one
/// transaction, which also renews the lease, conditional on still holding it: a node killed mid-run leaves the run at its
/// last committed page, and the node that takes the run over after the lease runs out goes on from there; a page is
/// never applied twice, and the unique indexes of the id map would refuse a duplicate link if it were. Then, for
/// two-way models, local changes are pushed. The run ends with the state's new cursor (the high-water mark) and next
/// scheduled time, and <c>integration.sync_completed</c> or <c>integration.sync_failed</c>.
/// </summary>
public sealed class SyncEngine(IServiceScopeFactory scopes, ConnectorContexts contexts, IOptions<SwitchboardOptions> options, TimeProvider time,
    WebhookSignals events, ILogger<SyncEngine> logger)
{
    /// <summary>Leases of a run without progress before a retryable failure (a 429, a 5xx, a timeout) becomes final.</summary>
    public const int MaxAttempts = 5;
    private const int MaxErrors = 20;
    private const int PushBatch = 100;

    private sealed class LeaseLostException() : Exception("Another node took the run over.");

    /// <summary>A failure that retrying does not cure (configuration, an installation not active).</summary>
    private sealed class SyncFailure(string message) : Exception(message);

    /// <summary>A run's counts and first errors as this node has committed them.</summary>
    private sealed class Progress
    {
        public int Added, Updated, Deleted, Skipped, Failed;
        public List<string> Errors = [];
        public void Error(string text) { if (Errors.Count < MaxErrors) Errors.Add(text.Length <= 500 ? text : text[..500]); }
        public Progress Copy() => new() { Added = Added, Updated = Updated, Deleted = Deleted, Skipped = Skipped, Failed = Failed, Errors = [.. Errors] };
        public void CopyFrom(Progress o) => (Added, Updated, Deleted, Skipped, Failed, Errors) = (o.Added, o.Updated, o.Deleted, o.Skipped, o.Failed, [.. o.Errors]);
    }

    private TimeSpan LeaseLength => TimeSpan.FromSeconds(options.Value.Integrations.SyncLeaseSeconds);

    public async Task RunAsync(SyncLease lease, CancellationToken cancellationToken)
    {
        IntegrationSyncRun? run;
        await using (var scope = scopes.CreateAsyncScope())
            run = await scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>().Set<IntegrationSyncRun>().IgnoreQueryFilters().AsNoTracking()
                .FirstOrDefaultAsync(r => r.Id == lease.RunId, cancellationToken);
        if (run is null) return;
        var progress = new Progress
        {
            Added = run.Added, Updated = run.Updated, Deleted = run.Deleted, Skipped = run.Skipped, Failed = run.Failed,
            Errors = run.Errors is null ? [] : JsonSerializer.Deserialize<List<string>>(run.Errors) ?? [],
        };
        var held = lease.Until;
        // A sync run is a trace of its own (a span per pass of it on a node): its provider calls and writes are children.
        using var activity = Platform.Telemetry.SwitchboardTelemetry.Source.StartActivity("sync run");
        activity?.SetTag("switchboard.sync.run_id", run.Id);
        activity?.SetTag("switchboard.sync.model", run.Model);
        activity?.SetTag("switchboard.integration.installation_id", run.InstallationId);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var outcome = await RunLeasedAsync(run, progress, held, cancellationToken);
        activity?.SetTag(Platform.Telemetry.SwitchboardTelemetry.OutcomeAttribute, outcome);
        if (outcome == "failed") Platform.Telemetry.SwitchboardTelemetry.Failed(activity, outcome);
        if (Platform.Telemetry.SwitchboardTelemetry.SyncRunDuration.Enabled)
            Platform.Telemetry.SwitchboardTelemetry.SyncRunEnded(await ProviderOfAsync(run.InstallationId), outcome, System.Diagnostics.Stopwatch.GetElapsedTime(started));
    }

    /// <summary>The installation's provider, for the sync-run metric (read only when telemetry is on); null once uninstalled.</summary>
    private async Task<string?> ProviderOfAsync(string installationId)
    {
        await using var scope = scopes.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>().Set<IntegrationInstallation>().IgnoreQueryFilters()
            .Where(i => i.Id == installationId).Select(i => i.ProviderKey).FirstOrDefaultAsync(CancellationToken.None);
    }

    /// <summary>
    /// Runs the leased run until it ends, fails or is handed back; answers what became of it (<c>succeeded</c>,
    /// <c>failed</c>, <c>retrying</c>, <c>interrupted</c>: taken over, or handed back at shutdown) for telemetry.
    /// </summary>
    private async Task<string> RunLeasedAsync(IntegrationSyncRun run, Progress progress, DateTime held, CancellationToken cancellationToken)
    {
        try
        {
            await ExecuteAsync(run, progress, () => held, until => held = until, cancellationToken);
            return "succeeded";
        }
        catch (LeaseLostException)
        {
            logger.LogWarning("Sync run {RunId} was taken over by another node; this node stops it", run.Id);
            return "interrupted";
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutting down: hand the run over now (another node, or this one restarted, resumes at the checkpoint).
            await UpdateRunAsync(run.Id, held, s => s.SetProperty(r => r.LeasedUntil, time.UtcNow().AddMilliseconds(-1)), CancellationToken.None);
            return "interrupted";
        }
        catch (ProviderException ex) when (ex.Retryable && run.Attempts < MaxAttempts)
        {
            var wait = ex.RetryAfter ?? TimeSpan.FromSeconds(Math.Min(300, Math.Pow(2, run.Attempts - 1)) * (0.8 + Random.Shared.NextDouble() * 0.4));
            logger.LogInformation("Sync run {RunId} ({Model}) will retry in {Wait} s: {Error}", run.Id, run.Model, wait.TotalSeconds, ex.Message);
            progress.Error(Describe(ex));
            var errors = JsonSerializer.Serialize(progress.Errors);
            await UpdateRunAsync(run.Id, held, s => s.SetProperty(r => r.LeasedUntil, time.UtcNow().Add(wait)).SetProperty(r => r.Errors, errors)
                .SetProperty(r => r.UpdatedAt, time.UtcNow()), CancellationToken.None);
            return "retrying";
        }
        catch (Exception ex)
        {
            if (ex is not (ProviderException or SyncFailure)) logger.LogError(ex, "Sync run {RunId} ({Model}) failed", run.Id, run.Model);
            await FinishAsync(run, held, progress, SyncCheckpoint.Parse(run.Checkpoint), failure: Describe(ex), CancellationToken.None);
            return "failed";
        }
    }

    private static string Describe(Exception ex) => ex is ProviderException { ProviderError: { } error } p && !p.Message.Contains(error, StringComparison.Ordinal)
        ? $"{p.Message} {error}" : ex.Message;

    private async Task ExecuteAsync(IntegrationSyncRun run, Progress progress, Func<DateTime> held, Action<DateTime> renewed, CancellationToken cancellationToken)
    {
        await using var runScope = scopes.CreateAsyncScope();
        runScope.ServiceProvider.GetRequiredService<TenantScope>().OrganizationId = run.OrganizationId;
        var db = runScope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
        var installation = await db.Set<IntegrationInstallation>().AsNoTracking().FirstOrDefaultAsync(i => i.Id == run.InstallationId, cancellationToken)
            ?? throw new LeaseLostException(); // uninstalled: its runs go with it
        if (installation.Status != InstallationStatus.Active)
            throw new SyncFailure($"The installation is {installation.Status}{(installation.StatusReason is null ? "" : $" ({installation.StatusReason})")}, not active.");
        var (connector, context) = contexts.For(installation, runScope.ServiceProvider);
        var sync = connector.Definition.Syncs.FirstOrDefault(s => s.Model == run.Model)
            ?? throw new SyncFailure($"{connector.Definition.Name} has no sync model '{run.Model}'.");
        var model = connector.Sync(run.Model) ?? throw new SyncFailure($"{connector.Definition.Name} has no sync model '{run.Model}'.");
        var local = SyncLocalResources.Find(sync.LocalResource) ?? throw new SyncFailure($"No CRM resource '{sync.LocalResource}' to sync with.");
        var job = new Job(run, installation, context, sync, model, local, (model as ISyncFieldMap)?.Fields ?? local.DefaultFields,
            SyncConflictPolicy.From(context.Config), context.Config["deleteLocal"] is JsonValue d && d.TryGetValue<bool>(out var delete) && delete);

        var state = await db.Set<IntegrationSyncState>().AsNoTracking().FirstOrDefaultAsync(s => s.InstallationId == run.InstallationId && s.Model == run.Model, cancellationToken);
        var since = run.StartCursor ?? state?.Cursor;
        var checkpoint = SyncCheckpoint.Parse(run.Checkpoint);
        if (run.Checkpoint is null && sync.Direction == SyncDirection.Push) checkpoint = new SyncCheckpoint(SyncCheckpoint.Push);
        var pushes = sync.Direction is SyncDirection.TwoWay or SyncDirection.Push;

        // Three stages overlap: the provider's next page is fetched while this one is applied to a unit of work, and that is
        // built while the previous page's unit commits. Commits stay in page order, one at a time, each renewing the lease
        // the next one names. A page that repeats a record of the page being committed, unchanged (a provider paging by
        // modification time from the last one read sends it again), skips it; one holding a newer version waits for that
        // commit first, so its lookups see the link and record the earlier page wrote.
        var fetching = checkpoint.Phase == SyncCheckpoint.Pull ? model.PullAsync(context, since, checkpoint.Page, cancellationToken) : null;
        var analyzeAt = AnalyzeFirstAt;
        Task<DateTime>? committing = null;
        IReadOnlyDictionary<string, DateTime> inFlight = new Dictionary<string, DateTime>();
        var applied = progress; // the counts with every applied page, committed or not
        async Task CommittedAsync()
        {
            if (committing is null) return;
            var task = committing;
            committing = null;
            inFlight = new Dictionary<string, DateTime>();
            renewed(await task);
            if (progress.Added < analyzeAt) return;
            await AnalyzeAsync(db, local, cancellationToken);
            analyzeAt = progress.Added * 4;
        }
        try
        {
            while (fetching is not null)
            {
                var page = await fetching;
                fetching = page.NextPageCursor is { } following ? model.PullAsync(context, since, following, cancellationToken) : null;
                var next = checkpoint with { Page = page.NextPageCursor, HighWaterMark = page.HighWaterMark ?? checkpoint.HighWaterMark };
                if (page.NextPageCursor is null) next = next with { Phase = pushes ? SyncCheckpoint.Push : "done", Page = null };
                if (page.Records.Any(r => inFlight.TryGetValue(r.RemoteId, out var at) && r.ModifiedAt > at)) await CommittedAsync();
                var unit = await ApplyPageAsync(job, page, applied, inFlight, cancellationToken);
                try { await CommittedAsync(); }
                catch { await unit.DisposeAsync(); throw; }
                applied = unit.Progress;
                inFlight = unit.Written;
                committing = CommitPageAsync(unit, run.Id, next, since, held(), progress, cancellationToken);
                checkpoint = next;
            }
            await CommittedAsync();
        }
        finally
        {
            // A page fetched ahead of a failure is not applied; its own failure, if any, is not this run's news. A commit under
            // way finishes (its renewed lease is the one the failure is recorded under).
            if (fetching is not null) try { await fetching; } catch (Exception) { }
            if (committing is not null) try { renewed(await committing); } catch (Exception) { }
        }
        while (checkpoint.Phase == SyncCheckpoint.Push)
        {
            List<(CrmRecord Record, IntegrationRecordLink? Link)> batch;
            string? scanned;
            await using (var scope = TenantScoped(run.OrganizationId, out var batchDb))
                (batch, scanned) = await local.ChangedAsync(batchDb, run.InstallationId, run.Model, checkpoint.PushedAfter, PushBatch, cancellationToken);
            if (batch.Count == 0) { checkpoint = checkpoint with { Phase = "done" }; break; }
            foreach (var (record, link) in batch)
            {
                checkpoint = checkpoint with { PushedAfter = ISyncLocalResource.CursorOf(record) };
                renewed(await PushAsync(job, record, link, progress, checkpoint, held(), cancellationToken));
            }
            // Past the unchanged records the scan looked at after the last one pushed (committed with the next push, if any).
            checkpoint = checkpoint with { PushedAfter = scanned };
        }
        await FinishAsync(run, held(), progress, checkpoint with { HighWaterMark = checkpoint.HighWaterMark ?? since }, failure: null, cancellationToken, job);
    }

    /// <summary>Records a run adds before the tables it writes are first analyzed (then again each time the count has grown fourfold).</summary>
    private const int AnalyzeFirstAt = 1000;

    /// <summary>
    /// PostgreSQL: refreshes the planner's statistics of the id map and of the CRM table a run is filling. Autovacuum
    /// analyzes a table about a minute after it grew, and until then the statistics say an installation whose first
    /// sync is running has no links and its organization no records: the planner then reads every link of the
    /// installation to find a page's hundred (the lookups by remote and by local id both), and a 100,000-record sync
    /// became quadratic. PostgreSQL's documentation advises ANALYZE after a table's contents changed substantially
    /// (https://www.postgresql.org/docs/current/sql-analyze.html); it samples at most 300 × default_statistics_target rows,
    /// so its cost does not grow with the table, and growing the threshold fourfold keeps it to a handful per run (four for 100,000 records).
    /// </summary>
    private static async Task AnalyzeAsync(SwitchboardDbContext db, ISyncLocalResource local, CancellationToken cancellationToken)
    {
        if (!db.Database.IsNpgsql()) return;
        var linkTable = db.Model.FindEntityType(typeof(IntegrationRecordLink))!.GetTableName();
        var localTable = db.Model.FindEntityType(local.EntityType)!.GetTableName();
        // Names from the model, not from input.
#pragma warning disable EF1002
        await db.Database.ExecuteSqlRawAsync($"ANALYZE \"{linkTable}\", \"{localTable}\"", cancellationToken);
#pragma warning restore EF1002
    }

    private sealed record Job(IntegrationSyncRun Run, IntegrationInstallation Installation, ConnectorContext Context, ProviderSync Sync, ISyncModel Model,
        ISyncLocalResource Local, IReadOnlyList<string> Fields, SyncConflictPolicy Policy, bool DeleteLocal);

    private AsyncServiceScope TenantScoped(string organizationId, out SwitchboardDbContext db)
    {
        var scope = scopes.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<TenantScope>().OrganizationId = organizationId;
        db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
        return scope;
    }

    /// <summary>
    /// A pulled page applied to a unit of work not yet saved: the scope that owns its <see cref="SwitchboardDbContext"/>, the
    /// run's counts with the page, and the modification time of each record the page applied (all but those that failed).
    /// </summary>
    private sealed class PageUnit(AsyncServiceScope scope, SwitchboardDbContext db, Progress progress, IReadOnlyDictionary<string, DateTime> written)
        : IAsyncDisposable
    {
        public SwitchboardDbContext Db => db;
        public Progress Progress => progress;
        public IReadOnlyDictionary<string, DateTime> Written => written;
        public ValueTask DisposeAsync() => scope.DisposeAsync();
    }

    /// <summary>Commits an applied page with the run's progress and <paramref name="next"/> checkpoint; answers the renewed lease.</summary>
    private async Task<DateTime> CommitPageAsync(PageUnit unit, string runId, SyncCheckpoint next, string? since, DateTime held, Progress committed,
        CancellationToken cancellationToken)
    {
        await using (unit)
            return await CommitAsync(unit.Db, runId, held, unit.Progress, next, since, () => committed.CopyFrom(unit.Progress), cancellationToken);
    }

    /// <summary>
    /// Applies one pulled page to a new unit of work, counted on top of <paramref name="basis"/>. Records of
    /// <paramref name="inFlight"/> (the page being committed) that come again unchanged are skipped.
    /// </summary>
    private async Task<PageUnit> ApplyPageAsync(Job job, SyncPage page, Progress basis, IReadOnlyDictionary<string, DateTime> inFlight,
        CancellationToken cancellationToken)
    {
        var scope = scopes.CreateAsyncScope();
        try
        {
            var unit = await ApplyAsync(job, page, basis, inFlight, scope.ServiceProvider, cancellationToken);
            return new PageUnit(scope, unit.Db, unit.Progress, unit.Written);
        }
        catch
        {
            await scope.DisposeAsync();
            throw;
        }
    }

    private async Task<(SwitchboardDbContext Db, Progress Progress, IReadOnlyDictionary<string, DateTime> Written)> ApplyAsync(Job job, SyncPage page,
        Progress basis, IReadOnlyDictionary<string, DateTime> inFlight, IServiceProvider services, CancellationToken cancellationToken)
    {
        var run = job.Run;
        services.GetRequiredService<TenantScope>().OrganizationId = run.OrganizationId;
        var writer = services.GetRequiredService<CrmWriter>();
        var db = writer.Db;
        var progress = basis.Copy();
        progress.Skipped += page.Skipped; // what the model itself left out of the page

        var records = new List<SyncRecord>();
        foreach (var record in page.Records.GroupBy(r => r.RemoteId, StringComparer.Ordinal).Select(g => g.Last()))
            if (inFlight.TryGetValue(record.RemoteId, out var at) && record.ModifiedAt <= at) progress.Skipped++; // as its link will say once committed
            else records.Add(record);
        var failed = new HashSet<string>(StringComparer.Ordinal);
        // The page's links in one query, and their CRM records in another (not one query per record).
        var remoteIds = records.Select(r => r.RemoteId).ToList();
        var links = await db.Set<IntegrationRecordLink>()
            .Where(l => l.InstallationId == run.InstallationId && l.Model == run.Model && remoteIds.Contains(l.RemoteId))
            .ToDictionaryAsync(l => l.RemoteId, StringComparer.Ordinal, cancellationToken);
        var locals = await job.Local.FindAsync(db, links.Values.Select(l => l.LocalId).ToList(), cancellationToken);

        foreach (var record in records)
        {
            var fingerprint = SyncFingerprint.Of(record.Fields);
            if (!links.TryGetValue(record.RemoteId, out var link))
            {
                if (record.Deleted) { progress.Skipped++; continue; }
                var (created, error) = await job.Local.CreateAsync(writer, services, run.OrganizationId, record.Fields.DeepClone().AsObject(), cancellationToken);
                if (created is null) { progress.Failed++; failed.Add(record.RemoteId); progress.Error($"{job.Sync.Model} {record.RemoteId}: {error}"); continue; }
                db.Add(new IntegrationRecordLink
                {
                    Id = Ids.New(IntegrationResources.RecordLinks, time), OrganizationId = run.OrganizationId, InstallationId = run.InstallationId,
                    Model = run.Model, LocalId = created.Id, RemoteId = record.RemoteId, LocalUpdatedAt = created.UpdatedAt,
                    RemoteUpdatedAt = record.ModifiedAt, Fingerprint = fingerprint, UpdatedAt = writer.Now,
                });
                progress.Added++;
                continue;
            }
            if (!locals.TryGetValue(link.LocalId, out var entity))
            {
                // Deleted here since it was linked: not brought back.
                progress.Skipped++;
                continue;
            }
            if (record.Deleted)
            {
                if (!job.DeleteLocal) { progress.Skipped++; continue; }
                job.Local.Delete(writer, entity);
                db.Remove(link);
                progress.Deleted++;
                continue;
            }
            // The echo of this sync's own write, or nothing synced changed.
            if (record.ModifiedAt <= link.RemoteUpdatedAt || fingerprint == link.Fingerprint)
            {
                progress.Skipped++;
                continue;
            }
            var localChanged = link.LocalUpdatedAt is null || entity.UpdatedAt > link.LocalUpdatedAt;
            var apply = record.Fields.DeepClone().AsObject();
            var localWinsSomewhere = false;
            if (localChanged)
            {
                // Both sides changed since the last sync: each field goes to its winner (last write wins unless configured).
                var mine = job.Local.Read(entity, record.Fields.Select(f => f.Key), writer.Json);
                foreach (var (field, theirs) in record.Fields)
                {
                    if (job.Policy.RemoteWins(field, record.ModifiedAt, entity.UpdatedAt)) continue;
                    apply.Remove(field);
                    if (!JsonNode.DeepEquals(mine[field], theirs)) localWinsSomewhere = true;
                }
            }
            var (changed, updateError) = apply.Count == 0 ? (false, null) : await job.Local.UpdateAsync(writer, services, entity, apply, cancellationToken);
            if (updateError is not null) { progress.Failed++; failed.Add(record.RemoteId); progress.Error($"{job.Sync.Model} {record.RemoteId}: {updateError}"); continue; }
            if (changed) progress.Updated++; else progress.Skipped++;
            link.RemoteUpdatedAt = record.ModifiedAt;
            link.Fingerprint = fingerprint;
            // Where the local side won a field, the link keeps the old local time, so this run's push sends the merged record.
            if (!localWinsSomewhere) link.LocalUpdatedAt = entity.UpdatedAt;
            link.UpdatedAt = writer.Now;
        }
        return (db, progress, records.Where(r => !failed.Contains(r.RemoteId)).ToDictionary(r => r.RemoteId, r => r.ModifiedAt, StringComparer.Ordinal));
    }

    /// <summary>Pushes one local record and records the provider's answer in its link; answers the renewed lease.</summary>
    private async Task<DateTime> PushAsync(Job job, CrmRecord record, IntegrationRecordLink? link, Progress committed, SyncCheckpoint next, DateTime held,
        CancellationToken cancellationToken)
    {
        var run = job.Run;
        var progress = committed.Copy();
        await using var scope = TenantScoped(run.OrganizationId, out var db);
        var json = scope.ServiceProvider.GetRequiredService<CrmWriter>().Json;
        var fields = job.Local.Read(record, job.Fields, json);
        SyncRecord? pushed = null;
        try { pushed = await job.Model.PushAsync(job.Context, link?.RemoteId, fields, cancellationToken); }
        catch (ProviderException ex) when (!ex.Retryable && !ex.NeedsReauthorization)
        {
            progress.Failed++;
            progress.Error($"{job.Sync.Model} {record.Id}: {Describe(ex)}");
        }
        if (pushed is not null)
        {
            var now = time.UtcNow();
            if (link is null)
            {
                db.Add(new IntegrationRecordLink
                {
                    Id = Ids.New(IntegrationResources.RecordLinks, time), OrganizationId = run.OrganizationId, InstallationId = run.InstallationId, Model = run.Model,
                    LocalId = record.Id, RemoteId = pushed.RemoteId, LocalUpdatedAt = record.UpdatedAt, RemoteUpdatedAt = pushed.ModifiedAt,
                    Fingerprint = SyncFingerprint.Of(pushed.Fields), UpdatedAt = now,
                });
                progress.Added++;
            }
            else
            {
                db.Attach(link);
                link.LocalUpdatedAt = record.UpdatedAt;
                link.RemoteId = pushed.RemoteId;
                link.RemoteUpdatedAt = pushed.ModifiedAt;
                link.Fingerprint = SyncFingerprint.Of(pushed.Fields);
                link.UpdatedAt = now;
                progress.Updated++;
            }
        }
        return await CommitAsync(db, run.Id, held, progress, next, since: null, () => committed.CopyFrom(progress), cancellationToken);
    }

    /// <summary>
    /// Saves the unit of work with the run's progress and checkpoint and a renewed lease, in one transaction that only
    /// commits while this node still holds the lease.
    /// </summary>
    private async Task<DateTime> CommitAsync(SwitchboardDbContext db, string runId, DateTime held, Progress progress, SyncCheckpoint next, string? since,
        Action committed, CancellationToken cancellationToken)
    {
        var now = time.UtcNow();
        var until = now.Add(LeaseLength);
        var (checkpoint, errors) = (next.Serialize(), progress.Errors.Count == 0 ? null : JsonSerializer.Serialize(progress.Errors));
        var fast = await SyncPostgresCommit.TryCommitAsync(db, runId, held,
            new SyncRunProgress(progress.Added, progress.Updated, progress.Deleted, progress.Skipped, progress.Failed, errors, checkpoint, until, now, since),
            cancellationToken);
        if (fast is { } done)
        {
            if (!done) throw new LeaseLostException();
            committed();
            events.EventsCommitted();
            return until;
        }
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        var query = db.Set<IntegrationSyncRun>().IgnoreQueryFilters().Where(r => r.Id == runId && r.LeasedUntil == held);
        var rows = since is null
            ? await query.ExecuteUpdateAsync(s => SetProgress(s, progress, checkpoint, errors, until, now), cancellationToken)
            : await query.ExecuteUpdateAsync(s => SetProgress(s, progress, checkpoint, errors, until, now).SetProperty(r => r.StartCursor, since), cancellationToken);
        if (rows == 0) throw new LeaseLostException();
        await tx.CommitAsync(cancellationToken);
        committed();
        events.EventsCommitted();
        return until;
    }

    private static Microsoft.EntityFrameworkCore.Query.UpdateSettersBuilder<IntegrationSyncRun> SetProgress(
        Microsoft.EntityFrameworkCore.Query.UpdateSettersBuilder<IntegrationSyncRun> s, Progress p, string checkpoint, string? errors, DateTime until, DateTime now) =>
        s.SetProperty(r => r.Added, p.Added).SetProperty(r => r.Updated, p.Updated).SetProperty(r => r.Deleted, p.Deleted)
            .SetProperty(r => r.Skipped, p.Skipped).SetProperty(r => r.Failed, p.Failed).SetProperty(r => r.Errors, errors)
            .SetProperty(r => r.Checkpoint, checkpoint).SetProperty(r => r.LeasedUntil, until)
            // Attempts count leases without progress: a page committed starts the count again.
            .SetProperty(r => r.Attempts, 1).SetProperty(r => r.UpdatedAt, now);

    private async Task<int> UpdateRunAsync(string runId, DateTime held,
        Func<Microsoft.EntityFrameworkCore.Query.UpdateSettersBuilder<IntegrationSyncRun>, Microsoft.EntityFrameworkCore.Query.UpdateSettersBuilder<IntegrationSyncRun>> set,
        CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
        return await db.Set<IntegrationSyncRun>().IgnoreQueryFilters().Where(r => r.Id == runId && r.LeasedUntil == held)
            .ExecuteUpdateAsync(s => set(s), cancellationToken);
    }

    /// <summary>
    /// Ends the run (succeeded, or failed with <paramref name="failure"/>): the state's cursor moves to the high-water mark
    /// on success, the next scheduled run is set either way, the installation's health is updated, and the event is
    /// staged, in one transaction conditional on the lease.
    /// </summary>
    private async Task FinishAsync(IntegrationSyncRun run, DateTime held, Progress progress, SyncCheckpoint checkpoint, string? failure,
        CancellationToken cancellationToken, Job? job = null)
    {
        var now = time.UtcNow();
        if (failure is not null) progress.Error(failure);
        var status = failure is null ? SyncRunStatus.Succeeded : SyncRunStatus.Failed;
        var errors = progress.Errors.Count == 0 ? null : JsonSerializer.Serialize(progress.Errors);
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        var rows = await db.Set<IntegrationSyncRun>().IgnoreQueryFilters().Where(r => r.Id == run.Id && r.LeasedUntil == held).ExecuteUpdateAsync(s => s
            .SetProperty(r => r.Status, status).SetProperty(r => r.Errors, errors).SetProperty(r => r.Checkpoint, checkpoint.Serialize())
            .SetProperty(r => r.LeasedUntil, (DateTime?)null).SetProperty(r => r.FinishedAt, now).SetProperty(r => r.UpdatedAt, now), cancellationToken);
        if (rows == 0) return; // another node holds the run
        var installation = await db.Set<IntegrationInstallation>().IgnoreQueryFilters().FirstOrDefaultAsync(i => i.Id == run.InstallationId, cancellationToken);
        if (installation is null) return;
        var connector = scope.ServiceProvider.GetRequiredService<ProviderCatalog>().Find(installation.ProviderKey);
        var sync = connector?.Definition.Syncs.FirstOrDefault(s => s.Model == run.Model);
        if (sync is not null)
        {
            var config = JsonNode.Parse(installation.Config) as JsonObject ?? [];
            var state = await db.Set<IntegrationSyncState>().IgnoreQueryFilters()
                .FirstOrDefaultAsync(s => s.InstallationId == run.InstallationId && s.Model == run.Model, cancellationToken);
            if (state is null)
                db.Add(state = new IntegrationSyncState { InstallationId = run.InstallationId, Model = run.Model, OrganizationId = run.OrganizationId });
            state.IntervalSeconds = SyncQueue.IntervalSeconds(config, sync);
            if (failure is null && job is not null) state.Cursor = checkpoint.HighWaterMark ?? state.Cursor;
            state.NextRunAt = now.AddSeconds(state.IntervalSeconds);
            state.UpdatedAt = now;
        }
        if (failure is null)
        {
            installation.LastSuccessAt = now;
            installation.ConsecutiveFailures = 0;
        }
        else
        {
            installation.LastFailureAt = now;
            installation.LastError = failure.Length <= 1000 ? failure : failure[..1000];
            installation.ConsecutiveFailures++;
        }
        IntegrationResources.StageEvent(db, failure is null ? IntegrationResources.SyncCompletedEvent : IntegrationResources.SyncFailedEvent, installation.Id,
            new IntegrationSyncEventData(installation.Id, installation.ProviderKey, run.Id, run.Model, status, progress.Added, progress.Updated, progress.Deleted,
                progress.Skipped, progress.Failed, failure), installation.OrganizationId, time);
        await db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
        events.EventsCommitted();
        if (failure is null) logger.LogInformation("Sync run {RunId} ({Model}) succeeded: {Added} added, {Updated} updated, {Skipped} skipped, {Failed} failed",
            run.Id, run.Model, progress.Added, progress.Updated, progress.Skipped, progress.Failed);
        else logger.LogWarning("Sync run {RunId} ({Model}) failed: {Error}", run.Id, run.Model, failure);
    }
}

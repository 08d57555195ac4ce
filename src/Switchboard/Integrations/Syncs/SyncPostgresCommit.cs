using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using Switchboard.Platform.Storage;

namespace Switchboard.Integrations.Syncs;

/// <summary>
/// Commits a page that only adds rows (a full sync's page: CRM records, their outbox events, links) on PostgreSQL in two
/// round trips: one batch with every INSERT (SQL made once per entity type by <see cref="PostgresInserts"/>, the CRM's
/// own fast path, so rows are stored as EF Core stores them) and the run's conditional progress UPDATE, then COMMIT
/// when that UPDATE found the lease still held. EF Core's update pipeline would build 300 modification commands and
/// their SQL for every page.
/// </summary>
internal static class SyncPostgresCommit
{
    private const string UpdateRun = """
        UPDATE integration_sync_runs SET added = $1, updated = $2, deleted = $3, skipped = $4, failed = $5, errors = $6, checkpoint = $7,
            leased_until = $8, attempts = 1, updated_at = $9, start_cursor = COALESCE($10, start_cursor)
        WHERE id = $11 AND leased_until = $12
        """;

    /// <summary>
    /// Null when the unit of work is not insert-only (or not storable this way): the caller saves it through EF Core.
    /// Otherwise whether it committed (false: the lease was lost, and nothing was written). The context is not usable
    /// for further work after a commit (its entries stay Added): the caller disposes it.
    /// </summary>
    public static async Task<bool?> TryCommitAsync(SwitchboardDbContext db, string runId, DateTime held, SyncRunProgress progress, CancellationToken cancellationToken)
    {
        if (!db.Database.IsNpgsql()) return null;
        var tracker = db.ChangeTracker;
        var rows = new List<PostgresInserts.Row>();
        // Added entries' values are read as they are inserted: changes need detecting only when something is tracked
        // unchanged (a link or record read to update), and then the unit is left to EF Core, which detects them itself.
        var detect = tracker.AutoDetectChangesEnabled;
        tracker.AutoDetectChangesEnabled = false;
        try
        {
            foreach (EntityEntry entry in tracker.Entries())
                if (entry.State != EntityState.Added || PostgresInserts.Row.Of(entry.Metadata, entry.Entity) is not { } row) return null;
                else rows.Add(row);
        }
        finally { tracker.AutoDetectChangesEnabled = detect; }
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
            var connection = (NpgsqlConnection)db.Database.GetDbConnection();
            await using var batch = new NpgsqlBatch(connection, (NpgsqlTransaction)tx.GetDbTransaction());
            using var factory = new NpgsqlCommand();
            foreach (var row in rows) batch.BatchCommands.Add(row.Command(factory));
            var update = new NpgsqlBatchCommand(UpdateRun);
            update.Parameters.Add(new NpgsqlParameter { Value = progress.Added });
            update.Parameters.Add(new NpgsqlParameter { Value = progress.Updated });
            update.Parameters.Add(new NpgsqlParameter { Value = progress.Deleted });
            update.Parameters.Add(new NpgsqlParameter { Value = progress.Skipped });
            update.Parameters.Add(new NpgsqlParameter { Value = progress.Failed });
            update.Parameters.Add(new NpgsqlParameter<string?> { TypedValue = progress.Errors, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Varchar });
            update.Parameters.Add(new NpgsqlParameter<string> { TypedValue = progress.Checkpoint, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Varchar });
            update.Parameters.Add(new NpgsqlParameter { Value = progress.LeasedUntil });
            update.Parameters.Add(new NpgsqlParameter { Value = progress.Now });
            update.Parameters.Add(new NpgsqlParameter<string?> { TypedValue = progress.StartCursor, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Varchar });
            update.Parameters.Add(new NpgsqlParameter { Value = runId });
            update.Parameters.Add(new NpgsqlParameter { Value = held });
            batch.BatchCommands.Add(update);
            await batch.ExecuteNonQueryAsync(cancellationToken);
            if (update.RecordsAffected != 1) return false; // disposing the transaction rolls the page back
            await tx.CommitAsync(cancellationToken);
        }
        finally { await db.Database.CloseConnectionAsync(); }
        // Nothing is accepted into the change tracker: the sync discards a unit of work once it has committed.
        return true;
    }
}

/// <summary>A run's progress as one page commits it.</summary>
internal sealed record SyncRunProgress(int Added, int Updated, int Deleted, int Skipped, int Failed, string? Errors, string Checkpoint, DateTime LeasedUntil,
    DateTime Now, string? StartCursor);

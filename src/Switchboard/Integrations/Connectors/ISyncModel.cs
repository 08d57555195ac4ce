using System.Text.Json.Nodes;

namespace Switchboard.Integrations.Connectors;

/// <summary>
/// One provider record as a sync sees it: its id, when the provider last modified it, its fields already in the CRM
/// resource's names (<c>firstName</c>, <c>email</c>, <c>stage</c>, …), and whether it was deleted.
/// </summary>
public sealed record SyncRecord(string RemoteId, DateTime ModifiedAt, JsonObject Fields, bool Deleted = false);

/// <summary>
/// One page pulled: its records, and the cursor to pass for the next page (null when this was the last). The
/// <see cref="HighWaterMark"/> is where the next incremental run starts (the provider's modified-since time or cursor),
/// known once the last page is read. <see cref="Skipped"/> counts provider records the model read and left out on
/// purpose (a mail matching no CRM contact), so the run's counts show them as skipped like the engine's own.
/// </summary>
public sealed record SyncPage(IReadOnlyList<SyncRecord> Records, string? NextPageCursor, string? HighWaterMark, int Skipped = 0);

/// <summary>
/// A provider's side of a sync of one model. The sync engine owns the rest: runs, checkpoints, the id map, conflict
/// resolution and echo suppression, and the CRM writes; a connector only reads and writes provider records.
/// </summary>
public interface ISyncModel
{
    /// <summary>
    /// Reads one page of records modified since <paramref name="since"/> (the previous run's high-water mark; null for
    /// everything), continuing at <paramref name="pageCursor"/> (null for the first page). The provider's paging and
    /// modified-since filter are used as documented.
    /// </summary>
    Task<SyncPage> PullAsync(ConnectorContext context, string? since, string? pageCursor, CancellationToken cancellationToken);

    /// <summary>
    /// Writes a CRM record to the provider (<paramref name="fields"/> in the CRM resource's names): creates it when
    /// <paramref name="remoteId"/> is null, updates it otherwise. Answers the provider's record as it now is (its id and
    /// modification time), so the engine can tell the echo of this write from a later change.
    /// </summary>
    Task<SyncRecord> PushAsync(ConnectorContext context, string? remoteId, JsonObject fields, CancellationToken cancellationToken);
}

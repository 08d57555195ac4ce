using Switchboard.Platform.Storage;

namespace Switchboard.Usage;

/// <summary>
/// Inserts a flush's raw rows (<see cref="ApiRequestRecord"/>) inside the flush's transaction, without change tracking,
/// which cost more than the requests did: one writer per database, chosen by <see cref="DatabaseSettings"/>. Both write
/// the columns of <see cref="Written"/>, named as the EF model maps them (<see cref="EntityRows"/>); the key is the
/// database's (the SQLite rowid, a PostgreSQL identity).
/// </summary>
internal abstract class UsageRowWriter
{
    /// <summary>The properties written, in the order both writers write them.</summary>
    protected static readonly string[] Written =
    [
        nameof(ApiRequestRecord.OrganizationId), nameof(ApiRequestRecord.ApiKeyId), nameof(ApiRequestRecord.UserId),
        nameof(ApiRequestRecord.ClientId), nameof(ApiRequestRecord.Method), nameof(ApiRequestRecord.Route), nameof(ApiRequestRecord.Status),
        nameof(ApiRequestRecord.LatencyMicros), nameof(ApiRequestRecord.RequestBytes), nameof(ApiRequestRecord.ResponseBytes),
        nameof(ApiRequestRecord.RequestId), nameof(ApiRequestRecord.CreatedAt),
    ];

    public static UsageRowWriter For(DatabaseSettings settings) => settings.IsPostgres ? PostgresUsageRows.Instance : SqliteUsageRows.Instance;

    public abstract Task InsertAsync(SwitchboardDbContext db, List<UsageRecord> batch, CancellationToken cancellationToken);

    /// <summary>The table and its written columns, quoted.</summary>
    protected static (string Table, string Columns) Target(SwitchboardDbContext db)
    {
        var rows = EntityRows.For(db.Model, typeof(ApiRequestRecord));
        return (rows.Table, rows.ColumnsOf(Written));
    }

    /// <summary>The stored request id: cut to its column's length.</summary>
    protected static ReadOnlySpan<char> RequestId(in UsageRecord r) => r.RequestId.AsSpan(0, Math.Min(r.RequestId.Length, ApiRequestRecord.RequestIdMaxLength));
}

using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;
using Switchboard.Platform.Storage;

namespace Switchboard.Usage;

/// <summary>PostgreSQL: the raw rows in one binary COPY.</summary>
internal sealed class PostgresUsageRows : UsageRowWriter
{
    public static readonly PostgresUsageRows Instance = new();

    public override async Task InsertAsync(SwitchboardDbContext db, List<UsageRecord> batch, CancellationToken cancellationToken)
    {
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        var (table, columns) = Target(db);
        await using var copy = await connection.BeginBinaryImportAsync($"COPY {table} ({columns}) FROM STDIN (FORMAT BINARY)", cancellationToken);
        foreach (var r in batch)
        {
            await copy.StartRowAsync(cancellationToken);
            await copy.WriteAsync(r.OrganizationId, NpgsqlDbType.Varchar, cancellationToken);
            await copy.WriteAsync(r.ApiKeyId, NpgsqlDbType.Varchar, cancellationToken);
            await copy.WriteAsync(r.UserId, NpgsqlDbType.Varchar, cancellationToken);
            await copy.WriteAsync(r.ClientId, NpgsqlDbType.Varchar, cancellationToken);
            await copy.WriteAsync(r.Method, NpgsqlDbType.Varchar, cancellationToken);
            await copy.WriteAsync(r.Route, NpgsqlDbType.Varchar, cancellationToken);
            await copy.WriteAsync(r.Status, NpgsqlDbType.Integer, cancellationToken);
            await copy.WriteAsync(r.LatencyMicros, NpgsqlDbType.Bigint, cancellationToken);
            await copy.WriteAsync(r.RequestBytes, NpgsqlDbType.Bigint, cancellationToken);
            await copy.WriteAsync(r.ResponseBytes, NpgsqlDbType.Bigint, cancellationToken);
            await copy.WriteAsync(r.RequestId.Length <= ApiRequestRecord.RequestIdMaxLength ? r.RequestId : RequestId(r).ToString(), NpgsqlDbType.Varchar, cancellationToken);
            await copy.WriteAsync(r.At, NpgsqlDbType.TimestampTz, cancellationToken);
        }
        await copy.CompleteAsync(cancellationToken);
    }
}

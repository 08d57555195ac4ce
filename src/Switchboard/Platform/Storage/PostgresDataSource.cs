namespace Switchboard.Platform.Storage;

/// <summary>
/// The node's PostgreSQL data sources; none on SQLite. <see cref="DataSource"/> is shared by EF Core and direct ADO.NET
/// work. <see cref="Relaxed"/> commits with <c>synchronous_commit = off</c> (no wait for the WAL flush): for state
/// that may be lost in a database crash without harm, which is rate-limit counters and the webhook engine's
/// bookkeeping (a lost commit there means a delivery is sent again, never that one is lost).
/// </summary>
public sealed class PostgresDataSource(Npgsql.NpgsqlDataSource? dataSource, Npgsql.NpgsqlDataSource? relaxed) : IAsyncDisposable
{
    public Npgsql.NpgsqlDataSource? DataSource { get; } = dataSource;
    public Npgsql.NpgsqlDataSource? Relaxed { get; } = relaxed;

    /// <summary>Commits insert-only units of work, several requests' together under load; durable, on <see cref="DataSource"/>.</summary>
    public PostgresGroupCommit? GroupCommit { get; } = dataSource is null ? null
        : new PostgresGroupCommit(dataSource);

    public async ValueTask DisposeAsync()
    {
        if (DataSource is not null) await DataSource.DisposeAsync();
        if (Relaxed is not null) await Relaxed.DisposeAsync();
    }
}

using Microsoft.Data.Sqlite;

namespace Switchboard.Platform.Storage;

/// <summary>
/// A connection to the node's SQLite file kept open from start-up to shutdown. With the exclusive VFS
/// (<see cref="DatabaseOptions.SqliteExclusive"/>) the process's lock on the file lasts as long as one of its connections
/// to it is open; this one makes that the node's whole life, however idle it is.
/// </summary>
public sealed class SqliteFileHold : IAsyncDisposable
{
    private SqliteConnection? _connection;

    internal void Keep(SqliteConnection connection)
    {
        var previous = Interlocked.Exchange(ref _connection, connection);
        previous?.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _connection, null) is { } connection) await connection.DisposeAsync();
    }
}

using Microsoft.Data.Sqlite;
using Switchboard.Platform.Storage;

namespace Switchboard.Platform.Cli;

/// <summary>
/// <c>admin backup</c> and <c>admin restore</c> for a SQLite node (PostgreSQL has pg_dump and pg_restore; docs/operations.md).
/// They open the node's database the way the node does (same configuration, same exclusive VFS), so with
/// <see cref="DatabaseOptions.SqliteExclusive"/> on they are refused, with a clear message, while a node holds the file.
/// </summary>
public static class SqliteBackup
{
    /// <summary>
    /// <c>VACUUM INTO</c> (https://sqlite.org/lang_vacuum.html#vacuuminto): one read transaction copies the database,
    /// committed WAL frames included, into a new, compact file: a consistent snapshot even while other connections write
    /// (when the file is shared: SqliteExclusive=false). The target must not exist.
    /// </summary>
    public static async Task<int> BackupAsync(IConfiguration configuration, string? target, TextWriter stdout, TextWriter stderr)
    {
        if (await OpenAsync(configuration, stderr) is not { } source) return 2;
        await using var _ = source.Connection;
        if (string.IsNullOrWhiteSpace(target))
        {
            await stderr.WriteLineAsync("--to: the file to write the backup to is required.");
            return 2;
        }
        var path = Path.GetFullPath(target);
        if (File.Exists(path))
        {
            await stderr.WriteLineAsync($"--to: {path} exists already; a backup is written to a new file.");
            return 2;
        }
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await using var command = source.Connection.CreateCommand();
        command.CommandText = "VACUUM INTO $path";
        command.Parameters.AddWithValue("$path", path);
        await command.ExecuteNonQueryAsync();
        await stdout.WriteLineAsync($"Backed up {source.File} to {path} ({new FileInfo(path).Length} bytes).");
        return 0;
    }

    /// <summary>
    /// Replaces the node's database with a backup through SQLite's online backup API
    /// (https://sqlite.org/backup.html, <see cref="SqliteConnection.BackupDatabase(SqliteConnection)"/>): page by page,
    /// in one transaction on the destination, through its WAL, so no stale <c>-wal</c> file is left behind to be replayed
    /// over it. The backup is checked (<c>PRAGMA integrity_check</c>) first; the node must be stopped.
    /// </summary>
    public static async Task<int> RestoreAsync(IConfiguration configuration, string? source, TextWriter stdout, TextWriter stderr)
    {
        if (string.IsNullOrWhiteSpace(source) || !File.Exists(source))
        {
            await stderr.WriteLineAsync($"--from: the backup file to restore is required and must exist{(string.IsNullOrWhiteSpace(source) ? "" : $" ({source})")}.");
            return 2;
        }
        var backupPath = Path.GetFullPath(source);
        await using var backup = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = backupPath, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        await backup.OpenAsync();
        await using (var check = backup.CreateCommand())
        {
            check.CommandText = "PRAGMA integrity_check";
            if (await check.ExecuteScalarAsync() is not "ok")
            {
                await stderr.WriteLineAsync($"--from: {backupPath} is not an intact SQLite database (PRAGMA integrity_check).");
                return 1;
            }
        }
        if (await OpenAsync(configuration, stderr) is not { } target) return 2;
        await using var _ = target.Connection;
        backup.BackupDatabase(target.Connection);
        await stdout.WriteLineAsync($"Restored {target.File} from {backupPath}. The node migrates it, if it is older, when it starts.");
        return 0;
    }

    private static async Task<(SqliteConnection Connection, string File)?> OpenAsync(IConfiguration configuration, TextWriter stderr)
    {
        var options = configuration.GetSection(SwitchboardOptions.Section).Get<SwitchboardOptions>() ?? new SwitchboardOptions();
        if (options.Database.Provider == DatabaseProvider.Postgres)
        {
            await stderr.WriteLineAsync("The database is PostgreSQL: back it up with pg_dump and restore it with pg_restore (docs/operations.md).");
            return null;
        }
        var settings = DatabaseSettings.Resolve(configuration, options);
        // As the node's own start-up probe: a lock held by a running node is not waited for.
        var builder = new SqliteConnectionStringBuilder(settings.ConnectionString) { DefaultTimeout = 1, Pooling = false };
        var connection = new SqliteConnection(builder.ToString());
        try
        {
            await connection.OpenAsync();
            await using var probe = connection.CreateCommand();
            probe.CommandText = "PRAGMA journal_mode=WAL;"; // the node's own mode, and the first statement that takes the file's lock
            await probe.ExecuteNonQueryAsync();
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode is SQLitePCL.raw.SQLITE_BUSY or SQLitePCL.raw.SQLITE_LOCKED)
        {
            await connection.DisposeAsync();
            await stderr.WriteLineAsync($"The SQLite database {builder.DataSource} is in use by another process: a running node holds it exclusively " +
                                        "(Switchboard:Database:SqliteExclusive). Stop the node first, or run it with SqliteExclusive=false to back up while it runs.");
            return null;
        }
        return (connection, builder.DataSource);
    }
}

using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Options;
using Switchboard.Platform.Security;

namespace Switchboard.Platform.Storage;

/// <summary>The resolved database settings: provider, connection string, and for SQLite the data directory.</summary>
public sealed record DatabaseSettings(DatabaseProvider Provider, string ConnectionString, string? SqliteDirectory)
{
    public const string ConnectionStringName = "Switchboard";
    public const string DefaultSqlite = "Data Source=data/switchboard.db";

    public static DatabaseSettings Resolve(IConfiguration configuration, SwitchboardOptions options)
    {
        var connectionString = configuration.GetConnectionString(ConnectionStringName);
        if (options.Database.Provider == DatabaseProvider.Postgres)
        {
            if (string.IsNullOrWhiteSpace(connectionString))
                throw new InvalidOperationException("ConnectionStrings:Switchboard (env ConnectionStrings__Switchboard) is required when Switchboard:Database:Provider is postgres.");
            return new DatabaseSettings(DatabaseProvider.Postgres, WithPostgresDefaults(connectionString), null);
        }

        var builder = new SqliteConnectionStringBuilder(string.IsNullOrWhiteSpace(connectionString) ? DefaultSqlite : connectionString);
        string? directory = null;
        if (builder.DataSource is { Length: > 0 } file && file != ":memory:" && builder.Mode != SqliteOpenMode.Memory)
        {
            // A URI filename (file:…) is the operator's to shape, VFS included; a path is made absolute.
            var uri = file.StartsWith("file:", StringComparison.OrdinalIgnoreCase);
            var full = uri ? UriPath(file) : Path.GetFullPath(file);
            if (full is not null)
            {
                directory = Path.GetDirectoryName(full)!;
                Directory.CreateDirectory(directory);
            }
            if (!uri)
                builder.DataSource = options.Database.SqliteExclusive && !OperatingSystem.IsWindows() ? ExclusiveUri(full!) : full;
        }
        // Writers queue behind each other (busy timeout) instead of failing with SQLITE_BUSY.
        builder.DefaultTimeout = Math.Max(builder.DefaultTimeout, 30);
        return new DatabaseSettings(DatabaseProvider.Sqlite, builder.ToString(), directory);
    }

    /// <summary>
    /// The SQLite URI filename (https://sqlite.org/uri.html) of <paramref name="path"/> opened through the <c>unix-excl</c>
    /// VFS (https://sqlite.org/vfs.html): the first connection takes an exclusive lock on the file for the process, and
    /// every transaction after that locks in memory only. Of the path, <c>%</c>, <c>?</c> and <c>#</c> are escaped
    /// (§3.1: the path ends at the first <c>?</c> or <c>#</c>, and <c>%HH</c> is decoded).
    /// </summary>
    internal static string ExclusiveUri(string path) =>
        "file:" + path.Replace("%", "%25", StringComparison.Ordinal).Replace("?", "%3f", StringComparison.Ordinal)
            .Replace("#", "%23", StringComparison.Ordinal) + "?vfs=unix-excl";

    /// <summary>The file path of a SQLite URI filename, or null when it names no file (an in-memory database).</summary>
    internal static string? UriPath(string uri)
    {
        var path = uri["file:".Length..];
        var end = path.IndexOfAny(['?', '#']);
        if (end >= 0) path = path[..end];
        if (path.StartsWith("//", StringComparison.Ordinal)) // file://authority/path: the authority is empty or localhost
        {
            var slash = path.IndexOf('/', 2);
            path = slash < 0 ? "" : path[slash..];
        }
        path = Uri.UnescapeDataString(path);
        return path.Length == 0 || path == ":memory:" || uri.Contains("mode=memory", StringComparison.OrdinalIgnoreCase) ? null : Path.GetFullPath(path);
    }

    /// <summary>
    /// Npgsql settings this service relies on unless the connection string says otherwise. The same few statements run
    /// thousands of times a second (the CRM writes, the outbox, the delivery lease), so they are prepared on each physical
    /// connection and kept (<c>Max Auto Prepare</c>); and a connection returned to the pool is not reset with
    /// <c>DISCARD ALL</c>, which would drop those statements again (<c>No Reset On Close</c>; the service sets session
    /// state only with <c>SET LOCAL</c>, inside transactions). In bench/webhooks.sh this cut the delivery lease from 5 ms
    /// to 0.3 ms and the latency at 200 events/s from 30 ms to 8 ms (p50).
    /// </summary>
    public static string WithPostgresDefaults(string connectionString)
    {
        var given = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString };
        bool Has(params string[] keys) => keys.Any(given.ContainsKey);
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        if (!Has("Max Auto Prepare", "MaxAutoPrepare")) builder.MaxAutoPrepare = 64;
        if (!Has("Auto Prepare Min Usages", "AutoPrepareMinUsages")) builder.AutoPrepareMinUsages = 2;
        if (!Has("No Reset On Close", "NoResetOnClose")) builder.NoResetOnClose = true;
        return builder.ConnectionString;
    }
}

public static class DatabaseSetup
{
    public static IServiceCollection AddSwitchboardDatabase(this IServiceCollection services)
    {
        services.AddSingleton(sp => DatabaseSettings.Resolve(sp.GetRequiredService<IConfiguration>(), sp.GetRequiredService<IOptions<SwitchboardOptions>>().Value));
        services.AddSingleton(sp => SecretProtector.FromOptions(
            sp.GetRequiredService<IOptions<SwitchboardOptions>>().Value, sp.GetRequiredService<DatabaseSettings>().SqliteDirectory));
        services.AddScoped<TenantScope>();
        services.AddSingleton<SqliteFileHold>();
        // Pooled: a request leases a ready context instead of building one (the dominant cost of a small query).
        // PostgreSQL: one data source (one connection pool) for EF Core and for the service's own ADO.NET reads
        // (RecordReader), instead of a pool each.
        services.AddSingleton(sp => sp.GetRequiredService<DatabaseSettings>() is { Provider: DatabaseProvider.Postgres } settings
            ? new PostgresDataSource(Npgsql.NpgsqlDataSource.Create(settings.ConnectionString), Npgsql.NpgsqlDataSource.Create(Relaxed(settings.ConnectionString)))
            : new PostgresDataSource(null, null));
        services.AddPooledDbContextFactory<SwitchboardDbContext>((sp, o) =>
            Configure(o, sp.GetRequiredService<DatabaseSettings>(), sp.GetRequiredService<PostgresDataSource>().DataSource), poolSize: 256);
        services.AddScoped(sp =>
        {
            var db = sp.GetRequiredService<IDbContextFactory<SwitchboardDbContext>>().CreateDbContext();
            db.AttachTenant(sp.GetRequiredService<TenantScope>());
            return db;
        });
        return services;
    }

    /// <summary>
    /// The relaxed data source's connection string: the service's, with <c>synchronous_commit=off</c> added to whatever
    /// server options it already passes (a <c>search_path</c>, say), not in their place.
    /// </summary>
    public static string Relaxed(string connectionString)
    {
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        builder.Options = string.IsNullOrWhiteSpace(builder.Options) ? "-c synchronous_commit=off" : builder.Options + " -c synchronous_commit=off";
        return builder.ConnectionString;
    }

    /// <summary>How every SwitchboardDbContext is configured, in the service and in tools and tests alike.</summary>
    public static DbContextOptionsBuilder Configure(DbContextOptionsBuilder options, DatabaseSettings settings, Npgsql.NpgsqlDataSource? postgres = null)
    {
        // MinBatchSize(1): every SaveChanges sends its commands as one batch (one round trip), which
        // CrmWriter.SaveChangesAsync relies on for atomicity without an explicit transaction.
        static void Npgsql(Npgsql.EntityFrameworkCore.PostgreSQL.Infrastructure.NpgsqlDbContextOptionsBuilder s) =>
            s.MigrationsHistoryTable("schema_migrations").MinBatchSize(1);
        if (settings.Provider == DatabaseProvider.Sqlite)
            options.UseSqlite(settings.ConnectionString, s => s.MigrationsHistoryTable("schema_migrations"));
        else if (postgres is not null)
            options.UseNpgsql(postgres, Npgsql);
        else
            options.UseNpgsql(settings.ConnectionString, Npgsql);
        // The migrations are written by hand (see Migrations/); MigrationsMatchModelTests proves they produce the
        // model's schema, which replaces EF's snapshot comparison.
        return options.ConfigureWarnings(w => w.Ignore(RelationalEventId.PendingModelChangesWarning));
    }

    /// <summary>
    /// Applies pending migrations. EF Core takes a database-wide lock while migrating (an advisory lock on PostgreSQL,
    /// a lock table on SQLite), so nodes starting together apply each migration once.
    /// </summary>
    public static async Task MigrateDatabaseAsync(this IServiceProvider services, CancellationToken cancellationToken = default)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
        if (db.Database.IsSqlite())
        {
            // WAL lets readers proceed while one writer commits; it is a property of the file, set once. It is set through
            // a connection that waits at most a second for a lock: the lock another process holds on a file it opened
            // exclusively (DatabaseOptions.SqliteExclusive) is held for that process's life, and waiting longer is no use.
            var settings = services.GetRequiredService<DatabaseSettings>();
            var probe = new SqliteConnectionStringBuilder(settings.ConnectionString) { DefaultTimeout = 1, Pooling = false };
            var connection = new SqliteConnection(probe.ToString());
            try
            {
                await connection.OpenAsync(cancellationToken);
                await using var command = connection.CreateCommand();
                command.CommandText = "PRAGMA journal_mode=WAL;";
                await command.ExecuteNonQueryAsync(cancellationToken);
            }
            catch (Exception ex)
            {
                await connection.DisposeAsync();
                if (ex is SqliteException { SqliteErrorCode: SQLitePCL.raw.SQLITE_BUSY or SQLitePCL.raw.SQLITE_LOCKED })
                    throw new InvalidOperationException(
                        $"The SQLite database {probe.DataSource} is in use by another process (a running Switchboard node holds its " +
                        "database exclusively: Switchboard:Database:SqliteExclusive). Stop that process first; several nodes need PostgreSQL.", ex);
                throw;
            }
            // The exclusive lock lasts while the process has a connection to the file open; pools and the record reader
            // may close all of theirs when idle, so this one stays open for the node's life.
            services.GetRequiredService<SqliteFileHold>().Keep(connection);
        }
        await db.Database.MigrateAsync(cancellationToken);
    }
}

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

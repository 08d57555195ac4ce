using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;
using Switchboard.Platform.Security;

namespace Switchboard.Platform.Storage;

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
        services.AddSingleton(sp => sp.GetRequiredService<DatabaseSettings>() is { IsPostgres: true } settings
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
        if (!settings.IsPostgres)
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
        var settings = services.GetRequiredService<DatabaseSettings>();
        if (!settings.IsPostgres)
        {
            // WAL lets readers proceed while one writer commits; it is a property of the file, set once. It is set through
            // a connection that waits at most a second for a lock: the lock another process holds on a file it opened
            // exclusively (DatabaseOptions.SqliteExclusive) is held for that process's life, and waiting longer is no use.
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
        // Npgsql's migrator reads the history table without looking for it first and takes a missing table for "nothing
        // applied", but EF Core has already logged the failed SELECT as an error: the first line a new installation would
        // show. The table is created first (if the database exists; the migrator creates a missing database itself).
        if (await db.GetService<IRelationalDatabaseCreator>().ExistsAsync(cancellationToken))
            await db.GetService<IHistoryRepository>().CreateIfNotExistsAsync(cancellationToken);
        await db.Database.MigrateAsync(cancellationToken);
    }
}

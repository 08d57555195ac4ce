using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Switchboard.Platform.Security;

namespace Switchboard.Platform.Storage;

public static class DatabaseSetup
{
    public const string ConnectionStringName = "Switchboard";
    public const string DefaultSqlite = "Data Source=data/switchboard.db";

    public static IServiceCollection AddSwitchboardDatabase(this IServiceCollection services, IConfiguration configuration, SwitchboardOptions options)
    {
        var connectionString = configuration.GetConnectionString(ConnectionStringName);
        string? sqliteDirectory = null;
        if (options.Database.Provider == DatabaseProvider.Sqlite)
        {
            var builder = new SqliteConnectionStringBuilder(string.IsNullOrWhiteSpace(connectionString) ? DefaultSqlite : connectionString);
            if (builder.DataSource is { Length: > 0 } file && file != ":memory:" && builder.Mode != SqliteOpenMode.Memory)
            {
                var full = Path.GetFullPath(file);
                sqliteDirectory = Path.GetDirectoryName(full)!;
                Directory.CreateDirectory(sqliteDirectory);
                builder.DataSource = full;
            }
            // Writers wait for each other instead of failing with SQLITE_BUSY.
            builder.DefaultTimeout = Math.Max(builder.DefaultTimeout, 30);
            builder.Pooling = true;
            connectionString = builder.ToString();
        }
        else if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException("ConnectionStrings:Switchboard (env ConnectionStrings__Switchboard) is required when Switchboard:Database:Provider is postgres.");
        }

        services.AddSingleton(SecretProtector.FromOptions(options, sqliteDirectory));
        services.AddScoped<TenantScope>();
        services.AddDbContext<SwitchboardDbContext>(o =>
        {
            if (options.Database.Provider == DatabaseProvider.Sqlite)
                o.UseSqlite(connectionString, s => s.MigrationsHistoryTable("schema_migrations"));
            else
                o.UseNpgsql(connectionString, s => s.MigrationsHistoryTable("schema_migrations"));
            // The migrations are written by hand (see Migrations/); a test proves they produce the model's schema,
            // which replaces EF's snapshot comparison.
            o.ConfigureWarnings(w => w.Ignore(RelationalEventId.PendingModelChangesWarning));
        });
        return services;
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
            // WAL lets readers proceed while one writer commits; it is a property of the file, set once.
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
        }
        await db.Database.MigrateAsync(cancellationToken);
    }
}

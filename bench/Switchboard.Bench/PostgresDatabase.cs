using Npgsql;

namespace Switchboard.Bench;

/// <summary>
/// A throwaway database on the PostgreSQL server named by SWITCHBOARD_BENCH_POSTGRES: created for the run
/// and dropped afterwards. The server itself must be on this machine (loopback or a Unix socket).
/// </summary>
public sealed class PostgresDatabase : IAsyncDisposable
{
    public const string EnvironmentVariable = "SWITCHBOARD_BENCH_POSTGRES";

    private readonly string _adminConnectionString;

    private PostgresDatabase(string adminConnectionString, string name, string connectionString)
    {
        _adminConnectionString = adminConnectionString;
        Name = name;
        ConnectionString = connectionString;
    }

    public string Name { get; }
    public string ConnectionString { get; }

    public static async Task<PostgresDatabase> CreateAsync(string serverConnectionString)
    {
        var admin = new NpgsqlConnectionStringBuilder(serverConnectionString) { Pooling = false };
        if (string.IsNullOrEmpty(admin.Database)) admin.Database = "postgres";
        EnsureLocal(admin.Host);

        var name = "switchboard_bench_" + Guid.NewGuid().ToString("N")[..12];
        await using (var connection = new NpgsqlConnection(admin.ConnectionString))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await create.ExecuteNonQueryAsync();
        }
        var target = new NpgsqlConnectionStringBuilder(serverConnectionString) { Database = name };
        return new PostgresDatabase(admin.ConnectionString, name, target.ConnectionString);
    }

    private static void EnsureLocal(string? host)
    {
        if (string.IsNullOrEmpty(host) || host.StartsWith('/')) return; // default or Unix socket
        foreach (var h in host.Split(','))
        {
            var name = h.Split(':')[0].Trim();
            if (name is "localhost" or "::1" || (System.Net.IPAddress.TryParse(name, out var ip) && System.Net.IPAddress.IsLoopback(ip))) continue;
            throw new InvalidOperationException($"{EnvironmentVariable} must point at a server on this machine (loopback or Unix socket), not '{name}'.");
        }
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(_adminConnectionString);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync();
    }
}

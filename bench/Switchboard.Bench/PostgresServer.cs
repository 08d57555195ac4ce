using Npgsql;

namespace Switchboard.Bench;

/// <summary>
/// The PostgreSQL server named by SWITCHBOARD_BENCH_POSTGRES. Each benchmark host gets a throwaway database of
/// its own on it (so every case starts from the same state, as with SQLite's one file per host); all of them are
/// dropped at the end. The server must be on this machine (loopback or a Unix socket).
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    public const string EnvironmentVariable = "SWITCHBOARD_BENCH_POSTGRES";

    private readonly string _serverConnectionString;
    private readonly string _adminConnectionString;
    private readonly List<string> _created = [];
    private readonly Lock _lock = new();

    private PostgresServer(string serverConnectionString, string adminConnectionString)
    {
        _serverConnectionString = serverConnectionString;
        _adminConnectionString = adminConnectionString;
    }

    /// <summary>Checks that the server is local and answers.</summary>
    public static async Task<PostgresServer> ConnectAsync(string serverConnectionString)
    {
        var admin = new NpgsqlConnectionStringBuilder(serverConnectionString) { Pooling = false };
        if (string.IsNullOrEmpty(admin.Database)) admin.Database = "postgres";
        EnsureLocal(admin.Host);
        await using (var connection = new NpgsqlConnection(admin.ConnectionString))
        {
            await connection.OpenAsync();
            Version = connection.PostgreSqlVersion.ToString();
        }
        return new PostgresServer(serverConnectionString, admin.ConnectionString);
    }

    public static string? Version { get; private set; }

    /// <summary>Creates an empty database and returns a connection string to it.</summary>
    public string CreateDatabase()
    {
        var name = "switchboard_bench_" + Guid.NewGuid().ToString("N")[..12];
        using (var connection = new NpgsqlConnection(_adminConnectionString))
        {
            connection.Open();
            using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            create.ExecuteNonQuery();
        }
        lock (_lock) _created.Add(name);
        return new NpgsqlConnectionStringBuilder(_serverConnectionString) { Database = name }.ConnectionString;
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
        foreach (var name in _created)
        {
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", connection);
            await drop.ExecuteNonQueryAsync();
        }
    }
}

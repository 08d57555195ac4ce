using Npgsql;

/// <summary>A throwaway database on the benchmark's PostgreSQL server (SWITCHBOARD_BENCH_POSTGRES), dropped on dispose.</summary>
internal sealed class BenchDatabase : IAsyncDisposable
{
    private readonly string _server;
    public string Name { get; }
    public string ConnectionString { get; }

    private BenchDatabase(string server, string name, int maxPoolSize)
    {
        (_server, Name) = (server, name);
        ConnectionString = new NpgsqlConnectionStringBuilder(server) { Database = name, MaxPoolSize = maxPoolSize }.ConnectionString;
    }

    public static async Task<BenchDatabase> CreateAsync(string prefix, int maxPoolSize)
    {
        var server = Environment.GetEnvironmentVariable("SWITCHBOARD_BENCH_POSTGRES")
            ?? throw new InvalidOperationException("Set SWITCHBOARD_BENCH_POSTGRES (the bench/*.sh scripts do).");
        var name = $"{prefix}_{Guid.NewGuid():N}";
        await using var admin = new NpgsqlConnection(server);
        await admin.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", admin);
        await create.ExecuteNonQueryAsync();
        return new BenchDatabase(server, name, maxPoolSize);
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(_server);
        await admin.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)", admin);
        await drop.ExecuteNonQueryAsync();
    }
}

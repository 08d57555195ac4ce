using System.Data.Common;
using BenchmarkDotNet.Attributes;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Switchboard.Platform;
using Switchboard.Platform.Security;
using Switchboard.Platform.Storage;

namespace Switchboard.Bench;

/// <summary>
/// Where the time of an uncached lookup (<see cref="UncachedAuthBenchmarks"/>) goes. The same key-hash lookup
/// written by hand in ADO.NET (pooled connection, one parameterized SELECT, read the row) is the floor; the EF Core
/// steps add, one at a time, what <see cref="ApiKeys.ApiKeyAuthenticator"/> does for each uncached key: a DI scope
/// and a DbContext, opening and closing its connection, then the query itself.
/// </summary>
[MemoryDiagnoser]
public class LookupBreakdownBenchmarks
{
    private const string Sql = "SELECT * FROM api_keys WHERE key_hash = @hash LIMIT 1";
    private BenchHost _host = null!;
    private string _hash = null!;
    private Func<DbConnection> _connect = null!;
    private IServiceScopeFactory _scopes = null!;

    public static IEnumerable<string> Databases => BenchEnvironment.DatabaseNames;

    [ParamsSource(nameof(Databases))]
    public string Database { get; set; } = "sqlite";

    [GlobalSetup]
    public void Setup()
    {
        // The same host and database as UncachedAuthBenchmarks.
        _host = BenchHost.Shared(Database, cacheSeconds: 0, negativeCacheSeconds: 0);
        _hash = SecretHash.Sha256Hex(_host.Key);
        var connectionString = _host.Database.ConnectionString;
        _connect = _host.Database.Provider == DatabaseProvider.Sqlite
            ? () => new SqliteConnection(connectionString)
            : () => new NpgsqlConnection(connectionString);
        _scopes = _host.App.Services.GetRequiredService<IServiceScopeFactory>();
        if (!EfQuery().GetAwaiter().GetResult() || !LookupSync() || !LookupAsync().GetAwaiter().GetResult())
            throw new InvalidOperationException("The raw lookup did not find the key.");
    }

    [Benchmark(Description = "EF: scope + DbContext, no query")]
    public async Task<bool> EfScopeOnly()
    {
        await using var scope = _scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
        return db.ChangeTracker.AutoDetectChangesEnabled;
    }

    [Benchmark(Description = "EF: scope + DbContext + open/close connection")]
    public async Task<bool> EfOpenClose()
    {
        await using var scope = _scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
        await db.Database.OpenConnectionAsync();
        await db.Database.CloseConnectionAsync();
        return true;
    }

    [Benchmark(Description = "EF: scope + DbContext + lookup query")]
    public async Task<bool> EfQuery()
    {
        // The authenticator's query, verbatim.
        await using var scope = _scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
        var hash = _hash;
        var row = await db.ApiKeys.IgnoreQueryFilters().AsNoTracking().FirstOrDefaultAsync(k => k.KeyHash == hash);
        return row is not null;
    }

    [Benchmark(Description = "Raw ADO.NET lookup, async")]
    public async Task<bool> LookupAsync()
    {
        await using var connection = _connect();
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = Sql;
        var p = command.CreateParameter();
        p.ParameterName = "hash";
        p.Value = _hash;
        command.Parameters.Add(p);
        await using var reader = await command.ExecuteReaderAsync();
        return await reader.ReadAsync();
    }

    [Benchmark(Description = "Raw ADO.NET lookup, sync")]
    public bool LookupSync()
    {
        using var connection = _connect();
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = Sql;
        var p = command.CreateParameter();
        p.ParameterName = "hash";
        p.Value = _hash;
        command.Parameters.Add(p);
        using var reader = command.ExecuteReader();
        return reader.Read();
    }
}

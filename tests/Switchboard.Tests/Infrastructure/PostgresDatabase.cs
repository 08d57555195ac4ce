using Npgsql;

namespace Switchboard.Tests.Infrastructure;

/// <summary>
/// A throwaway database on the test PostgreSQL server (SWITCHBOARD_TEST_POSTGRES, set by test.sh, which installs and
/// starts the server). Reference-counted so that several nodes can share it; dropped when the last one lets go.
/// </summary>
public sealed class PostgresDatabase
{
    public const string EnvironmentVariable = "SWITCHBOARD_TEST_POSTGRES";
    private int _users = 1;
    private readonly string _server;

    public string Name { get; }
    public string ConnectionString { get; }

    private PostgresDatabase(string server, string name)
    {
        _server = server;
        Name = name;
        ConnectionString = new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString;
    }

    public static string ServerConnectionString =>
        Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } s ? s
            : throw new InvalidOperationException(
                $"{EnvironmentVariable} is not set. Run the suite with ./test.sh, which installs and starts PostgreSQL and sets it.");

    public static PostgresDatabase Create()
    {
        var server = ServerConnectionString;
        var name = $"sb_test_{Guid.NewGuid():N}";
        using var connection = new NpgsqlConnection(server);
        connection.Open();
        using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        command.ExecuteNonQuery();
        return new PostgresDatabase(server, name);
    }

    public PostgresDatabase Share()
    {
        Interlocked.Increment(ref _users);
        return this;
    }

    public void Release()
    {
        if (Interlocked.Decrement(ref _users) > 0) return;
        NpgsqlConnection.ClearAllPools();
        using var connection = new NpgsqlConnection(_server);
        connection.Open();
        using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)", connection);
        command.ExecuteNonQuery();
    }
}

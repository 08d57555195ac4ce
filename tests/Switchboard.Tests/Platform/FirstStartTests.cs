using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Platform;

/// <summary>
/// A new user's first sight of the service is its log on an empty database: migrating it from nothing must not log
/// an error (EF Core's migrator probes its history table before creating it, and logs the failed probe as a failed
/// command unless told otherwise). Each node of these suites starts on a database of its own, created empty.
/// </summary>
public abstract class FirstStartTests<TFactory>(TFactory node) : IClassFixture<TFactory> where TFactory : SwitchboardFactory
{
    [Fact]
    public async Task AFirstStartOnAnEmptyDatabaseLogsNoError()
    {
        using var client = node.Client();
        (await client.GetAsync("/alive")).IsSuccessStatusCode.ShouldBeTrue();
        node.Logs.Lines.Where(l => l.StartsWith("Error ", StringComparison.Ordinal) || l.StartsWith("Critical ", StringComparison.Ordinal)).ShouldBeEmpty();
    }
}

public sealed class FirstStartTestsOnSqlite(SqliteSwitchboard node) : FirstStartTests<SqliteSwitchboard>(node);
public sealed class FirstStartTestsOnPostgres(PostgresSwitchboard node) : FirstStartTests<PostgresSwitchboard>(node);

using System.Security.Cryptography;
using Microsoft.Extensions.Configuration;
using Switchboard.Platform;
using Switchboard.Platform.Storage;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Platform;

/// <summary>
/// A node on SQLite holds its database file exclusively (Switchboard:Database:SqliteExclusive, on by default): a second
/// process on the same file is refused at start-up with an error that says why, and is let in once the node is gone.
/// </summary>
public sealed class SqliteExclusiveTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "switchboard-tests", $"exclusive-{Guid.NewGuid():N}");
    private readonly string _key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)); // one installation's
    private string DatabasePath => Path.Combine(_dir, "node.db");

    private Dictionary<string, string> Environment(int port, bool? exclusive = null)
    {
        var env = new Dictionary<string, string>
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
            ["ConnectionStrings__Switchboard"] = $"Data Source={DatabasePath}",
            ["Switchboard__Encryption__Key"] = _key,
            ["Logging__LogLevel__Default"] = "Warning",
        };
        if (exclusive is { } value) env["Switchboard__Database__SqliteExclusive"] = value ? "true" : "false";
        return env;
    }

    [Fact]
    public async Task ASecondProcessIsRefusedWhileTheNodeRunsAndLetInAfterwards()
    {
        var port = ServiceProcess.FreePort();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
        using var node = ServiceProcess.Start(Environment(port));
        await node.WaitHealthyAsync(http);
        File.Exists(DatabasePath).ShouldBeTrue(node.Output);
        // The WAL index is in the node's memory: no shared-memory file beside the database.
        File.Exists(DatabasePath + "-shm").ShouldBeFalse("unix-excl keeps the WAL index in the process's heap");

        using var second = ServiceProcess.Start(Environment(ServiceProcess.FreePort()), "admin", "migrate");
        var exit = await second.WaitForExitAsync(TimeSpan.FromSeconds(60));
        exit.ShouldNotBe(0, second.Output);
        second.Output.ShouldContain("is in use by another process");
        second.Output.ShouldContain("SqliteExclusive");
        (await http.GetAsync("/health")).IsSuccessStatusCode.ShouldBeTrue("the node keeps serving");

        await node.KillAsync(); // the lock goes with the process, however it ends
        using var third = ServiceProcess.Start(Environment(ServiceProcess.FreePort()), "admin", "migrate");
        (await third.WaitForExitAsync(TimeSpan.FromSeconds(60))).ShouldBe(0, third.Output);
    }

    [Fact]
    public async Task WithExclusiveOffAnotherProcessMayOpenTheFileWhileTheNodeRuns()
    {
        var port = ServiceProcess.FreePort();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
        using var node = ServiceProcess.Start(Environment(port, exclusive: false));
        await node.WaitHealthyAsync(http);
        File.Exists(DatabasePath + "-shm").ShouldBeTrue("without unix-excl the WAL index is the shared -shm file");

        using var second = ServiceProcess.Start(Environment(ServiceProcess.FreePort(), exclusive: false), "admin", "migrate");
        (await second.WaitForExitAsync(TimeSpan.FromSeconds(60))).ShouldBe(0, second.Output);
        (await http.GetAsync("/health")).IsSuccessStatusCode.ShouldBeTrue();
    }

    [Theory]
    [InlineData("Data Source={dir}/x.db", true, "file:{dir}/x.db?vfs=unix-excl")]
    [InlineData("Data Source={dir}/x.db", false, "{dir}/x.db")]
    [InlineData("Data Source={dir}/a?b#c%d.db", true, "file:{dir}/a%3fb%23c%25d.db?vfs=unix-excl")]
    [InlineData("Data Source=file:{dir}/y.db?cache=private", true, "file:{dir}/y.db?cache=private")] // the operator's URI, as given
    [InlineData("Data Source=:memory:", true, ":memory:")]
    public void TheConnectionStringNamesTheExclusiveVfsForAPath(string connectionString, bool exclusive, string dataSource)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Switchboard"] = connectionString.Replace("{dir}", _dir, StringComparison.Ordinal),
        }).Build();
        var settings = DatabaseSettings.Resolve(configuration, new SwitchboardOptions { Database = { SqliteExclusive = exclusive } });
        new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(settings.ConnectionString).DataSource
            .ShouldBe(dataSource.Replace("{dir}", _dir, StringComparison.Ordinal));
        settings.SqliteDirectory.ShouldBe(dataSource == ":memory:" ? null : _dir);
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}

using System.Security.Cryptography;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Switchboard.Tests.Infrastructure;

/// <summary>
/// Runs the real service on Kestrel on a free loopback port (real HTTP, real database). Subclasses pick the database.
/// Each instance is one node; two instances sharing one PostgreSQL database are two nodes of one installation.
/// </summary>
public abstract class SwitchboardFactory : WebApplicationFactory<Program>
{
    public TestClock Clock { get; } = new();
    public LogCapture Logs { get; } = new();
    public string EncryptionKey { get; init; } = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    public string AdminToken { get; } = "admin-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
    private readonly Dictionary<string, string?> _settings = new();

    protected SwitchboardFactory() => UseKestrel(0);

    public abstract string Provider { get; }
    public abstract string ConnectionString { get; }

    /// <summary>Extra configuration for this node, set before it starts.</summary>
    public SwitchboardFactory With(string key, string? value)
    {
        _settings[key] = value;
        return this;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("Switchboard:Database:Provider", Provider);
        builder.UseSetting("ConnectionStrings:Switchboard", ConnectionString);
        builder.UseSetting("Switchboard:Encryption:Key", EncryptionKey);
        // A tenth of the default PBKDF2 work keeps the suite fast; PasswordHasherTests covers the default.
        builder.UseSetting("Switchboard:Auth:PasswordHashIterations", "10000");
        builder.UseSetting("Switchboard:Auth:InvalidationPollSeconds", "0.2");
        builder.UseSetting("Switchboard:ApiKeys:LastUsedFlushSeconds", "1");
        builder.UseSetting("Switchboard:Webhooks:AllowPrivateNetworks", "true");
        builder.UseSetting("Switchboard:Admin:Token", AdminToken);
        // Fast webhook retries: 0.3 s, 0.3 s, then dead. WebhookTests rely on it.
        builder.UseSetting("Switchboard:Webhooks:RetryScheduleSeconds:0", "0.3");
        builder.UseSetting("Switchboard:Webhooks:RetryScheduleSeconds:1", "0.3");
        builder.UseSetting("Switchboard:Webhooks:PollMilliseconds", "50");
        // Suites other than the rate-limit ones make thousands of requests from one IP and one organization;
        // RateLimitTests use nodes with tight limits of their own.
        builder.UseSetting("Switchboard:RateLimits:Anonymous:Requests", "1000000");
        builder.UseSetting("Switchboard:RateLimits:User:Requests", "1000000");
        builder.UseSetting("Switchboard:RateLimits:ApiKeyDefault:Requests", "1000000");
        builder.UseSetting("Switchboard:RateLimits:PlanDailyQuotas:starter", "100000000");
        foreach (var (key, value) in _settings) builder.UseSetting(key, value);
        // The node's JSON console log would drown the test output; LogCapture still sees every line.
        builder.ConfigureLogging(logging => logging.ClearProviders());
        builder.ConfigureTestServices(services =>
        {
            services.RemoveAll<TimeProvider>();
            services.AddSingleton<TimeProvider>(Clock);
            services.AddSingleton<ILoggerProvider>(Logs);
            // Capture every level of every category, not only what the node's own log filter lets through.
            services.Configure<LoggerFilterOptions>(o => o.Rules.Add(new LoggerFilterRule(typeof(LogCapture).FullName, null, LogLevel.Trace, null)));
        });
    }

    /// <summary>A client of this node, over real loopback HTTP.</summary>
    public ApiClient Client()
    {
        StartServer();
        return new ApiClient(CreateClient(), this);
    }

    /// <summary>A client whose requests and responses pass through <paramref name="handlers"/> (e.g. to check them).</summary>
    public ApiClient Client(params DelegatingHandler[] handlers)
    {
        StartServer();
        return new ApiClient(CreateDefaultClient(handlers), this);
    }
}

public class SqliteSwitchboard : SwitchboardFactory
{
    private readonly string _path;
    private readonly bool _ownsFile;

    public SqliteSwitchboard() : this(NewPath(), ownsFile: true) { }

    /// <summary>A node on a database file that outlives it (<see cref="NewPath"/>, <see cref="DeleteFile"/>): several nodes
    /// one after another on one file, each stopped before the next starts (one process at a time holds a SQLite file).</summary>
    public static SqliteSwitchboard OnFile(string path) => new(path, ownsFile: false);

    private SqliteSwitchboard(string path, bool ownsFile) => (_path, _ownsFile) = (path, ownsFile);

    public static string NewPath() => Path.Combine(Path.GetTempPath(), "switchboard-tests", $"{Guid.NewGuid():N}.db");

    public static void DeleteFile(string path)
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var suffix in new[] { "", "-wal", "-shm" })
            File.Delete(path + suffix);
    }

    public override string Provider => "sqlite";
    public override string ConnectionString => $"Data Source={_path}";

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (_ownsFile) DeleteFile(_path);
        else Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }
}

/// <summary>A fresh PostgreSQL database per fixture, on the server named by SWITCHBOARD_TEST_POSTGRES.</summary>
public class PostgresSwitchboard : SwitchboardFactory
{
    private readonly PostgresDatabase _database;

    public PostgresSwitchboard() : this(PostgresDatabase.Create()) { }

    /// <summary>A second node on the same database as <paramref name="database"/>.</summary>
    protected PostgresSwitchboard(PostgresDatabase database) => _database = database;

    public PostgresDatabase Database => _database;
    public override string Provider => "postgres";
    public override string ConnectionString => _database.ConnectionString;

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        _database.Release();
    }
}

public static class NodeInspection
{
    /// <summary>The outbox events of one resource, oldest first, read straight from the node's database.</summary>
    public static async Task<List<Switchboard.Platform.Outbox.OutboxEvent>> EventsForAsync(this SwitchboardFactory node, string resourceId)
    {
        await using var scope = node.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<Switchboard.Platform.Storage.SwitchboardDbContext>();
        return await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.ToListAsync(
            Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.IgnoreQueryFilters(db.OutboxEvents)
                .Where(e => e.ResourceId == resourceId).OrderBy(e => e.Id));
    }
}

using System.Net;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Switchboard.ApiKeys;
using Switchboard.Identity;
using Switchboard.Platform;
using Switchboard.Platform.Auth;
using Switchboard.Platform.Errors;
using Switchboard.Platform.Security;
using Switchboard.Platform.Storage;

namespace Switchboard.Bench;

/// <summary>Which database a host uses: SQLite in a temporary file, or a PostgreSQL database made for this run.</summary>
public sealed record BenchDatabase(string Name, DatabaseProvider Provider, string ConnectionString)
{
    public static BenchDatabase Sqlite(string directory, string fileName) =>
        new("sqlite", DatabaseProvider.Sqlite, $"Data Source={Path.Combine(directory, fileName)}");
}

/// <summary>
/// A real Switchboard host, wired exactly as Program.cs does (AddSwitchboard, InitializeSwitchboardAsync,
/// UseSwitchboard), over its own database, seeded with one organization and one API key (plus filler keys,
/// so the key-hash index lookup is not on a one-row table).
/// </summary>
public sealed class BenchHost : IAsyncDisposable
{
    private static readonly string EncryptionKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    private BenchHost(WebApplication app, BenchDatabase database, string key)
    {
        App = app;
        Database = database;
        Key = key;
    }

    public BenchDatabase Database { get; }

    public WebApplication App { get; }

    /// <summary>The plaintext API key that authenticates (scope <c>*:read</c>).</summary>
    public string Key { get; }

    public ApiKeyAuthenticator Authenticator => App.Services.GetRequiredService<ApiKeyAuthenticator>();

    /// <summary>The base address Kestrel listens on, once <see cref="StartHttpAsync"/> returned.</summary>
    public Uri? BaseAddress { get; private set; }

    private static readonly Dictionary<(string, int, int), BenchHost> SharedHosts = [];

    /// <summary>
    /// A host for in-process benchmarks, made (and seeded) once per database and cache setting, then reused by
    /// every benchmark case that asks for the same: cases measure the same data, and seeding is paid once.
    /// </summary>
    public static BenchHost Shared(string databaseName, int cacheSeconds, int negativeCacheSeconds)
    {
        lock (SharedHosts)
        {
            if (!SharedHosts.TryGetValue((databaseName, cacheSeconds, negativeCacheSeconds), out var host))
            {
                host = CreateAsync(BenchEnvironment.Database(databaseName), cacheSeconds, negativeCacheSeconds, BenchEnvironment.FillerKeys)
                    .GetAwaiter().GetResult();
                host.WarmUp(BenchEnvironment.HostWarmUp);
                SharedHosts[(databaseName, cacheSeconds, negativeCacheSeconds)] = host;
            }
            return host;
        }
    }

    public static async Task DisposeSharedAsync()
    {
        List<BenchHost> hosts;
        lock (SharedHosts)
        {
            hosts = [.. SharedHosts.Values];
            SharedHosts.Clear();
        }
        foreach (var host in hosts) await host.DisposeAsync();
    }

    public static async Task<BenchHost> CreateAsync(
        BenchDatabase database, int cacheSeconds, int negativeCacheSeconds, int fillerKeys, bool listen = false)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = [],
            EnvironmentName = "Production",
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Switchboard"] = database.ConnectionString,
            ["Switchboard:Database:Provider"] = database.Provider.ToString().ToLowerInvariant(),
            ["Switchboard:Encryption:Key"] = EncryptionKey,
            ["Switchboard:ApiKeys:CacheSeconds"] = cacheSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Switchboard:ApiKeys:NegativeCacheSeconds"] = negativeCacheSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            // Loopback only, on a port the OS picks.
            ["urls"] = "http://127.0.0.1:0",
            // This measures authentication, not rate limiting or quotas: one key sends tens of thousands of requests.
            // (Keys the service may not know yet are ignored by the options binder.)
            ["Switchboard:RateLimits:Enabled"] = "false",
            ["Switchboard:RateLimits:ApiKeyDefault:Requests"] = "1000000000",
            ["Switchboard:RateLimits:ApiKeyDefault:WindowSeconds"] = "1",
            // Logging to the console would dominate the figures (and clutter the report).
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Warning",
            ["Logging:LogLevel:Microsoft.EntityFrameworkCore"] = "Warning",
        });
        builder.AddSwitchboard();
        var app = builder.Build();
        await app.Services.InitializeSwitchboardAsync();
        app.UseSwitchboard();

        var key = await SeedAsync(app.Services, fillerKeys);
        var host = new BenchHost(app, database, key);
        if (listen) await host.StartHttpAsync();
        return host;
    }

    /// <summary>
    /// Runs the authenticator (a known and an unknown key) for a while, so that the JIT has moved the whole path,
    /// EF Core and the database provider included, to its final tier before BenchmarkDotNet measures. Without it
    /// the first database-bound case in a process measured up to 2x slower than the same code later in the run:
    /// BenchmarkDotNet's few warm-up iterations are shorter than tiered compilation takes to settle on this path.
    /// </summary>
    private void WarmUp(TimeSpan duration)
    {
        var unknown = ApiKeyFormat.Generate();
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        for (var i = 0; i < 200 || System.Diagnostics.Stopwatch.GetElapsedTime(started) < duration; i++)
        {
            Authenticator.AuthenticateAsync(Key, IPAddress.Loopback, CancellationToken.None).AsTask().GetAwaiter().GetResult();
            Authenticator.AuthenticateAsync(unknown, IPAddress.Loopback, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        }
    }

    private async Task StartHttpAsync()
    {
        await App.StartAsync();
        var address = App.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        BaseAddress = new Uri(address);
        if (!IPAddress.IsLoopback(IPAddress.Parse(BaseAddress.Host)))
            throw new InvalidOperationException($"Refusing to benchmark a non-loopback address: {address}");
    }

    /// <summary>
    /// One organization (Enterprise: no daily quota), one key that is measured (scope <c>*:read</c>, no IP allowlist,
    /// no expiry), and <paramref name="fillerKeys"/> other keys.
    /// </summary>
    private static async Task<string> SeedAsync(IServiceProvider services, int fillerKeys)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
        var now = DateTime.UtcNow;
        var org = new Organization { Id = Ids.New("org"), Name = "Bench Org", Plan = Plans.Enterprise, CreatedAt = now, UpdatedAt = now };
        db.Organizations.Add(org);

        ApiKey NewKey(string plaintext, string name) => new()
        {
            Id = Ids.New("key"),
            OrganizationId = org.Id,
            Name = name,
            KeyPrefix = ApiKeyFormat.DisplayPrefix(plaintext),
            KeyHash = SecretHash.Sha256Hex(plaintext),
            Scopes = [Scopes.AllRead],
            CreatedAt = now,
            UpdatedAt = now,
        };

        var key = ApiKeyFormat.Generate();
        db.ApiKeys.Add(NewKey(key, "bench"));
        await db.SaveChangesAsync();
        db.ChangeTracker.Clear();

        for (var done = 0; done < fillerKeys; done += 1_000)
        {
            for (var i = done; i < Math.Min(fillerKeys, done + 1_000); i++)
                db.ApiKeys.Add(NewKey(ApiKeyFormat.Generate(), $"filler {i}"));
            await db.SaveChangesAsync();
            db.ChangeTracker.Clear();
        }
        // Fresh statistics (and, on PostgreSQL, a vacuumed table), as a long-lived database would have; otherwise
        // autovacuum may start on the just-loaded table while it is being measured.
        await db.Database.ExecuteSqlRawAsync(db.Database.IsNpgsql() ? "VACUUM ANALYZE api_keys" : "ANALYZE");
        return key;
    }

    /// <summary>Fails loudly if an outcome is not what the benchmark claims to measure.</summary>
    public static void Expect(AuthOutcome outcome, bool succeeded, string? code, string what)
    {
        if (outcome.Succeeded != succeeded || outcome.Code != code)
            throw new InvalidOperationException($"{what}: expected {(succeeded ? "success" : code)}, got {(outcome.Succeeded ? "success" : outcome.Code)}.");
    }

    public static string InvalidApiKey => ErrorCodes.InvalidApiKey;

    public async ValueTask DisposeAsync()
    {
        if (BaseAddress is not null) await App.StopAsync();
        await App.DisposeAsync();
    }
}

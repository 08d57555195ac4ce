using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Switchboard.Crm.Contacts;
using Switchboard.Integrations;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Integrations;

/// <summary>
/// The "a sync killed with SIGKILL mid-run resumes without duplicates": the service runs as a real process, its
/// sync run commits two pages, then HubSpot's fake holds the third and the process is killed (no shutdown, no flush).
/// Another process on the same database takes the run over once its lease runs out, goes on from the checkpoint (its
/// first search asks for the third page), and finishes: every contact once, one link each.
/// </summary>
public abstract class SyncCrashTests
{
    private const int Contacts = 450;

    /// <summary>An in-process node on the test's database that leaves it in place when disposed (to set up and inspect).</summary>
    protected abstract SwitchboardFactory Node(string encryptionKey);
    protected abstract (string Provider, string ConnectionString) Database();
    protected virtual void Cleanup() { }

    [Fact]
    public async Task ASyncKilledWithSigkillMidRunResumesOnAnotherNodeWithoutDuplicates()
    {
        try { await RunAsync(); }
        finally { Cleanup(); }
    }

    private async Task RunAsync()
    {
        await using var fake = await HubSpotFake.StartAsync();
        var portal = fake.NewPortal();
        portal.SeedContacts(Contacts, "Crash");
        portal.Hold = ("contacts", 3);
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

        // Set up through an in-process node, stopped before the processes start (a node holds a SQLite file exclusively).
        string apiKey, installation;
        await using (var setup = Node(key))
        {
            setup.PointedAt(fake).With("Switchboard:Integrations:SchedulerPollSeconds", "3600");
            using var client = setup.Client();
            var organization = (await client.SignupAsync())["organization"]!["id"]!.GetValue<string>();
            apiKey = (await client.CreateKeyAsync("integrations:write", "integrations:read", "contacts:read"))["key"]!.GetValue<string>();
            installation = await setup.InstallHubSpotAsync(organization, portal);
        }

        var (provider, connectionString) = Database();
        var port = ServiceProcess.FreePort();
        var env = new Dictionary<string, string>
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
            ["Switchboard__Database__Provider"] = provider,
            ["ConnectionStrings__Switchboard"] = connectionString,
            ["Switchboard__Encryption__Key"] = key,
            ["Switchboard__Integrations__Providers__hubspot__BaseUrls__api"] = fake.BaseUrl,
            ["Switchboard__Integrations__Providers__hubspot__TokenUrl"] = fake.BaseUrl + "/oauth/v1/token",
            ["Switchboard__Integrations__Providers__hubspot__ClientId"] = HubSpotFake.ClientId,
            ["Switchboard__Integrations__Providers__hubspot__ClientSecret"] = HubSpotFake.ClientSecret,
            ["Switchboard__Integrations__SchedulerPollSeconds"] = "0.2",
            ["Switchboard__Integrations__SyncLeaseSeconds"] = "5", // the killed node's run is taken over 5 s after its last page
            ["Switchboard__RateLimits__Enabled"] = "false",
            ["Logging__LogLevel__Default"] = "Warning",
        };
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
        http.DefaultRequestHeaders.Add("X-API-Key", apiKey);

        string runId;
        using (var first = ServiceProcess.Start(env))
        {
            await first.WaitHealthyAsync(http);
            var started = await http.PostAsJsonAsync($"/api/v1/integrations/{installation}/sync", new { model = "contacts" });
            started.StatusCode.ShouldBe(HttpStatusCode.Accepted, await started.Content.ReadAsStringAsync());
            runId = (await started.Content.ReadFromJsonAsync<JsonObject>())!["data"]![0]!["id"]!.GetValue<string>();
            // Page 3 is in flight (fetched while page 2 is applied); once page 2 is committed, the process dies.
            await portal.HeldReached.Task.WaitAsync(TimeSpan.FromSeconds(60));
            var deadline = DateTime.UtcNow.AddSeconds(60);
            // Page 2 repeats page 1's last contact (each page is a query from the last modification time read): 199 added.
            while ((await http.GetFromJsonAsync<JsonObject>($"/api/v1/integrations/{installation}/sync-runs/{runId}"))!.Count("added") < 199)
            {
                if (DateTime.UtcNow > deadline) throw new TimeoutException("Page 2 was never committed.");
                await Task.Delay(20);
            }
            await first.KillAsync();
        }
        var searchesBefore = portal.Searches.Count;
        portal.Hold = null;
        portal.Release.SetResult();

        JsonObject run;
        using (var second = ServiceProcess.Start(env))
        {
            await second.WaitHealthyAsync(http);
            var deadline = DateTime.UtcNow.AddSeconds(60);
            do
            {
                await Task.Delay(200);
                run = (await http.GetFromJsonAsync<JsonObject>($"/api/v1/integrations/{installation}/sync-runs/{runId}"))!;
            } while (run["status"]!.GetValue<string>() is "queued" or "running" && DateTime.UtcNow < deadline);
            run["status"]!.GetValue<string>().ShouldBe("succeeded", $"{run.ToJsonString()}\n{second.Output}");
        }

        // The second node went on from the checkpoint: its first search asked for the page the first one never committed
        // (the held third search, anchored at the last modification time page 2 read).
        static string Anchor(JsonObject search) => search["filterGroups"]![0]!["filters"]![0]!["value"]!.GetValue<string>();
        Anchor(portal.Searches.Skip(searchesBefore).First()).ShouldBe(Anchor(portal.Searches.ElementAt(2)));
        run.Count("added").ShouldBe(Contacts);
        run.Count("failed").ShouldBe(0);

        await using var inspect = Node(key);
        inspect.With("Switchboard:Integrations:SchedulerPollSeconds", "3600");
        var emails = await inspect.WithDbAsync(db => db.Set<Contact>().IgnoreQueryFilters().Select(c => c.Email).ToListAsync());
        emails.Count.ShouldBe(Contacts);
        emails.Distinct().Count().ShouldBe(Contacts);
        var links = await inspect.WithDbAsync(db => db.Set<IntegrationRecordLink>().IgnoreQueryFilters().Where(l => l.InstallationId == installation).ToListAsync());
        links.Count.ShouldBe(Contacts);
        links.Select(l => l.RemoteId).Distinct().Count().ShouldBe(Contacts);
        links.Select(l => l.LocalId).Distinct().Count().ShouldBe(Contacts);
        fake.Provider.AssertNoViolations();
    }
}

public sealed class SyncCrashTestsOnSqlite : SyncCrashTests
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "switchboard-tests", $"sync-crash-{Guid.NewGuid():N}");
    private string File => Path.Combine(_dir, "sync.db");

    protected override SwitchboardFactory Node(string encryptionKey)
    {
        Directory.CreateDirectory(_dir);
        return new SqliteNode($"Data Source={File}") { EncryptionKey = encryptionKey };
    }

    private sealed class SqliteNode(string connectionString) : SwitchboardFactory
    {
        public override string Provider => "sqlite";
        public override string ConnectionString => connectionString;

        /// <summary>Stopped, and its pooled connections closed: the file's exclusive lock goes with the last one.</summary>
        public override async ValueTask DisposeAsync()
        {
            await base.DisposeAsync();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        }
    }

    protected override (string, string) Database() => ("sqlite", $"Data Source={File}");
    protected override void Cleanup()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}

public sealed class SyncCrashTestsOnPostgres : SyncCrashTests
{
    private readonly PostgresDatabase _db = PostgresDatabase.Create();

    private sealed class SharedNode(PostgresDatabase database) : PostgresSwitchboard(database.Share());

    protected override SwitchboardFactory Node(string encryptionKey) => new SharedNode(_db) { EncryptionKey = encryptionKey };
    protected override (string, string) Database() => ("postgres", _db.ConnectionString);
    protected override void Cleanup() => _db.Release();
}

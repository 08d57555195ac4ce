using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Webhooks;

/// <summary>
/// The service as a separate process, killed with SIGKILL in the middle of a storm of writes and started again on the same
/// database: every write that was answered 2xx must reach the webhook receiver at least once (transactional outbox +
/// leased deliveries).
/// </summary>
public abstract class CrashTests
{
    protected abstract (string Provider, string ConnectionString) Database();
    protected virtual void Cleanup() { }

    [Fact]
    public async Task EveryAcknowledgedWriteIsDeliveredAfterASigkill()
    {
        var (provider, connectionString) = Database();
        try
        {
            await RunAsync(provider, connectionString);
        }
        finally
        {
            Cleanup();
        }
    }

    private static async Task RunAsync(string provider, string connectionString)
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var port = ServiceProcess.FreePort();
        var env = new Dictionary<string, string>
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
            ["Switchboard__Database__Provider"] = provider,
            ["ConnectionStrings__Switchboard"] = connectionString,
            ["Switchboard__Encryption__Key"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["Switchboard__Webhooks__AllowPrivateNetworks"] = "true",
            ["Switchboard__Webhooks__PollMilliseconds"] = "50",
            ["Switchboard__Webhooks__TimeoutSeconds"] = "5", // leases of the killed node lapse after 5 + 15 s
            ["Switchboard__Auth__PasswordHashIterations"] = "10000",
            ["Switchboard__RateLimits__Enabled"] = "false",
            ["Logging__LogLevel__Default"] = "Warning",
        };
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };

        // Disposing a ServiceProcess kills it: neither process outlives the test, however it ends.
        using var first = ServiceProcess.Start(env);
        await first.WaitHealthyAsync(http);
        var signup = await (await http.PostAsJsonAsync("/api/v1/auth/signup",
            new { email = "crash@example.com", password = "crash test password", name = "Crash", organizationName = "Crash" })).Content.ReadFromJsonAsync<JsonObject>();
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", signup!["accessToken"]!.GetValue<string>());
        var key = (await (await http.PostAsJsonAsync("/api/v1/api-keys", new { name = "storm", scopes = new[] { "contacts:write", "webhooks:write" } }))
            .Content.ReadFromJsonAsync<JsonObject>())!["key"]!.GetValue<string>();
        http.DefaultRequestHeaders.Authorization = null;
        http.DefaultRequestHeaders.Add("X-API-Key", key);
        (await http.PostAsJsonAsync("/api/v1/webhooks", new { url = receiver.Url, events = new[] { "contact.created" } })).StatusCode.ShouldBe(HttpStatusCode.Created);

        // The storm: 4 writers; the process is killed once 150 writes were acknowledged, with writes still in flight.
        var acknowledged = new ConcurrentBag<string>();
        using var stop = new CancellationTokenSource();
        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested && i < 1_000; i++)
            {
                try
                {
                    using var response = await http.PostAsJsonAsync("/api/v1/contacts", new { firstName = $"Storm {w}-{i}" }, stop.Token);
                    if (response.IsSuccessStatusCode) acknowledged.Add((await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>());
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or OperationCanceledException) { break; }
            }
        })).ToArray();
        while (acknowledged.Count < 150) await Task.Delay(5);
        await first.KillAsync(); // SIGKILL: no shutdown, no flush
        await stop.CancelAsync();
        await Task.WhenAll(writers);

        using var second = ServiceProcess.Start(env);
        await second.WaitHealthyAsync(http);
        var expected = acknowledged.ToHashSet();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        HashSet<string> delivered;
        do
        {
            await Task.Delay(200);
            delivered = receiver.Requests.Select(r => JsonNode.Parse(r.Body)!["data"]!["id"]!.GetValue<string>()).ToHashSet();
        } while (!expected.IsSubsetOf(delivered) && DateTime.UtcNow < deadline);
        expected.Count.ShouldBeGreaterThanOrEqualTo(150);
        expected.Except(delivered).ShouldBeEmpty($"{expected.Count} writes were acknowledged; these were never delivered");
    }
}

public sealed class CrashTestsOnSqlite : CrashTests
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "switchboard-tests", $"crash-{Guid.NewGuid():N}");
    protected override (string, string) Database() => ("sqlite", $"Data Source={Path.Combine(_dir, "crash.db")}");
    protected override void Cleanup() { try { Directory.Delete(_dir, recursive: true); } catch (IOException) { } }
}

public sealed class CrashTestsOnPostgres : CrashTests
{
    private PostgresDatabase? _db;
    protected override (string, string) Database()
    {
        _db = PostgresDatabase.Create();
        return ("postgres", _db.ConnectionString);
    }
    protected override void Cleanup() => _db?.Release();
}

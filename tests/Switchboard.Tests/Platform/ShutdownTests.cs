using System.Collections.Concurrent;
using System.Data.Common;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Platform;

/// <summary>
/// The node as a separate process, sent SIGTERM (as <c>docker stop</c> and Kubernetes do) in the middle of a storm of
/// contact writes whose <c>contact.created</c> events go to a loopback receiver, with deliveries in flight: it exits
/// with code 0 within <c>Switchboard:Shutdown:TimeoutSeconds</c>, and loses nothing it acknowledged. Every write
/// answered 2xx is in the database, the usage row of every answered request was written (the usage flush interval is
/// longer than the test, so only the stop's own flush writes them), and every event is delivered, by the stopping
/// node or by the next one on the same database.
/// </summary>
public abstract class ShutdownTests
{
    private const int ShutdownSeconds = 20;

    protected abstract (string Provider, string ConnectionString) Database();
    protected abstract DbConnection Open(string connectionString);
    protected virtual void Cleanup() { }

    [Fact]
    public async Task ASigtermUnderLoadExitsCleanlyAndLosesNothingItAcknowledged()
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

    private async Task RunAsync(string provider, string connectionString)
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
            ["Switchboard__Webhooks__TimeoutSeconds"] = "5", // a lease left by the stop lapses after 5 + 15 s
            ["Switchboard__Usage__FlushSeconds"] = "60", // no periodic flush during the test: the stop's flush writes the rows
            ["Switchboard__Shutdown__TimeoutSeconds"] = ShutdownSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Switchboard__Auth__PasswordHashIterations"] = "10000",
            ["Switchboard__RateLimits__Enabled"] = "false",
            ["Logging__LogLevel__Default"] = "Warning",
        };
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };

        using var first = ServiceProcess.Start(env);
        await first.WaitHealthyAsync(http);
        var signup = await (await http.PostAsJsonAsync("/api/v1/auth/signup",
            new { email = "stop@example.com", password = "shutdown test password", name = "Stop", organizationName = "Stop" })).Content.ReadFromJsonAsync<JsonObject>();
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", signup!["accessToken"]!.GetValue<string>());
        var key = (await (await http.PostAsJsonAsync("/api/v1/api-keys", new { name = "storm", scopes = new[] { "contacts:read", "contacts:write", "webhooks:write" } }))
            .Content.ReadFromJsonAsync<JsonObject>())!["key"]!.GetValue<string>();
        http.DefaultRequestHeaders.Authorization = null;
        http.DefaultRequestHeaders.Add("X-API-Key", key);
        (await http.PostAsJsonAsync("/api/v1/webhooks", new { url = receiver.Url, events = new[] { "contact.created" } })).StatusCode.ShouldBe(HttpStatusCode.Created);

        // The storm: 4 writers, each request with its own X-Request-Id (the usage row's request_id). The receiver holds
        // its answers from the SIGTERM on for a second, so deliveries are in flight while the node stops.
        var acknowledged = new ConcurrentDictionary<string, string>(); // contact id → request id
        var refused = 0;
        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < 2_000; i++)
            {
                var requestId = $"shutdown-{w}-{i}";
                try
                {
                    using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/contacts") { Content = JsonContent.Create(new { firstName = $"Stop {w}-{i}" }) };
                    request.Headers.Add("X-Request-Id", requestId);
                    using var response = await http.SendAsync(request);
                    if (response.IsSuccessStatusCode) acknowledged[(await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>()] = requestId;
                    else Interlocked.Increment(ref refused);
                }
                catch (HttpRequestException) { break; } // the listener is closed: the node is stopping
            }
        })).ToArray();
        while (acknowledged.Count < 150) await Task.Delay(5);
        receiver.Hold();
        first.Terminate();
        var release = Task.Delay(TimeSpan.FromSeconds(1)).ContinueWith(_ => receiver.Release(), TaskScheduler.Default);
        var exitCode = await first.WaitForExitAsync(TimeSpan.FromSeconds(ShutdownSeconds + 10));
        await release;
        await Task.WhenAll(writers);

        exitCode.ShouldBe(0, first.Output);
        first.Output.ShouldNotContain("\"LogLevel\":\"Error\"", Case.Sensitive, "the stop logged no error");
        acknowledged.Count.ShouldBeGreaterThanOrEqualTo(150);
        refused.ShouldBe(0, "a request is answered or refused at the connection, never failed by the stop");

        // The usage rows, read from the database before a node opens it again (a SQLite node holds its file exclusively).
        var answeredIds = acknowledged.Values.ToHashSet();
        var recorded = await UsageRequestIdsAsync(connectionString);
        answeredIds.Except(recorded).ShouldBeEmpty($"{answeredIds.Count} requests were answered 2xx; these have no usage row");

        using var second = ServiceProcess.Start(env);
        await second.WaitHealthyAsync(http);
        foreach (var id in acknowledged.Keys)
            (await http.GetAsync($"/api/v1/contacts/{id}")).StatusCode.ShouldBe(HttpStatusCode.OK, $"contact {id} was acknowledged");

        var expected = acknowledged.Keys.ToHashSet();
        var deadline = DateTime.UtcNow.AddSeconds(60); // a delivery aborted by the stop is sent again once its 20 s lease lapses
        HashSet<string> delivered;
        do
        {
            await Task.Delay(200);
            delivered = receiver.Requests.Select(r => JsonNode.Parse(r.Body)!["data"]!["id"]!.GetValue<string>()).ToHashSet();
        } while (!expected.IsSubsetOf(delivered) && DateTime.UtcNow < deadline);
        expected.Except(delivered).ShouldBeEmpty($"{expected.Count} writes were acknowledged; these events were never delivered");
    }

    /// <summary>Waits for <c>GET /health</c> to answer 200, for up to 2 minutes (a start on a busy machine, migrations included, can take half of it).</summary>

    private async Task<HashSet<string>> UsageRequestIdsAsync(string connectionString)
    {
        await using var connection = Open(connectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT request_id FROM api_requests WHERE request_id LIKE 'shutdown-%'";
        var ids = new HashSet<string>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) ids.Add(reader.GetString(0));
        return ids;
    }
}

public sealed class ShutdownTestsOnSqlite : ShutdownTests
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "switchboard-tests", $"shutdown-{Guid.NewGuid():N}");
    protected override (string, string) Database() => ("sqlite", $"Data Source={Path.Combine(_dir, "shutdown.db")}");
    protected override DbConnection Open(string connectionString) => new Microsoft.Data.Sqlite.SqliteConnection(connectionString + ";Pooling=False");
    protected override void Cleanup() { try { Directory.Delete(_dir, recursive: true); } catch (IOException) { } }
}

public sealed class ShutdownTestsOnPostgres : ShutdownTests
{
    private PostgresDatabase? _db;
    protected override (string, string) Database()
    {
        _db = PostgresDatabase.Create();
        return ("postgres", _db.ConnectionString);
    }
    protected override DbConnection Open(string connectionString) => new Npgsql.NpgsqlConnection(connectionString);
    protected override void Cleanup() => _db?.Release();
}

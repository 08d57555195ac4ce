using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Webhooks;

/// <summary>
/// A node stopped gracefully (the host's StopAsync, as on SIGTERM) while a delivery is in flight, then a node started
/// again on the same database. The delivery worker stops leasing first and lets what is in flight finish, and be
/// recorded, within the drain (<c>Switchboard:Shutdown:TimeoutSeconds</c> less 5 s kept for recording): the receiver gets the event once. What outlasts the drain
/// is aborted, stays leased, and is sent again once the lease has run out: at least once, never lost.
/// </summary>
public abstract class GracefulStopTests : IDisposable
{
    private readonly string _encryptionKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    /// <summary>A new node on this test's database (one database per test), not started yet.</summary>
    protected abstract SwitchboardFactory NewNode();

    public abstract void Dispose();

    private SwitchboardFactory Node(string drainSeconds)
    {
        var node = NewNode();
        var timeout = double.Parse(drainSeconds, System.Globalization.CultureInfo.InvariantCulture) + Switchboard.Platform.ShutdownOptions.RecordingMargin.TotalSeconds;
        node.With("Switchboard:Shutdown:TimeoutSeconds", timeout.ToString(System.Globalization.CultureInfo.InvariantCulture));
        node.With("Switchboard:Webhooks:TimeoutSeconds", "10");
        return node;
    }

    [Fact]
    public async Task AGracefulStopLetsTheDeliveryInFlightFinishAndDoesNotSendItAgain()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var first = Node(drainSeconds: "10");
        var (token, endpointId) = await DeliveryInFlightAsync(first, receiver);

        // The receiver answers 1.5 s into the stop; the stop waits for it, and for its outcome to be recorded.
        var answer = Task.Delay(TimeSpan.FromSeconds(1.5)).ContinueWith(_ => receiver.Release(), TaskScheduler.Default);
        var stopping = Stopwatch.StartNew();
        await first.DisposeAsync();
        stopping.Elapsed.ShouldBeGreaterThan(TimeSpan.FromSeconds(1), "the stop waited for the delivery in flight");
        await answer;

        await using var second = Node(drainSeconds: "10");
        using var owner = second.Client().WithBearer(token);
        var delivery = await OnlyDeliveryAsync(owner, endpointId);
        delivery["status"]!.GetValue<string>().ShouldBe("succeeded", "recorded by the node that stopped, before it stopped");
        delivery["attempts"]!.GetValue<int>().ShouldBe(1);
        // Even were the lease to run out now, nothing is left to send.
        second.Clock.Advance(TimeSpan.FromMinutes(1));
        await Task.Delay(TimeSpan.FromSeconds(1));
        receiver.Requests.Count.ShouldBe(1);
    }

    [Fact]
    public async Task ADeliveryOutlastingTheDrainIsAbortedAndSentAgainAfterARestart()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var first = Node(drainSeconds: "0.5");
        var (token, endpointId) = await DeliveryInFlightAsync(first, receiver);

        var stopping = Stopwatch.StartNew();
        await first.DisposeAsync();
        stopping.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(8), "the delivery was aborted at the drain, not waited for until its 10 s timeout");
        receiver.Release(); // answers from now on

        await using var second = Node(drainSeconds: "0.5");
        using var owner = second.Client().WithBearer(token);
        (await OnlyDeliveryAsync(owner, endpointId))["status"]!.GetValue<string>().ShouldBe("pending", "never recorded: still leased");
        second.Clock.Advance(TimeSpan.FromMinutes(1)); // the aborted delivery's lease (10 + 15 s) has run out
        var received = await receiver.WaitForAsync(_ => true, count: 2);
        received.Select(r => r.Headers["webhook-id"]).Distinct().Count().ShouldBe(1, "the same event, sent again");
        var delivery = await owner.SingleDeliveryOnceAsync(endpointId, "succeeded");
        delivery["status"]!.GetValue<string>().ShouldBe("succeeded");
        delivery["attempts"]!.GetValue<int>().ShouldBe(1, "the aborted attempt was never recorded");
    }

    /// <summary>Signs up on <paramref name="node"/>, subscribes the receiver, and writes a contact whose delivery the receiver holds.</summary>
    private static async Task<(string Token, string EndpointId)> DeliveryInFlightAsync(SwitchboardFactory node, WebhookReceiver receiver)
    {
        using var owner = node.Client();
        await owner.SignupAsync();
        var endpoint = await ApiClient.ReadAsync(await owner.PostAsync("/api/v1/webhooks", new { url = receiver.Url, events = new[] { "contact.created" } }));
        receiver.Hold();
        (await owner.PostAsync("/api/v1/contacts", new { firstName = "Ada" })).StatusCode.ShouldBe(HttpStatusCode.Created);
        await receiver.WaitForAsync(_ => true);
        return (owner.AccessToken!, endpoint["id"]!.GetValue<string>());
    }

    private static async Task<JsonNode> OnlyDeliveryAsync(ApiClient owner, string endpointId) =>
        (await owner.GetJsonAsync($"/api/v1/webhooks/{endpointId}/deliveries"))["data"]!.AsArray().Single()!;

    protected string EncryptionKey => _encryptionKey;
}

public sealed class GracefulStopTestsOnSqlite : GracefulStopTests
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), "switchboard-tests", $"stop-{Guid.NewGuid():N}.db");

    protected override SwitchboardFactory NewNode() => new SqliteNode(_path) { EncryptionKey = EncryptionKey };

    public override void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var suffix in new[] { "", "-wal", "-shm" }) File.Delete(_path + suffix);
    }

    /// <summary>A node on a given file, which outlives it (the next node opens it again).</summary>
    private sealed class SqliteNode(string path) : SwitchboardFactory
    {
        public override string Provider => "sqlite";
        public override string ConnectionString => $"Data Source={path}";

        public override async ValueTask DisposeAsync()
        {
            await base.DisposeAsync();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools(); // its pooled connections hold the file exclusively
        }
    }
}

public sealed class GracefulStopTestsOnPostgres : GracefulStopTests
{
    private readonly PostgresDatabase _database = PostgresDatabase.Create();

    protected override SwitchboardFactory NewNode() => new PostgresNode(_database.Share()) { EncryptionKey = EncryptionKey };

    public override void Dispose() => _database.Release();

    private sealed class PostgresNode(PostgresDatabase database) : PostgresSwitchboard(database);
}

using System.Net;
using System.Text.Json.Nodes;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Webhooks;

/// <summary>One delivery loop, so both deliveries of an event are leased, sent and recorded as one batch.</summary>
public sealed class SingleLoopSqliteSwitchboard : SqliteSwitchboard
{
    public SingleLoopSqliteSwitchboard() => With("Switchboard:Webhooks:Loops", "1");
}

public sealed class SingleLoopPostgresSwitchboard : PostgresSwitchboard
{
    public SingleLoopPostgresSwitchboard() => With("Switchboard:Webhooks:Loops", "1");
}

/// <summary>
/// An endpoint deleted while one of its deliveries is in flight takes that delivery along; the other deliveries of the
/// same batch must still be recorded (not left leased, to be sent again when the lease runs out).
/// </summary>
public abstract class EndpointDeletedInFlightTests<TFactory>(TFactory node) : IClassFixture<TFactory> where TFactory : SwitchboardFactory
{
    [Fact]
    public async Task TheRestOfTheBatchIsRecordedOnceAndNotSentAgain()
    {
        using var owner = node.Client();
        await owner.SignupAsync();
        await using var slow = await WebhookReceiver.StartAsync();
        await using var fast = await WebhookReceiver.StartAsync();
        slow.Hold();
        var doomed = await ApiClient.ReadAsync(await owner.PostAsync("/api/v1/webhooks", new { url = slow.Url, events = new[] { "contact.created" } }));
        var kept = await ApiClient.ReadAsync(await owner.PostAsync("/api/v1/webhooks", new { url = fast.Url, events = new[] { "contact.created" } }));

        (await owner.PostAsync("/api/v1/contacts", new { firstName = "Ada" })).StatusCode.ShouldBe(HttpStatusCode.Created);
        await slow.WaitForAsync(_ => true);
        await fast.WaitForAsync(_ => true);
        // Both were sent by one batch; the batch now waits on the held receiver. Delete that endpoint, then let it answer.
        (await owner.DeleteAsync($"/api/v1/webhooks/{doomed["id"]}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        slow.Release();

        var delivery = await owner.SingleDeliveryOnceAsync(kept["id"]!.GetValue<string>(), "succeeded");
        delivery["status"]!.GetValue<string>().ShouldBe("succeeded", "the kept endpoint's delivery is recorded with its batch");
        delivery["attempts"]!.GetValue<int>().ShouldBe(1);
        (await owner.GetAsync($"/api/v1/webhooks/{doomed["id"]}/deliveries")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        fast.Requests.Count.ShouldBe(1);
    }
}

public sealed class EndpointDeletedInFlightTestsOnSqlite(SingleLoopSqliteSwitchboard node) : EndpointDeletedInFlightTests<SingleLoopSqliteSwitchboard>(node);
public sealed class EndpointDeletedInFlightTestsOnPostgres(SingleLoopPostgresSwitchboard node) : EndpointDeletedInFlightTests<SingleLoopPostgresSwitchboard>(node);

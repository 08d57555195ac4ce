using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Switchboard.Tests.Infrastructure;
using Switchboard.Tests.OAuth;
using Switchboard.Webhooks;

namespace Switchboard.Tests.Webhooks;

/// <summary>
/// The delivery log's filters (<c>GET /api/v1/webhooks/{id}/deliveries</c>), the bulk retry that takes the same filter
/// (<c>POST /api/v1/webhooks/{id}/deliveries/retry</c>), the health the list shows, and the event catalog's examples,
/// against a real receiver on loopback.
/// </summary>
public abstract class DeliveryFilterTests<TNode>(TNode node) : IClassFixture<TNode> where TNode : SwitchboardFactory
{
    private static async Task<string> CreateAsync(ApiClient api, string path, object body)
    {
        var response = await api.PostAsync(path, body);
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await ApiClient.ReadAsync(response))["id"]!.GetValue<string>();
    }

    private static async Task<JsonArray> DeliveriesAsync(ApiClient api, string endpointId, string query = "") =>
        (await api.GetJsonAsync($"/api/v1/webhooks/{endpointId}/deliveries{query}"))["data"]!.AsArray();

    /// <summary>An owner, a receiver and an endpoint subscribed to everything, with two contacts and a deal delivered to it.</summary>
    private async Task<(ApiClient Api, WebhookReceiver Receiver, string EndpointId, string[] ContactIds, string DealId)> DeliveredAsync()
    {
        var api = node.Client();
        await api.SignupAsync();
        var receiver = await WebhookReceiver.StartAsync();
        var endpointId = await CreateAsync(api, "/api/v1/webhooks", new { url = receiver.Url, events = new[] { "contact.created", "deal.created" } });
        var contacts = new[] { await CreateAsync(api, "/api/v1/contacts", new { firstName = "Ada", email = "ada@example.com" }),
            await CreateAsync(api, "/api/v1/contacts", new { firstName = "Grace", email = "grace@example.com" }) };
        var deal = await CreateAsync(api, "/api/v1/deals", new { name = "Annual plan", amount = 1200, currency = "USD" });
        await receiver.WaitForAsync(_ => true, count: 3);
        for (var i = 0; i < 100 && (await DeliveriesAsync(api, endpointId, "?status=succeeded")).Count < 3; i++) await Task.Delay(50);
        return (api, receiver, endpointId, contacts, deal);
    }

    [Fact]
    public async Task TheDeliveryLogFiltersByEventTypeEventDeliveryAndTimeAndShowsTheBodySent()
    {
        var (api, receiver, endpointId, contacts, dealId) = await DeliveredAsync();
        using var _ = api;
        await using var __ = receiver;

        var all = await DeliveriesAsync(api, endpointId);
        all.Count.ShouldBe(3);
        var dealDelivery = all.Single(d => d!["eventType"]!.GetValue<string>() == "deal.created")!;
        // The body sent is the body received, byte for byte.
        var sent = dealDelivery["payload"]!.GetValue<string>();
        receiver.Requests.Select(r => r.Body).ShouldContain(sent);
        sent.ShouldContain(dealId);

        (await DeliveriesAsync(api, endpointId, "?eventType=deal.created")).Select(d => d!["id"]!.GetValue<string>()).ShouldBe([dealDelivery["id"]!.GetValue<string>()]);
        (await DeliveriesAsync(api, endpointId, "?eventType=contact.*")).Count.ShouldBe(2);
        (await DeliveriesAsync(api, endpointId, "?eventType=contact.updated")).ShouldBeEmpty();
        var eventId = dealDelivery["eventId"]!.GetValue<string>();
        (await DeliveriesAsync(api, endpointId, $"?eventId={eventId}")).Single()!["eventId"]!.GetValue<string>().ShouldBe(eventId);
        var deliveryId = all[0]!["id"]!.GetValue<string>();
        (await DeliveriesAsync(api, endpointId, $"?deliveryId={deliveryId}&status=succeeded")).Single()!["id"]!.GetValue<string>().ShouldBe(deliveryId);
        (await DeliveriesAsync(api, endpointId, $"?deliveryId={deliveryId}&status=dead")).ShouldBeEmpty();

        var now = node.Clock.GetUtcNow().UtcDateTime;
        string At(DateTime t) => Uri.EscapeDataString(t.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        (await DeliveriesAsync(api, endpointId, $"?createdAfter={At(now.AddMinutes(-10))}&createdBefore={At(now.AddMinutes(1))}")).Count.ShouldBe(3);
        (await DeliveriesAsync(api, endpointId, $"?createdAfter={At(now.AddMinutes(1))}")).ShouldBeEmpty();
        (await DeliveriesAsync(api, endpointId, $"?createdBefore={At(now.AddMinutes(-10))}")).ShouldBeEmpty();

        // Keyset paging keeps the filter: the next page link carries it.
        var firstPage = await api.GetAsync($"/api/v1/webhooks/{endpointId}/deliveries?eventType=contact.*&limit=1");
        var link = firstPage.Headers.GetValues("Link").Single();
        link.ShouldContain("eventType=contact.");
        var next = (await ApiClient.ReadAsync(firstPage))["nextCursor"]!.GetValue<string>();
        var second = await DeliveriesAsync(api, endpointId, $"?eventType=contact.*&limit=1&cursor={Uri.EscapeDataString(next)}");
        second.Single()!["eventType"]!.GetValue<string>().ShouldBe("contact.created");
        contacts.Any(c => second.Single()!["payload"]!.GetValue<string>().Contains(c, StringComparison.Ordinal)).ShouldBeTrue();
    }

    [Theory]
    [InlineData("status=failed", "status")]
    [InlineData("eventType=Contact%20Created", "eventType")]
    [InlineData("eventId=evt_nope", "eventId")]
    [InlineData("deliveryId=evt_01JD4V2Q8M3ZC5X7T9W1E6R0YB", "deliveryId")]
    [InlineData("createdAfter=yesterday", "createdAfter")]
    [InlineData("createdAfter=2026-12-02T00:00:00Z&createdBefore=2026-12-01T00:00:00Z", "createdBefore")]
    public async Task ABadFilterIsA400NamingTheParameter(string query, string field)
    {
        using var api = node.Client();
        await api.SignupAsync();
        var endpointId = await CreateAsync(api, "/api/v1/webhooks", new { url = "http://127.0.0.1:9/hook", events = new[] { "*" } });
        var problem = await (await api.GetAsync($"/api/v1/webhooks/{endpointId}/deliveries?{query}")).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        problem["errors"]![field].ShouldNotBeNull(problem.ToJsonString());
        // The bulk retry's body is checked by the same rules.
        var body = System.Web.HttpUtility.ParseQueryString(query);
        var json = new JsonObject();
        foreach (var key in body.AllKeys) json[key!] = body[key];
        var retry = await api.SendRawAsync(HttpMethod.Post, $"/api/v1/webhooks/{endpointId}/deliveries/retry", json.ToJsonString());
        // (A time that is no time fails JSON binding, malformed_json, before the validator; the field is named either way.)
        retry.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var retryProblem = await ApiClient.ReadAsync(retry);
        retryProblem["errors"]!.AsObject().Select(e => e.Key).ShouldHaveSingleItem().ShouldBe(field, StringCompareShould.IgnoreCase);
    }

    [Fact]
    public async Task BulkRetryCountsFirstThenSendsAgainEveryFailedDeliveryTheFilterSelects()
    {
        var (api, receiver, endpointId, _, _) = await DeliveredAsync();
        using var __ = api;
        await using var ___ = receiver;
        // The contacts' deliveries used up their retries (dead); the deal's succeeded.
        await node.WithDbAsync(db => db.Set<WebhookDelivery>().IgnoreQueryFilters().Where(d => d.EndpointId == endpointId && d.EventType == "contact.created")
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.Status, DeliveryStatus.Dead).SetProperty(d => d.NextAttemptAt, DateTime.UtcNow.AddDays(30))));
        var before = receiver.Requests.Count;
        var retryPath = $"/api/v1/webhooks/{endpointId}/deliveries/retry";

        (await ApiClient.ReadAsync(await api.PostAsync(retryPath, new { dryRun = true })))["deliveries"]!.GetValue<int>().ShouldBe(2); // failed ones only
        (await ApiClient.ReadAsync(await api.PostAsync(retryPath, new { eventType = "deal.created", dryRun = true })))["deliveries"]!.GetValue<int>().ShouldBe(0);
        (await ApiClient.ReadAsync(await api.PostAsync(retryPath, new { status = "succeeded", dryRun = true })))["deliveries"]!.GetValue<int>().ShouldBe(1);
        await Task.Delay(300);
        receiver.Requests.Count.ShouldBe(before); // a dry run sends nothing

        // Another organization cannot see or retry them; a read-only key may not retry.
        using (var stranger = node.Client())
        {
            await stranger.SignupAsync();
            await (await stranger.PostAsync(retryPath, new { dryRun = true })).ShouldBeProblemAsync(HttpStatusCode.NotFound, "not_found");
        }
        var readKey = (await api.CreateKeyAsync("webhooks:read"))["key"]!.GetValue<string>();
        using (var reader = node.Client().WithApiKey(readKey))
            await (await reader.PostAsync(retryPath, new { })).ShouldBeProblemAsync(HttpStatusCode.Forbidden, "insufficient_scope");

        using var request = new HttpRequestMessage(HttpMethod.Post, retryPath) { Content = JsonContent.Create(new { eventType = "contact.*" }) };
        request.Headers.Add("Idempotency-Key", "bulk-retry-1");
        var retried = await api.Http.SendAsync(request);
        retried.StatusCode.ShouldBe(HttpStatusCode.OK);
        var answer = await ApiClient.ReadAsync(retried);
        answer["deliveries"]!.GetValue<int>().ShouldBe(2);
        answer["dryRun"]!.GetValue<bool>().ShouldBeFalse();
        await receiver.WaitForAsync(_ => true, count: before + 2);
        for (var i = 0; i < 100 && (await DeliveriesAsync(api, endpointId, "?status=succeeded")).Count < 3; i++) await Task.Delay(50);
        (await DeliveriesAsync(api, endpointId, "?status=succeeded")).Count.ShouldBe(3);

        // The same key again replays the first answer instead of retrying twice.
        using var again = new HttpRequestMessage(HttpMethod.Post, retryPath) { Content = JsonContent.Create(new { eventType = "contact.*" }) };
        again.Headers.Add("Idempotency-Key", "bulk-retry-1");
        var replayed = await api.Http.SendAsync(again);
        replayed.Headers.GetValues("Idempotent-Replayed").Single().ShouldBe("true");
        (await ApiClient.ReadAsync(replayed))["deliveries"]!.GetValue<int>().ShouldBe(2);
        await Task.Delay(300);
        receiver.Requests.Count.ShouldBe(before + 2);
        (await api.GetJsonAsync("/api/v1/audit-logs?action=webhook.deliveries_retried"))["data"]!.AsArray().Count.ShouldBe(1);
    }

    [Fact]
    public async Task TheListShowsEachEndpointsHealth()
    {
        var (api, receiver, endpointId, _, _) = await DeliveredAsync();
        using var _ = api;
        await using var __ = receiver;
        var listed = (await api.GetJsonAsync("/api/v1/webhooks"))["data"]!.AsArray().Single()!;
        listed["id"]!.GetValue<string>().ShouldBe(endpointId);
        listed["health"]!["attemptsLast24h"]!.GetValue<long>().ShouldBe(3);
        listed["health"]!["successRateLast24h"]!.GetValue<double>().ShouldBe(100);
        listed["health"]!["lastSuccessAt"].ShouldNotBeNull();
    }

    [Fact]
    public async Task EveryEventTypeComesWithAnExampleOfTheBodyAReceiverGets()
    {
        using var api = node.Client();
        await api.SignupAsync();
        var catalog = (await api.GetJsonAsync("/api/v1/webhooks/event-types"))["data"]!.AsArray();
        catalog.Count.ShouldBeGreaterThan(10);
        foreach (var entry in catalog)
        {
            var type = entry!["type"]!.GetValue<string>();
            var example = entry["example"]!.AsObject();
            example["type"]!.GetValue<string>().ShouldBe(type);
            example["id"]!.GetValue<string>().ShouldStartWith("evt_");
            example["data"].ShouldBeOfType<JsonObject>(type);
            (example["previousAttributes"] is not null).ShouldBe(type.EndsWith(".updated", StringComparison.Ordinal), type);
        }
        var contact = catalog.Single(e => e!["type"]!.GetValue<string>() == "contact.created")!["example"]!["data"]!;
        contact["email"]!.GetValue<string>().ShouldContain("@");
        contact["id"]!.GetValue<string>().ShouldStartWith("con_");
    }
}

public sealed class DeliveryFilterTestsOnSqlite(SqliteSwitchboard node) : DeliveryFilterTests<SqliteSwitchboard>(node);
public sealed class DeliveryFilterTestsOnPostgres(PostgresSwitchboard node) : DeliveryFilterTests<PostgresSwitchboard>(node);

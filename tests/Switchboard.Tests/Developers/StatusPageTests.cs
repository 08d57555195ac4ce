using System.Net;
using System.Text.Json.Nodes;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Developers;

/// <summary>The live status page of a node, on each database.</summary>
public abstract class StatusPageTests<TFactory>(TFactory node) : IClassFixture<TFactory> where TFactory : SwitchboardFactory
{
    /// <summary>Reads status.json until it satisfies <paramref name="ready"/> (the workers pass every 50 ms in tests; reports are reused for 2 s).</summary>
    private static async Task<JsonObject> StatusAsync(ApiClient client, Func<JsonObject, bool> ready)
    {
        JsonObject status;
        var deadline = DateTime.UtcNow.AddSeconds(20);
        do
        {
            status = await client.GetJsonAsync("/developers/status.json");
            if (ready(status)) return status;
            await Task.Delay(250);
        } while (DateTime.UtcNow < deadline);
        return status;
    }

    [Fact]
    public async Task StatusShowsTheNodeTheDatabaseAndTheWebhookWorkersUp()
    {
        using var client = node.Client();
        var status = await StatusAsync(client, s => s["status"]!.GetValue<string>() == "operational");
        status["status"]!.GetValue<string>().ShouldBe("operational", status.ToJsonString());
        status["checkedAt"]!.GetValue<string>().ShouldEndWith("Z", Case.Sensitive, "timestamps are UTC, as everywhere in the API");
        var checkedAt = status["checkedAt"]!.GetValue<DateTimeOffset>();
        checkedAt.ShouldBeInRange(node.Clock.GetUtcNow().AddMinutes(-1), node.Clock.GetUtcNow().AddSeconds(1));

        var nodeStatus = status["node"]!;
        nodeStatus["status"]!.GetValue<string>().ShouldBe("up");
        nodeStatus["version"]!.GetValue<string>().ShouldNotBeNullOrWhiteSpace();
        nodeStatus["startedAt"]!.GetValue<DateTimeOffset>().ShouldBeLessThanOrEqualTo(checkedAt);
        nodeStatus["uptimeSeconds"]!.GetValue<long>().ShouldBeInRange(0, 3600);

        var database = status["database"]!;
        database["status"]!.GetValue<string>().ShouldBe("up");
        database["provider"]!.GetValue<string>().ShouldBe(node.Provider);
        database["latencyMs"]!.GetValue<double>().ShouldBeInRange(0, 3000);

        var webhooks = status["webhooks"]!;
        webhooks["status"]!.GetValue<string>().ShouldBe("up");
        foreach (var worker in new[] { webhooks["dispatcher"]!, webhooks["delivery"]! })
        {
            worker["status"]!.GetValue<string>().ShouldBe("up");
            worker["lastPassAt"]!.GetValue<DateTimeOffset>().ShouldBeInRange(checkedAt.AddSeconds(-30), checkedAt);
            worker["lastFailureAt"].ShouldBeNull();
            worker["itemsHandled"]!.GetValue<long>().ShouldBeGreaterThanOrEqualTo(0);
        }
        var backlog = webhooks["backlog"]!;
        foreach (var count in new[] { "undispatchedEvents", "dueDeliveries", "scheduledDeliveries" })
            backlog[count]!.GetValue<long>().ShouldBeGreaterThanOrEqualTo(0);
    }

    [Fact]
    public async Task StatusPageShowsTheDatabaseUp()
    {
        using var client = node.Client();
        await StatusAsync(client, s => s["status"]!.GetValue<string>() == "operational");
        var response = await client.GetAsync("/developers/status");
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/html");
        response.Headers.CacheControl!.NoStore.ShouldBeTrue();
        var html = await response.Content.ReadAsStringAsync();
        html.ShouldContain("<title>API status · Switchboard developers</title>");
        var database = html[html.IndexOf("<h2 id=\"database\">", StringComparison.Ordinal)..html.IndexOf("<h2 id=\"webhooks\">", StringComparison.Ordinal)];
        database.ShouldContain("<span class=\"state up\">up</span>");
        database.ShouldContain(node.Provider);
        html.ShouldContain("All systems operational.");
    }

    [Fact]
    public async Task StatusCountsTheWebhookWorkersWorkWithoutNamingAnyTenant()
    {
        using var owner = node.Client();
        await owner.SignupAsync(organization: "Status Probe Org");
        await using var receiver = await WebhookReceiver.StartAsync();
        var created = await owner.SendRawAsync(HttpMethod.Post, "/api/v1/webhooks", "{\"url\":\"" + receiver.Url + "\",\"events\":[\"contact.*\"]}");
        created.StatusCode.ShouldBe(HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        var endpointId = (await ApiClient.ReadAsync(created))["id"]!.GetValue<string>();
        var before = await StatusAsync(owner, _ => true);
        var dispatchedBefore = before["webhooks"]!["dispatcher"]!["itemsHandled"]!.GetValue<long>();
        var deliveredBefore = before["webhooks"]!["delivery"]!["itemsHandled"]!.GetValue<long>();

        var contact = await owner.SendRawAsync(HttpMethod.Post, "/api/v1/contacts", """{"firstName":"Statusa","email":"statusa@example.com"}""");
        contact.StatusCode.ShouldBe(HttpStatusCode.Created);
        await receiver.WaitForAsync(r => r.Body.Contains("statusa@example.com", StringComparison.Ordinal));

        var after = await StatusAsync(owner, s => s["webhooks"]!["delivery"]!["itemsHandled"]!.GetValue<long>() > deliveredBefore);
        var webhooks = after["webhooks"]!;
        webhooks["dispatcher"]!["itemsHandled"]!.GetValue<long>().ShouldBeGreaterThan(dispatchedBefore);
        webhooks["delivery"]!["itemsHandled"]!.GetValue<long>().ShouldBeGreaterThan(deliveredBefore);
        webhooks["delivery"]!["lastWorkAt"]!.GetValue<DateTimeOffset>().ShouldBeGreaterThan(before["checkedAt"]!.GetValue<DateTimeOffset>().AddSeconds(-1));

        // Aggregates only: nothing that names or identifies an organization, endpoint or record.
        var text = after.ToJsonString() + await owner.Anonymous().Http.GetStringAsync("/developers/status");
        foreach (var secret in new[] { owner.OrganizationId!, "Status Probe Org", endpointId, receiver.Url, "statusa" })
            text.ShouldNotContain(secret);
    }
}

public sealed class StatusPageTestsOnSqlite(SqliteSwitchboard node) : StatusPageTests<SqliteSwitchboard>(node);
public sealed class StatusPageTestsOnPostgres(PostgresSwitchboard node) : StatusPageTests<PostgresSwitchboard>(node);

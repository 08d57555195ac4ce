using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Integrations;
using Switchboard.Integrations.Connectors;
using Switchboard.Platform.Storage;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Integrations;

/// <summary>
/// The HubSpot connector beyond syncs: its webhooks' v3 signature (checked here with HubSpot's documented recipe, not
/// the connector's code), its actions on the contact timeline, and a refresh HubSpot refuses. The inbound route is
/// another part's; the connector is called as that route calls it.
/// </summary>
public abstract class HubSpotTests<TNode>(TNode fixture) : IClassFixture<TNode> where TNode : SyncNode
{
    private SwitchboardFactory Node => fixture.Node;
    private HubSpotFake Fake => fixture.Fake;

    /// <summary>HubSpot's recipe: base64(HMAC-SHA256(client secret, method + URI + body + timestamp)).</summary>
    private static string Signature(string secret, string method, string uri, string body, string timestamp) =>
        Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(method + uri + body + timestamp)));

    private async Task<InboundResult> ReceiveAsync(string installationId, string body, Func<string, string, Dictionary<string, string>> headers)
    {
        await using var scope = Node.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
        var installation = await db.Set<IntegrationInstallation>().IgnoreQueryFilters().SingleAsync(i => i.Id == installationId);
        var (connector, context) = scope.ServiceProvider.GetRequiredService<ConnectorContexts>().For(installation, scope.ServiceProvider);
        var uri = $"https://hooks.switchboard.test/api/v1/integrations/{installationId}/inbound/events";
        var all = headers(uri, body);
        all["Host"] = "hooks.switchboard.test";
        return await connector.ReceiveAsync(context, "events", new InboundRequest("POST", Encoding.UTF8.GetBytes(body), all, new Dictionary<string, string>()),
            CancellationToken.None);
    }

    private Task<int> WebhookRunsAsync(string installationId) =>
        Node.WithDbAsync(db => db.Set<IntegrationSyncRun>().IgnoreQueryFilters().CountAsync(r => r.InstallationId == installationId && r.Trigger == "webhook"));

    [Fact]
    public async Task AWebhookSignedByHubSpotQueuesAnIncrementalSyncAndAForgedOneChangesNothing()
    {
        using var client = Node.Client();
        var organization = (await client.SignupAsync())["organization"]!["id"]!.GetValue<string>();
        var portal = Fake.NewPortal();
        var installation = await Node.InstallHubSpotAsync(organization, portal);
        var body = """[{"eventId":1,"subscriptionId":7,"portalId":62515,"occurredAt":1700000000000,"subscriptionType":"contact.propertyChange","attemptNumber":0,"objectId":123,"propertyName":"email","propertyValue":"a@example.com","changeSource":"CRM"}]""";
        var now = Node.Clock.GetUtcNow().ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        Dictionary<string, string> Signed(string secret, string timestamp, string uri, string signedBody) => new()
        {
            ["X-HubSpot-Signature-v3"] = Signature(secret, "POST", uri, signedBody, timestamp), ["X-HubSpot-Request-Timestamp"] = timestamp,
        };

        // Forged: another secret; the body changed after signing; a replay six minutes old; no signature at all.
        (await ReceiveAsync(installation, body, (uri, b) => Signed("not-the-secret", now, uri, b))).Status.ShouldBe(401);
        (await ReceiveAsync(installation, body, (uri, b) => Signed(HubSpotFake.ClientSecret, now, uri, b.Replace("123", "124", StringComparison.Ordinal)))).Status.ShouldBe(401);
        var stale = Node.Clock.GetUtcNow().AddMinutes(-6).ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        (await ReceiveAsync(installation, body, (uri, b) => Signed(HubSpotFake.ClientSecret, stale, uri, b))).Status.ShouldBe(401);
        (await ReceiveAsync(installation, body, (_, _) => new() { ["X-HubSpot-Request-Timestamp"] = now })).Status.ShouldBe(401);
        (await WebhookRunsAsync(installation)).ShouldBe(0);

        (await ReceiveAsync(installation, body, (uri, b) => Signed(HubSpotFake.ClientSecret, now, uri, b))).Status.ShouldBe(200);
        var run = await Node.WithDbAsync(db => db.Set<IntegrationSyncRun>().IgnoreQueryFilters().SingleAsync(r => r.InstallationId == installation && r.Trigger == "webhook"));
        run.Model.ShouldBe("contacts");
        (await client.WaitForRunAsync(installation, run.Id))["status"]!.GetValue<string>().ShouldBe("succeeded");
        Fake.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task CallsAndNotesGoOnTheLinkedContactsTimelineAndADealIsCreatedForIt()
    {
        using var client = Node.Client();
        var organization = (await client.SignupAsync())["organization"]!["id"]!.GetValue<string>();
        var portal = Fake.NewPortal();
        var remote = portal.Add("contacts", new() { ["firstname"] = "Lin", ["email"] = "lin@example.com" });
        var installation = await Node.InstallHubSpotAsync(organization, portal);
        await client.SyncAsync(installation, "contacts");
        var local = (await client.GetJsonAsync("/api/v1/contacts?email=lin@example.com"))["data"]![0]!["id"]!.GetValue<string>();

        await using var scope = Node.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
        var row = await db.Set<IntegrationInstallation>().IgnoreQueryFilters().SingleAsync(i => i.Id == installation);
        var (connector, context) = scope.ServiceProvider.GetRequiredService<ConnectorContexts>().For(row, scope.ServiceProvider);

        (await connector.RunActionAsync(context, "log_call", new JsonObject
        {
            ["contactId"] = local, ["title"] = "Intro", ["body"] = "Talked pricing", ["direction"] = "OUTBOUND", ["durationSeconds"] = 90,
        }, CancellationToken.None)).Status.ShouldBe(201);
        (await connector.RunActionAsync(context, "add_note", new JsonObject { ["contactId"] = remote.Id, ["body"] = "Sent the deck" }, CancellationToken.None))
            .Status.ShouldBe(201);
        var engagements = portal.Engagements.ToList();
        engagements.Count.ShouldBe(2);
        engagements[0]["type"]!.GetValue<string>().ShouldBe("calls");
        engagements[0]["associations"]![0]!["to"]!["id"]!.GetValue<string>().ShouldBe(remote.Id); // con_… resolved through the id map
        engagements[0]["properties"]!["hs_call_duration"]!.GetValue<string>().ShouldBe("90000");
        engagements[1]["properties"]!["hs_note_body"]!.GetValue<string>().ShouldBe("Sent the deck");

        (await connector.RunActionAsync(context, "create_deal", new JsonObject { ["name"] = "Qualified: Lin", ["amount"] = 1200, ["contactId"] = local },
            CancellationToken.None)).Status.ShouldBe(201);
        var deal = portal.Deals.Values.ShouldHaveSingleItem();
        (deal.Properties["dealname"], deal.Properties["dealstage"], deal.Properties["amount"]).ShouldBe(("Qualified: Lin", "qualifiedtobuy", "1200"));

        var unlinked = await Should.ThrowAsync<ProviderException>(() => connector.RunActionAsync(context, "add_note",
            new JsonObject { ["contactId"] = "con_01JBZZZZZZZZZZZZZZZZZZZZZZ", ["body"] = "x" }, CancellationToken.None));
        unlinked.Retryable.ShouldBeFalse();
        (await connector.TestAsync(context, CancellationToken.None)).IsSuccess.ShouldBeTrue();
        Fake.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task ARefreshHubSpotRefusesFailsTheRunAndAsksForAReconnection()
    {
        using var client = Node.Client();
        var organization = (await client.SignupAsync())["organization"]!["id"]!.GetValue<string>();
        var portal = Fake.NewPortal();
        var installation = await Node.InstallHubSpotAsync(organization, portal, refreshToken: "rt-revoked");
        Fake.Expire(portal);
        var run = (await client.StartSyncAsync(installation, "contacts")).Single()!;
        var done = await client.WaitForRunAsync(installation, run["id"]!.GetValue<string>());
        done["status"]!.GetValue<string>().ShouldBe("failed");
        done["errors"]!.AsArray().Select(e => e!.GetValue<string>()).ShouldContain(e => e.Contains("BAD_REFRESH_TOKEN", StringComparison.Ordinal));
        var row = await Node.WithDbAsync(db => db.Set<IntegrationInstallation>().IgnoreQueryFilters().SingleAsync(i => i.Id == installation));
        row.Status.ShouldBe(InstallationStatus.NeedsReauth);
        (await Node.WithDbAsync(db => db.OutboxEvents.IgnoreQueryFilters().Where(e => e.ResourceId == installation).Select(e => e.Type).ToListAsync()))
            .ShouldBe([IntegrationResources.AuthFailedEvent, IntegrationResources.SyncFailedEvent], ignoreOrder: true);
    }
}

public sealed class HubSpotTestsOnSqlite(SqliteSyncNode fixture) : HubSpotTests<SqliteSyncNode>(fixture);
public sealed class HubSpotTestsOnPostgres(PostgresSyncNode fixture) : HubSpotTests<PostgresSyncNode>(fixture);

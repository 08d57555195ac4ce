using System.Net;
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
/// The Trello connector against <see cref="TrelloFake"/>: the stage lists made once; cards of deals (in their stage's
/// list) and tasks made once per record; Trello's plain-text refusals, its 429 and a revoked token; the webhook created
/// after Trello's HEAD check; a card moved to another stage's list moving the deal, a forged delivery refused, and a card
/// moved because its deal moved not moving the deal again.
/// </summary>
public abstract class TrelloTests<TNode>(TNode node) : IClassFixture<TNode> where TNode : SwitchboardFactory
{
    private TrelloFake Fake => node switch
    {
        TrelloSqliteNode s => s.Trello,
        TrelloPostgresNode p => p.Trello,
        _ => throw new InvalidOperationException(),
    };

    private async Task<(ApiClient Owner, string Installation)> InstallAsync(TrelloFake.Board board, JsonObject? stageLists = null)
    {
        var owner = node.Client();
        await owner.SignupAsync();
        var config = new JsonObject { ["apiToken"] = board.Token, ["boardId"] = board.Id };
        if (stageLists is not null) config["stageLists"] = stageLists;
        var response = await owner.PostAsync("/api/v1/integrations", new JsonObject { ["provider"] = "trello", ["name"] = "Pipeline board", ["config"] = config });
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        var installation = await ApiClient.ReadAsync(response);
        installation["status"]!.GetValue<string>().ShouldBe("active");
        installation.ToJsonString().ShouldNotContain(board.Token);
        return (owner, installation["id"]!.GetValue<string>());
    }

    private async Task<T> WithConnectorAsync<T>(string installationId, Func<Connector, ConnectorContext, Task<T>> use)
    {
        await using var scope = node.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
        var installation = await db.Set<IntegrationInstallation>().IgnoreQueryFilters().SingleAsync(i => i.Id == installationId);
        var (connector, context) = scope.ServiceProvider.GetRequiredService<ConnectorContexts>().For(installation, scope.ServiceProvider);
        return await use(connector, context);
    }

    private async Task<JsonNode> ActAsync(string installation, string action, JsonObject input) =>
        JsonNode.Parse((await WithConnectorAsync(installation, (connector, context) => connector.RunActionAsync(context, action, input, CancellationToken.None))).Body)!;

    private static async Task<string> DealAsync(ApiClient owner, string name, string stage)
    {
        var response = await owner.PostAsync("/api/v1/deals", new { name, stage });
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await ApiClient.ReadAsync(response))["id"]!.GetValue<string>();
    }

    [Fact]
    public async Task StageListsAndCardsAreMadeOnceAndTrellosRefusalsAreExplained()
    {
        var board = Fake.NewBoard();
        var (owner, installation) = await InstallAsync(board);
        using var _ = owner;
        (await ActAsync(installation, "ensure_stage_lists", []))["created"]!.AsArray().Count.ShouldBe(7);
        (await ActAsync(installation, "ensure_stage_lists", []))["created"]!.AsArray().Count.ShouldBe(0);
        board.Lists.Values.Select(l => l["name"]!.GetValue<string>()).ShouldBe(["To Do", "Lead", "Qualification", "Proposal", "Negotiation", "Won", "Lost", "Tasks"], ignoreOrder: true);

        var deal = await DealAsync(owner, "Acme renewal", "qualification");
        var card = await ActAsync(installation, "create_card", new JsonObject { ["dealId"] = deal });
        card["created"]!.GetValue<bool>().ShouldBeTrue();
        var made = board.Cards.Values.ShouldHaveSingleItem();
        (made["name"]!.GetValue<string>(), made["idList"]!.GetValue<string>()).ShouldBe(("Acme renewal", board.ListNamed("Qualification")));
        (await ActAsync(installation, "create_card", new JsonObject { ["dealId"] = deal }))["created"]!.GetValue<bool>().ShouldBeFalse();
        await node.WithDbAsync(db => db.Set<IntegrationRecordLink>().IgnoreQueryFilters().Where(l => l.InstallationId == installation).ExecuteDeleteAsync());
        var found = await ActAsync(installation, "create_card", new JsonObject { ["dealId"] = deal });
        (found["created"]!.GetValue<bool>(), found["id"]!.GetValue<string>()).ShouldBe((false, card["id"]!.GetValue<string>()), "found again by its description's marker");
        board.Cards.Count.ShouldBe(1);

        var task = (await ApiClient.ReadAsync(await owner.PostAsync("/api/v1/tasks", new { title = "Send the contract" })))["id"]!.GetValue<string>();
        (await ActAsync(installation, "create_card", new JsonObject { ["taskId"] = task }))["idList"]!.GetValue<string>().ShouldBe(board.ListNamed("Tasks"));

        var calls = Fake.Provider.Requests.Count;
        (await Should.ThrowAsync<ProviderException>(() => ActAsync(installation, "create_card", new JsonObject { ["dealId"] = deal, ["taskId"] = task }))).Retryable.ShouldBeFalse();
        Fake.Provider.Requests.Count.ShouldBe(calls, "refused before any call");

        board.Failures.Enqueue((429, """{"error":"API_TOKEN_LIMIT_EXCEEDED","message":"Rate limit exceeded"}"""));
        var limited = await Should.ThrowAsync<ProviderException>(() => WithConnectorAsync(installation, (c, ctx) => c.TestAsync(ctx, CancellationToken.None)));
        (limited.Retryable, limited.RetryAfter, limited.ProviderError).ShouldBe((true, TimeSpan.FromSeconds(10), "Rate limit exceeded"));
        var (other, badList) = await InstallAsync(board, new JsonObject { ["lost"] = "ffffffffffffffffffffffff" });
        using var __ = other;
        var lost = await DealAsync(other, "Gone", "lost");
        var refused = await Should.ThrowAsync<ProviderException>(() => ActAsync(badList, "create_card", new JsonObject { ["dealId"] = lost }));
        refused.Status.ShouldBe(400);
        refused.Retryable.ShouldBeFalse();
        refused.ProviderError.ShouldBe("invalid value for idList");

        // A token the user revoked in Trello: a clear 401 asking to authorize again.
        (await owner.PatchAsync($"/api/v1/integrations/{installation}", new { config = new { apiToken = new string('0', 64), boardId = board.Id } })).StatusCode.ShouldBe(HttpStatusCode.OK);
        var revoked = await Should.ThrowAsync<ProviderException>(() => WithConnectorAsync(installation, (c, ctx) => c.TestAsync(ctx, CancellationToken.None)));
        (revoked.NeedsReauthorization, revoked.ProviderError).ShouldBe((true, "invalid token"));
        Fake.Provider.AssertNoViolations();
    }

    private async Task<HttpStatusCode> DeliverAsync(string installation, string body, string? secret = TrelloFake.Secret)
    {
        using var anonymous = node.Client();
        var callback = $"{JiraNode.PublicBaseUrl}/api/v1/integrations/{installation}/inbound/events";
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/integrations/{installation}/inbound/events") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        // Trello's recipe: base64(HMAC-SHA1(app secret, body + callbackURL)).
#pragma warning disable CA5350 // Trello's own scheme
        if (secret is not null)
            request.Headers.Add("X-Trello-Webhook", Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(body + callback))));
#pragma warning restore CA5350
        return (await anonymous.Http.SendAsync(request)).StatusCode;
    }

    private static string Moved(string cardId, TrelloFake.Board board, string from, string to) => new JsonObject
    {
        ["action"] = new JsonObject
        {
            ["id"] = "5f00000000000000000000aa", ["type"] = "updateCard", ["date"] = "2026-12-04T10:00:00.000Z",
            ["data"] = new JsonObject
            {
                ["card"] = new JsonObject { ["id"] = cardId, ["name"] = "Acme renewal", ["idList"] = board.ListNamed(to) },
                ["listBefore"] = new JsonObject { ["id"] = board.ListNamed(from), ["name"] = from },
                ["listAfter"] = new JsonObject { ["id"] = board.ListNamed(to), ["name"] = to },
                ["board"] = new JsonObject { ["id"] = board.Id, ["name"] = "Sales pipeline" },
            },
        },
        ["model"] = new JsonObject { ["id"] = board.Id, ["name"] = "Sales pipeline" },
    }.ToJsonString();

    [Fact]
    public async Task AMovedCardMovesItsDealOnceAndAForgedDeliveryChangesNothing()
    {
        var board = Fake.NewBoard();
        var (owner, installation) = await InstallAsync(board);
        using var _ = owner;
        using var anonymous = node.Client();
        Fake.Deliver = request => anonymous.Http.SendAsync(request);
        (await owner.GetJsonAsync("/api/v1/integrations/providers/trello"))["category"]!.GetValue<string>().ShouldBe("project_management");
        (await ActAsync(installation, "register_webhook", []))["created"]!.GetValue<bool>().ShouldBeTrue();
        board.Webhooks.Values.ShouldHaveSingleItem()["callbackURL"]!.GetValue<string>().ShouldBe($"{JiraNode.PublicBaseUrl}/api/v1/integrations/{installation}/inbound/events");
        (await ActAsync(installation, "register_webhook", []))["created"]!.GetValue<bool>().ShouldBeFalse();
        Fake.Provider.Requests.Count(r => r.Method == "POST" && r.Path == "/1/webhooks" && r.Body.Contains(installation, StringComparison.Ordinal)).ShouldBe(1);

        await ActAsync(installation, "ensure_stage_lists", []);
        var deal = await DealAsync(owner, "Acme renewal", "qualification");
        var cardId = (await ActAsync(installation, "create_card", new JsonObject { ["dealId"] = deal }))["id"]!.GetValue<string>();

        (await DeliverAsync(installation, Moved(cardId, board, "Qualification", "Won"), secret: "not-the-app-secret")).ShouldBe(HttpStatusCode.Unauthorized);
        (await DeliverAsync(installation, Moved(cardId, board, "Qualification", "Won"), secret: null)).ShouldBe(HttpStatusCode.Unauthorized);
        (await owner.GetJsonAsync($"/api/v1/deals/{deal}"))["stage"]!.GetValue<string>().ShouldBe("qualification");

        (await DeliverAsync(installation, Moved(cardId, board, "Qualification", "Proposal"))).ShouldBe(HttpStatusCode.OK);
        (await owner.GetJsonAsync($"/api/v1/deals/{deal}"))["stage"]!.GetValue<string>().ShouldBe("proposal");
        (await node.EventsForAsync(deal)).Count(e => e.Type == "deal.stage_changed").ShouldBe(1);

        // The deal moves in the CRM; move_card moves its card; Trello's delivery of that move changes nothing.
        (await owner.PatchAsync($"/api/v1/deals/{deal}", new { stage = "negotiation" })).StatusCode.ShouldBe(HttpStatusCode.OK);
        await ActAsync(installation, "move_card", new JsonObject { ["dealId"] = deal });
        board.Cards[cardId]["idList"]!.GetValue<string>().ShouldBe(board.ListNamed("Negotiation"));
        var events = (await node.EventsForAsync(deal)).Count;
        (await DeliverAsync(installation, Moved(cardId, board, "Proposal", "Negotiation"))).ShouldBe(HttpStatusCode.OK);
        (await node.EventsForAsync(deal)).Count.ShouldBe(events, "no echo: the deal is where the card went");
        (await owner.GetJsonAsync($"/api/v1/deals/{deal}"))["stage"]!.GetValue<string>().ShouldBe("negotiation");
        Fake.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task UninstallDeletesTheWebhooksToThisInstallationUninstallsEvenWhenTrelloFailsAndTheInboundUrlIsGone()
    {
        using var anonymous = node.Client();
        Fake.Deliver = request => anonymous.Http.SendAsync(request);
        var board = Fake.NewBoard();
        var (owner, installation) = await InstallAsync(board);
        using var _ = owner;
        (await ActAsync(installation, "register_webhook", []))["created"]!.GetValue<bool>().ShouldBeTrue();
        var id = board.Webhooks.Keys.ShouldHaveSingleItem();

        await UninstallTestKit.UninstallAsync(node, owner, installation);
        var delete = Fake.Provider.Requests.Where(r => r.Method == "DELETE" && r.Path == "/1/webhooks/" + id).ShouldHaveSingleItem();
        delete.Headers["authorization"].ShouldBe($"OAuth oauth_consumer_key=\"{TrelloFake.ApiKey}\", oauth_token=\"{board.Token}\"");
        board.Webhooks.ShouldBeEmpty();
        // Trello's HEAD and POST both hear 410: a webhook left behind is deleted by Trello itself.
        await UninstallTestKit.ShouldBeGoneAsync(node, installation, HttpMethod.Head);
        await UninstallTestKit.ShouldBeGoneAsync(node, installation);

        var other = Fake.NewBoard();
        var (otherOwner, failing) = await InstallAsync(other);
        using var __ = otherOwner;
        (await ActAsync(failing, "register_webhook", []))["created"]!.GetValue<bool>().ShouldBeTrue();
        var kept = other.Webhooks.Keys.ShouldHaveSingleItem();
        other.FailWebhookDeletes = 1;
        await UninstallTestKit.UninstallAsync(node, otherOwner, failing);
        Fake.Provider.Requests.ShouldContain(r => r.Method == "DELETE" && r.Path == "/1/webhooks/" + kept);
        other.Webhooks.Keys.ShouldBe([kept]);
        await UninstallTestKit.ShouldBeGoneAsync(node, failing);
        Fake.Provider.AssertNoViolations();
    }
}

public sealed class TrelloTestsOnSqlite(TrelloSqliteNode node) : TrelloTests<TrelloSqliteNode>(node);
public sealed class TrelloTestsOnPostgres(TrelloPostgresNode node) : TrelloTests<TrelloPostgresNode>(node);

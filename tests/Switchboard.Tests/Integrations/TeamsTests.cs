using System.Net;
using System.Text.Json.Nodes;
using Switchboard.Tests.Infrastructure;
using static Switchboard.Tests.Integrations.ActionsTestKit;

namespace Switchboard.Tests.Integrations;

/// <summary>
/// The Microsoft Teams connector end to end over real HTTP: installed through the API (the webhook URL write-only),
/// rules on CRM events → Adaptive Cards 1.5 at a loopback Teams (Workflows and legacy incoming webhook URLs) that checks
/// the documented card and message rules; Workflows' 429 and a legacy webhook's throttling inside a 200, both retried;
/// a deleted flow's 404 a dead run with the provider's message; the connection test; catalog, icon and portal page.
/// </summary>
public abstract class TeamsTests<TNode>(TNode node) : IClassFixture<TNode> where TNode : SwitchboardFactory
{
    private TeamsFake Teams => node switch
    {
        TeamsSqliteNode s => s.Teams,
        TeamsPostgresNode p => p.Teams,
        _ => throw new InvalidOperationException(),
    };

    private async Task<(ApiClient Owner, string Installation)> InstallAsync(string webhookUrl)
    {
        var owner = node.Client();
        await owner.SignupAsync();
        var response = await owner.PostAsync("/api/v1/integrations", new { provider = "microsoft_teams", name = "Sales team", config = new { webhookUrl } });
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.Created, text);
        text.ShouldNotContain(TeamsFake.Signature, Case.Sensitive, "the webhook URL is a credential: never in a response");
        text.ShouldNotContain("webhookb2");
        var installation = JsonNode.Parse(text)!;
        installation["status"]!.GetValue<string>().ShouldBe("active");
        installation["credentialsSet"]!.AsArray().Select(c => c!.GetValue<string>()).ShouldBe(["webhookUrl"]);
        return (owner, installation["id"]!.GetValue<string>());
    }

    private static JsonObject CardOf(JsonObject message) => message["attachments"]![0]!["content"]!.AsObject();

    [Fact]
    public async Task ANewLeadArrivesAsAnAdaptiveCardWithAnOpenUrlActionBackToTheRecord()
    {
        var (owner, installation) = await InstallAsync(Teams.WorkflowUrl());
        using var _ = owner;
        await CreateRuleAsync(owner, installation, new
        {
            events = new[] { "lead.created" }, action = "notify_lead",
            input = new { lead = "{{data}}", title = "Hot lead", recordUrl = "https://crm.example.com/leads/{{data.id}}" },
        });
        var leadId = await CreateLeadAsync(owner, new { name = "Grace [Hopper](https://evil.example)", company = "Navy", email = "grace@example.com", score = 88, source = "event" });

        var message = await Teams.WaitForCardAsync(m => m.ToJsonString().Contains(leadId, StringComparison.Ordinal));
        message["attachments"]![0]!["contentType"]!.GetValue<string>().ShouldBe("application/vnd.microsoft.card.adaptive");
        var card = CardOf(message);
        card["version"]!.GetValue<string>().ShouldBe("1.5");
        var body = card["body"]!.AsArray();
        body[0]!["style"]!.GetValue<string>().ShouldBe("heading");
        // CRM text is escaped for the card's markdown: the name's brackets cannot make a link.
        body[0]!["text"]!.GetValue<string>().ShouldBe("Hot lead: Grace \\[Hopper\\](https://evil.example)");
        var facts = body.Single(e => e!["type"]!.GetValue<string>() == "FactSet")!["facts"]!.AsArray()
            .ToDictionary(f => f!["title"]!.GetValue<string>(), f => f!["value"]!.GetValue<string>());
        facts["Company"].ShouldBe("Navy");
        facts["Email"].ShouldBe("grace@example.com");
        facts["Score"].ShouldBe("88");
        facts["Source"].ShouldBe("event");
        var action = card["actions"]!.AsArray().ShouldHaveSingleItem()!;
        action["type"]!.GetValue<string>().ShouldBe("Action.OpenUrl");
        action["title"]!.GetValue<string>().ShouldBe("Open lead");
        action["url"]!.GetValue<string>().ShouldBe($"https://crm.example.com/leads/{leadId}");

        var run = (await RunsAsync(owner, installation, r => r.Count == 1 && r[0]!["status"]!.GetValue<string>() == "succeeded")).Single()!;
        run["attemptLog"]![0]!["statusCode"]!.GetValue<int>().ShouldBe(202);
        run.ToJsonString().ShouldNotContain(TeamsFake.Signature);
        Teams.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task AThrottledWorkflowIsRetriedAfterItsRetryAfter()
    {
        var (owner, installation) = await InstallAsync(Teams.PowerPlatformUrl);
        using var _ = owner;
        await CreateRuleAsync(owner, installation, new { events = new[] { "payment.completed" }, action = "notify_payment", input = new { payment = "{{data}}" } });
        Teams.ThrottleNext(2);
        var payment = await ApiClient.ReadAsync(await owner.PostAsync("/api/v1/payments", new { amount = 1250m, currency = "EUR", status = "pending", description = "Invoice 42" }));
        var paymentId = payment["id"]!.GetValue<string>();
        (await owner.PatchAsync($"/api/v1/payments/{paymentId}", new { status = "completed" })).StatusCode.ShouldBe(HttpStatusCode.OK);

        var message = await Teams.WaitForCardAsync(m => m.ToJsonString().Contains(paymentId, StringComparison.Ordinal));
        CardOf(message)["body"]![0]!["text"]!.GetValue<string>().ShouldBe("Payment received: 1,250.00 EUR");
        var posts = Teams.Posts.Where(p => p.Body.Contains(paymentId, StringComparison.Ordinal)).OrderBy(p => p.At).ToList();
        posts.Count.ShouldBe(2);
        (posts[1].At - posts[0].At).ShouldBeGreaterThanOrEqualTo(TimeSpan.FromSeconds(1.95), "Retry-After: 2, not the schedule's 0.3 s");
        var run = (await RunsAsync(owner, installation, r => r.Count == 1 && r[0]!["status"]!.GetValue<string>() == "succeeded")).Single()!;
        var log = run["attemptLog"]!.AsArray();
        log.Select(a => a!["statusCode"]!.GetValue<int>()).ShouldBe([429, 202]);
        log[0]!["error"]!.GetValue<string>().ShouldContain("TooManyRequests");
        Teams.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task ALegacyWebhooksThrottlingInsideA200IsRetriedAndItsOneIsSuccess()
    {
        var (owner, installation) = await InstallAsync(Teams.IncomingWebhookUrl);
        using var _ = owner;
        await CreateRuleAsync(owner, installation, new { events = new[] { "ticket.created" }, action = "notify_ticket", input = new { ticket = "{{data}}" } });
        Teams.ThrottleNext(1);
        var ticket = await ApiClient.ReadAsync(await owner.PostAsync("/api/v1/tickets", new { subject = "VPN down", priority = "high", description = "Since 9:00." }));
        var ticketId = ticket["id"]!.GetValue<string>();

        await Teams.WaitForCardAsync(m => m.ToJsonString().Contains(ticketId, StringComparison.Ordinal));
        var run = (await RunsAsync(owner, installation, r => r.Count == 1 && r[0]!["status"]!.GetValue<string>() == "succeeded")).Single()!;
        var log = run["attemptLog"]!.AsArray();
        log.Select(a => a!["statusCode"]!.GetValue<int>()).ShouldBe([429, 200], "the 429 inside the connector's 200 is read as one");
        log[0]!["error"]!.GetValue<string>().ShouldContain("Microsoft Teams endpoint returned HTTP error 429");
        log[1]!["responseBody"]!.GetValue<string>().ShouldBe("1");
        // The incoming webhook's URL is its secret, path and all: no log line holds it, nor the Workflows signature.
        node.Logs.Lines.Where(l => l.Contains("IncomingWebhook/", StringComparison.Ordinal) || l.Contains(TeamsFake.Signature, StringComparison.Ordinal)).ShouldBeEmpty();
        Teams.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task ADeletedFlowEndsAsADeadRunWithTheProvidersMessage()
    {
        var (owner, installation) = await InstallAsync(Teams.WorkflowUrl(TeamsFake.DeletedWorkflowId));
        using var _ = owner;
        await CreateRuleAsync(owner, installation, new { events = new[] { "lead.created" }, action = "post_message", input = new { title = "New lead", text = "{{data.name}} just arrived" } });
        await CreateLeadAsync(owner, new { name = "Nobody hears" });

        var run = (await RunsAsync(owner, installation, r => r.Count == 1 && r[0]!["status"]!.GetValue<string>() == "dead")).Single()!;
        run["attempts"]!.GetValue<int>().ShouldBe(1);
        var attempt = run["attemptLog"]![0]!;
        attempt["statusCode"]!.GetValue<int>().ShouldBe(404);
        attempt["error"]!.GetValue<string>().ShouldContain("WorkflowNotFound");
        (await EventsOfTypeAsync(node, installation, "integration.action_failed")).ShouldHaveSingleItem();
        Teams.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task TheConnectionTestPostsOneCardAndReportsAWrongSignature()
    {
        var (owner, installation) = await InstallAsync(Teams.WorkflowUrl());
        using var _ = owner;
        var result = await ApiClient.ReadAsync(await owner.PostAsync($"/api/v1/integrations/{installation}/test", null));
        result["success"]!.GetValue<bool>().ShouldBeTrue(result.ToJsonString());
        result["providerStatus"]!.GetValue<int>().ShouldBe(202);
        await Teams.WaitForCardAsync(m => m.ToJsonString().Contains("Switchboard connection test", StringComparison.Ordinal));

        (await owner.PatchAsync($"/api/v1/integrations/{installation}", new { config = new { webhookUrl = Teams.WorkflowUrl(sig: "forged") } })).StatusCode.ShouldBe(HttpStatusCode.OK);
        var failed = await ApiClient.ReadAsync(await owner.PostAsync($"/api/v1/integrations/{installation}/test", null));
        failed["success"]!.GetValue<bool>().ShouldBeFalse();
        failed["providerStatus"]!.GetValue<int>().ShouldBe(401);
        failed["providerError"]!.GetValue<string>().ShouldContain("DirectApiInvalidAuthorizationSignature");
        failed.ToJsonString().ShouldNotContain("forged");

        // A URL off Teams' hosts is refused before any request.
        (await owner.PatchAsync($"/api/v1/integrations/{installation}", new { config = new { webhookUrl = "https://hooks.example.net/workflows/x" } })).StatusCode.ShouldBe(HttpStatusCode.OK);
        var posts = Teams.Posts.Count();
        var refused = await ApiClient.ReadAsync(await owner.PostAsync($"/api/v1/integrations/{installation}/test", null));
        refused["success"]!.GetValue<bool>().ShouldBeFalse();
        refused["providerError"]!.GetValue<string>().ShouldBe("invalid_webhook_url");
        Teams.Posts.Count().ShouldBe(posts);
        Teams.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task TheCatalogIconAndPortalPageDescribeTeams()
    {
        using var owner = node.Client();
        await owner.SignupAsync();
        var provider = await owner.GetJsonAsync("/api/v1/integrations/providers/microsoft_teams");
        provider["category"]!.GetValue<string>().ShouldBe("communication");
        provider["auth"]!["kind"]!.GetValue<string>().ShouldBe("webhook_url");
        provider["configSchema"]!["properties"]!["webhookUrl"]!["writeOnly"]!.GetValue<bool>().ShouldBeTrue();
        provider["actions"]!.AsArray().Select(a => a!["name"]!.GetValue<string>()).ShouldBe(["notify_lead", "notify_ticket", "notify_payment", "post_message"]);
        (await owner.GetJsonAsync("/api/v1/integrations/providers?auth=webhook_url"))["data"]!.AsArray()
            .Select(p => p!["key"]!.GetValue<string>()).ShouldContain("microsoft_teams");
        var icon = await owner.GetAsync("/api/v1/integrations/providers/microsoft_teams/icon.svg");
        icon.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await icon.Content.ReadAsStringAsync()).ShouldStartWith("<svg");
        var page = await owner.GetAsync("/developers/integrations-microsoft-teams");
        page.StatusCode.ShouldBe(HttpStatusCode.OK);
        var html = await page.Content.ReadAsStringAsync();
        html.ShouldContain("Microsoft Teams integration");
        html.ShouldContain("Action.OpenUrl");
        html.ShouldContain("A webhook URL the provider gives you");
    }
}

public sealed class TeamsTestsOnSqlite(TeamsSqliteNode node) : TeamsTests<TeamsSqliteNode>(node);
public sealed class TeamsTestsOnPostgres(TeamsPostgresNode node) : TeamsTests<TeamsPostgresNode>(node);

using System.Net;
using System.Text.Json.Nodes;
using Switchboard.Tests.Infrastructure;
using static Switchboard.Tests.Integrations.ActionsTestKit;

namespace Switchboard.Tests.Integrations;

/// <summary>
/// The Discord connector end to end over real HTTP: installed through the API (the webhook URL write-only), rules on
/// CRM events → embeds at a loopback Discord that enforces the documented limits; Discord's 429 waited out; a deleted
/// webhook's 404 a dead run with Discord's message; the connection test; the catalog entry, icon and portal page.
/// </summary>
public abstract class DiscordTests<TNode>(TNode node) : IClassFixture<TNode> where TNode : SwitchboardFactory
{
    private DiscordFake Discord => node switch
    {
        DiscordSqliteNode s => s.Discord,
        DiscordPostgresNode p => p.Discord,
        _ => throw new InvalidOperationException(),
    };

    private async Task<(ApiClient Owner, string Installation)> InstallAsync(string? webhookUrl = null)
    {
        var owner = node.Client();
        await owner.SignupAsync();
        var response = await owner.PostAsync("/api/v1/integrations", new
        {
            provider = "discord", name = "Sales channel", config = new { webhookUrl = webhookUrl ?? DiscordFake.WebhookUrl(), username = "Switchboard CRM" },
        });
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.Created, text);
        text.ShouldNotContain(DiscordFake.Token, Case.Sensitive, "the webhook URL is a credential: never in a response");
        var installation = JsonNode.Parse(text)!;
        installation["status"]!.GetValue<string>().ShouldBe("active", "a webhook URL needs no OAuth connection");
        installation["credentialsSet"]!.AsArray().Select(c => c!.GetValue<string>()).ShouldBe(["webhookUrl"]);
        installation["config"]!["username"]!.GetValue<string>().ShouldBe("Switchboard CRM");
        return (owner, installation["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task ANewLeadIsPostedAsAnEmbedLinkingBackToTheRecordWithinDiscordsLimits()
    {
        var (owner, installation) = await InstallAsync();
        using var _ = owner;
        await CreateRuleAsync(owner, installation, new
        {
            events = new[] { "lead.created" }, action = "notify_lead",
            input = new { lead = "{{data}}", title = "Hot lead", recordUrl = "https://crm.example.com/leads/{{data.id}}" },
        });
        var leadId = await CreateLeadAsync(owner, new
        {
            name = "Ada @everyone [Lovelace](https://evil.example)", company = "Analytical Engines", email = "ada@example.com", score = 91, source = "web",
            notes = new string('n', 5000),
        });

        var message = await Discord.WaitForMessageAsync(m => m.ToJsonString().Contains(leadId, StringComparison.Ordinal));
        message["username"]!.GetValue<string>().ShouldBe("Switchboard CRM");
        message["allowed_mentions"]!["parse"]!.AsArray().ShouldBeEmpty("CRM text never pings anyone");
        var embed = message["embeds"]!.AsArray().ShouldHaveSingleItem()!;
        embed["title"]!.GetValue<string>().ShouldStartWith("Hot lead: Ada @everyone");
        embed["url"]!.GetValue<string>().ShouldBe($"https://crm.example.com/leads/{leadId}");
        var fields = embed["fields"]!.AsArray().ToDictionary(f => f!["name"]!.GetValue<string>(), f => f!["value"]!.GetValue<string>());
        fields["Company"].ShouldBe("Analytical Engines");
        fields["Email"].ShouldBe("ada@example.com");
        fields["Score"].ShouldBe("91");
        fields["Source"].ShouldBe("web");
        // Long notes are cut to fit, and markdown in CRM text is escaped (no masked link).
        embed["description"]!.GetValue<string>().Length.ShouldBeLessThanOrEqualTo(4096);
        embed["footer"]!["text"]!.GetValue<string>().ShouldContain(leadId);

        var run = (await RunsAsync(owner, installation, r => r.Count == 1 && r[0]!["status"]!.GetValue<string>() == "succeeded")).Single()!;
        run["attemptLog"]![0]!["statusCode"]!.GetValue<int>().ShouldBe(200);
        run["attemptLog"]![0]!["responseBody"]!.GetValue<string>().ShouldContain("\"webhook_id\"");
        run.ToJsonString().ShouldNotContain(DiscordFake.Token);
        // The webhook's token is in the URL's path: no log line (the HTTP client's request logging included) holds it.
        node.Logs.Lines.Where(l => l.Contains(DiscordFake.Token, StringComparison.Ordinal)).ShouldBeEmpty();
        Discord.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task RateLimitedByDiscordTheRunWaitsRetryAfterAndSucceeds()
    {
        var (owner, installation) = await InstallAsync();
        using var _ = owner;
        await CreateRuleAsync(owner, installation, new { events = new[] { "ticket.created" }, action = "notify_ticket", input = new { ticket = "{{data}}" } });
        Discord.RateLimitNext(1.25, global: true);
        var ticket = await ApiClient.ReadAsync(await owner.PostAsync("/api/v1/tickets", new { subject = "Printer on fire", priority = "urgent", description = "Smoke." }));
        var ticketId = ticket["id"]!.GetValue<string>();

        var message = await Discord.WaitForMessageAsync(m => m.ToJsonString().Contains(ticketId, StringComparison.Ordinal));
        message["embeds"]![0]!["title"]!.GetValue<string>().ShouldBe("Ticket: Printer on fire");
        var calls = Discord.Executions.Where(c => c.Body.Contains(ticketId, StringComparison.Ordinal)).OrderBy(c => c.At).ToList();
        calls.Count.ShouldBe(2);
        // The schedule would have retried after 0.3 s; Discord's retry_after asked for 1.25 s (Retry-After rounds it up to 2).
        (calls[1].At - calls[0].At).ShouldBeGreaterThanOrEqualTo(TimeSpan.FromSeconds(1.9));
        var run = (await RunsAsync(owner, installation, r => r.Count == 1 && r[0]!["status"]!.GetValue<string>() == "succeeded")).Single()!;
        var log = run["attemptLog"]!.AsArray();
        log.Select(a => a!["statusCode"]!.GetValue<int>()).ShouldBe([429, 200]);
        log[0]!["error"]!.GetValue<string>().ShouldContain("global rate limit", Case.Insensitive);
        log[0]!["error"]!.GetValue<string>().ShouldContain("You are being rate limited.");
        Discord.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task ADeletedWebhookEndsAsADeadRunWithDiscordsOwnMessage()
    {
        var (owner, installation) = await InstallAsync(DiscordFake.WebhookUrl(DiscordFake.DeletedWebhookId));
        using var _ = owner;
        await CreateRuleAsync(owner, installation, new { events = new[] { "payment.created" }, action = "notify_payment", input = new { payment = "{{data}}" } });
        (await owner.PostAsync("/api/v1/payments", new { amount = 120.5m, currency = "EUR", status = "completed" })).StatusCode.ShouldBe(HttpStatusCode.Created);

        var run = (await RunsAsync(owner, installation, r => r.Count == 1 && r[0]!["status"]!.GetValue<string>() == "dead")).Single()!;
        run["attempts"]!.GetValue<int>().ShouldBe(1, "a 404 is final: no retry can mend it");
        var attempt = run["attemptLog"]![0]!;
        attempt["statusCode"]!.GetValue<int>().ShouldBe(404);
        attempt["error"]!.GetValue<string>().ShouldContain("10015: Unknown Webhook");
        run.ToJsonString().ShouldNotContain(DiscordFake.Token);
        (await EventsOfTypeAsync(node, installation, "integration.action_failed")).ShouldHaveSingleItem();
        Discord.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task EmbedsOverDiscordsLimitsAreRefusedBeforeAnyCall()
    {
        var (owner, installation) = await InstallAsync();
        using var _ = owner;
        var embeds = Enumerable.Range(0, 3).Select(i => new { title = "{{data.name}}", description = new string('d', 2500) }).ToArray();
        await CreateRuleAsync(owner, installation, new { events = new[] { "lead.created" }, action = "post_message", input = new { embeds } });
        await CreateLeadAsync(owner, new { name = "Too much" });

        var run = (await RunsAsync(owner, installation, r => r.Count == 1 && r[0]!["status"]!.GetValue<string>() == "dead")).Single()!;
        run["attempts"]!.GetValue<int>().ShouldBe(1);
        run["attemptLog"]![0]!["error"]!.GetValue<string>().ShouldContain("at most 6000 per message");
        Discord.Executions.ShouldNotContain(c => c.Body.Contains("Too much", StringComparison.Ordinal));

        // More than 10 embeds is refused where the rule is saved (the action's input schema).
        var eleven = Enumerable.Range(0, 11).Select(i => new { title = "x" }).ToArray();
        var refused = await owner.PostAsync($"/api/v1/integrations/{installation}/rules", new { events = new[] { "lead.created" }, action = "post_message", input = new { embeds = eleven } });
        (await refused.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed"))["errors"]!.AsObject().ShouldContainKey("input.embeds");
        Discord.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task TheConnectionTestReadsTheWebhookWithoutPostingAndReportsDiscordsRefusal()
    {
        var (owner, installation) = await InstallAsync();
        using var _ = owner;
        var posted = Discord.Executions.Count();
        var response = await owner.PostAsync($"/api/v1/integrations/{installation}/test", null);
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, text);
        var result = JsonNode.Parse(text)!;
        result["success"]!.GetValue<bool>().ShouldBeTrue(text);
        result["providerStatus"]!.GetValue<int>().ShouldBe(200);
        text.ShouldNotContain(DiscordFake.Token);
        Discord.Executions.Count().ShouldBe(posted, "the test reads the webhook; it posts nothing");

        // A wrong token: Discord's own refusal, as a 200 answer of the test with success false.
        var patched = await owner.PatchAsync($"/api/v1/integrations/{installation}", new { config = new { webhookUrl = DiscordFake.WebhookUrl(token: "wrongWrongWrongWrongWrong123") } });
        patched.StatusCode.ShouldBe(HttpStatusCode.OK);
        var failed = await ApiClient.ReadAsync(await owner.PostAsync($"/api/v1/integrations/{installation}/test", null));
        failed["success"]!.GetValue<bool>().ShouldBeFalse();
        failed["providerStatus"]!.GetValue<int>().ShouldBe(401);
        failed["providerError"]!.GetValue<string>().ShouldContain("Invalid Webhook Token");
        var got = await owner.GetJsonAsync($"/api/v1/integrations/{installation}");
        got["consecutiveFailures"]!.GetValue<int>().ShouldBe(1);
        got.ToJsonString().ShouldNotContain("wrongWrongWrong");
        Discord.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task AWebhookUrlElsewhereThanDiscordIsRefusedAtInstall()
    {
        using var owner = node.Client();
        await owner.SignupAsync();
        var response = await owner.PostAsync("/api/v1/integrations", new { provider = "discord", config = new { webhookUrl = "https://discord.example.net/api/webhooks/1180000000000000001/tokentokentokentokentoken" } });
        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        problem["errors"]!.AsObject().ShouldContainKey("config.webhookUrl");
        problem.ToJsonString().ShouldNotContain("tokentokentoken");
    }

    [Fact]
    public async Task TheCatalogIconAndPortalPageDescribeDiscord()
    {
        using var owner = node.Client();
        await owner.SignupAsync();
        var provider = await owner.GetJsonAsync("/api/v1/integrations/providers/discord");
        provider["category"]!.GetValue<string>().ShouldBe("communication");
        provider["auth"]!["kind"]!.GetValue<string>().ShouldBe("webhook_url");
        provider["configSchema"]!["properties"]!["webhookUrl"]!["writeOnly"]!.GetValue<bool>().ShouldBeTrue();
        provider["actions"]!.AsArray().Select(a => a!["name"]!.GetValue<string>()).ShouldBe(["notify_lead", "notify_ticket", "notify_payment", "post_message"]);
        provider["triggers"]!.AsArray().Select(t => t!.GetValue<string>()).ShouldContain("lead.created");
        (await owner.GetJsonAsync("/api/v1/integrations/providers?trigger=payment.completed&category=communication"))["data"]!.AsArray()
            .Select(p => p!["key"]!.GetValue<string>()).ShouldContain("discord");

        var icon = await owner.GetAsync("/api/v1/integrations/providers/discord/icon.svg");
        icon.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await icon.Content.ReadAsStringAsync()).ShouldStartWith("<svg");
        var page = await owner.GetAsync("/developers/integrations-discord");
        page.StatusCode.ShouldBe(HttpStatusCode.OK);
        var html = await page.Content.ReadAsStringAsync();
        html.ShouldContain("Discord integration");
        html.ShouldContain("notify_payment");
        html.ShouldContain("a credential: encrypted, never returned");
    }
}

public sealed class DiscordTestsOnSqlite(DiscordSqliteNode node) : DiscordTests<DiscordSqliteNode>(node);
public sealed class DiscordTestsOnPostgres(DiscordPostgresNode node) : DiscordTests<DiscordPostgresNode>(node);

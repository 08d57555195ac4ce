using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Integrations;
using Switchboard.Integrations.Connectors;
using Switchboard.Platform.Outbox;
using Switchboard.Platform.Storage;
using Switchboard.Tests.Infrastructure;
using static Switchboard.Tests.Integrations.ActionsTestKit;

namespace Switchboard.Tests.Integrations;

/// <summary>
/// Action rules on the one delivery queue, end to end over real HTTP: CRM writes → outbox → fan-out (with filters) →
/// the Slack connector → a loopback Slack that checks what Slack documents; retries, Retry-After, dead letters,
/// integration.action_failed, the per-installation throttle, scheduled rules, the webhooks API's blindness to rules, tenancy.
/// </summary>
public abstract class ActionsTests<TNode>(TNode node) : IClassFixture<TNode> where TNode : SwitchboardFactory
{
    private FakeSlack Slack => node switch
    {
        SlackSqliteNode s => s.Slack,
        SlackPostgresNode p => p.Slack,
        _ => throw new InvalidOperationException(),
    };

    private async Task<(ApiClient Owner, string Installation)> SetupAsync(string channel, int? maxActionsPerSecond = null)
    {
        var owner = node.Client();
        await owner.SignupAsync();
        var installation = await InstallAsync(node, owner.OrganizationId!, "slack", new { channel }, new { signingSecret = "8f742231b10e8888abcd99yyyzzz85a5" },
            botToken: true, maxActionsPerSecond: maxActionsPerSecond);
        return (owner, installation);
    }

    private static string Channel(string kind) => $"{kind}-{Guid.NewGuid():N}"[..Math.Min(kind.Length + 13, 40)];

    [Fact]
    public async Task ANewLeadIsPostedAsABlockKitCardWithAMarkContactedButton()
    {
        var channel = Channel("sales");
        var (owner, installation) = await SetupAsync(channel);
        using var _ = owner;
        var rule = await CreateRuleAsync(owner, installation, new { events = new[] { "lead.created" }, action = "notify_lead", input = new { lead = "{{data}}", title = "Hot lead" } });
        var leadId = await CreateLeadAsync(owner, new { name = "Ada <!channel> Lovelace", company = "Analytical Engines", email = "ada@example.com", score = 91 });

        var message = await Slack.WaitForPostAsync(m => m.ToJsonString().Contains(leadId, StringComparison.Ordinal));
        message["channel"]!.GetValue<string>().ShouldBe(channel);
        // The notification text is mrkdwn: CRM text in it is escaped, so a lead named <!channel> pings no one; a header is plain text.
        message["text"]!.GetValue<string>().ShouldBe("Hot lead: Ada &lt;!channel&gt; Lovelace (Analytical Engines), score 91");
        var blocks = message["blocks"]!.AsArray();
        blocks[0]!["type"]!.GetValue<string>().ShouldBe("header");
        blocks[0]!["text"]!["text"]!.GetValue<string>().ShouldBe("Hot lead: Ada <!channel> Lovelace");
        blocks[1]!["fields"]!.AsArray().Select(f => f!["text"]!.GetValue<string>()).ShouldContain("*Company*\nAnalytical Engines");
        var button = blocks.Single(b => b!["type"]!.GetValue<string>() == "actions")!["elements"]![0]!;
        button["action_id"]!.GetValue<string>().ShouldBe("switchboard_mark_contacted");
        button["value"]!.GetValue<string>().ShouldBe(leadId);

        var runs = await RunsAsync(owner, installation, r => r.Count == 1 && r[0]!["status"]!.GetValue<string>() == "succeeded");
        var run = runs.Single()!;
        run["status"]!.GetValue<string>().ShouldBe("succeeded");
        run["ruleId"]!.GetValue<string>().ShouldBe(rule);
        run["eventType"]!.GetValue<string>().ShouldBe("lead.created");
        run["attemptLog"]!.AsArray().Single()!["statusCode"]!.GetValue<int>().ShouldBe(200);
        run["attemptLog"]![0]!["responseBody"]!.GetValue<string>().ShouldContain("\"ok\":true");
        Slack.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task AFilterKeepsOutTheEventsItDoesNotMatch()
    {
        var (owner, installation) = await SetupAsync(Channel("filtered"));
        using var _ = owner;
        await CreateRuleAsync(owner, installation, new
        {
            events = new[] { "lead.*" }, filter = "score >= 80 and (source == \"web\" or source in [\"ads\", \"event\"])", action = "notify_lead", input = new { lead = "{{data}}" },
        });
        var cold = await CreateLeadAsync(owner, new { name = "Cold", score = 40, source = "web" });
        var elsewhere = await CreateLeadAsync(owner, new { name = "Elsewhere", score = 95, source = "referral" });
        var hot = await CreateLeadAsync(owner, new { name = "Hot", score = 85, source = "ads" });

        await Slack.WaitForPostAsync(m => m.ToJsonString().Contains(hot, StringComparison.Ordinal));
        await Task.Delay(500);
        Slack.Posted.ShouldNotContain(m => m.ToJsonString().Contains(cold, StringComparison.Ordinal));
        Slack.Posted.ShouldNotContain(m => m.ToJsonString().Contains(elsewhere, StringComparison.Ordinal));
        (await RunsAsync(owner, installation, r => r.Count >= 1)).Count.ShouldBe(1, "events the filter excludes make no run at all");
        Slack.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task RateLimitedBySlackTheRunWaitsForRetryAfterAndSucceeds()
    {
        var (owner, installation) = await SetupAsync(Channel("ratelimit"));
        using var _ = owner;
        await CreateRuleAsync(owner, installation, new { events = new[] { "lead.created" }, action = "post_message", input = new { text = "New lead {{data.name}} ({{data.id}})" } });
        var leadId = await CreateLeadAsync(owner, new { name = "Grace" });

        var message = await Slack.WaitForPostAsync(m => m["text"]?.GetValue<string>() == $"New lead Grace ({leadId})");
        message.ShouldNotBeNull();
        var calls = Slack.Calls("/api/chat.postMessage").Where(c => c.Body.Contains(leadId, StringComparison.Ordinal)).OrderBy(c => c.At).ToList();
        calls.Count.ShouldBe(2);
        // The schedule would have retried after 0.3 s; Slack asked for 1 s.
        (calls[1].At - calls[0].At).ShouldBeGreaterThanOrEqualTo(TimeSpan.FromSeconds(0.95));
        var run = (await RunsAsync(owner, installation, r => r.Count == 1 && r[0]!["status"]!.GetValue<string>() == "succeeded")).Single()!;
        var log = run["attemptLog"]!.AsArray();
        log.Select(a => a!["statusCode"]!.GetValue<int>()).ShouldBe([429, 200]);
        log[0]!["error"]!.GetValue<string>().ShouldContain("ratelimited");
        Slack.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task APersistentFailureIsRetriedThenDeadAndReportedAsIntegrationActionFailed()
    {
        var (owner, installation) = await SetupAsync(Channel("down"));
        using var _ = owner;
        var rule = await CreateRuleAsync(owner, installation, new { events = new[] { "lead.created" }, action = "notify_lead", input = new { lead = "{{data}}" } });
        await CreateLeadAsync(owner, new { name = "Unlucky" });

        var run = (await RunsAsync(owner, installation, r => r.Count == 1 && r[0]!["status"]!.GetValue<string>() == "dead")).Single()!;
        run["status"]!.GetValue<string>().ShouldBe("dead");
        run["attempts"]!.GetValue<int>().ShouldBe(3, "the first attempt and the schedule's two retries");
        run["attemptLog"]!.AsArray().Select(a => a!["statusCode"]!.GetValue<int>()).ShouldBe([503, 503, 503]);
        var failed = await EventsOfTypeAsync(node, installation, "integration.action_failed");
        var evt = failed.ShouldHaveSingleItem();
        var data = JsonNode.Parse(evt.Data)!;
        data["installationId"]!.GetValue<string>().ShouldBe(installation);
        data["provider"]!.GetValue<string>().ShouldBe("slack");
        data["reason"]!.GetValue<string>().ShouldContain(rule);
        (await EventsOfTypeAsync(node, rule, "webhook.delivery_exhausted")).ShouldBeEmpty();

        // The rule is not disabled (the provider's health is its installation's), and a dead run can be retried by hand.
        (await owner.GetJsonAsync($"/api/v1/integrations/{installation}/rules/{rule}"))["isActive"]!.GetValue<bool>().ShouldBeTrue();
        (await owner.PostAsync($"/api/v1/integrations/{installation}/action-runs/{run["id"]}/retry", null)).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        await RunsAsync(owner, installation, r => r[0]!["attempts"]!.GetValue<int>() == 4);
        Slack.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task ARefusalNoRetryCanMendIsDeadAtOnce()
    {
        var (owner, installation) = await SetupAsync(Channel("missing"));
        using var _ = owner;
        await CreateRuleAsync(owner, installation, new { events = new[] { "lead.created" }, action = "notify_lead", input = new { lead = "{{data}}" } });
        await CreateLeadAsync(owner, new { name = "Nowhere" });

        var run = (await RunsAsync(owner, installation, r => r.Count == 1 && r[0]!["status"]!.GetValue<string>() == "dead")).Single()!;
        run["attempts"]!.GetValue<int>().ShouldBe(1);
        var attempt = run["attemptLog"]![0]!;
        attempt["statusCode"].ShouldBeNull("Slack answered HTTP 200 with ok: false; no success status is logged");
        attempt["error"]!.GetValue<string>().ShouldContain("channel_not_found");
        (await EventsOfTypeAsync(node, installation, "integration.action_failed")).ShouldHaveSingleItem();
        Slack.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task ARevokedTokenSetsTheInstallationToNeedsReauthAndTheRunWaits()
    {
        var owner = node.Client();
        await owner.SignupAsync();
        using var _ = owner;
        var installation = await InstallAsync(node, owner.OrganizationId!, "slack", new { channel = Channel("revoked") }, botToken: false);
        // A bot token Slack does not know: stored as the installation's tokens.
        await using (var scope = node.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
            var row = await db.Set<IntegrationInstallation>().IgnoreQueryFilters().SingleAsync(i => i.Id == installation);
            row.TokensEncrypted = scope.ServiceProvider.GetRequiredService<IntegrationSecrets>()
                .ProtectTokens(installation, new ProviderTokens("xoxb-revoked", null, null, null, "bot"));
            await db.SaveChangesAsync();
        }
        await CreateRuleAsync(owner, installation, new { events = new[] { "lead.created" }, action = "notify_lead", input = new { lead = "{{data}}" } });
        await CreateLeadAsync(owner, new { name = "Locked out" });

        List<OutboxEvent> authFailed = [];
        for (var i = 0; i < 100 && authFailed.Count == 0; i++)
        {
            await Task.Delay(100);
            authFailed = await EventsOfTypeAsync(node, installation, "integration.auth_failed");
        }
        authFailed.ShouldHaveSingleItem();
        JsonNode.Parse(authFailed[0].Data)!["status"]!.GetValue<string>().ShouldBe("needs_reauth");
        var run = (await RunsAsync(owner, installation, r => r.Count == 1)).Single()!;
        run["status"]!.GetValue<string>().ShouldBe("pending", "it waits for the installation to be connected again");
        run["attempts"]!.GetValue<int>().ShouldBe(0);
        Slack.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task TheInstallationsThrottleHoldsItsActionsPerSecond()
    {
        var (owner, installation) = await SetupAsync(Channel("throttled"), maxActionsPerSecond: 2);
        using var _ = owner;
        await CreateRuleAsync(owner, installation, new { events = new[] { "lead.created" }, action = "post_message", input = new { text = "T {{data.id}}" } });
        var ids = new List<string>();
        for (var i = 0; i < 6; i++) ids.Add(await CreateLeadAsync(owner, new { name = $"L{i}" }));

        for (var i = 0; i < 300 && ids.Any(id => !Slack.Posted.Any(p => p["text"]?.GetValue<string>() == "T " + id)); i++) await Task.Delay(50);
        var got = Slack.Calls("/api/chat.postMessage").Where(c => ids.Any(id => c.Body.Contains(id, StringComparison.Ordinal))).OrderBy(c => c.At).ToList();
        got.Count.ShouldBe(6);
        // A bucket of 2 refilled at 2 per second: 6 actions take at least (6 - 2) / 2 = 2 seconds.
        (got[^1].At - got[0].At).ShouldBeGreaterThanOrEqualTo(TimeSpan.FromSeconds(1.8));
        for (var i = 0; i + 3 < got.Count; i++)
            (got[i + 3].At - got[i].At).ShouldBeGreaterThanOrEqualTo(TimeSpan.FromSeconds(0.9), "no 4 actions within a second");
    }

    [Fact]
    public async Task AScheduledRuleSendsTheDigestOfItsOwnOrganizationOnce()
    {
        var (session, installation) = await SetupAsync(Channel("digest"));
        using var _ = session;
        // An API key: the clock moves on to the due time, past the session's access token's life.
        using var owner = node.Client().WithApiKey((await session.CreateKeyAsync("integrations:read", "integrations:write", "leads:write"))["key"]!.GetValue<string>());
        await CreateLeadAsync(owner, new { name = "Digest One", company = "Acme", score = 70 });
        await CreateLeadAsync(owner, new { name = "Digest Two", score = 20 });
        // Another organization's leads are not counted.
        using (var other = node.Client())
        {
            await other.SignupAsync();
            await CreateLeadAsync(other, new { name = "Not Ours" });
        }
        var rule = await CreateRuleAsync(owner, installation, new { action = "send_digest", input = new { period = "daily" }, schedule = "0 9 * * *", scheduleTimeZone = "Europe/Paris" });
        var created = await owner.GetJsonAsync($"/api/v1/integrations/{installation}/rules/{rule}");
        var due = created["nextScheduledAt"]!.GetValue<DateTime>().ToUniversalTime();
        // 09:00 in Paris is 07:00 or 08:00 UTC.
        due.Hour.ShouldBeOneOf(7, 8);
        due.Minute.ShouldBe(0);

        node.Clock.Advance(due - node.Clock.GetUtcNow().UtcDateTime + TimeSpan.FromSeconds(1));
        var digest = await Slack.WaitForPostAsync(m => m["text"]?.GetValue<string>()?.StartsWith("Daily CRM digest", StringComparison.Ordinal) == true
            && m.ToJsonString().Contains("Digest One", StringComparison.Ordinal));
        digest["text"]!.GetValue<string>().ShouldBe("Daily CRM digest: 2 new leads, 0 calls, 0 deals won");
        digest.ToJsonString().ShouldNotContain("Not Ours");
        await Task.Delay(600);
        var runs = await RunsAsync(owner, installation, r => r.Count >= 1);
        runs.Count.ShouldBe(1, "one due time, one run, however many scheduler passes");
        runs[0]!["eventType"]!.GetValue<string>().ShouldBe("integration.scheduled");
        var next = (await owner.GetJsonAsync($"/api/v1/integrations/{installation}/rules/{rule}"))["nextScheduledAt"]!.GetValue<DateTime>().ToUniversalTime();
        (next - due).ShouldBeInRange(TimeSpan.FromHours(23), TimeSpan.FromHours(25));
        Slack.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task AnIncomingWebhookInstallPostsToItsWebhookAndOnlyOnSlacksHooksHost()
    {
        var owner = node.Client();
        await owner.SignupAsync();
        using var _ = owner;
        var hook = $"{Slack.Provider.BaseUrl}/services/T0001/B0001/{Guid.NewGuid():N}";
        var installation = await InstallAsync(node, owner.OrganizationId!, "slack", credentials: new { webhookUrl = hook });
        await CreateRuleAsync(owner, installation, new { events = new[] { "ticket.created" }, action = "notify_ticket", input = new { ticket = "{{data}}" } });
        var ticket = await ApiClient.ReadAsync(await owner.PostAsync("/api/v1/tickets", new { subject = "Printer <on fire>", priority = "high", description = "Smoke." }));
        var ticketId = ticket["id"]!.GetValue<string>();

        var message = await Slack.WaitForPostAsync(m => m.ToJsonString().Contains(ticketId, StringComparison.Ordinal));
        message["text"]!.GetValue<string>().ShouldBe("Ticket: Printer &lt;on fire&gt; (high priority)");
        var call = Slack.Calls("/services/T0001/B0001/" + hook[(hook.LastIndexOf('/') + 1)..]).ShouldHaveSingleItem();
        call.Headers.ContainsKey("authorization").ShouldBeFalse();

        // A webhook URL elsewhere than Slack's hooks host is refused for good, and nothing is sent there.
        var elsewhere = await InstallAsync(node, owner.OrganizationId!, "slack", credentials: new { webhookUrl = "https://hooks.example.net/services/T/B/X" });
        await CreateRuleAsync(owner, elsewhere, new { events = new[] { "ticket.created" }, action = "post_message", input = new { text = "{{data.subject}}" } });
        (await owner.PostAsync("/api/v1/tickets", new { subject = "Second" })).StatusCode.ShouldBe(HttpStatusCode.Created);
        var run = (await RunsAsync(owner, elsewhere, r => r.Count == 1 && r[0]!["status"]!.GetValue<string>() == "dead")).Single()!;
        run["attempts"]!.GetValue<int>().ShouldBe(1);
        run["attemptLog"]![0]!["error"]!.GetValue<string>().ShouldContain("hooks host", Case.Insensitive);
        Slack.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task TheConnectionTestIsAuthTestWithTheBotToken()
    {
        var (owner, installation) = await SetupAsync(Channel("test"));
        using var _ = owner;
        await using var scope = node.Services.CreateAsyncScope();
        var row = await scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>().Set<IntegrationInstallation>().IgnoreQueryFilters().SingleAsync(i => i.Id == installation);
        var (connector, context) = scope.ServiceProvider.GetRequiredService<ConnectorContexts>().For(row, scope.ServiceProvider);
        var response = await connector.TestAsync(context, CancellationToken.None);
        response.Json()!["team_id"]!.GetValue<string>().ShouldBe("T0001");
        var call = Slack.Calls("/api/auth.test").Last();
        call.Headers["authorization"].ShouldBe("Bearer " + FakeSlack.BotToken);

        // A webhook-only install: what can be checked without posting to the channel is, and the answer says what cannot.
        var hookOnly = await InstallAsync(node, owner.OrganizationId!, "slack", credentials: new { webhookUrl = $"{Slack.Provider.BaseUrl}/services/T0001/B0002/untested" });
        var hookRow = await scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>().Set<IntegrationInstallation>().IgnoreQueryFilters().SingleAsync(i => i.Id == hookOnly);
        var (_, hookContext) = scope.ServiceProvider.GetRequiredService<ConnectorContexts>().For(hookRow, scope.ServiceProvider);
        var answer = (await connector.TestAsync(hookContext, CancellationToken.None)).Json()!;
        answer["checked"]!.GetValue<string>().ShouldContain("hooks host");
        answer["notChecked"]!.GetValue<string>().ShouldContain("auth.test");
        Slack.Calls("/services/T0001/B0002/untested").ShouldBeEmpty();
        Slack.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task TheWebhooksApiNeitherShowsNorTouchesActionRules()
    {
        var (owner, installation) = await SetupAsync(Channel("hidden"));
        using var _ = owner;
        var rule = await CreateRuleAsync(owner, installation, new { events = new[] { "lead.created" }, action = "notify_lead", input = new { lead = "{{data}}" } });
        await CreateLeadAsync(owner, new { name = "Seen By Slack Only" });
        var run = (await RunsAsync(owner, installation, r => r.Count == 1 && r[0]!["status"]!.GetValue<string>() == "succeeded")).Single()!;

        (await owner.GetJsonAsync("/api/v1/webhooks"))["data"]!.AsArray().ShouldBeEmpty();
        (await owner.GetAsync($"/api/v1/webhooks/{rule}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await owner.GetAsync($"/api/v1/webhooks/{rule}/deliveries")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await owner.PatchAsync($"/api/v1/webhooks/{rule}", new { isActive = false })).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await owner.PostAsync($"/api/v1/webhooks/{rule}/test", null)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await owner.PostAsync($"/api/v1/webhooks/{rule}/replay", new { since = DateTime.UtcNow.AddDays(-1) })).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await owner.PostAsync($"/api/v1/webhooks/deliveries/{run["id"]}/retry", null)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await owner.DeleteAsync($"/api/v1/webhooks/{rule}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await owner.GetJsonAsync($"/api/v1/integrations/{installation}/rules/{rule}"))["isActive"]!.GetValue<bool>().ShouldBeTrue();
    }

    [Fact]
    public async Task AnotherOrganizationsInstallationRulesAndRunsAreNotFound()
    {
        var (owner, installation) = await SetupAsync(Channel("tenant"));
        using var _ = owner;
        var rule = await CreateRuleAsync(owner, installation, new { events = new[] { "lead.created" }, action = "notify_lead", input = new { lead = "{{data}}" } });
        await CreateLeadAsync(owner, new { name = "Private" });
        var run = (await RunsAsync(owner, installation, r => r.Count == 1)).Single()!;
        using var intruder = node.Client();
        await intruder.SignupAsync();

        (await intruder.GetAsync($"/api/v1/integrations/{installation}/rules")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await intruder.GetAsync($"/api/v1/integrations/{installation}/rules/{rule}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await intruder.PostAsync($"/api/v1/integrations/{installation}/rules", new { events = new[] { "*" }, action = "notify_lead", input = new { lead = "{{data}}" } }))
            .StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await intruder.PatchAsync($"/api/v1/integrations/{installation}/rules/{rule}", new { isActive = false })).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await intruder.DeleteAsync($"/api/v1/integrations/{installation}/rules/{rule}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await intruder.GetAsync($"/api/v1/integrations/{installation}/action-runs")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await intruder.PostAsync($"/api/v1/integrations/{installation}/action-runs/{run["id"]}/retry", null)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        // The intruder's own leads run none of the owner's rules.
        var theirs = await CreateLeadAsync(intruder, new { name = "Intruder Lead" });
        await Task.Delay(500);
        Slack.Posted.ShouldNotContain(m => m.ToJsonString().Contains(theirs, StringComparison.Ordinal));
    }
}

public sealed class ActionsTestsOnSqlite(SlackSqliteNode node) : ActionsTests<SlackSqliteNode>(node);
public sealed class ActionsTestsOnPostgres(SlackPostgresNode node) : ActionsTests<SlackPostgresNode>(node);

using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Crm.Activities;
using Switchboard.Integrations;
using Switchboard.Integrations.Connectors;
using Switchboard.Platform.Storage;
using Switchboard.Tests.Infrastructure;
using static Switchboard.Tests.Integrations.ActionsTestKit;

namespace Switchboard.Tests.Integrations;

/// <summary>
/// The GitHub connector against <see cref="GitHubFake"/>: an issue opened once per ticket (through a rule on
/// ticket.created, a retried run, and an attempt whose answer was lost); bad input refused before any call; GitHub's
/// refusals, primary and secondary rate limits; an expiring user token refreshed once and a revoked non-expiring one
/// asking for reconnection; the comments sync over several pages and incrementally by <c>since</c>; the repository hook
/// made once with a generated secret, deliveries signed as GitHub signs them (computed here: "sha256=" + hex
/// HMAC-SHA256 of the raw body) closing and reopening the ticket, deduplicated by X-GitHub-Delivery, forged ones refused.
/// </summary>
public abstract class GitHubTests<TNode>(TNode fixture) : IClassFixture<TNode> where TNode : GitHubNode
{
    private SwitchboardFactory Node => fixture.Node;
    private GitHubFake Fake => fixture.Fake;

    /// <summary>An installation made through the API, then connected as the OAuth callback stores it.</summary>
    private async Task<(ApiClient Owner, string Installation, string Access)> InstallAsync(bool expiring = true)
    {
        var owner = Node.Client();
        await owner.SignupAsync();
        var response = await owner.PostAsync("/api/v1/integrations", new { provider = "github", name = "Widgets", config = new { owner = GitHubFake.Owner, repo = GitHubFake.Repo, labels = new[] { "from-crm" } } });
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        var installation = (await ApiClient.ReadAsync(response))["id"]!.GetValue<string>();
        var (access, refresh) = Fake.IssueTokens();
        await Node.Services.GetRequiredService<ProviderTokenStore>().StoreAsync(installation, expiring
            ? new ProviderTokens(access, refresh, Node.Clock.GetUtcNow().UtcDateTime.AddHours(8), "", "bearer")
            : new ProviderTokens(access, null, null, "repo", "bearer"), CancellationToken.None);
        return (owner, installation, access);
    }

    private async Task<T> WithConnectorAsync<T>(string installationId, Func<Connector, ConnectorContext, Task<T>> use)
    {
        await using var scope = Node.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
        var installation = await db.Set<IntegrationInstallation>().IgnoreQueryFilters().SingleAsync(i => i.Id == installationId);
        var (connector, context) = scope.ServiceProvider.GetRequiredService<ConnectorContexts>().For(installation, scope.ServiceProvider);
        return await use(connector, context);
    }

    private Task<ProviderResponse> ActAsync(string installation, string action, JsonObject input) =>
        WithConnectorAsync(installation, (connector, context) => connector.RunActionAsync(context, action, input, CancellationToken.None));

    private static async Task<string> TicketAsync(ApiClient owner, string subject, string? contactId = null) =>
        (await ApiClient.ReadAsync(await owner.PostAsync("/api/v1/tickets", new { subject, description = "Customer report.", contactId })))["id"]!.GetValue<string>();

    private IEnumerable<JsonObject> IssuesFor(string ticketId) =>
        Fake.Issues.Values.Where(i => i["body"]?.GetValue<string>()?.Contains($"switchboard-ticket:{ticketId}", StringComparison.Ordinal) ?? false);

    [Fact]
    public async Task ATicketOpensOneIssueThroughARuleAndRepeatsDoNotOpenAnother()
    {
        var (owner, installation, _) = await InstallAsync();
        using var _ = owner;
        await CreateRuleAsync(owner, installation, new
        {
            events = new[] { "ticket.created" }, action = "create_issue",
            input = new { ticketId = "{{data.id}}", title = "{{data.subject}}", body = "{{data.description}}" },
        });
        var ticket = await TicketAsync(owner, "Export button does nothing");
        var run = (await RunsAsync(owner, installation, r => r.Count == 1 && r[0]!["status"]!.GetValue<string>() == "succeeded")).Single()!;
        run["status"]!.GetValue<string>().ShouldBe("succeeded", run.ToJsonString());
        var issue = IssuesFor(ticket).ShouldHaveSingleItem();
        issue["title"]!.GetValue<string>().ShouldBe("Export button does nothing");
        issue["body"]!.GetValue<string>().ShouldStartWith("Customer report.");
        issue["labels"]!.AsArray().Select(l => l!["name"]!.GetValue<string>()).ShouldBe(["from-crm"]);

        // A retried run answers the issue already opened.
        (await owner.PostAsync($"/api/v1/integrations/{installation}/action-runs/{run["id"]}/retry", null)).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        await RunsAsync(owner, installation, r => r[0]!["attempts"]!.GetValue<int>() == 2);
        IssuesFor(ticket).Count().ShouldBe(1);

        // An attempt whose answer was lost (no link kept): the marker finds the issue among the newest.
        await Node.WithDbAsync(db => db.Set<IntegrationRecordLink>().IgnoreQueryFilters().Where(l => l.InstallationId == installation && l.Model == "issues").ExecuteDeleteAsync());
        var again = JsonNode.Parse((await ActAsync(installation, "create_issue", new JsonObject { ["ticketId"] = ticket, ["title"] = "Export button does nothing" })).Body)!;
        again["created"]!.GetValue<bool>().ShouldBeFalse();
        again["issue"]!["number"]!.GetValue<long>().ShouldBe(issue["number"]!.GetValue<long>());
        IssuesFor(ticket).Count().ShouldBe(1);

        Fake.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task AnExpiredTokenIsRefreshedOnceRateLimitsAreWaitedOutAndARevokedTokenAsksToReconnect()
    {
        var (owner, installation, access) = await InstallAsync();
        using var _ = owner;
        Fake.Expire(access);
        var refreshes = Fake.Refreshes;
        var test = await ApiClient.ReadAsync(await owner.PostAsync($"/api/v1/integrations/{installation}/test", null));
        test["success"]!.GetValue<bool>().ShouldBeTrue(test.ToJsonString());
        (Fake.Refreshes - refreshes).ShouldBe(1, "one refresh, then the call succeeded");

        // Primary limit: 403 with x-ratelimit-remaining 0, wait until x-ratelimit-reset.
        var reset = Node.Clock.GetUtcNow().AddMinutes(2).ToUnixTimeSeconds();
        Fake.FailNext(GitHubFake.RepoPath, 403, "API rate limit exceeded for user ID 1.", new()
        {
            ["x-ratelimit-limit"] = "5000", ["x-ratelimit-remaining"] = "0", ["x-ratelimit-used"] = "5000", ["x-ratelimit-reset"] = reset.ToString(CultureInfo.InvariantCulture),
            ["x-ratelimit-resource"] = "core",
        });
        var primary = await Should.ThrowAsync<ProviderException>(() => WithConnectorAsync(installation, (c, ctx) => c.TestAsync(ctx, CancellationToken.None)));
        primary.Retryable.ShouldBeTrue();
        primary.Status.ShouldBe(403);
        primary.RetryAfter!.Value.ShouldBeInRange(TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(121));

        // Secondary limit: retry-after.
        Fake.FailNext(GitHubFake.RepoPath, 429, "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.", new() { ["retry-after"] = "30" });
        var secondary = await Should.ThrowAsync<ProviderException>(() => WithConnectorAsync(installation, (c, ctx) => c.TestAsync(ctx, CancellationToken.None)));
        secondary.Retryable.ShouldBeTrue();
        secondary.RetryAfter.ShouldBe(TimeSpan.FromSeconds(30));

        // A refusal is not a rate limit.
        Fake.FailNext(GitHubFake.RepoPath, 403, "Resource not accessible by integration");
        var refused = await Should.ThrowAsync<ProviderException>(() => WithConnectorAsync(installation, (c, ctx) => c.TestAsync(ctx, CancellationToken.None)));
        refused.Retryable.ShouldBeFalse();
        refused.ProviderError.ShouldBe("Resource not accessible by integration");

        // Bad input is refused before any call; GitHub's own refusal (an unknown label) is not retried and says why.
        var early = await TicketAsync(owner, "Opened before the rule");
        foreach (var bad in new[]
        {
            new JsonObject { ["ticketId"] = early, ["title"] = "  " },
            new JsonObject { ["ticketId"] = "not-a-ticket", ["title"] = "x" },
            new JsonObject { ["ticketId"] = "tkt_01JEXAMPLE0000000000000000", ["title"] = "no such ticket" },
        })
        {
            var early400 = await Should.ThrowAsync<ProviderException>(() => ActAsync(installation, "create_issue", bad));
            early400.Retryable.ShouldBeFalse();
            early400.Status.ShouldBeNull();
        }
        Fake.Provider.Requests.ShouldNotContain(r => r.Method == "POST" && r.Path.EndsWith("/issues", StringComparison.Ordinal)
            && r.Headers.GetValueOrDefault("authorization", "").Length > 0 && r.Body.Contains("Opened before", StringComparison.Ordinal));
        var label = await Should.ThrowAsync<ProviderException>(() => ActAsync(installation, "create_issue",
            new JsonObject { ["ticketId"] = early, ["title"] = "Opened before the rule", ["labels"] = new JsonArray("no-such-label") }));
        label.Status.ShouldBe(422);
        label.Retryable.ShouldBeFalse();
        label.ProviderError.ShouldBe("Validation Failed (Label name invalid)");
        IssuesFor(early).ShouldBeEmpty();

        // An OAuth app's token (no expiry, no refresh token) revoked at GitHub: the installation needs reconnecting.
        var (other, classic, classicToken) = await InstallAsync(expiring: false);
        using var __ = other;
        Fake.Expire(classicToken);
        var lost = await ApiClient.ReadAsync(await other.PostAsync($"/api/v1/integrations/{classic}/test", null));
        lost["success"]!.GetValue<bool>().ShouldBeFalse();
        (await other.GetJsonAsync($"/api/v1/integrations/{classic}"))["status"]!.GetValue<string>().ShouldBe("needs_reauth");
        (Fake.Refreshes - refreshes).ShouldBe(1, "nothing to refresh with");
        Fake.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task CommentsOnTicketIssuesBecomeNotesOverSeveralPagesThenIncrementally()
    {
        var (owner, installation, _) = await InstallAsync();
        using var _ = owner;
        var contact = (await ApiClient.ReadAsync(await owner.PostAsync("/api/v1/contacts", new { firstName = "Ada", lastName = "Customer", email = "ada@customer.example" })))["id"]!.GetValue<string>();
        var ticket = await TicketAsync(owner, "Sync is slow", contact);
        var issue = JsonNode.Parse((await ActAsync(installation, "create_issue", new JsonObject { ["ticketId"] = ticket, ["title"] = "Sync is slow" })).Body)!["issue"]!["number"]!.GetValue<long>();
        var start = new DateTime(2026, 11, 20, 8, 0, 0, DateTimeKind.Utc);
        var comments = Enumerable.Range(0, 130).Select(i => Fake.AddComment(issue, i % 2 == 0 ? "dev-one" : "dev-two", $"Looked into it, step {i}.", start.AddSeconds(i))).ToList();

        var first = await owner.SyncAsync(installation, "comments");
        first.Count("added").ShouldBe(130);
        first.Count("skipped").ShouldBe(4, "three comments on an issue no ticket opened, and the comment at the page boundary read again (unchanged)");
        var notes = await Node.WithDbAsync(db => db.Set<Activity>().IgnoreQueryFilters().Where(a => a.ContactId == contact).ToListAsync());
        notes.Count.ShouldBe(130);
        var one = notes.Single(n => n.Notes == "Looked into it, step 7.");
        one.Type.ShouldBe("note");
        one.Subject.ShouldBe($"GitHub comment by @dev-two on acme/widgets#{issue}");
        one.OccurredAt.ShouldBe(start.AddSeconds(7));
        var lists = Fake.Provider.Requests.Where(r => r.Path == $"{GitHubFake.RepoPath}/issues/comments").ToList();
        lists[0].Query.ShouldNotContain("since=");
        lists.Skip(1).ShouldContain(r => r.Query.Contains("since=2026-11-20T08%3A01%3A36Z", StringComparison.Ordinal), "the next page anchored at the last comment read (3 others and 97 of these on the first)");

        // Incremental: one new comment and one edited; the rest is not read again as changes.
        var listed = Fake.Provider.Requests.Count(r => r.Path == $"{GitHubFake.RepoPath}/issues/comments");
        Fake.AddComment(issue, "dev-one", "Fixed in #1234.", start.AddMinutes(10));
        Fake.EditComment(comments[3]["id"]!.GetValue<long>(), "Looked into it, step 3 (edited).", start.AddMinutes(11));
        var second = await owner.SyncAsync(installation, "comments");
        second.Count("added").ShouldBe(1);
        second.Count("updated").ShouldBe(1);
        var incremental = Fake.Provider.Requests.Where(r => r.Path == $"{GitHubFake.RepoPath}/issues/comments").Skip(listed).ToList();
        incremental.ShouldAllBe(r => r.Query.Contains("since=2026-11-20T08%3A02%3A09Z", StringComparison.Ordinal));
        (await Node.WithDbAsync(db => db.Set<Activity>().IgnoreQueryFilters().CountAsync(a => a.ContactId == contact))).ShouldBe(131);
        (await Node.WithDbAsync(db => db.Set<Activity>().IgnoreQueryFilters().CountAsync(a => a.Notes == "Looked into it, step 3 (edited)."))).ShouldBe(1);
        Fake.Provider.AssertNoViolations();
    }

    private async Task<HttpResponseMessage> DeliverAsync(string installation, string eventName, string body, string secret, string? delivery = null,
        Func<string, string>? tamper = null)
    {
        using var anonymous = Node.Client();
        // GitHub's recipe: "sha256=" + hex HMAC-SHA256(secret, raw body).
        var signature = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(body)));
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/integrations/{installation}/inbound/events")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("X-Hub-Signature-256", tamper is null ? signature : tamper(signature));
        request.Headers.TryAddWithoutValidation("X-GitHub-Event", eventName);
        request.Headers.TryAddWithoutValidation("X-GitHub-Delivery", delivery ?? Guid.NewGuid().ToString());
        request.Headers.TryAddWithoutValidation("X-GitHub-Hook-ID", "400001");
        request.Headers.UserAgent.ParseAdd("GitHub-Hookshot/044aadd");
        return await anonymous.Http.SendAsync(request);
    }

    private static string IssueEvent(string action, long number, string? stateReason) => new JsonObject
    {
        ["action"] = action,
        ["issue"] = new JsonObject
        {
            ["number"] = number, ["title"] = "Printer on fire", ["state"] = action == "closed" ? "closed" : "open", ["state_reason"] = stateReason,
            ["user"] = new JsonObject { ["login"] = "crm-bot" },
        },
        ["repository"] = new JsonObject { ["id"] = 1296269, ["name"] = GitHubFake.Repo, ["full_name"] = $"{GitHubFake.Owner}/{GitHubFake.Repo}" },
        ["sender"] = new JsonObject { ["login"] = "maintainer" },
    }.ToJsonString();

    [Fact]
    public async Task TheHookIsMadeOnceAndSignedDeliveriesMoveTheTicketOnceWhileForgedOnesAre401()
    {
        var (owner, installation, _) = await InstallAsync();
        using var _ = owner;
        var callback = $"{GitHubNode.PublicBaseUrl}/api/v1/integrations/{installation}/inbound/events";
        var subscribed = JsonNode.Parse((await ActAsync(installation, "subscribe_webhooks", [])).Body)!;
        subscribed["created"]!.GetValue<bool>().ShouldBeTrue();
        var hook = Fake.Hooks.Values.Where(h => h["config"]!["url"]!.GetValue<string>() == callback).ShouldHaveSingleItem();
        hook["events"]!.AsArray().Select(e => e!.GetValue<string>()).ShouldBe(["issues", "issue_comment"]);
        var secret = Fake.HookSecrets[hook["id"]!.GetValue<long>()];
        (JsonNode.Parse((await ActAsync(installation, "subscribe_webhooks", [])).Body)!)["created"]!.GetValue<bool>().ShouldBeFalse();
        Fake.Hooks.Values.Count(h => h["config"]!["url"]!.GetValue<string>() == callback).ShouldBe(1);
        (await (await owner.GetAsync($"/api/v1/integrations/{installation}")).Content.ReadAsStringAsync()).ShouldNotContain(secret);

        (await DeliverAsync(installation, "ping", """{"zen":"Design for failure.","hook_id":400001}""", secret)).StatusCode.ShouldBe(HttpStatusCode.OK);
        var ticket = await TicketAsync(owner, "Printer on fire");
        var number = JsonNode.Parse((await ActAsync(installation, "create_issue", new JsonObject { ["ticketId"] = ticket, ["title"] = "Printer on fire" })).Body)!["issue"]!["number"]!.GetValue<long>();

        // Forged: a flipped signature, another secret, the body changed after signing, no signature.
        var closed = IssueEvent("closed", number, "completed");
        var flip = (string s) => s[..^1] + (s[^1] == '0' ? '1' : '0');
        (await DeliverAsync(installation, "issues", closed, secret, tamper: flip)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await DeliverAsync(installation, "issues", closed, "not-the-hook-secret-0000000000")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await DeliverAsync(installation, "issues", closed, secret, tamper: s => "sha1=" + s[7..])).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await DeliverAsync(installation, "issues", closed, secret, tamper: _ => "")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await owner.GetJsonAsync($"/api/v1/tickets/{ticket}"))["status"]!.GetValue<string>().ShouldBe("open");

        var delivery = Guid.NewGuid().ToString();
        (await DeliverAsync(installation, "issues", closed, secret, delivery)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await owner.GetJsonAsync($"/api/v1/tickets/{ticket}"))["status"]!.GetValue<string>().ShouldBe("resolved");
        (await DeliverAsync(installation, "issues", IssueEvent("reopened", number, null), secret)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await owner.GetJsonAsync($"/api/v1/tickets/{ticket}"))["status"]!.GetValue<string>().ShouldBe("open");
        // GitHub's "Redeliver" sends the same GUID: it changes nothing now.
        (await DeliverAsync(installation, "issues", closed, secret, delivery)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await owner.GetJsonAsync($"/api/v1/tickets/{ticket}"))["status"]!.GetValue<string>().ShouldBe("open");
        (await EventsOfTypeAsync(Node, ticket, "ticket.updated")).Count.ShouldBe(2);

        // A comment: the comments sync is queued by the webhook and brings it in.
        Fake.AddComment(number, "maintainer", "Fire is out.", DateTime.UtcNow);
        var comment = new JsonObject
        {
            ["action"] = "created", ["issue"] = new JsonObject { ["number"] = number }, ["comment"] = new JsonObject { ["body"] = "Fire is out." },
            ["repository"] = new JsonObject { ["full_name"] = $"{GitHubFake.Owner}/{GitHubFake.Repo}" },
        }.ToJsonString();
        (await DeliverAsync(installation, "issue_comment", comment, secret)).StatusCode.ShouldBe(HttpStatusCode.OK);
        var run = await Node.WithDbAsync(db => db.Set<IntegrationSyncRun>().IgnoreQueryFilters().SingleAsync(r => r.InstallationId == installation && r.Trigger == "webhook"));
        (await owner.WaitForRunAsync(installation, run.Id))["status"]!.GetValue<string>().ShouldBe("succeeded");
        (await Node.WithDbAsync(db => db.Set<Activity>().IgnoreQueryFilters().CountAsync(a => a.Notes == "Fire is out."))).ShouldBe(1);

        // Uninstalling deletes the hook and the app's grant.
        (await owner.DeleteAsync($"/api/v1/integrations/{installation}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        Fake.Hooks.Values.ShouldNotContain(h => h["config"]!["url"]!.GetValue<string>() == callback);
        Fake.GrantsDeleted.ShouldNotBeEmpty();
        Fake.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task TheCatalogListsItWithItsCapabilitiesPortalPageAndIcon()
    {
        using var owner = Node.Client();
        await owner.SignupAsync();
        var github = await owner.GetJsonAsync("/api/v1/integrations/providers/github");
        github["category"]!.GetValue<string>().ShouldBe("project_management");
        github["auth"]!["kind"]!.GetValue<string>().ShouldBe("oauth2");
        github["actions"]!.AsArray().Select(a => a!["name"]!.GetValue<string>()).ShouldBe(["create_issue", "subscribe_webhooks"]);
        github["inbound"]!.AsArray().Select(a => a!.GetValue<string>()).ShouldBe(["events"]);
        github["configSchema"]!["required"]!.AsArray().Select(r => r!.GetValue<string>()).ShouldBe(["owner", "repo"]);
        (await owner.GetJsonAsync("/api/v1/integrations/providers?trigger=ticket.created"))["data"]!.AsArray().Select(p => p!["key"]!.GetValue<string>()).ShouldContain("github");
        var icon = await owner.GetAsync("/api/v1/integrations/providers/github/icon.svg");
        icon.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await icon.Content.ReadAsStringAsync()).ShouldStartWith("<svg");
        var page = await owner.Http.GetAsync("/developers/integrations-github");
        page.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await page.Content.ReadAsStringAsync()).ShouldContain("create_issue");
        await (await owner.PostAsync("/api/v1/integrations", new { provider = "github", config = new { owner = "acme" } })).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
    }
}

public sealed class GitHubTestsOnSqlite(GitHubSqliteNode fixture) : GitHubTests<GitHubSqliteNode>(fixture);
public sealed class GitHubTestsOnPostgres(GitHubPostgresNode fixture) : GitHubTests<GitHubPostgresNode>(fixture);

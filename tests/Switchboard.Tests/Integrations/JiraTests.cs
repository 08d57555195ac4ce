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
/// The Jira connector against <see cref="JiraFake"/>: the site picked from the grant's accessible resources; issues
/// created from tickets in ADF, once per ticket (id map, then the label); the issues sync pulling pages and then only
/// what changed, a transition moving the linked ticket's status; an expired token refreshed once (rotating refresh
/// tokens), a 429 waited out, Jira's refusals surfaced; the dynamic webhook registered once and a forged delivery refused.
/// </summary>
public abstract class JiraTests<TNode>(TNode node) : IClassFixture<TNode> where TNode : SwitchboardFactory
{
    private JiraFake Fake => node switch
    {
        JiraSqliteNode s => s.Jira,
        JiraPostgresNode p => p.Jira,
        _ => throw new InvalidOperationException(),
    };

    /// <summary>An installation connected to <paramref name="grant"/> as the OAuth callback leaves it (tokens stored, the site's cloud id among their extras).</summary>
    private async Task<(ApiClient Owner, string Installation)> InstallAsync(JiraFake.Grant grant, JiraFake.Site? site, JsonObject? config = null, string? refreshToken = null,
        ApiClient? existingOwner = null, bool siteAsAccount = true)
    {
        var owner = existingOwner ?? node.Client();
        var organization = existingOwner is not null ? (await owner.GetJsonAsync("/api/v1/me"))["organizationId"]!.GetValue<string>()
            : (await owner.SignupAsync())["organization"]!["id"]!.GetValue<string>();
        var id = Switchboard.Platform.Ids.New(IntegrationResources.Installations, node.Clock);
        var now = node.Clock.GetUtcNow().UtcDateTime;
        await node.WithDbAsync(async db =>
        {
            db.Add(new IntegrationInstallation
            {
                Id = id, OrganizationId = organization, ProviderKey = "jira", Name = "Jira", Config = (config ?? new JsonObject { ["projectKey"] = "SUP" }).ToJsonString(),
                Status = InstallationStatus.PendingAuth, CreatedAt = now, UpdatedAt = now, ProviderAccountId = siteAsAccount ? site?.Url : null,
            });
            return await db.SaveChangesAsync();
        });
        var extra = site is null ? null : new Dictionary<string, string> { ["cloudId"] = site.CloudId, ["siteUrl"] = site.Url };
        await node.Services.GetRequiredService<ProviderTokenStore>().StoreAsync(id,
            new ProviderTokens(grant.AccessToken, refreshToken ?? grant.RefreshToken, now.AddMinutes(60), "read:jira-work write:jira-work", "Bearer", extra), CancellationToken.None);
        return (owner, id);
    }

    private async Task<T> WithConnectorAsync<T>(string installationId, Func<Connector, ConnectorContext, Task<T>> use)
    {
        await using var scope = node.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
        var installation = await db.Set<IntegrationInstallation>().IgnoreQueryFilters().SingleAsync(i => i.Id == installationId);
        var (connector, context) = scope.ServiceProvider.GetRequiredService<ConnectorContexts>().For(installation, scope.ServiceProvider);
        return await use(connector, context);
    }

    private Task<ProviderResponse> ActAsync(string installation, string action, JsonObject input) =>
        WithConnectorAsync(installation, (connector, context) => connector.RunActionAsync(context, action, input, CancellationToken.None));

    private static async Task<string> TicketAsync(ApiClient owner, string subject, string priority = "normal")
    {
        var response = await owner.PostAsync("/api/v1/tickets", new { subject, description = "From the CRM", priority });
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await ApiClient.ReadAsync(response))["id"]!.GetValue<string>();
    }

    [Fact]
    public async Task TheConfiguredSiteIsPickedAndAnIssueIsCreatedOncePerTicketInAdf()
    {
        var (first, second) = (Fake.NewSite(), Fake.NewSite());
        var grant = Fake.NewGrant(first, second);
        var (owner, installation) = await InstallAsync(grant, site: null, new JsonObject { ["projectKey"] = "SUP", ["site"] = second.Url + "/" });
        using var _ = owner;
        var extra = await WithConnectorAsync(installation, (c, ctx) => c.CompleteConnectionAsync(ctx, new Dictionary<string, string>(), CancellationToken.None));
        extra.ShouldNotBeNull();
        extra["cloudId"].ShouldBe(second.CloudId, "the site named by the configuration, not the first");
        await node.Services.GetRequiredService<ProviderTokenStore>().AddExtraAsync(installation, extra, CancellationToken.None);
        (await WithConnectorAsync(installation, (c, ctx) => c.TestAsync(ctx, CancellationToken.None))).Status.ShouldBe(200);

        var (_, unknownSite) = await InstallAsync(grant, site: null, new JsonObject { ["projectKey"] = "SUP", ["site"] = "https://elsewhere.atlassian.net" });
        var notGranted = await Should.ThrowAsync<ProviderException>(() =>
            WithConnectorAsync(unknownSite, (c, ctx) => c.CompleteConnectionAsync(ctx, new Dictionary<string, string>(), CancellationToken.None)));
        notGranted.Message.ShouldContain(first.Url);

        var ticket = await TicketAsync(owner, "Printer on fire", "urgent");
        var input = new JsonObject
        {
            ["ticketId"] = ticket, ["subject"] = "Printer on fire", ["priority"] = "urgent",
            ["description"] = "The printer is on fire.\r\nSecond floor.\n\n\nCustomer says <b>urgent</b>.",
        };
        var made = JsonNode.Parse((await ActAsync(installation, "create_issue", input)).Body)!;
        made["created"]!.GetValue<bool>().ShouldBeTrue();
        var created = second.Created.ShouldHaveSingleItem()["fields"]!;
        first.Created.ShouldBeEmpty();
        created["priority"]!["name"]!.GetValue<string>().ShouldBe("Highest");
        created["labels"]![0]!.GetValue<string>().ShouldBe("switchboard-" + ticket);
        created["description"]!.ToJsonString().ShouldBe(new JsonObject
        {
            ["type"] = "doc", ["version"] = 1,
            ["content"] = new JsonArray(
                new JsonObject { ["type"] = "paragraph", ["content"] = new JsonArray(
                    new JsonObject { ["type"] = "text", ["text"] = "The printer is on fire." }, new JsonObject { ["type"] = "hardBreak" },
                    new JsonObject { ["type"] = "text", ["text"] = "Second floor." }) },
                new JsonObject { ["type"] = "paragraph", ["content"] = new JsonArray(new JsonObject { ["type"] = "text", ["text"] = "Customer says <b>urgent</b>." }) }),
        }.ToJsonString());

        // Repeated (the queue delivers at least once): the id map answers the issue made.
        var again = JsonNode.Parse((await ActAsync(installation, "create_issue", input)).Body)!;
        (again["created"]!.GetValue<bool>(), again["id"]!.GetValue<string>()).ShouldBe((false, made["id"]!.GetValue<string>()));
        // The first attempt's answer lost before its link was written: the label finds the issue.
        await node.WithDbAsync(db => db.Set<IntegrationRecordLink>().IgnoreQueryFilters().Where(l => l.InstallationId == installation).ExecuteDeleteAsync());
        var found = JsonNode.Parse((await ActAsync(installation, "create_issue", input)).Body)!;
        (found["created"]!.GetValue<bool>(), found["id"]!.GetValue<string>()).ShouldBe((false, made["id"]!.GetValue<string>()));
        second.Issues.Count.ShouldBe(1);

        // Input that can never work is refused before any call to Jira.
        var calls = Fake.Provider.Requests.Count;
        (await Should.ThrowAsync<ProviderException>(() => ActAsync(installation, "create_issue", new JsonObject { ["ticketId"] = ticket, ["subject"] = "two\nlines" }))).Retryable.ShouldBeFalse();
        (await Should.ThrowAsync<ProviderException>(() => ActAsync(installation, "create_issue", new JsonObject { ["ticketId"] = "tkt_01JBZZZZZZZZZZZZZZZZZZZZZZ", ["subject"] = "x" }))).Retryable.ShouldBeFalse();
        (await Should.ThrowAsync<ProviderException>(() => ActAsync(installation, "create_issue", new JsonObject { ["ticketId"] = ticket, ["subject"] = "x", ["priority"] = "asap" }))).Retryable.ShouldBeFalse();
        Fake.Provider.Requests.Count.ShouldBe(calls);
        Fake.Provider.AssertNoViolations();
    }

    private Task<List<Switchboard.Crm.Tickets.Ticket>> TicketsAsync(string installation) => node.WithDbAsync(async db =>
    {
        var organization = await db.Set<IntegrationInstallation>().IgnoreQueryFilters().Where(i => i.Id == installation).Select(i => i.OrganizationId).SingleAsync();
        return await db.Set<Switchboard.Crm.Tickets.Ticket>().IgnoreQueryFilters().Where(t => t.OrganizationId == organization).ToListAsync();
    });

    [Fact]
    public async Task IssuesArePulledPageByPageThenIncrementallyAndTransitionsMoveTheTickets()
    {
        var site = Fake.NewSite();
        var grant = Fake.NewGrant(site);
        var (owner, installation) = await InstallAsync(grant, site, new JsonObject { ["projectKey"] = "SUP", ["statusMapping"] = new JsonObject { ["Won't Do"] = "closed" } });
        using var _ = owner;
        var ticket = await TicketAsync(owner, "Cannot log in");
        var issueId = JsonNode.Parse((await ActAsync(installation, "create_issue", new JsonObject { ["ticketId"] = ticket, ["subject"] = "Cannot log in" })).Body)!["id"]!.GetValue<string>();
        var others = Enumerable.Range(0, 120).Select(i => site.Add($"Made in Jira {i}", priority: i == 0 ? "High" : "Medium")).ToList();

        var full = await owner.SyncAsync(installation, "issues");
        (full.Count("added"), full.Count("skipped")).ShouldBe((120, 1), "the issue made from the ticket is linked already and unchanged");
        site.Jql.ShouldAllBe(q => q == "project = \"SUP\" ORDER BY updated ASC" || q.Contains("labels", StringComparison.Ordinal));
        Fake.Provider.Requests.Count(r => r.Path.EndsWith("/search/jql", StringComparison.Ordinal) && r.Body.Contains("nextPageToken", StringComparison.Ordinal)).ShouldBe(1);
        var pulled = await TicketsAsync(installation);
        pulled.Count.ShouldBe(121);
        pulled.Single(t => t.Subject == "Made in Jira 0").Priority.ShouldBe("high");

        var newest = site.Issues.Values.Max(i => i.Updated);
        site.Advance(TimeSpan.FromMinutes(5));
        site.Transition(issueId, "Done", "done");
        site.Transition(others[7].Id, "Won't Do", "done");
        site.Transition(others[8].Id, "In Progress", "indeterminate");
        var incremental = await owner.SyncAsync(installation, "issues");
        (incremental.Count("added"), incremental.Count("updated")).ShouldBe((0, 3));
        // The mark in the user's time zone (Jira's updated carries it), a minute early for JQL's minute granularity.
        site.Jql.Last().ShouldBe($"project = \"SUP\" AND updated >= \"{newest.ToOffset(JiraFake.UserOffset).AddMinutes(-1):yyyy/MM/dd HH:mm}\" ORDER BY updated ASC");
        (await owner.GetJsonAsync($"/api/v1/tickets/{ticket}"))["status"]!.GetValue<string>().ShouldBe("resolved");
        var byId = (await TicketsAsync(installation)).ToDictionary(t => t.Subject, t => t.Status);
        (byId["Made in Jira 7"], byId["Made in Jira 8"]).ShouldBe(("closed", "pending"), "a status name's mapping wins over its category's");

        // Nothing changed since: the overlap re-reads the last minute's issues and the engine skips them.
        var quiet = await owner.SyncAsync(installation, "issues");
        (quiet.Count("added"), quiet.Count("updated"), quiet.Count("skipped")).ShouldBe((0, 0, 3));
        Fake.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task AnExpiredTokenIsRefreshedOnceRateLimitsAreWaitedOutAndRefusalsCarryJirasMessage()
    {
        var site = Fake.NewSite();
        var grant = Fake.NewGrant(site);
        var (owner, installation) = await InstallAsync(grant, site);
        using var _ = owner;
        Task<ProviderResponse> TestAsync() => WithConnectorAsync(installation, (c, ctx) => c.TestAsync(ctx, CancellationToken.None));

        Fake.Expire(grant);
        (await TestAsync()).Status.ShouldBe(200);
        grant.Refreshes.ShouldBe(1);
        // Refresh tokens rotate: the second refresh must use the one the first answered (the fake refuses the old one).
        Fake.Expire(grant);
        (await TestAsync()).Status.ShouldBe(200);
        grant.Refreshes.ShouldBe(2);

        Fake.FailNext(429, JiraFake.Errors(["Rate limit exceeded."]), retryAfter: "7");
        var limited = await Should.ThrowAsync<ProviderException>(TestAsync);
        (limited.Retryable, limited.RetryAfter, limited.Status).ShouldBe((true, TimeSpan.FromSeconds(7), 429));

        var ticket = await TicketAsync(owner, "Refused");
        Fake.FailNext(400, JiraFake.Errors([], new JsonObject { ["summary"] = "You must specify a summary of the issue." }));
        var refused = await Should.ThrowAsync<ProviderException>(() => ActAsync(installation, "create_issue", new JsonObject { ["ticketId"] = ticket, ["subject"] = "Refused" }));
        (refused.Retryable, refused.Status, refused.ProviderError).ShouldBe((false, 400, "summary: You must specify a summary of the issue."));

        var (_, wrongProject) = await InstallAsync(grant, site, new JsonObject { ["projectKey"] = "NOPE" });
        var missing = await Should.ThrowAsync<ProviderException>(() => WithConnectorAsync(wrongProject, (c, ctx) => c.TestAsync(ctx, CancellationToken.None)));
        (missing.Retryable, missing.ProviderError).ShouldBe((false, "No project could be found with key 'NOPE'."));

        // A refresh token Jira no longer knows: the installation asks for a reconnection.
        var other = Fake.NewGrant(site);
        var (_, revoked) = await InstallAsync(other, site, refreshToken: "jrt-revoked");
        Fake.Expire(other);
        var gone = await Should.ThrowAsync<ProviderException>(() => WithConnectorAsync(revoked, (c, ctx) => c.TestAsync(ctx, CancellationToken.None)));
        gone.NeedsReauthorization.ShouldBeTrue();
        (await node.WithDbAsync(db => db.Set<IntegrationInstallation>().IgnoreQueryFilters().SingleAsync(i => i.Id == revoked))).Status.ShouldBe(InstallationStatus.NeedsReauth);
        Fake.Provider.AssertNoViolations();
    }

    /// <summary>A JWT as Jira signs a dynamic webhook delivery: HS256 with the app's client secret.</summary>
    private string Jwt(string secret = JiraFake.ClientSecret, string alg = "HS256", TimeSpan? expiresIn = null)
    {
        static string B64(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var now = node.Clock.GetUtcNow();
        var header = B64(Encoding.UTF8.GetBytes($$"""{"alg":"{{alg}}","typ":"JWT"}"""));
        var payload = B64(Encoding.UTF8.GetBytes($$"""{"iss":"jira","iat":{{now.ToUnixTimeSeconds()}},"exp":{{(now + (expiresIn ?? TimeSpan.FromMinutes(3))).ToUnixTimeSeconds()}}}"""));
        return $"{header}.{payload}.{B64(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.ASCII.GetBytes(header + "." + payload)))}";
    }

    /// <summary>A delivery as Jira posts it: to the app's URL, or (<paramref name="installation"/>) an installation's own.</summary>
    private async Task<HttpStatusCode> DeliverAsync(string? installation, string? jwt, string siteUrl = "https://acme.atlassian.net", long? matchedWebhookId = null)
    {
        using var anonymous = node.Client();
        var matched = matchedWebhookId is { } m ? $",\"matchedWebhookIds\":[{m}]" : "";
        using var request = new HttpRequestMessage(HttpMethod.Post, installation is null ? "/api/v1/integrations/providers/jira/inbound/events" : $"/api/v1/integrations/{installation}/inbound/events")
        {
            Content = new StringContent($$"""{"timestamp":1733300000000,"webhookEvent":"jira:issue_updated","issue":{"id":"10001","self":"{{siteUrl}}/rest/api/3/issue/10001","key":"SUP-1"}{{matched}}}""",
                Encoding.UTF8, "application/json"),
        };
        if (jwt is not null) request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + jwt);
        return (await anonymous.Http.SendAsync(request)).StatusCode;
    }

    [Fact]
    public async Task TheWebhookIsRegisteredOnceAndOnlyAVerifiedDeliveryStartsASync()
    {
        var site = Fake.NewSite();
        var grant = Fake.NewGrant(site);
        var (owner, installation) = await InstallAsync(grant, site);
        using var _ = owner;
        var listed = await owner.GetJsonAsync("/api/v1/integrations/providers/jira");
        (listed["category"]!.GetValue<string>(), listed["auth"]!["kind"]!.GetValue<string>()).ShouldBe(("project_management", "oauth2"));
        listed["actions"]!.AsArray().Select(a => a!["name"]!.GetValue<string>()).ShouldBe(["create_issue", "register_webhooks"]);
        listed["configSchema"]!["required"]![0]!.GetValue<string>().ShouldBe("projectKey");
        (await owner.Http.GetAsync("/developers/integrations-jira")).StatusCode.ShouldBe(HttpStatusCode.OK);

        var first = JsonNode.Parse((await ActAsync(installation, "register_webhooks", [])).Body)!;
        first["created"]!.GetValue<bool>().ShouldBeTrue();
        var webhook = site.Webhooks.Values.ShouldHaveSingleItem();
        webhook["url"]!.GetValue<string>().ShouldBe($"{JiraNode.PublicBaseUrl}/api/v1/integrations/providers/jira/inbound/events", "Jira takes one URL per app");
        webhook["jqlFilter"]!.GetValue<string>().ShouldBe("project = \"SUP\"");
        var again = JsonNode.Parse((await ActAsync(installation, "register_webhooks", [])).Body)!;
        again["created"]!.GetValue<bool>().ShouldBeFalse();
        site.Webhooks.Count.ShouldBe(1);
        Fake.Provider.Requests.ShouldContain(r => r.Method == "PUT" && r.Path.EndsWith("/webhook/refresh", StringComparison.Ordinal));

        Task<int> RunsAsync() => node.WithDbAsync(db => db.Set<IntegrationSyncRun>().IgnoreQueryFilters().CountAsync(r => r.InstallationId == installation));
        (await DeliverAsync(null, Jwt(secret: "not-the-client-secret"), site.Url)).ShouldBe(HttpStatusCode.Unauthorized);
        (await DeliverAsync(null, Jwt(alg: "HS512"), site.Url)).ShouldBe(HttpStatusCode.Unauthorized);
        (await DeliverAsync(null, Jwt(expiresIn: TimeSpan.FromMinutes(-10)), site.Url)).ShouldBe(HttpStatusCode.Unauthorized);
        (await DeliverAsync(null, Jwt()[..^4] + "AAAA", site.Url)).ShouldBe(HttpStatusCode.Unauthorized);
        (await DeliverAsync(null, null, site.Url)).ShouldBe(HttpStatusCode.Unauthorized);
        (await DeliverAsync(installation, Jwt(), site.Url)).ShouldBe(HttpStatusCode.NotFound, "Jira delivers to the app's URL only");
        (await RunsAsync()).ShouldBe(0, "nothing was queued by a delivery that was not verified");

        (await DeliverAsync(null, Jwt(), site.Url)).ShouldBe(HttpStatusCode.OK);
        var run = await node.WithDbAsync(db => db.Set<IntegrationSyncRun>().IgnoreQueryFilters().SingleAsync(r => r.InstallationId == installation));
        (run.Model, run.Trigger).ShouldBe(("issues", "webhook"));
        (await owner.WaitForRunAsync(installation, run.Id))["status"]!.GetValue<string>().ShouldBe("succeeded");
        Fake.Provider.AssertNoViolations();
    }

    /// <summary>
    /// Jira delivers every webhook of the app to one URL: two organizations' installations on one site and project share
    /// one webhook, a delivery reaches each installation of the site it names (and no other site's), and uninstalling one
    /// of them leaves the webhook to the other; the last one deletes it.
    /// </summary>
    [Fact]
    public async Task InstallationsOnOneSiteShareItsWebhookEachGetsItsDeliveriesAndTheLastUninstallDeletesIt()
    {
        var (site, other) = (Fake.NewSite(), Fake.NewSite());
        var (ownerA, a) = await InstallAsync(Fake.NewGrant(site), site);
        var (ownerB, b) = await InstallAsync(Fake.NewGrant(site), site);
        // Connected before the site was kept as the provider account: register_webhooks keeps it from the tokens' extras.
        var (_, elsewhere) = await InstallAsync(Fake.NewGrant(other), other, existingOwner: ownerA, siteAsAccount: false);
        using var __ = ownerA;
        using var ___ = ownerB;

        JsonNode.Parse((await ActAsync(a, "register_webhooks", [])).Body)!["created"]!.GetValue<bool>().ShouldBeTrue();
        var shared = JsonNode.Parse((await ActAsync(b, "register_webhooks", [])).Body)!;
        shared["created"]!.GetValue<bool>().ShouldBeFalse("the same project on the same site: one webhook");
        var webhookId = site.Webhooks.Keys.ShouldHaveSingleItem();
        shared["webhookId"]!.GetValue<long>().ShouldBe(webhookId);
        JsonNode.Parse((await ActAsync(elsewhere, "register_webhooks", [])).Body)!["created"]!.GetValue<bool>().ShouldBeTrue();
        (await node.WithDbAsync(db => db.Set<IntegrationInstallation>().IgnoreQueryFilters().SingleAsync(i => i.Id == elsewhere))).ProviderAccountId.ShouldBe(other.Url);

        async Task<int> WebhookRunsAsync(ApiClient owner, string installation)
        {
            var runs = await node.WithDbAsync(db => db.Set<IntegrationSyncRun>().IgnoreQueryFilters().AsNoTracking()
                .Where(r => r.InstallationId == installation && r.Trigger == "webhook").Select(r => r.Id).ToListAsync());
            foreach (var run in runs) (await owner.WaitForRunAsync(installation, run))["status"]!.GetValue<string>().ShouldBe("succeeded");
            return runs.Count;
        }

        (await DeliverAsync(null, null, site.Url, webhookId)).ShouldBe(HttpStatusCode.Unauthorized);
        (await DeliverAsync(null, Jwt(secret: "not-the-client-secret"), site.Url, webhookId)).ShouldBe(HttpStatusCode.Unauthorized);
        (await DeliverAsync(null, Jwt(), "https://unknown-site.atlassian.net", webhookId)).ShouldBe(HttpStatusCode.OK, "a site no installation is connected to");
        (await DeliverAsync(null, Jwt(), site.Url, matchedWebhookId: webhookId + 1000)).ShouldBe(HttpStatusCode.OK, "another project's webhook on the site");
        (await WebhookRunsAsync(ownerA, a), await WebhookRunsAsync(ownerB, b), await WebhookRunsAsync(ownerA, elsewhere)).ShouldBe((0, 0, 0));

        (await DeliverAsync(null, Jwt(), site.Url.ToUpperInvariant(), webhookId)).ShouldBe(HttpStatusCode.OK);
        (await WebhookRunsAsync(ownerA, a), await WebhookRunsAsync(ownerB, b), await WebhookRunsAsync(ownerA, elsewhere)).ShouldBe((1, 1, 0));
        (await DeliverAsync(null, Jwt(), other.Url)).ShouldBe(HttpStatusCode.OK);
        (await WebhookRunsAsync(ownerA, a), await WebhookRunsAsync(ownerB, b), await WebhookRunsAsync(ownerA, elsewhere)).ShouldBe((1, 1, 1));

        bool Deletes(FakeProvider.Recorded r) => r.Method == "DELETE" && r.Path == $"/ex/jira/{site.CloudId}/rest/api/3/webhook";
        await UninstallTestKit.UninstallAsync(node, ownerA, a);
        Fake.Provider.Requests.Where(Deletes).ShouldBeEmpty("the other organization's installation still uses the webhook");
        site.Webhooks.Keys.ShouldBe([webhookId]);
        (await DeliverAsync(null, Jwt(), site.Url, webhookId)).ShouldBe(HttpStatusCode.OK);
        (await WebhookRunsAsync(ownerB, b)).ShouldBe(2);

        await UninstallTestKit.UninstallAsync(node, ownerB, b);
        JsonNode.Parse(Fake.Provider.Requests.Where(Deletes).ShouldHaveSingleItem().Body)!["webhookIds"]!.AsArray().Select(i => i!.GetValue<long>()).ShouldBe([webhookId]);
        site.Webhooks.ShouldBeEmpty();
        other.Webhooks.Count.ShouldBe(1);
        Fake.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task AWebhookNearItsThirtyDaysIsRefreshedWithItsIdByTheScheduledSyncAndNotBefore()
    {
        var site = Fake.NewSite();
        var grant = Fake.NewGrant(site);
        var (owner, installation) = await InstallAsync(grant, site);
        using var _ = owner;
        JsonNode.Parse((await ActAsync(installation, "register_webhooks", [])).Body)!["created"]!.GetValue<bool>().ShouldBeTrue();
        var webhookId = site.Webhooks.Keys.ShouldHaveSingleItem();
        ProviderTokens Tokens() => node.Services.GetRequiredService<IntegrationSecrets>().Tokens(node.WithDbAsync(db =>
            db.Set<IntegrationInstallation>().IgnoreQueryFilters().AsNoTracking().SingleAsync(i => i.Id == installation)).GetAwaiter().GetResult())!;
        Tokens().ExtraValue("webhookId").ShouldBe(webhookId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        List<string> Refreshes() => Fake.Provider.Requests.Where(r => r.Method == "PUT" && r.Path.EndsWith("/webhook/refresh", StringComparison.Ordinal) && r.Path.Contains(site.CloudId, StringComparison.Ordinal)).Select(r => r.Body).ToList();

        async Task SyncAsync()
        {
            var run = (await owner.StartSyncAsync(installation, "issues"))[0]!["id"]!.GetValue<string>();
            (await owner.WaitForRunAsync(installation, run))["status"]!.GetValue<string>().ShouldBe("succeeded");
        }

        // Just registered: 30 days left, a run does not refresh.
        await SyncAsync();
        Refreshes().ShouldBeEmpty();

        // Two days left (as 28 days later): the next run refreshes it, naming its id, and keeps Jira's new expiry.
        await node.Services.GetRequiredService<ProviderTokenStore>().AddExtraAsync(installation, new Dictionary<string, string>
            { ["webhookExpiresAt"] = node.Clock.GetUtcNow().AddDays(2).ToString("O", System.Globalization.CultureInfo.InvariantCulture) }, CancellationToken.None);
        await SyncAsync();
        var refresh = JsonNode.Parse(Refreshes().ShouldHaveSingleItem())!;
        refresh["webhookIds"]!.AsArray().Select(i => i!.GetValue<long>()).ShouldBe([webhookId]);
        (DateTimeOffset.Parse(Tokens().ExtraValue("webhookExpiresAt")!, System.Globalization.CultureInfo.InvariantCulture) - node.Clock.GetUtcNow())
            .ShouldBeGreaterThan(TimeSpan.FromDays(29));

        // Refreshed: the next run leaves it alone.
        await SyncAsync();
        Refreshes().Count.ShouldBe(1);
        Fake.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task UninstallDeletesTheWebhookByItsKeptIdUninstallsEvenWhenJiraFailsAndTheInboundUrlIsGone()
    {
        var site = Fake.NewSite();
        var grant = Fake.NewGrant(site);
        var (owner, installation) = await InstallAsync(grant, site);
        using var _ = owner;
        JsonNode.Parse((await ActAsync(installation, "register_webhooks", [])).Body)!["created"]!.GetValue<bool>().ShouldBeTrue();
        var webhookId = site.Webhooks.Keys.ShouldHaveSingleItem();
        bool Deletes(FakeProvider.Recorded r) => r.Method == "DELETE" && r.Path == $"/ex/jira/{site.CloudId}/rest/api/3/webhook";

        await UninstallTestKit.UninstallAsync(node, owner, installation);
        var delete = Fake.Provider.Requests.Where(Deletes).ShouldHaveSingleItem();
        delete.Headers["authorization"].ShouldBe("Bearer " + grant.AccessToken);
        JsonNode.Parse(delete.Body)!["webhookIds"]!.AsArray().Select(i => i!.GetValue<long>()).ShouldBe([webhookId]);
        site.Webhooks.ShouldBeEmpty();
        await UninstallTestKit.ShouldBeGoneAsync(node, installation);

        // Jira failing the delete: the uninstall goes on (the webhook dies unrefreshed within Jira's 30 days).
        var other = Fake.NewSite();
        var otherGrant = Fake.NewGrant(other);
        var (otherOwner, failing) = await InstallAsync(otherGrant, other);
        using var __ = otherOwner;
        JsonNode.Parse((await ActAsync(failing, "register_webhooks", [])).Body)!["created"]!.GetValue<bool>().ShouldBeTrue();
        Fake.FailNext(500, JiraFake.Errors(["Internal server error"]));
        await UninstallTestKit.UninstallAsync(node, otherOwner, failing);
        Fake.Provider.Requests.ShouldContain(r => r.Method == "DELETE" && r.Path == $"/ex/jira/{other.CloudId}/rest/api/3/webhook");
        other.Webhooks.Count.ShouldBe(1);
        await UninstallTestKit.ShouldBeGoneAsync(node, failing);
        Fake.Provider.AssertNoViolations();
    }
}

public sealed class JiraTestsOnSqlite(JiraSqliteNode node) : JiraTests<JiraSqliteNode>(node);
public sealed class JiraTestsOnPostgres(JiraPostgresNode node) : JiraTests<JiraPostgresNode>(node);

using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Integrations;
using Switchboard.Integrations.Connectors;
using Switchboard.Integrations.Providers.Pipedrive;
using Switchboard.Platform.Storage;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Integrations;

public abstract class PipedriveNode : ProviderFakeNode<PipedriveFake>
{
    public const string PublicBaseUrl = "https://hooks.switchboard.test";

    protected override Task<PipedriveFake> StartFakeAsync() => PipedriveFake.StartAsync();
    protected override void Attach(PipedriveFake fake, SwitchboardFactory node) => fake.Clock = node.Clock;

    protected override IEnumerable<(string Key, string Value)> Settings(PipedriveFake fake)
    {
        const string Prefix = "Switchboard:Integrations:Providers:pipedrive:";
        return
        [
            (Prefix + "ClientId", PipedriveFake.ClientId), (Prefix + "ClientSecret", PipedriveFake.ClientSecret), (Prefix + "TokenUrl", fake.TokenUrl),
            // The operator's base URL wins over the token answer's api_domain (which the fake names as Pipedrive would).
            (Prefix + "BaseUrls:api", fake.BaseUrl),
            ("Switchboard:PublicBaseUrl", PublicBaseUrl),
            ("Switchboard:Integrations:SchedulerPollSeconds", "0.1"), ("Switchboard:Integrations:SyncLeaseSeconds", "5"),
        ];
    }
}

public sealed class SqlitePipedriveNode : PipedriveNode { protected override SwitchboardFactory Create() => new SqliteSwitchboard(); }
public sealed class PostgresPipedriveNode : PipedriveNode { protected override SwitchboardFactory Create() => new PostgresSwitchboard(); }

/// <summary>
/// The Pipedrive connector over real HTTP against <see cref="PipedriveFake"/>: the deals sync both ways (start/limit
/// paging, recents, mapped stages, won and lost, a conflict as configured, no echo, deletions), the actions safe to
/// repeat, the webhook's Basic credentials (a forged delivery refused), an expired token refreshed once, a 429 backed
/// off, and the api_domain check.
/// </summary>
public abstract class PipedriveTests<TNode>(TNode fixture) : IClassFixture<TNode> where TNode : PipedriveNode
{
    private SwitchboardFactory Node => fixture.Node;
    private PipedriveFake Fake => fixture.Fake;

    private async Task<string> InstallAsync(string organizationId, PipedriveFake.Company company, JsonObject? config = null)
    {
        var id = Switchboard.Platform.Ids.New(IntegrationResources.Installations, Node.Clock);
        var now = Node.Clock.GetUtcNow().UtcDateTime;
        await using (var scope = Node.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
            db.Add(new IntegrationInstallation
            {
                Id = id, OrganizationId = organizationId, ProviderKey = "pipedrive", Name = "Pipedrive", Config = (config ?? []).ToJsonString(),
                Status = InstallationStatus.Active, CreatedAt = now, UpdatedAt = now,
            });
            await db.SaveChangesAsync();
        }
        await Node.Services.GetRequiredService<ProviderTokenStore>().StoreAsync(id, new ProviderTokens(company.AccessToken, company.RefreshToken, now.AddMinutes(59),
            "base,deals:full", "Bearer", new Dictionary<string, string> { ["api_domain"] = $"https://company{company.Number}.pipedrive.com" }), CancellationToken.None);
        return id;
    }

    private async Task<T> WithConnectorAsync<T>(string installationId, Func<Connector, ConnectorContext, Task<T>> act)
    {
        await using var scope = Node.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
        var row = await db.Set<IntegrationInstallation>().IgnoreQueryFilters().SingleAsync(i => i.Id == installationId);
        var (connector, context) = scope.ServiceProvider.GetRequiredService<ConnectorContexts>().For(row, scope.ServiceProvider);
        return await act(connector, context);
    }

    private Task<ProviderResponse> RunAsync(string installation, string action, JsonObject input) =>
        WithConnectorAsync(installation, (c, ctx) => c.RunActionAsync(ctx, action, input, CancellationToken.None));

    [Fact]
    public async Task DealsSyncBothWaysWithMappedStagesAConflictResolvedAsConfiguredAndNoEcho()
    {
        using var client = Node.Client();
        var organization = (await client.SignupAsync())["organization"]!["id"]!.GetValue<string>();
        var company = Fake.NewCompany();
        company.PageSize = 2; // three deals: two pages by start/limit
        var big = company.AddDeal("Big rollout", 12000m, stageId: 2);
        company.AddDeal("Closed one", 500m, status: "won");
        var gone = company.AddDeal("Lost cause", 100m, status: "lost");
        var installation = await InstallAsync(organization, company, new JsonObject
        {
            ["stageMapping"] = new JsonObject { ["proposal"] = 3 },
            ["conflictWinner"] = new JsonObject { ["name"] = "local", ["*"] = "newest" },
            ["deleteLocal"] = true,
        });

        var first = await client.SyncAsync(installation, "deals");
        (first.Count("added"), first.Count("failed")).ShouldBe((3, 0));
        Fake.Provider.Requests.Count(r => r.Path == "/api/v1/deals" && r.Query.Contains("start=2", StringComparison.Ordinal)).ShouldBe(1);
        var deals = (await client.GetJsonAsync("/api/v1/deals?limit=10"))["data"]!.AsArray().Select(d => d!.AsObject()).ToList();
        var local = deals.Single(d => d["name"]!.GetValue<string>() == "Big rollout");
        (local["stage"]!.GetValue<string>(), local["amount"]!.GetValue<decimal>(), local["currency"]!.GetValue<string>()).ShouldBe(("qualification", 12000m, "EUR"));
        deals.Single(d => d["name"]!.GetValue<string>() == "Closed one")["stage"]!.GetValue<string>().ShouldBe("won");
        var localId = local["id"]!.GetValue<string>();

        // Both sides change: the CRM renames and moves to proposal; later Pipedrive renames and marks it won.
        Node.Clock.Advance(TimeSpan.FromSeconds(2));
        (await client.PatchAsync($"/api/v1/deals/{localId}", new { name = "Big rollout (EU)", stage = "proposal" })).StatusCode.ShouldBe(HttpStatusCode.OK);
        Node.Clock.Advance(TimeSpan.FromSeconds(2));
        company.ChangeDeal(big["id"]!.GetValue<long>(), new() { ["title"] = "Renamed in Pipedrive", ["status"] = "won" });
        var writes = company.DealWrites.Count;
        (await client.SyncAsync(installation, "deals")).Count("failed").ShouldBe(0);
        var merged = await client.GetJsonAsync($"/api/v1/deals/{localId}");
        merged["name"]!.GetValue<string>().ShouldBe("Big rollout (EU)"); // configured: the CRM wins the name
        merged["stage"]!.GetValue<string>().ShouldBe("won");               // newest wins: Pipedrive's change came later
        var pushed = company.DealWrites.Skip(writes).ShouldHaveSingleItem();
        (pushed.Method, pushed.Id, pushed.Body["title"]!.GetValue<string>()).ShouldBe(("PUT", big["id"]!.GetValue<long>(), "Big rollout (EU)"));
        Fake.Provider.Requests.ShouldContain(r => r.Path == "/api/v1/recents");

        // Nothing changed since: the next run reads the write back (recents) and counts nothing.
        Node.Clock.Advance(TimeSpan.FromSeconds(2));
        writes = company.DealWrites.Count;
        var quiet = await client.SyncAsync(installation, "deals");
        (quiet.Count("added"), quiet.Count("updated"), quiet.Count("deleted"), quiet.Count("failed")).ShouldBe((0, 0, 0, 0));
        company.DealWrites.Count.ShouldBe(writes);

        // A CRM deal is created in Pipedrive at its mapped stage; a deal deleted in Pipedrive goes.
        (await client.PostAsync("/api/v1/deals", new { name = "New from CRM", amount = 900, currency = "EUR", stage = "proposal", expectedCloseDate = "2027-01-15" }))
            .StatusCode.ShouldBe(HttpStatusCode.Created);
        Node.Clock.Advance(TimeSpan.FromSeconds(2));
        company.ChangeDeal(gone["id"]!.GetValue<long>(), new() { ["status"] = "deleted" });
        var last = await client.SyncAsync(installation, "deals");
        (last.Count("added"), last.Count("deleted"), last.Count("failed")).ShouldBe((1, 1, 0));
        var made = company.Deals.Values.Single(d => d["title"]!.GetValue<string>() == "New from CRM");
        (made["stage_id"]!.GetValue<long>(), made["status"]!.GetValue<string>(), made["expected_close_date"]!.GetValue<string>()).ShouldBe((3, "open", "2027-01-15"));
        (await client.GetJsonAsync("/api/v1/deals?limit=10"))["data"]!.AsArray().ShouldNotContain(d => d!["name"]!.GetValue<string>() == "Lost cause");
        Fake.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task PersonsDealsStagesNotesAndActivitiesAreMadeOnceEvenWhenRepeated()
    {
        using var client = Node.Client();
        var organization = (await client.SignupAsync())["organization"]!["id"]!.GetValue<string>();
        var company = Fake.NewCompany();
        var installation = await InstallAsync(organization, company);

        var person = new JsonObject { ["name"] = "Lin Park", ["email"] = "Lin@Example.com", ["phone"] = "+14155550100" };
        (await RunAsync(installation, "create_person", person)).Status.ShouldBe(200);
        (await RunAsync(installation, "create_person", person.DeepClone().AsObject())).Status.ShouldBe(200);
        var made = company.Persons.Values.ShouldHaveSingleItem();
        made["email"]![0]!["value"]!.GetValue<string>().ShouldBe("lin@example.com");

        var deal = new JsonObject { ["title"] = "Lin's pilot", ["value"] = 2500, ["currency"] = "USD", ["stage"] = "qualification", ["personEmail"] = "lin@example.com" };
        (await RunAsync(installation, "create_deal", deal)).Status.ShouldBe(200);
        (await RunAsync(installation, "create_deal", deal.DeepClone().AsObject())).Status.ShouldBe(200);
        var created = company.Deals.Values.ShouldHaveSingleItem();
        (created["stage_id"]!.GetValue<long>(), created["person_id"]!.GetValue<long>(), created["value"]!.GetValue<decimal>())
            .ShouldBe((2, made["id"]!.GetValue<long>(), 2500m));
        var dealId = created["id"]!.GetValue<long>();

        (await RunAsync(installation, "update_deal_stage", new JsonObject { ["dealId"] = dealId, ["stage"] = "negotiation" })).Status.ShouldBe(200);
        created["stage_id"]!.GetValue<long>().ShouldBe(5);
        (await RunAsync(installation, "update_deal_stage", new JsonObject { ["dealId"] = dealId.ToString(System.Globalization.CultureInfo.InvariantCulture), ["stage"] = "won" })).Status.ShouldBe(200);
        created["status"]!.GetValue<string>().ShouldBe("won");

        var note = new JsonObject { ["dealId"] = dealId, ["content"] = "Signed the order form" };
        (await RunAsync(installation, "add_note", note)).Status.ShouldBe(200);
        (await RunAsync(installation, "add_note", note.DeepClone().AsObject())).Status.ShouldBe(200);
        company.Notes.Values.ShouldHaveSingleItem()["deal_id"]!.GetValue<long>().ShouldBe(dealId);
        var activity = new JsonObject { ["dealId"] = dealId, ["subject"] = "Kick-off call", ["type"] = "call", ["dueDate"] = "2026-12-10" };
        (await RunAsync(installation, "add_activity", activity)).Status.ShouldBe(200);
        (await RunAsync(installation, "add_activity", activity.DeepClone().AsObject())).Status.ShouldBe(200);
        company.Activities.Values.ShouldHaveSingleItem()["done"]!.GetValue<int>().ShouldBe(0);

        // Refused before any call.
        var requests = Fake.Provider.Requests.Count;
        foreach (var (action, input) in new[]
        {
            ("create_person", new JsonObject { ["name"] = "No Email" }),
            ("create_deal", new JsonObject { ["title"] = "x", ["expectedCloseDate"] = "soon" }),
            ("update_deal_stage", new JsonObject { ["dealId"] = dealId, ["stage"] = "closing" }),
            ("add_activity", new JsonObject { ["dealId"] = dealId, ["subject"] = "x", ["dueDate"] = "tomorrow" }),
            ("add_note", new JsonObject { ["dealId"] = "deal_01JBZZZZZZZZZZZZZZZZZZZZZZ", ["content"] = "x" }),
        })
        {
            var refused = await Should.ThrowAsync<ProviderException>(() => RunAsync(installation, action, input));
            (refused.Retryable, refused.Status).ShouldBe((false, (int?)null), action);
        }
        Fake.Provider.Requests.Count.ShouldBe(requests);
        Fake.Provider.AssertNoViolations();
    }

    private async Task<InboundResult> DeliverAsync(string installation, string body, string? authorization)
    {
        var headers = new Dictionary<string, string> { ["Content-Type"] = "application/json" };
        if (authorization is not null) headers["Authorization"] = authorization;
        return await WithConnectorAsync(installation, (c, ctx) => c.ReceiveAsync(ctx, "events", new InboundRequest("POST", Encoding.UTF8.GetBytes(body), headers,
            new Dictionary<string, string>()), CancellationToken.None));
    }

    private Task<int> WebhookRunsAsync(string installation) =>
        Node.WithDbAsync(db => db.Set<IntegrationSyncRun>().IgnoreQueryFilters().CountAsync(r => r.InstallationId == installation && r.Trigger == "webhook"));

    [Fact]
    public async Task AWebhookWithItsBasicCredentialsQueuesASyncAForgedOneIsRefusedAndTokensAndRateLimitsAreHandled()
    {
        using var client = Node.Client();
        var organization = (await client.SignupAsync())["organization"]!["id"]!.GetValue<string>();
        var company = Fake.NewCompany();
        company.AddDeal("Existing", 10m);
        var installation = await InstallAsync(organization, company);

        // The access token expired: one refresh (HTTP Basic client auth, refresh token rotated), then the call.
        Fake.Expire(company);
        (await WithConnectorAsync(installation, (c, ctx) => c.TestAsync(ctx, CancellationToken.None))).Status.ShouldBe(200);
        company.Refreshes.ShouldBe(1);

        (await RunAsync(installation, "subscribe_webhooks", [])).Status.ShouldBe(200);
        var hook = company.Webhooks.Values.ShouldHaveSingleItem();
        hook["subscription_url"]!.GetValue<string>().ShouldBe($"{PipedriveNode.PublicBaseUrl}/api/v1/integrations/{installation}/inbound/events");
        var (user, password) = (hook["http_auth_user"]!.GetValue<string>(), hook["http_auth_password"]!.GetValue<string>());
        password.Length.ShouldBeGreaterThanOrEqualTo(32);
        // Registering again replaces the webhook (new credentials), never adds a second.
        (await RunAsync(installation, "subscribe_webhooks", [])).Status.ShouldBe(200);
        hook = company.Webhooks.Values.ShouldHaveSingleItem();
        hook["http_auth_password"]!.GetValue<string>().ShouldNotBe(password);
        (user, password) = (hook["http_auth_user"]!.GetValue<string>(), hook["http_auth_password"]!.GetValue<string>());

        var body = """{"v":1,"matches_filters":{"current":[]},"meta":{"action":"updated","object":"deal","id":101,"company_id":1,"user_id":9001,"host":"company1.pipedrive.com","timestamp":1764877527,"permitted_user_ids":[9001],"change_source":"app","is_bulk_update":false},"current":{"id":101,"title":"Existing","status":"won"},"previous":{"status":"open"},"event":"updated.deal"}""";
        static string Basic(string u, string p) => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{u}:{p}"));
        (await DeliverAsync(installation, body, Basic(user, password + "x"))).Status.ShouldBe(401);
        (await DeliverAsync(installation, body, Basic(user, password[..^1]))).Status.ShouldBe(401);
        (await DeliverAsync(installation, body, "Bearer " + password)).Status.ShouldBe(401);
        (await DeliverAsync(installation, body, null)).Status.ShouldBe(401);
        (await WebhookRunsAsync(installation)).ShouldBe(0);

        (await DeliverAsync(installation, body, Basic(user, password))).Status.ShouldBe(200);
        var run = await Node.WithDbAsync(db => db.Set<IntegrationSyncRun>().IgnoreQueryFilters().SingleAsync(r => r.InstallationId == installation && r.Trigger == "webhook"));
        run.Model.ShouldBe("deals");
        (await client.WaitForRunAsync(installation, run.Id))["status"]!.GetValue<string>().ShouldBe("succeeded");

        // A 429: retryable after Pipedrive's x-ratelimit-reset; a refusal is not.
        company.RateLimitNext = 1;
        var limited = await Should.ThrowAsync<ProviderException>(() => RunAsync(installation, "add_note", new JsonObject { ["dealId"] = 101, ["content"] = "x" }));
        (limited.Status, limited.Retryable, limited.RetryAfter).ShouldBe((429, true, TimeSpan.FromSeconds(2)));
        var missing = await Should.ThrowAsync<ProviderException>(() => RunAsync(installation, "update_deal_stage", new JsonObject { ["dealId"] = 999999, ["stage"] = "won" }));
        (missing.Status, missing.Retryable).ShouldBe((404, false));
        missing.ProviderError!.ShouldContain("Deal not found");
        company.Refreshes.ShouldBe(1);
        Fake.Provider.AssertNoViolations();
    }

    [Theory]
    [InlineData("https://acme.pipedrive.com", "https://acme.pipedrive.com")]
    [InlineData("http://acme.pipedrive.com", null)]
    [InlineData("https://acme.pipedrive.com.evil.example", null)]
    [InlineData("https://evil.example/acme.pipedrive.com", null)]
    [InlineData("https://acme.pipedrive.com:444", null)]
    public void OnlyAnHttpsPipedriveApiDomainIsUsed(string apiDomain, string? expected)
    {
        if (expected is not null) PipedriveApi.CheckedDomain(apiDomain).ShouldBe(expected);
        else Should.Throw<ProviderException>(() => PipedriveApi.CheckedDomain(apiDomain)).Retryable.ShouldBeFalse();
        Fake.Provider.AssertNoViolations();
    }
}

public sealed class PipedriveTestsOnSqlite(SqlitePipedriveNode fixture) : PipedriveTests<SqlitePipedriveNode>(fixture);
public sealed class PipedriveTestsOnPostgres(PostgresPipedriveNode fixture) : PipedriveTests<PostgresPipedriveNode>(fixture);

using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Integrations;
using Switchboard.Integrations.Connectors;
using Switchboard.Integrations.Providers.Salesforce;
using Switchboard.Platform.Storage;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Integrations;

public abstract class SalesforceNode : ProviderFakeNode<SalesforceFake>
{
    protected override Task<SalesforceFake> StartFakeAsync() => SalesforceFake.StartAsync();
    protected override void Attach(SalesforceFake fake, SwitchboardFactory node) => fake.Clock = node.Clock;

    protected override IEnumerable<(string Key, string Value)> Settings(SalesforceFake fake)
    {
        const string Prefix = "Switchboard:Integrations:Providers:salesforce:";
        return
        [
            (Prefix + "ClientId", SalesforceFake.ClientId), (Prefix + "ClientSecret", SalesforceFake.ClientSecret),
            (Prefix + "TokenUrl", fake.TokenUrl), (Prefix + "RevokeUrl", fake.RevokeUrl),
            // The operator's base URL wins over the token answer's instance_url (which the fake names as a real org would).
            (Prefix + "BaseUrls:api", fake.BaseUrl),
            ("Switchboard:Integrations:SchedulerPollSeconds", "0.1"), ("Switchboard:Integrations:SyncLeaseSeconds", "5"),
        ];
    }
}

public sealed class SqliteSalesforceNode : SalesforceNode { protected override SwitchboardFactory Create() => new SqliteSwitchboard(); }
public sealed class PostgresSalesforceNode : SalesforceNode { protected override SwitchboardFactory Create() => new PostgresSwitchboard(); }

/// <summary>
/// The Salesforce connector over real HTTP against <see cref="SalesforceFake"/>: the leads sync both ways (SystemModstamp
/// paging, status and custom field maps, a conflict resolved as configured, no echo, deletions), the actions batched and
/// safe to repeat, an expired session refreshed once, the org's API limits, revocation and the instance_url check.
/// </summary>
public abstract class SalesforceTests<TNode>(TNode fixture) : IClassFixture<TNode> where TNode : SalesforceNode
{
    private SwitchboardFactory Node => fixture.Node;
    private SalesforceFake Fake => fixture.Fake;

    private async Task<string> InstallAsync(string organizationId, SalesforceFake.Org org, JsonObject? config = null, string? refreshToken = null)
    {
        var id = Switchboard.Platform.Ids.New(IntegrationResources.Installations, Node.Clock);
        var now = Node.Clock.GetUtcNow().UtcDateTime;
        await using (var scope = Node.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
            db.Add(new IntegrationInstallation
            {
                Id = id, OrganizationId = organizationId, ProviderKey = "salesforce", Name = "Salesforce", Config = (config ?? []).ToJsonString(),
                Status = InstallationStatus.Active, CreatedAt = now, UpdatedAt = now,
            });
            await db.SaveChangesAsync();
        }
        // As the code exchange stores them: Salesforce's answer has no expires_in; instance_url and id are kept as extras.
        await Node.Services.GetRequiredService<ProviderTokenStore>().StoreAsync(id, new ProviderTokens(org.AccessToken, refreshToken ?? org.RefreshToken, null,
            "refresh_token api", "Bearer", new Dictionary<string, string>
            {
                ["instance_url"] = $"https://org{org.Number}.my.salesforce.com", ["id"] = $"https://login.salesforce.com/id/{org.OrgId}/005000000000001AAA",
            }), CancellationToken.None);
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

    private static string Email(JsonObject lead) => lead["Email"]!.GetValue<string>();

    [Fact]
    public async Task LeadsSyncBothWaysByModstampWithMappedStatusesAndCustomFieldsAConflictResolvedAsConfiguredAndNoEcho()
    {
        using var client = Node.Client();
        var organization = (await client.SignupAsync())["organization"]!["id"]!.GetValue<string>();
        var org = Fake.NewOrg();
        org.PageSize = 2; // three leads: two pages through nextRecordsUrl
        var ada = org.AddLead("Ada", "Lovelace", "Analytical Engines", "ada@example.com", "Working - Contacted", new() { ["Score__c"] = 42.0, ["Phone"] = "+44 20 7946 0018" });
        org.AddLead(null, "Hopper", "Navy", "grace@example.com");
        org.AddLead("Alan", "Turing", "Bletchley", "alan@example.com", "Closed - Not Converted");
        var config = new JsonObject
        {
            ["fieldMapping"] = new JsonObject { ["score"] = "Score__c" },
            ["conflictWinner"] = new JsonObject { ["name"] = "local", ["*"] = "newest" },
            ["deleteLocal"] = true,
        };
        var installation = await InstallAsync(organization, org, config);

        var first = await client.SyncAsync(installation, "leads");
        (first.Count("added"), first.Count("failed")).ShouldBe((3, 0));
        org.Queries.ShouldContain(q => q.StartsWith("SELECT Id, FirstName, LastName, Email, Phone, Company, Status, SystemModstamp, IsDeleted, Score__c FROM Lead ORDER BY SystemModstamp, Id", StringComparison.Ordinal));
        Fake.Provider.Requests.Count(r => r.Path.StartsWith(SalesforceFake.Root + "/query/", StringComparison.Ordinal)).ShouldBe(1); // the second page, by nextRecordsUrl
        var local = (await client.GetJsonAsync("/api/v1/leads?email=ada@example.com"))["data"]![0]!.AsObject();
        (local["name"]!.GetValue<string>(), local["status"]!.GetValue<string>(), local["score"]!.GetValue<int>(), local["phone"]!.GetValue<string>())
            .ShouldBe(("Ada Lovelace", "contacted", 42, "+442079460018"));
        (await client.GetJsonAsync("/api/v1/leads?email=alan@example.com"))["data"]![0]!["status"]!.GetValue<string>().ShouldBe("unqualified");
        var localId = local["id"]!.GetValue<string>();

        // Both sides change: the CRM renames and rescores Ada; later Salesforce renames her and moves her status.
        (await client.PatchAsync($"/api/v1/leads/{localId}", new { name = "Augusta Ada King", score = 50 })).StatusCode.ShouldBe(HttpStatusCode.OK);
        Node.Clock.Advance(TimeSpan.FromSeconds(2));
        org.ChangeLead(ada["Id"]!.GetValue<string>(), new() { ["FirstName"] = "Countess", ["LastName"] = "Lovelace", ["Status"] = "Closed - Converted" });
        var writes = org.Collections.Count;
        var merged = await client.SyncAsync(installation, "leads");
        merged.Count("failed").ShouldBe(0);
        var after = await client.GetJsonAsync($"/api/v1/leads/{localId}");
        after["name"]!.GetValue<string>().ShouldBe("Augusta Ada King");   // configured: the CRM wins the name
        after["status"]!.GetValue<string>().ShouldBe("qualified");        // newest wins: Salesforce's change came later
        after["score"]!.GetValue<int>().ShouldBe(42);                     // newest wins the rest too
        var pushed = org.Collections.Skip(writes).ShouldHaveSingleItem();
        pushed.Method.ShouldBe("PATCH");
        pushed.Records.ShouldHaveSingleItem()!["id"]!.GetValue<string>().ShouldBe(ada["Id"]!.GetValue<string>());
        (ada["FirstName"]!.GetValue<string>(), ada["LastName"]!.GetValue<string>(), ada["Status"]!.GetValue<string>()).ShouldBe(("Augusta Ada", "King", "Closed - Converted"));

        // The next run reads that write back (SystemModstamp >= the last run's) and counts nothing: no echo.
        var updatedAt = after["updatedAt"]!.GetValue<DateTime>();
        writes = org.Collections.Count;
        var quiet = await client.SyncAsync(installation, "leads");
        (quiet.Count("added"), quiet.Count("updated"), quiet.Count("deleted"), quiet.Count("failed")).ShouldBe((0, 0, 0, 0));
        org.Collections.Count.ShouldBe(writes);
        org.Queries.Last().ShouldContain("WHERE SystemModstamp >= ");
        (await client.GetJsonAsync($"/api/v1/leads/{localId}"))["updatedAt"]!.GetValue<DateTime>().ShouldBe(updatedAt);

        // A CRM lead is created in Salesforce through sObject Collections, its status mapped; a lead Salesforce deleted goes.
        (await client.PostAsync("/api/v1/leads", new { name = "Katherine Johnson", email = "kj@example.com", company = "NASA", status = "new", score = 7 }))
            .StatusCode.ShouldBe(HttpStatusCode.Created);
        org.ChangeLead(org.Leads.Values.Single(l => Email(l) == "grace@example.com")["Id"]!.GetValue<string>(), new() { ["IsDeleted"] = true });
        var last = await client.SyncAsync(installation, "leads");
        (last.Count("added"), last.Count("deleted"), last.Count("failed")).ShouldBe((1, 1, 0));
        var made = org.Leads.Values.Single(l => l["Email"]?.GetValue<string>() == "kj@example.com");
        (made["FirstName"]!.GetValue<string>(), made["LastName"]!.GetValue<string>(), made["Status"]!.GetValue<string>(), made["Score__c"]!.GetValue<int>())
            .ShouldBe(("Katherine", "Johnson", "Open - Not Contacted", 7));
        org.Collections.Last().Method.ShouldBe("POST");
        (await client.GetJsonAsync("/api/v1/leads?email=grace@example.com"))["data"]!.AsArray().ShouldBeEmpty();
        Fake.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task CreateLeadBatchesThroughTheCompositeApiAndLogCallMakesOneCallTaskBothSafeToRepeat()
    {
        using var client = Node.Client();
        var organization = (await client.SignupAsync())["organization"]!["id"]!.GetValue<string>();
        var org = Fake.NewOrg();
        org.AddLead("Existing", "Lead", "Acme", "existing@example.com");
        var contact = org.AddContact("buyer@example.com");
        var installation = await InstallAsync(organization, org, new JsonObject { ["statusMapping"] = new JsonObject { ["new"] = "Working - Contacted" } });

        JsonObject Batch() => new()
        {
            ["leads"] = new JsonArray(
                new JsonObject { ["name"] = "Mary Jackson", ["email"] = "Mary@example.com", ["company"] = "NASA", ["status"] = "new" },
                new JsonObject { ["name"] = "Dorothy Vaughan", ["email"] = "dorothy@example.com", ["company"] = "NASA" },
                new JsonObject { ["name"] = "Already There", ["email"] = "existing@example.com", ["company"] = "Acme" }),
        };
        var created = await WithConnectorAsync(installation, (c, ctx) => c.RunActionAsync(ctx, "create_lead", Batch(), CancellationToken.None));
        created.Status.ShouldBe(200);
        var batch = org.Collections.ShouldHaveSingleItem(); // the two new leads in one request; the existing one left alone
        (batch.Method, batch.Records.Count).ShouldBe(("POST", 2));
        org.Leads.Values.Single(l => Email(l) == "mary@example.com")["Status"]!.GetValue<string>().ShouldBe("Working - Contacted"); // the configured map
        // The job again (its answer lost): nothing is created twice.
        (await WithConnectorAsync(installation, (c, ctx) => c.RunActionAsync(ctx, "create_lead", Batch(), CancellationToken.None))).Status.ShouldBe(200);
        org.Collections.Count.ShouldBe(1);
        org.Leads.Count.ShouldBe(3);

        var call = new JsonObject
        {
            ["email"] = "buyer@example.com", ["subject"] = "Discovery call", ["description"] = "Budget approved", ["activityDate"] = "2026-12-03",
            ["durationSeconds"] = 420, ["callType"] = "Outbound",
        };
        (await WithConnectorAsync(installation, (c, ctx) => c.RunActionAsync(ctx, "log_call", call, CancellationToken.None))).Status.ShouldBe(200);
        (await WithConnectorAsync(installation, (c, ctx) => c.RunActionAsync(ctx, "log_call", call.DeepClone().AsObject(), CancellationToken.None))).Status.ShouldBe(200);
        var task = org.Tasks.Values.ShouldHaveSingleItem();
        (task["WhoId"]!.GetValue<string>(), task["TaskSubtype"]!.GetValue<string>(), task["Status"]!.GetValue<string>(), task["CallDurationInSeconds"]!.GetValue<int>())
            .ShouldBe((contact["Id"]!.GetValue<string>(), "Call", "Completed", 420));
        // A call with a lead's email goes on the lead.
        (await WithConnectorAsync(installation, (c, ctx) => c.RunActionAsync(ctx, "log_call",
            new JsonObject { ["email"] = "dorothy@example.com", ["subject"] = "Follow-up" }, CancellationToken.None))).Status.ShouldBe(200);
        org.Tasks.Values.ShouldContain(t => t["WhoId"]!.GetValue<string>() == org.Leads.Values.Single(l => Email(l) == "dorothy@example.com")["Id"]!.GetValue<string>());

        // Refused before any call: no email, no company, a bad date, nobody with that email (one query, no write).
        var requests = Fake.Provider.Requests.Count;
        foreach (var (action, input) in new[]
        {
            ("create_lead", new JsonObject { ["name"] = "No Email", ["company"] = "X" }),
            ("create_lead", new JsonObject { ["name"] = "No Company", ["email"] = "nc@example.com" }),
            ("log_call", new JsonObject { ["email"] = "buyer@example.com", ["subject"] = "x", ["activityDate"] = "next tuesday" }),
        })
        {
            var refused = await Should.ThrowAsync<ProviderException>(() => WithConnectorAsync(installation, (c, ctx) => c.RunActionAsync(ctx, action, input, CancellationToken.None)));
            (refused.Retryable, refused.Status).ShouldBe((false, (int?)null));
        }
        Fake.Provider.Requests.Count.ShouldBe(requests);
        var nobody = await Should.ThrowAsync<ProviderException>(() => WithConnectorAsync(installation, (c, ctx) => c.RunActionAsync(ctx, "log_call",
            new JsonObject { ["email"] = "nobody@example.com", ["subject"] = "x" }, CancellationToken.None)));
        nobody.Retryable.ShouldBeFalse();
        org.Tasks.Count.ShouldBe(2);
        Fake.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task AnExpiredSessionIsRefreshedOnceTheOrgsApiLimitIsReportedAndARevokedGrantAsksForAReconnection()
    {
        using var client = Node.Client();
        var organization = (await client.SignupAsync())["organization"]!["id"]!.GetValue<string>();
        var org = Fake.NewOrg();
        org.AddLead("Ada", "Lovelace", "Analytical Engines", "ada@example.com");
        var installation = await InstallAsync(organization, org);

        // Salesforce's session ended: 401 INVALID_SESSION_ID, one refresh, the call again.
        Fake.Expire(org);
        (await WithConnectorAsync(installation, (c, ctx) => c.TestAsync(ctx, CancellationToken.None))).Status.ShouldBe(200);
        org.Refreshes.ShouldBe(1);
        // The refresh answer's instance_url replaced the stored one (and is a My Domain host).
        (await WithConnectorAsync(installation, async (_, ctx) => (await ctx.Http.TokensAsync(CancellationToken.None)).ExtraValue("instance_url")))
            .ShouldBe($"https://org{org.Number}.my.salesforce.com");

        // Over 90% of the org's daily requests: the connection test says so from Sforce-Limit-Info.
        org.ApiUsed = 14_000;
        var near = await client.PostAsync($"/api/v1/integrations/{installation}/test", new { });
        var answer = await ApiClient.ReadAsync(near);
        answer["success"]!.GetValue<bool>().ShouldBeFalse(answer.ToJsonString());
        answer["providerError"]!.GetValue<string>().ShouldContain("api-usage=14001/15000");

        // The allowance used up: 403 REQUEST_LIMIT_EXCEEDED is retryable, after an hour; a refused record is not.
        org.LimitExceededNext = 1;
        var limited = await Should.ThrowAsync<ProviderException>(() => WithConnectorAsync(installation, (c, ctx) => c.RunActionAsync(ctx, "log_call",
            new JsonObject { ["email"] = "ada@example.com", ["subject"] = "x" }, CancellationToken.None)));
        (limited.Status, limited.Retryable, limited.RetryAfter).ShouldBe((403, true, TimeSpan.FromHours(1)));
        limited.ProviderError!.ShouldStartWith("REQUEST_LIMIT_EXCEEDED");
        org.LeadStatuses.Remove("Working - Contacted");
        var refused = await Should.ThrowAsync<ProviderException>(() => WithConnectorAsync(installation, (c, ctx) => c.RunActionAsync(ctx, "create_lead",
            new JsonObject { ["name"] = "New Lead", ["email"] = "new@example.com", ["company"] = "X", ["status"] = "contacted" }, CancellationToken.None)));
        refused.Retryable.ShouldBeFalse();
        refused.ProviderError!.ShouldContain("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST");
        org.Refreshes.ShouldBe(1);

        // Uninstalling revokes the refresh token; a session ending after that cannot be refreshed: the user must reconnect.
        await WithConnectorAsync(installation, async (c, ctx) => { await c.RevokeAsync(ctx, CancellationToken.None); return 0; });
        org.Revoked.ShouldBeTrue();
        var other = Fake.NewOrg();
        var stale = await InstallAsync(organization, other, refreshToken: "5Aep-unknown");
        Fake.Expire(other);
        var gone = await Should.ThrowAsync<ProviderException>(() => WithConnectorAsync(stale, (c, ctx) => c.TestAsync(ctx, CancellationToken.None)));
        gone.NeedsReauthorization.ShouldBeTrue();
        (await Node.WithDbAsync(db => db.Set<IntegrationInstallation>().IgnoreQueryFilters().SingleAsync(i => i.Id == stale))).Status.ShouldBe(InstallationStatus.NeedsReauth);
        Fake.Provider.AssertNoViolations();
    }

    [Theory]
    [InlineData("https://acme.my.salesforce.com", "https://acme.my.salesforce.com")]
    [InlineData("https://acme--uat.sandbox.my.salesforce.com/", "https://acme--uat.sandbox.my.salesforce.com")]
    [InlineData("http://acme.my.salesforce.com", null)]
    [InlineData("https://acme.my.salesforce.com.evil.example", null)]
    [InlineData("https://evil.example/?.my.salesforce.com", null)]
    [InlineData("https://user@acme.my.salesforce.com", null)]
    [InlineData("https://acme.my.salesforce.com:8443", null)]
    [InlineData("https://.my.salesforce.com", null)]
    public void OnlyAnHttpsMyDomainInstanceUrlIsUsed(string instanceUrl, string? expected)
    {
        if (expected is not null) SalesforceApi.CheckedInstance(instanceUrl).ShouldBe(expected);
        else Should.Throw<ProviderException>(() => SalesforceApi.CheckedInstance(instanceUrl)).Retryable.ShouldBeFalse();
        Fake.Provider.AssertNoViolations();
    }
}

public sealed class SalesforceTestsOnSqlite(SqliteSalesforceNode fixture) : SalesforceTests<SqliteSalesforceNode>(fixture);
public sealed class SalesforceTestsOnPostgres(PostgresSalesforceNode fixture) : SalesforceTests<PostgresSalesforceNode>(fixture);

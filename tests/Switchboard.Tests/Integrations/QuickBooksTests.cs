using Microsoft.EntityFrameworkCore;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Integrations;
using Switchboard.Integrations.Connectors;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Integrations;

/// <summary>A node whose QuickBooks Online provider (OAuth client and endpoints, production and sandbox hosts) points at a <see cref="QuickBooksFake"/>.</summary>
public abstract class QuickBooksNode : ProviderFakeNode<QuickBooksFake>
{
    protected override Task<QuickBooksFake> StartFakeAsync() => QuickBooksFake.StartAsync();

    protected override IEnumerable<(string Key, string Value)> Settings(QuickBooksFake fake)
    {
        const string Prefix = "Switchboard:Integrations:Providers:quickbooks:";
        return
        [
            (Prefix + "ClientId", QuickBooksFake.ClientId), (Prefix + "ClientSecret", QuickBooksFake.ClientSecret), (Prefix + "AuthorizeUrl", fake.AuthorizeUrl),
            (Prefix + "TokenUrl", fake.TokenUrl), (Prefix + "RevokeUrl", fake.RevokeUrl),
            (Prefix + "BaseUrls:api", fake.ProductionUrl), (Prefix + "BaseUrls:sandbox", fake.SandboxUrl),
            (Prefix + "WebhookVerifierToken", QuickBooksFake.VerifierToken),
        ];
    }
}

public sealed class QuickBooksSqliteNode : QuickBooksNode
{
    protected override SwitchboardFactory Create() => new SqliteSwitchboard();
}

public sealed class QuickBooksPostgresNode : QuickBooksNode
{
    protected override SwitchboardFactory Create() => new PostgresSwitchboard();
}

/// <summary>
/// The QuickBooks Online connector against <see cref="QuickBooksFake"/> over real HTTP: connected through the real
/// OAuth callback (the realmId kept with the tokens), invoices made from payments once each (requestid), customers
/// found by email or by an escaped display name, the Profit and Loss report read back after a refresh, Intuit's
/// throttling and refusals reported as such, and the grant revoked on uninstall.
/// </summary>
public abstract class QuickBooksTests<TNode>(TNode fixture) : IClassFixture<TNode> where TNode : QuickBooksNode
{
    private QuickBooksFake Fake => fixture.Fake;
    private SwitchboardFactory Node => fixture.Node;

    /// <summary>Installs QuickBooks and connects it through the OAuth callback, as a browser would, to <paramref name="company"/>.</summary>
    private async Task<(ApiClient Owner, string Id)> ConnectAsync(QuickBooksFake.Company company)
    {
        var owner = Node.Client();
        await owner.SignupAsync();
        var installed = await owner.InstallAsync(new { provider = "quickbooks", name = "Books", config = new { environment = company.Environment, itemId = "1" } });
        installed["status"]!.GetValue<string>().ShouldBe("pending_auth");
        var id = installed["id"]!.GetValue<string>();
        var connect = await owner.GetJsonAsync($"{IntegrationSteps.Base}/{id}/connect");
        using var browser = owner.Anonymous();
        var page = await browser.Http.GetAsync(new Uri(Fake.Approve(connect["authorizeUrl"]!.GetValue<string>(), company)).PathAndQuery);
        page.StatusCode.ShouldBe(HttpStatusCode.OK, await page.Content.ReadAsStringAsync());
        return (owner, id);
    }

    private async Task<T> WithConnectorAsync<T>(string id, Func<Connector, ConnectorContext, Task<T>> use)
    {
        await using var scope = Node.Services.CreateAsyncScope();
        var (connector, context) = Node.Services.GetRequiredService<ConnectorContexts>().For(await Node.RowAsync(id), scope.ServiceProvider);
        return await use(connector, context);
    }

    private Task<ProviderResponse> RunAsync(string id, string action, JsonObject input) =>
        WithConnectorAsync(id, (connector, context) => connector.RunActionAsync(context, action, input, CancellationToken.None));

    private static async Task<string> ContactAsync(ApiClient owner, object contact) =>
        (await ApiClient.ReadAsync(await owner.PostAsync("/api/v1/contacts", contact)))["id"]!.GetValue<string>();

    [Fact]
    public async Task ConnectingKeepsTheRealmAndEachPaymentBecomesOneInvoiceOfItsCustomerInTheSandboxCompany()
    {
        var company = Fake.NewCompany("sandbox");
        var (owner, id) = await ConnectAsync(company);
        using var _ = owner;
        var tokens = Node.Services.GetRequiredService<IntegrationSecrets>().Tokens(await Node.RowAsync(id))!;
        tokens.ExtraValue("realmId").ShouldBe(company.Realm);
        tokens.ExtraValue("companyName").ShouldBe(company.Name);
        (await owner.GetJsonAsync($"{IntegrationSteps.Base}/{id}"))["status"]!.GetValue<string>().ShouldBe("active");
        (await ApiClient.ReadAsync(await owner.PostAsync($"{IntegrationSteps.Base}/{id}/test", null)))["success"]!.GetValue<bool>().ShouldBeTrue();

        // A customer of that name exists without an email: creating another is refused (6240), and the one found by the
        // name, in a query whose quote is escaped, is used.
        var existing = company.AddCustomer("Ann O'Brien", null);
        var ann = await ContactAsync(owner, new { firstName = "Ann", lastName = "O'Brien", email = "Ann@Example.com", company = "Brien: Ltd" });
        var payment = new JsonObject { ["idempotencyKey"] = "pay_01", ["contactId"] = ann, ["amount"] = "120.50", ["description"] = "Annual plan", ["date"] = "2026-12-04T10:00:00Z" };
        var first = JsonNode.Parse((await RunAsync(id, "create_invoice", payment)).Body)!["Invoice"]!;
        first["CustomerRef"]!["value"]!.GetValue<string>().ShouldBe(existing["Id"]!.GetValue<string>());
        first["TotalAmt"]!.GetValue<decimal>().ShouldBe(120.50m);
        first["TxnDate"]!.GetValue<string>().ShouldBe("2026-12-04");
        first["BillEmail"]!["Address"]!.GetValue<string>().ShouldBe("ann@example.com");
        first["Line"]![0]!["SalesItemLineDetail"]!["ItemRef"]!["value"]!.GetValue<string>().ShouldBe("1");
        Fake.Provider.Requests.ShouldContain(r => r.Path.EndsWith("/query", StringComparison.Ordinal) && r.Query.Contains("O%5C%27Brien", StringComparison.Ordinal));

        // The job retried (its answer lost): QuickBooks answers the first invoice again, no second one.
        var again = JsonNode.Parse((await RunAsync(id, "create_invoice", payment)).Body)!["Invoice"]!;
        again["Id"]!.GetValue<string>().ShouldBe(first["Id"]!.GetValue<string>());
        company.Invoices.Count.ShouldBe(1);

        // A new customer is created with its email, and found by it for the next payment.
        var bo = await ContactAsync(owner, new { firstName = "Bo", email = "bo@example.com" });
        await RunAsync(id, "create_invoice", new JsonObject { ["idempotencyKey"] = "pay_02", ["contactId"] = bo, ["amount"] = 30 });
        await RunAsync(id, "create_invoice", new JsonObject { ["idempotencyKey"] = "pay_03", ["contactId"] = bo, ["amount"] = 45.5, ["itemId"] = "7" });
        company.Customers.Count.ShouldBe(2);
        var created = company.Customers.Values.Single(c => c["DisplayName"]!.GetValue<string>() == "Bo");
        created["PrimaryEmailAddr"]!["Address"]!.GetValue<string>().ShouldBe("bo@example.com");
        company.Invoices.Select(i => i["CustomerRef"]!["value"]!.GetValue<string>()).Skip(1).ShouldAllBe(c => c == created["Id"]!.GetValue<string>());
        company.Invoices.Last()["Line"]![0]!["SalesItemLineDetail"]!["ItemRef"]!["value"]!.GetValue<string>().ShouldBe("7");

        // Every call for the company went to the sandbox host (the production host knows no sandbox token).
        Fake.Provider.Requests.Where(r => r.Path.Contains("/v3/company/" + company.Realm + "/", StringComparison.Ordinal))
            .ShouldAllBe(r => r.Path.StartsWith("/sandbox/v3/company/" + company.Realm + "/", StringComparison.Ordinal));
        Fake.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task AnExpiredTokenIsRefreshedOnceForTheRevenueReportAndThrottlingIsRetriedButRefusalsAreNot()
    {
        var company = Fake.NewCompany();
        company.Expenses = 50m;
        var (owner, id) = await ConnectAsync(company);
        using var _ = owner;
        await RunAsync(id, "create_invoice", new JsonObject { ["idempotencyKey"] = "pay_a", ["email"] = "cy@example.com", ["amount"] = 200, ["date"] = "2026-03-01" });
        await RunAsync(id, "create_invoice", new JsonObject { ["idempotencyKey"] = "pay_b", ["email"] = "cy@example.com", ["amount"] = 99, ["date"] = "2025-12-31" });

        Fake.Expire(company);
        var refreshes = company.Refreshes;
        var revenue = JsonNode.Parse((await RunAsync(id, "revenue", new JsonObject { ["startDate"] = "2026-01-01", ["endDate"] = "2026-12-31" })).Body)!;
        (company.Refreshes - refreshes).ShouldBe(1);
        (revenue["totalIncome"]!.GetValue<decimal>(), revenue["totalExpenses"]!.GetValue<decimal>(), revenue["netIncome"]!.GetValue<decimal>()).ShouldBe((200m, 50m, 150m));
        (revenue["startDate"]!.GetValue<string>(), revenue["currency"]!.GetValue<string>(), revenue["realmId"]!.GetValue<string>()).ShouldBe(("2026-01-01", "USD", company.Realm));
        // The rotated refresh token is the one kept.
        Node.Services.GetRequiredService<IntegrationSecrets>().Tokens(await Node.RowAsync(id))!.RefreshToken.ShouldBe(company.RefreshToken);

        company.ThrottleNext = 1;
        var throttled = await Should.ThrowAsync<ProviderException>(() => RunAsync(id, "revenue", []));
        (throttled.Status, throttled.Retryable, throttled.RetryAfter).ShouldBe((429, true, TimeSpan.FromMinutes(1)));
        throttled.ProviderError!.ShouldContain("ThrottleExceeded");

        var refused = await Should.ThrowAsync<ProviderException>(() => RunAsync(id, "create_invoice",
            new JsonObject { ["idempotencyKey"] = "pay_c", ["email"] = "cy@example.com", ["amount"] = 5, ["itemId"] = "999" }));
        (refused.Status, refused.Retryable).ShouldBe((400, false));
        refused.ProviderError!.ShouldStartWith("2500: Invalid Reference Id");

        // Input that can never work is refused before any call to QuickBooks.
        var calls = Fake.Provider.Requests.Count;
        foreach (var (action, input) in new (string, JsonObject)[]
        {
            ("create_invoice", new() { ["idempotencyKey"] = "pay_d", ["email"] = "cy@example.com", ["amount"] = "12.345" }),
            ("create_invoice", new() { ["idempotencyKey"] = "pay_d", ["amount"] = 10 }),
            ("create_invoice", new() { ["email"] = "cy@example.com", ["amount"] = 10 }),
            ("create_invoice", new() { ["idempotencyKey"] = "pay_d", ["email"] = "x'@example.com", ["amount"] = 10 }),
            ("revenue", new() { ["startDate"] = "2026-05-01", ["endDate"] = "2026-04-01" }),
        })
        {
            var invalid = await Should.ThrowAsync<ProviderException>(() => RunAsync(id, action, input));
            (invalid.Status, invalid.Retryable).ShouldBe((null, false), invalid.Message);
        }
        Fake.Provider.Requests.Count.ShouldBe(calls);

        (await owner.DeleteAsync($"{IntegrationSteps.Base}/{id}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        company.Revocations.ShouldBe(1);
        Fake.Provider.AssertNoViolations();
    }

    private const string Webhook = "/api/v1/integrations/providers/quickbooks/inbound/events";

    /// <summary>Posts a notification to the app's webhook URL as Intuit does: the raw JSON and its intuit-signature.</summary>
    private async Task<HttpResponseMessage> NotifyAsync(string body, string? signature)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Webhook) { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
        if (signature is not null) request.Headers.TryAddWithoutValidation("intuit-signature", signature);
        using var client = Node.Client();
        return await client.Http.SendAsync(request);
    }

    /// <summary>The integration.provider_record_changed events staged for <paramref name="installationId"/>, with their organization.</summary>
    private Task<List<(string OrganizationId, JsonNode Data)>> ChangesAsync(string installationId) => Node.WithDbAsync(async db =>
        (await db.OutboxEvents.IgnoreQueryFilters().Where(e => e.ResourceId == installationId && e.Type == IntegrationResources.ProviderRecordChangedEvent)
            .OrderBy(e => e.Id).Select(e => new { e.OrganizationId, e.Data }).ToListAsync())
        .Select(e => (e.OrganizationId, JsonNode.Parse(e.Data)!)).ToList());

    private static string Legacy(string realm, params (string Name, string Id, string Operation)[] entities) => new JsonObject
    {
        ["eventNotifications"] = new JsonArray(new JsonObject
        {
            ["realmId"] = realm,
            ["dataChangeEvent"] = new JsonObject
            {
                ["entities"] = new JsonArray(entities.Select(e => (JsonNode)new JsonObject
                    { ["name"] = e.Name, ["id"] = e.Id, ["operation"] = e.Operation, ["lastUpdated"] = "2026-12-04T14:42:19.000Z" }).ToArray()),
            },
        }),
    }.ToJsonString();

    [Fact]
    public async Task ASignedNotificationReachesOnlyTheInstallationOfTheCompanyItNamesInItsOrganization()
    {
        var a = Fake.NewCompany();
        var b = Fake.NewCompany();
        var (ownerA, idA) = await ConnectAsync(a);
        var (ownerB, idB) = await ConnectAsync(b);
        using var _ = ownerA;
        using var __ = ownerB;
        (await Node.RowAsync(idA)).ProviderAccountId.ShouldBe(a.Realm);
        (await Node.RowAsync(idB)).ProviderAccountId.ShouldBe(b.Realm);

        // Intuit's original payload, for company A only.
        var body = Legacy(a.Realm, ("Invoice", "130", "Update"), ("Payment", "131", "Create"));
        var response = await NotifyAsync(body, QuickBooksFake.Sign(body));
        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var changesA = await ChangesAsync(idA);
        changesA.Select(c => (c.Data["entity"]!.GetValue<string>(), c.Data["entityId"]!.GetValue<string>(), c.Data["operation"]!.GetValue<string>()))
            .ShouldBe([("invoice", "130", "update"), ("payment", "131", "create")]);
        var orgA = (await Node.RowAsync(idA)).OrganizationId;
        changesA.ShouldAllBe(c => c.OrganizationId == orgA && c.Data["account"]!.GetValue<string>() == a.Realm && c.Data["provider"]!.GetValue<string>() == "quickbooks");
        (await ChangesAsync(idB)).ShouldBeEmpty();

        // The CloudEvents payload Intuit moved apps to, for company B: B's organization gets it, A's nothing more.
        var cloud = new JsonArray(new JsonObject
        {
            ["specversion"] = "1.0", ["id"] = Guid.NewGuid().ToString(), ["source"] = "intuit.test", ["type"] = "qbo.invoice.created.v1",
            ["datacontenttype"] = "application/json", ["time"] = "2026-12-04T21:31:25.179Z", ["intuitentityid"] = "77", ["intuitaccountid"] = b.Realm, ["data"] = new JsonObject(),
        }).ToJsonString();
        (await NotifyAsync(cloud, QuickBooksFake.Sign(cloud))).StatusCode.ShouldBe(HttpStatusCode.OK);
        var changesB = await ChangesAsync(idB);
        changesB.Single().Data["entityId"]!.GetValue<string>().ShouldBe("77");
        changesB.Single().OrganizationId.ShouldBe((await Node.RowAsync(idB)).OrganizationId);
        changesB.Single().OrganizationId.ShouldNotBe(orgA);
        (await ChangesAsync(idA)).Count.ShouldBe(2);
        (await Node.WithDbAsync(db => db.OutboxEvents.IgnoreQueryFilters().CountAsync(e => e.Type == IntegrationResources.ProviderRecordChangedEvent
            && e.OrganizationId == orgA && e.ResourceId != idA))).ShouldBe(0);
    }

    [Fact]
    public async Task AForgedOrUnsignedNotificationIs401AndChangesNothingAndAnUnknownCompanyIsAcknowledgedAndIgnored()
    {
        var company = Fake.NewCompany();
        var (owner, id) = await ConnectAsync(company);
        using var _ = owner;
        var body = Legacy(company.Realm, ("Invoice", "5", "Create"));
        foreach (var signature in new[] { QuickBooksFake.Sign(body, "another-apps-verifier-token"), QuickBooksFake.Sign(body + " "), null, "" })
        {
            var refused = await NotifyAsync(body, signature);
            refused.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
            refused.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        }
        (await ChangesAsync(id)).ShouldBeEmpty();

        // A company no installation is connected to: 200 (Intuit retries anything else), and nothing anywhere.
        var unknown = Legacy("4620816365999999999", ("Invoice", "5", "Create"));
        (await NotifyAsync(unknown, QuickBooksFake.Sign(unknown))).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await Node.WithDbAsync(db => db.OutboxEvents.IgnoreQueryFilters().CountAsync(e => e.Type == IntegrationResources.ProviderRecordChangedEvent
            && e.Data.Contains("4620816365999999999")))).ShouldBe(0);

        // Signed but not a notification: 400, nothing done.
        (await NotifyAsync("[1,", QuickBooksFake.Sign("[1,"))).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await ChangesAsync(id)).ShouldBeEmpty();
    }

    [Fact]
    public async Task AProviderWhoseAppSecretIsNotConfiguredAnswers503AndAnUnknownProviderOrKind404()
    {
        // This node configures QuickBooks' verifier token only: Xero's webhook key is missing.
        using var client = Node.Client();
        var body = """{"events":[],"lastEventSequence":0,"firstEventSequence":0,"entropy":"S0m3r4Nd0mt3xt"}""";
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/integrations/providers/xero/inbound/events") { Content = new StringContent(body) };
        request.Headers.TryAddWithoutValidation("x-xero-signature", XeroFake.Sign(body));
        var unconfigured = await client.Http.SendAsync(request);
        unconfigured.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        unconfigured.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        (await ApiClient.ReadAsync(unconfigured))["code"]!.GetValue<string>().ShouldBe("service_unavailable");

        (await client.Http.PostAsync("/api/v1/integrations/providers/nosuchprovider/inbound/events", new StringContent("{}"))).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await client.Http.PostAsync("/api/v1/integrations/providers/quickbooks/inbound/other", new StringContent("{}"))).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        // A provider without app-wide webhooks has no such route.
        (await client.Http.PostAsync("/api/v1/integrations/providers/slack/inbound/events", new StringContent("{}"))).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }
}

public sealed class QuickBooksTestsOnSqlite(QuickBooksSqliteNode fixture) : QuickBooksTests<QuickBooksSqliteNode>(fixture);
public sealed class QuickBooksTestsOnPostgres(QuickBooksPostgresNode fixture) : QuickBooksTests<QuickBooksPostgresNode>(fixture);

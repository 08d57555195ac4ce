using Microsoft.EntityFrameworkCore;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Integrations;
using Switchboard.Integrations.Connectors;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Integrations;

/// <summary>A node whose Xero provider (OAuth client and endpoints, API and connections hosts) points at a <see cref="XeroFake"/>.</summary>
public abstract class XeroNode : ProviderFakeNode<XeroFake>
{
    protected override Task<XeroFake> StartFakeAsync() => XeroFake.StartAsync();

    protected override IEnumerable<(string Key, string Value)> Settings(XeroFake fake)
    {
        const string Prefix = "Switchboard:Integrations:Providers:xero:";
        return
        [
            (Prefix + "ClientId", XeroFake.ClientId), (Prefix + "ClientSecret", XeroFake.ClientSecret), (Prefix + "AuthorizeUrl", fake.AuthorizeUrl),
            (Prefix + "TokenUrl", fake.TokenUrl), (Prefix + "RevokeUrl", fake.RevokeUrl),
            (Prefix + "BaseUrls:api", fake.ApiUrl), (Prefix + "BaseUrls:connections", fake.BaseUrl),
            (Prefix + "WebhookKey", XeroFake.WebhookKey),
        ];
    }
}

public sealed class XeroSqliteNode : XeroNode
{
    protected override SwitchboardFactory Create() => new SqliteSwitchboard();
}

public sealed class XeroPostgresNode : XeroNode
{
    protected override SwitchboardFactory Create() => new PostgresSwitchboard();
}

/// <summary>
/// The Xero connector against <see cref="XeroFake"/> over real HTTP: connected through the real OAuth callback with
/// PKCE (the organisation chosen from <c>/connections</c> kept with the tokens), invoices made from payments once each
/// (Idempotency-Key) with their contact found by email or by an escaped name, the Profit and Loss report read back after
/// a refresh, Xero's minute and day limits waited out as its headers say, refusals reported, and the grant revoked.
/// </summary>
public abstract class XeroTests<TNode>(TNode fixture) : IClassFixture<TNode> where TNode : XeroNode
{
    private XeroFake Fake => fixture.Fake;
    private SwitchboardFactory Node => fixture.Node;

    private async Task<(string Id, HttpResponseMessage Page)> ConnectAsync(ApiClient owner, XeroFake.Grant grant, object config)
    {
        var installed = await owner.InstallAsync(new { provider = "xero", name = "Xero books", config });
        var id = installed["id"]!.GetValue<string>();
        var connect = await owner.GetJsonAsync($"{IntegrationSteps.Base}/{id}/connect");
        using var browser = owner.Anonymous();
        return (id, await browser.Http.GetAsync(new Uri(Fake.Approve(connect["authorizeUrl"]!.GetValue<string>(), grant)).PathAndQuery));
    }

    private async Task<T> WithConnectorAsync<T>(string id, Func<Connector, ConnectorContext, Task<T>> use)
    {
        await using var scope = Node.Services.CreateAsyncScope();
        var (connector, context) = Node.Services.GetRequiredService<ConnectorContexts>().For(await Node.RowAsync(id), scope.ServiceProvider);
        return await use(connector, context);
    }

    private Task<ProviderResponse> RunAsync(string id, string action, JsonObject input) =>
        WithConnectorAsync(id, (connector, context) => connector.RunActionAsync(context, action, input, CancellationToken.None));

    [Fact]
    public async Task ConnectingKeepsTheChosenOrganisationAndEachPaymentBecomesOneInvoiceOfItsContact()
    {
        using var owner = Node.Client();
        await owner.SignupAsync();
        var grant = XeroFake.NewGrant("Demo Company (NZ)", "Acme Ltd (UK)");
        var acme = grant.Organisations[1];

        // Two organisations and none chosen: the connection fails, saying which there are, and keeps no tokens.
        var (ambiguous, refused) = await ConnectAsync(owner, grant, new { });
        refused.IsSuccessStatusCode.ShouldBeFalse(); // ConnectApi answers 502 for a refusal without a provider status
        (await refused.Content.ReadAsStringAsync()).ShouldContain(acme.TenantId);
        (await Node.RowAsync(ambiguous)).TokensEncrypted.ShouldBeNull();

        var (id, page) = await ConnectAsync(owner, grant, new { tenantId = acme.TenantId, accountCode = "260" });
        page.StatusCode.ShouldBe(HttpStatusCode.OK, await page.Content.ReadAsStringAsync());
        var tokens = Node.Services.GetRequiredService<IntegrationSecrets>().Tokens(await Node.RowAsync(id))!;
        (tokens.ExtraValue("tenantId"), tokens.ExtraValue("tenantName")).ShouldBe((acme.TenantId, acme.Name));
        (await ApiClient.ReadAsync(await owner.PostAsync($"{IntegrationSteps.Base}/{id}/test", null)))["success"]!.GetValue<bool>().ShouldBeTrue();

        // A contact of that name exists without an email: Xero refuses a second, and the one found by the (escaped) name is used.
        var existing = acme.AddContact("Dana \"DJ\" Lee", null);
        var dana = (await ApiClient.ReadAsync(await owner.PostAsync("/api/v1/contacts", new { firstName = "Dana", lastName = "\"DJ\" Lee", email = "dana@example.com" })))["id"]!.GetValue<string>();
        var payment = new JsonObject { ["idempotencyKey"] = "pay_x1", ["contactId"] = dana, ["amount"] = "80.00", ["currency"] = "gbp", ["date"] = "2026-11-30" };
        var first = JsonNode.Parse((await RunAsync(id, "create_invoice", payment)).Body)!["Invoices"]![0]!;
        first["Contact"]!["ContactID"]!.GetValue<string>().ShouldBe(existing["ContactID"]!.GetValue<string>());
        (first["Total"]!.GetValue<decimal>(), first["Type"]!.GetValue<string>(), first["Status"]!.GetValue<string>()).ShouldBe((80m, "ACCREC", "AUTHORISED"));
        (first["CurrencyCode"]!.GetValue<string>(), first["Date"]!.GetValue<string>()).ShouldBe(("GBP", "2026-11-30"));
        first["LineItems"]![0]!["AccountCode"]!.GetValue<string>().ShouldBe("260");

        // The retried job: the Idempotency-Key answers the first invoice, no second one.
        JsonNode.Parse((await RunAsync(id, "create_invoice", payment)).Body)!["Invoices"]![0]!["InvoiceID"]!.GetValue<string>()
            .ShouldBe(first["InvoiceID"]!.GetValue<string>());
        acme.Invoices.Count.ShouldBe(1);

        // A new contact is created with its email, and found by it next time.
        await RunAsync(id, "create_invoice", new JsonObject { ["idempotencyKey"] = "pay_x2", ["email"] = "eli@example.com", ["name"] = "Eli", ["amount"] = 10 });
        await RunAsync(id, "create_invoice", new JsonObject { ["idempotencyKey"] = "pay_x3", ["email"] = "ELI@example.com", ["amount"] = 12.5 });
        acme.Contacts.Count.ShouldBe(2);
        acme.Invoices.Skip(1).Select(i => i["Contact"]!["ContactID"]!.GetValue<string>()).Distinct().ShouldHaveSingleItem();

        // Only the chosen organisation was called.
        grant.Organisations[0].Invoices.ShouldBeEmpty();
        Fake.Provider.Requests.Where(r => r.Path.StartsWith("/api.xro/", StringComparison.Ordinal) && r.Headers["authorization"] == "Bearer " + grant.AccessToken)
            .ShouldAllBe(r => r.Headers["xero-tenant-id"] == acme.TenantId);
        Fake.Provider.AssertNoViolations();
    }

    [Fact]
    public async Task AnExpiredTokenIsRefreshedOnceForTheRevenueReportAndXerosLimitsAreWaitedOutButRefusalsAreNot()
    {
        using var owner = Node.Client();
        await owner.SignupAsync();
        var grant = XeroFake.NewGrant("Solo Ltd");
        var org = grant.Organisations[0];
        org.Expenses = 30m;
        var (id, page) = await ConnectAsync(owner, grant, new { invoiceStatus = "AUTHORISED" });
        page.StatusCode.ShouldBe(HttpStatusCode.OK, await page.Content.ReadAsStringAsync());
        await RunAsync(id, "create_invoice", new JsonObject { ["idempotencyKey"] = "p1", ["email"] = "fay@example.com", ["amount"] = 100, ["date"] = "2026-06-01" });
        await RunAsync(id, "create_invoice", new JsonObject { ["idempotencyKey"] = "p2", ["email"] = "fay@example.com", ["amount"] = 40, ["date"] = "2025-06-01" });

        Fake.Expire(grant);
        var refreshes = grant.Refreshes;
        var revenue = JsonNode.Parse((await RunAsync(id, "revenue", new JsonObject { ["startDate"] = "2026-01-01", ["endDate"] = "2026-12-31" })).Body)!;
        (grant.Refreshes - refreshes).ShouldBe(1);
        (revenue["totalIncome"]!.GetValue<decimal>(), revenue["totalExpenses"]!.GetValue<decimal>(), revenue["netIncome"]!.GetValue<decimal>()).ShouldBe((100m, 30m, 70m));
        Node.Services.GetRequiredService<IntegrationSecrets>().Tokens(await Node.RowAsync(id))!.RefreshToken.ShouldBe(grant.RefreshToken);

        lock (org.Limited) { org.Limited.Enqueue(("minute", "7")); org.Limited.Enqueue(("day", null)); }
        var minute = await Should.ThrowAsync<ProviderException>(() => RunAsync(id, "revenue", []));
        (minute.Status, minute.Retryable, minute.RetryAfter).ShouldBe((429, true, TimeSpan.FromSeconds(7)));
        minute.ProviderError!.ShouldStartWith("minute limit");
        var day = await Should.ThrowAsync<ProviderException>(() => RunAsync(id, "revenue", []));
        (day.Retryable, day.RetryAfter).ShouldBe((true, TimeSpan.FromHours(1)));

        var refused = await Should.ThrowAsync<ProviderException>(() => RunAsync(id, "create_invoice",
            new JsonObject { ["idempotencyKey"] = "p3", ["email"] = "fay@example.com", ["amount"] = 5, ["accountCode"] = "999" }));
        (refused.Status, refused.Retryable).ShouldBe((400, false));
        refused.ProviderError.ShouldBe("ValidationException: A validation exception occurred (Account code '999' is not a valid code for this document.)");

        var calls = Fake.Provider.Requests.Count;
        foreach (var input in new JsonObject[]
        {
            new() { ["idempotencyKey"] = "p4", ["email"] = "fay@example.com", ["amount"] = -1 },
            new() { ["idempotencyKey"] = "p4", ["email"] = "fay\"@example.com", ["amount"] = 1 },
            new() { ["idempotencyKey"] = "p4", ["email"] = "fay@example.com", ["amount"] = 1, ["currency"] = "EURO" },
            new() { ["idempotencyKey"] = "p4", ["contactId"] = "con_01JBZZZZZZZZZZZZZZZZZZZZZZ", ["amount"] = 1 },
        })
        {
            var invalid = await Should.ThrowAsync<ProviderException>(() => RunAsync(id, "create_invoice", input));
            (invalid.Status, invalid.Retryable).ShouldBe((null, false), invalid.Message);
        }
        Fake.Provider.Requests.Count.ShouldBe(calls);

        (await owner.DeleteAsync($"{IntegrationSteps.Base}/{id}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        grant.Revoked.ShouldBeTrue();
        Fake.Provider.AssertNoViolations();
    }

    private const string Webhook = "/api/v1/integrations/providers/xero/inbound/events";

    /// <summary>Posts a payload to the app's delivery URL as Xero does: the raw JSON and its x-xero-signature.</summary>
    private async Task<HttpResponseMessage> DeliverAsync(string body, string? signature, string path = Webhook)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
        if (signature is not null) request.Headers.TryAddWithoutValidation("x-xero-signature", signature);
        using var client = Node.Client();
        return await client.Http.SendAsync(request);
    }

    private Task<List<(string OrganizationId, JsonNode Data)>> ChangesAsync(string installationId) => Node.WithDbAsync(async db =>
        (await db.OutboxEvents.IgnoreQueryFilters().Where(e => e.ResourceId == installationId && e.Type == IntegrationResources.ProviderRecordChangedEvent)
            .OrderBy(e => e.Id).Select(e => new { e.OrganizationId, e.Data }).ToListAsync())
        .Select(e => (e.OrganizationId, JsonNode.Parse(e.Data)!)).ToList());

    private static string Events(params (string TenantId, string Category, string Type, string ResourceId)[] events) => new JsonObject
    {
        ["events"] = new JsonArray(events.Select(e => (JsonNode)new JsonObject
        {
            ["resourceUrl"] = $"https://api.xero.com/api.xro/2.0/{(e.Category == "INVOICE" ? "Invoices" : "Contacts")}/{e.ResourceId}",
            ["resourceId"] = e.ResourceId, ["eventDateUtc"] = "2026-12-04T22:10:05.217", ["eventType"] = e.Type, ["eventCategory"] = e.Category,
            ["tenantId"] = e.TenantId, ["tenantType"] = "ORGANISATION",
        }).ToArray()),
        ["lastEventSequence"] = events.Length, ["firstEventSequence"] = 1, ["entropy"] = "QWERTYUIOPASDFGH",
    }.ToJsonString();

    [Fact]
    public async Task IntentToReceiveIs200ForACorrectlySignedPayloadAnd401ForAnIncorrectlySignedOneBothWithoutABody()
    {
        const string Itr = """{"events":[],"lastEventSequence":0,"firstEventSequence":0,"entropy":"S0m3r4Nd0mt3xt"}""";
        var ok = await DeliverAsync(Itr, XeroFake.Sign(Itr));
        ok.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await ok.Content.ReadAsByteArrayAsync()).ShouldBeEmpty();
        // Xero's incorrectly signed payloads: the same body signed otherwise, an altered body, no signature.
        foreach (var (body, signature) in new[] { (Itr, XeroFake.Sign(Itr, "another-apps-webhook-key")), (Itr.Replace("S0m3", "T0m3"), XeroFake.Sign(Itr)), (Itr, (string?)null) })
        {
            var refused = await DeliverAsync(body, signature);
            refused.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
            (await refused.Content.ReadAsByteArrayAsync()).ShouldBeEmpty();
        }
    }

    [Fact]
    public async Task ASignedEventReachesOnlyTheInstallationOfItsOrganisationAndAnUnknownOneIsAcknowledgedAndIgnored()
    {
        using var ownerA = Node.Client();
        await ownerA.SignupAsync();
        using var ownerB = Node.Client();
        await ownerB.SignupAsync();
        var grantA = XeroFake.NewGrant("Demo Company (NZ)");
        var grantB = XeroFake.NewGrant("Acme Ltd (UK)");
        var (idA, pageA) = await ConnectAsync(ownerA, grantA, new { });
        var (idB, pageB) = await ConnectAsync(ownerB, grantB, new { });
        pageA.StatusCode.ShouldBe(HttpStatusCode.OK);
        pageB.StatusCode.ShouldBe(HttpStatusCode.OK);
        var tenantA = grantA.Organisations[0].TenantId;
        var tenantB = grantB.Organisations[0].TenantId;
        (await Node.RowAsync(idA)).ProviderAccountId.ShouldBe(tenantA.ToLowerInvariant());

        var invoice = Guid.NewGuid().ToString();
        var body = Events((tenantA, "INVOICE", "UPDATE", invoice), (tenantA, "CONTACT", "CREATE", "c0ffee00-0000-4000-8000-000000000001"));
        var response = await DeliverAsync(body, XeroFake.Sign(body));
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await response.Content.ReadAsByteArrayAsync()).ShouldBeEmpty();
        var changes = await ChangesAsync(idA);
        changes.Select(c => (c.Data["entity"]!.GetValue<string>(), c.Data["entityId"]!.GetValue<string>(), c.Data["operation"]!.GetValue<string>()))
            .ShouldBe([("invoice", invoice, "update"), ("contact", "c0ffee00-0000-4000-8000-000000000001", "create")]);
        changes.ShouldAllBe(c => c.OrganizationId == ownerA.OrganizationId);
        (await ChangesAsync(idB)).ShouldBeEmpty();

        // A forged copy naming B changes nothing; a signed one reaches B alone.
        var forB = Events((tenantB, "INVOICE", "CREATE", invoice));
        (await DeliverAsync(forB, XeroFake.Sign(body))).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await ChangesAsync(idB)).ShouldBeEmpty();
        (await DeliverAsync(forB, XeroFake.Sign(forB))).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await ChangesAsync(idB)).Single().OrganizationId.ShouldBe(ownerB.OrganizationId);
        (await ChangesAsync(idA)).Count.ShouldBe(2);

        // An organisation no installation is connected to: acknowledged (Xero retries anything else) and ignored.
        var stranger = Guid.NewGuid().ToString();
        var unknown = Events((stranger, "INVOICE", "CREATE", invoice));
        (await DeliverAsync(unknown, XeroFake.Sign(unknown))).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await Node.WithDbAsync(db => db.OutboxEvents.IgnoreQueryFilters().CountAsync(e => e.Type == IntegrationResources.ProviderRecordChangedEvent
            && e.Data.Contains(stranger)))).ShouldBe(0);
    }

    [Fact]
    public async Task WithoutQuickBooksVerifierTokenItsRouteAnswers503()
    {
        const string Body = """{"eventNotifications":[]}""";
        var response = await DeliverAsync(Body, QuickBooksFake.Sign(Body), "/api/v1/integrations/providers/quickbooks/inbound/events");
        response.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
    }
}

public sealed class XeroTestsOnSqlite(XeroSqliteNode fixture) : XeroTests<XeroSqliteNode>(fixture);
public sealed class XeroTestsOnPostgres(XeroPostgresNode fixture) : XeroTests<XeroPostgresNode>(fixture);

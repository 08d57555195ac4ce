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
}

public sealed class XeroTestsOnSqlite(XeroSqliteNode fixture) : XeroTests<XeroSqliteNode>(fixture);
public sealed class XeroTestsOnPostgres(XeroPostgresNode fixture) : XeroTests<XeroPostgresNode>(fixture);

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
}

public sealed class QuickBooksTestsOnSqlite(QuickBooksSqliteNode fixture) : QuickBooksTests<QuickBooksSqliteNode>(fixture);
public sealed class QuickBooksTestsOnPostgres(QuickBooksPostgresNode fixture) : QuickBooksTests<QuickBooksPostgresNode>(fixture);

using System.Net;
using OpenQA.Selenium;
using Microsoft.AspNetCore.Builder;
using Switchboard.Tests.Infrastructure;
using Switchboard.Tests.Integrations;
using static Switchboard.Tests.Dashboard.DashboardTestSupport;
// The dashboard's browser steps (sign-in, full-page screenshots), shared with the other pages' browser tests.
using static Switchboard.Tests.Dashboard.DashboardBrowser;

namespace Switchboard.Tests.Dashboard.Integrations;

/// <summary>
/// The integrations pages as a person uses them, in Debian's headless Chromium against a live node: the marketplace, the
/// generated install form (refused, then accepted), "test connection" against a loopback endpoint, a rule that then
/// runs, and uninstalling. Every page is saved as a PNG under the screenshots folder's dashboard/ for a reviewer.
/// </summary>
public abstract class IntegrationsInBrowserTests<TNode>(TNode node) : IClassFixture<TNode> where TNode : SwitchboardFactory, IIntegrationNode
{
    private string Origin => DashboardBrowser.Origin(node);

    private static string MainText(HeadlessChromium browser) => browser.Driver.FindElement(By.TagName("main")).Text;

    [Fact(Timeout = 300_000)]
    public async Task AnOwnerInstallsFromTheMarketplaceTestsTheConnectionAddsARuleAndUninstalls()
    {
        // The customer's own endpoint, on loopback: HEAD answers the connection test, PUT receives the rule's requests.
        await using var endpoint = await FakeProvider.StartAsync((app, fake) =>
            app.MapMethods("/crm-events", ["HEAD", "PUT"], (Microsoft.AspNetCore.Http.HttpContext http) =>
            {
                fake.Require(http.Request.Headers.Authorization == "Bearer tok-4d1e-browser", "the installation's bearer token on every request");
                return Microsoft.AspNetCore.Http.Results.Ok();
            }));
        var (owner, api) = await NewOrganizationAsync(node, "Acme Corporation");
        using var _ = api;
        using var browser = new HeadlessChromium();
        var driver = browser.Driver;

        await SignInAsync(node, browser, owner.Email, "/dashboard/integrations");
        browser.WaitFor("the empty list", d => d.FindElement(By.Id("open-marketplace")));
        driver.FindElement(By.CssSelector(".nav a[aria-current=page]")).Text.ShouldBe("Integrations");
        MainText(browser).ShouldContain("Nothing installed yet.");
        Screenshot(browser, "integrations-empty");

        // The marketplace: every provider with its icon, then a search kept in the URL.
        driver.FindElement(By.Id("open-marketplace")).Click();
        browser.WaitFor("the marketplace", d => d.FindElement(By.Id("provider-slack")));
        browser.WaitUntil("the icons to load", d => d.FindElements(By.CssSelector(".provider-icon"))
            .All(i => Convert.ToInt64(((IJavaScriptExecutor)d).ExecuteScript("return arguments[0].naturalWidth;", i), System.Globalization.CultureInfo.InvariantCulture) > 0));
        browser.ReferencedResources().ShouldAllBe(url => url.StartsWith(Origin + "/", StringComparison.Ordinal));
        Screenshot(browser, "integrations-marketplace");
        driver.FindElement(By.CssSelector("#category option[value='automation']")).Click();
        driver.FindElement(By.Id("q")).SendKeys("http");
        driver.FindElement(By.CssSelector("form[role=search] button[type=submit]")).Click();
        browser.WaitUntil("the search in the URL", d => d.Url.Contains("q=http", StringComparison.Ordinal) && d.Url.Contains("category=automation", StringComparison.Ordinal));
        driver.FindElements(By.CssSelector(".providers > li")).Select(li => li.GetAttribute("id")).ShouldBe(["provider-custom_http"]);
        Screenshot(browser, "integrations-marketplace-search");

        // The provider's page and its generated form: refused fields are explained under them, the secret is asked again.
        driver.FindElement(By.LinkText("Custom HTTP request")).Click();
        browser.WaitFor("the install form", d => d.FindElement(By.Id("cfg-url")));
        Screenshot(browser, "integration-provider");
        driver.FindElement(By.Id("install-name")).SendKeys("CRM events");
        driver.FindElement(By.Id("cfg-url")).SendKeys("ftp://not-http.example");
        driver.FindElement(By.CssSelector("#cfg-authType option[value='bearer']")).Click();
        driver.FindElement(By.Id("cfg-bearerToken")).SendKeys("tok-4d1e-browser");
        driver.FindElement(By.Id("cfg-headers")).SendKeys("{\"X-Env\": ");
        driver.FindElement(By.CssSelector("#install-form button[type=submit]")).Click();
        browser.WaitFor("the field errors", d => d.FindElement(By.Id("config.headers-error"))).Text.ShouldContain("Is not valid JSON");
        driver.FindElement(By.Id("cfg-url")).GetAttribute("value").ShouldBe("ftp://not-http.example");
        driver.FindElement(By.Id("cfg-bearerToken")).GetAttribute("value").ShouldBeEmpty();
        driver.PageSource.ShouldNotContain("tok-4d1e-browser");
        Screenshot(browser, "integration-install-errors");

        var headers = driver.FindElement(By.Id("cfg-headers"));
        headers.SendKeys("\"browser\"}");
        driver.FindElement(By.Id("cfg-bearerToken")).SendKeys("tok-4d1e-browser");
        driver.FindElement(By.CssSelector("#install-form button[type=submit]")).Click();
        browser.WaitFor("the API's refusal", d => d.FindElement(By.Id("config.url-error"))).Displayed.ShouldBeTrue();
        Screenshot(browser, "integration-install-refused-url");
        var url = driver.FindElement(By.Id("cfg-url"));
        url.Clear();
        url.SendKeys(endpoint.BaseUrl + "/crm-events");
        driver.FindElement(By.CssSelector("#cfg-method option[value='PUT']")).Click();
        driver.FindElement(By.Id("cfg-bearerToken")).SendKeys("tok-4d1e-browser");
        driver.FindElement(By.CssSelector("#install-form button[type=submit]")).Click();
        browser.WaitFor("the installation's page", d => d.FindElement(By.Id("integration-message"))).Text.ShouldBe("Installed.");
        driver.FindElement(By.Id("installation-status")).Text.ShouldBe("Active");
        var installationUrl = driver.Url[..driver.Url.IndexOf('?', StringComparison.Ordinal)];
        var settings = driver.FindElement(By.Id("settings")).Text;
        settings.ShouldContain("bearerToken");
        settings.ShouldContain("set (never shown)");

        // Test connection: one real request to the endpoint, its answer shown.
        driver.FindElement(By.CssSelector("#test-form button")).Click();
        browser.WaitFor("the test's result", d => d.FindElement(By.Id("test-result"))).Text.ShouldContain("The connection works.");
        endpoint.Requests.ShouldContain(r => r.Method == "HEAD");
        Screenshot(browser, "integration-tested");

        // A rule: new leads go to the endpoint; a lead made through the API runs it, and the run is listed.
        driver.FindElement(By.Id("rule-events")).SendKeys("lead.created");
        var input = driver.FindElement(By.Id("rule-input"));
        input.Clear();
        input.SendKeys("{\"body\": {\"lead\": \"{{data.name}}\"}}");
        driver.FindElement(By.CssSelector("#rule-form button[type=submit]")).Click();
        browser.WaitFor("the rule", d => d.FindElement(By.Id("integration-message"))).Text.ShouldBe("The rule was added: lead.created → send_request.");
        await ActionsTestKit.CreateLeadAsync(api, new { name = "Grace Hopper" });
        (await FakeProviderWaitAsync(endpoint, r => r.Method == "PUT" && r.Body.Contains("Grace Hopper", StringComparison.Ordinal)
            && r.Headers.GetValueOrDefault("x-env") == "browser")).ShouldBeTrue();
        browser.WaitUntil("the action run", d =>
        {
            if (d.FindElements(By.CssSelector("#action-runs .pill.active")).Count > 0) return true;
            Thread.Sleep(300);
            d.Navigate().GoToUrl(installationUrl); // a GET: the page shown is the answer to the rule form's POST
            return false;
        });
        driver.FindElement(By.Id("action-runs")).Text.ShouldContain("lead.created");
        // Once more, so the health (read before the runs) counts the run too.
        await Task.Run(() => driver.Navigate().GoToUrl(installationUrl));
        browser.WaitFor("the health", d => d.FindElement(By.Id("health"))).Text.Replace('\u00a0', ' ').ShouldContain("100 %");
        Screenshot(browser, "integration");

        // The rule's own page.
        driver.FindElement(By.CssSelector("#rules a")).Click();
        browser.WaitFor("the rule's page", d => d.FindElement(By.Id("rule-form")));
        Screenshot(browser, "integration-rule");
        await Task.Run(() => driver.Navigate().GoToUrl(installationUrl));

        // Uninstall, after a confirm step.
        browser.WaitFor("the installation's page", d => d.FindElement(By.Id("uninstall-link"))).Click();
        browser.WaitFor("the confirm step", d => d.FindElement(By.Id("uninstall-consequences"))).Text.ShouldContain("delete its rule");
        Screenshot(browser, "integration-uninstall");
        driver.FindElement(By.CssSelector("#uninstall-form button")).Click();
        browser.WaitFor("the list again", d => d.FindElement(By.Id("integrations-message"))).Text.ShouldBe("The integration was uninstalled.");
        MainText(browser).ShouldContain("Nothing installed yet.");
        Screenshot(browser, "integrations-uninstalled");
        (await api.GetJsonAsync("/api/v1/integrations"))["data"]!.AsArray().ShouldBeEmpty();

        // Zapier is set up from Zapier's side: its page links to the app and offers nothing to install.
        await Task.Run(() => driver.Navigate().GoToUrl(Origin + "/dashboard/integrations/marketplace/zapier"));
        var setup = browser.WaitFor("Zapier's page", d => d.FindElement(By.Id("provider-setup-link")));
        setup.GetAttribute("href").ShouldBe("https://zapier.com/apps/switchboard/integrations");
        driver.FindElements(By.Id("install-name")).ShouldBeEmpty();
        MainText(browser).ShouldContain("deal.stage_changed");
        MainText(browser).ShouldContain("set up in its own app");
        Screenshot(browser, "integration-provider-zapier");
        endpoint.AssertNoViolations();
    }

    [Fact(Timeout = 240_000)]
    public async Task AViewerSeesTheInstallationButNoWriteControls()
    {
        var (owner, api) = await NewOrganizationAsync(node, "Globex Sales");
        using var _ = api;
        var id = (await api.InstallAsync(new { provider = "custom_http", name = "Warehouse feed", config = new { url = "https://hooks.example.com/feed" } }))["id"]!.GetValue<string>();
        await ActionsTestKit.CreateRuleAsync(api, id, new { events = new[] { "deal.won" }, action = "send_request", input = new { } });
        var viewer = await NewMemberAsync(node, owner.OrganizationId, "viewer");
        using var browser = new HeadlessChromium();
        var driver = browser.Driver;

        await SignInAsync(node, browser, viewer.Email, $"/dashboard/integrations/{id}");
        browser.WaitFor("the installation's page", d => d.FindElement(By.Id("health")));
        driver.FindElements(By.CssSelector("main form")).ShouldBeEmpty();
        driver.FindElements(By.Id("uninstall-link")).ShouldBeEmpty();
        MainText(browser).ShouldContain("deal.won");
        MainText(browser).ShouldNotContain("Test connection");
        Screenshot(browser, "integration-viewer");
        (await api.GetAsync($"/api/v1/integrations/{id}")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    private static async Task<bool> FakeProviderWaitAsync(FakeProvider fake, Func<FakeProvider.Recorded, bool> match)
    {
        for (var waited = 0; waited < 15_000; waited += 100)
        {
            if (fake.Requests.Any(match)) return true;
            await Task.Delay(100);
        }
        return false;
    }
}

public sealed class IntegrationsInBrowserTestsOnSqlite(IntegrationSqliteNode node) : IntegrationsInBrowserTests<IntegrationSqliteNode>(node);
public sealed class IntegrationsInBrowserTestsOnPostgres(IntegrationPostgresNode node) : IntegrationsInBrowserTests<IntegrationPostgresNode>(node);

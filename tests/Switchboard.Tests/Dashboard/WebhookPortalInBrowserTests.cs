using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using OpenQA.Selenium;
using Switchboard.Tests.Infrastructure;
using Switchboard.Tests.Webhooks;
using static Switchboard.Tests.Dashboard.DashboardTestSupport;

namespace Switchboard.Tests.Dashboard;

/// <summary>
/// The embeddable webhook portal as a CRM embeds it, in Debian's headless Chromium: a host page served from another
/// loopback origin (another port) frames the link; the webhook pages render inside the iframe and work there with no
/// cookie; a view-only link shows no write control and refuses a form forged inside the frame; a host page whose origin
/// the link does not name gets no portal (CSP <c>frame-ancestors</c>). Pictures under
/// <see cref="BrowserScreenshots.Directory"/>/dashboard.
/// </summary>
public abstract class WebhookPortalInBrowserTests<TNode>(TNode node) : IClassFixture<TNode> where TNode : SwitchboardFactory
{
    private static async Task<JsonObject> MintAsync(ApiClient api, string[] capabilities, params string[] origins)
    {
        var response = await api.PostAsync("/api/v1/webhooks/portal-links", new { capabilities, allowedOrigins = origins });
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return await ApiClient.ReadAsync(response);
    }

    /// <summary>Opens the host page framing <paramref name="url"/> and waits for the frame's load event, whatever it loaded.</summary>
    private static async Task OpenHostAsync(HeadlessChromium browser, HostPage host, string url)
    {
        await Task.Run(() => browser.Driver.Navigate().GoToUrl(host.Origin + "/?src=" + Uri.EscapeDataString(url)));
        browser.WaitUntil("the frame's load event", d => d.FindElement(By.Id("portal")).GetAttribute("data-loaded") == "yes");
    }

    [Fact(Timeout = 300_000)]
    public async Task AHostPageOnAnAllowedOriginEmbedsThePortalAndCreatesAnEndpointInIt()
    {
        await using var host = await HostPage.StartAsync();
        var (_, api) = await NewOrganizationAsync(node, "Acme Corporation");
        using var _ = api;
        (await api.PostAsync("/api/v1/webhooks", new { url = "https://hooks.example.com/billing", events = new[] { "deal.won" }, name = "Billing" })).StatusCode.ShouldBe(HttpStatusCode.Created);
        var link = await MintAsync(api, ["manage_endpoints", "retry"], host.Origin);
        using var browser = new HeadlessChromium();
        var driver = browser.Driver;

        await OpenHostAsync(browser, host, link["url"]!.GetValue<string>());
        driver.FindElement(By.TagName("h1")).Text.ShouldBe("Acme CRM settings"); // the host's own page around the frame
        driver.SwitchTo().Frame(driver.FindElement(By.Id("portal")));
        browser.WaitFor("the portal's webhook list", d => d.FindElement(By.LinkText("Billing")));
        driver.FindElement(By.Id("portal-organization")).Text.ShouldBe("Acme Corporation");
        driver.FindElements(By.CssSelector("nav.side")).ShouldBeEmpty(); // no dashboard navigation
        driver.SwitchTo().DefaultContent();
        DashboardBrowser.Screenshot(browser, "portal-embedded");

        driver.SwitchTo().Frame(driver.FindElement(By.Id("portal")));
        driver.FindElement(By.Id("hook-url")).SendKeys("https://hooks.example.com/crm");
        driver.FindElement(By.Id("event-contact-created")).Click();
        driver.FindElement(By.Id("hook-name")).SendKeys("CRM sync");
        driver.FindElement(By.CssSelector("form[aria-labelledby=create-title] button[type=submit]")).Click();
        browser.WaitFor("the signing secret", d => d.FindElement(By.Id("secret-value"))).GetAttribute("value")!.ShouldStartWith("whsec_");
        driver.FindElement(By.Id("created-endpoint")).Click();
        browser.WaitFor("the endpoint's page", d => d.FindElement(By.Id("delivery-log")));
        ((string)driver.ExecuteScript("return location.pathname;")!).ShouldStartWith(new Uri(link["url"]!.GetValue<string>()).AbsolutePath + "/wh_"); // still inside the link
        driver.FindElement(By.Id("endpoint-url")).Text.ShouldBe("https://hooks.example.com/crm");
        driver.FindElements(By.Id("test-form")).Count.ShouldBe(1);
        driver.FindElements(By.Id("rotate-form")).ShouldBeEmpty(); // secrets not granted
        driver.SwitchTo().DefaultContent();
        DashboardBrowser.Screenshot(browser, "portal-endpoint");

        var created = (await api.GetJsonAsync("/api/v1/webhooks"))["data"]!.AsArray().Single(h => h!["name"]!.GetValue<string>() == "CRM sync")!;
        created["events"]!.AsArray().Select(e => e!.GetValue<string>()).ShouldBe(["contact.created"]);
        var audit = (await api.GetJsonAsync("/api/v1/audit-logs?action=webhook.created"))["data"]!.AsArray();
        audit.Single(e => e!["targetId"]!.GetValue<string>() == created["id"]!.GetValue<string>())!["actorType"]!.GetValue<string>().ShouldBe("webhook_portal_link");
    }

    [Fact(Timeout = 300_000)]
    public async Task AViewOnlyLinkShowsNoWriteControlsAndRefusesAFormForgedInTheFrame()
    {
        await using var host = await HostPage.StartAsync();
        var (owner, api) = await NewOrganizationAsync(node, "Acme Corporation");
        using var _ = api;
        var hook = await ApiClient.ReadAsync(await api.PostAsync("/api/v1/webhooks", new { url = "https://hooks.example.com/billing", events = new[] { "*" }, name = "Billing" }));
        var link = await MintAsync(api, ["view"], host.Origin);
        using var browser = new HeadlessChromium();
        var driver = browser.Driver;

        await OpenHostAsync(browser, host, link["url"]!.GetValue<string>());
        driver.SwitchTo().Frame(driver.FindElement(By.Id("portal")));
        browser.WaitFor("the portal's webhook list", d => d.FindElement(By.LinkText("Billing"))).Click();
        browser.WaitFor("the endpoint's page", d => d.FindElement(By.Id("delivery-log")));
        driver.FindElements(By.CssSelector("form[method=post]")).ShouldBeEmpty();
        driver.FindElements(By.CssSelector("button[form=retry-form]")).ShouldBeEmpty();
        driver.SwitchTo().DefaultContent();
        DashboardBrowser.Screenshot(browser, "portal-view-only");

        // A form written into the frame's page, with this link's valid form token: the gate refuses what the link does not allow.
        driver.SwitchTo().Frame(driver.FindElement(By.Id("portal")));
        driver.ExecuteScript("""
            const form = document.createElement('form');
            form.method = 'post';
            for (const [name, value] of [['_handler', 'toggle'], ['csrf', arguments[0]]]) {
              const input = document.createElement('input');
              input.type = 'hidden'; input.name = name; input.value = value;
              form.appendChild(input);
            }
            document.body.appendChild(form);
            form.submit();
            """, PortalFormToken.For(node, link));
        browser.WaitFor("the refusal", d => d.FindElement(By.TagName("h1")).Text == "Not allowed" ? d : null);
        driver.FindElement(By.TagName("main")).Text.ShouldContain("This link does not allow manage endpoints. Nothing was changed.");
        driver.SwitchTo().DefaultContent();
        DashboardBrowser.Screenshot(browser, "portal-forged-post-refused");
        (await api.GetJsonAsync($"/api/v1/webhooks/{hook["id"]}"))["isActive"]!.GetValue<bool>().ShouldBeTrue();
        owner.OrganizationId.ShouldNotBeNullOrEmpty();
    }

    [Fact(Timeout = 300_000)]
    public async Task AHostPageOnAnOriginTheLinkDoesNotNameGetsNoPortal()
    {
        await using var allowed = await HostPage.StartAsync();
        await using var other = await HostPage.StartAsync();
        var (_, api) = await NewOrganizationAsync(node, "Acme Corporation");
        using var _ = api;
        var link = await MintAsync(api, ["manage_endpoints"], allowed.Origin);
        var url = link["url"]!.GetValue<string>();

        // Over HTTP: the page names only the allowed origin as a frame ancestor.
        using (var http = new HttpClient())
        {
            var answer = await http.GetAsync(url);
            answer.StatusCode.ShouldBe(HttpStatusCode.OK);
            var csp = answer.Headers.GetValues("Content-Security-Policy").Single();
            csp.Split(';').Select(d => d.Trim()).ShouldContain("frame-ancestors " + allowed.Origin);
            csp.ShouldNotContain(other.Origin);
        }

        using var browser = new HeadlessChromium();
        var driver = browser.Driver;
        await OpenHostAsync(browser, other, url);
        driver.SwitchTo().Frame(driver.FindElement(By.Id("portal")));
        // Chromium replaces a frame its frame-ancestors refuses with an error document: none of the portal is there.
        ((string)driver.ExecuteScript("return document.location.href;")!).ShouldBe("chrome-error://chromewebdata/");
        driver.FindElements(By.Id("portal-organization")).ShouldBeEmpty();
        driver.FindElements(By.Id("hook-url")).ShouldBeEmpty();
        driver.PageSource.ShouldNotContain("Acme Corporation");
        driver.SwitchTo().DefaultContent();
        DashboardBrowser.Screenshot(browser, "portal-refused-origin");

        // The same link from the allowed origin renders (so the refusal above is the origin's, not the link's).
        await OpenHostAsync(browser, allowed, url);
        driver.SwitchTo().Frame(driver.FindElement(By.Id("portal")));
        browser.WaitFor("the portal", d => d.FindElement(By.Id("portal-organization"))).Text.ShouldBe("Acme Corporation");
        driver.FindElement(By.Id("content")).Text.ShouldContain("No endpoints yet.");
    }

    /// <summary>
    /// A CRM's settings page on its own loopback origin (a port of its own): an iframe of the URL in <c>?src=</c>, marked
    /// <c>data-loaded</c> once the frame's load event fires (it fires for a refused frame too).
    /// </summary>
    private sealed class HostPage : IAsyncDisposable
    {
        private readonly WebApplication _app;
        public string Origin { get; }

        private HostPage(WebApplication app, string origin) => (_app, Origin) = (app, origin);

        public static async Task<HostPage> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            var app = builder.Build();
            app.MapGet("/", (HttpContext http) => Results.Content($$"""
                <!DOCTYPE html>
                <html lang="en"><head><meta charset="utf-8"><title>Acme CRM</title></head>
                <body style="margin:0;font-family:sans-serif">
                <h1 style="margin:8px 16px;font-size:18px">Acme CRM settings</h1>
                <iframe id="portal" title="Webhooks" src="{{WebUtility.HtmlEncode(http.Request.Query["src"].ToString())}}" style="width:100%;height:900px;border:0;border-top:1px solid #ccc"
                        onload="this.dataset.loaded='yes'"></iframe>
                </body></html>
                """, "text/html; charset=utf-8"));
            await app.StartAsync();
            var address = app.Urls.Single();
            return new HostPage(app, new Uri(address).GetLeftPart(UriPartial.Authority));
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}

public sealed class WebhookPortalInBrowserTestsOnSqlite(SqliteSwitchboard node) : WebhookPortalInBrowserTests<SqliteSwitchboard>(node);
public sealed class WebhookPortalInBrowserTestsOnPostgres(PostgresSwitchboard node) : WebhookPortalInBrowserTests<PostgresSwitchboard>(node);

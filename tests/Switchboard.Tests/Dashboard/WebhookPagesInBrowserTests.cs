using OpenQA.Selenium;
using Switchboard.Tests.Infrastructure;
using static Switchboard.Tests.Dashboard.DashboardTestSupport;

namespace Switchboard.Tests.Dashboard;

/// <summary>
/// The webhook pages as a person uses them, in Debian's headless Chromium against a live node and a real receiver on
/// loopback: create an endpoint, watch a CRM write's delivery appear in its log, see a failure, retry it and see the retry
/// succeed. Every page is saved as a PNG under <see cref="BrowserScreenshots.Directory"/>/dashboard.
/// </summary>
public abstract class WebhookPagesInBrowserTests<TNode>(TNode node) : IClassFixture<TNode> where TNode : SwitchboardFactory
{
    private string Origin => DashboardBrowser.Origin(node);

    private static void Screenshot(HeadlessChromium browser, string name) => DashboardBrowser.Screenshot(browser, name);

    [Fact(Timeout = 300_000)]
    public async Task AnOwnerCreatesAnEndpointWatchesADeliveryFailAndRetriesIt()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var (owner, api) = await NewOrganizationAsync(node, "Acme Corporation");
        using var _ = api;
        using var browser = new HeadlessChromium();
        var driver = browser.Driver;

        await Task.Run(() => driver.Navigate().GoToUrl(Origin + "/dashboard/webhooks"));
        browser.WaitUntil("the sign-in page", d => d.Url.StartsWith(Origin + "/signin?returnUrl=", StringComparison.Ordinal));
        browser.WaitFor("the sign-in form", d => d.FindElement(By.Name("email"))).SendKeys(owner.Email);
        driver.FindElement(By.Name("password")).SendKeys(Password);
        driver.FindElement(By.CssSelector("button.primary")).Click();
        browser.WaitFor("the webhooks page", d => d.FindElement(By.Id("hook-url")));
        driver.FindElement(By.CssSelector(".nav a[aria-current=page]")).Text.ShouldBe("Webhooks");
        browser.ReferencedResources().ShouldAllBe(url => url.StartsWith(Origin + "/", StringComparison.Ordinal));
        Screenshot(browser, "webhooks-empty");

        // Refused first: no event picked, explained beside the picker; what was typed stays.
        driver.FindElement(By.Id("hook-url")).SendKeys(receiver.Url);
        driver.FindElement(By.CssSelector("form[aria-labelledby=create-title] button[type=submit]")).Click();
        browser.WaitFor("the field errors", d => d.FindElement(By.Id("events-error"))).Text.ShouldContain("1 to 100 event types");
        driver.FindElement(By.Id("hook-url")).GetAttribute("value").ShouldBe(receiver.Url);
        Screenshot(browser, "webhooks-create-errors");

        driver.FindElement(By.Id("event-contact-created")).Click();
        driver.FindElement(By.Id("hook-name")).SendKeys("CRM sync");
        driver.FindElement(By.CssSelector("form[aria-labelledby=create-title] button[type=submit]")).Click();
        var secret = browser.WaitFor("the signing secret", d => d.FindElement(By.Id("secret-value"))).GetAttribute("value")!;
        secret.ShouldStartWith("whsec_");
        Screenshot(browser, "webhooks-created");

        driver.FindElement(By.Id("created-endpoint")).Click();
        browser.WaitFor("the endpoint's page", d => d.FindElement(By.Id("delivery-log")));
        var endpointUrl = driver.Url;
        MainText(browser).ShouldContain("No deliveries yet.");

        // A CRM write: its delivery appears in the log, succeeded, signed with the secret shown.
        (await api.PostAsync("/api/v1/contacts", new { firstName = "Ada", email = "ada@example.com" })).EnsureSuccessStatusCode();
        browser.RefreshUntil("the delivery, succeeded", d => d.FindElements(By.CssSelector("details.delivery .pill.succeeded")).Count == 1);
        WebhookReceiver.Verifies(receiver.Requests.Single(), secret).ShouldBeTrue();
        driver.FindElement(By.CssSelector("details.delivery summary")).Click();
        driver.FindElement(By.CssSelector("details.delivery pre.payload")).Text.ShouldContain("ada@example.com");
        driver.FindElement(By.CssSelector("details.delivery pre.response")).Text.ShouldBe("ok");
        Screenshot(browser, "webhook-delivered");

        // The receiver fails from now on: the log shows the failure and the attempts, until the delivery is dead.
        receiver.Answer(500, times: 100);
        (await api.PostAsync("/api/v1/contacts", new { firstName = "Grace", email = "grace@example.com" })).EnsureSuccessStatusCode();
        // (The tests' retry schedule is short: three attempts within a second, then the delivery is dead.)
        browser.RefreshUntil("the failed delivery", d => d.FindElements(By.CssSelector("details.delivery .pill.dead")).Count == 1
            && d.FindElement(By.CssSelector("details.delivery summary")).Text.Contains("HTTP 500", StringComparison.Ordinal));
        var failed = driver.FindElement(By.CssSelector("details.delivery"));
        var failedId = failed.GetAttribute("id")!;
        failed.FindElement(By.TagName("summary")).Click();
        failed.FindElement(By.CssSelector("pre.response")).Text.ShouldBe("scripted 500");
        driver.FindElement(By.Id("endpoint-success")).Text.ShouldNotStartWith("100"); // not every attempt of the last 24 hours succeeded
        Screenshot(browser, "webhook-delivery-failed");

        // The receiver is back: retry now, and the retry succeeds.
        receiver.ClearAnswers();
        failed.FindElement(By.CssSelector("button[form=retry-form]")).Click();
        browser.WaitFor("the retry message", d => d.FindElement(By.Id("webhook-message"))).Text.ShouldBe($"Delivery {failedId} will be sent again now.");
        await Task.Run(() => driver.Navigate().GoToUrl(endpointUrl)); // a GET again: reloading the answer to a POST would post again
        browser.RefreshUntil("the retry, succeeded", d => d.FindElement(By.Id(failedId)).FindElements(By.CssSelector(".pill.succeeded")).Count == 1);
        var retried = driver.FindElement(By.Id(failedId));
        retried.FindElement(By.TagName("summary")).Click();
        var attempts = retried.FindElements(By.CssSelector("table.attempts tbody tr td:nth-child(3)")).Select(c => c.Text).ToList();
        attempts[0].ShouldBe("HTTP 500");
        attempts[^1].ShouldBe("HTTP 200");
        receiver.Requests.Count(r => r.Body.Contains("grace@example.com", StringComparison.Ordinal)).ShouldBeGreaterThanOrEqualTo(2);
        Screenshot(browser, "webhook-delivery-retried");

        // The filter lives in the URL; the bulk retry counts what it selects first (nothing failed any more).
        driver.FindElement(By.Id("filter-type")).SendKeys("contact.created");
        driver.FindElement(By.Id("filter-delivery")).SendKeys(failedId);
        driver.FindElement(By.CssSelector("form.filters button[type=submit]")).Click();
        browser.WaitUntil("the filtered page", d => d.Url.Contains("eventType=contact.created", StringComparison.Ordinal) && d.Url.Contains("deliveryId=" + failedId, StringComparison.Ordinal));
        driver.FindElements(By.CssSelector("details.delivery")).Select(e => e.GetAttribute("id")).ShouldBe([failedId]);
        driver.FindElement(By.CssSelector("#bulk-form button")).Click();
        browser.WaitFor("the count", d => d.FindElement(By.Id("bulk-confirm"))).Text.ShouldContain("none failed");
        driver.FindElement(By.Id("filter-delivery")).GetAttribute("value").ShouldBe(failedId); // still filtered after the post
        Screenshot(browser, "webhook-filtered");

        await Task.Run(() => driver.Navigate().GoToUrl(Origin + "/dashboard/webhooks/events"));
        browser.WaitFor("the catalog", d => d.FindElement(By.Id("contact.created")));
        driver.FindElement(By.CssSelector("section[id='contact.updated'] details summary")).Click();
        driver.FindElement(By.CssSelector("section[id='contact.updated'] pre.example")).Text.ShouldContain("\"previousAttributes\"");
        Screenshot(browser, "webhook-events");

        await Task.Run(() => driver.Navigate().GoToUrl(Origin + "/dashboard/webhooks"));
        browser.WaitFor("the list", d => d.FindElement(By.LinkText("CRM sync")));
        MainText(browser).ShouldContain("Last success");
        Screenshot(browser, "webhooks");
    }

    private static string MainText(HeadlessChromium browser) => browser.Driver.FindElement(By.TagName("main")).Text;
}

public sealed class WebhookPagesInBrowserTestsOnSqlite(SqliteSwitchboard node) : WebhookPagesInBrowserTests<SqliteSwitchboard>(node);
public sealed class WebhookPagesInBrowserTestsOnPostgres(PostgresSwitchboard node) : WebhookPagesInBrowserTests<PostgresSwitchboard>(node);

using System.Net;
using Microsoft.Extensions.DependencyInjection;
using OpenQA.Selenium;
using Switchboard.Tests.Infrastructure;
using Switchboard.Usage;
using static Switchboard.Tests.Dashboard.DashboardTestSupport;

namespace Switchboard.Tests.Dashboard;

/// <summary>The usage page in Debian's headless Chromium: the chart, the tables, the period picker; screenshots saved.</summary>
public abstract class DashboardUsageInBrowserTests<TNode>(TNode node) : IClassFixture<TNode> where TNode : SwitchboardFactory
{
    [Fact(Timeout = 300_000)]
    public async Task AnOwnerReadsTheUsageChartAndPicksAPeriod()
    {
        var (owner, api) = await NewOrganizationAsync(node, "Globex Usage");
        using var _ = api;
        var key = await api.CreateKeyAsync(new { name = "Website forms", scopes = new[] { "contacts:read", "contacts:write" } });
        using var caller = node.Client().WithApiKey(key["key"]!.GetValue<string>());
        for (var i = 0; i < 12; i++) (await caller.GetAsync("/api/v1/contacts")).StatusCode.ShouldBe(HttpStatusCode.OK);
        for (var i = 0; i < 3; i++) (await caller.PostAsync("/api/v1/contacts", new { firstName = "" })).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        await node.Services.GetRequiredService<UsageRecorder>().FlushAsync(CancellationToken.None);

        using var browser = new HeadlessChromium();
        var driver = browser.Driver;
        var origin = DashboardBrowser.Origin(node);
        await DashboardBrowser.SignInAsync(node, browser, owner.Email);
        driver.FindElement(By.LinkText("Usage")).Click();
        browser.WaitFor("the usage page", d => d.FindElement(By.Id("by-endpoint")));
        driver.FindElement(By.CssSelector(".nav a[aria-current=page]")).Text.ShouldBe("Usage");
        var text = DashboardBrowser.MainText(browser);
        text.ShouldContain("Website forms");
        text.ShouldContain("POST /api/v1/contacts/");
        // The chart has a bar for the hour of the requests, red on top for the three refused ones.
        driver.FindElements(By.CssSelector("svg.chart rect.bar.failed")).Count.ShouldBe(1);
        driver.FindElement(By.CssSelector("svg.chart desc")).GetAttribute("textContent")!.ShouldContain("3 failed");
        browser.ReferencedResources().ShouldAllBe(url => url.StartsWith(origin + "/", StringComparison.Ordinal));
        DashboardBrowser.Screenshot(browser, "usage");

        driver.FindElement(By.LinkText("90 days")).Click();
        browser.WaitUntil("the 90-day period", d => d.Url.EndsWith("?days=90", StringComparison.Ordinal));
        DashboardBrowser.MainText(browser).ShouldContain("Requests by day");
        DashboardBrowser.Screenshot(browser, "usage-90-days");

        // The custom period: the form's values go in the URL, and the CSV link follows them.
        var from = driver.FindElement(By.Id("from"));
        driver.ExecuteScript("arguments[0].value = '2026-11-01T00:00'", from);
        driver.ExecuteScript("arguments[0].value = '2026-11-02T00:00'", driver.FindElement(By.Id("to")));
        driver.FindElement(By.CssSelector("#period-form button[type=submit]")).Click();
        browser.WaitUntil("the custom period", d => d.Url.Contains("from=2026-11-01T00%3A00", StringComparison.Ordinal));
        DashboardBrowser.MainText(browser).ShouldContain("from 2026-11-01 00:00 UTC to 2026-11-02 00:00 UTC");
        driver.FindElement(By.Id("export-csv")).GetAttribute("href")!.ShouldEndWith("/dashboard/usage/export.csv?from=2026-11-01T00%3A00%3A00Z&to=2026-11-02T00%3A00%3A00Z");
    }
}

public sealed class DashboardUsageInBrowserTestsOnSqlite(SqliteSwitchboard node) : DashboardUsageInBrowserTests<SqliteSwitchboard>(node);

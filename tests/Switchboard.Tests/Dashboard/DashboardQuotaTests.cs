using System.Net;
using OpenQA.Selenium;
using Switchboard.Tests.Infrastructure;
using Switchboard.Tests.OAuth;
using static Switchboard.Tests.Dashboard.DashboardTestSupport;

namespace Switchboard.Tests.Dashboard;

/// <summary>A node whose Starter plan allows 20 requests a day, so an organization can come near its quota in a test.</summary>
public interface ISmallQuotaNode
{
    const int DailyQuota = 20;
}

public sealed class SmallQuotaSqliteSwitchboard : SqliteSwitchboard, ISmallQuotaNode
{
    public SmallQuotaSqliteSwitchboard() => With("Switchboard:RateLimits:PlanDailyQuotas:starter", ISmallQuotaNode.DailyQuota.ToString(System.Globalization.CultureInfo.InvariantCulture));
}

public sealed class SmallQuotaPostgresSwitchboard : PostgresSwitchboard, ISmallQuotaNode
{
    public SmallQuotaPostgresSwitchboard() => With("Switchboard:RateLimits:PlanDailyQuotas:starter", ISmallQuotaNode.DailyQuota.ToString(System.Globalization.CultureInfo.InvariantCulture));
}

/// <summary>The overview's quota: the day's use counted by the same counters the API's rate limiter keeps, and the upgrade prompt from 80 %.</summary>
public abstract class DashboardQuotaTests<TNode>(TNode node) : IClassFixture<TNode> where TNode : SwitchboardFactory, ISmallQuotaNode
{
    [Fact(Timeout = 240_000)]
    public async Task TheOverviewSuggestsUpgradingOnceTodaysRequestsReachEightyPercentOfTheQuota()
    {
        var (owner, api) = await NewOrganizationAsync(node, "Acme Corporation");
        using var _ = api;
        using var http = await SignedInAsync(node, owner.Email);
        for (var i = 0; i < 10; i++) (await api.GetAsync("/api/v1/contacts")).StatusCode.ShouldBe(HttpStatusCode.OK);
        var below = await http.GetAsync("/dashboard");
        below.Html.ShouldContain("of 20 requests used today");
        below.Html.ShouldNotContain("upgrade-prompt");

        // Up to 17 of 20 (85 %); dashboard pages themselves count nothing.
        var used = int.Parse(System.Text.RegularExpressions.Regex.Match(below.Html, @"(\d+) of 20 requests used today").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        for (var i = used; i < 17; i++) (await api.GetAsync("/api/v1/contacts")).StatusCode.ShouldBe(HttpStatusCode.OK);
        var near = await http.GetAsync("/dashboard");
        near.Html.ShouldContain("17 of 20 requests used today (85");
        near.Html.ShouldContain("id=\"upgrade-prompt\"");

        using var browser = new HeadlessChromium();
        var origin = http.Origin.GetLeftPart(UriPartial.Authority);
        await Task.Run(() => browser.Driver.Navigate().GoToUrl(origin + "/dashboard"));
        browser.WaitFor("the sign-in form", d => d.FindElement(By.Name("email"))).SendKeys(owner.Email);
        browser.Driver.FindElement(By.Name("password")).SendKeys(Password);
        browser.Driver.FindElement(By.CssSelector("button.primary")).Click();
        browser.WaitFor("the upgrade prompt", d => d.FindElement(By.Id("upgrade-prompt"))).Text.ShouldContain("Upgrade to a larger plan");
        BrowserScreenshots.Save(browser, "dashboard/overview-quota-warning");
    }

    [Fact(Timeout = 240_000)]
    public async Task ThePlanPageShowsThePlansTheLimitsAndTheDaysAlerts()
    {
        var (owner, api) = await NewOrganizationAsync(node, "Plan Page Org");
        using var _ = api;
        var viewer = await NewMemberAsync(node, owner.OrganizationId, "viewer");
        using var http = await SignedInAsync(node, viewer.Email);
        var quiet = await http.GetAsync("/dashboard/plan");
        quiet.Status.ShouldBe(HttpStatusCode.OK, quiet.Html);
        quiet.Html.ShouldContain("id=\"no-alerts\"");
        quiet.Html.ShouldContain("<tr aria-current=\"true\"><td><strong>Starter</strong></td>\n                    <td>20</td>");
        quiet.Html.ShouldContain("<td><strong>Professional</strong></td>\n                    <td>10,000</td>");
        quiet.Html.ShouldContain("set for each organization");
        quiet.Html.ShouldContain("1,000,000 per hour"); // the test nodes' key and user limits

        // Past the quota: the warning at 80 % and the refusal at 100 % are each recorded once, and listed.
        HttpStatusCode status;
        var sent = 0;
        do { status = (await api.GetAsync("/api/v1/contacts")).StatusCode; sent++; } while (status != HttpStatusCode.TooManyRequests && sent < 40);
        status.ShouldBe(HttpStatusCode.TooManyRequests);
        FormBrowser.Page page = quiet;
        for (var i = 0; i < 50 && !(page.Html.Contains("quota reached", StringComparison.Ordinal) && page.Html.Contains("80 % used", StringComparison.Ordinal)); i++)
        {
            await Task.Delay(100);
            page = await http.GetAsync("/dashboard/plan");
        }
        page.Html.ShouldContain("id=\"alerts\"");
        page.Html.ShouldContain("quota reached");
        page.Html.ShouldContain("80 % used");
        page.Html.ShouldContain("id=\"upgrade-prompt\"");
        page.Html.ShouldContain("href=\"/dashboard/plan\">your plan and the others</a>");
    }
}

public sealed class DashboardQuotaTestsOnSqlite(SmallQuotaSqliteSwitchboard node) : DashboardQuotaTests<SmallQuotaSqliteSwitchboard>(node);
public sealed class DashboardQuotaTestsOnPostgres(SmallQuotaPostgresSwitchboard node) : DashboardQuotaTests<SmallQuotaPostgresSwitchboard>(node);

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
}

public sealed class DashboardQuotaTestsOnSqlite(SmallQuotaSqliteSwitchboard node) : DashboardQuotaTests<SmallQuotaSqliteSwitchboard>(node);
public sealed class DashboardQuotaTestsOnPostgres(SmallQuotaPostgresSwitchboard node) : DashboardQuotaTests<SmallQuotaPostgresSwitchboard>(node);

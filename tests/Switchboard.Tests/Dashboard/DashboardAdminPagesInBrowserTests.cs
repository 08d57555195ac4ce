using OpenQA.Selenium;
using Switchboard.Tests.Infrastructure;
using static Switchboard.Tests.Dashboard.DashboardTestSupport;

namespace Switchboard.Tests.Dashboard;

/// <summary>Members, audit log and plan pages in Debian's headless Chromium, as an owner uses them; screenshots saved.</summary>
public abstract class DashboardAdminPagesInBrowserTests<TNode>(TNode node) : IClassFixture<TNode> where TNode : SwitchboardFactory
{
    [Fact(Timeout = 300_000)]
    public async Task AnOwnerInvitesSomeoneChangesARoleReadsTheAuditLogAndThePlan()
    {
        var (owner, api) = await NewOrganizationAsync(node, "Umbrella Admin");
        using var _ = api;
        var member = await NewMemberAsync(node, owner.OrganizationId, "member");
        await api.CreateKeyAsync("contacts:read");

        using var browser = new HeadlessChromium();
        var driver = browser.Driver;
        await DashboardBrowser.SignInAsync(node, browser, owner.Email);

        driver.FindElement(By.LinkText("Members")).Click();
        browser.WaitFor("the members page", d => d.FindElement(By.Id("invite-email")));
        DashboardBrowser.MainText(browser).ShouldContain(member.Email);
        driver.FindElement(By.Id("invite-email")).SendKeys("new.hire@example.com");
        driver.FindElement(By.CssSelector("#invite-role option[value=viewer]")).Click();
        driver.FindElement(By.CssSelector("form[aria-labelledby=invite-title] button[type=submit]")).Click();
        browser.WaitFor("the invitation token", d => d.FindElement(By.Id("secret-value"))).GetAttribute("value")!.ShouldStartWith("sbi_");
        driver.FindElement(By.Id("invitations")).Text.ShouldContain("new.hire@example.com");
        DashboardBrowser.Screenshot(browser, "members");

        driver.FindElement(By.CssSelector($"#role-{member.UserId} option[value=admin]")).Click();
        driver.FindElement(By.CssSelector($"button[name=change][value='{member.UserId}']")).Click();
        browser.WaitFor("the confirmation", d => d.FindElement(By.Id("members-message"))).Text.ShouldBe($"{member.Email} is now admin.");

        driver.FindElement(By.LinkText("Audit log")).Click();
        browser.WaitFor("the audit log", d => d.FindElement(By.Id("audit-events")));
        var events = driver.FindElement(By.Id("audit-events")).Text;
        events.ShouldContain("member.role_changed");
        events.ShouldContain("member.invited");
        events.ShouldContain("api_key.created");
        driver.FindElement(By.Id("q")).SendKeys("member.");
        driver.FindElement(By.CssSelector("#audit-filters button[type=submit]")).Click();
        browser.WaitUntil("the search in the URL", d => d.Url.Contains("q=member.", StringComparison.Ordinal));
        driver.FindElement(By.Id("audit-events")).Text.ShouldNotContain("api_key.created");
        driver.FindElement(By.CssSelector("#audit-events details summary")).Click();
        DashboardBrowser.Screenshot(browser, "audit-log");

        driver.FindElement(By.LinkText("Plan and quota")).Click();
        browser.WaitFor("the plan page", d => d.FindElement(By.Id("plans")));
        driver.FindElement(By.CssSelector("#plans tr[aria-current=true]")).Text.ShouldContain("Starter");
        DashboardBrowser.Screenshot(browser, "plan");
    }
}

public sealed class DashboardAdminPagesInBrowserTestsOnSqlite(SqliteSwitchboard node) : DashboardAdminPagesInBrowserTests<SqliteSwitchboard>(node);

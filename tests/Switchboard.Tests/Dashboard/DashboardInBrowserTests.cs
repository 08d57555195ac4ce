using System.Net;
using OpenQA.Selenium;
using Switchboard.Tests.Infrastructure;
using Switchboard.Tests.OAuth;
using static Switchboard.Tests.Dashboard.DashboardTestSupport;

namespace Switchboard.Tests.Dashboard;

/// <summary>
/// The dashboard as a person uses it: Debian's headless Chromium against a live node. Every page visited is saved as a
/// PNG under <see cref="BrowserScreenshots.Directory"/>/dashboard for a reviewer.
/// </summary>
public abstract class DashboardInBrowserTests<TNode>(TNode node) : IClassFixture<TNode> where TNode : SwitchboardFactory
{
    private string Origin => DashboardBrowser.Origin(node);

    private static void Screenshot(HeadlessChromium browser, string name) => DashboardBrowser.Screenshot(browser, name);

    private Task SignInAsync(HeadlessChromium browser, string email, string path = "/dashboard") => DashboardBrowser.SignInAsync(node, browser, email, path);

    private static string MainText(HeadlessChromium browser) => DashboardBrowser.MainText(browser);

    [Fact(Timeout = 300_000)]
    public async Task AnOwnerSignsInReadsTheOverviewAndCreatesRotatesAndRevokesAKey()
    {
        var (owner, api) = await NewOrganizationAsync(node, "Acme Corporation");
        using var _ = api;
        using var browser = new HeadlessChromium();
        var driver = browser.Driver;

        await Task.Run(() => driver.Navigate().GoToUrl(Origin + "/"));
        browser.WaitFor("the landing page", d => d.FindElement(By.LinkText("Dashboard")));
        browser.ReferencedResources().ShouldAllBe(url => url.StartsWith(Origin + "/", StringComparison.Ordinal));
        Screenshot(browser, "landing");

        await SignInAsync(browser, owner.Email);
        browser.WaitFor("the overview", d => d.FindElement(By.Id("stat-requests")));
        var overview = MainText(browser);
        overview.ShouldContain("Acme Corporation in the last 24 hours");
        overview.ShouldContain("Integrations by status");
        overview.ShouldContain("Plan and daily quota");
        driver.FindElement(By.CssSelector(".side")).Text.ShouldContain("Signed in as " + owner.Email);
        driver.FindElement(By.CssSelector(".nav a[aria-current=page]")).Text.ShouldBe("Overview");
        browser.ReferencedResources().ShouldAllBe(url => url.StartsWith(Origin + "/", StringComparison.Ordinal));
        Screenshot(browser, "overview");

        // The key form: refused fields are explained beside them, and what was typed stays.
        driver.FindElement(By.LinkText("API keys")).Click();
        browser.WaitFor("the API keys page", d => d.FindElement(By.Id("key-name")));
        Screenshot(browser, "api-keys-empty");
        driver.FindElement(By.Id("key-ips")).SendKeys("not-an-address");
        driver.FindElement(By.CssSelector("form[aria-labelledby=create-title] button[type=submit]")).Click();
        browser.WaitFor("the field errors", d => d.FindElement(By.Id("name-error")));
        driver.FindElement(By.Id("scopes-error")).Text.ShouldContain("At least one scope is required.");
        driver.FindElement(By.Id("allowedIps-error")).Displayed.ShouldBeTrue();
        driver.FindElement(By.Id("key-name")).GetAttribute("aria-describedby")!.ShouldContain("name-error");
        driver.FindElement(By.Id("key-ips")).GetAttribute("value").ShouldBe("not-an-address");
        Screenshot(browser, "api-keys-create-errors");

        var name = driver.FindElement(By.Id("key-name"));
        name.SendKeys("Billing sync");
        driver.FindElement(By.Id("key-ips")).Clear();
        driver.FindElement(By.Id("scope-contacts-read")).Click();
        driver.FindElement(By.Id("key-requests")).SendKeys("500");
        driver.FindElement(By.Id("key-window")).SendKeys("60");
        driver.FindElement(By.CssSelector("form[aria-labelledby=create-title] button[type=submit]")).Click();
        var secretField = browser.WaitFor("the new key", d => d.FindElement(By.Id("secret-value")));
        var secret = secretField.GetAttribute("value")!;
        secret.ShouldStartWith("sbk_");
        driver.FindElement(By.CssSelector("button[data-copy=secret-value]")).Click();
        browser.WaitUntil("the copy button to confirm", d => d.FindElement(By.CssSelector("button[data-copy=secret-value]")).Text == "Copied");
        Screenshot(browser, "api-keys-created");

        // The key shown works against the API, over real HTTP.
        using (var withKey = node.Client().WithApiKey(secret))
        {
            for (var i = 0; i < 3; i++) (await withKey.GetAsync("/api/v1/contacts")).StatusCode.ShouldBe(HttpStatusCode.OK);
            (await withKey.GetAsync("/api/v1/deals")).StatusCode.ShouldBe(HttpStatusCode.Forbidden); // contacts:read only
        }
        // Shown once: the list no longer holds it.
        await Task.Run(() => driver.Navigate().GoToUrl(Origin + "/dashboard/api-keys"));
        browser.WaitFor("the list", d => d.FindElement(By.LinkText("Billing sync")));
        driver.PageSource.ShouldNotContain(secret);

        // The key's page: its usage, drawn once the node has counted the requests above.
        driver.FindElement(By.LinkText("Billing sync")).Click();
        var keyUrl = browser.WaitFor("the key's page", d => d.FindElement(By.Id("usage-chart")) is not null ? d.Url : null);
        // The node's usage flush may count the four requests in more than one pass (the first page load can land
        // between them), so the page is reloaded until the chart holds all four, not merely the first.
        var description = "";
        browser.RefreshUntil("all four requests in the chart", d =>
            d.FindElements(By.CssSelector("#usage-chart rect.bar")).Count > 0
            && (description = d.FindElement(By.Id("usage-chart-desc")).GetAttribute("textContent") ?? "").Contains("4 requests", StringComparison.Ordinal));
        description.ShouldContain("4 requests, 1 failed");
        MainText(browser).ShouldContain("500 per 60 s");
        Screenshot(browser, "api-key");

        // Rotate with an hour's grace: both keys work.
        driver.FindElement(By.CssSelector("#grace option[value='3600']")).Click();
        driver.FindElement(By.CssSelector("#rotate-form button[type=submit]")).Click();
        var replacement = browser.WaitFor("the replacement key", d => d.FindElement(By.Id("secret-value"))).GetAttribute("value")!;
        replacement.ShouldStartWith("sbk_");
        replacement.ShouldNotBe(secret);
        MainText(browser).ShouldContain("The old key keeps working until");
        Screenshot(browser, "api-key-rotated");
        using (var oldKey = node.Client().WithApiKey(secret))
            (await oldKey.GetAsync("/api/v1/contacts")).StatusCode.ShouldBe(HttpStatusCode.OK);
        using (var newKey = node.Client().WithApiKey(replacement))
            (await newKey.GetAsync("/api/v1/contacts")).StatusCode.ShouldBe(HttpStatusCode.OK);

        // Revoke the replacement: it stops working.
        driver.FindElement(By.Id("replacement")).Click();
        browser.WaitFor("the replacement's page", d => d.FindElement(By.Id("revoke-form"))).FindElement(By.TagName("button")).Click();
        browser.WaitFor("the revocation", d => d.FindElement(By.Id("key-message"))).Text.ShouldBe("The key was revoked.");
        driver.FindElement(By.CssSelector("h1 .pill")).Text.ShouldBe("revoked");
        driver.FindElements(By.Id("rotate-form")).ShouldBeEmpty();
        Screenshot(browser, "api-key-revoked");
        using (var revoked = node.Client().WithApiKey(replacement))
            (await revoked.GetAsync("/api/v1/contacts")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);

        // Narrow screens: the navigation moves above the page.
        driver.Manage().Window.Size = new System.Drawing.Size(420, 1000);
        await Task.Run(() => driver.Navigate().GoToUrl(Origin + "/dashboard"));
        browser.WaitFor("the overview", d => d.FindElement(By.Id("stat-requests")));
        Screenshot(browser, "overview-narrow");

        // Sign-out ends the session: the dashboard asks for a sign-in again.
        driver.FindElement(By.CssSelector(".who button")).Click();
        browser.WaitUntil("the sign-in page", d => d.Url.StartsWith(Origin + "/signin", StringComparison.Ordinal));
        await Task.Run(() => driver.Navigate().GoToUrl(keyUrl));
        browser.WaitUntil("the sign-in page again", d => d.Url.StartsWith(Origin + "/signin?returnUrl=", StringComparison.Ordinal));
    }

    [Fact(Timeout = 300_000)]
    public async Task AnAdminRegistersAnAppRotatesItsSecretAndRevokesItsConnection()
    {
        await using var receiver = await LoopbackRedirectReceiver.StartAsync();
        var (owner, api) = await NewOrganizationAsync(node, "Acme Corporation");
        using var _ = api;
        using var browser = new HeadlessChromium();
        var driver = browser.Driver;
        await SignInAsync(browser, owner.Email, "/dashboard/oauth-apps");
        browser.WaitFor("the register form", d => d.FindElement(By.Id("app-name")));
        driver.FindElement(By.CssSelector(".nav a[aria-current=page]")).Text.ShouldBe("OAuth apps");

        // Refused fields first, each explained beside it.
        driver.FindElement(By.Id("app-redirects")).SendKeys("ftp://example.com/callback");
        driver.FindElement(By.CssSelector("form[aria-labelledby=register-title] button[type=submit]")).Click();
        browser.WaitFor("the field errors", d => d.FindElement(By.Id("name-error")));
        driver.FindElement(By.Id("redirectUris-error")).Displayed.ShouldBeTrue();
        driver.FindElement(By.Id("scopes-error")).Displayed.ShouldBeTrue();
        Screenshot(browser, "oauth-apps-register-errors");

        driver.FindElement(By.Id("app-name")).SendKeys("Example CRM Sync");
        var redirects = driver.FindElement(By.Id("app-redirects"));
        redirects.Clear();
        redirects.SendKeys(receiver.RedirectUri);
        driver.FindElement(By.Id("app-scope-contacts-read")).Click();
        driver.FindElement(By.CssSelector("form[aria-labelledby=register-title] button[type=submit]")).Click();
        var clientId = browser.WaitFor("the client id", d => d.FindElement(By.Id("client-id"))).Text;
        var secret = driver.FindElement(By.Id("secret-value")).GetAttribute("value")!;
        secret.ShouldNotBeNullOrEmpty();
        Screenshot(browser, "oauth-apps-registered");

        // The credentials shown work: a client_credentials token that reads contacts.
        var appId = await node.WithDbAsync(db => Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.SingleAsync(
            Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.IgnoreQueryFilters(db.OAuthApps), a => a.ClientId == clientId)).ContinueWith(t => t.Result.Id);
        using var oauth = new OAuthTestClient(node);
        var tokens = await OAuthTestClient.JsonAsync(await oauth.ClientCredentialsAsync(new TestApp(appId, clientId, secret, owner.OrganizationId, [receiver.RedirectUri])));
        (await oauth.CallApiAsync("/api/v1/contacts", tokens["access_token"]!.GetValue<string>())).StatusCode.ShouldBe(HttpStatusCode.OK);

        // Its page: another redirect URI, then a new secret that replaces the old one at once.
        driver.FindElement(By.LinkText("Example CRM Sync")).Click();
        var uris = browser.WaitFor("the app's page", d => d.FindElement(By.Id("app-redirects")));
        uris.SendKeys("\nhttps://sync.example.com/oauth/callback");
        driver.FindElement(By.CssSelector("#redirects-form button[type=submit]")).Click();
        browser.WaitFor("the saved URIs", d => d.FindElement(By.Id("app-message"))).Text.ShouldBe("The redirect URIs were saved.");
        driver.FindElement(By.Id("redirect-uris")).Text.ShouldContain("https://sync.example.com/oauth/callback");
        driver.FindElement(By.CssSelector("#grace option[value='0']")).Click();
        driver.FindElement(By.CssSelector("#rotate-form button[type=submit]")).Click();
        var rotated = browser.WaitFor("the new secret", d => d.FindElement(By.Id("secret-value"))).GetAttribute("value")!;
        rotated.ShouldNotBe(secret);
        Screenshot(browser, "oauth-app-rotated");
        (await oauth.ClientCredentialsAsync(new TestApp(appId, clientId, secret, owner.OrganizationId, []))).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await oauth.ClientCredentialsAsync(new TestApp(appId, clientId, rotated, owner.OrganizationId, []))).StatusCode.ShouldBe(HttpStatusCode.OK);

        // The owner connects the app to their account through the consent page, then revokes it from the dashboard.
        var app = await node.WithDbAsync(db => Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.SingleAsync(
            Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.IgnoreQueryFilters(db.OAuthApps), a => a.Id == appId));
        await Task.Run(() => driver.Navigate().GoToUrl(Origin + ConsentTestSupport.AuthorizeUrl(app, receiver.RedirectUri, "contacts:read", "dash-1")));
        browser.WaitFor("the consent page", d => d.FindElement(By.CssSelector("button[value=allow]"))).Click();
        browser.WaitUntil("the app's redirect URI to be reached", _ => !receiver.Responses.IsEmpty);
        await Task.Run(() => driver.Navigate().GoToUrl(Origin + "/dashboard/connected-apps"));
        var revoke = browser.WaitFor("the connected app", d => d.FindElement(By.CssSelector("button[aria-label='Revoke Example CRM Sync']")));
        Screenshot(browser, "connected-apps");
        revoke.Click();
        browser.WaitFor("the revocation", d => d.FindElement(By.Id("connected-message"))).Text.ShouldBe("Example CRM Sync can no longer act for you.");
        driver.FindElements(By.CssSelector("button[aria-label='Revoke Example CRM Sync']")).ShouldBeEmpty();
        (await ConsentTestSupport.GrantsAsync(node, owner.UserId, appId)).ShouldHaveSingleItem().RevokedAt.ShouldNotBeNull();
    }

    [Fact(Timeout = 240_000)]
    public async Task AViewerSeesTheKeysButNoWriteControls()
    {
        var (owner, api) = await NewOrganizationAsync(node, "Globex Sales");
        using var _ = api;
        var key = await api.CreateKeyAsync(new { name = "Warehouse import", scopes = new[] { "contacts:write" } });
        var viewer = await NewMemberAsync(node, owner.OrganizationId, "viewer");
        using var browser = new HeadlessChromium();
        var driver = browser.Driver;

        await SignInAsync(browser, viewer.Email, "/dashboard/api-keys");
        browser.WaitFor("the list", d => d.FindElement(By.LinkText("Warehouse import")));
        driver.FindElement(By.CssSelector(".org")).Text.ShouldContain("Your role: viewer");
        driver.FindElements(By.CssSelector(".nav a")).Select(a => a.Text).ShouldBe(["Overview", "API keys", "Integrations", "Webhooks", "Usage", "Plan and quota", "Connected apps"]); // no OAuth apps: oauth_apps:read is admin only
        driver.FindElements(By.CssSelector("main form")).ShouldBeEmpty();
        driver.FindElements(By.Id("key-name")).ShouldBeEmpty();
        Screenshot(browser, "api-keys-viewer");

        driver.FindElement(By.LinkText("Warehouse import")).Click();
        browser.WaitFor("the key's page", d => d.FindElement(By.Id("usage-chart")));
        driver.FindElements(By.CssSelector("main form")).ShouldBeEmpty();
        MainText(browser).ShouldNotContain("Rotate");
        MainText(browser).ShouldNotContain("Revoke");
        Screenshot(browser, "api-key-viewer");
        (await api.GetJsonAsync($"/api/v1/api-keys/{key["id"]}"))["status"]!.GetValue<string>().ShouldBe("active");
    }
}

public sealed class DashboardInBrowserTestsOnSqlite(SqliteSwitchboard node) : DashboardInBrowserTests<SqliteSwitchboard>(node);
public sealed class DashboardInBrowserTestsOnPostgres(PostgresSwitchboard node) : DashboardInBrowserTests<PostgresSwitchboard>(node);

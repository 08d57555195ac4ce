using System.Net;
using OpenQA.Selenium;
using Switchboard.OAuth;
using Switchboard.Tests.Infrastructure;
using static Switchboard.Tests.OAuth.ConsentTestSupport;

namespace Switchboard.Tests.OAuth;

/// <summary>
/// Sign-in and consent as a person goes through them: headless Chromium against a live node, an app's redirect URI on
/// a loopback receiver (RFC 8252 §7.3). Screenshots of the pages are saved for a reviewer (<see cref="BrowserScreenshots"/>).
/// </summary>
public sealed class ConsentInBrowserTests(SqliteSwitchboard node) : IClassFixture<SqliteSwitchboard>
{
    private string Origin
    {
        get
        {
            using var client = node.Client();
            return client.Http.BaseAddress!.GetLeftPart(UriPartial.Authority);
        }
    }

    private static void SignIn(HeadlessChromium browser, string email)
    {
        browser.WaitFor("the sign-in form", d => d.FindElement(By.Name("email"))).SendKeys(email);
        browser.Driver.FindElement(By.Name("password")).SendKeys(Password);
        browser.Driver.FindElement(By.CssSelector("button.primary")).Click();
    }

    private static Dictionary<string, string> Arrived(HeadlessChromium browser, LoopbackRedirectReceiver receiver, int expected)
    {
        browser.WaitUntil("the app's redirect URI to be reached", _ => receiver.Responses.Count >= expected);
        browser.WaitUntil("the app's page to show", d => d.Url.StartsWith(receiver.RedirectUri, StringComparison.Ordinal) && d.PageSource.Contains("Example app received"));
        return receiver.Responses.ElementAt(expected - 1);
    }

    [Fact(Timeout = 240_000)]
    public async Task SignInAndAllowSendTheBrowserToTheAppWithACodeThatBuysAWorkingToken()
    {
        await using var receiver = await LoopbackRedirectReceiver.StartAsync();
        var user = await NewAccountAsync(node, "Acme Corporation");
        var developer = await NewAccountAsync(node, "Sync Works");
        var (app, secret) = await CreateAppWithSecretAsync(node, developer.OrganizationId, "Example CRM Sync", ["contacts:read", "deals:read", "contacts:write"], [receiver.RedirectUri],
            homepageUrl: "https://sync.example.com/");
        var verifier = OAuthTestClient.NewVerifier();

        using var browser = new HeadlessChromium();
        var driver = browser.Driver;
        await Task.Run(() => driver.Navigate().GoToUrl(Origin + AuthorizeUrl(app, receiver.RedirectUri, "contacts:read deals:read", "state-42", verifier: verifier)));
        browser.WaitUntil("the sign-in page", d => d.Url.StartsWith(Origin + "/signin?returnUrl=", StringComparison.Ordinal));
        browser.ReferencedResources().ShouldAllBe(url => url.StartsWith(Origin + "/", StringComparison.Ordinal));
        BrowserScreenshots.Save(browser, "signin");
        SignIn(browser, user.Email);

        var allow = browser.WaitFor("the consent page", d => d.FindElement(By.CssSelector("button[value=allow]")));
        var text = driver.FindElement(By.TagName("main")).Text;
        text.ShouldContain("Allow Example CRM Sync to access Acme Corporation?");
        text.ShouldContain("See your contacts");
        text.ShouldContain("See your deals");
        text.ShouldContain(new Uri(receiver.RedirectUri).Authority);
        text.ShouldContain("Signed in as " + user.Email);
        BrowserScreenshots.Save(browser, "consent-one-organization");
        var consentUrl = driver.Url;
        allow.Click();

        var response = Arrived(browser, receiver, 1);
        response["state"].ShouldBe("state-42");
        response["iss"].ShouldBe(Origin);
        // The code is real: the app exchanges it and calls the API with what it gets.
        using var client = new OAuthTestClient(node);
        var tokens = await OAuthTestClient.JsonAsync(await client.ExchangeAsync(
            new TestApp(app.Id, app.ClientId, secret, developer.OrganizationId, app.RedirectUris), response["code"], verifier, receiver.RedirectUri));
        tokens["scope"]!.GetValue<string>().Split(' ').Order().ShouldBe(["contacts:read", "deals:read"]);
        (await client.CallApiAsync("/api/v1/contacts", tokens["access_token"]!.GetValue<string>())).StatusCode.ShouldBe(HttpStatusCode.OK);

        // The answered request's page is gone: an error page, not a second code.
        await Task.Run(() => driver.Navigate().GoToUrl(consentUrl));
        browser.WaitFor("the expired-request page", d => d.FindElements(By.TagName("h1")).FirstOrDefault(h => h.Text == "This link has expired"));
        BrowserScreenshots.Save(browser, "error-request-answered");

        // Remembered consent: the next authorization goes straight back to the app.
        await Task.Run(() => driver.Navigate().GoToUrl(Origin + AuthorizeUrl(app, receiver.RedirectUri, "contacts:read", "state-43")));
        var second = Arrived(browser, receiver, 2);
        second["state"].ShouldBe("state-43");
        second.ShouldContainKey("code");

        // Widened scopes ask again, and say what is new.
        await Task.Run(() => driver.Navigate().GoToUrl(Origin + AuthorizeUrl(app, receiver.RedirectUri, "contacts:read contacts:write", "state-44")));
        browser.WaitFor("the consent page again", d => d.FindElement(By.CssSelector("button[value=allow]")));
        var newOnes = driver.FindElements(By.CssSelector(".scopes li")).Where(li => li.Text.EndsWith("new", StringComparison.Ordinal)).Select(li => li.Text).ToList();
        newOnes.ShouldHaveSingleItem().ShouldContain("contacts:write");
        BrowserScreenshots.Save(browser, "consent-widened-scopes");
    }

    [Fact(Timeout = 240_000)]
    public async Task SigningInStraightIntoARememberedConsentReachesTheApp()
    {
        // The sign-in form's 303 leads through the consent page's 303 to the app: the browser must let the form go there.
        await using var receiver = await LoopbackRedirectReceiver.StartAsync();
        var user = await NewAccountAsync(node);
        var app = await CreateAppAsync(node, user.OrganizationId, "Example CRM Sync", ["contacts:read"], [receiver.RedirectUri]);
        using (var first = new HeadlessChromium())
        {
            await Task.Run(() => first.Driver.Navigate().GoToUrl(Origin + AuthorizeUrl(app, receiver.RedirectUri, "contacts:read", "s1")));
            SignIn(first, user.Email);
            first.WaitFor("the consent page", d => d.FindElement(By.CssSelector("button[value=allow]"))).Click();
            Arrived(first, receiver, 1);
        }
        using var browser = new HeadlessChromium(); // a new browser: no session, consent remembered on the server
        await Task.Run(() => browser.Driver.Navigate().GoToUrl(Origin + AuthorizeUrl(app, receiver.RedirectUri, "contacts:read", "s2")));
        SignIn(browser, user.Email);
        var response = Arrived(browser, receiver, 2);
        response["state"].ShouldBe("s2");
        response.ShouldContainKey("code");
    }

    [Fact(Timeout = 240_000)]
    public async Task DenySendsTheBrowserToTheAppWithAccessDenied()
    {
        await using var receiver = await LoopbackRedirectReceiver.StartAsync();
        var user = await NewAccountAsync(node);
        var app = await CreateAppAsync(node, user.OrganizationId, "Example CRM Sync", ["contacts:write"], [receiver.RedirectUri]);
        using var browser = new HeadlessChromium();
        await Task.Run(() => browser.Driver.Navigate().GoToUrl(Origin + AuthorizeUrl(app, receiver.RedirectUri, "contacts:write", "deny-state")));
        SignIn(browser, user.Email);
        browser.WaitFor("the consent page", d => d.FindElement(By.CssSelector("button[value=deny]"))).Click();

        var response = Arrived(browser, receiver, 1);
        response["error"].ShouldBe("access_denied");
        response["state"].ShouldBe("deny-state");
        response.ShouldNotContainKey("code");
        (await GrantsAsync(node, user.UserId, app.Id)).ShouldBeEmpty();
    }

    [Fact(Timeout = 240_000)]
    public async Task AUserOfSeveralOrganizationsPicksOneOnThePage()
    {
        await using var receiver = await LoopbackRedirectReceiver.StartAsync();
        var user = await NewAccountAsync(node, "Acme Corporation");
        var other = await NewAccountAsync(node, "Globex Sales");
        await JoinAsync(node, user.UserId, other.OrganizationId, "viewer");
        var app = await CreateAppAsync(node, other.OrganizationId, "Example CRM Sync", ["contacts:read", "contacts:write"], [receiver.RedirectUri]);

        using var browser = new HeadlessChromium();
        var driver = browser.Driver;
        await Task.Run(() => driver.Navigate().GoToUrl(Origin + AuthorizeUrl(app, receiver.RedirectUri, "contacts:read contacts:write", "orgs")));
        SignIn(browser, user.Email);
        browser.WaitFor("the organization picker", d => d.FindElements(By.TagName("h1")).FirstOrDefault(h => h.Text == "Choose an organization"));
        var choices = driver.FindElements(By.CssSelector(".orgs a")).Select(a => a.Text).ToList();
        choices.Count.ShouldBe(2);
        choices[0].ShouldContain("Acme Corporation");
        choices[1].ShouldContain("Globex Sales");
        BrowserScreenshots.Save(browser, "consent-organization-picker");

        driver.FindElements(By.CssSelector(".orgs a")).Single(a => a.Text.Contains("Globex Sales", StringComparison.Ordinal)).Click();
        var allow = browser.WaitFor("the consent page for Globex", d => d.FindElement(By.CssSelector("button[value=allow]")));
        var text = driver.FindElement(By.TagName("main")).Text;
        text.ShouldContain("to access Globex Sales?");
        text.ShouldContain("not granted: your role in Globex Sales (viewer) does not allow it.");
        text.ShouldContain("Choose another organization");
        BrowserScreenshots.Save(browser, "consent-several-organizations");
        allow.Click();

        Arrived(browser, receiver, 1).ShouldContainKey("code");
        var grant = (await GrantsAsync(node, user.UserId, app.Id)).Single();
        grant.OrganizationId.ShouldBe(other.OrganizationId);
        grant.Scopes.ShouldBe(["contacts:read"]);
    }
}

/// <summary>
/// Where the browser tests leave their screenshots: <c>SWITCHBOARD_TEST_SCREENSHOTS</c>, else <c>TestResults/screenshots</c>
/// at the repository's root (ignored by git), one PNG per page, replaced by each run.
/// </summary>
public static class BrowserScreenshots
{
    public static string Directory
    {
        get
        {
            if (Environment.GetEnvironmentVariable("SWITCHBOARD_TEST_SCREENSHOTS") is { Length: > 0 } configured) return configured;
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "test.sh"))) dir = dir.Parent;
            return Path.Combine(dir?.FullName ?? AppContext.BaseDirectory, "TestResults", "screenshots");
        }
    }

    public static string Save(HeadlessChromium browser, string name)
    {
        var path = Path.Combine(Directory, name + ".png"); // a name may hold a folder: "dashboard/overview"
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        browser.Driver.GetScreenshot().SaveAsFile(path);
        new FileInfo(path).Length.ShouldBeGreaterThan(5_000, "a rendered page, not a blank image");
        return path;
    }
}

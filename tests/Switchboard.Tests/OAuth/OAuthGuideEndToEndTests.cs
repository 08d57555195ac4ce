using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using OpenQA.Selenium;
using Switchboard.Tests.Docs;
using Switchboard.Tests.Infrastructure;
using Switchboard.Tests.OAuth.Interop;

namespace Switchboard.Tests.OAuth;

/// <summary>
/// The portal guide "Build an OAuth app" (docs/oauth-apps.md) done as a reader does it, against a live node: its runnable
/// Node.js example, copied from the guide and run with node, and "Try it from the API reference" (Swagger UI's Authorize
/// with a public app, authorization code + PKCE in a popup) in headless Chromium.
/// </summary>
public sealed class OAuthGuideEndToEndTests(SqliteSwitchboard node) : IClassFixture<SqliteSwitchboard>
{
    private const string Password = "correct horse battery staple";

    private string Origin
    {
        get
        {
            using var client = node.Client();
            var origin = client.Http.BaseAddress!.GetLeftPart(UriPartial.Authority);
            new Uri(origin).Host.ShouldBe("127.0.0.1", "the browser resolves nothing but 127.0.0.1");
            return origin;
        }
    }

    /// <summary>An owner with a contact only their organization has, and a public app registered through the API.</summary>
    private static async Task<(ApiClient Owner, string Email, string Marker, string ClientId)> OwnerWithPublicAppAsync(
        SwitchboardFactory node, string appName, string redirectUri)
    {
        var owner = node.Client();
        var email = $"guide-{Guid.NewGuid():N}@example.com";
        await owner.SignupAsync(email, Password, "Guide Readers Inc");
        var marker = $"Guide{Guid.NewGuid():N}"[..20];
        (await owner.PostAsync("/api/v1/contacts", new { firstName = "Ada", lastName = marker, email = "ada@example.com" })).StatusCode.ShouldBe(HttpStatusCode.Created);
        var created = await owner.PostAsync("/api/v1/oauth/apps", new { name = appName, type = "public", redirectUris = new[] { redirectUri }, scopes = new[] { "contacts:read" } });
        var text = await created.Content.ReadAsStringAsync();
        created.StatusCode.ShouldBe(HttpStatusCode.Created, text);
        var app = JsonNode.Parse(text)!;
        app["clientSecret"].ShouldBeNull("a public app has no secret");
        return (owner, email, marker, app["clientId"]!.GetValue<string>());
    }

    /// <summary>The guide's "A complete runnable example", exactly as a reader copies it (the only ```js block).</summary>
    private static string GuideScript()
    {
        var markdown = File.ReadAllText(Path.Combine(Switchboard.Tests.Developers.DocsFolder.Path(), "oauth-apps.md")).ReplaceLineEndings("\n");
        var blocks = Regex.Matches(markdown, "```js\n(?<code>.*?)```", RegexOptions.Singleline);
        return blocks.ShouldHaveSingleItem().Groups["code"].Value;
    }

    [Fact(Timeout = 240_000)]
    public async Task TheGuidesNodeExampleConnectsReadsContactsRefreshesAndRevokes()
    {
        var origin = Origin;
        // The registration the guide shows for the example: a public app, a loopback redirect without a port.
        var (owner, email, marker, clientId) = await OwnerWithPublicAppAsync(node, "Contacts CLI", "http://127.0.0.1/callback");
        using var _ = owner;
        var folder = Directory.CreateTempSubdirectory("switchboard-guide-");
        var file = Path.Combine(folder.FullName, "connect.mjs");
        await File.WriteAllTextAsync(file, GuideScript());

        // `CLIENT_ID=sbc_… node connect.mjs`, with SWITCHBOARD naming this node instead of localhost:5080.
        var start = new ProcessStartInfo("node")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
            WorkingDirectory = folder.FullName, ArgumentList = { "connect.mjs" },
            Environment = { ["CLIENT_ID"] = clientId, ["SWITCHBOARD"] = origin, ["NO_COLOR"] = "1" },
        };
        using var process = new Process { StartInfo = start };
        var output = new StringBuilder();
        var error = new StringBuilder();
        var authorizeUrl = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (output) output.AppendLine(e.Data);
            if (e.Data.Trim() is var line && line.StartsWith(origin + "/oauth/authorize?", StringComparison.Ordinal)) authorizeUrl.TrySetResult(line);
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (error) error.AppendLine(e.Data); };
        string Printed() { lock (output) lock (error) return $"--- stdout ---\n{output}\n--- stderr ---\n{error}"; }
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var exited = process.WaitForExitAsync();
            var first = await Task.WhenAny(authorizeUrl.Task, exited, Task.Delay(TimeSpan.FromSeconds(30)));
            first.ShouldBe(authorizeUrl.Task, "the script prints the address to open\n" + Printed());
            var url = await authorizeUrl.Task;

            // The reader opens the address, signs in and presses Allow; the node sends the browser to the script's port.
            var redirectUri = System.Web.HttpUtility.ParseQueryString(new Uri(url).Query)["redirect_uri"]!;
            redirectUri.ShouldStartWith("http://127.0.0.1:");
            using var walker = new PageWalker();
            var page = await walker.AuthorizeAsync(url, email, Password, redirectUri + "?");
            page.ShouldContain("Done: you can close this tab.");

            await exited.WaitAsync(TimeSpan.FromSeconds(60));
            process.WaitForExit();
            var printed = Printed();
            process.ExitCode.ShouldBe(0, printed);
            var stdout = output.ToString();
            stdout.ShouldContain("Granted contacts:read (DPoP token, ", Case.Sensitive, printed);
            var listing = Regex.Match(stdout, @"^200 (?<json>\{.*?^\})$", RegexOptions.Multiline | RegexOptions.Singleline);
            listing.Success.ShouldBeTrue("the script called the API and got 200\n" + printed);
            listing.Groups["json"].Value.ShouldContain(marker, Case.Sensitive, "the contacts of the reader's organization");
            JsonNode.Parse(listing.Groups["json"].Value)!["data"]!.AsArray().ShouldNotBeEmpty();
            stdout.ShouldContain("Refreshed; the previous refresh token is now spent.");
            stdout.ShouldContain("Revoked.");

            // The disconnect worked: the node lists the authorization as revoked.
            var authorizations = await owner.GetJsonAsync("/api/v1/oauth/authorizations?status=revoked");
            authorizations["data"]!.AsArray().ShouldContain(a => a!["clientId"]!.GetValue<string>() == clientId, authorizations.ToJsonString());
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            try { folder.Delete(recursive: true); } catch (IOException) { }
        }
    }

    [Fact(Timeout = 240_000)]
    public async Task SwaggerUisAuthorizeButtonGetsATokenWithCodeAndPkceThatTryItOutUses()
    {
        var origin = Origin;
        // The guide's section "Try it from the API reference": a public app whose redirect URI is the reference's page.
        var (owner, email, marker, clientId) = await OwnerWithPublicAppAsync(node, "API reference", origin + "/api/docs/oauth2-redirect.html");
        using var _ = owner;

        using var browser = new HeadlessChromium();
        var driver = browser.Driver;
        await Task.Run(() => driver.Navigate().GoToUrl(origin + "/api/docs/index.html"));
        var main = driver.CurrentWindowHandle;
        browser.WaitFor("the operations to be listed", d => d.FindElement(By.CssSelector(".opblock")));

        driver.FindElement(By.CssSelector(".auth-wrapper .btn.authorize")).Click();
        var dialog = browser.WaitFor("the Authorize dialog", d => d.FindElement(By.CssSelector(".dialog-ux .modal-ux")));
        var flow = dialog.FindElements(By.CssSelector(".auth-container"))
            .First(c => c.FindElement(By.TagName("h4")).Text.Contains("authorizationCode", StringComparison.Ordinal));
        flow.Text.ShouldContain("PKCE");
        flow.FindElement(By.CssSelector("input[id^=client_id]")).SendKeys(clientId);
        var scope = flow.FindElement(By.CssSelector("input[type=checkbox][data-value='contacts:read']"));
        driver.ExecuteScript("arguments[0].scrollIntoView({block: 'center'}); arguments[0].click();", scope); // the box itself is hidden behind its styled label
        browser.WaitUntil("contacts:read to be ticked", _ => scope.Selected);
        driver.ExecuteScript("arguments[0].scrollIntoView({block: 'start'});", flow);
        var dialogShot = BrowserScreenshots.Save(browser, "swagger-oauth-authorize-dialog");
        flow.FindElement(By.CssSelector("button.authorize")).Click();

        // A popup runs the authorization request: the node's sign-in and consent pages.
        browser.WaitUntil("the authorization popup", d => d.WindowHandles.Count == 2);
        driver.SwitchTo().Window(driver.WindowHandles.Single(h => h != main));
        browser.WaitFor("the sign-in page in the popup", d => d.FindElement(By.Name("email"))).SendKeys(email);
        driver.FindElement(By.Name("password")).SendKeys(Password);
        driver.FindElement(By.CssSelector("button.primary")).Click();
        var allow = browser.WaitFor("the consent page in the popup", d => d.FindElement(By.CssSelector("button[value=allow]")));
        driver.FindElement(By.TagName("main")).Text.ShouldContain("Allow API reference to access Guide Readers Inc?");
        BrowserScreenshots.Save(browser, "swagger-oauth-consent");
        allow.Click();

        // oauth2-redirect.html hands the code to the page and closes the popup; the page exchanges it (with the verifier).
        driver.SwitchTo().Window(main);
        browser.WaitUntil("the popup to close", d => d.WindowHandles.Count == 1);
        browser.WaitUntil("the oauth2 scheme to be authorized",
            d => d.FindElements(By.XPath("//div[contains(@class,'dialog-ux')]//div[contains(@class,'auth-container')][.//h4[contains(.,'authorizationCode')]]//button[normalize-space()='Logout']")).Count > 0);
        var errors = driver.FindElements(By.CssSelector(".dialog-ux .errors")).Select(e => e.Text).ToList();
        errors.ShouldBeEmpty();
        var stored = JsonNode.Parse((string)driver.ExecuteScript("return JSON.stringify(window.ui.authSelectors.authorized().toJS());")!)!;
        var token = stored["oauth2"]!["token"]!;
        token["token_type"]!.GetValue<string>().ShouldBe("Bearer");
        token["scope"]!.GetValue<string>().ShouldBe("contacts:read");
        var accessToken = token["access_token"]!.GetValue<string>();
        accessToken.Split('.').Length.ShouldBe(3, "an RFC 9068 JWT access token");
        driver.FindElement(By.CssSelector(".dialog-ux button.close-modal")).Click();

        // Try it out (on by default) sends the token, kept across the reload to the operation's link: 200, with the
        // contact only this user's organization has.
        var operation = await Task.Run(() => SwaggerUiPage.OpenOperation(browser, origin, "Contacts", "listContacts"));
        browser.WaitFor("the Execute button", _ => operation.FindElement(By.CssSelector("button.execute"))).Click();
        var status = browser.WaitFor("the live response",
            _ => operation.FindElement(By.CssSelector(".live-responses-table tr.response .response-col_status")) is { Text.Length: > 0 } cell ? cell.Text : null);
        var shown = operation.FindElement(By.CssSelector(".live-responses-table")).Text;
        status.Trim().ShouldBe("200", shown);
        shown.ShouldContain(marker);
        var curl = operation.FindElement(By.CssSelector(".curl-command")).Text;
        curl.ShouldContain("Authorization: Bearer " + accessToken);
        driver.ExecuteScript("arguments[0].scrollIntoView({block: 'start'});", operation.FindElement(By.CssSelector(".responses-inner")));
        var responseShot = BrowserScreenshots.Save(browser, "swagger-oauth-try-it-out");

        // The node recorded the user's authorization of the app.
        var authorizations = await owner.GetJsonAsync("/api/v1/oauth/authorizations?status=active");
        authorizations["data"]!.AsArray().ShouldContain(a => a!["clientId"]!.GetValue<string>() == clientId, authorizations.ToJsonString());
        File.Exists(dialogShot).ShouldBeTrue();
        File.Exists(responseShot).ShouldBeTrue();
    }
}

using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using OpenQA.Selenium;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Docs;

/// <summary>The reference pages as a person sees them: loaded and used in headless Chromium against a live node.</summary>
public sealed class DocsPagesInBrowserTests(SqliteSwitchboard node) : IClassFixture<SqliteSwitchboard>
{
    [Fact(Timeout = 420_000)]
    public async Task TheInteractiveReferenceCallsTheLiveNodeWithTheApiKeyEnteredUnderAuthorize()
    {
        using var client = node.Client();
        var origin = NodeOrigin(client);
        await client.SignupAsync();
        var marker = $"Browser{Guid.NewGuid():N}"[..20];
        (await client.PostAsync("/api/v1/contacts", new { firstName = "Ada", lastName = marker })).StatusCode.ShouldBe(HttpStatusCode.Created);
        var key = (await client.CreateKeyAsync("contacts:read"))["key"]!.GetValue<string>();

        using var browser = new HeadlessChromium(TimeSpan.FromMinutes(4)); // the scan of the whole list below may take minutes under load
        var driver = browser.Driver;
        await Task.Run(() => driver.Navigate().GoToUrl(origin + "/api/docs/index.html"));
        browser.WaitFor("the first operation to be listed", d => d.FindElement(By.CssSelector(".opblock")));
        // Every operation of the document is in the list (rendered as it scrolls into view).
        var expected = SwaggerUiPage.OperationIds(await client.GetJsonAsync("/api/openapi/v1.json"));
        expected.Count.ShouldBeGreaterThan(80);
        SwaggerUiPage.RenderedOperationIds(browser).ShouldBe(expected, ignoreOrder: true);
        browser.ReferencedResources().ShouldAllBe(url => url.StartsWith(origin + "/", StringComparison.Ordinal));

        // Authorize: the bearer scheme's field in Swagger UI's dialog, as a person would enter the key.
        driver.FindElement(By.CssSelector(".auth-wrapper .btn.authorize")).Click();
        var dialog = browser.WaitFor("the Authorize dialog", d => d.FindElement(By.CssSelector(".dialog-ux .modal-ux")));
        var bearer = dialog.FindElements(By.CssSelector(".auth-container"))
            .First(c => c.FindElement(By.TagName("h4")).Text.Contains("bearer", StringComparison.OrdinalIgnoreCase));
        bearer.FindElement(By.TagName("input")).SendKeys(key);
        bearer.FindElement(By.CssSelector("button.authorize")).Click();
        // The dialog re-renders on success: look the elements up again rather than holding on to the old ones.
        browser.WaitUntil("the key to be accepted", d => d.FindElements(By.XPath("//div[contains(@class,'dialog-ux')]//button[normalize-space()='Logout']")).Count > 0);
        driver.FindElement(By.CssSelector(".dialog-ux button.close-modal")).Click();

        // The operation's link (the authorization is kept across the reload); Try it out is on by default: execute it.
        var operation = await Task.Run(() => SwaggerUiPage.OpenOperation(browser, origin, "Contacts", "listContacts"));
        operation.Text.ShouldContain("/api/v1/contacts");
        var execute = browser.WaitFor("the Execute button", _ => operation.FindElement(By.CssSelector("button.execute")));
        execute.Click();
        var status = browser.WaitFor("the live response",
            _ => operation.FindElement(By.CssSelector(".live-responses-table tr.response .response-col_status")) is { Text.Length: > 0 } cell ? cell.Text : null);
        var shown = operation.FindElement(By.CssSelector(".live-responses-table")).Text;
        status.Trim().ShouldBe("200", shown);
        // Only the node has this contact, and only this key's organization sees it: the call reached the node with the key.
        shown.ShouldContain(marker);
        operation.FindElement(By.CssSelector(".request-url")).Text.ShouldContain(origin + "/api/v1/contacts");
    }

    [Fact(Timeout = 420_000)]
    public async Task TheReadingViewRendersEveryOperationFromLocalAssets()
    {
        using var client = node.Client();
        var origin = NodeOrigin(client);
        // ReDoc renders every operation (with its code samples) in one go, holding the page's main thread for a while
        // (about 16 s for the v1 document on a quiet 2-core machine): commands wait for it rather than time out.
        using var browser = new HeadlessChromium(TimeSpan.FromMinutes(4));
        var driver = browser.Driver;
        await Task.Run(() => driver.Navigate().GoToUrl(origin + "/api/redoc/index.html"));

        browser.WaitFor("ReDoc to render List contacts", d => d.FindElement(By.CssSelector("[data-section-id='operation/listContacts'] h2")), seconds: 180)
            .Text.ShouldContain("List contacts");
        var operations = driver.FindElements(By.CssSelector("[data-section-id*='operation/']"));
        operations.Count.ShouldBeGreaterThan(80, "every operation has a section");
        browser.ReferencedResources().ShouldAllBe(url => url.StartsWith(origin + "/", StringComparison.Ordinal));
    }

    /// <summary>The node's own address, which must be loopback IPv4: the browser resolves nothing else.</summary>
    private string NodeOrigin(ApiClient client)
    {
        var addresses = node.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        var origin = client.Http.BaseAddress!.GetLeftPart(UriPartial.Authority);
        new Uri(origin).Host.ShouldBe("127.0.0.1", string.Join(", ", addresses));
        return origin;
    }
}

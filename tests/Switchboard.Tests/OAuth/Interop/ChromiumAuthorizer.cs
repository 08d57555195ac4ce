using OpenQA.Selenium;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.OAuth.Interop;

/// <summary>
/// A person in headless Chromium answering an app's authorization request: opens the authorization URL, signs in on the
/// sign-in page when it appears, looks at the consent page (saved as a screenshot) and presses Allow, until the browser
/// lands on the app's loopback receiver. Only what the pages show is used: labels, inputs and buttons.
/// </summary>
public sealed class ChromiumAuthorizer(HeadlessChromium browser, string email, string password, string screenshotName)
{
    /// <summary>The consent pages seen, in order (their visible text), for the test's assertions.</summary>
    public List<string> ConsentPages { get; } = [];
    public List<string> SignInPages { get; } = [];
    public List<string> Screenshots { get; } = [];

    public async Task AuthorizeAsync(string authorizationUrl)
    {
        var driver = browser.Driver;
        await Task.Run(() => driver.Navigate().GoToUrl(authorizationUrl));
        for (var step = 0; step < 10; step++)
        {
            var where = browser.WaitFor("the sign-in page, the consent page or the app's receiver", d =>
                d.FindElements(By.Id("done")).Count > 0 ? "app"
                : d.FindElements(By.CssSelector("input[type=password]")).Count > 0 ? "signin"
                : d.FindElements(By.CssSelector("button[name=decision][value=allow]")).Count > 0 ? "consent"
                : null);
            switch (where)
            {
                case "app":
                    return;
                case "signin":
                    SignInPages.Add(driver.FindElement(By.TagName("body")).Text);
                    var emailInput = driver.FindElement(By.CssSelector("input[name=email]"));
                    emailInput.Clear();
                    emailInput.SendKeys(email);
                    driver.FindElement(By.CssSelector("input[type=password]")).SendKeys(password);
                    var before = driver.Url;
                    driver.FindElement(By.CssSelector("form button[type=submit].primary, form button[type=submit]")).Click();
                    browser.WaitUntil("the sign-in form to be sent", d => d.Url != before || d.FindElements(By.CssSelector("input[type=password]")).Count == 0);
                    break;
                case "consent":
                    ConsentPages.Add(driver.FindElement(By.TagName("body")).Text);
                    Screenshots.Add(SaveScreenshot());
                    var page = driver.Url;
                    driver.FindElement(By.CssSelector("button[name=decision][value=allow]")).Click();
                    browser.WaitUntil("the consent answer to be sent", d => d.Url != page);
                    break;
            }
        }
        throw new InvalidOperationException($"The browser did not reach the app after 10 pages; it is on {driver.Url}.");
    }

    private string SaveScreenshot()
    {
        var directory = Environment.GetEnvironmentVariable("SWITCHBOARD_TEST_ARTIFACTS") is { Length: > 0 } set
            ? set : Path.Combine(Path.GetTempPath(), "switchboard-test-artifacts");
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, $"{screenshotName}-{Screenshots.Count + 1}.png");
        ((ITakesScreenshot)browser.Driver).GetScreenshot().SaveAsFile(path);
        return path;
    }
}

using OpenQA.Selenium;
using Switchboard.Tests.Infrastructure;
using Switchboard.Tests.OAuth;

namespace Switchboard.Tests.Dashboard;

/// <summary>What the dashboard's headless-Chromium tests share: the node's origin, signing in, the main text and full-page screenshots.</summary>
public static class DashboardBrowser
{
    public static string Origin(SwitchboardFactory node)
    {
        using var client = node.Client();
        return client.Http.BaseAddress!.GetLeftPart(UriPartial.Authority);
    }

    /// <summary>
    /// The whole page, not only the window, saved under <see cref="BrowserScreenshots.Directory"/>/dashboard: the window
    /// grows to the page's height for the picture.
    /// </summary>
    public static void Screenshot(HeadlessChromium browser, string name)
    {
        var window = browser.Driver.Manage().Window;
        var size = window.Size;
        var height = Convert.ToInt32(browser.Driver.ExecuteScript("return document.documentElement.scrollHeight;"), System.Globalization.CultureInfo.InvariantCulture);
        window.Size = new System.Drawing.Size(size.Width, Math.Clamp(height + (size.Height - Convert.ToInt32(browser.Driver.ExecuteScript("return window.innerHeight;"),
            System.Globalization.CultureInfo.InvariantCulture)), size.Height, 5000));
        try { BrowserScreenshots.Save(browser, "dashboard/" + name); }
        finally { window.Size = size; }
    }

    /// <summary>Opens <paramref name="path"/>, is sent to the sign-in page, signs in and comes back.</summary>
    public static async Task SignInAsync(SwitchboardFactory node, HeadlessChromium browser, string email, string path = "/dashboard")
    {
        var origin = Origin(node);
        await Task.Run(() => browser.Driver.Navigate().GoToUrl(origin + path));
        browser.WaitUntil("the sign-in page", d => d.Url.StartsWith(origin + "/signin?returnUrl=", StringComparison.Ordinal));
        browser.WaitFor("the sign-in form", d => d.FindElement(By.Name("email"))).SendKeys(email);
        browser.Driver.FindElement(By.Name("password")).SendKeys(DashboardTestSupport.Password);
        browser.Driver.FindElement(By.CssSelector("button.primary")).Click();
        browser.WaitUntil("the dashboard page asked for", d => d.Url == origin + path);
    }

    public static string MainText(HeadlessChromium browser) => browser.Driver.FindElement(By.TagName("main")).Text;
}

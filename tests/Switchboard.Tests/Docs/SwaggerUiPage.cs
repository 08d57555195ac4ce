using OpenQA.Selenium;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Docs;

/// <summary>
/// Swagger UI (/api/docs) as a person uses it. From 150 tags and operations on, Swagger UI renders only the part of the
/// list that is on screen (a window virtualizer), so an operation is reached through its deep link, and "every operation
/// is there" is checked by scrolling the whole list.
/// </summary>
public static class SwaggerUiPage
{
    /// <summary>Loads the reference at <c>#/{tag}/{operationId}</c> and returns the operation, scrolled to and expanded.</summary>
    public static IWebElement OpenOperation(HeadlessChromium browser, string origin, string tag, string operationId)
    {
        var driver = browser.Driver;
        // A new document: a hash change alone would keep the page (and its state) as it is.
        driver.Navigate().GoToUrl("about:blank");
        driver.Navigate().GoToUrl($"{origin}/api/docs/index.html#/{tag}/{operationId}");
        var id = $"operations-{tag.Replace(' ', '_')}-{operationId}";
        var operation = browser.WaitFor($"{operationId} to be scrolled to", d => d.FindElement(By.Id(id)));
        // The link expands the operation (a deprecated one's class has no is-open, so look for its body).
        if (operation.FindElements(By.CssSelector(".opblock-body")).Count == 0)
            operation.FindElement(By.CssSelector(".opblock-summary")).Click();
        browser.WaitUntil($"{operationId} to be expanded", d => d.FindElements(By.CssSelector($"#{id} .opblock-body")).Count > 0);
        return driver.FindElement(By.Id(id));
    }

    /// <summary>
    /// The ids (operations-{tag}-{operationId}) of every operation rendered while scrolling from top to bottom. The window
    /// is made four times as tall meanwhile, so the scan takes a quarter of the steps (each step waits for Swagger UI to
    /// render, which under the whole suite's load took over a minute for the list at 1,000 px). The script may run for up
    /// to 3 minutes: the browser must be made with a longer command timeout (see <see cref="HeadlessChromium"/>).
    /// </summary>
    public static IReadOnlySet<string> RenderedOperationIds(HeadlessChromium browser)
    {
        var window = browser.Driver.Manage().Window;
        var size = window.Size;
        window.Size = new System.Drawing.Size(size.Width, size.Height * 4);
        try
        {
            return Scan(browser);
        }
        finally
        {
            window.Size = size;
        }
    }

    private static HashSet<string> Scan(HeadlessChromium browser)
    {
        browser.Driver.Manage().Timeouts().AsynchronousJavaScript = TimeSpan.FromMinutes(3);
        var ids = browser.Driver.ExecuteAsyncScript("""
            const done = arguments[arguments.length - 1];
            const ids = new Set();
            const frames = () => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
            (async () => {
              const step = Math.max(200, Math.floor(window.innerHeight / 2));
              for (let y = 0; y <= document.documentElement.scrollHeight; y += step) {
                window.scrollTo(0, y);
                await frames();
                document.querySelectorAll('.opblock[id^="operations-"]').forEach(e => ids.add(e.id));
              }
              window.scrollTo(0, 0);
              await frames();
              done([...ids]);
            })();
            """) as IEnumerable<object> ?? [];
        return ids.Select(o => o.ToString()!).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>The ids Swagger UI gives the operations of an OpenAPI document: one per operation and tag.</summary>
    public static IReadOnlySet<string> OperationIds(System.Text.Json.Nodes.JsonNode document) =>
        document["paths"]!.AsObject()
            .SelectMany(path => path.Value!.AsObject())
            .Where(op => op.Value is System.Text.Json.Nodes.JsonObject o && o["operationId"] is not null)
            .SelectMany(op => op.Value!["tags"]!.AsArray().Select(t => $"operations-{t!.GetValue<string>().Replace(' ', '_')}-{op.Value!["operationId"]!.GetValue<string>()}"))
            .ToHashSet(StringComparer.Ordinal);
}

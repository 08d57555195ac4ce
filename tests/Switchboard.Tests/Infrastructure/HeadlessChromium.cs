using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;

namespace Switchboard.Tests.Infrastructure;

/// <summary>
/// Debian's Chromium, headless, driven through Debian's ChromeDriver (both installed by test.sh). Chromium resolves no
/// host but 127.0.0.1 and makes no background connections, so a page can only load what the node itself serves.
/// A missing browser fails the test that needs it.
/// </summary>
public sealed class HeadlessChromium : IDisposable
{
    public const string ChromiumVariable = "SWITCHBOARD_TEST_CHROMIUM";
    public const string DriverVariable = "SWITCHBOARD_TEST_CHROMEDRIVER";
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);
    private readonly DirectoryInfo _profile;

    public ChromeDriver Driver { get; }

    /// <param name="commandTimeout">How long one WebDriver command may take: 60 s unless a page keeps the browser's main
    /// thread busy longer (ReDoc renders the whole API reference in one go).</param>
    public HeadlessChromium(TimeSpan? commandTimeout = null)
    {
        var chromium = Locate(ChromiumVariable, "/usr/bin/chromium");
        var driver = Locate(DriverVariable, "/usr/bin/chromedriver");
        _profile = Directory.CreateTempSubdirectory("switchboard-chromium-");
        var options = new ChromeOptions { BinaryLocation = chromium };
        options.AddArguments(
            "--headless=new", "--no-sandbox", // CI runs as root, where Chromium's sandbox cannot start
            "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1400,1000", "--no-first-run", "--user-data-dir=" + _profile.FullName,
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic", "--disable-extensions",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1");
        // Both paths are given, so Selenium Manager (which would try to download a driver) is never consulted.
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(driver)!, Path.GetFileName(driver));
        service.HideCommandPromptWindow = true;
        service.SuppressInitialDiagnosticInformation = true;
        Driver = new ChromeDriver(service, options, commandTimeout ?? CommandTimeout);
        Driver.Manage().Timeouts().PageLoad = TimeSpan.FromSeconds(30);
        Driver.Manage().Timeouts().AsynchronousJavaScript = TimeSpan.FromSeconds(30);
    }

    /// <summary>Waits up to <paramref name="seconds"/> for <paramref name="condition"/>; on time-out, fails with what the page shows.</summary>
    public T WaitFor<T>(string what, Func<IWebDriver, T?> condition, int seconds = 30) where T : class
    {
        var wait = new WebDriverWait(Driver, TimeSpan.FromSeconds(seconds)) { PollingInterval = TimeSpan.FromMilliseconds(200) };
        wait.IgnoreExceptionTypes(typeof(NoSuchElementException), typeof(StaleElementReferenceException), typeof(ElementNotInteractableException));
        try
        {
            return wait.Until(d => condition(d));
        }
        catch (WebDriverTimeoutException)
        {
            var text = Driver.FindElements(By.TagName("body")).FirstOrDefault()?.Text ?? "(no body)";
            throw new TimeoutException($"Waited {seconds} s for {what} on {Driver.Url}. The page shows:\n{text[..Math.Min(text.Length, 3000)]}");
        }
    }

    public void WaitUntil(string what, Func<IWebDriver, bool> condition, int seconds = 30) =>
        WaitFor(what, d => condition(d) ? (object)true : null, seconds);

    /// <summary>Reloads the page until <paramref name="condition"/> holds: for what the node's workers write meanwhile.</summary>
    public void RefreshUntil(string what, Func<IWebDriver, bool> condition, int seconds = 30) => WaitUntil(what, d =>
    {
        if (condition(d)) return true;
        Thread.Sleep(250);
        d.Navigate().Refresh();
        return false;
    }, seconds);

    /// <summary>Every script, stylesheet, image and frame the page refers to, as absolute URLs.</summary>
    public IReadOnlyList<string> ReferencedResources() =>
        (Driver.ExecuteScript("return [...document.querySelectorAll('script[src],link[href],img[src],iframe[src]')].map(e => e.src || e.href);")
            as IEnumerable<object> ?? []).Select(o => o.ToString()!).ToList();

    public void Dispose()
    {
        try
        {
            Driver.Quit();
        }
        finally
        {
            Driver.Dispose();
            try { _profile.Delete(recursive: true); } catch (IOException) { } // Chromium may still be letting go of its profile
        }
    }

    private static string Locate(string variable, string fallback)
    {
        var path = Environment.GetEnvironmentVariable(variable) is { Length: > 0 } set ? set : fallback;
        return File.Exists(path) ? path
            : throw new InvalidOperationException($"{path} is missing. Run the suite with ./test.sh, which installs Debian's chromium and chromium-driver.");
    }
}

using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using OpenQA.Selenium;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Sdks;

/// <summary>
/// The SDK's ES module build in headless Chromium: a page (sdks/typescript/test/browser) imports dist/esm and calls a live
/// node through a same-origin host (the page, the package's files, and /api proxied to the node), since the API does not
/// answer cross-origin requests. It proves the client path runs on a browser's fetch and WebCrypto, with no Node.js API.
/// </summary>
public sealed class TypeScriptSdkInBrowserTests(SqliteSwitchboard node) : IClassFixture<SqliteSwitchboard>
{
    [Fact(Timeout = 180_000)]
    public async Task TheEsmBuildWorksInChromiumAgainstTheNode()
    {
        await TypeScriptSdk.EnsureBuiltAsync();
        using var owner = node.Client();
        await owner.SignupAsync();
        var key = (await owner.CreateKeyAsync("contacts:read", "contacts:write"))["key"]!.GetValue<string>();
        await using var host = await SameOriginHost.StartAsync(owner.Http.BaseAddress!);

        using var browser = new HeadlessChromium();
        browser.Driver.Navigate().GoToUrl($"{host.Url}/#apiKey={Uri.EscapeDataString(key)}");
        var text = browser.WaitFor("the scenario's result", d => d.FindElement(By.Id("result")).Text is var t && t.StartsWith('{') ? t : null, 90);
        var result = JsonNode.Parse(text)!.AsObject();

        result["error"].ShouldBeNull(text);
        result["done"]?.GetValue<bool>().ShouldBe(true, text);
        result["status"]!.GetValue<int>().ShouldBe(201);
        result["updated"]!.GetValue<string>().ShouldBe("Updated");
        result["paged"]!.GetValue<int>().ShouldBe(3, "three contacts, one page each");
        result["validation"]!.AsArray().Select(f => f!.GetValue<string>()).ShouldContain("email");
        result["notFound"]!.GetValue<string>().ShouldBe("not_found");
        result["verified"]!.GetValue<string>().ShouldBe(result["created"]!.GetValue<string>());
        result["forged"]!.GetValue<string>().ShouldBe("invalid_signature");
        // The page's requests reached the node through the host: the contact it deleted is gone there too.
        (await owner.GetAsync($"/api/v1/contacts/{result["created"]!.GetValue<string>()}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        host.Proxied.ShouldBeGreaterThanOrEqualTo(8);
    }

    /// <summary>Serves the test page and dist/esm on 127.0.0.1, and forwards /api/* to the node.</summary>
    private sealed class SameOriginHost : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly HttpClient _upstream;
        private int _proxied;
        public string Url { get; private set; } = "";
        public int Proxied => _proxied;

        private SameOriginHost(WebApplication app, HttpClient upstream) => (_app, _upstream) = (app, upstream);

        public static async Task<SameOriginHost> StartAsync(Uri nodeBase)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            var app = builder.Build();
            var upstream = new HttpClient { BaseAddress = nodeBase };
            var host = new SameOriginHost(app, upstream);
            var page = Path.Combine(TypeScriptSdk.Directory, "test", "browser");
            var dist = Path.GetFullPath(Path.Combine(TypeScriptSdk.Directory, "dist", "esm")) + Path.DirectorySeparatorChar;

            app.MapGet("/", () => Results.File(Path.Combine(page, "index.html"), "text/html; charset=utf-8"));
            app.MapGet("/scenario.mjs", () => Results.File(Path.Combine(page, "scenario.mjs"), "text/javascript; charset=utf-8"));
            app.MapGet("/sdk/{**file}", (string file) =>
            {
                var path = Path.GetFullPath(Path.Combine(dist, file));
                return path.StartsWith(dist, StringComparison.Ordinal) && File.Exists(path)
                    ? Results.File(path, path.EndsWith(".js", StringComparison.Ordinal) ? "text/javascript; charset=utf-8" : "application/octet-stream")
                    : Results.NotFound();
            });
            app.Map("/api/{**rest}", async (HttpContext context) =>
            {
                Interlocked.Increment(ref host._proxied);
                using var request = new HttpRequestMessage(new HttpMethod(context.Request.Method), context.Request.Path + context.Request.QueryString);
                if (context.Request.ContentLength > 0 || context.Request.Headers.TransferEncoding.Count > 0)
                    request.Content = new StreamContent(context.Request.Body);
                foreach (var (name, values) in context.Request.Headers)
                {
                    if (name.Equals("Host", StringComparison.OrdinalIgnoreCase)) continue;
                    if (!request.Headers.TryAddWithoutValidation(name, values.ToArray())) request.Content?.Headers.TryAddWithoutValidation(name, values.ToArray());
                }
                using var response = await upstream.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted);
                context.Response.StatusCode = (int)response.StatusCode;
                foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
                    if (!name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase)) context.Response.Headers[name] = values.ToArray();
                await response.Content.CopyToAsync(context.Response.Body, context.RequestAborted);
            });
            await app.StartAsync();
            host.Url = app.Urls.Single();
            return host;
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
            _upstream.Dispose();
        }
    }
}

using System.Security.Cryptography;
using Switchboard.OAuth.Browser;

namespace Switchboard.Dashboard;

/// <summary>
/// The dashboard's stylesheet and its one small script, shipped inside the assembly and served by the node under
/// addresses carrying their hash (cached for good, changed by a build), and the headers of every dashboard page.
/// </summary>
public static class DashboardAssets
{
    public const string StylesheetRoute = "/dashboard/assets/dashboard.css";
    public const string ScriptRoute = "/dashboard/assets/dashboard.js";

    private static readonly byte[] Stylesheet = Load("dashboard/dashboard.css");
    private static readonly byte[] Script = Load("dashboard/dashboard.js");

    public static readonly string StylesheetPath = StylesheetRoute + "?v=" + Version(Stylesheet);
    public static readonly string ScriptPath = ScriptRoute + "?v=" + Version(Script);

    /// <summary>
    /// The sign-in pages' headers (<see cref="BrowserPage.ApplySecurityHeaders"/>: no framing, no caching, no Referer,
    /// not compressed), with this node's own scripts allowed: the copy buttons. Still no inline script or style.
    /// </summary>
    public static void ApplySecurityHeaders(HttpResponse response)
    {
        BrowserPage.ApplySecurityHeaders(response);
        response.Headers.ContentSecurityPolicy = BrowserPage.ContentSecurityPolicy.Replace("script-src 'none'", "script-src 'self'", StringComparison.Ordinal);
        // The API code a page calls sets the headers its own answers carry; on a page they mean nothing.
        response.OnStarting(static state =>
        {
            var headers = ((HttpResponse)state).Headers;
            headers.ETag = default;
            headers.Link = default;
            return Task.CompletedTask;
        }, response);
    }

    public static IEndpointRouteBuilder MapDashboardAssets(this IEndpointRouteBuilder app)
    {
        app.MapGet(StylesheetRoute, (HttpContext http) => Serve(http, Stylesheet, "text/css; charset=utf-8")).AllowAnonymous().ExcludeFromDescription();
        app.MapGet(ScriptRoute, (HttpContext http) => Serve(http, Script, "text/javascript; charset=utf-8")).AllowAnonymous().ExcludeFromDescription();
        return app;
    }

    private static IResult Serve(HttpContext http, byte[] content, string type)
    {
        http.Response.Headers.CacheControl = "public, max-age=31536000, immutable";
        http.Response.Headers.XContentTypeOptions = "nosniff";
        return Results.Bytes(content, type);
    }

    private static string Version(byte[] content) => Convert.ToHexStringLower(SHA256.HashData(content).AsSpan(0, 8));

    private static byte[] Load(string name)
    {
        using var stream = typeof(DashboardAssets).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"The embedded resource {name} is missing from the build.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}

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

    /// <summary>
    /// The headers of the embeddable webhook portal's pages, on top of <see cref="ApplySecurityHeaders"/>: the dashboard's, except that the link's origins may frame
    /// them (CSP Level 3 <c>frame-ancestors</c>, https://www.w3.org/TR/CSP3/#directive-frame-ancestors, instead of
    /// <c>'none'</c>) and no <c>X-Frame-Options</c>, which has no allow-list (RFC 7034 §2.1 knows only DENY, SAMEORIGIN
    /// and a single ALLOW-FROM that browsers ignore; CSP3 §6.4.2 makes <c>frame-ancestors</c> win where both are sent).
    /// <c>Referrer-Policy: no-referrer</c> stays: the link's token is in every URL of the portal. No origins (a link
    /// unknown here): framed by nobody.
    /// </summary>
    public static void AllowFramingBy(HttpResponse response, IReadOnlyCollection<string> allowedOrigins)
    {
        response.Headers.XFrameOptions = default;
        var ancestors = allowedOrigins.Count == 0 ? "'none'" : string.Join(' ', allowedOrigins);
        response.Headers.ContentSecurityPolicy = response.Headers.ContentSecurityPolicy.ToString()
            .Replace("frame-ancestors 'none'", "frame-ancestors " + ancestors, StringComparison.Ordinal);
        response.Headers["Referrer-Policy"] = "no-referrer";
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

using System.Security.Cryptography;
using System.Text;
using Switchboard.Developers;

namespace Switchboard.OAuth.Browser;

/// <summary>
/// The layout and response headers of the sign-in and consent pages: server-rendered HTML without a single script,
/// styled by the developer portal's stylesheet plus a few rules of its own, every value HTML-encoded here.
/// </summary>
public static class BrowserPage
{
    private const string HtmlType = "text/html; charset=utf-8";

    /// <summary>
    /// No script at all; styles and images from this node only, except an app's logo, which may be on any https
    /// host; forms post only here (the consent page adds the app's redirect origin, see <see cref="AllowFormRedirectTo"/>);
    /// never framed (clickjacking, RFC 9700 §4.16; <c>X-Frame-Options</c> for browsers without CSP level 2).
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'none'; style-src 'self'; img-src 'self' https: data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

    /// <summary>
    /// Headers for every browser page and redirect: no framing, no caching (pages carry form tokens, redirects carry
    /// codes), and no Referer, since the authorize URL in the address bar carries the app's <c>state</c>.
    /// </summary>
    public static void ApplySecurityHeaders(HttpResponse response)
    {
        // Not compressed: a page holding a form token next to text the requester chose (the return URL, the email typed
        // back) would let an observer of the encrypted sizes recover the token (BREACH, CVE-2013-3587). They are small.
        if (response.HttpContext.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpsCompressionFeature>() is { } compression)
            compression.Mode = Microsoft.AspNetCore.Http.Features.HttpsCompressionMode.DoNotCompress;
        var headers = response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers.CacheControl = "no-store";
        headers.Pragma = "no-cache";
        headers.XContentTypeOptions = "nosniff";
    }

    /// <summary>
    /// Browsers apply <c>form-action</c> to the redirects that follow a form's POST too (CSP level 3 §6.3.1), so a
    /// consent form whose answer is a 303 to the app must also allow the app's redirect origin.
    /// </summary>
    public static void AllowFormRedirectTo(HttpResponse response, Uri redirectUri)
    {
        var source = redirectUri.Scheme is "http" or "https"
            ? redirectUri.GetLeftPart(UriPartial.Authority)
            : redirectUri.Scheme + ":"; // a native app's private-use scheme (RFC 8252 §7.1)
        response.Headers.ContentSecurityPolicy = ContentSecurityPolicy.Replace("form-action 'self'", "form-action 'self' " + source, StringComparison.Ordinal);
    }

    public static IResult Html(string title, string bodyHtml, int status = StatusCodes.Status200OK) =>
        Results.Content(Render(title, bodyHtml), HtmlType, Encoding.UTF8, status);

    /// <summary>A page that explains why the request cannot go on, with nothing to do but go back.</summary>
    public static IResult Error(string title, string message, int status) =>
        Html(title, $"<h1>{Encode(title)}</h1>\n<p>{Encode(message)}</p>\n", status);

    public static string Encode(string text) => PortalLayout.Encode(text);

    public static string Render(string title, string bodyHtml)
    {
        var html = new StringBuilder(bodyHtml.Length + 1024);
        html.Append("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
            .Append("<meta name=\"referrer\" content=\"no-referrer\">\n")
            .Append("<title>").Append(Encode(title)).Append(" · Switchboard</title>\n")
            .Append("<link rel=\"stylesheet\" href=\"").Append(Encode(PortalLayout.StylesheetPath)).Append("\">\n")
            .Append("<link rel=\"stylesheet\" href=\"").Append(Encode(StylesheetPath)).Append("\">\n</head>\n<body class=\"account\">\n")
            .Append("<header class=\"top\"><span class=\"brand\">Switchboard</span></header>\n")
            .Append("<main>\n<div class=\"card\">\n").Append(bodyHtml).Append("</div>\n</main>\n")
            .Append("</body>\n</html>\n");
        return html.ToString();
    }

    public static readonly byte[] Stylesheet = Encoding.UTF8.GetBytes("""
        body.account { background: var(--soft); min-height: 100vh; }
        body.account main { display: flex; justify-content: center; padding: 3rem 1rem; }
        .card { width: min(30rem, 100%); background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 2rem 2.2rem; box-shadow: 0 2px 10px rgba(29, 35, 48, .06); }
        .card h1 { font-size: 1.45rem; margin: 0 0 1rem; }
        .card form { margin: 0; }
        .card label { display: block; font-weight: 600; margin: 1rem 0 .3rem; }
        .card input[type=email], .card input[type=password] { width: 100%; padding: .55rem .7rem; border: 1px solid var(--line); border-radius: 6px; font: inherit; }
        .card input:focus { outline: 2px solid var(--accent); outline-offset: 1px; }
        .actions { display: flex; gap: .75rem; margin-top: 1.5rem; }
        .actions button, .button { flex: 1; display: inline-block; text-align: center; padding: .6rem 1rem; border-radius: 6px; border: 1px solid var(--line); background: #fff; color: var(--ink); font: inherit; font-weight: 600; cursor: pointer; }
        .actions button.primary, button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
        .error { border: 1px solid #f1aeb5; background: #fff5f5; color: var(--bad); border-radius: 6px; padding: .6rem .8rem; margin: 0 0 1rem; }
        .app { display: flex; align-items: center; gap: 1rem; margin-bottom: 1rem; }
        .app img { width: 56px; height: 56px; border-radius: 10px; border: 1px solid var(--line); object-fit: cover; }
        .app .initial { width: 56px; height: 56px; border-radius: 10px; background: #e7ecfb; color: var(--accent); display: flex; align-items: center; justify-content: center; font-size: 1.6rem; font-weight: 700; }
        .redirect { background: var(--soft); border: 1px solid var(--line); border-radius: 6px; padding: .6rem .8rem; margin: 1rem 0; }
        .redirect strong { display: block; font-size: 1.15rem; overflow-wrap: anywhere; margin: .15rem 0; }
        .scopes { list-style: none; padding: 0; margin: .5rem 0 1rem; }
        .scopes li { padding: .45rem 0; border-bottom: 1px solid var(--line); }
        .scopes li:last-child { border-bottom: 0; }
        .scopes code { font-size: .8rem; color: var(--muted); }
        .dropped { color: var(--muted); }
        .dropped li { text-decoration: line-through; }
        .orgs { list-style: none; padding: 0; }
        .orgs li { margin: .5rem 0; }
        .orgs a { display: block; padding: .7rem 1rem; border: 1px solid var(--line); border-radius: 6px; color: var(--ink); }
        .orgs a:hover { border-color: var(--accent); text-decoration: none; }
        .orgs .role { float: right; color: var(--muted); }
        .who { color: var(--muted); font-size: .9rem; margin-top: 1.5rem; padding-top: 1rem; border-top: 1px solid var(--line); display: flex; justify-content: space-between; align-items: baseline; gap: .75rem; }
        .who span { overflow-wrap: anywhere; }
        .who form { display: inline; }
        .who form { flex-shrink: 0; }
        .who button { background: none; border: 0; padding: 0; color: var(--accent); font: inherit; cursor: pointer; white-space: nowrap; }
        """);

    /// <summary>The address carries the stylesheet's hash, so it may be cached for good and still change with a build.</summary>
    public static readonly string StylesheetPath = "/signin.css?v=" + Convert.ToHexStringLower(SHA256.HashData(Stylesheet).AsSpan(0, 8));
}

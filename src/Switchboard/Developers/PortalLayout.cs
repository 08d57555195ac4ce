using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace Switchboard.Developers;

/// <summary>
/// The one HTML layout of the portal: header with search, navigation of every docs page and the reference links, the
/// page's body. Rendered on the server, styled by one self-served stylesheet and free of scripts, so it works offline
/// and under a Content-Security-Policy that allows no script at all. Everything that is not rendered Markdown is
/// HTML-encoded here.
/// </summary>
public sealed class PortalLayout(IReadOnlyList<PortalLayout.NavItem> navigation)
{
    public sealed record NavItem(string Path, string Title);

    private const string SiteName = "Switchboard developers";

    private static readonly NavItem[] References =
    [
        new("/api/docs", "Interactive API reference"),
        new("/api/redoc", "API reference (ReDoc)"),
        new("/api/openapi/v1.json", "OpenAPI document"),
        new("/developers/status", "API status"),
    ];

    public static readonly byte[] Stylesheet = Encoding.UTF8.GetBytes(Css);

    /// <summary>The stylesheet's address carries its hash, so it can be cached for good and still change with a build.</summary>
    public static readonly string StylesheetPath =
        "/developers/portal.css?v=" + Convert.ToHexStringLower(SHA256.HashData(Stylesheet).AsSpan(0, 8));

    public static readonly string StylesheetETag = PortalLibrary.ETagOf(Stylesheet);

    /// <param name="title">Plain text; encoded here.</param>
    /// <param name="bodyHtml">Trusted HTML: rendered docs or markup built with encoded values.</param>
    /// <param name="currentPath">The path of the page, to mark its navigation entry.</param>
    /// <param name="query">The search box's value, plain text; encoded here.</param>
    /// <param name="refreshSeconds">Reload the page this often (the status page), without a script.</param>
    public string Render(string title, string bodyHtml, string currentPath, string? query = null, int? refreshSeconds = null)
    {
        var html = new StringBuilder(bodyHtml.Length + 4096);
        html.Append("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        if (refreshSeconds is { } seconds)
            html.Append("<meta http-equiv=\"refresh\" content=\"").Append(seconds.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append("\">\n");
        html.Append("<title>").Append(Encode(title)).Append(" · ").Append(SiteName).Append("</title>\n")
            .Append("<link rel=\"stylesheet\" href=\"").Append(Encode(StylesheetPath)).Append("\">\n</head>\n<body>\n")
            .Append("<header class=\"top\">\n<a class=\"brand\" href=\"/developers\">Switchboard <span>developers</span></a>\n")
            .Append("<form class=\"search\" action=\"/developers/search\" method=\"get\" role=\"search\">")
            .Append("<input type=\"search\" name=\"q\" maxlength=\"").Append(PortalSearch.MaxQueryLength.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Append("\" placeholder=\"Search the docs\" aria-label=\"Search the docs\" value=\"").Append(Encode(query ?? "")).Append("\">")
            .Append("<button type=\"submit\">Search</button></form>\n</header>\n<div class=\"shell\">\n<nav class=\"side\" aria-label=\"Documentation\">\n<h2>Guides</h2>\n");
        AppendList(html, navigation, currentPath);
        html.Append("<h2>Reference</h2>\n");
        AppendList(html, References, currentPath);
        html.Append("</nav>\n<main>\n").Append(bodyHtml).Append("\n</main>\n</div>\n")
            .Append("<footer>Switchboard API · <a href=\"/developers/changelog\">Changelog</a> · <a href=\"/developers/status\">Status</a></footer>\n")
            .Append("</body>\n</html>\n");
        return html.ToString();
    }

    private static void AppendList(StringBuilder html, IEnumerable<NavItem> items, string currentPath)
    {
        html.Append("<ul>\n");
        foreach (var item in items)
        {
            html.Append("<li><a href=\"").Append(Encode(item.Path)).Append('"');
            if (item.Path == currentPath) html.Append(" aria-current=\"page\"");
            html.Append('>').Append(Encode(item.Title)).Append("</a></li>\n");
        }
        html.Append("</ul>\n");
    }

    public static string Encode(string text) => WebUtility.HtmlEncode(text);

    private const string Css = """
        :root { --ink: #1d2330; --muted: #5b6475; --line: #dfe3ea; --accent: #3b5bdb; --soft: #f4f6fa; --code: #f1f3f7;
                --ok: #2b8a3e; --warn: #c77700; --bad: #c92a2a; }
        * { box-sizing: border-box; }
        body { margin: 0; color: var(--ink); font: 16px/1.6 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: #fff; }
        a { color: var(--accent); text-decoration: none; }
        a:hover { text-decoration: underline; }
        .top { display: flex; align-items: center; gap: 1.5rem; padding: .75rem 1.5rem; border-bottom: 1px solid var(--line); background: var(--soft); }
        .brand { font-weight: 700; color: var(--ink); font-size: 1.1rem; }
        .brand span { font-weight: 400; color: var(--muted); }
        .search { display: flex; gap: .5rem; margin-left: auto; }
        .search input { width: min(22rem, 50vw); padding: .4rem .6rem; border: 1px solid var(--line); border-radius: 6px; font: inherit; }
        .search button { padding: .4rem .9rem; border: 0; border-radius: 6px; background: var(--accent); color: #fff; font: inherit; cursor: pointer; }
        .shell { display: flex; max-width: 80rem; margin: 0 auto; }
        .side { flex: 0 0 15rem; padding: 1.5rem 1rem; border-right: 1px solid var(--line); }
        .side h2 { font-size: .75rem; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); margin: 1rem 0 .4rem; }
        .side ul { list-style: none; margin: 0; padding: 0; }
        .side li a { display: block; padding: .2rem .5rem; border-radius: 4px; color: var(--ink); }
        .side li a[aria-current="page"] { background: #e7ecfb; color: var(--accent); font-weight: 600; }
        main { flex: 1; min-width: 0; padding: 1.5rem 2.5rem 4rem; }
        main h1 { margin-top: 0; }
        h1, h2, h3, h4 { line-height: 1.25; }
        h2 { margin-top: 2.2rem; padding-bottom: .3rem; border-bottom: 1px solid var(--line); }
        .anchor { visibility: hidden; margin-left: .3rem; color: var(--muted); font-weight: 400; }
        h2:hover .anchor, h3:hover .anchor, h4:hover .anchor, .anchor:focus { visibility: visible; }
        code { font: .9em/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: var(--code); padding: .1em .3em; border-radius: 4px; }
        pre { background: var(--code); padding: .9rem 1rem; border-radius: 6px; overflow-x: auto; }
        pre code { background: none; padding: 0; }
        table { border-collapse: collapse; margin: 1rem 0; display: block; overflow-x: auto; }
        th, td { border: 1px solid var(--line); padding: .35rem .6rem; text-align: left; vertical-align: top; }
        th { background: var(--soft); }
        blockquote { margin: 1rem 0; padding: .2rem 1rem; border-left: 4px solid var(--accent); background: var(--soft); }
        mark { background: #ffe58f; padding: 0 .1em; }
        .results { list-style: none; padding: 0; }
        .results li { margin: 0 0 1.2rem; }
        .results .where { color: var(--muted); font-size: .9rem; }
        .hint { color: var(--muted); }
        .state { display: inline-block; padding: .05rem .55rem; border-radius: 999px; color: #fff; font-size: .85rem; font-weight: 600; }
        .state.up, .state.operational { background: var(--ok); }
        .state.degraded, .state.starting, .state.stalled, .state.failing { background: var(--warn); }
        .state.down { background: var(--bad); }
        footer { border-top: 1px solid var(--line); padding: 1rem 1.5rem; color: var(--muted); font-size: .9rem; text-align: center; }
        @media (max-width: 50rem) { .shell { flex-direction: column; } .side { border-right: 0; border-bottom: 1px solid var(--line); } main { padding: 1rem; } }
        """;
}

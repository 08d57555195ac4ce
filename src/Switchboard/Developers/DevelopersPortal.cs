using System.Globalization;
using System.Text;
using Switchboard.Platform.Http;

namespace Switchboard.Developers;

/// <summary>
/// The developer portal under /developers: the guides of docs/ rendered from Markdown, full-text search over them, and
/// a live status page. Anonymous, and outside /api, so neither rate limits nor usage recording count it.
/// </summary>
public static class DevelopersPortal
{
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

    private const string HtmlType = "text/html; charset=utf-8";
    // The docs change only with a new build; five minutes bounds how long a browser shows a page a deploy replaced,
    // and the ETag makes the revalidation after that a 304.
    private const string PageCaching = "public, max-age=300";

    public static IServiceCollection AddDevelopersPortal(this IServiceCollection services)
    {
        services.AddSingleton<PortalLibrary>();
        services.AddSingleton<PortalSearch>();
        services.AddSingleton<PortalStatus>();
        return services;
    }

    public static IEndpointRouteBuilder MapDevelopersPortal(this IEndpointRouteBuilder app)
    {
        // Render and index every page now: a broken page fails start-up, not a reader's request, and the first reader
        // does not wait for the rendering.
        app.ServiceProvider.GetRequiredService<PortalSearch>();
        app.ServiceProvider.GetRequiredService<PortalStatus>();

        var portal = app.MapGroup("/developers").AllowAnonymous().ExcludeFromDescription();
        portal.AddEndpointFilter(async (context, next) =>
        {
            var headers = context.HttpContext.Response.Headers;
            headers.ContentSecurityPolicy = ContentSecurityPolicy;
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            return await next(context);
        });
        portal.MapGet("/", (PortalLibrary library, HttpContext http) => Page(library, library.Find(PortalLibrary.HomeSlug), http));
        portal.MapGet("/portal.css", Stylesheet);
        portal.MapGet("/search", SearchPage);
        portal.MapGet("/search.json", SearchJson);
        portal.MapGet("/status", StatusPage);
        portal.MapGet("/status.json", StatusJson);
        // One catch-all for the pages: a slug is a single segment, anything deeper is a portal 404 (not the API's JSON one).
        portal.MapGet("/{**path}", (string? path, PortalLibrary library, HttpContext http) => PageOrNotFound(library, path ?? "", http));
        return app;
    }

    private static IResult PageOrNotFound(PortalLibrary library, string path, HttpContext http)
    {
        var slug = path.TrimEnd('/');
        // "index" names the home page's file, not an address: the home page has one, /developers.
        var page = slug.Contains('/', StringComparison.Ordinal) || slug == PortalLibrary.HomeSlug ? null : library.Find(slug);
        if (page is null) return NotFoundPage(library, http);
        // "/developers/webhooks/" is a common way to type a page's address: send the reader to the one address it has.
        return slug.Length == path.Length ? Page(library, page, http) : Results.Redirect(page.Path, permanent: true);
    }

    private static IResult Page(PortalLibrary library, PortalPage? page, HttpContext http) =>
        page is null ? NotFoundPage(library, http) : Static(http, page.Body, page.ETag, HtmlType, PageCaching);

    private static IResult Stylesheet(HttpContext http) =>
        // The address carries the stylesheet's hash (PortalLayout.StylesheetPath), so it may be kept for good.
        Static(http, PortalLayout.Stylesheet, PortalLayout.StylesheetETag, "text/css; charset=utf-8", "public, max-age=31536000, immutable");

    private static IResult Static(HttpContext http, byte[] body, string etag, string contentType, string caching)
    {
        var headers = http.Response.Headers;
        headers.ETag = etag;
        headers.CacheControl = caching;
        if (ETags.IfNoneMatchHits(http.Request, etag)) return Results.StatusCode(StatusCodes.Status304NotModified);
        return Results.Bytes(body, contentType);
    }

    private static IResult NotFoundPage(PortalLibrary library, HttpContext http)
    {
        var body = new StringBuilder()
            .Append("<h1>Page not found</h1>\n<p>There is no page at <code>").Append(PortalLayout.Encode(http.Request.Path.Value ?? ""))
            .Append("</code>. Try the search above, or one of these:</p>\n<ul>\n");
        foreach (var item in library.Navigation)
            body.Append("<li><a href=\"").Append(PortalLayout.Encode(item.Path)).Append("\">").Append(PortalLayout.Encode(item.Title)).Append("</a></li>\n");
        body.Append("</ul>\n");
        http.Response.Headers.CacheControl = "no-cache";
        return Results.Content(library.Layout.Render("Page not found", body.ToString(), ""), HtmlType, Encoding.UTF8, StatusCodes.Status404NotFound);
    }

    /// <summary>The <c>q</c> parameter as sent: only the first if repeated, since the form sends one.</summary>
    private static string? Query(HttpContext http) => http.Request.Query["q"] is { Count: > 0 } values ? values[0] : null;

    private static IResult SearchPage(PortalLibrary library, PortalSearch search, HttpContext http)
    {
        var query = Query(http);
        var outcome = search.Search(query);
        // Echoed into the page: at most as long as the box allows, and without control characters (HTML has no use for them).
        var shown = query is null ? null : new string(query.Take(PortalSearch.MaxQueryLength).Where(c => !char.IsControl(c)).ToArray());
        var body = new StringBuilder("<h1>Search</h1>\n");
        if (outcome.Problem != QueryProblem.None)
            body.Append("<p class=\"hint\">").Append(PortalLayout.Encode(PortalSearch.Describe(outcome.Problem))).Append("</p>\n");
        else if (outcome.Hits.Count == 0)
            body.Append("<p>Nothing in the documentation matches <strong>").Append(PortalLayout.Encode(shown!))
                .Append("</strong>. Every word must occur in the same section; try fewer or other words.</p>\n");
        else
        {
            body.Append("<p>").Append(outcome.Total.ToString(CultureInfo.InvariantCulture)).Append(outcome.Total == 1 ? " section matches " : " sections match ")
                .Append("<strong>").Append(PortalLayout.Encode(shown!)).Append("</strong>")
                .Append(outcome.Total > outcome.Hits.Count ? $"; the best {outcome.Hits.Count} are shown" : "").Append(".</p>\n<ol class=\"results\">\n");
            foreach (var hit in outcome.Hits)
            {
                body.Append("<li><a href=\"").Append(PortalLayout.Encode(hit.Url)).Append("\">")
                    .Append(PortalLayout.Encode(hit.Section ?? hit.Title)).Append("</a>\n<div class=\"where\">")
                    .Append(PortalLayout.Encode(hit.Title));
                if (hit.Section is not null) body.Append(" › ").Append(PortalLayout.Encode(hit.Section));
                body.Append("</div>\n<p>").Append(HighlightedSnippet(hit)).Append("</p></li>\n");
            }
            body.Append("</ol>\n");
        }
        // A refused query is the reader's to fix (400); an empty box is just the search page (200).
        var status = outcome.Problem is QueryProblem.TooLong or QueryProblem.TooManyTerms ? StatusCodes.Status400BadRequest : StatusCodes.Status200OK;
        http.Response.Headers.CacheControl = PageCaching;
        var title = outcome.Problem == QueryProblem.None ? $"Search: {shown}" : "Search";
        return Results.Content(library.Layout.Render(title, body.ToString(), "/developers/search", shown), HtmlType, Encoding.UTF8, status);
    }

    private static string HighlightedSnippet(SearchHit hit)
    {
        var html = new StringBuilder();
        var at = 0;
        foreach (var h in hit.Highlights)
        {
            if (h.Start < at) continue;
            html.Append(PortalLayout.Encode(hit.Snippet[at..h.Start])).Append("<mark>")
                .Append(PortalLayout.Encode(hit.Snippet.Substring(h.Start, h.Length))).Append("</mark>");
            at = h.Start + h.Length;
        }
        return html.Append(PortalLayout.Encode(hit.Snippet[at..])).ToString();
    }

    private static IResult SearchJson(PortalSearch search, HttpContext http)
    {
        var outcome = search.Search(Query(http));
        if (outcome.Problem != QueryProblem.None)
            return Platform.Errors.ApiProblem.Validation("q", PortalSearch.Describe(outcome.Problem));
        http.Response.Headers.CacheControl = PageCaching;
        return TypedResults.Ok(new { query = Query(http), terms = outcome.Terms, total = outcome.Total, results = outcome.Hits });
    }

    private static async Task<IResult> StatusJson(PortalStatus status, HttpContext http)
    {
        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(await status.CurrentAsync());
    }

    private static async Task<IResult> StatusPage(PortalLibrary library, PortalStatus status, HttpContext http)
    {
        var report = await status.CurrentAsync();
        http.Response.Headers.CacheControl = "no-store";
        return Results.Content(library.Layout.Render("API status", StatusHtml.Render(report), "/developers/status", refreshSeconds: 30), HtmlType, Encoding.UTF8);
    }
}

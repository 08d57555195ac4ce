using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Switchboard.Platform.Errors;

namespace Switchboard.Developers;

/// <summary>A docs page as the portal serves it: the full HTML document, its ETag, and its sections for search.</summary>
public sealed record PortalPage(string Slug, string Title, string Path, byte[] Body, string ETag, IReadOnlyList<PageSection> Sections);

/// <summary>
/// Every page of docs/ (embedded in the assembly at build time), rendered once at start-up: the docs are static per
/// build, so each page's HTML, ETag and search sections are computed once and served from memory.
/// </summary>
public sealed class PortalLibrary
{
    public const string HomeSlug = "index";
    private const string ResourcePrefix = "docs/";

    /// <summary>The reading order of the navigation; a page not named here still appears, after these, by name.</summary>
    private static readonly string[] NavigationOrder =
    [
        HomeSlug, "getting-started", "authentication", "pagination", "errors", "rate-limits", "idempotency", "webhooks", "oauth-apps", "usage",
        "versioning", "changelog",
    ];

    private readonly Dictionary<string, PortalPage> _bySlug;

    public IReadOnlyList<PortalPage> Pages { get; }
    public IReadOnlyList<PortalLayout.NavItem> Navigation { get; }
    public PortalLayout Layout { get; }

    public PortalLibrary(Integrations.Catalog.ProviderCatalog catalog)
    {
        var assembly = typeof(PortalLibrary).Assembly;
        var sources = assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal) && n.EndsWith(".md", StringComparison.Ordinal))
            .Select(n => (Slug: n[ResourcePrefix.Length..^3], Markdown: Read(assembly, n)))
            .Concat(Integrations.Catalog.ProviderPages.Sources(catalog)) // a page per provider of the catalog, from its definition
            .OrderBy(s => Array.IndexOf(NavigationOrder, s.Slug) is var i && i >= 0 ? i : int.MaxValue)
            .ThenBy(s => s.Slug, StringComparer.Ordinal)
            .ToList();
        if (sources.Count == 0) throw new InvalidOperationException("No docs/*.md is embedded in the assembly; the developer portal has nothing to serve.");

        var rendered = sources.Select(s => (s.Slug, Page: PortalMarkdown.Render(s.Slug, s.Markdown, Generators))).ToList();
        Navigation = rendered.Select(r => new PortalLayout.NavItem(PathOf(r.Slug), r.Slug == HomeSlug ? "Overview" : r.Page.Title)).ToList();
        Layout = new PortalLayout(Navigation);
        Pages = rendered.Select(r =>
        {
            var html = Layout.Render(r.Page.Title, r.Page.Html, PathOf(r.Slug));
            var body = Encoding.UTF8.GetBytes(html);
            return new PortalPage(r.Slug, r.Page.Title, PathOf(r.Slug), body, ETagOf(body), r.Page.Sections);
        }).ToList();
        _bySlug = Pages.ToDictionary(p => p.Slug, StringComparer.Ordinal);
    }

    public PortalPage? Find(string slug) => _bySlug.GetValueOrDefault(slug);

    public static string PathOf(string slug) => slug == HomeSlug ? "/developers" : "/developers/" + slug;

    /// <summary>A strong validator of the exact bytes served (RFC 9110 §8.8.3).</summary>
    public static string ETagOf(byte[] body) => "\"" + Convert.ToHexStringLower(SHA256.HashData(body).AsSpan(0, 16)) + "\"";

    /// <summary>Markdown built from the code, for the <c>&lt;!-- generated: name --&gt;</c> markers in docs/.</summary>
    private static readonly Dictionary<string, Func<string>> Generators = new(StringComparer.Ordinal)
    {
        ["error-code-catalog"] = ErrorCodeCatalog,
        ["oauth-scopes"] = OAuthScopes,
    };

    private static string ErrorCodeCatalog()
    {
        var table = new StringBuilder();
        table.AppendLine("| `code` | HTTP status | meaning |").AppendLine("| --- | --- | --- |");
        foreach (var (code, status, meaning) in ErrorCodes.Catalog)
            table.Append(CultureInfo.InvariantCulture, $"| `{code}` | {status} {ApiProblem.TitleFor(status)} | {meaning.Replace("|", "\\|", StringComparison.Ordinal)} |").AppendLine();
        return table.ToString();
    }

    /// <summary>Every scope an app may register and a token may carry, from the resource registry, as the OpenAPI document lists them.</summary>
    private static string OAuthScopes()
    {
        var table = new StringBuilder();
        table.AppendLine("| scope | allows |").AppendLine("| --- | --- |");
        foreach (var (scope, description) in Docs.DocsSetup.ScopeDescriptions())
            table.Append(CultureInfo.InvariantCulture, $"| `{scope}` | {description.Replace("|", "\\|", StringComparison.Ordinal)} |").AppendLine();
        return table.ToString();
    }

    private static string Read(System.Reflection.Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }
}

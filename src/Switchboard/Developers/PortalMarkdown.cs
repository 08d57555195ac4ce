using System.Text;
using System.Text.RegularExpressions;
using Markdig;
using Markdig.Renderers;
using Markdig.Renderers.Html;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace Switchboard.Developers;

/// <summary>One heading-delimited part of a page, as plain text: what search indexes and links to.</summary>
/// <param name="Parent">For an h3, its h2: shown with the heading ("Verifying signatures › Go"), not indexed as one.</param>
public sealed record PageSection(string? Anchor, string Heading, string? Parent, string Text)
{
    public string DisplayHeading => Parent is null ? Heading : Parent + " › " + Heading;
}

/// <summary>A page rendered from Markdown: its HTML body, its title and its sections.</summary>
public sealed record RenderedMarkdown(string Title, string Html, IReadOnlyList<PageSection> Sections);

/// <summary>
/// Renders the portal's Markdown with Markdig: GitHub-style heading ids with a visible anchor link, links between docs
/// pages (<c>webhooks.md#retries</c>) turned into portal links, and <c>&lt;!-- generated: name --&gt;</c> markers
/// replaced by Markdown built from the code (so, e.g., the error-code catalog cannot drift from ErrorCodes).
/// </summary>
public static partial class PortalMarkdown
{
    // Raw HTML is off: the pages need none, and "<token>" in prose then shows as text instead of vanishing as a tag.
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder()
        .UseAutoIdentifiers(Markdig.Extensions.AutoIdentifiers.AutoIdentifierOptions.GitHub) // ids as GitHub makes them: "2026-11-22" keeps its digits (links point at dated entries)
        .UseAdvancedExtensions().DisableHtml().Build();

    public static RenderedMarkdown Render(string slug, string markdown, IReadOnlyDictionary<string, Func<string>> generators)
    {
        var document = Markdown.Parse(ExpandGenerated(slug, markdown, generators), Pipeline);
        foreach (var link in document.Descendants<LinkInline>())
            if (link.Url is { } url) link.Url = PortalLink(url);

        using var writer = new StringWriter();
        var renderer = new HtmlRenderer(writer);
        Pipeline.Setup(renderer);
        renderer.ObjectRenderers.Replace<Markdig.Renderers.Html.HeadingRenderer>(new AnchoredHeadingRenderer());
        renderer.Render(document);
        writer.Flush();

        var sections = Sections(document);
        var title = document.Descendants<HeadingBlock>().FirstOrDefault(h => h.Level == 1) is { } h1 ? Collapse(PlainText(h1)) : slug;
        return new RenderedMarkdown(title, writer.ToString(), sections);
    }

    [GeneratedRegex(@"<!--\s*generated:\s*([a-z0-9-]+)\s*-->")]
    private static partial Regex GeneratedMarker();

    /// <summary>Any other comment that starts a line is a note to the docs' authors (raw HTML is off, so it would show).</summary>
    [GeneratedRegex(@"^<!--[\s\S]*?-->[ \t]*(\r?\n)?", RegexOptions.Multiline)]
    private static partial Regex AuthorNote();

    private static string ExpandGenerated(string slug, string markdown, IReadOnlyDictionary<string, Func<string>> generators)
    {
        var expanded = GeneratedMarker().Replace(markdown, m => generators.TryGetValue(m.Groups[1].Value, out var generate)
            ? generate()
            // Fail at start-up, where a test sees it, rather than ship a page with a hole in it.
            : throw new InvalidOperationException($"docs/{slug}.md asks for generated content '{m.Groups[1].Value}', which does not exist."));
        return AuthorNote().Replace(expanded, "");
    }

    [GeneratedRegex(@"^(?<slug>[a-z0-9-]+)\.md(?<fragment>#[A-Za-z0-9_.-]*)?$")]
    private static partial Regex DocsLink();

    /// <summary>A link written for the repository (<c>rate-limits.md#headers</c>) as a portal link (<c>/developers/rate-limits#headers</c>).</summary>
    public static string PortalLink(string url)
    {
        var match = DocsLink().Match(url);
        if (!match.Success) return url;
        var slug = match.Groups["slug"].Value;
        return (slug == PortalLibrary.HomeSlug ? "/developers" : "/developers/" + slug) + match.Groups["fragment"].Value;
    }

    /// <summary>
    /// Splits the page at its h1–h3 headings; text before the first h2 belongs to the page's top. An h3 keeps its h2,
    /// since "Go" or "Added" alone says little in a list of results.
    /// </summary>
    private static List<PageSection> Sections(MarkdownDocument document)
    {
        var sections = new List<PageSection>();
        string? anchor = null, parent = null, h2 = null;
        var heading = "";
        var text = new StringBuilder();
        foreach (var block in document)
        {
            if (block is HeadingBlock { Level: <= 3 } h)
            {
                if (text.Length > 0 || heading.Length > 0) sections.Add(new PageSection(anchor, heading, parent, Collapse(text.ToString())));
                anchor = h.Level == 1 ? null : h.TryGetAttributes()?.Id;
                heading = Collapse(PlainText(h));
                if (h.Level < 3) h2 = h.Level == 2 ? heading : null;
                parent = h.Level == 3 ? h2 : null;
                text.Clear();
                continue;
            }
            text.Append(PlainText(block)).Append(' ');
        }
        if (text.Length > 0 || heading.Length > 0) sections.Add(new PageSection(anchor, heading, parent, Collapse(text.ToString())));
        return sections;
    }

    /// <summary>The words of a block as a reader sees them: inline text, code spans and the lines of code blocks.</summary>
    private static string PlainText(Block block)
    {
        var text = new StringBuilder();
        Append(block, text);
        return text.ToString();

        static void Append(Block block, StringBuilder text)
        {
            switch (block)
            {
                case LeafBlock { Inline: { } inline }:
                    foreach (var item in inline.Descendants<Inline>())
                    {
                        switch (item)
                        {
                            case LiteralInline literal: text.Append(literal.Content.AsSpan()); break;
                            case CodeInline code: text.Append(code.Content); break;
                            case LineBreakInline: text.Append(' '); break;
                            case AutolinkInline autolink: text.Append(autolink.Url); break;
                            case HtmlEntityInline entity: text.Append(entity.Transcoded.AsSpan()); break;
                        }
                    }
                    text.Append(' ');
                    break;
                case LeafBlock leaf:
                    text.Append(leaf.Lines.ToString()).Append(' ');
                    break;
                case ContainerBlock container:
                    foreach (var child in container) Append(child, text);
                    break;
            }
        }
    }

    private static string Collapse(string text) => string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));

    /// <summary>Headings with their id and a visible "#" link to themselves, so any section can be linked to.</summary>
    private sealed class AnchoredHeadingRenderer : HtmlObjectRenderer<HeadingBlock>
    {
        protected override void Write(HtmlRenderer renderer, HeadingBlock heading)
        {
            var tag = "h" + Math.Clamp(heading.Level, 1, 6).ToString(System.Globalization.CultureInfo.InvariantCulture);
            renderer.Write('<').Write(tag).WriteAttributes(heading).Write('>');
            renderer.WriteLeafInline(heading);
            if (heading.Level > 1 && heading.TryGetAttributes()?.Id is { } id)
                renderer.Write(" <a class=\"anchor\" href=\"#").WriteEscape(id).Write("\" aria-label=\"Link to this section\">#</a>");
            renderer.Write("</").Write(tag).WriteLine(">");
        }
    }
}

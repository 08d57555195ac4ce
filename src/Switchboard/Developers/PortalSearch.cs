using System.Globalization;

namespace Switchboard.Developers;

/// <summary>One hit: a section of a page, with a snippet of its text and where in the snippet the query's words are.</summary>
public sealed record SearchHit(string Page, string Title, string? Section, string Url, string Snippet, IReadOnlyList<Highlight> Highlights, double Score);

public readonly record struct Highlight(int Start, int Length);

public enum QueryProblem { None, Empty, TooLong, TooManyTerms }

public sealed record SearchOutcome(QueryProblem Problem, IReadOnlyList<string> Terms, int Total, IReadOnlyList<SearchHit> Hits);

/// <summary>
/// Full-text search over the docs, built once at start-up from the rendered pages (they are static per build). Words
/// are runs of letters and digits, compared case-insensitively. Every word of a query must occur in a section (its
/// text, its heading or its page's title) for the section to match; a word of three or more letters also matches
/// longer words it begins ("webhook" finds "webhooks") at half weight. Sections rank by how often the words occur,
/// with heading and title hits counting far more than body hits.
/// </summary>
public sealed class PortalSearch
{
    public const int MaxQueryLength = 200;
    public const int MaxTerms = 10;
    public const int MaxHits = 20;
    private const int HeadingWeight = 10, TitleWeight = 4, MinPrefixLength = 3;
    private const double PrefixWeight = 0.5;

    private sealed record Entry(PortalPage Page, int Order, PageSection Section, Dictionary<string, int> Body, HashSet<string> Heading, HashSet<string> Title);

    private readonly List<Entry> _entries = [];
    private readonly Dictionary<string, List<int>> _postings = new(StringComparer.Ordinal);
    private readonly string[] _terms;

    public PortalSearch(PortalLibrary library)
    {
        var order = 0;
        foreach (var page in library.Pages)
        {
            var title = Words(page.Title).ToHashSet(StringComparer.Ordinal);
            foreach (var section in page.Sections)
            {
                var body = new Dictionary<string, int>(StringComparer.Ordinal);
                foreach (var word in Words(section.Text)) body[word] = body.GetValueOrDefault(word) + 1;
                var entry = new Entry(page, order++, section, body, Words(section.Heading).ToHashSet(StringComparer.Ordinal), title);
                var index = _entries.Count;
                _entries.Add(entry);
                foreach (var term in body.Keys.Concat(entry.Heading).Concat(entry.Title).Distinct(StringComparer.Ordinal))
                {
                    if (!_postings.TryGetValue(term, out var list)) _postings[term] = list = [];
                    list.Add(index);
                }
            }
        }
        _terms = _postings.Keys.Order(StringComparer.Ordinal).ToArray();
    }

    public SearchOutcome Search(string? query)
    {
        var text = query?.Trim() ?? "";
        if (text.Length > MaxQueryLength) return new SearchOutcome(QueryProblem.TooLong, [], 0, []);
        var terms = Words(text).Distinct(StringComparer.Ordinal).ToList();
        if (terms.Count == 0) return new SearchOutcome(QueryProblem.Empty, [], 0, []);
        if (terms.Count > MaxTerms) return new SearchOutcome(QueryProblem.TooManyTerms, terms, 0, []);

        Dictionary<int, double>? scores = null;
        foreach (var term in terms)
        {
            var forTerm = new Dictionary<int, double>();
            foreach (var (indexed, weight) in Expand(term))
            {
                foreach (var i in _postings[indexed])
                {
                    var e = _entries[i];
                    var score = weight * (e.Body.GetValueOrDefault(indexed) + (e.Heading.Contains(indexed) ? HeadingWeight : 0) + (e.Title.Contains(indexed) ? TitleWeight : 0));
                    // The best way a section matches this word counts (not the sum over "webhook", "webhooks", …).
                    if (score > forTerm.GetValueOrDefault(i)) forTerm[i] = score;
                }
            }
            // AND: a section stays only if it matched every word so far.
            scores = scores is null ? forTerm : scores.Where(s => forTerm.ContainsKey(s.Key)).ToDictionary(s => s.Key, s => s.Value + forTerm[s.Key]);
            if (scores.Count == 0) break;
        }

        var ranked = scores!.OrderByDescending(s => s.Value).ThenBy(s => _entries[s.Key].Order).ToList();
        var hits = ranked.Take(MaxHits).Select(s =>
        {
            var e = _entries[s.Key];
            var (snippet, highlights) = Snippet(e.Section.Text, terms);
            var url = e.Section.Anchor is null ? e.Page.Path : e.Page.Path + "#" + e.Section.Anchor;
            var section = e.Section.Anchor is null ? null : e.Section.DisplayHeading;
            return new SearchHit(e.Page.Slug, e.Page.Title, section, url, snippet, highlights, Math.Round(s.Value, 2));
        }).ToList();
        return new SearchOutcome(QueryProblem.None, terms, ranked.Count, hits);
    }

    /// <summary>The indexed words a query word matches: itself, and (at half weight) longer words it begins.</summary>
    private IEnumerable<(string Term, double Weight)> Expand(string term)
    {
        if (_postings.ContainsKey(term)) yield return (term, 1);
        if (term.Length < MinPrefixLength) yield break;
        var at = Array.BinarySearch(_terms, term, StringComparer.Ordinal);
        for (var i = at >= 0 ? at + 1 : ~at; i < _terms.Length && _terms[i].StartsWith(term, StringComparison.Ordinal); i++)
            yield return (_terms[i], PrefixWeight);
    }

    /// <summary>About 220 characters around the first match, cut at spaces, with every match in it located.</summary>
    private static (string Snippet, List<Highlight> Highlights) Snippet(string text, IReadOnlyList<string> terms)
    {
        const int Before = 60, Length = 220;
        var matches = Matches(text, terms).ToList();
        var first = matches.Count > 0 ? matches[0].Start : 0;
        var start = Math.Max(0, first - Before);
        if (start > 0 && text.IndexOf(' ', start) is var space && space >= 0 && space < first) start = space + 1;
        var end = Math.Min(text.Length, start + Length);
        if (end < text.Length && text.LastIndexOf(' ', end - 1) is var cut && cut > first) end = cut;
        var prefix = start > 0 ? "… " : "";
        var snippet = prefix + text[start..end] + (end < text.Length ? " …" : "");
        var highlights = matches.Where(m => m.Start >= start && m.Start + m.Length <= end)
            .Select(m => new Highlight(m.Start - start + prefix.Length, m.Length)).ToList();
        return (snippet, highlights);
    }

    /// <summary>Where the query's words occur in a text, as whole words or (for words of 3+ letters) word beginnings.</summary>
    private static IEnumerable<Highlight> Matches(string text, IReadOnlyList<string> terms)
    {
        foreach (var (start, length) in WordSpans(text))
        {
            var word = text.Substring(start, length).ToLowerInvariant();
            var best = 0;
            foreach (var term in terms)
                if (word == term || (term.Length >= MinPrefixLength && word.StartsWith(term, StringComparison.Ordinal)))
                    best = Math.Max(best, term.Length);
            if (best > 0) yield return new Highlight(start, best);
        }
    }

    /// <summary>The words of a text: maximal runs of letters and digits, lower-cased.</summary>
    public static IEnumerable<string> Words(string text) => WordSpans(text).Select(s => text.Substring(s.Start, s.Length).ToLowerInvariant());

    private static IEnumerable<(int Start, int Length)> WordSpans(string text)
    {
        var start = -1;
        for (var i = 0; i <= text.Length; i++)
        {
            var inWord = i < text.Length && char.IsLetterOrDigit(text[i]);
            if (inWord && start < 0) start = i;
            else if (!inWord && start >= 0)
            {
                // A single "word" of hundreds of characters is a base64 blob or an attack, not something anyone searches.
                if (i - start <= 64) yield return (start, i - start);
                start = -1;
            }
        }
    }

    public static string Describe(QueryProblem problem) => problem switch
    {
        QueryProblem.Empty => "Type one or more words to search the documentation.",
        QueryProblem.TooLong => string.Create(CultureInfo.InvariantCulture, $"Search queries are at most {MaxQueryLength} characters; shorten yours."),
        QueryProblem.TooManyTerms => string.Create(CultureInfo.InvariantCulture, $"Search with at most {MaxTerms} words; every word must match, so fewer finds more."),
        _ => "",
    };
}

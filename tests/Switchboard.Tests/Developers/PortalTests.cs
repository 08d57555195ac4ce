using System.Net;
using System.Net.Http.Headers;
using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Platform.Errors;
using Switchboard.Tests.Infrastructure;
using Switchboard.Usage;

namespace Switchboard.Tests.Developers;

/// <summary>The developer portal's pages, search, headers and 404s, over real HTTP, checked against the docs/ folder itself.</summary>
public sealed class PortalTests(SqliteSwitchboard node) : IClassFixture<SqliteSwitchboard>
{
    [Fact]
    public async Task EveryDocsPageRendersAsHtmlWithItsTitleAndAppearsInTheNavigationOfEveryPage()
    {
        using var client = node.Client();
        var docs = DocsFolder.Pages();
        docs.Count.ShouldBeGreaterThanOrEqualTo(11);
        foreach (var (_, path, title) in docs)
        {
            var response = await client.GetAsync(path);
            var html = await response.Content.ReadAsStringAsync();
            response.StatusCode.ShouldBe(HttpStatusCode.OK, path);
            response.Content.Headers.ContentType!.MediaType.ShouldBe("text/html", path);
            response.Content.Headers.ContentType.CharSet.ShouldBe("utf-8");
            html.ShouldContain($"<title>{WebUtility.HtmlEncode(title)} · Switchboard developers</title>", Case.Sensitive, path);
            foreach (var other in docs)
                html.ShouldContain($"<a href=\"{other.Path}\"", Case.Sensitive, $"{path} links to {other.Path} in its navigation");
            html.ShouldContain($"<a href=\"{path}\" aria-current=\"page\">", Case.Sensitive, $"{path} marks itself as the current page");
            html.ShouldContain("<a href=\"/api/docs\">");
            html.ShouldContain("<a href=\"/api/redoc\">");
            html.ShouldNotContain("<script", Case.Insensitive);
        }
    }

    [Fact]
    public async Task HeadingsHaveAnchorsAndLinksBetweenDocsPointIntoThePortal()
    {
        using var client = node.Client();
        var html = await client.Http.GetStringAsync("/developers/webhooks");
        html.ShouldContain("<h2 id=\"verifying-signatures-standard-webhooks\">");
        html.ShouldContain("<a class=\"anchor\" href=\"#verifying-signatures-standard-webhooks\"");
        // authentication.md links to "errors.md#error-code-catalog": in the portal that is the rendered page's anchor.
        var authentication = await client.Http.GetStringAsync("/developers/authentication");
        authentication.ShouldContain("href=\"/developers/errors#error-code-catalog\"");
        authentication.ShouldNotContain(".md\"");
        (await client.Http.GetStringAsync("/developers/errors")).ShouldContain("<h2 id=\"error-code-catalog\">");
        // A trailing slash leads to the page's one address.
        var slashed = await client.GetAsync("/developers/webhooks/");
        slashed.StatusCode.ShouldBe(HttpStatusCode.OK);
        slashed.RequestMessage!.RequestUri!.AbsolutePath.ShouldBe("/developers/webhooks");
        // The reference pages the navigation promises are there.
        (await client.GetAsync("/api/docs")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await client.GetAsync("/api/redoc")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task TheErrorCodeCatalogListsEveryCodeOfErrorCodesWithItsStatus()
    {
        var codes = typeof(ErrorCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f is { IsLiteral: true } && f.FieldType == typeof(string)).Select(f => (string)f.GetRawConstantValue()!).ToList();
        codes.Count.ShouldBeGreaterThan(25);
        using var client = node.Client();
        var html = await client.Http.GetStringAsync("/developers/errors");
        var catalog = html[html.IndexOf("id=\"error-code-catalog\"", StringComparison.Ordinal)..];
        var rows = Regex.Matches(catalog, @"<tr>\s*<td><code>([a-z_]+)</code></td>\s*<td>(\d{3}) ").ToDictionary(m => m.Groups[1].Value, m => int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture));
        var missing = codes.Where(c => !rows.ContainsKey(c)).ToList();
        missing.ShouldBeEmpty("codes missing from the portal's catalog: " + string.Join(", ", missing));
        rows.Count.ShouldBe(codes.Count, "the catalog lists no code the service does not have");
        rows[ErrorCodes.RateLimited].ShouldBe(429);
        rows[ErrorCodes.InsufficientScope].ShouldBe(403);
        html.ShouldNotContain("generated:", Case.Sensitive, "the generated-content marker is replaced");
    }

    [Fact]
    public async Task SearchRanksThePageHoldingAWordFirst()
    {
        // The precondition is checked against docs/ itself, so an edit that spreads the word elsewhere says so here
        // (PKCE, the word this used before, spread with the OAuth guide).
        foreach (var (word, slug) in new[] { ("GCRA", "rate-limits"), ("lockout", "authentication") })
        {
            DocsFolder.PagesContaining(word).ShouldBe([slug], $"'{word}' should be on exactly one page for this test");
            using var client = node.Client();
            var json = await client.GetJsonAsync($"/developers/search.json?q={word.ToLowerInvariant()}");
            var results = json["results"]!.AsArray();
            results.Count.ShouldBeGreaterThan(0);
            results[0]!["page"]!.GetValue<string>().ShouldBe(slug);
            results.ShouldAllBe(r => r!["page"]!.GetValue<string>() == slug);
            results[0]!["url"]!.GetValue<string>().ShouldStartWith($"/developers/{slug}#");
            var top = results[0]!.AsObject();
            var snippet = top["snippet"]!.GetValue<string>();
            var highlight = top["highlights"]!.AsArray()[0]!;
            snippet.Substring(highlight["start"]!.GetValue<int>(), highlight["length"]!.GetValue<int>()).ShouldBe(word, StringCompareShould.IgnoreCase);

            var page = await client.GetAsync($"/developers/search?q={word}");
            page.StatusCode.ShouldBe(HttpStatusCode.OK);
            var html = await page.Content.ReadAsStringAsync();
            html.ShouldContain($"<mark>{word}</mark>", Case.Insensitive);
            html.ShouldContain($"<a href=\"{top["url"]!.GetValue<string>()}\">");
        }
    }

    [Fact]
    public async Task SearchRanksHeadingHitsAboveMentions()
    {
        using var client = node.Client();
        var results = (await client.GetJsonAsync("/developers/search.json?q=idempotency"))["results"]!.AsArray();
        results.Count.ShouldBeGreaterThan(3, "the word is on several pages");
        // The page titled "Idempotency" outranks every page that only mentions the header.
        results[0]!["page"]!.GetValue<string>().ShouldBe("idempotency");
        results[0]!["score"]!.GetValue<double>().ShouldBeGreaterThan(results[^1]!["score"]!.GetValue<double>());
    }

    [Fact]
    public async Task MultiWordQueriesMatchOnlySectionsHoldingEveryWord()
    {
        using var client = node.Client();
        async Task<int> Total(string q) => (await client.GetJsonAsync($"/developers/search.json?q={Uri.EscapeDataString(q)}"))["total"]!.GetValue<int>();

        var refresh = await Total("refresh");
        var reused = await Total("reused");
        var both = await Total("refresh reused");
        both.ShouldBeGreaterThan(0);
        both.ShouldBeLessThanOrEqualTo(Math.Min(refresh, reused));
        (await Total("REUSED Refresh")).ShouldBe(both, "case and order do not matter");
        // Each word is in the docs, never in the same section: AND finds nothing.
        (await Total("gcra")).ShouldBeGreaterThan(0);
        (await Total("pkce")).ShouldBeGreaterThan(0);
        (await Total("gcra pkce")).ShouldBe(0);
        // A word's beginning finds the longer word ("webhook" → "webhooks").
        (await Total("webhoo")).ShouldBeGreaterThanOrEqualTo(await Total("webhooks"));
    }

    [Fact]
    public async Task AQueryWithNoHitAnswersAFriendlyPage()
    {
        using var client = node.Client();
        var page = await client.GetAsync("/developers/search?q=zyzzyvaquux");
        page.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await page.Content.ReadAsStringAsync()).ShouldContain("Nothing in the documentation matches <strong>zyzzyvaquux</strong>");
        var json = await client.GetJsonAsync("/developers/search.json?q=zyzzyvaquux");
        json["total"]!.GetValue<int>().ShouldBe(0);
        json["results"]!.AsArray().ShouldBeEmpty();
    }

    [Theory]
    [InlineData("/developers/search", HttpStatusCode.OK, "Type one or more words")]
    [InlineData("/developers/search?q=", HttpStatusCode.OK, "Type one or more words")]
    [InlineData("/developers/search?q=%25%25%25+%2F%2F", HttpStatusCode.OK, "Type one or more words")]
    [InlineData("/developers/search?q=%00%01", HttpStatusCode.OK, "Type one or more words")]
    [InlineData("/developers/search?q=%00%FF%C3%28", HttpStatusCode.OK, "Nothing in the documentation matches")]
    [InlineData("/developers/search?q=a+b+c+d+e+f+g+h+i+j+k", HttpStatusCode.BadRequest, "at most 10 words")]
    [InlineData("/developers/search?q=webhooks&q=zzz", HttpStatusCode.OK, "match <strong>webhooks</strong>")]
    public async Task OddSearchQueriesAnswerAPageNeverAnError(string path, HttpStatusCode status, string expected)
    {
        using var client = node.Client();
        var response = await client.GetAsync(path);
        response.StatusCode.ShouldBe(status);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/html");
        (await response.Content.ReadAsStringAsync()).ShouldContain(expected);
    }

    [Fact]
    public async Task AnOverlongQueryIsRefusedKindly()
    {
        using var client = node.Client();
        var query = new string('w', 150) + " " + new string('x', 150);
        var page = await client.GetAsync($"/developers/search?q={query}");
        page.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        page.Content.Headers.ContentType!.MediaType.ShouldBe("text/html");
        (await page.Content.ReadAsStringAsync()).ShouldContain("at most 200 characters");
        await (await client.GetAsync($"/developers/search.json?q={query}")).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        await (await client.GetAsync("/developers/search.json?q=")).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        await (await client.GetAsync("/developers/search.json")).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
    }

    [Fact]
    public async Task TheQueryIsEchoedEncoded()
    {
        using var client = node.Client();
        var html = await client.Http.GetStringAsync("/developers/search?q=" + Uri.EscapeDataString("<script>alert(\"x\")</script> webhooks"));
        html.ShouldNotContain("<script>");
        html.ShouldContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; webhooks");
    }

    [Theory]
    [InlineData("/developers/no-such-page")]
    [InlineData("/developers/webhooks/deeper")]
    [InlineData("/developers/index")]
    [InlineData("/developers/..%2F..%2Fappsettings.json")]
    [InlineData("/developers/webhooks.md")]
    public async Task UnknownPagesAnswerAPortal404(string path)
    {
        using var client = node.Client();
        var response = await client.GetAsync(path);
        response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/html");
        var html = await response.Content.ReadAsStringAsync();
        html.ShouldContain("<h1>Page not found</h1>");
        html.ShouldContain("<a href=\"/developers/getting-started\">");
        response.Headers.GetValues("Content-Security-Policy").ShouldNotBeEmpty();
    }

    [Theory]
    [InlineData("/developers")]
    [InlineData("/developers/webhooks")]
    [InlineData("/developers/search?q=keys")]
    [InlineData("/developers/status")]
    [InlineData("/developers/nowhere")]
    public async Task PortalResponsesForbidScriptsWithAContentSecurityPolicy(string path)
    {
        using var client = node.Client();
        var response = await client.GetAsync(path);
        var policy = response.Headers.GetValues("Content-Security-Policy").Single();
        policy.ShouldContain("default-src 'none'");
        policy.ShouldContain("script-src 'none'");
        policy.ShouldContain("style-src 'self'");
        response.Headers.GetValues("X-Content-Type-Options").Single().ShouldBe("nosniff");
    }

    [Fact]
    public async Task PagesCarryAnETagAndAnswer304WhenItMatches()
    {
        using var client = node.Client();
        var first = await client.GetAsync("/developers/getting-started");
        var etag = first.Headers.ETag!;
        etag.IsWeak.ShouldBeFalse();
        first.Headers.CacheControl!.Public.ShouldBeTrue();

        using var conditional = new HttpRequestMessage(HttpMethod.Get, "/developers/getting-started");
        conditional.Headers.IfNoneMatch.Add(etag);
        var second = await client.Http.SendAsync(conditional);
        second.StatusCode.ShouldBe(HttpStatusCode.NotModified);
        (await second.Content.ReadAsByteArrayAsync()).ShouldBeEmpty();

        using var stale = new HttpRequestMessage(HttpMethod.Get, "/developers/getting-started");
        stale.Headers.TryAddWithoutValidation("If-None-Match", "\"not-this-one\", garbage\"");
        (await client.Http.SendAsync(stale)).StatusCode.ShouldBe(HttpStatusCode.OK);

        // The stylesheet the layout links to is served by the node itself (no CDN), cacheable for good.
        var href = Regex.Match(await first.Content.ReadAsStringAsync(), "<link rel=\"stylesheet\" href=\"([^\"]+)\"").Groups[1].Value;
        href.ShouldStartWith("/developers/portal.css?v=");
        var css = await client.GetAsync(WebUtility.HtmlDecode(href));
        css.StatusCode.ShouldBe(HttpStatusCode.OK);
        css.Content.Headers.ContentType!.MediaType.ShouldBe("text/css");
        css.Headers.CacheControl!.MaxAge.ShouldBe(TimeSpan.FromDays(365));
    }

    [Fact]
    public async Task ThePortalIsNeitherRateLimitedNorCountedAsApiUsage()
    {
        using var owner = node.Client();
        await owner.SignupAsync();
        var key = await owner.CreateKeyAsync(new { name = "tight", scopes = new[] { "contacts:read" }, rateLimit = new { requests = 2, windowSeconds = 3600 } });
        using var withKey = owner.Anonymous().WithApiKey(key["key"]!.GetValue<string>());

        foreach (var path in new[] { "/developers", "/developers/webhooks", "/developers/search?q=keys", "/developers/status.json", "/developers/nope" })
        {
            var response = await withKey.GetAsync(path);
            response.StatusCode.ShouldBeOneOf(HttpStatusCode.OK, HttpStatusCode.NotFound);
            response.Headers.Contains("X-RateLimit-Limit").ShouldBeFalse(path);
        }
        // Five portal requests with a key limited to two an hour: had they counted, this would be 429.
        var api = await withKey.GetAsync("/api/v1/me");
        api.StatusCode.ShouldBe(HttpStatusCode.OK);
        api.Headers.GetValues("X-RateLimit-Remaining").Single().ShouldBe("1");

        await node.Services.GetRequiredService<UsageRecorder>().FlushAsync(CancellationToken.None);
        var usage = await owner.GetJsonAsync($"/api/v1/api-keys/{key["id"]}/usage");
        usage["totals"]!["requests"]!.GetValue<long>().ShouldBe(1, "only the /api request is usage");
    }
}

/// <summary>The docs/ folder of the repository, read directly, as the independent truth the portal is checked against.</summary>
internal static class DocsFolder
{
    public static string Path()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Switchboard.slnx"))) return System.IO.Path.Combine(dir.FullName, "docs");
        throw new InvalidOperationException("The repository root (Switchboard.slnx) is not above the test binaries.");
    }

    public static List<(string Slug, string Path, string Title)> Pages() =>
        Directory.GetFiles(Path(), "*.md").Order(StringComparer.Ordinal).Select(file =>
        {
            var slug = System.IO.Path.GetFileNameWithoutExtension(file);
            var title = File.ReadLines(file).First(l => l.StartsWith("# ", StringComparison.Ordinal))[2..].Trim();
            return (slug, slug == "index" ? "/developers" : "/developers/" + slug, title);
        }).ToList();

    public static List<string> PagesContaining(string word)
    {
        var pattern = new Regex($@"(?<![\p{{L}}\p{{N}}]){Regex.Escape(word)}(?![\p{{L}}\p{{N}}])", RegexOptions.IgnoreCase);
        return Directory.GetFiles(Path(), "*.md").Where(f => pattern.IsMatch(File.ReadAllText(f)))
            .Select(f => System.IO.Path.GetFileNameWithoutExtension(f)).Order(StringComparer.Ordinal).ToList();
    }
}

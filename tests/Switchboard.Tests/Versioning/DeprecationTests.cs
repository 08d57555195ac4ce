using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Switchboard.Platform.Versioning;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Versioning;

/// <summary>The headers of deprecated operations, parsed by their RFCs' grammars.</summary>
public static partial class DeprecationHeaders
{

    /// <summary>RFC 9651 §3.3.7 sf-date: "@" and an integer (RFC 9745 §2.1).</summary>
    [GeneratedRegex("^@-?[0-9]{1,15}$")]
    private static partial Regex StructuredDate();

    /// <summary>RFC 9110 §5.6.7 IMF-fixdate, e.g. "Mon, 22 Nov 2027 00:00:00 GMT".</summary>
    [GeneratedRegex("^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT$")]
    private static partial Regex ImfFixdate();

    /// <summary>One link-value of RFC 8288 §3: "&lt;target&gt;" and its parameters.</summary>
    [GeneratedRegex("""<(?<target>[^>]*)>(?<params>(?:\s*;\s*[a-zA-Z*]+\s*=\s*(?:"[^"]*"|[^;,\s]+))*)""")]
    private static partial Regex LinkValue();

    public static List<(string Target, Dictionary<string, string> Parameters)> ParseLinks(string header) =>
        LinkValue().Matches(header).Select(m => (m.Groups["target"].Value,
            m.Groups["params"].Value.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(p => p.Split('=', 2)).ToDictionary(p => p[0].Trim(), p => p[1].Trim().Trim('"'), StringComparer.OrdinalIgnoreCase))).ToList();

    public static void ShouldAnnounceDeprecation(HttpResponseMessage response, DateTimeOffset deprecatedAt, DateTimeOffset sunsetAt, string anchor)
    {
        var what = $"{response.RequestMessage!.Method} {response.RequestMessage.RequestUri!.PathAndQuery} ({(int)response.StatusCode})";
        var deprecation = response.Headers.GetValues("Deprecation").Single();
        StructuredDate().IsMatch(deprecation).ShouldBeTrue($"{what}: Deprecation '{deprecation}' is not an RFC 9651 date");
        DateTimeOffset.FromUnixTimeSeconds(long.Parse(deprecation[1..], CultureInfo.InvariantCulture)).ShouldBe(deprecatedAt);

        var sunset = response.Headers.GetValues("Sunset").Single();
        ImfFixdate().IsMatch(sunset).ShouldBeTrue($"{what}: Sunset '{sunset}' is not an IMF-fixdate");
        DateTimeOffset.ParseExact(sunset, "r", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal).ShouldBe(sunsetAt);

        var links = ParseLinks(response.Headers.GetValues("Link").Single());
        var link = links.SingleOrDefault(l => l.Parameters.GetValueOrDefault("rel") == "deprecation");
        link.Target.ShouldBe($"/developers/changelog#{anchor}", what);
        link.Parameters["type"].ShouldBe("text/html");
    }

}

/// <summary>v1 contacts are deprecated (CrmApi.ContactsV1); every response of theirs says so, and nothing else does.</summary>
public abstract class DeprecationTests<TFactory>(TFactory node) : IClassFixture<TFactory> where TFactory : SwitchboardFactory
{
    private static readonly DateTimeOffset DeprecatedAt = new(2026, 11, 22, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset SunsetAt = new(2027, 11, 22, 0, 0, 0, TimeSpan.Zero);

    private static void ShouldAnnounceDeprecation(HttpResponseMessage response, DateTimeOffset deprecatedAt, DateTimeOffset sunsetAt, string anchor) =>
        DeprecationHeaders.ShouldAnnounceDeprecation(response, deprecatedAt, sunsetAt, anchor);

    private static List<(string Target, Dictionary<string, string> Parameters)> ParseLinks(string header) => DeprecationHeaders.ParseLinks(header);

    private static bool AnnouncesDeprecation(HttpResponseMessage response) =>
        response.Headers.Contains("Deprecation") || response.Headers.Contains("Sunset") ||
        (response.Headers.TryGetValues("Link", out var links) && links.Any(l => ParseLinks(l).Any(v => v.Parameters.GetValueOrDefault("rel") == "deprecation")));

    [Fact]
    public async Task EveryV1ContactsOperationAnnouncesItsDeprecationAndSunset()
    {
        using var client = node.Client();
        using var anonymous = client.Anonymous();
        await client.SignupAsync();
        var created = await client.SendRawAsync(HttpMethod.Post, "/api/v1/contacts", """{"firstName":"Old","email":"old@example.com"}""");
        var id = (await ApiClient.ReadAsync(created))["id"]!.GetValue<string>();

        var responses = new[]
        {
            created,
            await client.GetAsync("/api/v1/contacts"),
            await client.GetAsync($"/api/v1/contacts/{id}"),
            await client.SendRawAsync(HttpMethod.Patch, $"/api/v1/contacts/{id}", """{"notes":"still here"}"""),
            await client.DeleteAsync($"/api/v1/contacts/{id}"),
            // Errors too: a client learns about the sunset whatever it gets back.
            await client.GetAsync($"/api/v1/contacts/{id}"),
            await client.SendRawAsync(HttpMethod.Post, "/api/v1/contacts", """{"email":"nope"}"""),
            await anonymous.GetAsync("/api/v1/contacts"),
        };
        responses.Select(r => (int)r.StatusCode).ShouldBe([201, 200, 200, 200, 204, 404, 400, 401]);
        foreach (var response in responses) ShouldAnnounceDeprecation(response, DeprecatedAt, SunsetAt, "2026-11-22");
    }

    [Fact]
    public async Task OperationsThatAreNotDeprecatedSendNoDeprecationHeaders()
    {
        using var client = node.Client();
        await client.SignupAsync();
        var responses = new[]
        {
            await client.SendRawAsync(HttpMethod.Post, "/api/v2/contacts", """{"name":{"first":"New"}}"""),
            await client.GetAsync("/api/v2/contacts"),
            await client.GetAsync("/api/v1/leads"),
            await client.GetAsync("/api/v1/api-keys"),
            await client.GetAsync("/health"),
            await client.GetAsync("/api/v1/nothing-here"),
        };
        responses.Select(r => (int)r.StatusCode).ShouldBe([201, 200, 200, 200, 200, 404]);
        foreach (var response in responses)
            AnnouncesDeprecation(response).ShouldBeFalse($"{response.RequestMessage!.RequestUri!.PathAndQuery} announces a deprecation");
    }

    [Fact]
    public async Task ListPagingKeepsItsNextLinkBesideTheDeprecationLink()
    {
        using var client = node.Client();
        await client.SignupAsync();
        for (var i = 0; i < 3; i++)
            (await client.SendRawAsync(HttpMethod.Post, "/api/v1/contacts", $$"""{"firstName":"P{{i}}"}""")).StatusCode.ShouldBe(HttpStatusCode.Created);

        var first = await client.GetAsync("/api/v1/contacts?limit=2");
        first.StatusCode.ShouldBe(HttpStatusCode.OK);
        ShouldAnnounceDeprecation(first, DeprecatedAt, SunsetAt, "2026-11-22");
        // One Link field holding both links (RFC 8288 §3), so a client that reads one Link header sees both.
        var links = ParseLinks(first.Headers.GetValues("Link").Single());
        links.Select(l => l.Parameters["rel"]).ShouldBe(["next", "deprecation"]);
        var next = links[0].Target;
        next.ShouldStartWith("/api/v1/contacts?limit=2&cursor=");

        var second = await client.GetAsync(next);
        second.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await ApiClient.ReadAsync(second))["data"]!.AsArray().Count.ShouldBe(1);
        // The last page has no next link; the deprecation link stays alone.
        ParseLinks(second.Headers.GetValues("Link").Single()).Select(l => l.Parameters["rel"]).ShouldBe(["deprecation"]);
    }
}

public sealed class DeprecationTestsOnSqlite(SqliteSwitchboard node) : DeprecationTests<SqliteSwitchboard>(node);
public sealed class DeprecationTestsOnPostgres(PostgresSwitchboard node) : DeprecationTests<PostgresSwitchboard>(node);

/// <summary>A node on which the whole of v2 is deprecated: one declaration marks every v2 operation, in headers and documents.</summary>
public sealed class NodeWithV2Deprecated : SqliteSwitchboard
{
    public static readonly Deprecation V2Deprecation = new(new DateOnly(2030, 1, 1), new DateOnly(2031, 6, 30), "v2-retired");

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services =>
        {
            services.RemoveAll<ApiVersions>();
            services.AddSingleton(new ApiVersions([ApiVersions.V1, ApiVersions.V2 with { Deprecation = V2Deprecation }]));
        });
    }
}

public sealed class VersionDeprecationTests(NodeWithV2Deprecated node) : IClassFixture<NodeWithV2Deprecated>
{
    [Fact]
    public async Task DeprecatingAWholeVersionMarksEachOfItsOperations()
    {
        using var client = node.Client();
        await client.SignupAsync();
        var created = await client.SendRawAsync(HttpMethod.Post, "/api/v2/contacts", """{"name":{"first":"Later"}}""");
        created.StatusCode.ShouldBe(HttpStatusCode.Created);
        var deprecation = NodeWithV2Deprecated.V2Deprecation;
        DeprecationHeaders.ShouldAnnounceDeprecation(created, deprecation.DeprecatedAt, deprecation.SunsetAt, "v2-retired");
        DeprecationHeaders.ShouldAnnounceDeprecation(await client.GetAsync("/api/v2/contacts"), deprecation.DeprecatedAt, deprecation.SunsetAt, "v2-retired");
        // v1 contacts keep their own, operation-level deprecation; the rest of v1 has none.
        DeprecationHeaders.ShouldAnnounceDeprecation(await client.GetAsync("/api/v1/contacts"),
            new DateTimeOffset(2026, 11, 22, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2027, 11, 22, 0, 0, 0, TimeSpan.Zero), "2026-11-22");
        (await client.GetAsync("/api/v1/leads")).Headers.Contains("Deprecation").ShouldBeFalse();

        var v2 = JsonNode.Parse(await client.Http.GetStringAsync("/api/openapi/v2.json"))!;
        var operations = v2["paths"]!.AsObject().SelectMany(p => p.Value!.AsObject().Select(o => o.Value!)).ToList();
        operations.Count.ShouldBe(5);
        operations.ShouldAllBe(o => o["deprecated"]!.GetValue<bool>());
    }
}

using System.Net;
using System.Text.RegularExpressions;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Developers;

/// <summary>A deprecated operation's <c>Link rel="deprecation"</c> leads to a portal page, to the very entry it names.</summary>
public sealed class DeprecationLinkTests(SqliteSwitchboard node) : IClassFixture<SqliteSwitchboard>
{
    [Fact]
    public async Task TheDeprecationLinkOfV1ContactsPointsAtAnEntryOfTheChangelog()
    {
        using var client = node.Client();
        await client.SignupAsync();
        var response = await client.GetAsync("/api/v1/contacts");
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var link = string.Join(", ", response.Headers.GetValues("Link"));
        var target = Regex.Match(link, @"<([^>]+)>;\s*rel=""deprecation""").Groups[1].Value;
        target.ShouldStartWith("/developers/");
        var (path, anchor) = (target.Split('#')[0], target.Split('#')[1]);

        var page = await client.GetAsync(path);
        page.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await page.Content.ReadAsStringAsync()).ShouldContain($"id=\"{anchor}\"");
    }
}

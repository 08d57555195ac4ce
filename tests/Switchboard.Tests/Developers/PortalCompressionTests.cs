using System.IO.Compression;
using System.Net;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Developers;

/// <summary>Portal pages and their stylesheet travel compressed to clients that accept it.</summary>
public sealed class PortalCompressionTests(SqliteSwitchboard node) : IClassFixture<SqliteSwitchboard>
{
    [Fact]
    public async Task PagesAreGzippedForClientsThatAskAndPlainForOthers()
    {
        using var client = node.Client();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/developers/webhooks");
        request.Headers.AcceptEncoding.ParseAdd("gzip");
        var compressed = await client.Http.SendAsync(request);
        compressed.StatusCode.ShouldBe(HttpStatusCode.OK);
        compressed.Content.Headers.ContentEncoding.ShouldContain("gzip");
        await using var gzip = new GZipStream(await compressed.Content.ReadAsStreamAsync(), CompressionMode.Decompress);
        var html = await new StreamReader(gzip).ReadToEndAsync();

        var plain = await client.GetAsync("/developers/webhooks");
        plain.Content.Headers.ContentEncoding.ShouldBeEmpty();
        html.ShouldBe(await plain.Content.ReadAsStringAsync());
        html.ShouldContain("<html");
    }
}

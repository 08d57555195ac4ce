using System.Net;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Platform;

/// <summary>RFC 9110 §9.3.2: HEAD answers what GET would, headers and all, without the content.</summary>
public sealed class HeadRequestTests(SqliteSwitchboard node) : IClassFixture<SqliteSwitchboard>
{
    [Fact]
    public async Task HeadAnswersLikeGetWithoutTheBodyWhereverGetIsServed()
    {
        using var client = node.Client();
        await client.SignupAsync();
        var created = await ApiClient.ReadAsync(await client.PostAsync("/api/v1/contacts", new { firstName = "Ada" }));
        var path = $"/api/v1/contacts/{created["id"]}";

        var get = await client.GetAsync(path);
        using var head = await client.Http.SendAsync(new HttpRequestMessage(HttpMethod.Head, path));
        head.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await head.Content.ReadAsByteArrayAsync()).ShouldBeEmpty();
        head.Headers.ETag.ShouldBe(get.Headers.ETag);
        head.Content.Headers.ContentType!.MediaType.ShouldBe("application/json");
        head.Headers.Contains("X-Request-Id").ShouldBeTrue();
        head.Headers.Contains("X-RateLimit-Remaining").ShouldBeTrue();
        // A record is sent in one piece with its length (RFC 9110 §8.6), which HEAD reports too.
        var body = await get.Content.ReadAsByteArrayAsync();
        get.Content.Headers.ContentLength.ShouldBe(body.Length);
        get.Headers.TransferEncodingChunked.ShouldNotBe(true);
        head.Content.Headers.ContentLength.ShouldBe(body.Length);

        // A missing record: the same 404 status as GET, still without content.
        using var missing = await client.Http.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/api/v1/contacts/con_01JD4V2Q8M3ZC5X7T9W1E6R0YB"));
        missing.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await missing.Content.ReadAsByteArrayAsync()).ShouldBeEmpty();

        foreach (var page in (string[])["/alive", "/health", "/developers", "/api/v1/contacts"])
        {
            using var response = await client.Http.SendAsync(new HttpRequestMessage(HttpMethod.Head, page));
            response.StatusCode.ShouldBe(HttpStatusCode.OK, page);
            (await response.Content.ReadAsByteArrayAsync()).ShouldBeEmpty(page);
        }

        // Only where GET is served: a POST-only path still refuses HEAD.
        using var login = await client.Http.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/api/v1/auth/login"));
        login.StatusCode.ShouldBe(HttpStatusCode.MethodNotAllowed);
    }
}

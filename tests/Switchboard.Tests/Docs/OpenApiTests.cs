using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Docs;

public sealed class OpenApiTests(SqliteSwitchboard node) : IClassFixture<SqliteSwitchboard>
{
    [Fact]
    public async Task TheDocumentIsOpenApi31AndDescribesEveryMappedOperation()
    {
        using var client = node.Client();
        var response = await client.GetAsync("/api/openapi/v1.json");
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var document = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        document["openapi"]!.GetValue<string>().ShouldStartWith("3.1");
        document["components"]!["securitySchemes"]!["bearer"].ShouldNotBeNull();
        var paths = document["paths"]!.AsObject();

        // Every /api/v1 endpoint the running app maps, by method and path, must be in the document.
        var mapped = node.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/api/v1", StringComparison.Ordinal) == true)
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? []).Where(m => m != "HEAD").Select(m => (Method: m.ToLowerInvariant(), Path: e.RoutePattern.RawText!.TrimEnd('/'))))
            .Distinct().ToList();
        mapped.Count.ShouldBeGreaterThan(80);
        var missing = mapped.Where(m => paths[m.Path]?[m.Method] is null).Select(m => $"{m.Method.ToUpperInvariant()} {m.Path}").ToList();
        missing.ShouldBeEmpty("operations missing from the document: " + string.Join(", ", missing));

        var operationIds = paths.SelectMany(p => p.Value!.AsObject().Where(o => o.Value is JsonObject).Select(o => o.Value!["operationId"]?.GetValue<string>())).ToList();
        operationIds.ShouldAllBe(id => !string.IsNullOrEmpty(id), "every operation has an operationId");
        operationIds.Distinct().Count().ShouldBe(operationIds.Count, "operationIds are unique");
    }

    [Fact]
    public async Task PatchBodiesDescribeTheirFieldsByTheirRealTypes()
    {
        using var client = node.Client();
        var schemas = JsonNode.Parse(await client.Http.GetStringAsync("/api/openapi/v1.json"))!["components"]!["schemas"]!;
        // Optional<T> (absent / null / value) must read as T, not as an opaque object.
        schemas["ContactInput"]!["properties"]!["email"]!["type"]!.GetValue<string>().ShouldBe("string");
        schemas["DealInput"]!["properties"]!["amount"]!["type"]!.ToJsonString().ShouldContain("number");
        schemas["DealInput"]!["properties"]!["amount"]!.AsObject().ContainsKey("const").ShouldBeFalse();
    }

    [Fact]
    public async Task TheInteractiveReferenceAndTheReadingViewAreServed()
    {
        using var client = node.Client();
        var docs = await client.GetAsync("/api/docs/index.html");
        docs.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await docs.Content.ReadAsStringAsync()).ShouldContain("swagger-ui");
        var redoc = await client.GetAsync("/api/redoc/index.html");
        redoc.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await redoc.Content.ReadAsStringAsync()).ShouldContain("redoc-container");
        // The page's script and the ReDoc bundle are served by the node itself (no CDN: the docs work offline).
        (await client.GetAsync("/api/redoc/index.js")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await client.GetAsync("/api/redoc/redoc.standalone.js")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }
}

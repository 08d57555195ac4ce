using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Versioning;

/// <summary>/api/openapi/v2.json describes v2; the v1 document marks what v2 replaces as deprecated.</summary>
public sealed class VersionDocumentsTests(SqliteSwitchboard node) : IClassFixture<SqliteSwitchboard>
{
    private static readonly string[] ContactOperations = ["listContacts", "createContact", "getContact", "updateContact", "deleteContact"];

    private async Task<JsonObject> DocumentAsync(string name)
    {
        using var client = node.Client();
        var response = await client.GetAsync($"/api/openapi/{name}.json");
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
    }

    private static Dictionary<string, JsonObject> Operations(JsonObject document) =>
        document["paths"]!.AsObject()
            .SelectMany(p => p.Value!.AsObject().Select(o => (Key: $"{o.Key.ToUpperInvariant()} {p.Key}", Operation: o.Value!.AsObject())))
            .ToDictionary(x => x.Key, x => x.Operation);

    [Fact]
    public async Task TheV2DocumentDescribesTheV2ContactOperationsInTheirShape()
    {
        var v2 = await DocumentAsync("v2");
        v2["openapi"]!.GetValue<string>().ShouldStartWith("3.1");
        v2["info"]!["version"]!.GetValue<string>().ShouldBe("v2");
        var operations = Operations(v2);
        operations.Keys.Order(StringComparer.Ordinal).ShouldBe([
            "DELETE /api/v2/contacts/{id}", "GET /api/v2/contacts", "GET /api/v2/contacts/{id}", "PATCH /api/v2/contacts/{id}", "POST /api/v2/contacts"]);
        // SDK generators see the same operation names as in v1.
        operations.Values.Select(o => o["operationId"]!.GetValue<string>()).Order(StringComparer.Ordinal).ShouldBe(ContactOperations.Order(StringComparer.Ordinal));
        operations.Values.ShouldAllBe(o => o["deprecated"] == null);

        var v1 = await DocumentAsync("v1");
        var schemes = v2["components"]!["securitySchemes"]!.AsObject();
        // The schemes v2 uses are v1's (the admin token, for operator endpoints only v1 has, is left out as unused).
        // OAuth apps' tokens work on v2 as on every /api version.
        schemes.Select(s => s.Key).Order(StringComparer.Ordinal).ShouldBe(["apiKey", "bearer", "oauth2"]);
        foreach (var (name, scheme) in schemes) JsonNode.DeepEquals(scheme, v1["components"]!["securitySchemes"]![name]).ShouldBeTrue(name);

        var schemas = v2["components"]!["schemas"]!;
        var response = schemas["ContactResponse"]!;
        response["properties"]!["name"]!["$ref"]!.GetValue<string>().ShouldBe("#/components/schemas/PersonName");
        response["properties"]!.AsObject().ContainsKey("firstName").ShouldBeFalse();
        schemas["PersonName"]!["properties"]!.AsObject().Select(p => p.Key).ShouldBe(["first", "last"]);
        response["properties"]!["company"]!.ToJsonString().ShouldContain("#/components/schemas/ContactCompany");
        var input = schemas["ContactInput"]!;
        input["properties"]!["name"]!["$ref"]!.GetValue<string>().ShouldBe("#/components/schemas/PersonNameInput");
        input["properties"]!["email"]!["type"]!.GetValue<string>().ShouldBe("string"); // Optional<T> reads as T here too
        input["additionalProperties"]!.GetValue<bool>().ShouldBeFalse();
    }

    [Fact]
    public async Task TheV1DocumentMarksTheContactOperationsDeprecatedAndNothingElse()
    {
        var document = await DocumentAsync("v1");
        var operations = Operations(document);
        var deprecated = operations.Where(o => o.Value["deprecated"]?.GetValue<bool>() == true).ToList();
        deprecated.Select(o => o.Value["operationId"]!.GetValue<string>()).Order(StringComparer.Ordinal).ShouldBe(ContactOperations.Order(StringComparer.Ordinal));
        foreach (var (_, operation) in deprecated)
        {
            operation["description"]!.GetValue<string>().ShouldContain("2027-11-22");
            operation["description"]!.GetValue<string>().ShouldContain("/developers/changelog#2026-11-22");
            foreach (var (_, reference) in operation["responses"]!.AsObject())
            {
                // Problem responses are shared components (a deprecated operation's own ones): follow the reference.
                var response = reference!["$ref"]?.GetValue<string>() is { } target
                    ? document["components"]!["responses"]![target["#/components/responses/".Length..]]!
                    : reference;
                response["headers"]!["Deprecation"]!["example"]!.GetValue<string>().ShouldBe("@1795305600");
                response["headers"]!["Sunset"]!["example"]!.GetValue<string>().ShouldBe("Mon, 22 Nov 2027 00:00:00 GMT");
            }
        }
        operations.Keys.ShouldAllBe(k => !k.Contains("/api/v2/", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("v1")]
    [InlineData("v2")]
    public async Task EachVersionsDocumentDescribesEveryOperationMappedUnderItAndNoOther(string version)
    {
        var operations = Operations(await DocumentAsync(version));
        var mapped = node.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith($"/api/{version}/", StringComparison.Ordinal) == true)
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? []).Where(m => m != "HEAD").Select(m => $"{m} {e.RoutePattern.RawText!.TrimEnd('/')}"))
            .ToHashSet(StringComparer.Ordinal);
        mapped.ShouldNotBeEmpty();
        operations.Keys.ToHashSet(StringComparer.Ordinal).SetEquals(mapped).ShouldBeTrue(
            $"documented but not mapped: {string.Join(", ", operations.Keys.Except(mapped))}; mapped but not documented: {string.Join(", ", mapped.Except(operations.Keys))}");
    }

    [Fact]
    public async Task TheInteractiveReferenceListsBothVersions()
    {
        using var client = node.Client();
        var script = await client.Http.GetStringAsync("/api/docs/index.js");
        script.ShouldContain("\"url\":\"/api/openapi/v1.json\"");
        script.ShouldContain("\"url\":\"/api/openapi/v2.json\"");
    }
}

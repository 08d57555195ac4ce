using System.Net;
using System.Text.Json.Nodes;
using Switchboard.Platform.Auth;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.OAuth;

/// <summary>
/// The documents a third-party developer meets: the OpenAPI document's oauth2 scheme and its flows, Swagger UI's
/// Authorize, and the portal guide with its scope table and runnable example.
/// </summary>
public sealed class OAuthOpenApiTests(SqliteSwitchboard node) : IClassFixture<SqliteSwitchboard>
{
    private async Task<JsonObject> DocumentAsync()
    {
        using var client = node.Client();
        return JsonNode.Parse(await client.Http.GetStringAsync("/api/openapi/v1.json"))!.AsObject();
    }

    [Fact]
    public async Task TheDocumentDeclaresTheOAuth2SchemeWithBothFlowsAndEveryScope()
    {
        var document = await DocumentAsync();
        var scheme = document["components"]!["securitySchemes"]!["oauth2"]!;
        scheme["type"]!.GetValue<string>().ShouldBe("oauth2");
        var code = scheme["flows"]!["authorizationCode"]!;
        code["authorizationUrl"]!.GetValue<string>().ShouldBe("/oauth/authorize");
        code["tokenUrl"]!.GetValue<string>().ShouldBe("/oauth/token");
        code["refreshUrl"]!.GetValue<string>().ShouldBe("/oauth/token");
        scheme["flows"]!["clientCredentials"]!["tokenUrl"]!.GetValue<string>().ShouldBe("/oauth/token");
        scheme["flows"]!.AsObject().Select(f => f.Key).Order().ToArray().ShouldBe(["authorizationCode", "clientCredentials"], "no implicit or password flow (RFC 9700 §2.1.2, §2.4)");

        var scopes = code["scopes"]!.AsObject().Select(s => s.Key).ToHashSet();
        foreach (var resource in Scopes.Resources)
        {
            scopes.ShouldContain(Scopes.Read(resource));
            scopes.ShouldContain(Scopes.Write(resource));
        }
        scopes.ShouldContain("oauth_apps:write");
        scopes.ShouldContain("admin");
        scheme["flows"]!["clientCredentials"]!["scopes"]!.AsObject().Count.ShouldBe(scopes.Count);
        // The bearer and API-key schemes stay.
        document["components"]!["securitySchemes"]!.AsObject().Select(s => s.Key).ShouldBeSubsetOf(["bearer", "apiKey", "adminToken", "oauth2"]);
        document["components"]!["securitySchemes"]!["bearer"].ShouldNotBeNull();
    }

    [Fact]
    public async Task OperationsNameTheirScopeUnderTheOAuth2Scheme()
    {
        var paths = (await DocumentAsync())["paths"]!;
        JsonArray Security(string path, string method) => paths[path]![method]!["security"]!.AsArray();
        string[] OAuthScopes(string path, string method) =>
            Security(path, method).Single(r => r!.AsObject().ContainsKey("oauth2"))!["oauth2"]!.AsArray().Select(s => s!.GetValue<string>()).ToArray();

        OAuthScopes("/api/v1/contacts", "get").ShouldBe(["contacts:read"]);
        OAuthScopes("/api/v1/oauth/apps", "post").ShouldBe(["oauth_apps:write"]);
        OAuthScopes("/api/v1/oauth/apps/{id}/rotate-secret", "post").ShouldBe(["oauth_apps:write"]);
        OAuthScopes("/api/v1/oauth/authorizations", "get").ShouldBeEmpty("any credentials; who the caller is decides what it sees");
        Security("/api/v1/contacts", "get").Select(r => r!.AsObject().Single().Key).ShouldBe(["bearer", "apiKey", "oauth2"]);
        Security("/api/v1/auth/login", "post").Count.ShouldBe(0);
        foreach (var operation in new[] { ("/api/v1/oauth/apps", "get"), ("/api/v1/oauth/apps/{id}", "patch"), ("/api/v1/oauth/apps/{id}", "delete"),
                     ("/api/v1/oauth/authorizations/{id}", "delete") })
            paths[operation.Item1]![operation.Item2]!["operationId"].ShouldNotBeNull();
    }

    [Fact]
    public async Task SwaggerUiAuthorizesWithCodeAndPkceAndServesItsRedirectPage()
    {
        using var client = node.Client();
        var redirect = await client.GetAsync("/api/docs/oauth2-redirect.html");
        redirect.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await redirect.Content.ReadAsStringAsync()).ShouldContain("oauth2");
        var script = await client.Http.GetStringAsync("/api/docs/index.js");
        script.ShouldContain("\"usePkceWithAuthorizationCodeGrant\":true");
        script.ShouldContain("oauth2-redirect.html");
    }

    [Fact]
    public async Task ThePortalGuideListsEveryScopeAndItsExampleIsValidJavaScript()
    {
        using var client = node.Client();
        var html = await (await client.GetAsync("/developers/oauth-apps")).Content.ReadAsStringAsync();
        html.ShouldContain("<h1");
        html.ShouldContain("Build an OAuth app");
        foreach (var scope in Scopes.Resources.SelectMany(r => new[] { Scopes.Read(r), Scopes.Write(r) }).Append("admin"))
            html.ShouldContain($"<code>{scope}</code>");
        (await client.Http.GetStringAsync("/developers")).ShouldContain("/developers/oauth-apps");

        // The runnable example parses as a module under the Node.js the guide asks for (18+).
        var markdown = await File.ReadAllTextAsync(Path.Combine(Switchboard.Tests.Developers.DocsFolder.Path(), "oauth-apps.md"));
        var start = markdown.IndexOf("```js\n", StringComparison.Ordinal) + "```js\n".Length;
        var script = markdown[start..markdown.IndexOf("```", start, StringComparison.Ordinal)];
        script.ShouldContain("code_challenge_method: 'S256'");
        var file = Path.Combine(Path.GetTempPath(), $"connect-{Guid.NewGuid():N}.mjs");
        await File.WriteAllTextAsync(file, script);
        try
        {
            var run = await ExternalProcess.RunAsync("node", ["--check", file], TimeSpan.FromSeconds(30));
            run.ExitCode.ShouldBe(0, run.ToString());
        }
        finally { File.Delete(file); }
    }
}

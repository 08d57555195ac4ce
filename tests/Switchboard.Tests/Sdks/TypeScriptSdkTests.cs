using System.Net;
using System.Text.Json.Nodes;
using Switchboard.Tests.Infrastructure;
using Switchboard.Tests.OAuth.Interop;
using Xunit.Abstractions;

namespace Switchboard.Tests.Sdks;

/// <summary>
/// The TypeScript SDK (sdks/typescript) against a live node on a loopback port: a world is made through the public API
/// (an owner and organization, an API key, a key limited to one request per five seconds, a confidential OAuth app), then
/// the SDK's live tests (sdks/typescript/test/live, run by Node's test runner on the built package) do CRUD, pagination,
/// retries of real 429s and of 503s from a fault-injecting proxy, idempotent replays, typed errors, webhook verification
/// with their own receiver, and OAuth client credentials. The node's side is checked here too.
/// </summary>
public abstract class TypeScriptSdkTests<TFactory>(TFactory node, ITestOutputHelper output) : IClassFixture<TFactory> where TFactory : SwitchboardFactory
{
    [Fact(Timeout = 300_000)]
    public async Task TheSdksLiveTestsPassAgainstTheNode()
    {
        using var owner = node.Client();
        var email = $"sdk-ts-{Guid.NewGuid():N}@example.com";
        await owner.SignupAsync(email, InteropWorld.Password, "SDK Org");
        var key = await owner.CreateKeyAsync(new { name = "TypeScript SDK", scopes = new[] { "*:read", "*:write" } });
        var limited = await owner.CreateKeyAsync(new { name = "TypeScript SDK, limited", scopes = new[] { "contacts:read" }, rateLimit = new { requests = 1, windowSeconds = 5 } });
        var app = await InteropWorld.CreateAppAsync(owner, $"TypeScript SDK app {Guid.NewGuid():N}"[..32], "confidential");

        var run = await TypeScriptSdk.TestAsync("test/live", new Dictionary<string, string>
        {
            ["SWITCHBOARD_URL"] = owner.Http.BaseAddress!.GetLeftPart(UriPartial.Authority),
            ["SWITCHBOARD_API_KEY"] = key["key"]!.GetValue<string>(),
            ["SWITCHBOARD_LIMITED_API_KEY"] = limited["key"]!.GetValue<string>(),
            ["SWITCHBOARD_OAUTH_CLIENT_ID"] = app.ClientId,
            ["SWITCHBOARD_OAUTH_CLIENT_SECRET"] = app.ClientSecret!,
            ["SWITCHBOARD_USER_EMAIL"] = email,
            ["SWITCHBOARD_USER_PASSWORD"] = InteropWorld.Password,
        });
        output.WriteLine(run.Run.Output);

        run.Run.ExitCode.ShouldBe(0, run.ToString());
        run.Failed.ShouldBe(0, run.ToString());
        run.Passed.ShouldBeGreaterThanOrEqualTo(12, run.ToString());

        // What the node recorded: the two POSTs whose answers were lost made one contact each, not two.
        var once = await owner.GetJsonAsync("/api/v1/contacts?q=Once&limit=100");
        once["data"]!.AsArray().Count.ShouldBe(2, once.ToJsonString());
        // The limited key met its limit (the 429 the SDK waited out), and the webhook endpoint got its delivery.
        // Usage is recorded in batches (Switchboard:Usage:FlushSeconds), hence the wait.
        var usagePath = $"/api/v1/api-keys/{limited["id"]!.GetValue<string>()}/usage";
        var keyUsage = await owner.GetJsonAsync(usagePath);
        for (var i = 0; i < 50 && !keyUsage.ToJsonString().Contains("429"); i++)
        {
            await Task.Delay(200);
            keyUsage = await owner.GetJsonAsync(usagePath);
        }
        keyUsage.ToJsonString().ShouldContain("429");
        var hooks = (await owner.GetJsonAsync("/api/v1/webhooks"))["data"]!.AsArray();
        hooks.ShouldBeEmpty("the SDK's test deletes the endpoint it made");
    }
}

public sealed class TypeScriptSdkTestsOnSqlite(SqliteSwitchboard node, ITestOutputHelper output) : TypeScriptSdkTests<SqliteSwitchboard>(node, output);

public sealed class TypeScriptSdkTestsOnPostgres(PostgresSwitchboard node, ITestOutputHelper output) : TypeScriptSdkTests<PostgresSwitchboard>(node, output);

/// <summary>The SDK's checks that need no node: generated types in step with the OpenAPI snapshot, and its unit tests.</summary>
public sealed class TypeScriptSdkPackageTests
{
    [Fact(Timeout = 120_000)]
    public async Task TheCommittedTypesAreWhatOpenApiTypescriptMakesOfTheSnapshot()
    {
        await TypeScriptSdk.EnsureBuiltAsync();
        var run = await TypeScriptSdk.RunNodeAsync(["scripts/check-generated.mjs"], TimeSpan.FromSeconds(90));
        run.ExitCode.ShouldBe(0, run.ToString());
        run.Output.ShouldContain("matches the OpenAPI snapshot");
    }

    [Fact(Timeout = 120_000)]
    public async Task TheDriftCheckFailsWhenTheSnapshotChanges()
    {
        await TypeScriptSdk.EnsureBuiltAsync();
        var snapshot = Path.Combine(TypeScriptSdk.Directory, "..", "..", "tests", "Switchboard.Tests", "Docs", "openapi-v1.snapshot.json");
        var document = JsonNode.Parse(await File.ReadAllTextAsync(snapshot))!.AsObject();
        document["paths"]!["/api/v1/contacts"]!["get"]!["summary"] = "A summary the committed types do not have";
        var changed = Path.Combine(Path.GetTempPath(), $"switchboard-openapi-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(changed, document.ToJsonString());
        try
        {
            var run = await TypeScriptSdk.RunNodeAsync(["scripts/check-generated.mjs"], TimeSpan.FromSeconds(90),
                new Dictionary<string, string> { ["SWITCHBOARD_OPENAPI_SNAPSHOT"] = changed });
            run.ExitCode.ShouldBe(1, run.ToString());
            run.Error.ShouldContain("npm run generate");
        }
        finally
        {
            File.Delete(changed);
        }
    }

    [Fact(Timeout = 180_000)]
    public async Task ATypeScriptConsumerGetsTypedMethodsFromTheEsmAndCommonJsBuilds()
    {
        await TypeScriptSdk.EnsureBuiltAsync();
        // test/types compiles a consumer of the built package; its @ts-expect-error lines fail it if misuse stops being an error.
        var run = await TypeScriptSdk.RunNodeAsync(["node_modules/typescript/bin/tsc", "-p", "test/types"], TimeSpan.FromSeconds(150));
        run.ExitCode.ShouldBe(0, run.ToString());
    }

    [Fact(Timeout = 180_000)]
    public async Task TheSdksUnitTestsPassIncludingTheOperationCoverageCheck()
    {
        var run = await TypeScriptSdk.TestAsync("test/unit");
        run.Run.ExitCode.ShouldBe(0, run.ToString());
        run.Failed.ShouldBe(0, run.ToString());
        run.Passed.ShouldBeGreaterThanOrEqualTo(20, run.ToString());
        run.Run.Output.ShouldMatch(@"(?m)^ok \d+ - every operation of the v1 document has a method in the SDK$");
    }
}

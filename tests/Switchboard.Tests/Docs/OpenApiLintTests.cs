using System.Text.Json.Nodes;
using Switchboard.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Switchboard.Tests.Docs;

/// <summary>The served OpenAPI document, checked by an independent linter: Redocly CLI with tests/node/redocly.yaml.</summary>
public sealed class OpenApiLintTests(SqliteSwitchboard node, ITestOutputHelper output) : IClassFixture<SqliteSwitchboard>
{
    private static readonly TimeSpan LintTimeout = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task TheServedDocumentPassesRedoclysRecommendedRules()
    {
        using var client = node.Client();
        var run = await LintAsync(await client.Http.GetStringAsync("/api/openapi/v1.json"));

        output.WriteLine(run.ToString()); // the warnings, which do not fail the run
        run.ExitCode.ShouldBe(0, run.ToString());
        run.Error.ShouldContain("openapi.json", customMessage: "the linter read the document\n" + run);
    }

    [Fact]
    public async Task TheLinterFailsADocumentWithAnError()
    {
        // The same document with two operations sharing one operationId (rule operation-operationId-unique, an error):
        // proves a finding of that severity really fails the lint test above.
        using var client = node.Client();
        var document = JsonNode.Parse(await client.Http.GetStringAsync("/api/openapi/v1.json"))!;
        var contacts = document["paths"]!["/api/v1/contacts"]!;
        contacts["post"]!["operationId"] = contacts["get"]!["operationId"]!.GetValue<string>();

        var run = await LintAsync(document.ToJsonString());

        run.ExitCode.ShouldNotBe(0, run.ToString());
        (run.Output + run.Error).ShouldContain("operation-operationId-unique", customMessage: run.ToString());
    }

    private static async Task<ToolRun> LintAsync(string document)
    {
        var folder = Directory.CreateTempSubdirectory("switchboard-lint-");
        try
        {
            var file = Path.Combine(folder.FullName, "openapi.json");
            await File.WriteAllTextAsync(file, document);
            return await NodeTools.RunAsync("redocly",
                ["lint", file, "--config", Path.Combine(NodeTools.ToolsDirectory, "redocly.yaml"), "--max-problems", "1000"], LintTimeout);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}

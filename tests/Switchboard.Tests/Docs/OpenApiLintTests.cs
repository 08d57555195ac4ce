using System.Text.Json.Nodes;
using Switchboard.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Switchboard.Tests.Docs;

/// <summary>The served OpenAPI document, checked by an independent linter: Redocly CLI with tests/node/redocly.yaml.</summary>
public sealed class OpenApiLintTests(SqliteSwitchboard node, ITestOutputHelper output) : IClassFixture<SqliteSwitchboard>
{
    private static readonly TimeSpan LintTimeout = TimeSpan.FromMinutes(2);

    [Theory]
    [InlineData("v1")]
    [InlineData("v2")]
    public async Task TheServedDocumentPassesRedoclysRecommendedRulesWithoutAWarning(string version)
    {
        using var client = node.Client();
        var document = await client.Http.GetStringAsync($"/api/openapi/{version}.json");
        var run = await LintAsync(document);
        output.WriteLine(run.ToString());
        run.ExitCode.ShouldBe(0, run.ToString());
        run.Error.ShouldContain("openapi.json", customMessage: "the linter read the document\n" + run);

        // Warnings do not change the exit code; the JSON report counts them, and there must be none either.
        var report = await LintAsync(document, "json");
        var totals = JsonNode.Parse(report.Output)!["totals"]!;
        totals["errors"]!.GetValue<int>().ShouldBe(0, report.Output);
        totals["warnings"]!.GetValue<int>().ShouldBe(0, report.Output);
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

    private static async Task<ToolRun> LintAsync(string document, string format = "codeframe")
    {
        var folder = Directory.CreateTempSubdirectory("switchboard-lint-");
        try
        {
            var file = Path.Combine(folder.FullName, "openapi.json");
            await File.WriteAllTextAsync(file, document);
            return await NodeTools.RunAsync("redocly",
                ["lint", file, "--config", Path.Combine(NodeTools.ToolsDirectory, "redocly.yaml"), "--max-problems", "1000", "--format", format], LintTimeout);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}

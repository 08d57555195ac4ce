using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Docs;

/// <summary>
/// v1 is a promise: the live v1 document may grow, but nothing a client relies on may go (see
/// <see cref="OpenApiCompatibility"/> for what counts). The promise is the committed snapshot
/// <c>tests/Switchboard.Tests/Docs/openapi-v1.snapshot.json</c>.
/// <para>After an intended change (an addition, or a breaking change that went through deprecation and sunset), refresh
/// the snapshot and commit it with the change:</para>
/// <code>UPDATE_OPENAPI_SNAPSHOT=1 ./test.sh --filter "FullyQualifiedName~OpenApiSnapshotTests"</code>
/// </summary>
public sealed class OpenApiSnapshotTests(SqliteSwitchboard node) : IClassFixture<SqliteSwitchboard>
{
    public const string UpdateVariable = "UPDATE_OPENAPI_SNAPSHOT";

    [Fact]
    public async Task TheLiveV1DocumentBreaksNothingInTheCommittedSnapshot()
    {
        using var client = node.Client();
        var response = await client.GetAsync("/api/openapi/v1.json");
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var live = Normalize(JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject());

        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1")
        {
            await File.WriteAllTextAsync(SnapshotFile.Path, live.ToJsonString(new JsonSerializerOptions
            {
                WriteIndented = true,
                // Readable diffs: "sbk_…", not "sbk_\u2026" (the file is data, never embedded in HTML).
                Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            }) + "\n");
            File.Exists(SnapshotFile.Path).ShouldBeTrue();
            return;
        }

        File.Exists(SnapshotFile.Path).ShouldBeTrue($"No snapshot at {SnapshotFile.Path}; make one with {UpdateVariable}=1.");
        var problems = OpenApiCompatibility.BreakingChanges(SnapshotFile.Read(), live);
        problems.ShouldBeEmpty(
            "The v1 document breaks clients of the committed snapshot:\n  " + string.Join("\n  ", problems) +
            $"\nKeep v1 compatible (add a v2 instead, docs/versioning.md), or, for an intended change, refresh the snapshot: " +
            $"{UpdateVariable}=1 ./test.sh --filter \"FullyQualifiedName~OpenApiSnapshotTests\"");
    }

    [Fact]
    public void TheSnapshotIsTheV1DocumentWithItsContactOperations()
    {
        // Guards against a snapshot refreshed from the wrong document or emptied by mistake, which would promise nothing.
        var snapshot = SnapshotFile.Read();
        snapshot["info"]!["version"]!.GetValue<string>().ShouldBe("v1");
        var paths = snapshot["paths"]!.AsObject();
        paths.Count.ShouldBeGreaterThan(40);
        paths.Select(p => p.Key).ShouldAllBe(p => p.StartsWith("/api/v1", StringComparison.Ordinal));
        paths["/api/v1/contacts/{id}"]!["get"]!["operationId"]!.GetValue<string>().ShouldBe("getContact");
        snapshot.ContainsKey("servers").ShouldBeFalse("the node's address changes every run; it is not part of the promise");
    }

    /// <summary>What is stored: the document without <c>servers</c> (the test node's random port).</summary>
    private static JsonObject Normalize(JsonObject document)
    {
        document.Remove("servers");
        return document;
    }
}

public static class SnapshotFile
{
    /// <summary>In the source tree (found from the test binaries upwards), so that a refresh lands where git sees it.</summary>
    public static string Path { get; } = Locate();

    public static JsonObject Read() => JsonNode.Parse(File.ReadAllText(Path))!.AsObject();

    private static string Locate()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Switchboard.slnx")))
                return System.IO.Path.Combine(dir.FullName, "tests", "Switchboard.Tests", "Docs", "openapi-v1.snapshot.json");
        throw new InvalidOperationException("Switchboard.slnx not found above " + AppContext.BaseDirectory);
    }
}

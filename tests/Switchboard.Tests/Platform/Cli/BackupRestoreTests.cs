using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Platform.Cli;

/// <summary>
/// The operator commands docs/operations.md gives, run as it gives them, against the built service as a separate process
/// on a SQLite file: <c>admin health</c> (the container's health check), <c>admin backup --to</c> (refused while a node
/// holds the file exclusively, a consistent copy once it is stopped) and <c>admin restore --from</c> (the database as it
/// was at the backup, which a node then serves).
/// </summary>
public sealed class BackupRestoreTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "switchboard-tests", $"backup-{Guid.NewGuid():N}");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task TheDocumentedCommandsCheckHealthBackUpAndRestoreASqliteNode()
    {
        var operations = await File.ReadAllTextAsync(Path.Combine(NodeTools.RepositoryRoot()!, "docs", "operations.md"));
        foreach (var documented in new[] { "admin health [--url", "dotnet Switchboard.dll admin backup --to ", "dotnet Switchboard.dll admin restore --from " })
            operations.ShouldContain(documented);

        var port = ServiceProcess.FreePort();
        var env = new Dictionary<string, string>
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
            ["ConnectionStrings__Switchboard"] = $"Data Source={Path.Combine(_dir, "switchboard.db")}",
            ["Switchboard__Encryption__Key"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["Switchboard__Auth__PasswordHashIterations"] = "10000",
            ["Logging__LogLevel__Default"] = "Warning",
        };
        var backup = Path.Combine(_dir, "backups", "switchboard-backup.db");
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };

        string token, kept, after;
        using (var node = ServiceProcess.Start(env))
        {
            await node.WaitHealthyAsync(http);
            (await AdminAsync(env, "health")).ShouldBe(0, "the node answers /health (its URL from ASPNETCORE_URLS)");
            token = (await (await http.PostAsJsonAsync("/api/v1/auth/signup",
                new { email = "backup@example.com", password = "backup test password", name = "B", organizationName = "B" })).Content.ReadFromJsonAsync<JsonObject>())!["accessToken"]!.GetValue<string>();
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            kept = await CreateContactAsync(http, "Kept");

            var refused = await AdminRunAsync(env, "backup", "--to", backup);
            refused.ExitCode.ShouldBe(2, "the running node holds the file exclusively");
            refused.Output.ShouldContain("SqliteExclusive");
            File.Exists(backup).ShouldBeFalse();

            node.Terminate();
            (await node.WaitForExitAsync(TimeSpan.FromSeconds(60))).ShouldBe(0);
        }
        (await AdminAsync(env, "health")).ShouldBe(1, "nothing answers on the node's URL any more");

        var backedUp = await AdminRunAsync(env, "backup", "--to", backup);
        backedUp.ExitCode.ShouldBe(0, backedUp.Output);
        File.Exists(backup).ShouldBeTrue();
        (await AdminRunAsync(env, "backup", "--to", backup)).ExitCode.ShouldBe(2, "a backup never overwrites a file");

        // A write after the backup, which the restore takes back.
        using (var node = ServiceProcess.Start(env))
        {
            await node.WaitHealthyAsync(http);
            after = await CreateContactAsync(http, "After");
            node.Terminate();
            (await node.WaitForExitAsync(TimeSpan.FromSeconds(60))).ShouldBe(0);
        }

        var restored = await AdminRunAsync(env, "restore", "--from", backup);
        restored.ExitCode.ShouldBe(0, restored.Output);
        using (var node = ServiceProcess.Start(env))
        {
            await node.WaitHealthyAsync(http);
            (await http.GetAsync($"/api/v1/contacts/{kept}")).StatusCode.ShouldBe(HttpStatusCode.OK, "in the backup");
            (await http.GetAsync($"/api/v1/contacts/{after}")).StatusCode.ShouldBe(HttpStatusCode.NotFound, "written after the backup");
        }
    }

    private static async Task<string> CreateContactAsync(HttpClient http, string name)
    {
        using var response = await http.PostAsJsonAsync("/api/v1/contacts", new { firstName = name });
        response.StatusCode.ShouldBe(HttpStatusCode.Created);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();
    }

    private static async Task<int> AdminAsync(Dictionary<string, string> env, params string[] args) => (await AdminRunAsync(env, args)).ExitCode;

    /// <summary><c>dotnet Switchboard.dll admin …</c> with the node's environment, to its end.</summary>
    private static async Task<(int ExitCode, string Output)> AdminRunAsync(Dictionary<string, string> env, params string[] args)
    {
        using var process = ServiceProcess.Start(env, ["admin", .. args]);
        var exit = await process.WaitForExitAsync(TimeSpan.FromMinutes(2));
        return (exit, process.Output);
    }
}

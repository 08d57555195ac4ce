using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Platform;

/// <summary>
/// A service manager starts the binary from a directory of its own (<c>cd / &amp;&amp; dotnet /opt/switchboard/Switchboard.dll</c>):
/// the shipped appsettings.json beside the assembly still applies, and the database still goes under the working
/// directory (the contract's <c>data/switchboard.db</c>).
/// </summary>
public sealed class ContentRootTests : IDisposable
{
    private readonly string _workingDirectory = Directory.CreateTempSubdirectory("switchboard-cwd-").FullName;

    [Fact]
    public async Task StartedFromAnotherDirectoryTheNodeKeepsItsShippedSettingsAndItsDataUnderTheWorkingDirectory()
    {
        var port = ServiceProcess.FreePort();
        var env = new Dictionary<string, string>
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
        };
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
        using var node = ServiceProcess.StartIn(_workingDirectory, env);
        await node.WaitHealthyAsync(http);
        // Requests that run SQL: a signup writes, a list reads.
        var signup = await http.PostAsJsonAsync("/api/v1/auth/signup",
            new { email = $"cwd-{Guid.NewGuid():N}@example.com", password = "correct horse battery staple", name = "Cwd", organizationName = "Cwd" });
        signup.StatusCode.ShouldBe(HttpStatusCode.Created, node.Output);
        var token = (await ApiClient.ReadAsync(signup))["accessToken"]!.GetValue<string>();
        using (var list = new HttpRequestMessage(HttpMethod.Get, "/api/v1/contacts"))
        {
            list.Headers.Authorization = new("Bearer", token);
            (await http.SendAsync(list)).StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        // A graceful stop flushes the console logger's queue, so the output below is all there is.
        using (var term = Process.Start("kill", ["-TERM", node.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) await term.WaitForExitAsync();
        (await node.WaitForExitAsync(TimeSpan.FromSeconds(30))).ShouldBe(0, node.Output);

        var output = node.Output;
        output.ShouldContain("Application started", Case.Sensitive, "Microsoft.Hosting.Lifetime logs at Information");
        // appsettings.json: EF Core's commands at Critical, ASP.NET Core's per-request lines at Warning. Without it, every
        // SQL command and every request is logged at Information.
        output.ShouldNotContain("Microsoft.EntityFrameworkCore.Database.Command", Case.Sensitive, output);
        output.ShouldNotContain("Executed DbCommand", Case.Sensitive);
        output.ShouldNotContain("Request starting", Case.Sensitive);
        File.Exists(Path.Combine(_workingDirectory, "data", "switchboard.db")).ShouldBeTrue("the database goes under the working directory");
    }

    public void Dispose()
    {
        try { Directory.Delete(_workingDirectory, recursive: true); }
        catch (IOException) { }
    }
}

using System.Net;
using System.Reflection;
using System.Text.Json.Nodes;
using Switchboard.Client;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Sdks;

/// <summary>
/// The .NET SDK's surface without a node: one method per operation of the v1 snapshot, generated code that matches the
/// snapshot, a package that packs, and the Retry-After arithmetic.
/// </summary>
public sealed class DotNetSdkSurfaceTests
{
    private static string Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "sdks", "dotnet", "scripts", "generate.py"))) return dir.FullName;
        throw new InvalidOperationException("sdks/dotnet was not found above " + AppContext.BaseDirectory);
    }

    private static string Snapshot => Path.Combine(Root(), "tests", "Switchboard.Tests", "Docs", "openapi-v1.snapshot.json");

    [Fact]
    public void EveryOperationOfTheSnapshotHasAMethodOnTheClient()
    {
        var document = JsonNode.Parse(File.ReadAllText(Snapshot))!;
        var operations = document["paths"]!.AsObject()
            .SelectMany(p => p.Value!.AsObject().Where(m => m.Value is JsonObject o && o["operationId"] is not null).Select(m => m.Value!["operationId"]!.GetValue<string>()))
            .ToHashSet();
        operations.Count.ShouldBeGreaterThan(100);

        var methods = typeof(SwitchboardClient).GetProperties()
            .Where(p => p.PropertyType.Name.EndsWith("Resource", StringComparison.Ordinal))
            .SelectMany(p => p.PropertyType.GetMethods().Select(m => m.GetCustomAttribute<SwitchboardOperationAttribute>()?.OperationId))
            .OfType<string>()
            .ToList();
        operations.Except(methods).ShouldBeEmpty("operations of the snapshot without a method on a resource of SwitchboardClient");
        methods.Except(operations).ShouldBeEmpty("methods naming operations the snapshot does not have");
        methods.Count.ShouldBe(methods.Distinct().Count());
    }

    [Fact]
    public async Task TheGeneratedModelsAndMethodsMatchTheSnapshot()
    {
        var run = await ExternalProcess.RunAsync("/usr/bin/python3", ["sdks/dotnet/scripts/generate.py", "--check"], TimeSpan.FromSeconds(60), Root(),
            new Dictionary<string, string> { ["PYTHONDONTWRITEBYTECODE"] = "1" });
        run.ExitCode.ShouldBe(0, run.ToString());
        run.ToString().ShouldContain("up to date");
    }

    [Fact]
    public async Task TheClientPacksIntoANuGetPackage()
    {
#if DEBUG
        const string configuration = "Debug";
#else
        const string configuration = "Release";
#endif
        var output = Path.Combine(Path.GetTempPath(), $"switchboard-pack-{Guid.NewGuid():N}");
        try
        {
            // The test project references the client, so it is built already: packing it needs no second build.
            var run = await ExternalProcess.RunAsync("dotnet",
                ["pack", "sdks/dotnet/src/Switchboard.Client/Switchboard.Client.csproj", "--no-build", "--no-restore", "-c", configuration, "-o", output, "-nologo"],
                TimeSpan.FromSeconds(120), Root(), new Dictionary<string, string> { ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1" });
            run.ExitCode.ShouldBe(0, run.ToString());
            var package = Directory.GetFiles(output, "Switchboard.Client.*.nupkg").ShouldHaveSingleItem();
            using var zip = System.IO.Compression.ZipFile.OpenRead(package);
            zip.Entries.Select(e => e.FullName).ShouldContain("lib/net10.0/Switchboard.Client.dll");
            zip.Entries.Select(e => e.FullName).ShouldContain("lib/net10.0/Switchboard.Client.xml");
            zip.Entries.Select(e => e.FullName).ShouldContain("README.md");
        }
        finally
        {
            if (Directory.Exists(output)) Directory.Delete(output, recursive: true);
        }
    }

    [Fact]
    public void RetryAfterIsReadInSecondsAndAsAnHttpDate()
    {
        var clock = new TestClock();
        using var seconds = new HttpResponseMessage(HttpStatusCode.TooManyRequests);
        seconds.Headers.TryAddWithoutValidation("Retry-After", "7");
        SwitchboardResilience.RetryAfterOf(seconds, clock).ShouldBe(TimeSpan.FromSeconds(7));

        using var date = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
        date.Headers.TryAddWithoutValidation("Retry-After", clock.GetUtcNow().AddSeconds(42).ToString("r"));
        SwitchboardResilience.RetryAfterOf(date, clock).ShouldNotBeNull().TotalSeconds.ShouldBeInRange(40.5, 42);

        using var past = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
        past.Headers.TryAddWithoutValidation("Retry-After", clock.GetUtcNow().AddMinutes(-5).ToString("r"));
        SwitchboardResilience.RetryAfterOf(past, clock).ShouldBe(TimeSpan.Zero);

        using var none = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
        SwitchboardResilience.RetryAfterOf(none, clock).ShouldBeNull();
    }

    [Fact]
    public void OptionsWithTwoCredentialsAreRefused()
    {
        Should.Throw<ArgumentException>(() => new SwitchboardClient(new SwitchboardClientOptions { ApiKey = "k", AccessToken = "t" }))
            .Message.ShouldContain("only one");
    }
}

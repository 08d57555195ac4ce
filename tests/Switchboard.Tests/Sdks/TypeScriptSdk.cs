using System.Text.RegularExpressions;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Sdks;

/// <summary>What one <c>node --test</c> run of the SDK's tests reported (TAP), and how it ended.</summary>
public sealed record NodeTestRun(ToolRun Run)
{
    public int Passed => Count("pass");
    public int Failed => Count("fail");

    private int Count(string what) =>
        Regex.Match(Run.Output, $@"^# {what} (\d+)$", RegexOptions.Multiline) is { Success: true } m ? int.Parse(m.Groups[1].Value) : -1;

    public override string ToString() => Run.ToString();
}

/// <summary>
/// sdks/typescript, the TypeScript SDK: its node_modules come from test.sh (<c>npm ci</c> from its package-lock.json); it is
/// built once per test run, so the tests always run the current source's ES module build (dist/esm) and CommonJS build.
/// </summary>
public static class TypeScriptSdk
{
    private static readonly SemaphoreSlim BuildLock = new(1, 1);
    private static ToolRun? _build;

    public static string Directory =>
        NodeTools.RepositoryRoot() is { } root ? Path.Combine(root, "sdks", "typescript")
            : throw new InvalidOperationException("The repository root was not found above " + AppContext.BaseDirectory);

    /// <summary>Builds the package (tsc, ESM and CJS) the first time any test asks; fails every asking test if it fails.</summary>
    public static async Task EnsureBuiltAsync()
    {
        await BuildLock.WaitAsync();
        try
        {
            if (_build is null)
            {
                if (!File.Exists(Path.Combine(Directory, "node_modules", "typescript", "package.json")))
                    throw new InvalidOperationException("sdks/typescript/node_modules is not installed. Run the suite with ./test.sh, which runs " +
                                                        "`npm ci` there (or run it yourself in sdks/typescript).");
                _build = await RunNodeAsync(["scripts/build.mjs"], TimeSpan.FromMinutes(3));
            }
        }
        finally
        {
            BuildLock.Release();
        }
        _build.ExitCode.ShouldBe(0, "npm run build failed:\n" + _build);
    }

    /// <summary>Runs the test files under <paramref name="folder"/> (test/unit or test/live) with Node's test runner.</summary>
    public static async Task<NodeTestRun> TestAsync(string folder, IReadOnlyDictionary<string, string>? environment = null, int timeoutSeconds = 240)
    {
        await EnsureBuiltAsync();
        var files = System.IO.Directory.GetFiles(Path.Combine(Directory, folder), "*.test.mjs").Order(StringComparer.Ordinal)
            .Select(f => Path.GetRelativePath(Directory, f)).ToList();
        files.ShouldNotBeEmpty($"no test files in sdks/typescript/{folder}");
        return new NodeTestRun(await RunNodeAsync(["--test", "--test-reporter=tap", .. files], TimeSpan.FromSeconds(timeoutSeconds), environment));
    }

    public static Task<ToolRun> RunNodeAsync(IEnumerable<string> arguments, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment = null)
    {
        var variables = new Dictionary<string, string> { ["NO_COLOR"] = "1" };
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) variables[key] = value;
        return ExternalProcess.RunAsync(NodeTools.NodeExecutable(), arguments, timeout, Directory, variables);
    }
}

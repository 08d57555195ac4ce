using System.Diagnostics;
using System.Text;

namespace Switchboard.Tests.Infrastructure;

/// <summary>What a finished tool run printed, and how it ended.</summary>
public sealed record ToolRun(string Command, int ExitCode, string Output, string Error)
{
    /// <summary>Everything the tool said, for assertion messages.</summary>
    public override string ToString() => $"$ {Command}\nexit code {ExitCode}\n--- stdout ---\n{Output}\n--- stderr ---\n{Error}";
}

/// <summary>
/// The npm tools the suite runs (redocly, newman, oauth4webapi), installed by test.sh from tests/node/package-lock.json with
/// <c>npm ci</c>. A missing tool fails the test that needs it: these checks are part of the suite, not optional extras.
/// </summary>
public static class NodeTools
{
    public const string EnvironmentVariable = "SWITCHBOARD_TEST_NODE_BIN";

    /// <summary>The full path of an installed npm tool's executable.</summary>
    public static string Locate(string tool)
    {
        var bin = Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } set ? set : FindInRepository();
        var path = bin is null ? null : Path.Combine(bin, tool);
        if (path is null || !File.Exists(path))
            throw new InvalidOperationException(
                $"The npm tool '{tool}' is not installed{(bin is null ? "" : $" in {bin}")}. Run the suite with ./test.sh, which runs " +
                "`npm ci` in tests/node and sets " + EnvironmentVariable + ".");
        return path;
    }

    /// <summary>Runs an npm tool with no telemetry or update checks (the test machines have no internet).</summary>
    public static Task<ToolRun> RunAsync(string tool, IEnumerable<string> arguments, TimeSpan timeout, string? workingDirectory = null) =>
        ExternalProcess.RunAsync(Locate(tool), arguments, timeout, workingDirectory, new Dictionary<string, string>
        {
            ["REDOCLY_TELEMETRY"] = "off",
            ["REDOCLY_SUPPRESS_UPDATE_NOTICE"] = "true",
            ["NO_UPDATE_NOTIFIER"] = "1",
            ["NO_COLOR"] = "1",
        });

    /// <summary>Node.js from the PATH (test.sh requires it for npm).</summary>
    public static string NodeExecutable()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, "node");
            if (File.Exists(candidate)) return candidate;
        }
        throw new InvalidOperationException("node is not on the PATH: the suite runs npm tools and the TypeScript SDK's tests with Node.js 20 or later.");
    }

    /// <summary>The committed folder of the npm tools (its package.json and tool configurations).</summary>
    public static string ToolsDirectory =>
        RepositoryRoot() is { } root ? Path.Combine(root, "tests", "node")
            : throw new InvalidOperationException("tests/node was not found above " + AppContext.BaseDirectory);

    private static string? FindInRepository() =>
        RepositoryRoot() is { } root && Directory.Exists(Path.Combine(root, "tests", "node", "node_modules", ".bin"))
            ? Path.Combine(root, "tests", "node", "node_modules", ".bin")
            : null;

    public static string? RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "tests", "node", "package.json"))) return dir.FullName;
        return null;
    }
}

public static class ExternalProcess
{
    /// <summary>
    /// Runs a program to its end and captures what it prints. Past <paramref name="timeout"/> the whole process tree is
    /// killed and the run fails with what it had printed so far, so a hung tool cannot hang the suite.
    /// </summary>
    public static async Task<ToolRun> RunAsync(string fileName, IEnumerable<string> arguments, TimeSpan timeout,
        string? workingDirectory = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) start.Environment[key] = value;
        var command = string.Join(' ', new[] { fileName }.Concat(start.ArgumentList));

        using var process = new Process { StartInfo = start };
        var output = new StringBuilder();
        var error = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (error) error.AppendLine(e.Data); };
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            throw new TimeoutException($"Still running after {timeout.TotalSeconds:0} s, killed.\n" +
                                       new ToolRun(command, -1, Snapshot(output), Snapshot(error)));
        }
        // The exit is seen before the last redirected lines are; this waits for the streams to close.
        process.WaitForExit();
        return new ToolRun(command, process.ExitCode, Snapshot(output), Snapshot(error));
    }

    private static string Snapshot(StringBuilder text)
    {
        lock (text) return text.ToString();
    }
}

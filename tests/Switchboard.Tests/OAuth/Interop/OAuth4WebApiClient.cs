using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.OAuth.Interop;

/// <summary>What one scenario of the oauth4webapi client reported: its steps in order, and how it ended.</summary>
public sealed record ClientRun(int ExitCode, IReadOnlyList<JsonObject> Steps, string Output, string Error)
{
    public JsonObject Step(string name) =>
        Steps.FirstOrDefault(s => s["step"]?.GetValue<string>() == name) ?? throw new ShouldAssertException($"No step {name}.\n{this}");

    public IEnumerable<string> StepNames => Steps.Select(s => s["step"]!.GetValue<string>());

    public override string ToString() => $"exit code {ExitCode}\n--- stdout ---\n{Output}\n--- stderr ---\n{Error}";
}

/// <summary>
/// Runs tests/node/oauth-interop/client.mjs, the oauth4webapi client, with Node.js (oauth4webapi is installed by test.sh
/// with the other npm tools, from tests/node/package-lock.json). Its output is read as it comes: when the script asks for
/// a browser (<c>{"authorize": url}</c>), <paramref name="browser"/> takes the authorization request through the pages
/// and the script goes on once the browser reaches its loopback receiver.
/// </summary>
public static class OAuth4WebApiClient
{
    public static async Task<ClientRun> RunAsync(string scenario, JsonObject config, Func<string, Task>? browser = null, int timeoutSeconds = 150)
    {
        var script = Path.Combine(NodeTools.ToolsDirectory, "oauth-interop", "client.mjs");
        if (!Directory.Exists(Path.Combine(NodeTools.ToolsDirectory, "node_modules", "oauth4webapi")))
            throw new InvalidOperationException("oauth4webapi is not installed in tests/node. Run the suite with ./test.sh, which runs `npm ci` there.");
        var configFile = Path.Combine(Path.GetTempPath(), $"switchboard-oauth-interop-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(configFile, config.ToJsonString());
        try
        {
            var start = new ProcessStartInfo(NodeTools.NodeExecutable())
            {
                RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
                WorkingDirectory = NodeTools.ToolsDirectory,
            };
            start.ArgumentList.Add(script);
            start.ArgumentList.Add(scenario);
            start.ArgumentList.Add(configFile);
            start.Environment["NO_COLOR"] = "1";
            using var process = new Process { StartInfo = start };
            var lines = Channel.CreateUnbounded<string>();
            var output = new StringBuilder();
            var error = new StringBuilder();
            process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is null) lines.Writer.TryComplete();
                else
                {
                    lock (output) output.AppendLine(e.Data);
                    lines.Writer.TryWrite(e.Data);
                }
            };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (error) error.AppendLine(e.Data); };
            process.Start();
            process.StandardInput.Close();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();

            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds));
            var steps = new List<JsonObject>();
            try
            {
                await foreach (var line in lines.Reader.ReadAllAsync(deadline.Token))
                {
                    if (!line.StartsWith('{')) continue;
                    var message = JsonNode.Parse(line)!.AsObject();
                    if (message["authorize"] is { } url)
                    {
                        if (browser is null) throw new InvalidOperationException("The script asked for a browser, and this run has none.");
                        await browser(url.GetValue<string>());
                    }
                    else if (message.ContainsKey("step")) steps.Add(message);
                }
                await process.WaitForExitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
                throw new TimeoutException($"The oauth4webapi client was still running after {timeoutSeconds} s.\n{Snapshot(output)}\n{Snapshot(error)}");
            }
            catch
            {
                if (!process.HasExited) process.Kill(entireProcessTree: true);
                throw;
            }
            process.WaitForExit();
            return new ClientRun(process.ExitCode, steps, Snapshot(output), Snapshot(error));
        }
        finally
        {
            File.Delete(configFile);
        }
    }

    private static string Snapshot(StringBuilder text)
    {
        lock (text) return text.ToString();
    }
}

using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Switchboard.Tests.Infrastructure;

/// <summary>The service run as a separate process (src/Switchboard/bin/&lt;configuration&gt;/net10.0), as an operator runs it.</summary>
public sealed class ServiceProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ServiceProcess(Process process) => _process = process;

    public int Id => _process.Id;
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;

    /// <summary>What the process wrote to stdout and stderr so far.</summary>
    public string Output { get { lock (_output) return _output.ToString(); } }

    public static ServiceProcess Start(IReadOnlyDictionary<string, string> env, params string[] args) => StartIn(null, env, args);

    /// <summary>Started from <paramref name="workingDirectory"/> (the test's own when null), as a service manager starts it.</summary>
    public static ServiceProcess StartIn(string? workingDirectory, IReadOnlyDictionary<string, string> env, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        if (workingDirectory is not null) info.WorkingDirectory = workingDirectory;
        info.ArgumentList.Add(ServiceDll());
        foreach (var arg in args) info.ArgumentList.Add(arg);
        foreach (var (k, v) in env) info.Environment[k] = v;
        var service = new ServiceProcess(Process.Start(info)!);
        void Append(object _, DataReceivedEventArgs e) { if (e.Data is not null) lock (service._output) service._output.AppendLine(e.Data); }
        service._process.OutputDataReceived += Append;
        service._process.ErrorDataReceived += Append;
        service._process.BeginOutputReadLine();
        service._process.BeginErrorReadLine();
        return service;
    }

    /// <summary>SIGKILL: no shutdown, no flush.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited) _process.Kill();
        await _process.WaitForExitAsync();
    }

    /// <summary>SIGTERM, as <c>docker stop</c> and Kubernetes send it: the node's graceful stop.</summary>
    public void Terminate()
    {
        if (kill(_process.Id, SIGTERM) != 0)
            throw new InvalidOperationException($"kill({_process.Id}, SIGTERM) failed: errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}");
    }

    private const int SIGTERM = 15;

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try { await _process.WaitForExitAsync(cancel.Token); }
        catch (OperationCanceledException) { throw new TimeoutException($"The process did not exit within {timeout}. It wrote:\n{Output}"); }
        _process.WaitForExit(); // the redirected streams are read to their end
        return _process.ExitCode;
    }

    /// <summary>
    /// Waits until <c>GET /health</c> answers 200, for at most 2 minutes (a loaded CI machine starts a node slowly);
    /// fails at once, with what the process wrote, if it exits.
    /// </summary>
    public async Task WaitHealthyAsync(HttpClient http)
    {
        for (var deadline = DateTime.UtcNow.AddMinutes(2); DateTime.UtcNow < deadline && !HasExited; await Task.Delay(100))
        {
            try { if ((await http.GetAsync("/health")).IsSuccessStatusCode) return; }
            catch (HttpRequestException) { }
        }
        throw new TimeoutException($"The service did not become healthy{(HasExited ? $" (it exited with {ExitCode})" : "")}. It wrote:\n{Output}");
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The service as built for this test run (src/Switchboard/bin/&lt;configuration&gt;/net10.0).</summary>
    private static string ServiceDll()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Switchboard.slnx"))) dir = dir.Parent;
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name; // …/bin/<configuration>/net10.0/
        var dll = Path.Combine(dir!.FullName, "src", "Switchboard", "bin", configuration, "net10.0", "Switchboard.dll");
        if (!File.Exists(dll)) throw new InvalidOperationException($"The service must be built at {dll}.");
        return dll;
    }

    /// <summary>Kills the process (SIGKILL) if it still runs, and waits for it to be gone.</summary>
    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit(10_000);
        }
        _process.Dispose();
    }
}

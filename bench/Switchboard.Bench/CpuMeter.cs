using System.Diagnostics;
using System.Globalization;

namespace Switchboard.Bench;

/// <summary>
/// How busy the machine was while measuring, to judge how noisy the figures are: CPU time of the whole machine
/// (from /proc/stat) against this process's own. What is left is the PostgreSQL server, if measured, and anything
/// else running at the same time (another build, say).
/// </summary>
public sealed class CpuMeter
{
    private readonly long _started = Stopwatch.GetTimestamp();
    private readonly double? _machineBusy = MachineBusySeconds();
    private readonly TimeSpan _own = Process.GetCurrentProcess().TotalProcessorTime;

    public string Report()
    {
        var wall = Stopwatch.GetElapsedTime(_started).TotalSeconds;
        var own = (Process.GetCurrentProcess().TotalProcessorTime - _own).TotalSeconds;
        if (_machineBusy is not { } before || MachineBusySeconds() is not { } after)
            return string.Create(CultureInfo.InvariantCulture, $"CPU: {wall:F0} s wall, this process {own:F0} CPU-s (/proc/stat unavailable).");
        var busy = after - before;
        return string.Create(CultureInfo.InvariantCulture,
            $"CPU while measuring: {wall:F0} s wall × {Environment.ProcessorCount} cores = {wall * Environment.ProcessorCount:F0} CPU-s available; " +
            $"machine busy {busy:F0} CPU-s, of which this process {own:F0} and everything else (PostgreSQL server, other work) {Math.Max(0, busy - own):F0}.");
    }

    private static double? MachineBusySeconds()
    {
        try
        {
            var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            // cpu user nice system idle iowait irq softirq steal ...; in USER_HZ (100 per second on Linux).
            long F(int i) => long.Parse(fields[i], CultureInfo.InvariantCulture);
            return (F(1) + F(2) + F(3) + F(6) + F(7) + F(8)) / 100.0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Switchboard.Bench;

/// <summary>
/// End to end over real loopback HTTP/1.1: Kestrel on 127.0.0.1 and an HttpClient in this same process,
/// a fixed number of requests per scenario (and a time cap), so client and server share the machine's cores.
/// </summary>
public static class HttpBench
{
    public sealed record Scenario(string Name, BenchHost Host, string Path, bool WithKey);

    public sealed record Result(
        string Scenario, int Concurrency, int Requests, double Seconds, double MeanMicros, double P50Micros, double P99Micros, long BytesPerRequest)
    {
        public double RequestsPerSecond => Requests / Seconds;
    }

    public static async Task<IReadOnlyList<Result>> RunAsync(HttpSettings settings, string outputFile)
    {
        var hosts = new List<BenchHost>();
        var results = new List<Result>();
        try
        {
            Console.WriteLine("Starting loopback hosts (SQLite" + (BenchEnvironment.Postgres is null ? "" : ", PostgreSQL") + ")...");
            // The service's defaults: a key is cached for 60 s, an unknown one for 30 s.
            var cached = await BenchHost.CreateAsync(BenchEnvironment.Database("sqlite"), 60, 30, BenchEnvironment.FillerKeys, listen: true);
            hosts.Add(cached);
            var scenarios = new List<Scenario>
            {
                new("GET /alive (no auth)", cached, "/alive", false),
                new("GET /api/v1/me, key cached", cached, "/api/v1/me", true),
            };
            foreach (var name in BenchEnvironment.DatabaseNames)
            {
                var uncached = await BenchHost.CreateAsync(BenchEnvironment.Database(name), 0, 0, BenchEnvironment.FillerKeys, listen: true);
                hosts.Add(uncached);
                scenarios.Add(new($"GET /api/v1/me, uncached ({name})", uncached, "/api/v1/me", true));
            }

            foreach (var concurrency in settings.Concurrency)
            {
                foreach (var scenario in scenarios)
                {
                    var result = await MeasureAsync(scenario, concurrency, settings);
                    results.Add(result);
                    Console.WriteLine(
                        $"  {result.Scenario,-38} c={concurrency,-2} {result.Requests,7} req in {result.Seconds,6:F2} s: " +
                        $"{result.RequestsPerSecond,8:F0} req/s, mean {result.MeanMicros,7:F0} µs, p50 {result.P50Micros,7:F0} µs, " +
                        $"p99 {result.P99Micros,7:F0} µs, {result.BytesPerRequest,7:N0} B/req");
                }
            }
        }
        finally
        {
            foreach (var host in hosts) await host.DisposeAsync();
        }

        var table = Markdown(results, settings);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(outputFile)!);
        await File.WriteAllTextAsync(outputFile, table);
        Console.WriteLine();
        Console.WriteLine(table);
        return results;
    }

    private static async Task<Result> MeasureAsync(Scenario scenario, int concurrency, HttpSettings settings)
    {
        using var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = concurrency,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            UseProxy = false,
            AllowAutoRedirect = false,
            UseCookies = false,
        };
        using var client = new HttpClient(handler) { BaseAddress = scenario.Host.BaseAddress };
        if (scenario.WithKey) client.DefaultRequestHeaders.Add("X-API-Key", scenario.Host.Key);

        // Warm-up: JIT (until tiered compilation settles), connections, caches.
        await Drive(client, scenario.Path, concurrency, settings.WarmupRequests, settings.WarmupMaxDuration, null);

        var latencies = new long[settings.Requests];
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var started = Stopwatch.GetTimestamp();
        var count = await Drive(client, scenario.Path, concurrency, settings.Requests, settings.MaxDuration, latencies);
        var elapsed = Stopwatch.GetElapsedTime(started);
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;

        var measured = latencies[..count];
        Array.Sort(measured);
        var ticksPerMicro = Stopwatch.Frequency / 1_000_000.0;
        double Percentile(double p) => measured[Math.Clamp((int)Math.Ceiling(p * count) - 1, 0, count - 1)] / ticksPerMicro;
        var mean = measured.Average(t => (double)t) / ticksPerMicro;
        return new Result(scenario.Name, concurrency, count, elapsed.TotalSeconds, mean, Percentile(0.50), Percentile(0.99), allocated / count);
    }

    /// <summary>Sends up to <paramref name="requests"/> requests from <paramref name="concurrency"/> loops; returns how many were sent.</summary>
    private static async Task<int> Drive(HttpClient client, string path, int concurrency, int requests, TimeSpan maxDuration, long[]? latencies)
    {
        var next = -1;
        var deadline = Stopwatch.GetTimestamp() + (long)(maxDuration.TotalSeconds * Stopwatch.Frequency);
        var done = 0;
        async Task Loop()
        {
            while (true)
            {
                if (Stopwatch.GetTimestamp() > deadline) return;
                var i = Interlocked.Increment(ref next);
                if (i >= requests) return;
                var start = Stopwatch.GetTimestamp();
                using (var response = await client.GetAsync(path, HttpCompletionOption.ResponseContentRead))
                {
                    if (!response.IsSuccessStatusCode)
                        throw new InvalidOperationException($"GET {path} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
                }
                if (latencies is not null) latencies[i] = Stopwatch.GetTimestamp() - start;
                Interlocked.Increment(ref done);
            }
        }
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(Loop)));
        // Loops stop at the first index past the end or the deadline, so indexes 0..done-1 are all filled.
        return done;
    }

    private static string Markdown(IReadOnlyList<Result> results, HttpSettings settings)
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"Loopback HTTP/1.1, in-process HttpClient, {settings.Requests:N0} requests per row " +
            $"(after up to {settings.WarmupRequests:N0} warm-up requests or {settings.WarmupMaxDuration.TotalSeconds:F0} s), cap {settings.MaxDuration.TotalSeconds:F0} s per row.");
        sb.AppendLine();
        sb.AppendLine("| Scenario | Concurrency | Requests | Req/s | Mean | p50 | p99 | Allocated/req (client+server) |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in results)
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"| {r.Scenario} | {r.Concurrency} | {r.Requests:N0} | {r.RequestsPerSecond:N0} | {r.MeanMicros:N0} µs | {r.P50Micros:N0} µs | {r.P99Micros:N0} µs | {r.BytesPerRequest:N0} B |");
        return sb.ToString();
    }
}

public sealed record HttpSettings(int Requests, int WarmupRequests, TimeSpan WarmupMaxDuration, TimeSpan MaxDuration, IReadOnlyList<int> Concurrency);

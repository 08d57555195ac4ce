using System.Runtime;
using System.Runtime.InteropServices;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Perfolizer.Horology;
using Switchboard.Bench;

// Usage: Switchboard.Bench [--quick] [--no-micro] [--no-http] [--postgres] [BenchmarkDotNet options, e.g. --filter <pattern>...]
//   PostgreSQL is measured when SWITCHBOARD_BENCH_POSTGRES holds an Npgsql connection string to a local server
//   (bench/run.sh --postgres starts a throwaway one); --postgres makes its absence an error. Anything not recognized
//   here goes to BenchmarkDotNet. Output goes to ./BenchmarkDotNet.Artifacts unless SWITCHBOARD_BENCH_ARTIFACTS says.
//   See bench/README.md.
var quick = args.Contains("--quick");
var micro = !args.Contains("--no-micro");
var http = !args.Contains("--no-http");
var requirePostgres = args.Contains("--postgres");
var bdnArgs = args.Where(a => a is not ("--quick" or "--no-micro" or "--no-http" or "--postgres")).ToList();
if (!bdnArgs.Contains("--filter")) bdnArgs.AddRange(["--filter", "*"]);

var artifacts = Path.GetFullPath(Environment.GetEnvironmentVariable("SWITCHBOARD_BENCH_ARTIFACTS") ?? "BenchmarkDotNet.Artifacts");
Console.WriteLine($"Switchboard.Bench: {RuntimeInformation.FrameworkDescription}, {RuntimeInformation.OSDescription}, " +
    $"{Environment.ProcessorCount} logical CPUs, {(GCSettings.IsServerGC ? "server" : "workstation")} GC, " +
    $"{(quick ? "QUICK (smoke test, figures not meaningful)" : "full")} run");

BenchEnvironment.TempDirectory = Directory.CreateTempSubdirectory("switchboard-bench-").FullName;
BenchEnvironment.FillerKeys = quick ? 1_000 : 10_000;
BenchEnvironment.HostWarmUp = TimeSpan.FromSeconds(quick ? 0.2 : 2);
PostgresServer? postgres = null;
var exitCode = 0;
try
{
    var server = Environment.GetEnvironmentVariable(PostgresServer.EnvironmentVariable);
    if (!string.IsNullOrWhiteSpace(server))
    {
        postgres = await PostgresServer.ConnectAsync(server);
        BenchEnvironment.Postgres = postgres;
        Console.WriteLine($"PostgreSQL {PostgresServer.Version}: measured, on throwaway databases (dropped at the end).");
    }
    else if (requirePostgres)
    {
        Console.Error.WriteLine($"--postgres was given but {PostgresServer.EnvironmentVariable} is not set.");
        return 2;
    }
    else
    {
        Console.WriteLine($"PostgreSQL: SKIPPED ({PostgresServer.EnvironmentVariable} is not set; `bench/run.sh --postgres` starts a throwaway server). SQLite only.");
    }

    if (micro)
    {
        var cpu = new CpuMeter();
        var job = Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithLaunchCount(1)
            .WithWarmupCount(quick ? 1 : 5)
            .WithIterationCount(quick ? 3 : 10)
            .WithIterationTime(TimeInterval.FromMilliseconds(quick ? 50 : 200))
            .WithId("InProcess");
        var config = DefaultConfig.Instance
            .AddJob(job)
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddColumn(StatisticColumn.Median, StatisticColumn.P95, StatisticColumn.Min, StatisticColumn.Max)
            .WithSummaryStyle(SummaryStyle.Default.WithRatioStyle(RatioStyle.Trend))
            .WithArtifactsPath(artifacts)
            .WithOptions(ConfigOptions.DisableLogFile);
        var summaries = BenchmarkSwitcher.FromTypes([typeof(InMemoryAuthBenchmarks), typeof(UncachedAuthBenchmarks), typeof(LookupBreakdownBenchmarks)])
            .Run([.. bdnArgs], config);
        Console.WriteLine(cpu.Report());
        if (summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)))
        {
            Console.Error.WriteLine("Some benchmarks failed; see above.");
            exitCode = 1;
        }
    }

    if (http)
    {
        Console.WriteLine();
        Console.WriteLine("== End to end over loopback HTTP ==");
        var settings = quick
            ? new HttpSettings(Requests: 500, WarmupRequests: 100, WarmupMaxDuration: TimeSpan.FromSeconds(1), MaxDuration: TimeSpan.FromSeconds(5), Concurrency: [1, 4])
            : new HttpSettings(Requests: 20_000, WarmupRequests: 5_000, WarmupMaxDuration: TimeSpan.FromSeconds(3), MaxDuration: TimeSpan.FromSeconds(20), Concurrency: [1, 4]);
        var cpu = new CpuMeter();
        await HttpBench.RunAsync(settings, Path.Combine(artifacts, "results", "http-loopback.md"));
        Console.WriteLine(cpu.Report());
    }
}
finally
{
    await BenchHost.DisposeSharedAsync();
    if (postgres is not null) await postgres.DisposeAsync();
    Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    try { Directory.Delete(BenchEnvironment.TempDirectory, recursive: true); }
    catch (IOException) { }
}
return exitCode;

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

// Usage: Switchboard.Bench [--quick] [--no-micro] [--no-http] [--filter <pattern>...]
//   PostgreSQL is measured when SWITCHBOARD_BENCH_POSTGRES holds an Npgsql connection string to a local server
//   (bench/run.sh --postgres starts a throwaway one). Anything not recognized here goes to BenchmarkDotNet.
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
PostgresDatabase? postgres = null;
var exitCode = 0;
try
{
    var server = Environment.GetEnvironmentVariable(PostgresDatabase.EnvironmentVariable);
    if (!string.IsNullOrWhiteSpace(server))
    {
        postgres = await PostgresDatabase.CreateAsync(server);
        BenchEnvironment.PostgresConnectionString = postgres.ConnectionString;
        Console.WriteLine($"PostgreSQL: measuring on throwaway database {postgres.Name} (dropped at the end).");
    }
    else if (requirePostgres)
    {
        Console.Error.WriteLine($"--postgres was given but {PostgresDatabase.EnvironmentVariable} is not set.");
        return 2;
    }
    else
    {
        Console.WriteLine($"PostgreSQL: SKIPPED ({PostgresDatabase.EnvironmentVariable} is not set; `bench/run.sh --postgres` starts a throwaway server). SQLite only.");
    }

    if (micro)
    {
        var job = Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithLaunchCount(1)
            .WithWarmupCount(quick ? 1 : 4)
            .WithIterationCount(quick ? 3 : 15)
            .WithIterationTime(TimeInterval.FromMilliseconds(quick ? 50 : 250))
            .WithId("InProcess");
        var config = DefaultConfig.Instance
            .AddJob(job)
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddColumn(StatisticColumn.Median, StatisticColumn.P95, StatisticColumn.Min, StatisticColumn.Max)
            .WithSummaryStyle(SummaryStyle.Default.WithRatioStyle(RatioStyle.Trend))
            .WithArtifactsPath(artifacts)
            .WithOptions(ConfigOptions.DisableLogFile);
        var summaries = BenchmarkSwitcher.FromTypes([typeof(InMemoryAuthBenchmarks), typeof(UncachedAuthBenchmarks)])
            .Run([.. bdnArgs], config);
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
            ? new HttpSettings(Requests: 500, WarmupRequests: 100, MaxDuration: TimeSpan.FromSeconds(5), Concurrency: [1, 4])
            : new HttpSettings(Requests: 20_000, WarmupRequests: 2_000, MaxDuration: TimeSpan.FromSeconds(20), Concurrency: [1, 4]);
        await HttpBench.RunAsync(settings, Path.Combine(artifacts, "results", "http-loopback.md"));
    }
}
finally
{
    if (postgres is not null) await postgres.DisposeAsync();
    Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    try { Directory.Delete(BenchEnvironment.TempDirectory, recursive: true); }
    catch (IOException) { }
}
return exitCode;

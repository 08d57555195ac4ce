namespace Switchboard.Bench;

/// <summary>
/// What the whole run shares. The benchmarks run in this process (BenchmarkDotNet's in-process toolchain),
/// so they read it directly.
/// </summary>
public static class BenchEnvironment
{
    /// <summary>A temporary folder for SQLite files, deleted at the end of the run.</summary>
    public static string TempDirectory { get; set; } = Path.GetTempPath();

    /// <summary>The PostgreSQL server to make throwaway databases on, or null when PostgreSQL is not measured.</summary>
    public static PostgresServer? Postgres { get; set; }

    /// <summary>How many other keys are in api_keys besides the measured one.</summary>
    public static int FillerKeys { get; set; } = 10_000;

    /// <summary>How long each shared host runs its hot path before the first benchmark that uses it.</summary>
    public static TimeSpan HostWarmUp { get; set; } = TimeSpan.FromSeconds(2);

    public static IEnumerable<string> DatabaseNames =>
        Postgres is null ? ["sqlite"] : ["sqlite", "postgres"];

    public static BenchDatabase Database(string name) => name switch
    {
        "sqlite" => BenchDatabase.Sqlite(TempDirectory, $"bench-{Guid.NewGuid():N}.db"),
        "postgres" => new BenchDatabase("postgres", Platform.DatabaseProvider.Postgres,
            (Postgres ?? throw new InvalidOperationException("PostgreSQL is not configured for this run.")).CreateDatabase()),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "Unknown database."),
    };
}

using System.Net;
using BenchmarkDotNet.Attributes;
using Switchboard.ApiKeys;
using Switchboard.Platform.Auth;
using Switchboard.Platform.Security;

namespace Switchboard.Bench;

/// <summary>
/// <see cref="ApiKeyAuthenticator.AuthenticateAsync"/> on paths that never reach the database: a cached key,
/// and the three ways a bad key is refused without a query. Plus the two primitives every presented key pays.
/// </summary>
[MemoryDiagnoser]
public class InMemoryAuthBenchmarks
{
    private static readonly IPAddress Client = IPAddress.Loopback;
    private BenchHost _host = null!;
    private ApiKeyAuthenticator _auth = null!;
    private string _key = null!;
    private string _malformed = null!;
    private string _badChecksum = null!;
    private string _unknown = null!;

    [GlobalSetup]
    public void Setup()
    {
        // One hour (the maximum) for both caches, so no entry expires while being measured; with the default
        // 60 s a cached key costs one extra database read per minute, which amortizes to nothing.
        _host = BenchHost.Shared("sqlite", cacheSeconds: 3_600, negativeCacheSeconds: 3_600);
        _auth = _host.Authenticator;
        _key = _host.Key;
        _malformed = "sbk_this-is-not-an-api-key";
        _badChecksum = Keys.WithBadChecksum(_key);
        _unknown = ApiKeyFormat.Generate();

        // Prove each benchmark takes the path its name says (and warm both caches).
        BenchHost.Expect(Run(_key), true, null, "cached key");
        BenchHost.Expect(Run(_malformed), false, BenchHost.InvalidApiKey, "malformed key");
        BenchHost.Expect(Run(_badChecksum), false, BenchHost.InvalidApiKey, "bad checksum");
        BenchHost.Expect(Run(_unknown), false, BenchHost.InvalidApiKey, "unknown key");
        if (!ApiKeyFormat.IsWellFormed(_unknown) || ApiKeyFormat.IsWellFormed(_badChecksum) || ApiKeyFormat.IsWellFormed(_malformed))
            throw new InvalidOperationException("Test keys are not what they claim to be.");
    }

    private AuthOutcome Run(string key) => _auth.AuthenticateAsync(key, Client, CancellationToken.None).AsTask().GetAwaiter().GetResult();

    [Benchmark(Baseline = true, Description = "Authenticate: cached key")]
    public ValueTask<AuthOutcome> Cached() => _auth.AuthenticateAsync(_key, Client, CancellationToken.None);

    [Benchmark(Description = "Reject: malformed key")]
    public ValueTask<AuthOutcome> Malformed() => _auth.AuthenticateAsync(_malformed, Client, CancellationToken.None);

    [Benchmark(Description = "Reject: bad checksum")]
    public ValueTask<AuthOutcome> BadChecksum() => _auth.AuthenticateAsync(_badChecksum, Client, CancellationToken.None);

    [Benchmark(Description = "Reject: unknown key (negative cache)")]
    public ValueTask<AuthOutcome> UnknownNegativeCached() => _auth.AuthenticateAsync(_unknown, Client, CancellationToken.None);

    [Benchmark(Description = "Part: ApiKeyFormat.IsWellFormed")]
    public bool FormatCheck() => ApiKeyFormat.IsWellFormed(_key);

    [Benchmark(Description = "Part: SecretHash.Sha256Hex")]
    public string Sha256() => SecretHash.Sha256Hex(_key);
}

/// <summary>
/// <see cref="ApiKeyAuthenticator.AuthenticateAsync"/> with both caches off (CacheSeconds = 0,
/// NegativeCacheSeconds = 0): every call opens a DbContext scope and runs one query on the key-hash index.
/// </summary>
[MemoryDiagnoser]
public class UncachedAuthBenchmarks
{
    private static readonly IPAddress Client = IPAddress.Loopback;
    private BenchHost _host = null!;
    private ApiKeyAuthenticator _auth = null!;
    private string _key = null!;
    private string _unknown = null!;

    public static IEnumerable<string> Databases => BenchEnvironment.DatabaseNames;

    [ParamsSource(nameof(Databases))]
    public string Database { get; set; } = "sqlite";

    [GlobalSetup]
    public void Setup()
    {
        _host = BenchHost.Shared(Database, cacheSeconds: 0, negativeCacheSeconds: 0);
        _auth = _host.Authenticator;
        _key = _host.Key;
        _unknown = ApiKeyFormat.Generate();
        BenchHost.Expect(Run(_key), true, null, "uncached key");
        BenchHost.Expect(Run(_unknown), false, BenchHost.InvalidApiKey, "unknown key");
    }

    private AuthOutcome Run(string key) => _auth.AuthenticateAsync(key, Client, CancellationToken.None).AsTask().GetAwaiter().GetResult();

    [Benchmark(Description = "Authenticate: uncached key (DB lookup)")]
    public ValueTask<AuthOutcome> Uncached() => _auth.AuthenticateAsync(_key, Client, CancellationToken.None);

    [Benchmark(Description = "Reject: unknown key (DB lookup)")]
    public ValueTask<AuthOutcome> UnknownUncached() => _auth.AuthenticateAsync(_unknown, Client, CancellationToken.None);
}

public static class Keys
{
    /// <summary>The same key with one random character changed (still base62, right length): only the CRC refuses it.</summary>
    public static string WithBadChecksum(string key)
    {
        var chars = key.ToCharArray();
        var i = ApiKeyFormat.Prefix.Length + 5;
        chars[i] = chars[i] == 'a' ? 'b' : 'a';
        return new string(chars);
    }
}

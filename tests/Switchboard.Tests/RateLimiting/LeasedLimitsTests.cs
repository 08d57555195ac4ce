using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Switchboard.RateLimiting;
using Switchboard.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Switchboard.Tests.RateLimiting;

/// <summary>
/// Leased limits on PostgreSQL (SQLite is one node, its counters are in memory): whatever the load and however it is
/// spread over nodes, a limit never admits more than the exact GCRA would, and refuses at most the bound that
/// docs/rate-limits.md states: one lease per node, a lease at most 1% of the limit, and a bucket's lead (1%).
/// </summary>
public sealed class LeasedLimitsTests(PostgresSwitchboard node, ITestOutputHelper output) : IClassFixture<PostgresSwitchboard>
{
    private const int Nodes = 3;

    /// <summary>Three stores with their own data sources on one database: three nodes' counters, driven directly.</summary>
    private sealed class StoreNode : IAsyncDisposable
    {
        private readonly NpgsqlDataSource _dataSource;
        public LeasedRateLimitStore Store { get; }

        public StoreNode(string connectionString, LeaseSettings settings)
        {
            _dataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(connectionString) { MaxPoolSize = 6 }.ConnectionString);
            Store = new LeasedRateLimitStore(_dataSource, new PostgresRateLimitStore(_dataSource), settings, TimeProvider.System,
                NullLogger<LeasedRateLimitStore>.Instance);
        }

        public async ValueTask DisposeAsync() => await _dataSource.DisposeAsync();
    }

    /// <summary>
    /// What the docs state: one lease per node, a lease at most 1% of the limit and at most MaxLeaseTokens; and for a
    /// token bucket the lead a slice starts after, at most 1% of the window (so of the limit).
    /// </summary>
    private static long Bound(RateLimitPolicy p, LeaseSettings settings, int nodes) =>
        nodes * Math.Min(settings.MaxLeaseTokens, p.Limit / 100) + (p.Kind == LimitKind.TokenBucket ? p.Limit / 100 : 0);

    private int Seed()
    {
        var seed = Environment.GetEnvironmentVariable("SWITCHBOARD_TEST_SEED") is { Length: > 0 } s
            ? int.Parse(s, System.Globalization.CultureInfo.InvariantCulture) : Random.Shared.Next();
        output.WriteLine($"seed {seed} (set SWITCHBOARD_TEST_SEED to replay)");
        return seed;
    }

    private async Task<StoreNode[]> StoresAsync(LeaseSettings settings)
    {
        _ = node.Services; // the node migrates the database
        var nodes = new StoreNode[Nodes];
        for (var n = 0; n < Nodes; n++) nodes[n] = new StoreNode(node.ConnectionString, settings);
        await Task.CompletedTask;
        return nodes;
    }

    private static (RateLimitPolicy[] Policies, RateLimitPolicy Bucket, RateLimitPolicy? Quota, string Context) RandomPolicies(Random random, string name)
    {
        var limit = random.Next(200, 4_000);
        var window = new[] { 10, 60, 600, 3_600, 86_400 }[random.Next(5)];
        var bucket = new RateLimitPolicy("api_key", $"key:{name}", LimitKind.TokenBucket, limit, TimeSpan.FromSeconds(window));
        RateLimitPolicy? quota = random.Next(2) == 0
            ? new RateLimitPolicy("plan_daily", $"quota:{name}", LimitKind.DailyQuota, random.Next(200, 4_000), TimeSpan.FromDays(1))
            : null;
        RateLimitPolicy[] policies = quota is null ? [bucket] : [bucket, quota];
        return (policies, bucket, quota, $"{name}: limit {limit} per {window} s" + (quota is null ? "" : $", daily quota {quota.Limit}"));
    }

    /// <summary>
    /// Random limits, windows and quotas; random bursts spread unevenly over three nodes, concurrent within each node;
    /// simulated time that crawls, jumps several intervals and now and then past a lease's lifetime; leases given back
    /// at random. Every admission, replayed in time order through the exact GCRA, is admitted; the day's count stays
    /// within the quota; and no more are admitted than the exact single-node store admits for the same attempts.
    /// </summary>
    [Fact]
    public async Task RandomLoadOnThreeNodesNeverAdmitsMoreThanTheExactLimit()
    {
        var seed = Seed();
        var random = new Random(seed);
        var settings = new LeaseSettings(TimeSpan.FromSeconds(1), 1_000, Nodes);
        var nodes = await StoresAsync(settings);
        try
        {
            for (var scenario = 0; scenario < 6; scenario++)
            {
                var (policies, bucket, quota, context) = RandomPolicies(random, $"prop-{seed}-{scenario}");
                var now = DateTime.UtcNow.Date.AddHours(1); // within one UTC day
                var steps = random.Next(40, 120);
                var refillPerStep = random.Next(1, 20);
                var attempts = new List<(DateTime At, bool Admitted)>();
                for (var step = 0; step < steps; step++)
                {
                    now += random.Next(8) == 0 ? TimeSpan.FromSeconds(1.5)
                        : TimeSpan.FromMicroseconds(random.NextInt64(0, 2 * refillPerStep * bucket.IntervalMicros + 1));
                    var burst = random.Next(0, 4 * refillPerStep + 5 * (int)bucket.Limit / steps + 2);
                    var at = now;
                    var weights = new[] { random.Next(1, 10), random.Next(0, 10), random.Next(0, 4) };
                    var picks = Enumerable.Range(0, burst).Select(_ =>
                    {
                        var pick = random.Next(weights.Sum());
                        return pick < weights[0] ? 0 : pick < weights[0] + weights[1] ? 1 : 2;
                    }).ToArray();
                    var results = await Task.WhenAll(picks.Select(n => Task.Run(() => nodes[n].Store.AcquireAsync(policies, at, CancellationToken.None))));
                    foreach (var decisions in results) attempts.Add((at, decisions.All(d => d.Allowed)));
                    if (random.Next(3) == 0) await nodes[random.Next(Nodes)].Store.ReturnAsync(now, all: false, CancellationToken.None);
                }
                foreach (var n in nodes) await n.Store.ReturnAsync(now, all: true, CancellationToken.None);

                var tat = 0L;
                var admitted = 0;
                foreach (var (at, _) in attempts.Where(a => a.Admitted))
                {
                    var (allowed, next, _) = LimitMath.TokenBucket(bucket, tat, LimitMath.UnixMicros(at));
                    allowed.ShouldBeTrue($"{context}: admission {admitted + 1} at {at:O} exceeds the limit");
                    tat = next;
                    admitted++;
                }
                if (quota is not null) admitted.ShouldBeLessThanOrEqualTo((int)quota.Limit, context);
                var ideal = await ExactAdmissionsAsync(policies, attempts.Select(a => a.At));
                output.WriteLine($"{context}: {attempts.Count} attempts, {admitted} admitted, exact store {ideal}");
                admitted.ShouldBeLessThanOrEqualTo(ideal, context);
            }
        }
        finally
        {
            foreach (var n in nodes) await n.DisposeAsync();
        }
    }

    /// <summary>
    /// The under-admission bound: three nodes drain random limits (random windows, with or without a daily quota)
    /// concurrently while time moves on by less than a lease's lifetime per step and a quarter window in all, so no
    /// lease outlives its slots. The nodes admit at most what the exact store admits for the same attempts and at least
    /// that less one lease per node and limit.
    /// </summary>
    [Fact]
    public async Task ThreeNodesDrainingALimitRefuseAtMostOneLeasePerNode()
    {
        var seed = Seed();
        var random = new Random(seed);
        var settings = new LeaseSettings(TimeSpan.FromSeconds(1), 1_000, Nodes);
        var nodes = await StoresAsync(settings);
        try
        {
            for (var scenario = 0; scenario < 4; scenario++)
            {
                var (policies, bucket, quota, context) = RandomPolicies(random, $"drain-{seed}-{scenario}");
                var now = DateTime.UtcNow.Date.AddHours(1);
                var end = now + bucket.Window / 4;
                var step = TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(0.4).Ticks, (bucket.Window / 4 / 60).Ticks));
                var attempts = new List<(DateTime At, bool Admitted)>();
                var refusedInARow = 0;
                // Until every node refuses a whole round: the limit (and what refilled meanwhile) is drained.
                while (refusedInARow < 3 && now < end)
                {
                    var at = now;
                    var perNode = new[] { random.Next(4, 40), random.Next(0, 40), random.Next(0, 12) };
                    var results = await Task.WhenAll(perNode.SelectMany((count, n) => Enumerable.Range(0, count)
                        .Select(_ => Task.Run(() => nodes[n].Store.AcquireAsync(policies, at, CancellationToken.None)))));
                    foreach (var decisions in results) attempts.Add((at, decisions.All(d => d.Allowed)));
                    refusedInARow = results.Any(r => r.All(d => d.Allowed)) ? 0 : refusedInARow + 1;
                    now += TimeSpan.FromTicks(random.NextInt64(0, step.Ticks));
                }
                var admitted = attempts.Count(a => a.Admitted);
                var ideal = await ExactAdmissionsAsync(policies, attempts.Select(a => a.At));
                var bound = Bound(bucket, settings, Nodes) + (quota is null ? 0 : Bound(quota, settings, Nodes));
                output.WriteLine($"{context}: {attempts.Count} attempts, {admitted} admitted, exact store {ideal}, bound {bound}");
                admitted.ShouldBeLessThanOrEqualTo(ideal, context);
                admitted.ShouldBeGreaterThanOrEqualTo((int)(ideal - bound), context);
                foreach (var n in nodes) await n.Store.ReturnAsync(now, all: true, CancellationToken.None);
            }
        }
        finally
        {
            foreach (var n in nodes) await n.DisposeAsync();
        }
    }

    /// <summary>How many of the attempts the exact single-node store admits, in order.</summary>
    /// <summary>
    /// A renewal that gives back what its lease still holds (a request costing 2 finds 1 token left) sends the give-back,
    /// the new slice and the read in one batch. Read by position, with the give-back answering no rows, the batch used
    /// to throw after the slice was taken in the row: the slice was lost (in the randomized test, up to a quarter of
    /// a daily quota). The new slice must be in the lease, and what the row counts must be what was admitted and held.
    /// </summary>
    [Fact]
    public async Task ARenewalThatGivesBackWhatItsLeaseHeldKeepsItsNewSlice()
    {
        var nodes = await StoresAsync(new LeaseSettings(TimeSpan.FromSeconds(1), 1_000, Nodes));
        try
        {
            var store = nodes[0].Store;
            var quota = new RateLimitPolicy("plan_daily", $"quota:leftover-{Guid.NewGuid():N}", LimitKind.DailyQuota, 1_000_000, TimeSpan.FromDays(1));
            var expensive = quota with { Cost = 2 };
            var now = DateTime.UtcNow;
            var admitted = 0L;
            // Decided in the row while quiet, then leased once the key is busy.
            for (var i = 0; i < 10; i++, admitted++) (await store.AcquireAsync([quota], now, CancellationToken.None))[0].Allowed.ShouldBeTrue();
            store.HeldFor(quota.Key).ShouldBeGreaterThan(0, "leased");
            while (store.HeldFor(quota.Key) != 1)
            {
                (await store.AcquireAsync([quota], now, CancellationToken.None))[0].Allowed.ShouldBeTrue();
                admitted++;
            }

            (await store.AcquireAsync([expensive], now, CancellationToken.None))[0].Allowed.ShouldBeTrue();
            admitted += 2;
            var held = store.HeldFor(quota.Key);
            held.ShouldBeGreaterThan(0, "the renewal's new slice is in the lease");
            await using var dataSource = NpgsqlDataSource.Create(node.ConnectionString);
            await using var read = dataSource.CreateCommand($"SELECT used FROM rate_limit_buckets WHERE \"key\" = '{quota.Key}'");
            ((long)(await read.ExecuteScalarAsync())!).ShouldBe(admitted + held, "the row counts what was admitted and what the lease holds, nothing lost");
        }
        finally
        {
            foreach (var n in nodes) await n.DisposeAsync();
        }
    }

    private static async Task<int> ExactAdmissionsAsync(RateLimitPolicy[] policies, IEnumerable<DateTime> attempts)
    {
        var exact = new InMemoryRateLimitStore();
        var admitted = 0;
        foreach (var at in attempts)
            if ((await exact.AcquireAsync(policies, at, CancellationToken.None)).All(d => d.Allowed)) admitted++;
        return admitted;
    }

    [Fact]
    public async Task LoadOverTwoRealNodesStaysWithinTheLimitAndTheBound()
    {
        await using var second = new Platform.SecondPostgresNode(node) { EncryptionKey = node.EncryptionKey };
        using var owner = node.Client();
        await owner.SignupAsync();
        const int limit = 400;
        var key = (await owner.CreateKeyAsync(new { name = "leased", scopes = new[] { "contacts:read" }, rateLimit = new { requests = limit, windowSeconds = 86_400 } }))["key"]!.GetValue<string>();
        using var onA = node.Client().WithApiKey(key);
        using var onB = second.Client().WithApiKey(key);
        var started = DateTime.UtcNow;
        var statuses = new ConcurrentBag<HttpStatusCode>();
        await Parallel.ForEachAsync(Enumerable.Range(0, 2 * limit), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
            statuses.Add((await (i % 3 == 0 ? onB : onA).GetAsync("/api/v1/contacts")).StatusCode));
        var refill = (long)Math.Ceiling((DateTime.UtcNow - started).TotalSeconds * limit / 86_400) + 1;
        var ok = statuses.Count(s => s == HttpStatusCode.OK);
        output.WriteLine($"{ok} of {statuses.Count} admitted");
        statuses.Count(s => s is not HttpStatusCode.OK and not HttpStatusCode.TooManyRequests).ShouldBe(0);
        ok.ShouldBeLessThanOrEqualTo(limit + (int)refill);
        ok.ShouldBeGreaterThanOrEqualTo(limit - 2 * (limit / 100) - limit / 100, "one lease per node and the bucket's lead");
    }
}

/// <summary>
/// Three real service processes on one PostgreSQL database share a key with a random limit and window and an
/// organization with a random daily quota; random concurrent load is spread over them, and one is killed with SIGKILL
/// half way (no shutdown, its lease never given back). The key still never gets more than its limit (plus what
/// refilled while the test ran), and the whole run refuses at most one lease per node and limit too many: the dead
/// node's unused lease, and what the living nodes hold when the test stops.
/// </summary>
public sealed class LeasedLimitsKillTests(ITestOutputHelper output) : IDisposable
{
    private readonly PostgresDatabase _database = PostgresDatabase.Create();

    public void Dispose() => _database.Release();

    [Fact]
    public async Task ANodeKilledWithSigkillLosesAtMostItsLeaseAndNothingIsOverAdmitted()
    {
        var seed = Environment.GetEnvironmentVariable("SWITCHBOARD_TEST_SEED") is { Length: > 0 } s
            ? int.Parse(s, System.Globalization.CultureInfo.InvariantCulture) : Random.Shared.Next();
        output.WriteLine($"seed {seed} (set SWITCHBOARD_TEST_SEED to replay)");
        var random = new Random(seed);
        var limit = random.Next(300, 1_200);
        var window = new[] { 3_600, 86_400 }[random.Next(2)];
        long? quota = random.Next(3) == 0 ? random.Next(300, 1_200) : null;

        var admin = "admin-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        var encryption = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var ports = Enumerable.Range(0, 3).Select(_ => ServiceProcess.FreePort()).ToArray();
        Dictionary<string, string> Env(int port) => new()
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
            ["Switchboard__Database__Provider"] = "postgres",
            ["ConnectionStrings__Switchboard"] = _database.ConnectionString,
            ["Switchboard__Encryption__Key"] = encryption,
            ["Switchboard__Admin__Token"] = admin,
            ["Switchboard__Auth__PasswordHashIterations"] = "10000",
            ["Logging__LogLevel__Default"] = "Warning",
        };
        var processes = new List<ServiceProcess>();
        var clients = ports.Select(p => new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{p}"), Timeout = TimeSpan.FromSeconds(60) }).ToArray();
        try
        {
            processes.Add(ServiceProcess.Start(Env(ports[0])));
            await processes[0].WaitHealthyAsync(clients[0]); // the first node migrates the database
            processes.Add(ServiceProcess.Start(Env(ports[1])));
            processes.Add(ServiceProcess.Start(Env(ports[2])));
            await processes[1].WaitHealthyAsync(clients[1]);
            await processes[2].WaitHealthyAsync(clients[2]);

            var signup = await (await clients[0].PostAsJsonAsync("/api/v1/auth/signup",
                new { email = $"lease-{seed}@example.com", password = "leased limits password", name = "Lease", organizationName = "Lease" })).Content.ReadFromJsonAsync<JsonObject>();
            var token = signup!["accessToken"]!.GetValue<string>();
            using (var plan = new HttpRequestMessage(HttpMethod.Put, $"/api/v1/admin/organizations/{signup["organization"]!["id"]!.GetValue<string>()}/plan")
                   { Content = JsonContent.Create(new { plan = "enterprise", dailyQuota = quota ?? 1_000_000_000 }) })
            {
                plan.Headers.Add("X-Admin-Token", admin);
                (await clients[0].SendAsync(plan)).StatusCode.ShouldBe(HttpStatusCode.OK);
            }
            using var create = new HttpRequestMessage(HttpMethod.Post, "/api/v1/api-keys")
                { Content = JsonContent.Create(new { name = "shared", scopes = new[] { "contacts:read" }, rateLimit = new { requests = limit, windowSeconds = window } }) };
            create.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            var key = (await (await clients[0].SendAsync(create)).Content.ReadFromJsonAsync<JsonObject>())!["key"]!.GetValue<string>();
            foreach (var c in clients) c.DefaultRequestHeaders.Add("X-API-Key", key);
            // Every node has read the plan (its plan cache) before the load: a stale cached quota is not what this tests.
            await Task.Delay(TimeSpan.FromSeconds(1));

            var effective = (int)Math.Min(limit, quota ?? long.MaxValue);
            var ok = 0;
            var other = new ConcurrentBag<string>();
            var killed = 0;
            var started = DateTime.UtcNow;
            var loops = Enumerable.Range(0, 3 * random.Next(4, 10)).Select(l => Task.Run(async () =>
            {
                var loopRandom = new Random(seed + l);
                var refusedInARow = 0;
                while (refusedInARow < 25)
                {
                    // Node 2 dies half way; after that the loops spread over nodes 0 and 1.
                    var n = Volatile.Read(ref killed) == 1 ? loopRandom.Next(2) : loopRandom.Next(3);
                    HttpResponseMessage response;
                    try { response = await clients[n].GetAsync("/api/v1/contacts"); }
                    catch (HttpRequestException) when (n == 2) { continue; } // the dead node
                    using (response)
                    {
                        if (response.StatusCode == HttpStatusCode.OK)
                        {
                            refusedInARow = 0;
                            if (Interlocked.Increment(ref ok) == effective / 2 && Interlocked.Exchange(ref killed, 1) == 0)
                                await processes[2].KillAsync();
                        }
                        else if (response.StatusCode == HttpStatusCode.TooManyRequests) refusedInARow++;
                        else other.Add($"{(int)response.StatusCode} from node {n}: {await response.Content.ReadAsStringAsync()}");
                    }
                }
            })).ToArray();
            await Task.WhenAll(loops);

            var elapsed = DateTime.UtcNow - started;
            var refill = (int)Math.Ceiling(elapsed.TotalSeconds * limit / window) + 1;
            // One lease per node and limit, at most 1% of each limit (the default MaxLeaseTokens is far above that here),
            // and the bucket's lead, at most 1% of its limit.
            var bound = 4 * (limit / 100) + (quota is { } q ? 3 * (int)(q / 100) : 0);
            output.WriteLine($"limit {limit} per {window} s, quota {quota?.ToString() ?? "none"}: {ok} admitted in {elapsed.TotalSeconds:0.0} s, " +
                $"bound {bound}, refill {refill}");
            other.ShouldBeEmpty();
            killed.ShouldBe(1);
            ok.ShouldBeLessThanOrEqualTo((int)Math.Min(limit + refill, quota ?? long.MaxValue), "never more than the limit, before or after the kill");
            ok.ShouldBeGreaterThanOrEqualTo(effective - bound, "at most one lease per node and limit refused too many");
            foreach (var p in processes.Take(2)) p.Output.ShouldNotContain("\"LogLevel\":\"Error\"", Case.Sensitive);
        }
        finally
        {
            foreach (var c in clients) c.Dispose();
            foreach (var p in processes)
            {
                await p.KillAsync();
                p.Dispose();
            }
        }
    }
}

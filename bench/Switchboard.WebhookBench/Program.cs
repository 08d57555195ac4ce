// Webhooks end to end on PostgreSQL: API writes → outbox → deliveries → a receiver on loopback, all on this machine.
// 0) warm-up (not timed): contacts written and delivered in rounds until the CPU per event settles (SWITCHBOARD_BENCH_WARMUP);
// 1) throughput: N contacts written as fast as 16 writers can, deliveries/s from the first write to the last receipt;
// 2) latency: 200 writes/s for 15 s, p50/p99 from the event's creation (its timestamp) to its receipt.
// Usage: SWITCHBOARD_BENCH_POSTGRES=… dotnet run -c Release -- [events]
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Npgsql;
using Switchboard.Platform;

var events = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10_000;
await using var database = await BenchDatabase.CreateAsync("sb_webhooks", maxPoolSize: 100);
var connectionString = database.ConnectionString;

// The receiver: records when each event arrived and how old it was.
var received = new ConcurrentDictionary<string, (long At, double LatencyMs)>();
var receiverBuilder = WebApplication.CreateSlimBuilder();
receiverBuilder.WebHost.UseUrls("http://127.0.0.1:0");
receiverBuilder.Logging.ClearProviders();
await using var receiver = receiverBuilder.Build();
receiver.MapPost("/hook", async (HttpContext http) =>
{
    var body = await JsonNode.ParseAsync(http.Request.Body);
    var created = DateTime.Parse(body!["timestamp"]!.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal);
    received.TryAdd(body["id"]!.GetValue<string>(), (Stopwatch.GetTimestamp(), (DateTime.UtcNow - created).TotalMilliseconds));
    return Results.Ok();
});
await receiver.StartAsync();

{
    var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
    builder.Configuration["Switchboard:Database:Provider"] = "postgres";
    builder.Configuration["ConnectionStrings:Switchboard"] = connectionString;
    builder.Configuration["Switchboard:Encryption:Key"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    builder.Configuration["Switchboard:Webhooks:AllowPrivateNetworks"] = "true";
    builder.Configuration["Switchboard:RateLimits:Enabled"] = "false"; // this measures delivery, not limits
    builder.Configuration["urls"] = "http://127.0.0.1:0";
    builder.AddSwitchboard();
    builder.Logging.SetMinimumLevel(LogLevel.Warning);
    await using var app = builder.Build();
    await app.Services.InitializeSwitchboardAsync();
    app.UseSwitchboard();
    await app.StartAsync();
    using var http = new HttpClient { BaseAddress = new Uri(app.Urls.Single()) };
    var signup = await (await http.PostAsJsonAsync("/api/v1/auth/signup",
        new { email = "bench@example.com", password = "benchmark password", name = "Bench", organizationName = "Bench" })).Content.ReadFromJsonAsync<JsonObject>();
    http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", signup!["accessToken"]!.GetValue<string>());
    var key = (await (await http.PostAsJsonAsync("/api/v1/api-keys", new { name = "bench", scopes = new[] { "contacts:write", "webhooks:write" } })).Content.ReadFromJsonAsync<JsonObject>())!["key"]!.GetValue<string>();
    http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
    (await http.PostAsJsonAsync("/api/v1/webhooks", new { url = receiver.Urls.Single() + "/hook", events = new[] { "contact.created" } })).EnsureSuccessStatusCode();

    async Task WriteContactsAsync(int count)
    {
        var next = 0;
        await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Increment(ref next) <= count)
                (await http.PostAsJsonAsync("/api/v1/contacts", new { firstName = "Storm" })).EnsureSuccessStatusCode();
        })));
    }

    // 0) Warm-up, not timed: the same writes and deliveries, until the JIT has compiled and tiered up the whole path (API,
    // outbox, delivery, receiver). With tiered PGO the runtime first runs instrumented code, and on this load it goes on
    // compiling for 40 s or more: after 15,000 events (20 s) the process still spent ~400 µs per event more than in steady
    // state, with the JIT's thread busy. So the warm-up runs in rounds of 5,000 events until the node's CPU per event
    // settles (a round within 5% of the one before, after at least 8 rounds: the descent has steps where two rounds
    // agree, e.g. 890 then 752 µs; at most 20 rounds). SWITCHBOARD_BENCH_WARMUP sets a
    // fixed count instead (0: a cold start).
    var warming = Stopwatch.GetTimestamp();
    var fixedWarmup = Environment.GetEnvironmentVariable("SWITCHBOARD_BENCH_WARMUP") is { } w ? int.Parse(w, CultureInfo.InvariantCulture) : (int?)null;
    var warmup = 0;
    var rounds = new List<double>();
    const int round = 5_000;
    while (fixedWarmup is { } f ? warmup < f : rounds.Count < 20)
    {
        var size = fixedWarmup is { } total ? Math.Min(round, total - warmup) : round;
        var before = MachineCpu.Read();
        await WriteContactsAsync(size);
        warmup += size;
        while (received.Count < warmup && Stopwatch.GetElapsedTime(warming) < TimeSpan.FromMinutes(10)) await Task.Delay(20);
        if (received.Count < warmup) throw new InvalidOperationException($"warm-up: only {received.Count} of {warmup} events delivered within 10 minutes");
        rounds.Add((MachineCpu.Read() - before).Node.TotalMilliseconds * 1000 / size);
        if (fixedWarmup is null && rounds.Count >= 8 && Math.Abs(rounds[^1] - rounds[^2]) <= 0.05 * rounds[^2]) break;
    }
    Console.WriteLine($"warm-up: {warmup:N0} events written and delivered in {Stopwatch.GetElapsedTime(warming).TotalSeconds:F1} s (not counted); " +
                      $"µs of this process per event, by round of {round:N0}: {string.Join(", ", rounds.Select(r => r.ToString("F0", CultureInfo.InvariantCulture)))}");
    received.Clear();
    var measuredSince = DateTime.UtcNow;

    // 1) Throughput.
    var cpuBefore = MachineCpu.Read();
    var started = Stopwatch.GetTimestamp();
    await WriteContactsAsync(events);
    var written = Stopwatch.GetElapsedTime(started);
    while (received.Count < events && Stopwatch.GetElapsedTime(started) < TimeSpan.FromMinutes(5)) await Task.Delay(20);
    var delivered = Stopwatch.GetElapsedTime(started);
    var cpu = MachineCpu.Read() - cpuBefore;
    Console.WriteLine($"throughput: {events:N0} events; writes took {written.TotalSeconds:F1} s ({events / written.TotalSeconds:F0} writes/s); " +
                      $"all delivered after {delivered.TotalSeconds:F1} s: {received.Count / delivered.TotalSeconds:F0} deliveries/s end to end; " +
                      $"CPU per event {cpu.Node.TotalMilliseconds * 1000 / events:F0} µs in this process (API, workers, receiver, load) + " +
                      $"{cpu.Postgres.TotalMilliseconds * 1000 / events:F0} µs in PostgreSQL");

    // 1b) Delivery alone: 10,000 events already in the outbox for a second endpoint, handed over at once by a replay.
    var replaySince = measuredSince; // the measured events only, not the warm-up's
    var second = (await (await http.PostAsJsonAsync("/api/v1/webhooks", new { url = receiver.Urls.Single() + "/hook", events = new[] { "contact.created" } }))
        .Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();
    received.Clear();
    if (Environment.GetEnvironmentVariable("SWITCHBOARD_BENCH_PROFILE_REPLAY") == "1")
    {
        // For a profiler: name the process and give it time to attach before the phase worth profiling.
        Console.WriteLine($"profile: attach to pid {Environment.ProcessId} now");
        await Task.Delay(TimeSpan.FromSeconds(5));
    }
    var replayStarted = Stopwatch.GetTimestamp();
    var replayed = (await (await http.PostAsJsonAsync($"/api/v1/webhooks/{second}/replay", new { since = replaySince })).Content.ReadFromJsonAsync<JsonObject>())!["deliveries"]!.GetValue<int>();
    // The replay answers once its deliveries are committed (queued); from then on the workers deliver them.
    var queued = Stopwatch.GetElapsedTime(replayStarted);
    var deliveredBefore = received.Count;
    while (received.Count < replayed && Stopwatch.GetElapsedTime(replayStarted) < TimeSpan.FromMinutes(5)) await Task.Delay(20);
    var replayTook = Stopwatch.GetElapsedTime(replayStarted);
    Console.WriteLine($"delivery alone: {replayed:N0} deliveries (one replay) in {replayTook.TotalSeconds:F1} s: {received.Count / replayTook.TotalSeconds:F0} deliveries/s " +
                      $"including the replay's queueing ({queued.TotalSeconds:F2} s, {deliveredBefore:N0} already delivered by then); " +
                      $"from queued to delivered {(received.Count - deliveredBefore) / (replayTook - queued).TotalSeconds:F0} deliveries/s");
    (await http.PatchAsJsonAsync($"/api/v1/webhooks/{second}", new { isActive = false })).EnsureSuccessStatusCode();

    // 2) Latency at a moderate load.
    received.Clear();
    const int rate = 200, seconds = 15;
    var paced = Stopwatch.StartNew();
    var writes = new List<Task>();
    for (var i = 0; i < rate * seconds; i++)
    {
        var due = TimeSpan.FromSeconds((double)i / rate);
        if (paced.Elapsed < due) await Task.Delay(due - paced.Elapsed);
        writes.Add(http.PostAsJsonAsync("/api/v1/contacts", new { firstName = "Paced" }));
    }
    await Task.WhenAll(writes);
    while (received.Count < rate * seconds && paced.Elapsed < TimeSpan.FromSeconds(seconds + 60)) await Task.Delay(20);
    var latencies = received.Values.Select(v => v.LatencyMs).Order().ToArray();
    double P(double q) => latencies[Math.Min(latencies.Length - 1, (int)Math.Ceiling(q * latencies.Length) - 1)];
    Console.WriteLine($"latency at {rate} events/s for {seconds} s: {latencies.Length} delivered; p50 {P(0.5):F1} ms, p99 {P(0.99):F1} ms, max {latencies[^1]:F1} ms");
    await app.StopAsync();
}

/// <summary>CPU time (user + system) used so far by this process and by every PostgreSQL process, from /proc.</summary>
internal readonly record struct MachineCpu(TimeSpan Node, TimeSpan Postgres)
{
    public static MachineCpu operator -(MachineCpu a, MachineCpu b) => new(a.Node - b.Node, a.Postgres - b.Postgres);

    public static MachineCpu Read()
    {
        var node = TimeSpan.Zero;
        var postgres = TimeSpan.Zero;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            string stat;
            try { stat = File.ReadAllText(Path.Combine(dir, "stat")); }
            catch (IOException) { continue; } // the process ended meanwhile
            var close = stat.LastIndexOf(')');
            var name = stat[(stat.IndexOf('(') + 1)..close];
            if (pid != Environment.ProcessId && name != "postgres") continue;
            var fields = stat[(close + 2)..].Split(' ');
            // Fields 14 and 15 of stat (utime, stime) in clock ticks; fields[0] here is field 3.
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            var time = TimeSpan.FromSeconds(ticks / 100.0);
            if (pid == Environment.ProcessId) node += time; else postgres += time;
        }
        return new MachineCpu(node, postgres);
    }
}

// Webhooks end to end on PostgreSQL: API writes → outbox → deliveries → a receiver on loopback, all on this machine.
// 0) warm-up (not timed): contacts written and delivered in rounds until the CPU per event settles (SWITCHBOARD_BENCH_WARMUP);
// 1) throughput: N contacts written as fast as 16 writers can, deliveries/s from the first write to the last receipt;
// 2) latency: 200 writes/s for 15 s, p50/p99 from the event's creation (its timestamp) to its receipt.
// NODES=1 (the default): the node runs in this process, beside the receiver and the writers. NODES=2: two nodes of one
// installation (same database, same encryption key), each a child process of this one (so that each one's CPU can be
// read), both running their dispatchers and delivery workers; write i goes to node i mod 2. In every mode the receiver
// counts each (endpoint, event) once, and the run fails if any is delivered twice or never.
// SWITCHBOARD_BENCH_NODE_PROCESSES=1 with NODES=1: the one node in a child process too.
// Usage: SWITCHBOARD_BENCH_POSTGRES=… [NODES=1|2] dotnet run -c Release -- [events]
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Npgsql;
using Switchboard.Platform;

if (args is ["--node", ..])
{
    await BenchNode.RunChildAsync();
    return;
}

var events = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10_000;
var nodes = Environment.GetEnvironmentVariable("NODES") is { Length: > 0 } n ? int.Parse(n, CultureInfo.InvariantCulture) : 1;
if (nodes is not (1 or 2)) throw new ArgumentException($"NODES={nodes}: 1 or 2 nodes are supported.");
// SWITCHBOARD_BENCH_NODE_PROCESSES=1 runs a single node as a child process too, as two nodes are run: it separates
// what a second node costs from what taking the node out of this process costs.
var childProcesses = nodes > 1 || Environment.GetEnvironmentVariable("SWITCHBOARD_BENCH_NODE_PROCESSES") == "1";
await using var database = await BenchDatabase.CreateAsync("sb_webhooks", maxPoolSize: 100);
var connectionString = database.ConnectionString;
var postmaster = await Postmaster.FindAsync(connectionString);

// The receiver: records when each event arrived and how old it was, once per (endpoint, event): `seen` keeps every
// delivery of the whole run, `received` those of the current phase. Each endpoint has its own path.
var received = new ConcurrentDictionary<string, (long At, double LatencyMs)>();
var seen = new ConcurrentDictionary<string, byte>();
var duplicates = new ConcurrentQueue<string>();
var senders = new ConcurrentDictionary<int, int>(); // the sending connection's port → deliveries, for the current phase
var receiverBuilder = WebApplication.CreateSlimBuilder();
receiverBuilder.WebHost.UseUrls("http://127.0.0.1:0");
receiverBuilder.Logging.ClearProviders();
await using var receiver = receiverBuilder.Build();
foreach (var path in new[] { "/hook", "/replay" })
    receiver.MapPost(path, async (HttpContext http) =>
    {
        var body = await JsonNode.ParseAsync(http.Request.Body);
        var created = DateTime.Parse(body!["timestamp"]!.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal);
        var key = path + " " + body["id"]!.GetValue<string>();
        if (!seen.TryAdd(key, 0)) duplicates.Enqueue(key);
        received.TryAdd(key, (Stopwatch.GetTimestamp(), (DateTime.UtcNow - created).TotalMilliseconds));
        senders.AddOrUpdate(http.Connection.RemotePort, 1, (_, count) => count + 1);
        return Results.Ok();
    });
await receiver.StartAsync();

var encryptionKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
await using var inProcess = !childProcesses ? await BenchNode.StartAsync(connectionString, encryptionKey) : null;
var children = new List<ChildNode>();
try
{
    // One after the other: the first applies the migrations, the second finds them applied.
    for (var i = 1; childProcesses && i <= nodes; i++) children.Add(await ChildNode.StartAsync(i, connectionString, encryptionKey));
    int[] nodePids = inProcess is not null ? [Environment.ProcessId] : [.. children.Select(c => c.Pid)];
    MachineCpu ReadCpu() => MachineCpu.Read(nodePids, postmaster);
    string[] urls = inProcess is not null ? [inProcess.Urls.Single()] : [.. children.Select(c => c.Url)];
    var clients = urls.Select(url => new HttpClient { BaseAddress = new Uri(url) }).ToArray();
    var http = clients[0];
    var signup = await (await http.PostAsJsonAsync("/api/v1/auth/signup",
        new { email = "bench@example.com", password = "benchmark password", name = "Bench", organizationName = "Bench" })).Content.ReadFromJsonAsync<JsonObject>();
    http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", signup!["accessToken"]!.GetValue<string>());
    var key = (await (await http.PostAsJsonAsync("/api/v1/api-keys", new { name = "bench", scopes = new[] { "contacts:write", "webhooks:write" } })).Content.ReadFromJsonAsync<JsonObject>())!["key"]!.GetValue<string>();
    foreach (var client in clients) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
    (await http.PostAsJsonAsync("/api/v1/webhooks", new { url = receiver.Urls.Single() + "/hook", events = new[] { "contact.created" } })).EnsureSuccessStatusCode();

    // Write number i goes to node i mod NODES: with two nodes, exactly half to each.
    async Task WriteContactsAsync(int count)
    {
        var next = 0;
        await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
        {
            for (int i; (i = Interlocked.Increment(ref next)) <= count;)
                (await clients[i % clients.Length].PostAsJsonAsync("/api/v1/contacts", new { firstName = "Storm" })).EnsureSuccessStatusCode();
        })));
    }

    // The end of a phase: every expected delivery received, or the run fails.
    void Complete(string phase, int expected)
    {
        if (received.Count < expected)
            throw new InvalidOperationException($"{phase}: MISSING {expected - received.Count} of {expected} deliveries (received {received.Count})");
        if (!duplicates.IsEmpty)
            throw new InvalidOperationException($"{phase}: {duplicates.Count} DUPLICATE deliveries, e.g. {string.Join(", ", duplicates.Take(5))}");
    }

    // Which node sent the phase's deliveries, from the receiver's view of each connection's port (two nodes only).
    string BySender()
    {
        if (children.Count == 0) return "";
        var owners = ChildNode.PortOwners(children);
        var counts = senders.GroupBy(s => owners.TryGetValue(s.Key, out var node) ? $"node {node}" : "a closed connection")
            .OrderBy(g => g.Key).Select(g => $"{g.Key} {g.Sum(s => s.Value):N0}");
        return $"; delivered by {string.Join(", ", counts)}";
    }

    // 0) Warm-up, not timed: the same writes and deliveries, until the JIT has compiled and tiered up the whole path (API,
    // outbox, delivery, receiver). With tiered PGO the runtime first runs instrumented code, and on this load it goes on
    // compiling for 40 s or more: after 15,000 events (20 s) the process still spent ~400 µs per event more than in steady
    // state, with the JIT's thread busy. So the warm-up runs in rounds of 5,000 events until the CPU per event of the
    // node(s) and this process settles (a round within 5% of the one before, after at least 8 rounds: the descent has
    // steps where two rounds agree, e.g. 890 then 752 µs; at most 20 rounds). SWITCHBOARD_BENCH_WARMUP sets a
    // fixed count instead (0: a cold start).
    var warming = Stopwatch.GetTimestamp();
    var fixedWarmup = Environment.GetEnvironmentVariable("SWITCHBOARD_BENCH_WARMUP") is { } w ? int.Parse(w, CultureInfo.InvariantCulture) : (int?)null;
    var warmup = 0;
    var rounds = new List<double>();
    const int round = 5_000;
    while (fixedWarmup is { } f ? warmup < f : rounds.Count < 20)
    {
        var size = fixedWarmup is { } total ? Math.Min(round, total - warmup) : round;
        var before = ReadCpu();
        await WriteContactsAsync(size);
        warmup += size;
        while (received.Count < warmup && Stopwatch.GetElapsedTime(warming) < TimeSpan.FromMinutes(10)) await Task.Delay(20);
        if (received.Count < warmup) throw new InvalidOperationException($"warm-up: only {received.Count} of {warmup} events delivered within 10 minutes");
        rounds.Add((ReadCpu() - before).NodesAndBench.TotalMilliseconds * 1000 / size);
        if (fixedWarmup is null && rounds.Count >= 8 && Math.Abs(rounds[^1] - rounds[^2]) <= 0.05 * rounds[^2]) break;
    }
    Complete("warm-up", warmup);
    Console.WriteLine($"warm-up: {warmup:N0} events written and delivered in {Stopwatch.GetElapsedTime(warming).TotalSeconds:F1} s (not counted); " +
                      $"µs of {(inProcess is not null ? "this process" : "the node(s) and this process")} per event, by round of {round:N0}: {string.Join(", ", rounds.Select(r => r.ToString("F0", CultureInfo.InvariantCulture)))}");
    received.Clear();
    senders.Clear();
    var measuredSince = DateTime.UtcNow;

    // 1) Throughput.
    var cpuBefore = ReadCpu();
    var started = Stopwatch.GetTimestamp();
    await WriteContactsAsync(events);
    var written = Stopwatch.GetElapsedTime(started);
    while (received.Count < events && Stopwatch.GetElapsedTime(started) < TimeSpan.FromMinutes(5)) await Task.Delay(20);
    var delivered = Stopwatch.GetElapsedTime(started);
    var cpu = ReadCpu() - cpuBefore;
    string PerEvent(TimeSpan time) => (time.TotalMilliseconds * 1000 / events).ToString("F0", CultureInfo.InvariantCulture);
    var cpuText = inProcess is not null
        ? $"CPU per event {PerEvent(cpu.Nodes[0])} µs in this process (API, workers, receiver, load) + {PerEvent(cpu.Postgres)} µs in PostgreSQL"
        : $"CPU per event {string.Join(" + ", cpu.Nodes.Select((t, i) => $"{PerEvent(t)} µs in node {i + 1}"))} (API, workers) + " +
          $"{PerEvent(cpu.Bench)} µs in this process (receiver, load) + {PerEvent(cpu.Postgres)} µs in PostgreSQL = {PerEvent(cpu.NodesAndBench + cpu.Postgres)} µs";
    Console.WriteLine($"throughput: {events:N0} events; writes took {written.TotalSeconds:F1} s ({events / written.TotalSeconds:F0} writes/s); " +
                      $"all delivered after {delivered.TotalSeconds:F1} s: {received.Count / delivered.TotalSeconds:F0} deliveries/s end to end; " +
                      cpuText + BySender());
    Complete("throughput", events);

    // 1b) Delivery alone: 10,000 events already in the outbox for a second endpoint, handed over at once by a replay.
    var replaySince = measuredSince; // the measured events only, not the warm-up's
    var second = (await (await http.PostAsJsonAsync("/api/v1/webhooks", new { url = receiver.Urls.Single() + "/replay", events = new[] { "contact.created" } }))
        .Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();
    received.Clear();
    senders.Clear();
    if (Environment.GetEnvironmentVariable("SWITCHBOARD_BENCH_PROFILE_REPLAY") == "1")
    {
        // For a profiler: name the process(es) and give it time to attach before the phase worth profiling.
        Console.WriteLine($"profile: attach to pid {string.Join(", ", nodePids)} now");
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
                      $"from queued to delivered {(received.Count - deliveredBefore) / (replayTook - queued).TotalSeconds:F0} deliveries/s" + BySender());
    if (replayed != events) throw new InvalidOperationException($"delivery alone: the replay queued {replayed} deliveries for the {events} events of the throughput phase");
    Complete("delivery alone", replayed);
    (await http.PatchAsJsonAsync($"/api/v1/webhooks/{second}", new { isActive = false })).EnsureSuccessStatusCode();

    // 2) Latency at a moderate load.
    received.Clear();
    senders.Clear();
    const int rate = 200, seconds = 15;
    var paced = Stopwatch.StartNew();
    var writes = new List<Task>();
    static async Task PacedWriteAsync(HttpClient client) => (await client.PostAsJsonAsync("/api/v1/contacts", new { firstName = "Paced" })).EnsureSuccessStatusCode();
    for (var i = 0; i < rate * seconds; i++)
    {
        var due = TimeSpan.FromSeconds((double)i / rate);
        if (paced.Elapsed < due) await Task.Delay(due - paced.Elapsed);
        writes.Add(PacedWriteAsync(clients[i % clients.Length]));
    }
    await Task.WhenAll(writes);
    while (received.Count < rate * seconds && paced.Elapsed < TimeSpan.FromSeconds(seconds + 60)) await Task.Delay(20);
    var latencies = received.Values.Select(v => v.LatencyMs).Order().ToArray();
    double P(double q) => latencies[Math.Min(latencies.Length - 1, (int)Math.Ceiling(q * latencies.Length) - 1)];
    Console.WriteLine($"latency at {rate} events/s for {seconds} s: {latencies.Length} delivered; p50 {P(0.5):F1} ms, p99 {P(0.99):F1} ms, max {latencies[^1]:F1} ms" + BySender());
    Complete("latency", rate * seconds);

    // A late second delivery of any event would land now: give it 2 s before the final count.
    await Task.Delay(TimeSpan.FromSeconds(2));
    Complete("end of run", 0);
    Console.WriteLine($"exactly once: {seen.Count:N0} deliveries received over the run ({warmup:N0} + {events:N0} + {replayed:N0} + {rate * seconds:N0} expected), " +
                      $"0 duplicates, 0 missing, with {nodes} node{(nodes == 1 ? "" : "s")}");
    if (seen.Count != warmup + events + replayed + rate * seconds)
        throw new InvalidOperationException($"end of run: {seen.Count} distinct deliveries where {warmup + events + replayed + rate * seconds} were expected");
}
finally
{
    if (inProcess is not null) await inProcess.StopAsync();
    foreach (var child in children) await child.DisposeAsync();
}

/// <summary>One node: the service with the benchmark's settings, on a free port of 127.0.0.1.</summary>
internal static class BenchNode
{
    public static async Task<WebApplication> StartAsync(string connectionString, string encryptionKey)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.Configuration["Switchboard:Database:Provider"] = "postgres";
        builder.Configuration["ConnectionStrings:Switchboard"] = connectionString;
        builder.Configuration["Switchboard:Encryption:Key"] = encryptionKey;
        builder.Configuration["Switchboard:Webhooks:AllowPrivateNetworks"] = "true";
        builder.Configuration["Switchboard:RateLimits:Enabled"] = "false"; // this measures delivery, not limits
        builder.Configuration["urls"] = "http://127.0.0.1:0";
        builder.AddSwitchboard();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var app = builder.Build();
        await app.Services.InitializeSwitchboardAsync();
        app.UseSwitchboard();
        await app.StartAsync();
        return app;
    }

    /// <summary>
    /// A node as a child process (`--node`): the database and key come in the environment, the URL goes out as the first
    /// line of standard output, and the end of standard input (the parent closing it, or dying) stops the node.
    /// </summary>
    public static async Task RunChildAsync()
    {
        await using var app = await StartAsync(Environment.GetEnvironmentVariable(ChildNode.DatabaseVariable)!, Environment.GetEnvironmentVariable(ChildNode.KeyVariable)!);
        Console.WriteLine(ChildNode.ListeningPrefix + app.Urls.Single());
        while (await Console.In.ReadLineAsync() is not null) { }
        await app.StopAsync();
    }
}

/// <summary>A node started as a child process of the benchmark (NODES=2).</summary>
internal sealed class ChildNode : IAsyncDisposable
{
    public const string DatabaseVariable = "SWITCHBOARD_BENCH_NODE_DATABASE", KeyVariable = "SWITCHBOARD_BENCH_NODE_KEY", ListeningPrefix = "listening on ";
    private readonly Process _process;
    public int Number { get; }
    public string Url { get; }
    public int Pid => _process.Id;

    private ChildNode(int number, Process process, string url) => (Number, _process, Url) = (number, process, url);

    public static async Task<ChildNode> StartAsync(int number, string connectionString, string encryptionKey)
    {
        // Under `dotnet run` this is the apphost; started as `dotnet Switchboard.WebhookBench.dll`, it is dotnet.
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet") start.ArgumentList.Add(System.Reflection.Assembly.GetEntryAssembly()!.Location);
        start.ArgumentList.Add("--node");
        start.Environment[DatabaseVariable] = connectionString;
        start.Environment[KeyVariable] = encryptionKey;
        var process = Process.Start(start)!;
        try
        {
            string? url = null;
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            while (url is null)
            {
                var line = await process.StandardOutput.ReadLineAsync(timeout.Token) ?? throw new InvalidOperationException($"node {number} exited before listening");
                if (line.StartsWith(ListeningPrefix, StringComparison.Ordinal)) url = line[ListeningPrefix.Length..];
                else Console.Error.WriteLine($"node {number}: {line}");
            }
            // Its logs (warnings and worse) from then on, named.
            _ = Task.Run(async () =>
            {
                while (await process.StandardOutput.ReadLineAsync() is { } line) Console.Error.WriteLine($"node {number}: {line}");
            });
            return new ChildNode(number, process, url);
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The local ports of the nodes' TCP sockets (their connections to the receiver among them), by node: the socket
    /// inodes behind /proc/&lt;pid&gt;/fd, matched with /proc/net/tcp and tcp6 (.NET's HTTP client connects through a
    /// dual-mode IPv6 socket, so its connections to 127.0.0.1 are listed in tcp6, as ::ffff:127.0.0.1).
    /// </summary>
    public static Dictionary<int, int> PortOwners(IEnumerable<ChildNode> nodes)
    {
        var inodes = new Dictionary<string, int>();
        foreach (var node in nodes)
            foreach (var fd in Directory.EnumerateFiles($"/proc/{node.Pid}/fd"))
                if (new FileInfo(fd).LinkTarget is { } target && target.StartsWith("socket:[", StringComparison.Ordinal))
                    inodes[target["socket:[".Length..^1]] = node.Number;
        var owners = new Dictionary<int, int>();
        foreach (var line in File.ReadLines("/proc/net/tcp").Skip(1).Concat(File.ReadLines("/proc/net/tcp6").Skip(1)))
        {
            // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode …
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (inodes.TryGetValue(fields[9], out var number))
                owners[int.Parse(fields[1][(fields[1].IndexOf(':') + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture)] = number;
        }
        return owners;
    }

    public async ValueTask DisposeAsync()
    {
        // Closing its input stops it gracefully (nothing is in flight by now); a node that hangs is killed.
        _process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(40));
        try { await _process.WaitForExitAsync(timeout.Token); }
        catch (OperationCanceledException) { _process.Kill(entireProcessTree: true); }
        _process.Dispose();
    }
}

/// <summary>The benchmark's PostgreSQL server process: the parent of the backend that answers this connection.</summary>
internal static class Postmaster
{
    public static async Task<int> FindAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT pg_backend_pid()", connection);
        var backend = (int)(await command.ExecuteScalarAsync())!;
        return MachineCpu.Stat(backend)!.Value.ParentPid;
    }
}

/// <summary>
/// CPU time (user + system) used so far by each node's process, by this process when it is not a node (the receiver and
/// the writers), and by the benchmark's PostgreSQL server (its postmaster and every child of it: other PostgreSQL
/// servers on the machine do not count), from /proc.
/// </summary>
internal sealed record MachineCpu(TimeSpan[] Nodes, TimeSpan Bench, TimeSpan Postgres)
{
    public TimeSpan NodesAndBench => Nodes.Aggregate(Bench, (sum, node) => sum + node);

    public static MachineCpu operator -(MachineCpu a, MachineCpu b) =>
        new([.. a.Nodes.Zip(b.Nodes, (x, y) => x - y)], a.Bench - b.Bench, a.Postgres - b.Postgres);

    public static MachineCpu Read(int[] nodePids, int postmaster)
    {
        var nodes = new TimeSpan[nodePids.Length];
        var bench = TimeSpan.Zero;
        var postgres = TimeSpan.Zero;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            if (Stat(pid) is not { } stat) continue;
            var node = Array.IndexOf(nodePids, pid);
            if (node >= 0) nodes[node] += stat.Cpu;
            else if (pid == Environment.ProcessId) bench += stat.Cpu;
            else if (pid == postmaster || (stat.Name == "postgres" && stat.ParentPid == postmaster)) postgres += stat.Cpu;
        }
        return new MachineCpu(nodes, bench, postgres);
    }

    /// <summary>A process's name, parent and CPU time so far, or null when it has ended.</summary>
    public static (string Name, int ParentPid, TimeSpan Cpu)? Stat(int pid)
    {
        string stat;
        try { stat = File.ReadAllText($"/proc/{pid}/stat"); }
        catch (IOException) { return null; } // the process ended meanwhile
        var close = stat.LastIndexOf(')');
        var name = stat[(stat.IndexOf('(') + 1)..close];
        var fields = stat[(close + 2)..].Split(' ');
        // Fields 4, 14 and 15 of stat (ppid, utime, stime; times in clock ticks); fields[0] here is field 3.
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return (name, int.Parse(fields[1], CultureInfo.InvariantCulture), TimeSpan.FromSeconds(ticks / 100.0));
    }
}

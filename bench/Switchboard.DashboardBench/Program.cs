// Dashboard pages under load of data: one organization with 100,000 webhook deliveries (with their attempts) and
// 1,000,000 usage rows (API requests over 30 days, with their hourly roll-ups), on the embedded SQLite database and on
// PostgreSQL side by side in one run. Each page is fetched serially by a signed-in browser session over loopback HTTP;
// the figure is the time to the last byte of the page, which is the server's time plus a loopback round trip.
// Target (issue #18): every page ≤ 100 ms p95.
// Usage: [SWITCHBOARD_BENCH_POSTGRES="Host=127.0.0.1;Port=…;Username=postgres"] dotnet run -c Release -- [deliveries] [usage rows] [requests per page]
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Switchboard.Platform;
using Switchboard.Platform.Storage;
using Switchboard.Usage;
using Switchboard.Webhooks;

var deliveries = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100_000;
var usageRows = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1_000_000;
var perPage = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 200;

var columns = new List<(string Database, List<PageTiming> Pages)>();
// SWITCHBOARD_BENCH_KEEP=1 keeps the SQLite file (its path is printed) to look at its query plans afterwards.
var keep = Environment.GetEnvironmentVariable("SWITCHBOARD_BENCH_KEEP") == "1";
var folder = Directory.CreateTempSubdirectory("sb-dashboard-bench-");
if (keep) Console.WriteLine($"Keeping {folder.FullName}");
try
{
    columns.Add(("SQLite", await RunAsync("sqlite", $"Data Source={Path.Combine(folder.FullName, "bench.db")}")));
    if (Environment.GetEnvironmentVariable("SWITCHBOARD_BENCH_POSTGRES") is { Length: > 0 })
    {
        await using var database = await BenchDatabase.CreateAsync("sb_dashboard", maxPoolSize: 50);
        columns.Add(("PostgreSQL", await RunAsync("postgres", database.ConnectionString)));
    }
    else Console.WriteLine("SWITCHBOARD_BENCH_POSTGRES is not set: SQLite only (bench/dashboard.sh starts a PostgreSQL).");
}
finally
{
    if (!keep) folder.Delete(recursive: true);
}

Console.WriteLine();
Console.WriteLine($"Dashboard pages, one organization with {deliveries:N0} webhook deliveries and {usageRows:N0} usage rows; {perPage} serial requests per page after 10 warm-up ones; milliseconds.");
Console.WriteLine();
Console.WriteLine("| page | " + string.Join(" | ", columns.Select(c => $"{c.Database} p50 | {c.Database} p95 | {c.Database} max")) + " | KiB |");
Console.WriteLine("| --- | " + string.Join(" | ", columns.Select(_ => "--- | --- | ---")) + " | --- |");
var worst = 0.0;
for (var i = 0; i < columns[0].Pages.Count; i++)
{
    var cells = columns.Select(c => c.Pages[i]).ToList();
    worst = Math.Max(worst, cells.Max(p => p.P95));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {cells[0].Name} | {string.Join(" | ", cells.Select(p => $"{p.P50:F1} | {p.P95:F1} | {p.Max:F1}"))} | {cells[0].Bytes / 1024.0:F0} |"));
}
Console.WriteLine();
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Slowest p95: {worst:F1} ms (target ≤ 100 ms): {(worst <= 100 ? "met" : "NOT met")}"));
return worst <= 100 ? 0 : 1;

async Task<List<PageTiming>> RunAsync(string provider, string connectionString)
{
    Console.WriteLine($"== {provider}");
    var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
    builder.Configuration["Switchboard:Database:Provider"] = provider;
    builder.Configuration["ConnectionStrings:Switchboard"] = connectionString;
    builder.Configuration["Switchboard:Encryption:Key"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    builder.Configuration["Switchboard:Webhooks:AllowPrivateNetworks"] = "true";
    builder.Configuration["urls"] = "http://127.0.0.1:0";
    // This measures the pages; limits and quotas are measured by the rate-limit benchmark.
    builder.Configuration["Switchboard:RateLimits:Enabled"] = "false";
    builder.AddSwitchboard();
    builder.Logging.SetMinimumLevel(LogLevel.Warning);
    await using var app = builder.Build();
    await app.Services.InitializeSwitchboardAsync();
    app.UseSwitchboard();
    await app.StartAsync();
    var origin = new Uri(app.Urls.Single());

    const string email = "bench@example.com", password = "benchmark password";
    using var api = new HttpClient { BaseAddress = origin };
    var signup = await Json(await api.PostAsJsonAsync("/api/v1/auth/signup", new { email, password, name = "Bench", organizationName = "Bench Inc" }));
    var organizationId = signup["organization"]!["id"]!.GetValue<string>();
    api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", signup["accessToken"]!.GetValue<string>());

    // Three endpoints (the receiver is never called: the deliveries are seeded as already done) and five keys.
    var endpoints = new List<string>();
    foreach (var name in new[] { "Billing", "Warehouse", "Analytics" })
        endpoints.Add((await Json(await api.PostAsJsonAsync("/api/v1/webhooks",
            new { url = $"http://127.0.0.1:9/{name.ToLowerInvariant()}", name, events = new[] { "contact.*", "lead.*", "deal.*" } })))["id"]!.GetValue<string>());
    var keys = new List<string>();
    for (var i = 0; i < 5; i++)
        keys.Add((await Json(await api.PostAsJsonAsync("/api/v1/api-keys", new { name = $"Service {i}", scopes = new[] { "contacts:read" } })))["id"]!.GetValue<string>());

    var seed = Stopwatch.StartNew();
    await SeedDeliveriesAsync(app.Services, organizationId, endpoints, deliveries);
    Console.WriteLine($"Seeded {deliveries:N0} deliveries and their attempts in {seed.Elapsed.TotalSeconds:F1} s");
    seed.Restart();
    await SeedUsageAsync(app.Services, organizationId, keys, usageRows);
    Console.WriteLine($"Recorded {usageRows:N0} usage rows (and their hourly roll-ups) in {seed.Elapsed.TotalSeconds:F1} s");

    using var browser = await SignInAsync(origin, email, password);
    var pages = new (string Name, string Path)[]
    {
        ("Overview", "/dashboard"),
        ("Usage, 24 hours", "/dashboard/usage"),
        ("Usage, 30 days", "/dashboard/usage?days=30"),
        ("Webhooks (endpoints with health)", "/dashboard/webhooks"),
        ("Endpoint with its delivery log", $"/dashboard/webhooks/{endpoints[0]}"),
        ("Delivery log filtered: dead", $"/dashboard/webhooks/{endpoints[0]}?status=dead"),
        ("Delivery log filtered: event type prefix", $"/dashboard/webhooks/{endpoints[1]}?eventType=deal.*"),
        ("API keys", "/dashboard/api-keys"),
        ("API key with its usage", $"/dashboard/api-keys/{keys[0]}"),
        ("Audit log", "/dashboard/audit-log"),
        ("Plan and quota", "/dashboard/plan"),
    };
    var timings = new List<PageTiming>();
    foreach (var (name, path) in pages) timings.Add(await MeasureAsync(browser, name, path, perPage));
    await app.StopAsync();
    return timings;
}

static async Task<JsonObject> Json(HttpResponseMessage response)
{
    var body = await response.Content.ReadAsStringAsync();
    if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{(int)response.StatusCode} {response.RequestMessage!.RequestUri}: {body}");
    return JsonNode.Parse(body)!.AsObject();
}

// The browser's way in: the sign-in form (its form token and the session cookie), as a person signs in.
static async Task<HttpClient> SignInAsync(Uri origin, string email, string password)
{
    var browser = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false }) { BaseAddress = origin };
    var form = await browser.GetStringAsync("/signin?returnUrl=%2Fdashboard");
    var token = Regex.Match(form, "<input type=\"hidden\" name=\"csrf\" value=\"(?<v>[^\"]+)\"").Groups["v"].Value;
    var action = WebUtility.HtmlDecode(Regex.Match(form, "<form[^>]*action=\"(?<a>/signin[^\"]*)\"").Groups["a"].Value);
    using var signedIn = await browser.PostAsync(action, new FormUrlEncodedContent([new("csrf", token), new("email", email), new("password", password)]));
    if (signedIn.StatusCode != HttpStatusCode.SeeOther) throw new InvalidOperationException($"Sign-in answered {(int)signedIn.StatusCode}: {await signedIn.Content.ReadAsStringAsync()}");
    return browser;
}

static async Task<PageTiming> MeasureAsync(HttpClient browser, string name, string path, int count)
{
    var bytes = 0L;
    for (var i = 0; i < 10; i++)
    {
        using var warm = await browser.GetAsync(path);
        var html = await warm.Content.ReadAsStringAsync();
        if (warm.StatusCode != HttpStatusCode.OK) throw new InvalidOperationException($"{path} answered {(int)warm.StatusCode}: {html[..Math.Min(html.Length, 2000)]}");
        bytes = html.Length;
    }
    var ms = new double[count];
    for (var i = 0; i < count; i++)
    {
        var started = Stopwatch.GetTimestamp();
        using var response = await browser.GetAsync(path);
        await response.Content.ReadAsByteArrayAsync();
        ms[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        response.EnsureSuccessStatusCode();
    }
    Array.Sort(ms);
    var timing = new PageTiming(name, Percentile(ms, 0.50), Percentile(ms, 0.95), ms[^1], bytes);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {name}: p50 {timing.P50:F1} ms, p95 {timing.P95:F1} ms"));
    return timing;
}

static double Percentile(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

// Deliveries as the queue leaves them over 30 days: most succeeded at the first attempt, 4% dead after three; each with
// its attempts. Written through EF in batches (the node's own mapping on both databases).
static async Task SeedDeliveriesAsync(IServiceProvider services, string organizationId, List<string> endpoints, int count)
{
    var types = new[] { "contact.created", "contact.updated", "lead.created", "lead.updated", "deal.created", "deal.stage_changed" };
    var random = new Random(7);
    var now = DateTime.UtcNow;
    var clock = new SteppingClock(now.AddDays(-30));
    var step = TimeSpan.FromDays(30) / count;
    const int batch = 5_000;
    for (var done = 0; done < count; done += batch)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
        db.ChangeTracker.AutoDetectChangesEnabled = false;
        for (var i = done; i < Math.Min(count, done + batch); i++)
        {
            clock.Advance(step);
            var at = clock.GetUtcNow().UtcDateTime;
            var dead = random.Next(25) == 0;
            var type = types[random.Next(types.Length)];
            var eventId = Ids.New("evt", clock);
            var delivery = new WebhookDelivery
            {
                Id = Ids.New("dlv", clock), OrganizationId = organizationId, EndpointId = endpoints[i % endpoints.Count], EventId = eventId, EventType = type,
                Payload = $$$"""{"id":"{{{eventId}}}","type":"{{{type}}}","createdAt":"{{{at:O}}}","data":{"id":"con_{{{i:D8}}}","firstName":"Ada","lastName":"Lovelace {{{i}}}","email":"ada{{{i}}}@example.com","company":"Analytical Engines Ltd"}}""",
                Status = dead ? DeliveryStatus.Dead : DeliveryStatus.Succeeded, Attempts = dead ? 3 : 1, NextAttemptAt = at,
                LastStatusCode = dead ? 503 : 200, LastError = dead ? "HTTP 503" : null, CreatedAt = at, UpdatedAt = at, CompletedAt = at.AddMilliseconds(120),
            };
            db.Add(delivery);
            for (var a = 1; a <= delivery.Attempts; a++)
                db.Add(new WebhookAttempt
                {
                    Id = Ids.New("att", clock), OrganizationId = organizationId, DeliveryId = delivery.Id, EndpointId = delivery.EndpointId, Attempt = a,
                    AttemptedAt = at.AddSeconds(a * 30), StatusCode = dead ? 503 : 200, LatencyMs = 40 + random.Next(200),
                    ResponseBody = dead ? """{"error":"upstream unavailable"}""" : """{"ok":true}""",
                });
        }
        await db.SaveChangesAsync();
    }
}

// Requests as the usage middleware records them, spread over the last 30 days, through the node's own recorder (raw
// rows and hourly roll-ups), flushed every 100,000.
static async Task SeedUsageAsync(IServiceProvider services, string organizationId, List<string> keys, int count)
{
    var recorder = services.GetRequiredService<UsageRecorder>();
    var routes = new[]
    {
        ("GET", "/api/v1/contacts"), ("GET", "/api/v1/contacts/{id}"), ("POST", "/api/v1/contacts"), ("PATCH", "/api/v1/contacts/{id}"),
        ("GET", "/api/v1/leads"), ("POST", "/api/v1/leads"), ("GET", "/api/v1/deals"), ("POST", "/api/v1/deals/{id}/stage"),
        ("GET", "/api/v1/tasks"), ("POST", "/api/v1/activities"), ("GET", "/api/v1/analytics/pipeline"), ("GET", "/api/v1/webhooks"),
    };
    var statuses = new[] { 200, 200, 200, 200, 200, 200, 200, 200, 201, 204, 400, 404, 429, 500 };
    var random = new Random(11);
    var start = DateTime.UtcNow.AddDays(-30);
    var span = TimeSpan.FromDays(30).Ticks;
    for (var i = 0; i < count; i++)
    {
        var (method, route) = routes[random.Next(routes.Length)];
        var at = start.AddTicks((long)(random.NextDouble() * span));
        recorder.Record(new UsageRecord(organizationId, keys[random.Next(keys.Count)], "", method, route, statuses[random.Next(statuses.Length)],
            LatencyMicros: 800 + (long)(Math.Exp(random.NextDouble() * 4) * 500), RequestBytes: method == "GET" ? 0 : 400, ResponseBytes: 1_800,
            RequestId: $"req_{i:D10}", At: at));
        if ((i + 1) % 100_000 == 0) await recorder.FlushAsync(CancellationToken.None);
    }
    await recorder.FlushAsync(CancellationToken.None);
    if (recorder.Dropped > 0) throw new InvalidOperationException($"The recorder dropped {recorder.Dropped} records.");
}

internal sealed record PageTiming(string Name, double P50, double P95, double Max, long Bytes);

internal sealed class SteppingClock(DateTime start) : TimeProvider
{
    private DateTime _now = start;
    public void Advance(TimeSpan by) => _now += by;
    public override DateTimeOffset GetUtcNow() => new(_now, TimeSpan.Zero);
}

// Integration actions end to end on PostgreSQL: lead writes through the API → outbox → fan-out to an action rule (with a
// filter) → the Slack connector (Block Kit lead card, chat.postMessage with the bot token) → a loopback fake Slack.
// 0) warm-up (not timed): SWITCHBOARD_BENCH_WARMUP leads (default 10,000, so the tiered JIT has compiled the hot paths), written and posted;
// 1) throughput: N leads written by 16 writers; actions/s from the first write to the last message Slack received;
// 2) actions alone: the same N lead events queued at once as runs of the rule (one insert), actions/s from queued to posted.
// Target (#17): ≥ 1,000 actions/s end to end on this machine.
// Usage: SWITCHBOARD_BENCH_POSTGRES=… dotnet run -c Release -- [leads]
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Switchboard.Integrations;
using Switchboard.Integrations.Connectors;
using Switchboard.Platform;
using Switchboard.Platform.Storage;

var leads = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10_000;
var warmupCount = Environment.GetEnvironmentVariable("SWITCHBOARD_BENCH_WARMUP") is { } w ? int.Parse(w, CultureInfo.InvariantCulture) : 10_000;
await using var database = await BenchDatabase.CreateAsync("sb_actions", maxPoolSize: 100);

// The fake Slack: chat.postMessage answers {"ok": true} and records when each lead's card arrived.
const string botToken = "xoxb-bench-token";
var received = new ConcurrentDictionary<string, long>();
var refused = 0;
var slackBuilder = WebApplication.CreateSlimBuilder();
slackBuilder.WebHost.UseUrls("http://127.0.0.1:0");
slackBuilder.Logging.ClearProviders();
await using var slack = slackBuilder.Build();
slack.MapPost("/api/chat.postMessage", async (HttpContext http) =>
{
    if (http.Request.Headers.Authorization.ToString() != "Bearer " + botToken) { Interlocked.Increment(ref refused); return Results.Json(new { ok = false, error = "invalid_auth" }); }
    var body = await JsonNode.ParseAsync(http.Request.Body);
    var leadId = body?["blocks"]?.AsArray().Select(b => b?["elements"]?[0]?["value"]?.GetValue<string>()).FirstOrDefault(v => v is not null);
    if (leadId is null || body!["channel"] is null) { Interlocked.Increment(ref refused); return Results.Json(new { ok = false, error = "invalid_arguments" }); }
    received.TryAdd(leadId, Stopwatch.GetTimestamp());
    return Results.Json(new { ok = true, channel = body["channel"]!.GetValue<string>(), ts = "1700000000.000100" });
});
await slack.StartAsync();

var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
builder.Configuration["Switchboard:Database:Provider"] = "postgres";
builder.Configuration["ConnectionStrings:Switchboard"] = database.ConnectionString;
builder.Configuration["Switchboard:Encryption:Key"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
builder.Configuration["Switchboard:RateLimits:Enabled"] = "false"; // this measures actions, not API limits
builder.Configuration["Switchboard:Integrations:Providers:slack:BaseUrls:api"] = slack.Urls.Single() + "/api";
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
var organizationId = signup!["organization"]!["id"]!.GetValue<string>();
http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", signup["accessToken"]!.GetValue<string>());
var key = (await (await http.PostAsJsonAsync("/api/v1/api-keys", new { name = "bench", scopes = new[] { "leads:write", "integrations:write" } }))
    .Content.ReadFromJsonAsync<JsonObject>())!["key"]!.GetValue<string>();
http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);

// A Slack installation with a bot token, as the OAuth connection stores it (the installations API is another change's).
var installationId = Ids.New(IntegrationResources.Installations);
await using (var scope = app.Services.CreateAsyncScope())
{
    var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
    var secrets = scope.ServiceProvider.GetRequiredService<IntegrationSecrets>();
    db.Add(new IntegrationInstallation
    {
        Id = installationId, OrganizationId = organizationId, ProviderKey = "slack", Name = "Bench Slack", Config = """{"channel":"C0BENCH"}""",
        TokensEncrypted = secrets.ProtectTokens(installationId, new ProviderTokens(botToken, null, null, "chat:write", "bot")),
        Status = InstallationStatus.Active, CreatedAt = DateTime.UtcNow, UpdatedAt = DateTime.UtcNow,
    });
    await db.SaveChangesAsync();
}
var ruleId = (await (await http.PostAsJsonAsync($"/api/v1/integrations/{installationId}/rules",
    new { events = new[] { "lead.created" }, filter = "score >= 50", action = "notify_lead", input = new { lead = "{{data}}" } })).EnsureSuccessStatusCode()
    .Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();

async Task<List<string>> WriteLeadsAsync(int count)
{
    var next = 0;
    var ids = new ConcurrentBag<string>();
    await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
    {
        while (Interlocked.Increment(ref next) <= count)
        {
            var response = await http.PostAsJsonAsync("/api/v1/leads", new { name = "Storm Lead", company = "Bench", score = 80, source = "web" });
            response.EnsureSuccessStatusCode();
            ids.Add((await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>());
        }
    })));
    return [.. ids];
}

async Task<TimeSpan> WaitForAsync(IReadOnlyCollection<string> ids, long since, TimeSpan limit)
{
    while (ids.Any(id => !received.ContainsKey(id)) && Stopwatch.GetElapsedTime(since) < limit) await Task.Delay(20);
    var missing = ids.Count(id => !received.ContainsKey(id));
    if (missing > 0) throw new InvalidOperationException($"{missing} of {ids.Count} actions did not reach Slack within {limit.TotalSeconds:F0} s ({refused} refused)");
    return Stopwatch.GetElapsedTime(since);
}

// 0) Warm-up (JIT, pools, caches), not timed.
var warming = Stopwatch.GetTimestamp();
if (warmupCount > 0) await WaitForAsync(await WriteLeadsAsync(warmupCount), warming, TimeSpan.FromMinutes(5));
Console.WriteLine($"warm-up: {warmupCount:N0} leads written and posted in {Stopwatch.GetElapsedTime(warming).TotalSeconds:F1} s (not counted)");

// 1) Throughput, end to end.
var started = Stopwatch.GetTimestamp();
var written = await WriteLeadsAsync(leads);
var writesTook = Stopwatch.GetElapsedTime(started);
var took = await WaitForAsync(written, started, TimeSpan.FromMinutes(10));
Console.WriteLine($"throughput: {leads:N0} leads; writes took {writesTook.TotalSeconds:F1} s ({leads / writesTook.TotalSeconds:F0} writes/s); " +
                  $"every card posted to Slack after {took.TotalSeconds:F1} s: {leads / took.TotalSeconds:F0} actions/s end to end (target ≥ 1,000)");

// 2) Actions alone: the measured leads' events queued again for the rule in one insert (as a replay would), then the
// workers lease, run and record them; the API's write rate is out of the figure.
List<string> queuedIds;
await using (var scope = app.Services.CreateAsyncScope())
{
    var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
    var measured = written.ToHashSet();
    var events = (await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.ToListAsync(
        Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.IgnoreQueryFilters(db.OutboxEvents).Where(e => e.Type == "lead.created")))
        .Where(e => e.ResourceId is { } id && measured.Contains(id)).ToList();
    received.Clear();
    queuedIds = events.Select(e => e.ResourceId!).ToList();
    var queuedAt = DateTime.UtcNow;
    db.AddRange(events.Select(e => Switchboard.Webhooks.WebhookDeliveries.For(e, ruleId, queuedAt)));
    var alone = Stopwatch.GetTimestamp();
    await db.SaveChangesAsync();
    var insert = Stopwatch.GetElapsedTime(alone);
    var tookAlone = await WaitForAsync(queuedIds, alone, TimeSpan.FromMinutes(10));
    Console.WriteLine($"actions alone: {queuedIds.Count:N0} runs queued in one insert ({insert.TotalSeconds:F2} s) and posted after {tookAlone.TotalSeconds:F1} s: " +
                      $"{queuedIds.Count / tookAlone.TotalSeconds:F0} actions/s");
}
if (refused > 0) Console.WriteLine($"warning: the fake Slack refused {refused} requests");
await app.StopAsync();

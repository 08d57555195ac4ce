// A HubSpot contacts sync end to end on PostgreSQL: a paged fake of HubSpot's CRM v3 search API (100 contacts a page,
// lastmodifieddate ascending, the 10,000-result cap enforced) on loopback, a node syncing them into CRM contacts through
// the CRM's write path (records, outbox events, id-map links, one transaction per page).
// 0) warm-up (not timed): a sync of 20,000 contacts into another organization (until the tiered JIT has compiled the hot paths: after 5,000 it was still busy through the measured run);
// 1) the measured sync: N contacts, from POST /sync to the run's success; records/s.
// Usage: SWITCHBOARD_BENCH_POSTGRES=… dotnet run -c Release -- [contacts]
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Switchboard.Integrations;
using Switchboard.Integrations.Connectors;
using Switchboard.Platform;
using Switchboard.Platform.Storage;

var contacts = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100_000;
var warmup = Environment.GetEnvironmentVariable("SWITCHBOARD_BENCH_WARMUP") is { } w ? int.Parse(w, CultureInfo.InvariantCulture) : 20_000;
await using var database = await BenchDatabase.CreateAsync("sb_sync", maxPoolSize: 50);

// The fake: each portal (access token) holds its contacts sorted by modification time, 1 ms apart.
var portals = new Dictionary<string, (long Start, int Count)>
{
    ["at-warm"] = (DateTimeOffset.UtcNow.AddDays(-2).ToUnixTimeMilliseconds(), warmup),
    ["at-bench"] = (DateTimeOffset.UtcNow.AddDays(-1).ToUnixTimeMilliseconds(), contacts),
};
var fakeBuilder = WebApplication.CreateSlimBuilder();
fakeBuilder.WebHost.UseUrls("http://127.0.0.1:0");
fakeBuilder.Logging.ClearProviders();
await using var fake = fakeBuilder.Build();
fake.MapPost("/crm/v3/objects/contacts/search", async (HttpContext http) =>
{
    var token = http.Request.Headers.Authorization.ToString().Replace("Bearer ", "", StringComparison.Ordinal);
    if (!portals.TryGetValue(token, out var portal))
        return Results.Json(new { status = "error", message = "Authentication credentials not found.", category = "EXPIRED_AUTHENTICATION" }, statusCode: 401);
    var body = (await JsonNode.ParseAsync(http.Request.Body))!.AsObject();
    var limit = body["limit"]!.GetValue<int>();
    var offset = body["after"] is { } a ? int.Parse(a.GetValue<string>(), CultureInfo.InvariantCulture) : 0;
    if (offset + limit > 10_000) return Results.Json(new { status = "error", message = "The search API returns at most 10,000 results.", category = "VALIDATION_ERROR" }, statusCode: 400);
    var since = body["filterGroups"]?[0]?["filters"]?[0]?["value"] is { } v ? long.Parse(v.GetValue<string>(), CultureInfo.InvariantCulture) : portal.Start;
    var first = (int)Math.Clamp(since - portal.Start, 0, portal.Count); // contact i was modified at Start + i ms
    var total = portal.Count - first;
    var results = new JsonArray();
    for (var i = first + offset; i < Math.Min(portal.Count, first + offset + limit); i++)
    {
        var at = DateTimeOffset.FromUnixTimeMilliseconds(portal.Start + i).UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
        results.Add(new JsonObject
        {
            ["id"] = (1000 + i).ToString(CultureInfo.InvariantCulture),
            ["properties"] = new JsonObject
            {
                ["firstname"] = "Bench", ["lastname"] = $"Contact {i}", ["email"] = $"contact{i}@{token}.example.com", ["phone"] = "+1 (415) 555-0100",
                ["company"] = "Acme", ["jobtitle"] = "Buyer", ["lastmodifieddate"] = at, ["hs_object_id"] = (1000 + i).ToString(CultureInfo.InvariantCulture),
            },
            ["createdAt"] = at, ["updatedAt"] = at, ["archived"] = false,
        });
    }
    var page = new JsonObject { ["total"] = total, ["results"] = results };
    if (offset + limit < total) page["paging"] = new JsonObject { ["next"] = new JsonObject { ["after"] = (offset + limit).ToString(CultureInfo.InvariantCulture) } };
    return Results.Json(page);
});
await fake.StartAsync();
var fakeUrl = fake.Urls.Single();

var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
builder.Configuration["Switchboard:Database:Provider"] = "postgres";
builder.Configuration["ConnectionStrings:Switchboard"] = database.ConnectionString;
builder.Configuration["Switchboard:Encryption:Key"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
builder.Configuration["Switchboard:RateLimits:Enabled"] = "false";
builder.Configuration["Switchboard:Integrations:Providers:hubspot:BaseUrls:api"] = fakeUrl;
builder.Configuration["Switchboard:Integrations:SchedulerPollSeconds"] = "0.2";
builder.Configuration["urls"] = "http://127.0.0.1:0";
builder.AddSwitchboard();
builder.Logging.SetMinimumLevel(LogLevel.Warning);
await using var app = builder.Build();
await app.Services.InitializeSwitchboardAsync();
app.UseSwitchboard();
await app.StartAsync();

async Task<double> SyncAsync(string email, string accessToken, int expected)
{
    using var http = new HttpClient { BaseAddress = new Uri(app.Urls.Single()), Timeout = TimeSpan.FromMinutes(5) };
    var signup = await (await http.PostAsJsonAsync("/api/v1/auth/signup",
        new { email, password = "benchmark password", name = "Bench", organizationName = "Bench" })).Content.ReadFromJsonAsync<JsonObject>();
    http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", signup!["accessToken"]!.GetValue<string>());
    var organization = signup["organization"]!["id"]!.GetValue<string>();
    var time = app.Services.GetRequiredService<TimeProvider>();
    var installation = Ids.New(IntegrationResources.Installations, time);
    await using (var scope = app.Services.CreateAsyncScope())
    {
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
        db.Add(new IntegrationInstallation { Id = installation, OrganizationId = organization, ProviderKey = "hubspot", Name = "HubSpot", CreatedAt = time.UtcNow(), UpdatedAt = time.UtcNow() });
        await db.SaveChangesAsync();
    }
    await app.Services.GetRequiredService<ProviderTokenStore>().StoreAsync(installation,
        new ProviderTokens(accessToken, null, time.UtcNow().AddHours(6), null, "bearer"), CancellationToken.None);

    var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
    var started = Stopwatch.GetTimestamp();
    var queued = await http.PostAsJsonAsync($"/api/v1/integrations/{installation}/sync", new { model = "contacts" });
    queued.EnsureSuccessStatusCode();
    var runId = (await queued.Content.ReadFromJsonAsync<JsonObject>())!["data"]![0]!["id"]!.GetValue<string>();
    JsonObject run;
    do
    {
        await Task.Delay(50);
        run = (await http.GetFromJsonAsync<JsonObject>($"/api/v1/integrations/{installation}/sync-runs/{runId}"))!;
    } while (run["status"]!.GetValue<string>() is "queued" or "running");
    var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
    var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
    Console.WriteLine($"  node CPU: {cpu:F1} s for {expected:N0} contacts ({cpu * 1000 / expected * 1000:F0} µs a record; the wall time was {seconds:F1} s)");
    if (run["status"]!.GetValue<string>() != "succeeded" || run["counts"]!["added"]!.GetValue<int>() != expected)
        throw new InvalidOperationException($"The sync did not add {expected} contacts: {run.ToJsonString()}");
    await using (var scope = app.Services.CreateAsyncScope())
    {
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
        var stored = await db.Set<Switchboard.Crm.Contacts.Contact>().IgnoreQueryFilters().CountAsync(c => c.OrganizationId == organization);
        var links = await db.Set<IntegrationRecordLink>().IgnoreQueryFilters().CountAsync(l => l.InstallationId == installation);
        if (stored != expected || links != expected) throw new InvalidOperationException($"{stored} contacts and {links} links stored, {expected} expected.");
    }
    return seconds;
}

if (warmup > 0)
{
    var warm = await SyncAsync("warm@example.com", "at-warm", warmup);
    Console.WriteLine($"warm-up: {warmup:N0} contacts in {warm:F1} s ({warmup / warm:N0} records/s, not counted)");
}
var elapsed = await SyncAsync("bench@example.com", "at-bench", contacts);
Console.WriteLine($"sync of {contacts:N0} contacts (100 a page, PostgreSQL): {elapsed:F1} s, {contacts / elapsed:N0} records/s end to end (target ≥ 5,000)");
await fake.StopAsync();

// Pagination at depth on PostgreSQL: one tenant with 1,000,000 contacts; the first page, cursor pages at random
// depths, and offset pages at depth, each measured over real loopback HTTP with an API key.
// Usage: SWITCHBOARD_BENCH_POSTGRES="Host=127.0.0.1;Port=…;Username=postgres" dotnet run -c Release -- [rows]
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Npgsql;
using NpgsqlTypes;
using Switchboard.Platform;
using Switchboard.Platform.Pagination;

var rows = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1_000_000;
await using var database = await BenchDatabase.CreateAsync("sb_paging", maxPoolSize: 50);
var connectionString = database.ConnectionString;

{
    var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
    builder.Configuration["Switchboard:Database:Provider"] = "postgres";
    builder.Configuration["ConnectionStrings:Switchboard"] = connectionString;
    builder.Configuration["Switchboard:Encryption:Key"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    builder.Configuration["urls"] = "http://127.0.0.1:0";
    // This measures paging; limits and quotas are measured by the rate-limit benchmark.
    builder.Configuration["Switchboard:RateLimits:Enabled"] = "false";
    builder.AddSwitchboard();
    builder.Logging.SetMinimumLevel(LogLevel.Warning);
    await using var app = builder.Build();
    await app.Services.InitializeSwitchboardAsync();
    app.UseSwitchboard();
    await app.StartAsync();
    var address = app.Urls.Single();
    using var http = new HttpClient { BaseAddress = new Uri(address) };

    var signup = await (await http.PostAsJsonAsync("/api/v1/auth/signup",
        new { email = "bench@example.com", password = "benchmark password", name = "Bench", organizationName = "Bench" })).Content.ReadFromJsonAsync<JsonObject>();
    var organizationId = signup!["organization"]!["id"]!.GetValue<string>();
    http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", signup["accessToken"]!.GetValue<string>());
    var key = (await (await http.PostAsJsonAsync("/api/v1/api-keys", new { name = "bench", scopes = new[] { "contacts:read" } })).Content.ReadFromJsonAsync<JsonObject>())!["key"]!.GetValue<string>();
    http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);

    var seed = Stopwatch.StartNew();
    await SeedAsync(connectionString, organizationId, rows);
    Console.WriteLine($"Seeded {rows:N0} contacts in {seed.Elapsed.TotalSeconds:F1} s");

    // Cursors at random depths between 10% and 99% of the table, as a client paging deep would hold them.
    var cursors = await CursorsAsync(connectionString, organizationId, rows, 400);
    var results = new List<(string Name, double[] Ms)>
    {
        ("first page (limit=20)", await MeasureAsync(http, 500, _ => "/api/v1/contacts?limit=20")),
        ("cursor page at depth 10%-99% (limit=20)", await MeasureAsync(http, cursors.Count, i => $"/api/v1/contacts?limit=20&cursor={Uri.EscapeDataString(cursors[i])}")),
        ("offset=1000 (limit=20)", await MeasureAsync(http, 200, _ => "/api/v1/contacts?limit=20&offset=1000")),
        ($"offset={rows / 2} (limit=20)", await MeasureAsync(http, 40, _ => $"/api/v1/contacts?limit=20&offset={rows / 2}")),
        ($"offset={rows - 100} (limit=20)", await MeasureAsync(http, 20, _ => $"/api/v1/contacts?limit=20&offset={rows - 100}")),
    };
    Console.WriteLine();
    Console.WriteLine($"| request ({rows:N0} contacts, one tenant) | n | p50 ms | p99 ms | mean ms |");
    Console.WriteLine("| --- | --- | --- | --- | --- |");
    foreach (var (name, ms) in results)
    {
        Array.Sort(ms);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {name} | {ms.Length} | {Percentile(ms, 0.50):F2} | {Percentile(ms, 0.99):F2} | {ms.Average():F2} |"));
    }
    await app.StopAsync();
}
return 0;

static double Percentile(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

static async Task<double[]> MeasureAsync(HttpClient http, int count, Func<int, string> path)
{
    for (var i = 0; i < Math.Min(20, count); i++) (await http.GetAsync(path(i))).EnsureSuccessStatusCode(); // warm-up
    var ms = new double[count];
    for (var i = 0; i < count; i++)
    {
        var started = Stopwatch.GetTimestamp();
        using var response = await http.GetAsync(path(i));
        await response.Content.ReadAsByteArrayAsync();
        ms[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        response.EnsureSuccessStatusCode();
    }
    return ms;
}

// Rows as the API would have made them: ULID ids in creation order, one per simulated millisecond, via binary COPY.
static async Task SeedAsync(string connectionString, string organizationId, int rows)
{
    await using var connection = new NpgsqlConnection(connectionString);
    await connection.OpenAsync();
    var start = DateTime.UtcNow.AddMilliseconds(-rows - 60_000);
    var clock = new SteppingClock(start);
    await using (var copy = await connection.BeginBinaryImportAsync(
        "COPY contacts (id, organization_id, first_name, last_name, email, company, created_at, updated_at, version, metadata) FROM STDIN (FORMAT BINARY)"))
    {
        for (var i = 0; i < rows; i++)
        {
            clock.Step();
            var at = clock.GetUtcNow().UtcDateTime;
            await copy.StartRowAsync();
            await copy.WriteAsync(Ids.New("con", clock), NpgsqlDbType.Varchar);
            await copy.WriteAsync(organizationId, NpgsqlDbType.Varchar);
            await copy.WriteAsync($"First{i}", NpgsqlDbType.Varchar);
            await copy.WriteAsync($"Last{i % 5000}", NpgsqlDbType.Varchar);
            await copy.WriteAsync($"person{i}@example.com", NpgsqlDbType.Varchar);
            await copy.WriteAsync($"Company {i % 997}", NpgsqlDbType.Varchar);
            await copy.WriteAsync(at, NpgsqlDbType.TimestampTz);
            await copy.WriteAsync(at, NpgsqlDbType.TimestampTz);
            await copy.WriteAsync(1L, NpgsqlDbType.Bigint);
            await copy.WriteAsync("{}", NpgsqlDbType.Varchar);
        }
        await copy.CompleteAsync();
    }
    await new NpgsqlCommand("VACUUM ANALYZE contacts", connection).ExecuteNonQueryAsync();
}

static async Task<List<string>> CursorsAsync(string connectionString, string organizationId, int rows, int count)
{
    await using var connection = new NpgsqlConnection(connectionString);
    await connection.OpenAsync();
    var cursors = new List<string>();
    var random = new Random(42);
    for (var i = 0; i < count; i++)
    {
        var depth = random.Next(rows / 10, rows - rows / 100);
        await using var command = new NpgsqlCommand(
            "SELECT id, created_at FROM contacts WHERE organization_id = @o ORDER BY created_at DESC, id DESC OFFSET @d LIMIT 1", connection);
        command.Parameters.AddWithValue("o", organizationId);
        command.Parameters.AddWithValue("d", depth);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        var at = reader.GetFieldValue<DateTime>(1);
        cursors.Add(PageRequest.EncodeCursor(reader.GetString(0), "-createdAt", at.Ticks.ToString(CultureInfo.InvariantCulture)));
    }
    return cursors;
}

internal sealed class SteppingClock(DateTime start) : TimeProvider
{
    private DateTime _now = start;
    public void Step() => _now = _now.AddMilliseconds(1);
    public override DateTimeOffset GetUtcNow() => new(_now, TimeSpan.Zero);
}

using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Tests.Infrastructure;
using Switchboard.Usage;

namespace Switchboard.Tests.Usage;

/// <summary>
/// A period's usage is read from whole days of the daily roll-up and the hours at its ends from the hourly one, and its
/// chart from the hourly totals: the figures must be exactly those of the requests themselves, counted here apart.
/// </summary>
public abstract class UsageRollupTests<TFactory>(TFactory node) : IClassFixture<TFactory> where TFactory : SwitchboardFactory
{
    private static readonly (string Method, string Route)[] Routes =
        [("GET", "/api/v1/contacts"), ("GET", "/api/v1/contacts/{id}"), ("POST", "/api/v1/leads"), ("DELETE", "/api/v1/deals/{id}")];
    private static readonly int[] Statuses = [200, 201, 404, 429, 500];

    [Fact]
    public async Task APeriodAcrossDaysAnswersTheFiguresOfItsRequestsExactly()
    {
        using var owner = node.Client();
        await owner.SignupAsync(organization: "Rollup Org");
        using var other = node.Client();
        await other.SignupAsync(organization: "Rollup Other Org");
        var organizationId = owner.OrganizationId!;

        // Four days ago 20:00 to two days ago 05:30 (UTC): two end slices of hours around one whole day, and requests
        // just outside it on both sides.
        var today = DateTime.UtcNow.Date;
        var from = today.AddDays(-4).AddHours(20);
        var to = today.AddDays(-2).AddHours(5).AddMinutes(30);
        var random = new Random(3);
        var records = new List<UsageRecord>();
        for (var i = 0; i < 3_000; i++)
        {
            var at = today.AddDays(-5).AddTicks((long)(random.NextDouble() * TimeSpan.FromDays(4).Ticks));
            var (method, route) = Routes[random.Next(Routes.Length)];
            var (key, client) = random.Next(3) switch { 0 => ("key_A", ""), 1 => ("key_B", ""), _ => ("", "sbc_app") };
            records.Add(new UsageRecord(organizationId, key, key == "" ? "usr_1" : "", method, route, Statuses[random.Next(Statuses.Length)],
                LatencyMicros: 300 + random.Next(3_000_000), RequestBytes: random.Next(2_000), ResponseBytes: random.Next(50_000), RequestId: $"req_{i}", At: at, ClientId: client));
        }
        // The same moments in another organization: never counted here.
        var recorder = node.Services.GetRequiredService<UsageRecorder>();
        foreach (var r in records)
        {
            recorder.Record(r);
            recorder.Record(r with { OrganizationId = other.OrganizationId! });
        }
        await recorder.FlushAsync(CancellationToken.None);

        var usage = await owner.GetJsonAsync($"/api/v1/usage?from={Iso(from)}&to={Iso(to)}");
        // An hour that starts before the end is in the period, as the hourly roll-ups count it.
        var end = to.Ticks % TimeSpan.TicksPerHour == 0 ? to : UsageHour.HourOf(to).AddHours(1);
        var inPeriod = records.Where(r => r.At >= from && r.At < end).ToList();
        inPeriod.Count.ShouldBeGreaterThan(1_000);
        records.Count(r => r.At < from || r.At >= end).ShouldBeGreaterThan(500);

        var totals = usage["totals"]!;
        totals["requests"]!.GetValue<long>().ShouldBe(inPeriod.Count);
        totals["failed"]!.GetValue<long>().ShouldBe(inPeriod.Count(r => r.Status >= 400));
        totals["requestBytes"]!.GetValue<long>().ShouldBe(inPeriod.Sum(r => r.RequestBytes));
        totals["responseBytes"]!.GetValue<long>().ShouldBe(inPeriod.Sum(r => r.ResponseBytes));
        totals["averageLatencyMs"]!.GetValue<double>().ShouldBe(Math.Round(inPeriod.Sum(r => r.LatencyMicros) / 1000.0 / inPeriod.Count, 2));
        totals["p50LatencyMs"]!.GetValue<double>().ShouldBe(Quantile(inPeriod, 0.5)!.Value);
        totals["p95LatencyMs"]!.GetValue<double>().ShouldBe(Quantile(inPeriod, 0.95)!.Value);

        foreach (var endpoint in usage["byEndpoint"]!.AsArray())
        {
            var mine = inPeriod.Where(r => r.Method == endpoint!["method"]!.GetValue<string>() && r.Route == endpoint["route"]!.GetValue<string>()).ToList();
            endpoint!["requests"]!.GetValue<long>().ShouldBe(mine.Count);
            endpoint["failed"]!.GetValue<long>().ShouldBe(mine.Count(r => r.Status >= 400));
            endpoint["p95LatencyMs"]!.GetValue<double>().ShouldBe(Quantile(mine, 0.95)!.Value);
        }
        usage["byEndpoint"]!.AsArray().Count.ShouldBe(Routes.Length);
        usage["byStatus"]!.AsArray().Select(s => (s!["status"]!.GetValue<int>(), s["requests"]!.GetValue<long>()))
            .ShouldBe(inPeriod.GroupBy(r => r.Status).OrderBy(g => g.Key).Select(g => (g.Key, (long)g.Count())));
        usage["topKeys"]!.AsArray().Select(k => (k!["apiKeyId"]!.GetValue<string>(), k["requests"]!.GetValue<long>(), k["failed"]!.GetValue<long>()))
            .OrderBy(k => k.Item1).ShouldBe(inPeriod.Where(r => r.ApiKeyId != "").GroupBy(r => r.ApiKeyId).OrderBy(g => g.Key)
                .Select(g => (g.Key, (long)g.Count(), (long)g.Count(r => r.Status >= 400))));
        var app = usage["topApps"]!.AsArray().Single()!;
        app["clientId"]!.GetValue<string>().ShouldBe("sbc_app");
        app["requests"]!.GetValue<long>().ShouldBe(inPeriod.Count(r => r.ClientId == "sbc_app"));

        // The chart: one bar per hour with requests, each the hour's requests.
        var hours = usage["byHour"]!.AsArray().Select(h => (DateTime.Parse(h!["hour"]!.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal), h["requests"]!.GetValue<long>(), h["failed"]!.GetValue<long>())).ToList();
        hours.ShouldBe(inPeriod.GroupBy(r => UsageHour.HourOf(r.At)).OrderBy(g => g.Key).Select(g => (g.Key, (long)g.Count(), (long)g.Count(r => r.Status >= 400))));

        // One key's usage: the same, of its requests only.
        var keyUsage = await owner.GetJsonAsync($"/api/v1/usage?from={Iso(from)}&to={Iso(to)}&apiKeyId=key_B");
        keyUsage["totals"]!["requests"]!.GetValue<long>().ShouldBe(inPeriod.Count(r => r.ApiKeyId == "key_B"));
        keyUsage["byHour"]!.AsArray().Sum(h => h!["requests"]!.GetValue<long>()).ShouldBe(inPeriod.Count(r => r.ApiKeyId == "key_B"));
        keyUsage["topApps"]!.AsArray().ShouldBeEmpty();
        // Its breakdown comes from the roll-ups with the credential, the organization's from those without: both exact.
        foreach (var endpoint in keyUsage["byEndpoint"]!.AsArray())
        {
            var mine = inPeriod.Where(r => r.ApiKeyId == "key_B" && r.Method == endpoint!["method"]!.GetValue<string>() && r.Route == endpoint["route"]!.GetValue<string>()).ToList();
            endpoint!["requests"]!.GetValue<long>().ShouldBe(mine.Count);
            endpoint["p95LatencyMs"]!.GetValue<double>().ShouldBe(Quantile(mine, 0.95)!.Value);
        }
        keyUsage["byStatus"]!.AsArray().Select(s => (s!["status"]!.GetValue<int>(), s["requests"]!.GetValue<long>()))
            .ShouldBe(inPeriod.Where(r => r.ApiKeyId == "key_B").GroupBy(r => r.Status).OrderBy(g => g.Key).Select(g => (g.Key, (long)g.Count())));
        var appUsage = await owner.GetJsonAsync($"/api/v1/usage?from={Iso(from)}&to={Iso(to)}&clientId=sbc_app");
        appUsage["byEndpoint"]!.AsArray().Sum(e => e!["requests"]!.GetValue<long>()).ShouldBe(inPeriod.Count(r => r.ClientId == "sbc_app"));

        // A period inside one day reads the hourly roll-up alone, and agrees as well.
        var (dayFrom, dayTo) = (today.AddDays(-3).AddHours(2), today.AddDays(-3).AddHours(9));
        var within = await owner.GetJsonAsync($"/api/v1/usage?from={Iso(dayFrom)}&to={Iso(dayTo)}");
        within["totals"]!["requests"]!.GetValue<long>().ShouldBe(records.Count(r => r.At >= dayFrom && r.At < dayTo));
        within["byStatus"]!.AsArray().Select(s => (s!["status"]!.GetValue<int>(), s["requests"]!.GetValue<long>()))
            .ShouldBe(records.Where(r => r.At >= dayFrom && r.At < dayTo).GroupBy(r => r.Status).OrderBy(g => g.Key).Select(g => (g.Key, (long)g.Count())));
    }

    private static string Iso(DateTime t) => Uri.EscapeDataString(t.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));

    private static double? Quantile(IEnumerable<UsageRecord> records, double q)
    {
        var histogram = new long[LatencyHistogram.Buckets];
        foreach (var r in records) histogram[LatencyHistogram.BucketOf(r.LatencyMicros)]++;
        return LatencyHistogram.Quantile(histogram, q);
    }
}

public sealed class UsageRollupTestsOnSqlite(SqliteSwitchboard node) : UsageRollupTests<SqliteSwitchboard>(node);
public sealed class UsageRollupTestsOnPostgres(PostgresSwitchboard node) : UsageRollupTests<PostgresSwitchboard>(node);

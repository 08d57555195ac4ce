using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Tests.Infrastructure;
using Switchboard.Usage;

namespace Switchboard.Tests.Usage;

/// <summary><c>GET /api/v1/usage/export</c> (CSV of the hourly roll-ups) and the median latency of <c>GET /api/v1/usage</c>.</summary>
public abstract class UsageExportTests<TFactory>(TFactory node) : IClassFixture<TFactory> where TFactory : SwitchboardFactory
{
    private Task FlushAsync() => node.Services.GetRequiredService<UsageRecorder>().FlushAsync(CancellationToken.None);

    [Fact]
    public async Task TheExportHasAHeaderAndOneLinePerRollUpMatchingTheSummary()
    {
        using var owner = node.Client();
        await owner.SignupAsync(organization: "Export Org");
        var key = await owner.CreateKeyAsync("contacts:read");
        using var caller = node.Client().WithApiKey(key["key"]!.GetValue<string>());
        for (var i = 0; i < 4; i++) (await caller.GetAsync("/api/v1/contacts")).StatusCode.ShouldBe(HttpStatusCode.OK);
        for (var i = 0; i < 2; i++) (await caller.GetAsync("/api/v1/contacts/con_01JAAAAAAAAAAAAAAAAAAAAAAA")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        await FlushAsync();

        var response = await owner.GetAsync("/api/v1/usage/export");
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, body);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/csv");
        response.Content.Headers.ContentType.CharSet.ShouldBe("utf-8");
        response.Content.Headers.ContentDisposition!.DispositionType.ShouldBe("attachment");
        response.Content.Headers.ContentDisposition.FileNameStar.ShouldStartWith("usage-");

        body.ShouldEndWith("\r\n");
        var lines = body.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        lines[0].ShouldBe(string.Join(',', UsageApi.CsvColumns));
        var rows = lines.Skip(1).Select(l => l.Split(',')).ToList();
        rows.ShouldAllBe(r => r.Length == UsageApi.CsvColumns.Count);
        int Col(string name) => UsageApi.CsvColumns.ToList().IndexOf(name);

        var keyId = key["id"]!.GetValue<string>();
        var notFound = rows.Single(r => r[Col("api_key_id")] == keyId && r[Col("status")] == "404");
        notFound[Col("method")].ShouldBe("GET");
        notFound[Col("route")].ShouldBe("/api/v1/contacts/{id}");
        notFound[Col("requests")].ShouldBe("2");
        double.Parse(notFound[Col("p50_latency_ms")], System.Globalization.CultureInfo.InvariantCulture).ShouldBeGreaterThan(0);
        DateTime.Parse(notFound[Col("hour")], null, System.Globalization.DateTimeStyles.RoundtripKind).Minute.ShouldBe(0);
        rows.Where(r => r[Col("api_key_id")] == keyId).Sum(r => long.Parse(r[Col("requests")])).ShouldBe(6);

        // The lines add up to what GET /api/v1/usage answers for the same (default) period: the key's, which nothing adds
        // to meanwhile (the owner's own requests, these included, may be flushed between the two calls).
        var usage = await owner.GetJsonAsync($"/api/v1/usage?apiKeyId={keyId}");
        rows.Where(r => r[Col("api_key_id")] == keyId).Sum(r => long.Parse(r[Col("requests")])).ShouldBe(usage["totals"]!["requests"]!.GetValue<long>());

        // One key only.
        var onlyKey = await (await owner.GetAsync($"/api/v1/usage/export?apiKeyId={keyId}")).Content.ReadAsStringAsync();
        var keyColumn = Col("api_key_id");
        onlyKey.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(l => l.Split(',')[keyColumn]).Distinct().ShouldBe([keyId]);
    }

    [Fact]
    public async Task TheMedianLatencyIsAnsweredBesideTheP95()
    {
        using var owner = node.Client();
        await owner.SignupAsync(organization: "Median Org");
        for (var i = 0; i < 5; i++) (await owner.GetAsync("/api/v1/contacts")).StatusCode.ShouldBe(HttpStatusCode.OK);
        await FlushAsync();
        var usage = await owner.GetJsonAsync("/api/v1/usage");
        var p50 = usage["totals"]!["p50LatencyMs"]!.GetValue<double>();
        p50.ShouldBeGreaterThan(0);
        p50.ShouldBeLessThanOrEqualTo(usage["totals"]!["p95LatencyMs"]!.GetValue<double>());
        var endpoint = usage["byEndpoint"]!.AsArray().First(e => e!["route"]!.GetValue<string>() == "/api/v1/contacts/")!;
        endpoint["p50LatencyMs"]!.GetValue<double>().ShouldBeLessThanOrEqualTo(endpoint["p95LatencyMs"]!.GetValue<double>());
    }

    [Fact]
    public async Task TheExportHoldsOnlyTheCallersOrganization()
    {
        using var alice = node.Client();
        await alice.SignupAsync(organization: "Alice Export");
        using var bob = node.Client();
        await bob.SignupAsync(organization: "Bob Export");
        var bobKey = await bob.CreateKeyAsync("contacts:read");
        using var bobCaller = node.Client().WithApiKey(bobKey["key"]!.GetValue<string>());
        (await bobCaller.GetAsync("/api/v1/contacts")).StatusCode.ShouldBe(HttpStatusCode.OK);
        await FlushAsync();

        var aliceCsv = await (await alice.GetAsync("/api/v1/usage/export")).Content.ReadAsStringAsync();
        aliceCsv.ShouldNotContain(bobKey["id"]!.GetValue<string>());
        aliceCsv.ShouldNotContain(bob.UserId!);
        // Asking for the other organization's key gives a header and nothing else.
        var filtered = await (await alice.GetAsync($"/api/v1/usage/export?apiKeyId={bobKey["id"]}")).Content.ReadAsStringAsync();
        filtered.ShouldBe(string.Join(',', UsageApi.CsvColumns) + "\r\n");
    }

    [Theory]
    [InlineData("from=yesterday", "from")]
    [InlineData("from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z", "from")]
    [InlineData("from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", "from")]
    public async Task ABadPeriodIsAProblemNotAFile(string query, string field)
    {
        using var owner = node.Client();
        await owner.SignupAsync();
        var response = await owner.GetAsync("/api/v1/usage/export?" + query);
        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        problem["errors"]![field].ShouldNotBeNull();
    }

    [Fact]
    public async Task TheExportNeedsTheUsageScope()
    {
        using var owner = node.Client();
        await owner.SignupAsync();
        var key = await owner.CreateKeyAsync("contacts:read");
        using var caller = node.Client().WithApiKey(key["key"]!.GetValue<string>());
        (await caller.GetAsync("/api/v1/usage/export")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        using var anonymous = node.Client();
        (await anonymous.GetAsync("/api/v1/usage/export")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Theory]
    [InlineData("/api/v1/contacts", "/api/v1/contacts")]
    [InlineData("a,b", "\"a,b\"")]
    [InlineData("say \"hi\"", "\"say \"\"hi\"\"\"")]
    [InlineData("=HYPERLINK(1)", "\"'=HYPERLINK(1)\"")]
    [InlineData("@SUM(1)", "\"'@SUM(1)\"")]
    [InlineData("", "")]
    public void FieldsAreQuotedAsRfc4180SaysAndFormulasAreDefused(string value, string written) => UsageApi.Csv(value).ShouldBe(written);
}

public sealed class UsageExportTestsOnSqlite(SqliteSwitchboard node) : UsageExportTests<SqliteSwitchboard>(node);
public sealed class UsageExportTestsOnPostgres(PostgresSwitchboard node) : UsageExportTests<PostgresSwitchboard>(node);

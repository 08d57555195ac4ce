using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Tests.Infrastructure;
using Switchboard.Usage;

namespace Switchboard.Tests.Usage;

public abstract class UsageTests<TFactory>(TFactory node) : IClassFixture<TFactory> where TFactory : SwitchboardFactory
{
    private Task FlushAsync() => node.Services.GetRequiredService<UsageRecorder>().FlushAsync(CancellationToken.None);

    [Fact]
    public async Task UsageFiguresMatchTheRequestsMade()
    {
        using var owner = await SignedUpAsync();
        var keyA = await owner.CreateKeyAsync("contacts:read", "contacts:write");
        var keyB = await owner.CreateKeyAsync("contacts:read");
        using var a = node.Client().WithApiKey(keyA["key"]!.GetValue<string>());
        using var b = node.Client().WithApiKey(keyB["key"]!.GetValue<string>());
        for (var i = 0; i < 7; i++) (await a.GetAsync("/api/v1/contacts")).StatusCode.ShouldBe(HttpStatusCode.OK);
        for (var i = 0; i < 3; i++) (await a.GetAsync("/api/v1/contacts/con_01JAAAAAAAAAAAAAAAAAAAAAAA")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await a.SendRawAsync(HttpMethod.Post, "/api/v1/contacts", """{"firstName":"U"}""")).StatusCode.ShouldBe(HttpStatusCode.Created);
        for (var i = 0; i < 2; i++) (await b.GetAsync("/api/v1/contacts")).StatusCode.ShouldBe(HttpStatusCode.OK);
        await FlushAsync();

        // The owner's own requests so far: signup is anonymous, then two key creations.
        var usage = await owner.GetJsonAsync("/api/v1/usage");
        var totals = usage["totals"]!;
        totals["requests"]!.GetValue<long>().ShouldBe(7 + 3 + 1 + 2 + 2);
        totals["failed"]!.GetValue<long>().ShouldBe(3);
        totals["successful"]!.GetValue<long>().ShouldBe(12);
        totals["averageLatencyMs"]!.GetValue<double>().ShouldBeGreaterThan(0);
        totals["p95LatencyMs"]!.GetValue<double>().ShouldBeGreaterThan(0);
        totals["responseBytes"]!.GetValue<long>().ShouldBeGreaterThan(0);

        var endpoints = usage["byEndpoint"]!.AsArray();
        var byId = endpoints.Single(e => e!["route"]!.GetValue<string>() == "/api/v1/contacts/{id}")!;
        byId["method"]!.GetValue<string>().ShouldBe("GET");
        byId["requests"]!.GetValue<long>().ShouldBe(3);
        byId["failed"]!.GetValue<long>().ShouldBe(3);
        endpoints.Single(e => e!["route"]!.GetValue<string>() == "/api/v1/contacts/" && e["method"]!.GetValue<string>() == "GET")!["requests"]!.GetValue<long>().ShouldBe(9);
        usage["byStatus"]!.AsArray().Single(s => s!["status"]!.GetValue<int>() == 404)!["requests"]!.GetValue<long>().ShouldBe(3);
        usage["byHour"]!.AsArray().Sum(h => h!["requests"]!.GetValue<long>()).ShouldBe(15);
        var top = usage["topKeys"]!.AsArray();
        top[0]!["apiKeyId"]!.GetValue<string>().ShouldBe(keyA["id"]!.GetValue<string>());
        top[0]!["requests"]!.GetValue<long>().ShouldBe(11);
        top[1]!["requests"]!.GetValue<long>().ShouldBe(2);

        var onlyB = await owner.GetJsonAsync($"/api/v1/api-keys/{keyB["id"]}/usage");
        onlyB["totals"]!["requests"]!.GetValue<long>().ShouldBe(2);
        var filtered = await owner.GetJsonAsync($"/api/v1/usage?apiKeyId={keyA["id"]}");
        filtered["totals"]!["requests"]!.GetValue<long>().ShouldBe(11);
        usage["quota"]!["plan"]!.GetValue<string>().ShouldBe("starter");

        // Raw rows, one per request, with what each request was.
        await using var scope = node.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<Switchboard.Platform.Storage.SwitchboardDbContext>();
        var raw = await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.ToListAsync(
            Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.IgnoreQueryFilters(db.Set<ApiRequestRecord>()).Where(r => r.OrganizationId == owner.OrganizationId));
        raw.Count.ShouldBeGreaterThanOrEqualTo(15);
        raw.Count(r => r.Route == "/api/v1/contacts/{id}" && r.Status == 404 && r.ApiKeyId == keyA["id"]!.GetValue<string>()).ShouldBe(3);
        raw.ShouldAllBe(r => r.Id > 0 && r.RequestId != null && r.LatencyMicros > 0);
        raw.Select(r => r.Id).Distinct().Count().ShouldBe(raw.Count);
        usage["quota"]!["usedToday"]!.GetValue<long>().ShouldBeGreaterThanOrEqualTo(15);
    }

    [Fact]
    public async Task TheWriterStoresARowAsEfCoreReadsItBack()
    {
        using var owner = await SignedUpAsync();
        var now = node.Clock.GetUtcNow().UtcDateTime;
        var at = new DateTime(now.Ticks - now.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc).AddTicks(1_234_560); // PostgreSQL keeps microseconds
        var requestId = "req-ünï-" + new string('x', ApiRequestRecord.RequestIdMaxLength); // longer than its column
        var record = new UsageRecord(owner.OrganizationId!, "key_writer", "usr_writer", "PATCH", "/api/v1/çødé/{id}", 422, 123_456, 789, 1_011, requestId, at);
        node.Services.GetRequiredService<UsageRecorder>().Record(record);
        await FlushAsync();

        await using var scope = node.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<Switchboard.Platform.Storage.SwitchboardDbContext>();
        var stored = await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.SingleAsync(
            Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.IgnoreQueryFilters(db.Set<ApiRequestRecord>()), r => r.ApiKeyId == "key_writer" && r.OrganizationId == owner.OrganizationId);
        (stored.UserId, stored.Method, stored.Route, stored.Status).ShouldBe(("usr_writer", "PATCH", "/api/v1/çødé/{id}", 422));
        (stored.LatencyMicros, stored.RequestBytes, stored.ResponseBytes).ShouldBe((123_456L, 789L, 1_011L));
        stored.RequestId.ShouldBe(requestId[..ApiRequestRecord.RequestIdMaxLength]);
        stored.CreatedAt.ShouldBe(at);
        // Stored in the form EF Core compares timestamps in: a query on the time finds it.
        (await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.CountAsync(
            Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.IgnoreQueryFilters(db.Set<ApiRequestRecord>()), r => r.CreatedAt == at && r.ApiKeyId == "key_writer")).ShouldBe(1);
    }

    [Fact]
    public async Task EachRequestsResponseBytesAreTheBytesSent()
    {
        using var owner = await SignedUpAsync();
        using var client = node.Client().WithApiKey((await owner.CreateKeyAsync("contacts:read", "contacts:write"))["key"]!.GetValue<string>());
        var created = await client.SendRawAsync(HttpMethod.Post, "/api/v1/contacts", """{"firstName":"Bytes","metadata":{"k":"v"}}""");
        created.StatusCode.ShouldBe(HttpStatusCode.Created);
        var id = (await ApiClient.ReadAsync(created))["id"]!.GetValue<string>();
        var sent = new Dictionary<string, long>();
        foreach (var path in new[] { $"/api/v1/contacts/{id}", "/api/v1/contacts?limit=5", "/api/v1/contacts/con_01JAAAAAAAAAAAAAAAAAAAAAAA", $"/api/v1/contacts/{id}?fields=firstName" })
        {
            using var response = await client.GetAsync(path);
            sent[response.Headers.GetValues("X-Request-Id").Single()] = (await response.Content.ReadAsByteArrayAsync()).LongLength;
        }
        sent.Values.ShouldAllBe(n => n > 0);
        await FlushAsync();

        await using var scope = node.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<Switchboard.Platform.Storage.SwitchboardDbContext>();
        var ids = sent.Keys.ToList();
        var rows = await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.ToListAsync(
            Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.IgnoreQueryFilters(db.Set<ApiRequestRecord>()).Where(r => r.RequestId != null && ids.Contains(r.RequestId)));
        rows.Count.ShouldBe(sent.Count);
        foreach (var row in rows) row.ResponseBytes.ShouldBe(sent[row.RequestId!], row.Route);
    }

    [Fact]
    public async Task UsageIsPerOrganization()
    {
        using var alice = await SignedUpAsync();
        using var bob = await SignedUpAsync();
        for (var i = 0; i < 4; i++) await alice.GetAsync("/api/v1/contacts");
        await FlushAsync();
        (await bob.GetJsonAsync("/api/v1/usage"))["totals"]!["requests"]!.GetValue<long>().ShouldBe(0);
        (await alice.GetJsonAsync("/api/v1/usage"))["totals"]!["requests"]!.GetValue<long>().ShouldBe(4);
        await (await bob.GetAsync($"/api/v1/api-keys/{(await alice.CreateKeyAsync("contacts:read"))["id"]}/usage")).ShouldBeProblemAsync(HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task ARequestIsRecordedAfterItsAnswerAndWrittenByTheNextFlush()
    {
        using var owner = await SignedUpAsync();
        var requestIds = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            using var response = await owner.GetAsync("/api/v1/contacts");
            response.StatusCode.ShouldBe(HttpStatusCode.OK);
            requestIds.Add(response.Headers.GetValues("X-Request-Id").Single());
        }
        await FlushAsync();

        // Each request once, as what it was (read from the table, not through the API, which would count itself).
        await using (var scope = node.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<Switchboard.Platform.Storage.SwitchboardDbContext>();
            var rows = await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.ToListAsync(
                Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.IgnoreQueryFilters(db.Set<ApiRequestRecord>())
                    .Where(r => r.RequestId != null && requestIds.Contains(r.RequestId)));
            rows.Select(r => r.RequestId).Order().ShouldBe(requestIds.Order());
            rows.ShouldAllBe(r => r.OrganizationId == owner.OrganizationId && r.Method == "GET" && r.Route == "/api/v1/contacts/" && r.Status == 200);
        }

        // A request is recorded once it has been answered and written by a flush, never on its way: the usage read is
        // not in its own figures (whatever the background flush did meanwhile), and is in those after the next flush.
        (await owner.GetJsonAsync("/api/v1/usage"))["totals"]!["requests"]!.GetValue<long>().ShouldBe(3);
        await FlushAsync();
        (await owner.GetJsonAsync("/api/v1/usage"))["totals"]!["requests"]!.GetValue<long>().ShouldBe(4);
    }

    [Fact]
    public async Task AFlushThatReturnsHasWrittenEverythingRecordedBeforeIt()
    {
        using var owner = await SignedUpAsync();
        var recorder = node.Services.GetRequiredService<UsageRecorder>();
        var tag = Guid.NewGuid().ToString("N");
        var flushes = new List<Task>();
        for (var round = 1; round <= 4; round++)
        {
            for (var i = 0; i < 1_500; i++)
                recorder.Record(new UsageRecord(owner.OrganizationId!, "key_flush", "", "GET", "/api/v1/flush", 200, 10 + i, 0, 5, $"{tag}-{round}-{i}", DateTime.UtcNow));
            // Another flush may be running (this one's or the background loop's): the one awaited still covers every record above.
            flushes.Add(recorder.FlushAsync(CancellationToken.None));
            await recorder.FlushAsync(CancellationToken.None);
            await using var scope = node.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<Switchboard.Platform.Storage.SwitchboardDbContext>();
            var prefix = tag + "-";
            (await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.CountAsync(
                Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.IgnoreQueryFilters(db.Set<ApiRequestRecord>())
                    .Where(r => r.RequestId!.StartsWith(prefix)))).ShouldBe(round * 1_500);
        }
        await Task.WhenAll(flushes);
        var usage = await owner.GetJsonAsync("/api/v1/usage");
        usage["byEndpoint"]!.AsArray().Single(e => e!["route"]!.GetValue<string>() == "/api/v1/flush")!["requests"]!.GetValue<long>().ShouldBe(6_000);
    }

    private async Task<ApiClient> SignedUpAsync()
    {
        var client = node.Client();
        await client.SignupAsync();
        return client;
    }
}

public sealed class UsageTestsOnSqlite(SqliteSwitchboard node) : UsageTests<SqliteSwitchboard>(node);
public sealed class UsageTestsOnPostgres(PostgresSwitchboard node) : UsageTests<PostgresSwitchboard>(node);

public sealed class UsageRecorderBoundTests
{
    [Fact]
    public void PastItsBoundTheRecorderDropsAndCountsInsteadOfGrowing()
    {
        var recorder = new UsageRecorder(null!, Microsoft.Extensions.Options.Options.Create(new Switchboard.Platform.SwitchboardOptions()),
            Microsoft.Extensions.Logging.Abstractions.NullLogger<UsageRecorder>.Instance);
        var record = new UsageRecord("org_1", "key_1", "", "GET", "/api/v1/contacts", 200, 10, 0, 5, "req_1", DateTime.UtcNow);
        for (var i = 0; i < 200_000; i++) recorder.Record(record);
        recorder.Dropped.ShouldBe(0);
        for (var i = 0; i < 3; i++) recorder.Record(record);
        recorder.Dropped.ShouldBe(3);
    }
}

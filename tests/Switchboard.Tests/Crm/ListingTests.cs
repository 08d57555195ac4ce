using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Crm;

/// <summary>Paging, sorting, filtering, search and field selection, as every list of the API does them.</summary>
public abstract class ListingTests<TFactory>(TFactory node) : IClassFixture<TFactory> where TFactory : SwitchboardFactory
{
    private static async Task<string> PostAsync(ApiClient client, string path, string body)
    {
        var response = await client.SendRawAsync(HttpMethod.Post, path, body);
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await ApiClient.ReadAsync(response))["id"]!.GetValue<string>();
    }

    private static List<string> Ids(JsonObject page) => page["data"]!.AsArray().Select(r => r!["id"]!.GetValue<string>()).ToList();

    /// <summary>Follows nextCursor to the end and returns every id seen, in order.</summary>
    private static async Task<List<string>> ReadAllAsync(ApiClient client, string firstPath, Func<Task>? betweenPages = null)
    {
        var seen = new List<string>();
        var path = firstPath;
        for (var pages = 0; path is not null; pages++)
        {
            pages.ShouldBeLessThan(1000);
            var response = await client.GetAsync(path);
            response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
            var body = await ApiClient.ReadAsync(response);
            seen.AddRange(Ids(body));
            path = body["hasMore"]!.GetValue<bool>()
                ? firstPath + (firstPath.Contains('?', StringComparison.Ordinal) ? "&" : "?") + "cursor=" + Uri.EscapeDataString(body["nextCursor"]!.GetValue<string>())
                : null;
            if (path is not null)
            {
                response.Headers.GetValues("Link").Single().ShouldContain("rel=\"next\"");
                if (betweenPages is not null) await betweenPages();
            }
            else body["nextCursor"].ShouldBeNull();
        }
        return seen;
    }

    [Fact]
    public async Task CursorPagingSeesEveryRecordOnceWhileRecordsAreInsertedConcurrently()
    {
        using var client = node.Client();
        await client.SignupAsync();
        var existing = new List<string>();
        for (var batch = 0; batch < 30; batch++)
            existing.AddRange(await Task.WhenAll(Enumerable.Range(0, 10).Select(i =>
                PostAsync(client, "/api/v1/contacts", $$"""{"firstName":"P{{batch * 10 + i}}","company":"Paging"}"""))));
        existing.Count.ShouldBe(300);

        using var writer = node.Client().WithBearer(client.AccessToken);
        var inserted = 0;
        async Task InsertSome()
        {
            await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => PostAsync(writer, "/api/v1/contacts", """{"firstName":"Late","company":"Paging"}""")));
            inserted += 3;
        }

        foreach (var sort in new[] { "-createdAt", "createdAt", "-updatedAt", "lastName" })
        {
            var seen = await ReadAllAsync(client, $"/api/v1/contacts?limit=37&sort={sort}&company=Paging", InsertSome);
            seen.Distinct().Count().ShouldBe(seen.Count, $"duplicates with sort={sort}");
            existing.Except(seen).ShouldBeEmpty($"records missed with sort={sort}");
        }
        inserted.ShouldBeGreaterThan(0);
    }

    [Fact]
    public async Task OffsetPagingAndLimitsWork()
    {
        using var client = node.Client();
        await client.SignupAsync();
        var ids = new List<string>();
        for (var i = 0; i < 7; i++) ids.Add(await PostAsync(client, "/api/v1/tasks", $$"""{"title":"T{{i}}"}"""));
        Ids(await client.GetJsonAsync("/api/v1/tasks?sort=createdAt&limit=3&offset=2")).ShouldBe(ids.Skip(2).Take(3).ToList());
        Ids(await client.GetJsonAsync("/api/v1/tasks?sort=createdAt")).Count.ShouldBe(7);
        await (await client.GetAsync("/api/v1/tasks?limit=0")).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        await (await client.GetAsync("/api/v1/tasks?limit=101")).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        await (await client.GetAsync("/api/v1/tasks?offset=-1")).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed");

        var page = await client.GetJsonAsync("/api/v1/tasks?limit=2");
        var cursor = Uri.EscapeDataString(page["nextCursor"]!.GetValue<string>());
        var mismatch = await client.GetAsync($"/api/v1/tasks?limit=2&sort=createdAt&cursor={cursor}");
        (await mismatch.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed"))["errors"]!["cursor"].ShouldNotBeNull();
    }

    [Fact]
    public async Task SortsOrderByTheFieldThenId()
    {
        using var client = node.Client();
        await client.SignupAsync();
        foreach (var (name, amount) in new[] { ("B", 300m), ("A", 100m), ("C", 200m), ("D", 100m) })
            await PostAsync(client, "/api/v1/deals", $$"""{"name":"{{name}}","amount":{{amount}},"currency":"USD"}""");

        var byAmount = (await client.GetJsonAsync("/api/v1/deals?sort=amount"))["data"]!.AsArray();
        byAmount.Select(d => d!["amount"]!.GetValue<decimal>()).ShouldBe([100m, 100m, 200m, 300m]);
        var byAmountDesc = (await client.GetJsonAsync("/api/v1/deals?sort=-amount"))["data"]!.AsArray();
        byAmountDesc.Select(d => d!["name"]!.GetValue<string>()).First().ShouldBe("B");
        var byName = (await client.GetJsonAsync("/api/v1/deals?sort=name"))["data"]!.AsArray();
        byName.Select(d => d!["name"]!.GetValue<string>()).ShouldBe(["A", "B", "C", "D"]);
        var paged = await ReadAllAsync(client, "/api/v1/deals?sort=-amount&limit=1");
        paged.Count.ShouldBe(4);

        var bad = await client.GetAsync("/api/v1/deals?sort=probability");
        (await bad.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed"))["errors"]!["sort"]!.ToJsonString().ShouldContain("amount");
    }

    [Fact]
    public async Task FiltersNarrowEachResource()
    {
        using var client = node.Client();
        await client.SignupAsync();
        var ada = await PostAsync(client, "/api/v1/contacts", """{"firstName":"Ada","email":"Ada@Example.com","company":"Engines"}""");
        await PostAsync(client, "/api/v1/contacts", """{"firstName":"Charles","email":"charles@example.com","company":"Engines"}""");
        await PostAsync(client, "/api/v1/contacts", """{"firstName":"Grace","email":"grace@navy.example","company":"Navy"}""");
        Ids(await client.GetJsonAsync("/api/v1/contacts?email=ADA@example.com")).ShouldBe([ada]);
        Ids(await client.GetJsonAsync("/api/v1/contacts?company=Engines")).Count.ShouldBe(2);
        Ids(await client.GetJsonAsync("/api/v1/contacts?q=nAvY")).Count.ShouldBe(1);
        Ids(await client.GetJsonAsync("/api/v1/contacts?q=100%25")).ShouldBeEmpty();

        await PostAsync(client, "/api/v1/leads", """{"name":"L1","source":"Website","score":10}""");
        await PostAsync(client, "/api/v1/leads", """{"name":"L2","source":"referral","score":50,"status":"qualified"}""");
        await PostAsync(client, "/api/v1/leads", """{"name":"L3","source":"website","score":90,"status":"qualified"}""");
        Ids(await client.GetJsonAsync("/api/v1/leads?status=qualified")).Count.ShouldBe(2);
        Ids(await client.GetJsonAsync("/api/v1/leads?source=WEBSITE")).Count.ShouldBe(2);
        Ids(await client.GetJsonAsync("/api/v1/leads?scoreMin=50&scoreMax=89")).Count.ShouldBe(1);
        Ids(await client.GetJsonAsync("/api/v1/leads?status=qualified&source=website")).Count.ShouldBe(1);

        var cheap = await PostAsync(client, "/api/v1/deals", """{"name":"Cheap","amount":10.5,"currency":"USD","stage":"won","expectedCloseDate":"2026-01-15","contactId":"CONTACT"}""".Replace("CONTACT", ada, StringComparison.Ordinal));
        await PostAsync(client, "/api/v1/deals", """{"name":"Big","amount":10000,"currency":"EUR","stage":"proposal","expectedCloseDate":"2026-06-30"}""");
        Ids(await client.GetJsonAsync("/api/v1/deals?amountMax=10.5")).ShouldBe([cheap]);
        Ids(await client.GetJsonAsync("/api/v1/deals?amountMin=10.51")).Count.ShouldBe(1);
        Ids(await client.GetJsonAsync("/api/v1/deals?stage=won&currency=USD")).ShouldBe([cheap]);
        Ids(await client.GetJsonAsync($"/api/v1/deals?contactId={ada}")).ShouldBe([cheap]);
        Ids(await client.GetJsonAsync("/api/v1/deals?expectedCloseBefore=2026-03-01")).ShouldBe([cheap]);

        var future = DateTime.UtcNow.AddDays(1).ToString("O", System.Globalization.CultureInfo.InvariantCulture);
        Ids(await client.GetJsonAsync($"/api/v1/deals?createdAfter={Uri.EscapeDataString(future)}")).ShouldBeEmpty();
        Ids(await client.GetJsonAsync($"/api/v1/deals?createdBefore={Uri.EscapeDataString(future)}")).Count.ShouldBe(2);

        await PostAsync(client, "/api/v1/calls", """{"direction":"inbound","fromNumber":"+14155550100","toNumber":"+14155550111","status":"completed","durationSeconds":30}""");
        await PostAsync(client, "/api/v1/calls", """{"direction":"outbound","fromNumber":"+14155550111","toNumber":"+14155550100","status":"missed"}""");
        Ids(await client.GetJsonAsync("/api/v1/calls?direction=outbound&status=missed")).Count.ShouldBe(1);
        Ids(await client.GetJsonAsync("/api/v1/calls?durationSecondsMin=1")).Count.ShouldBe(1);
        Ids(await client.GetJsonAsync("/api/v1/calls?fromNumber=%2B14155550100")).Count.ShouldBe(1);
    }

    [Fact]
    public async Task BadFiltersAreRefusedByName()
    {
        using var client = node.Client();
        await client.SignupAsync();
        foreach (var (query, field) in new[]
        {
            ("status=hot", "status"), ("scoreMin=high", "scoreMin"), ("createdAfter=yesterday", "createdAfter"),
            ("colour=red", "colour"), ("sort=colour", "sort"), ("fields=name,colour", "fields"), ("email=not-an-email", "email"),
        })
        {
            var path = field is "status" or "scoreMin" ? "/api/v1/leads" : "/api/v1/contacts";
            var response = await client.GetAsync($"{path}?{query}");
            (await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation_failed"))["errors"]![field].ShouldNotBeNull(query);
        }
    }

    [Fact]
    public async Task FieldSelectionReturnsOnlyTheFieldsAskedForAndTheId()
    {
        using var client = node.Client();
        await client.SignupAsync();
        var id = await PostAsync(client, "/api/v1/contacts", """{"firstName":"Ada","lastName":"Lovelace","email":"ada@example.com"}""");
        var listed = (await client.GetJsonAsync("/api/v1/contacts?fields=email,lastName"))["data"]!.AsArray().Single()!.AsObject();
        listed.Select(p => p.Key).Order().ShouldBe(["email", "id", "lastName"]);
        var one = await client.GetJsonAsync($"/api/v1/contacts/{id}?fields=firstName");
        one.Select(p => p.Key).Order().ShouldBe(["firstName", "id"]);
        one["firstName"]!.GetValue<string>().ShouldBe("Ada");
    }

    [Fact]
    public async Task LargeResponsesAreCompressedAndNeverCached()
    {
        using var client = node.Client();
        await client.SignupAsync();
        for (var i = 0; i < 20; i++) await PostAsync(client, "/api/v1/contacts", $$"""{"firstName":"Compressible {{i}}","notes":"{{new string('n', 200)}}"}""");
        foreach (var encoding in new[] { "br", "gzip" })
        {
            var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/contacts?limit=20");
            request.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue(encoding));
            var response = await client.Http.SendAsync(request);
            response.StatusCode.ShouldBe(HttpStatusCode.OK);
            response.Content.Headers.ContentEncoding.ShouldBe([encoding]);
            response.Headers.CacheControl!.NoStore.ShouldBeTrue();
            (await response.Content.ReadAsByteArrayAsync()).Length.ShouldBeLessThan(4000);
        }
    }
}

public sealed class ListingTestsOnSqlite(SqliteSwitchboard node) : ListingTests<SqliteSwitchboard>(node);
public sealed class ListingTestsOnPostgres(PostgresSwitchboard node) : ListingTests<PostgresSwitchboard>(node);

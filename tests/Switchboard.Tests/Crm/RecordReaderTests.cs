using System.Net;
using System.Reflection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Crm.Pipeline;
using Switchboard.Platform.Storage;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Crm;

/// <summary>
/// <see cref="RecordReader"/> reads records by id with its own SQL and materializer derived from the EF model. Every
/// CRM record type, filled through the API with optional fields, metadata and links, must come back from it exactly as
/// EF Core reads it, and never for another organization.
/// </summary>
public abstract class RecordReaderTests<TFactory>(TFactory node) : IClassFixture<TFactory> where TFactory : SwitchboardFactory
{
    [Fact]
    public async Task EveryRecordTypeReadsAsEfCoreReadsIt()
    {
        using var client = node.Client();
        var signup = await client.SignupAsync();
        var organization = signup["organization"]!["id"]!.GetValue<string>();
        var contact = await CreateAsync(client, "contacts", """{"firstName":"Ada","lastName":"Lovelace","email":"ada@example.com","metadata":{"tier":"gold","ünï":"çødé \"quoted\""}}""");
        foreach (var c in ResourceCases.All.Values)
            await CreateAsync(client, c.Path, ResourceCases.Fill(c.Create, contact));
        // Sparse records too: the optional columns are NULL.
        await CreateAsync(client, "contacts", """{"firstName":"Sparse"}""");
        (await client.SendRawAsync(HttpMethod.Post, "/api/v1/chat/message", """{"body":"hello"}""")).StatusCode.ShouldBe(HttpStatusCode.Created);

        var reader = node.Services.GetRequiredService<RecordReader>();
        var types = Model().GetEntityTypes().Select(t => t.ClrType).Where(t => typeof(CrmRecord).IsAssignableFrom(t)).ToList();
        types.Count.ShouldBeGreaterThanOrEqualTo(10);
        // On SQLite most types go through the raw statement (SqliteRawRow); the rest through Microsoft.Data.Sqlite's reader.
        types.Where(t => EntityRows.For(Model(), t).ReadsRaw).ShouldContain(typeof(Switchboard.Crm.Contacts.Contact));
        var compare = typeof(RecordReaderTests<TFactory>).GetMethod(nameof(CompareAsync), BindingFlags.NonPublic | BindingFlags.Instance)!;
        foreach (var type in types)
        {
            var compared = await (Task<int>)compare.MakeGenericMethod(type).Invoke(this, [reader, organization])!;
            compared.ShouldBeGreaterThan(0, $"no {type.Name} was created to compare");
        }
    }

    [Fact]
    public async Task AnotherOrganizationsIdReadsAsNothing()
    {
        using var alice = node.Client();
        await alice.SignupAsync();
        var id = await CreateAsync(alice, "contacts", """{"firstName":"Alice's"}""");
        using var bob = node.Client();
        var bobs = (await bob.SignupAsync())["organization"]!["id"]!.GetValue<string>();

        var reader = node.Services.GetRequiredService<RecordReader>();
        (await reader.FindAsync<Switchboard.Crm.Contacts.Contact>(bobs, id, CancellationToken.None)).ShouldBeNull();
        (await reader.FindAsync<Switchboard.Crm.Leads.Lead>(bobs, id, CancellationToken.None)).ShouldBeNull();
        (await bob.GetAsync($"/api/v1/contacts/{id}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await alice.GetAsync($"/api/v1/contacts/{id}")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task ManyConcurrentReadsShareTheConnections()
    {
        using var client = node.Client();
        var organization = (await client.SignupAsync())["organization"]!["id"]!.GetValue<string>();
        var ids = new List<string>();
        for (var i = 0; i < 5; i++) ids.Add(await CreateAsync(client, "contacts", $$"""{"firstName":"C{{i}}"}"""));
        var reader = node.Services.GetRequiredService<RecordReader>();
        var reads = Enumerable.Range(0, 400).Select(async i =>
        {
            await Task.Yield();
            var id = ids[i % ids.Count];
            return (id, found: await reader.FindAsync<Switchboard.Crm.Contacts.Contact>(organization, id, CancellationToken.None));
        });
        foreach (var (id, found) in await Task.WhenAll(reads))
        {
            found.ShouldNotBeNull();
            found.Id.ShouldBe(id);
            found.FirstName.ShouldBe($"C{ids.IndexOf(id)}");
        }
    }

    /// <summary>
    /// PostgreSQL sends reads that arrive together in one statement. Reads of two organizations at once, each asking for
    /// its own records, the other's and ones that do not exist, many times over: each answers its own organization's
    /// record or nothing, never the other's, and most went in statements with others.
    /// </summary>
    [Fact]
    public async Task ConcurrentReadsOfTwoOrganizationsGetOnlyTheirOwnRecords()
    {
        using var alice = node.Client();
        var alices = (await alice.SignupAsync())["organization"]!["id"]!.GetValue<string>();
        using var bob = node.Client();
        var bobs = (await bob.SignupAsync())["organization"]!["id"]!.GetValue<string>();
        var owned = new List<(string Organization, string Id, string Name)>();
        for (var i = 0; i < 4; i++)
        {
            owned.Add((alices, await CreateAsync(alice, "contacts", $$"""{"firstName":"Alice {{i}}"}"""), $"Alice {i}"));
            owned.Add((bobs, await CreateAsync(bob, "contacts", $$"""{"firstName":"Bob {{i}}"}"""), $"Bob {i}"));
        }
        var reader = node.Services.GetRequiredService<RecordReader>();
        var before = reader.BatchStatistics();

        var reads = Enumerable.Range(0, 600).Select(async i =>
        {
            await Task.Yield();
            var record = owned[i % owned.Count];
            // Its own organization's, the other organization's (the same id), or an id nobody has.
            var (organization, id, expected) = (i / owned.Count % 3) switch
            {
                0 => (record.Organization, record.Id, record.Name),
                1 => (record.Organization == alices ? bobs : alices, record.Id, null),
                _ => (record.Organization, "con_01JAAAAAAAAAAAAAAAAAAAAAAA", (string?)null),
            };
            var found = await reader.FindAsync<Switchboard.Crm.Contacts.Contact>(organization, id, CancellationToken.None);
            return (organization, id, expected, found);
        });
        foreach (var (organization, id, expected, found) in await Task.WhenAll(reads))
        {
            if (expected is null) { found.ShouldBeNull($"{organization} asked for {id}"); continue; }
            found.ShouldNotBeNull($"{organization} asked for {id}");
            (found.OrganizationId, found.Id, found.FirstName).ShouldBe((organization, id, expected));
        }
        var (statements, batched) = reader.BatchStatistics();
        if (node is PostgresSwitchboard)
        {
            (batched - before.ReadsInBatches).ShouldBeGreaterThan(0, "no read went in a statement with others");
            (statements - before.Statements).ShouldBeLessThan(600, "as many statements as reads");
        }
    }

    private async Task<int> CompareAsync<T>(RecordReader reader, string organization) where T : CrmRecord
    {
        await using var scope = node.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
        var rows = await db.Set<T>().IgnoreQueryFilters().AsNoTracking().Where(e => e.OrganizationId == organization).ToListAsync();
        var properties = db.Model.FindEntityType(typeof(T))!.GetProperties().Where(p => p.PropertyInfo is not null).Select(p => p.PropertyInfo!).ToList();
        // Each read alone, then all at once: on PostgreSQL the second goes in statements of several reads.
        var alone = new List<T?>();
        foreach (var expected in rows) alone.Add(await reader.FindAsync<T>(organization, expected.Id, CancellationToken.None));
        var together = await Task.WhenAll(rows.Select(async e => { await Task.Yield(); return await reader.FindAsync<T>(organization, e.Id, CancellationToken.None); }));
        foreach (var (expected, actual) in rows.Select((e, i) => (e, alone[i])).Concat(rows.Select((e, i) => (e, together[i]))))
        {
            actual.ShouldNotBeNull($"{typeof(T).Name} {expected.Id}");
            foreach (var property in properties)
            {
                var (want, got) = (property.GetValue(expected), property.GetValue(actual));
                if (want is Dictionary<string, string> wantMap) ((Dictionary<string, string>)got!).OrderBy(p => p.Key).ShouldBe(wantMap.OrderBy(p => p.Key), $"{typeof(T).Name}.{property.Name}");
                else got.ShouldBe(want, $"{typeof(T).Name}.{property.Name}");
                if (want is DateTime wantTime) ((DateTime)got!).Kind.ShouldBe(wantTime.Kind, $"{typeof(T).Name}.{property.Name}");
            }
        }
        return rows.Count;
    }

    private Microsoft.EntityFrameworkCore.Metadata.IModel Model()
    {
        using var scope = node.Services.CreateScope();
        return scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>().Model;
    }

    private static async Task<string> CreateAsync(ApiClient client, string path, string body)
    {
        var response = await client.SendRawAsync(HttpMethod.Post, $"/api/v1/{path}", body);
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await ApiClient.ReadAsync(response))["id"]!.GetValue<string>();
    }
}

public sealed class RecordReaderTestsOnSqlite(SqliteSwitchboard node) : RecordReaderTests<SqliteSwitchboard>(node);
public sealed class RecordReaderTestsOnPostgres(PostgresSwitchboard node) : RecordReaderTests<PostgresSwitchboard>(node);

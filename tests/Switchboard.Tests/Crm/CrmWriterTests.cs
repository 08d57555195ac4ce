using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Crm.Contacts;
using Switchboard.Crm.Pipeline;
using Switchboard.Platform.Storage;
using Switchboard.Tests.Infrastructure;

namespace Switchboard.Tests.Crm;

/// <summary>
/// A created record and its events commit together or not at all. On PostgreSQL an insert-only unit of work is sent
/// without BEGIN/COMMIT and relies on the implicit transaction of one batch; on SQLite EF Core's own transaction holds
/// it. Either way, a failing event insert must take the record with it.
/// </summary>
public abstract class CrmWriterTests<TFactory>(TFactory node) : IClassFixture<TFactory> where TFactory : SwitchboardFactory
{
    [Fact]
    public async Task AFailingEventInsertTakesTheRecordWithIt()
    {
        using var client = node.Client();
        var organization = (await client.SignupAsync())["organization"]!["id"]!.GetValue<string>();
        var existing = (await ApiClient.ReadAsync(await client.PostAsync("/api/v1/contacts", new { firstName = "First" })))["id"]!.GetValue<string>();
        var existingEvent = (await node.EventsForAsync(existing)).Single();

        var id = "con_" + Guid.NewGuid().ToString("N")[..26];
        await using (var scope = node.Services.CreateAsyncScope())
        {
            var writer = scope.ServiceProvider.GetRequiredService<CrmWriter>();
            writer.Db.Add(new Contact { Id = id, OrganizationId = organization, FirstName = "Second", CreatedAt = writer.Now, UpdatedAt = writer.Now, Version = 1 });
            // The event's id collides with an event already stored: its INSERT fails after the contact's ran.
            writer.Db.Add(new Switchboard.Platform.Outbox.OutboxEvent
            {
                Id = existingEvent.Id, OrganizationId = organization, Type = "contact.created", ResourceType = "contact", ResourceId = id,
                Data = new JsonObject { ["id"] = id }.ToJsonString(), CreatedAt = writer.Now,
            });
            await Should.ThrowAsync<DbUpdateException>(() => writer.SaveAsync(new DefaultHttpContext(), 201, null, null, CancellationToken.None));
        }

        await using (var scope = node.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
            (await db.Set<Contact>().IgnoreQueryFilters().AnyAsync(c => c.Id == id)).ShouldBeFalse("the contact committed without its event");
            (await db.Set<Contact>().IgnoreQueryFilters().CountAsync(c => c.OrganizationId == organization)).ShouldBe(1);
        }
        // The connection the failed unit of work used is healthy afterwards: later writes commit with their events.
        for (var i = 0; i < 5; i++)
        {
            var created = (await ApiClient.ReadAsync(await client.PostAsync("/api/v1/contacts", new { firstName = $"After {i}" })))["id"]!.GetValue<string>();
            (await node.EventsForAsync(created)).Select(e => e.Type).ShouldBe(["contact.created"]);
        }
    }

    [Fact]
    public async Task ACreatedRecordAndItsEventAreStoredAsEfCoreStoresThem()
    {
        using var client = node.Client();
        var organization = (await client.SignupAsync())["organization"]!["id"]!.GetValue<string>();
        var id = "con_" + Guid.NewGuid().ToString("N")[..26];
        var now = DateTime.UtcNow;
        var contact = new Contact
        {
            Id = id, OrganizationId = organization, FirstName = "Ada", LastName = "Lovelace", Email = "ada@example.com", Company = "Analytical",
            Notes = "ünïcødé \"quoted\"", Metadata = new() { ["tier"] = "gold", ["k"] = "v" }, CreatedAt = now, UpdatedAt = now, Version = 1,
        };
        var evt = new Switchboard.Platform.Outbox.OutboxEvent
        {
            Id = "evt_" + Guid.NewGuid().ToString("N")[..26], OrganizationId = organization, Type = "contact.created", ResourceType = "contact",
            ResourceId = id, Data = new JsonObject { ["id"] = id, ["n"] = 1 }.ToJsonString(), PreviousAttributes = null, CreatedAt = now,
        };
        await using (var scope = node.Services.CreateAsyncScope())
        {
            var writer = scope.ServiceProvider.GetRequiredService<CrmWriter>();
            if (writer.Db.Database.IsNpgsql())
            {
                // The batch of inserts is built here, not by EF Core, for both types.
                PostgresInserts.Row.Of(writer.Db.Model.FindEntityType(typeof(Contact))!, contact).ShouldNotBeNull();
                PostgresInserts.Row.Of(writer.Db.Model.FindEntityType(typeof(Switchboard.Platform.Outbox.OutboxEvent))!, evt).ShouldNotBeNull();
            }
            writer.Db.Add(contact);
            writer.Db.Add(evt);
            await writer.SaveAsync(new DefaultHttpContext(), 201, null, null, CancellationToken.None);
            writer.Db.Entry(contact).State.ShouldBe(EntityState.Unchanged);
            writer.Db.Entry(evt).State.ShouldBe(EntityState.Unchanged);
        }

        await using (var scope = node.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
            var stored = await db.Set<Contact>().IgnoreQueryFilters().AsNoTracking().SingleAsync(c => c.Id == id);
            foreach (var property in db.Model.FindEntityType(typeof(Contact))!.GetProperties().Select(p => p.PropertyInfo!))
            {
                var (want, got) = (property.GetValue(contact), property.GetValue(stored));
                if (want is Dictionary<string, string> map) ((Dictionary<string, string>)got!).OrderBy(p => p.Key).ShouldBe(map.OrderBy(p => p.Key));
                else if (want is DateTime time) ((DateTime)got!).ShouldBe(time, TimeSpan.FromTicks(10), property.Name); // PostgreSQL keeps microseconds
                else got.ShouldBe(want, property.Name);
            }
            var storedEvent = await db.OutboxEvents.IgnoreQueryFilters().AsNoTracking().SingleAsync(e => e.Id == evt.Id);
            JsonNode.DeepEquals(JsonNode.Parse(storedEvent.Data), JsonNode.Parse(evt.Data)).ShouldBeTrue();
            (storedEvent.Type, storedEvent.ResourceId, storedEvent.PreviousAttributes, storedEvent.OrganizationId).ShouldBe((evt.Type, id, (string?)null, organization));
        }
    }

    [Fact]
    public async Task ConcurrentCreatesOfTwoOrganizationsEachCommitWithTheirOwnEvent()
    {
        using var first = node.Client();
        using var second = node.Client();
        await first.SignupAsync();
        await second.SignupAsync();
        var created = await Task.WhenAll(Enumerable.Range(0, 64).Select(async i =>
        {
            var client = i % 2 == 0 ? first : second;
            var response = await client.PostAsync("/api/v1/contacts", new { firstName = $"Concurrent {i}" });
            return (Client: client, Id: (await ApiClient.ReadAsync(response))["id"]!.GetValue<string>());
        }));
        foreach (var (client, id) in created)
        {
            (await node.EventsForAsync(id)).Select(e => e.Type).ShouldBe(["contact.created"]);
            (await client.GetAsync($"/api/v1/contacts/{id}")).StatusCode.ShouldBe(System.Net.HttpStatusCode.OK);
            (await (client == first ? second : first).GetAsync($"/api/v1/contacts/{id}")).StatusCode.ShouldBe(System.Net.HttpStatusCode.NotFound);
        }
    }
}

/// <summary>
/// On PostgreSQL the node commits insert-only units of work through one group commit, several requests' rows in one
/// transaction under load. A unit at fault must fail alone, with its own error, and take nothing of the others with it.
/// </summary>
public sealed class PostgresGroupCommitTests(PostgresSwitchboard node) : IClassFixture<PostgresSwitchboard>
{
    [Fact]
    public async Task AUnitThatFailsInASharedBatchFailsAloneAndTheOthersCommit()
    {
        using var client = node.Client();
        var organization = (await client.SignupAsync())["organization"]!["id"]!.GetValue<string>();
        await using var scope = node.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
        var now = DateTime.UtcNow;
        var contacts = Enumerable.Range(0, 5).Select(i => new Contact
        {
            Id = "con_" + Guid.NewGuid().ToString("N")[..26], OrganizationId = organization, FirstName = $"Unit {i}", CreatedAt = now, UpdatedAt = now, Version = 1,
        }).ToList();
        var eventIds = contacts.Select(_ => "evt_" + Guid.NewGuid().ToString("N")[..26]).ToList();
        eventIds[3] = eventIds[1]; // unit 3's event collides with unit 1's, in the same batch
        var events = contacts.Select((c, i) => new Switchboard.Platform.Outbox.OutboxEvent
        {
            Id = eventIds[i], OrganizationId = organization, Type = "contact.created", ResourceType = "contact",
            ResourceId = c.Id, Data = new JsonObject { ["id"] = c.Id }.ToJsonString(), CreatedAt = now,
        }).ToList();

        // Its own group commit, one commit at a time, held up while the five units queue: its first unit inserts a contact
        // that another transaction has inserted and not committed, so the INSERT waits on the key. Then that transaction
        // rolls back, the first unit commits, and the five queued units are taken together as one batch.
        var group = new PostgresGroupCommit(scope.ServiceProvider.GetRequiredService<PostgresDataSource>().DataSource!, maxConcurrentCommits: 1);
        Contact Lead() => new() { Id = "con_" + new string('h', 26), OrganizationId = organization, FirstName = "Lead", CreatedAt = now, UpdatedAt = now, Version = 1 };
        await using var blockerScope = node.Services.CreateAsyncScope();
        var blocker = blockerScope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
        await using (var hold = await blocker.Database.BeginTransactionAsync())
        {
            blocker.Add(Lead());
            await blocker.SaveChangesAsync();
            var lead = group.CommitAsync([RowOf(db, Lead())]); // taken at once: nothing else is running
            var outcomes = contacts.Select((c, i) => group.CommitAsync([RowOf(db, c), RowOf(db, events[i])])).ToList();
            await Task.Delay(200);
            lead.IsCompleted.ShouldBeFalse(); // still waiting on the key, so the five are still queued behind it
            await hold.RollbackAsync();
            await lead;
            (await Should.ThrowAsync<Npgsql.PostgresException>(() => outcomes[3])).SqlState.ShouldBe("23505");
            foreach (var i in new[] { 0, 1, 2, 4 }) await outcomes[i];
        }
        contacts.Insert(0, Lead());

        var stored = await db.Set<Contact>().IgnoreQueryFilters().Where(c => c.OrganizationId == organization).Select(c => c.Id).ToListAsync();
        stored.OrderBy(x => x).ShouldBe(contacts.Where((_, i) => i != 4).Select(c => c.Id).OrderBy(x => x)); // the lead, and not unit 3
        stored.Count.ShouldBe(5);
        var storedEvents = await db.OutboxEvents.IgnoreQueryFilters().Where(e => e.OrganizationId == organization).Select(e => e.ResourceId).ToListAsync();
        storedEvents.OrderBy(x => x).ShouldBe(stored.Where(id => id != contacts[0].Id).OrderBy(x => x)); // each unit's contact has its event; unit 3 has neither
    }

    private static PostgresInserts.Row RowOf(SwitchboardDbContext db, object entity) =>
        PostgresInserts.Row.Of(db.Model.FindEntityType(entity.GetType())!, entity) ?? throw new InvalidOperationException($"{entity.GetType().Name} is not inserted by PostgresInserts.");
}

public sealed class CrmWriterTestsOnSqlite(SqliteSwitchboard node) : CrmWriterTests<SqliteSwitchboard>(node);
public sealed class CrmWriterTestsOnPostgres(PostgresSwitchboard node) : CrmWriterTests<PostgresSwitchboard>(node);

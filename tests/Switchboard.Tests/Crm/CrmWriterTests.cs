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
}

public sealed class CrmWriterTestsOnSqlite(SqliteSwitchboard node) : CrmWriterTests<SqliteSwitchboard>(node);
public sealed class CrmWriterTestsOnPostgres(PostgresSwitchboard node) : CrmWriterTests<PostgresSwitchboard>(node);

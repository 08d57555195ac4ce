using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Platform.Storage;
using Switchboard.Tests.Infrastructure;
using Switchboard.Webhooks;

namespace Switchboard.Tests.Webhooks;

/// <summary>
/// On PostgreSQL the delivery loops read endpoints and lease deliveries without EF Core's query pipeline, through
/// <see cref="EntityRows"/>. What they read must be exactly what EF Core reads: every mapped property, with the
/// columns that carry converters (encrypted secrets and headers, event lists, enums) and the nullable ones, set and unset.
/// </summary>
public sealed class QueueReadsTests(PostgresSwitchboard node) : IClassFixture<PostgresSwitchboard>
{
    [Fact]
    public async Task EndpointsAndDeliveriesReadAsEfCoreReadsThem()
    {
        using var owner = node.Client();
        await owner.SignupAsync();
        await using var receiver = await WebhookReceiver.StartAsync();
        var full = await ApiClient.ReadAsync(await owner.SendRawAsync(HttpMethod.Post, "/api/v1/webhooks",
            "{\"url\":\"" + receiver.Url + "\",\"events\":[\"contact.*\",\"deal.created\"],\"name\":\"Full\",\"description\":\"every field\"," +
            "\"headers\":{\"X-Tenant-Token\":\"abc123\"},\"maxDeliveriesPerSecond\":50}"));
        var fullId = full["id"]!.GetValue<string>();
        (await owner.PostAsync($"/api/v1/webhooks/{fullId}/rotate-secret", new { })).StatusCode.ShouldBe(HttpStatusCode.OK); // a previous secret
        var bare = await ApiClient.ReadAsync(await owner.PostAsync("/api/v1/webhooks", new { url = receiver.Url, events = new[] { "*" } }));
        var bareId = bare["id"]!.GetValue<string>();
        var contact = await ApiClient.ReadAsync(await owner.PostAsync("/api/v1/contacts", new { firstName = "Ada" }));
        await receiver.WaitForAsync(r => r.Body.Contains(contact["id"]!.GetValue<string>(), StringComparison.Ordinal), count: 2);

        await using var scope = node.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
        var source = scope.ServiceProvider.GetRequiredService<PostgresDataSource>().Relaxed!;

        var expectedEndpoints = await db.Set<WebhookEndpoint>().IgnoreQueryFilters().AsNoTracking().Where(e => e.Id == fullId || e.Id == bareId).ToListAsync();
        var queue = node.Services.GetRequiredService<IWebhookQueue>().ShouldBeOfType<PostgresWebhookQueue>();
        var endpoints = await queue.EndpointsAsync([fullId, bareId, "we_doesnotexist"], CancellationToken.None);
        endpoints.Count.ShouldBe(2);
        expectedEndpoints.Single(e => e.Id == fullId).PreviousSecretEncrypted.ShouldNotBeNull();
        foreach (var expected in expectedEndpoints) SameProperties(db, expected, endpoints.Single(e => e.Id == expected.Id));

        // The deliveries as the lease reads them: its materializer over the same columns (leasing them here would race the node's own loops).
        var rows = EntityRows.For(db.Model, typeof(WebhookDelivery));
        var expectedDeliveries = await db.Set<WebhookDelivery>().IgnoreQueryFilters().AsNoTracking().Where(d => d.EndpointId == fullId || d.EndpointId == bareId).ToListAsync();
        expectedDeliveries.Count.ShouldBe(2);
        await using var connection = await source.OpenConnectionAsync();
        await using var command = new Npgsql.NpgsqlCommand($"SELECT {rows.Columns} FROM {rows.Table} WHERE endpoint_id = ANY($1)", connection);
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = new[] { fullId, bareId } });
        await using var reader = await command.ExecuteReaderAsync();
        var materialize = rows.Materialize<WebhookDelivery>();
        var read = new List<WebhookDelivery>();
        while (await reader.ReadAsync()) read.Add(materialize(reader));
        read.Count.ShouldBe(2);
        foreach (var expected in expectedDeliveries) SameProperties(db, expected, read.Single(d => d.Id == expected.Id));
    }

    private static void SameProperties<T>(SwitchboardDbContext db, T expected, T actual)
    {
        foreach (var property in db.Model.FindEntityType(typeof(T))!.GetProperties().Where(p => p.PropertyInfo is not null).Select(p => p.PropertyInfo!))
        {
            var (want, got) = (property.GetValue(expected), property.GetValue(actual));
            if (want is System.Collections.IEnumerable list and not string)
                ((System.Collections.IEnumerable)got!).Cast<object>().ShouldBe(list.Cast<object>(), $"{typeof(T).Name}.{property.Name}");
            else got.ShouldBe(want, $"{typeof(T).Name}.{property.Name}");
            if (want is DateTime wantTime) ((DateTime)got!).Kind.ShouldBe(wantTime.Kind, $"{typeof(T).Name}.{property.Name}");
        }
    }
}

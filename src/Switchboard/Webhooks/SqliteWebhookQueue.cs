using Microsoft.EntityFrameworkCore;
using Switchboard.Platform.Storage;

namespace Switchboard.Webhooks;

/// <summary>
/// The webhook queue on SQLite (a single node, whose writers its transactions serialize) through EF Core: more
/// statements than <see cref="PostgresWebhookQueue"/>'s, the same work; the webhook tests run on both.
/// </summary>
public sealed class SqliteWebhookQueue(IServiceScopeFactory scopes, DeliveryBookkeeping bookkeeping) : IWebhookQueue
{
    public async Task<(int Events, List<WebhookDelivery> Deliveries)> DispatchAsync(int batch, DateTime now, DateTime? leasedUntil,
        CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        var events = await db.OutboxEvents.FromSql($"SELECT * FROM outbox_events WHERE dispatched_at IS NULL ORDER BY id LIMIT {batch}")
            .IgnoreQueryFilters().ToListAsync(cancellationToken);
        if (events.Count == 0) return (0, []);

        var organizations = events.Select(e => e.OrganizationId).Distinct().ToList();
        var endpoints = await db.Set<WebhookEndpoint>().IgnoreQueryFilters()
            .Where(w => organizations.Contains(w.OrganizationId) && w.IsActive)
            .Select(w => new WebhookDeliveries.Subscription(w.Id, w.OrganizationId, w.Events, w.Filter)).ToListAsync(cancellationToken);
        var deliveries = WebhookDeliveries.FanOut(events, endpoints, now, leasedUntil);
        db.AddRange(deliveries);
        foreach (var evt in events) evt.DispatchedAt = now;
        await db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return (events.Count, leasedUntil is null ? [] : deliveries);
    }

    public async Task<List<WebhookDelivery>> LeaseAsync(int count, DateTime now, DateTime until, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
        var sql = System.Runtime.CompilerServices.FormattableStringFactory.Create(
            WebhookDeliveries.LeaseSql(until: "{0}", now: "{1}", count: "{2}", skipLocked: false, returning: "*"), until, now, count);
        return await db.Set<WebhookDelivery>().FromSql(sql).IgnoreQueryFilters().AsNoTracking().ToListAsync(cancellationToken);
    }

    public async Task<List<WebhookEndpoint>> EndpointsAsync(string[] ids, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
        return await db.Set<WebhookEndpoint>().IgnoreQueryFilters().AsNoTracking().Where(e => ids.Contains(e.Id)).ToListAsync(cancellationToken);
    }

    public Task RecordAsync(IReadOnlyList<DeliveryOutcome> outcomes, CancellationToken cancellationToken) =>
        bookkeeping.RecordAsync(outcomes, transactionSetup: null, cancellationToken);

    public Task PruneAsync(DateTime cutoff, CancellationToken cancellationToken) => bookkeeping.PruneAsync(cutoff, cancellationToken);
}

namespace Switchboard.Webhooks;

/// <summary>
/// Where the webhook engine's queue lives: outbox events turned into deliveries, deliveries leased, outcomes recorded,
/// history pruned. One implementation per database, chosen once at registration (<see cref="WebhookServices"/>), as
/// <see cref="RateLimiting.IRateLimitStore"/> is; the workers (<see cref="OutboxDispatcher"/>, <see cref="DeliveryWorker"/>,
/// <see cref="WebhookPruner"/>) hold the rules and ask nothing about the database.
/// </summary>
public interface IWebhookQueue
{
    /// <summary>
    /// Fans out up to <paramref name="batch"/> undispatched events, oldest first, to one delivery per active endpoint of
    /// the event's organization subscribed to its type, and marks them dispatched, in one transaction; no event is fanned
    /// out twice, whichever nodes dispatch side by side. With <paramref name="leasedUntil"/>, the deliveries are created
    /// leased to this node until then and answered, for it to send at once; without, they are created unleased and none
    /// are answered.
    /// </summary>
    Task<(int Events, List<WebhookDelivery> Deliveries)> DispatchAsync(int batch, DateTime now, DateTime? leasedUntil, CancellationToken cancellationToken);

    /// <summary>
    /// Leases up to <paramref name="count"/> due deliveries until <paramref name="until"/>
    /// (<see cref="WebhookDeliveries.LeaseSql"/>): pending, due, and not leased or whose lease ran out.
    /// </summary>
    Task<List<WebhookDelivery>> LeaseAsync(int count, DateTime now, DateTime until, CancellationToken cancellationToken);

    /// <summary>The endpoints of <paramref name="ids"/>, any organization's (the deliveries leased name them); unknown ids are skipped.</summary>
    Task<List<WebhookEndpoint>> EndpointsAsync(string[] ids, CancellationToken cancellationToken);

    /// <summary>
    /// Records a batch's outcomes in one transaction: each delivery released from its lease and done, dead, deferred or
    /// scheduled for a retry, its attempt logged and its endpoint's health updated (<see cref="DeliveryBookkeeping"/>).
    /// A delivery deleted meanwhile (with its endpoint) is skipped, not an error for the rest.
    /// </summary>
    Task RecordAsync(IReadOnlyList<DeliveryOutcome> outcomes, CancellationToken cancellationToken);

    /// <summary>Removes finished deliveries (their attempts go with them) and dispatched events created before <paramref name="cutoff"/>.</summary>
    Task PruneAsync(DateTime cutoff, CancellationToken cancellationToken);
}

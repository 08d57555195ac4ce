using Microsoft.Extensions.Options;
using Switchboard.Platform;

namespace Switchboard.Webhooks;

/// <summary>
/// Turns outbox events into deliveries (<see cref="IWebhookQueue.DispatchAsync"/>): each undispatched event becomes one
/// delivery per active endpoint of its organization subscribed to its type, and is marked dispatched in the same
/// transaction. While this node's delivery loops have room, the deliveries are created leased to this node and handed
/// to them in memory (<see cref="WebhookSignals.HandOver"/>), so new events go out without a lease query.
/// </summary>
public sealed class OutboxDispatcher(IWebhookQueue queue, WebhookSignals signals, IOptions<SwitchboardOptions> options, TimeProvider time,
    ILogger<OutboxDispatcher> logger) : BackgroundService
{
    private const int Batch = 500;

    /// <summary>This node's dispatch loop: last pass, last events taken, last failure (for the status page).</summary>
    public WorkerHeartbeat Heartbeat { get; } = new(time);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Heartbeat.RunAsync("Dispatching outbox events", DispatchAsync,
            rest: dispatched => dispatched < Batch,
            waitAsync: ct => signals.WaitForEventsAsync(TimeSpan.FromMilliseconds(options.Value.Webhooks.PollMilliseconds), ct),
            logger, stoppingToken,
            afterPass: dispatched => { if (dispatched > 0) signals.DeliveriesCreated(); });

    /// <summary>Dispatches one batch; answers how many events it took.</summary>
    public async Task<int> DispatchAsync(CancellationToken cancellationToken)
    {
        var now = time.UtcNow();
        DateTime? leasedUntil = signals.HandOverHasRoom ? now + DeliveryWorker.LeaseFor(options.Value) : null;
        var (dispatched, deliveries) = await queue.DispatchAsync(Batch, now, leasedUntil, cancellationToken);
        if (deliveries.Count > 0) signals.HandOver(deliveries);
        return dispatched;
    }
}

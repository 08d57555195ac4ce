using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Switchboard.Platform;
using Switchboard.Platform.Telemetry;
using Switchboard.RateLimiting;

namespace Switchboard.Webhooks;

/// <summary>
/// Delivers: leases due deliveries (a lease is a time, so a node that dies mid-attempt only delays them), posts them
/// outside any transaction (<see cref="WebhookSender"/>), and records the outcomes (<see cref="IWebhookQueue.RecordAsync"/>,
/// whose bookkeeping holds the retry rules). Every attempt is logged.
/// <para>
/// Stopping uses two tokens, as Hangfire's workers do: the host's stopping token stops leasing at once; the deliveries
/// already in flight go on, and are recorded, for up to <see cref="ShutdownOptions.DeliveryDrain"/> (the node's shutdown
/// timeout, <c>Switchboard:Shutdown:TimeoutSeconds</c>, less what recording needs), after which a second
/// token aborts what remains. An aborted delivery was never recorded: it stays leased and is sent again, by any node,
/// when its lease runs out (at least once). A graceful stop therefore sends nothing twice unless a receiver outlasts the
/// drain.
/// </para>
/// </summary>
public sealed class DeliveryWorker(IWebhookQueue queue, WebhookSender sender, Integrations.Actions.ActionRunner actions, WebhookSignals signals, IRateLimitStore limits,
    IOptions<SwitchboardOptions> options, TimeProvider time, ILogger<DeliveryWorker> logger) : BackgroundService
{
    /// <summary>
    /// How long a lease lasts: longer than any attempt can take (the timeout) plus a margin, and no longer, because it
    /// is also how late the deliveries of a node that died mid-attempt are picked up by the others.
    /// </summary>
    public static TimeSpan LeaseFor(SwitchboardOptions options) => TimeSpan.FromSeconds(options.Webhooks.TimeoutSeconds + 15);

    /// <summary>How long a batch waits for its slowest deliveries before it records the rest and the loop goes on.</summary>
    public static readonly TimeSpan StragglersAfter = TimeSpan.FromSeconds(1);

    // The API protects endpoint secrets under these purposes; the sender owns them.

    /// <summary>This node's delivery loop: last pass, last deliveries leased, last failure (for the status page).</summary>
    public WorkerHeartbeat Heartbeat { get; } = new(time);

    /// <summary>The second token: cancels the deliveries in flight, once the drain has run out (or the host's own shutdown timeout).</summary>
    private readonly CancellationTokenSource _abort = new();

    /// <summary>Deliveries a batch left in flight, recorded when they end: a stop waits for them.</summary>
    private readonly ConcurrentDictionary<Task, byte> _finishing = new();

    private int _straggling;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await Task.WhenAll(Enumerable.Range(0, options.Value.Webhooks.Loops).Select(_ => Task.Run(() => LoopAsync(stoppingToken), CancellationToken.None)));
        }
        finally
        {
            // Stopped leasing; what a batch left in flight ends (or is aborted) and is recorded before the worker is done.
            await Task.WhenAll(_finishing.Keys);
        }
    }

    /// <summary>
    /// Stops leasing (the base class cancels the stopping token) and waits for the deliveries in flight, aborting them
    /// after the drain timeout, or at once when the host's shutdown timeout (<paramref name="cancellationToken"/>) comes first.
    /// </summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await using var drain = time.CreateTimer(static abort => Abort((CancellationTokenSource)abort!), _abort,
            options.Value.Shutdown.DeliveryDrain, Timeout.InfiniteTimeSpan);
        await using var deadline = cancellationToken.Register(static abort => Abort((CancellationTokenSource)abort!), _abort);
        await base.StopAsync(cancellationToken);
    }

    private static void Abort(CancellationTokenSource abort)
    {
        try { abort.Cancel(); }
        catch (ObjectDisposedException) { /* the worker is gone already */ }
    }

    public override void Dispose()
    {
        Abort(_abort);
        base.Dispose();
        _abort.Dispose();
    }

    private Task LoopAsync(CancellationToken stoppingToken) =>
        Heartbeat.RunAsync("Delivering webhooks", RunOnceAsync,
            rest: worked => worked == 0,
            waitAsync: ct => signals.WaitForDeliveriesAsync(TimeSpan.FromMilliseconds(options.Value.Webhooks.PollMilliseconds), ct),
            logger, stoppingToken);

    /// <summary>
    /// Leases a batch of due deliveries, sends them in parallel, and records the batch's outcomes in one transaction
    /// (endpoints read once per batch): the bookkeeping per delivery is a few rows, not a round of queries. A batch does
    /// not wait on a slow receiver: once <see cref="StragglersAfter"/> has passed, the outcomes in hand are recorded and
    /// the loop goes on, and the deliveries still in flight record their own outcomes when they end. They still count
    /// against the loop's batch size, so a loop never holds more than one batch's worth of deliveries.
    /// <paramref name="stoppingToken"/> only stops the pass from leasing: a batch leased is sent, and recorded, until
    /// the worker aborts it.
    /// </summary>
    public async Task<int> RunOnceAsync(CancellationToken stoppingToken)
    {
        if (stoppingToken.IsCancellationRequested) return 0;
        var abort = _abort.Token;
        var settings = options.Value.Webhooks;
        var room = settings.Concurrency * 4 - Volatile.Read(ref _straggling) / settings.Loops;
        if (room <= 0) return 0; // woken again as stragglers end
        // Deliveries this node's dispatcher just created come leased to it already; the database is asked only when there
        // are none (retries, other nodes' work, leases that ran out).
        var leased = signals.TakeHandedOver(room, time.UtcNow() + TimeSpan.FromSeconds(settings.TimeoutSeconds + 1));
        if (leased.Count == 0)
        {
            var now = time.UtcNow();
            leased = await queue.LeaseAsync(room, now, now + LeaseFor(options.Value), abort);
        }
        if (leased.Count == 0) return 0;
        // A full batch suggests more is due: wake a sibling loop that may be waiting, rather than leave it to its poll.
        if (leased.Count == room) signals.DeliveriesCreated();
        var endpoints = (await queue.EndpointsAsync(leased.Select(d => d.EndpointId).Distinct().ToArray(), abort)).ToDictionary(e => e.Id);
        var gate = new SemaphoreSlim(settings.Concurrency); // not disposed: stragglers may outlive this pass (it holds no wait handle)
        var attempts = leased.Select(d => AttemptGatedAsync(d, endpoints.GetValueOrDefault(d.EndpointId), gate, abort)).ToList();
        var all = Task.WhenAll(attempts);
        DeliveryOutcome[] outcomes;
        try
        {
            // Not a token: the attempts end by themselves (answer, timeout, or abort), and the batch with them.
            outcomes = await all.WaitAsync(StragglersAfter, CancellationToken.None);
        }
        catch (TimeoutException)
        {
            var inFlight = attempts.Where(a => !a.IsCompleted).ToList();
            Interlocked.Add(ref _straggling, inFlight.Count);
            var finishing = FinishStragglersAsync(inFlight);
            if (_finishing.TryAdd(finishing, 0))
                _ = finishing.ContinueWith(static (done, set) => ((ConcurrentDictionary<Task, byte>)set!).TryRemove(done, out _), _finishing,
                    CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            outcomes = Ended(attempts);
        }
        catch (Exception ex) when (all.IsCompleted)
        {
            // Aborted by a stop, or an attempt failed to run: the others' outcomes are recorded all the same; those are
            // not, stay leased, and are sent again when the lease runs out.
            if (all.IsFaulted) Failed(ex);
            outcomes = Ended(attempts);
        }
        if (outcomes.Length > 0) await queue.RecordAsync(outcomes, CancellationToken.None);
        return leased.Count;
    }

    private static DeliveryOutcome[] Ended(List<Task<DeliveryOutcome>> attempts) =>
        attempts.Where(a => a.IsCompletedSuccessfully).Select(a => a.Result).ToArray();

    private void Failed(Exception ex)
    {
        Heartbeat.Failed();
        logger.LogError(ex, "A webhook delivery failed to run; its lease will run out and it will be retried");
    }

    private async Task<DeliveryOutcome> AttemptGatedAsync(WebhookDelivery delivery, WebhookEndpoint? endpoint, SemaphoreSlim gate, CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken);
        try { return await AttemptAsync(delivery, endpoint, cancellationToken); }
        finally { gate.Release(); }
    }

    /// <summary>
    /// The deliveries a batch left in flight: recorded when they end. One that failed to run, or was aborted, stays
    /// leased, as it would in a batch, and is sent again when its lease runs out.
    /// </summary>
    private async Task FinishStragglersAsync(List<Task<DeliveryOutcome>> inFlight)
    {
        try
        {
            try { await Task.WhenAll(inFlight); }
            catch (Exception ex) when (ex is not OperationCanceledException) { Failed(ex); }
            catch (OperationCanceledException) { /* aborted: record what ended */ }
            var outcomes = Ended(inFlight);
            if (outcomes.Length > 0) await queue.RecordAsync(outcomes, CancellationToken.None);
        }
        catch (Exception ex)
        {
            Heartbeat.Failed();
            logger.LogError(ex, "Recording webhook deliveries that outlasted their batch failed; their leases will run out and they will be sent again");
        }
        finally
        {
            Interlocked.Add(ref _straggling, -inFlight.Count);
            signals.DeliveriesCreated(); // room again: wake a loop that stopped for want of it
        }
    }

    /// <summary>
    /// Sends one delivery (or defers it: endpoint gone or disabled, or over its throttle); an action rule's runs its
    /// provider's action instead of a post (<see cref="Integrations.Actions.ActionRunner"/>, throttled per installation).
    /// Writes nothing.
    /// </summary>
    private async Task<DeliveryOutcome> AttemptAsync(WebhookDelivery delivery, WebhookEndpoint? endpoint, CancellationToken cancellationToken)
    {
        // A span of the trace of the write that caused the event (its deliveries keep that traceparent), whichever node
        // and however late it runs; the HTTP post (whose traceparent the receiver gets) or the connector's job is its child.
        using var activity = SwitchboardTelemetry.Source.StartActivity("webhook deliver", System.Diagnostics.ActivityKind.Internal,
            TraceContext.Parent(delivery.TraceParent, delivery.TraceState));
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("switchboard.webhook.delivery_id", delivery.Id);
            activity.SetTag("switchboard.webhook.endpoint_id", delivery.EndpointId);
            activity.SetTag(SwitchboardTelemetry.EventTypeAttribute, delivery.EventType);
            activity.SetTag("switchboard.webhook.event_id", delivery.EventId);
            activity.SetTag("switchboard.webhook.attempt", delivery.Attempts + 1);
        }
        var outcome = await AttemptOnceAsync(delivery, endpoint, cancellationToken);
        if (outcome.Kind == OutcomeKind.Sent)
        {
            SwitchboardTelemetry.DeliveryAttempted(endpoint?.Kind ?? EndpointKind.Webhook, outcome.Status, outcome.LatencyMs);
            if (activity is { IsAllDataRequested: true })
            {
                if (outcome.Status is { } status) activity.SetTag(SwitchboardTelemetry.StatusCodeAttribute, status);
                activity.SetTag(SwitchboardTelemetry.OutcomeAttribute, SwitchboardTelemetry.DeliveryOutcome(outcome.Status));
                if (outcome.Status is not (>= 200 and < 300))
                    SwitchboardTelemetry.Failed(activity, outcome.Status?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "no_response", outcome.Error);
            }
        }
        else activity?.SetTag(SwitchboardTelemetry.OutcomeAttribute, "deferred");
        return outcome;
    }

    private async Task<DeliveryOutcome> AttemptOnceAsync(WebhookDelivery delivery, WebhookEndpoint? endpoint, CancellationToken cancellationToken)
    {
        var now = time.UtcNow();
        // Disabled meanwhile: keep it pending (replayable, retryable once re-enabled) but stop trying for now.
        if (endpoint is null || !endpoint.IsActive) return new DeliveryOutcome(delivery, endpoint, OutcomeKind.Deferred, now, now.AddYears(100));
        if (endpoint.Kind == EndpointKind.Action) return await actions.RunAsync(delivery, endpoint, cancellationToken);
        if (endpoint.MaxDeliveriesPerSecond is { } perSecond)
        {
            // The endpoint's throttle is a token bucket in the shared limit store, so it holds across every node.
            var verdict = (await limits.AcquireAsync([new RateLimitPolicy("webhook", "webhook:" + endpoint.Id,
                LimitKind.TokenBucket, perSecond, TimeSpan.FromSeconds(1))], now, cancellationToken))[0];
            if (!verdict.Allowed) return new DeliveryOutcome(delivery, endpoint, OutcomeKind.Deferred, now, now + verdict.RetryAfter);
        }
        var (status, body, error, retryAfter, latency) = await sender.SendAsync(endpoint, delivery, cancellationToken);
        return new DeliveryOutcome(delivery, endpoint, OutcomeKind.Sent, time.UtcNow(), null, status, body, error, retryAfter, latency);
    }
}

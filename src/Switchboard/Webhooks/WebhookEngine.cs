using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Switchboard.Platform;
using Switchboard.Platform.Outbox;
using Switchboard.Platform.Security;
using Switchboard.Platform.Storage;

namespace Switchboard.Webhooks;

/// <summary>
/// Turns outbox events into deliveries: each undispatched event becomes one delivery per active endpoint of its
/// organization subscribed to its type, and is marked dispatched in the same transaction. On PostgreSQL
/// (<see cref="PostgresWebhookQueue.DispatchAsync"/>) the batch is claimed with <c>FOR UPDATE SKIP LOCKED</c>, so
/// several nodes share the work and no event is fanned out twice, and the deliveries are handed to this node's delivery
/// loops; on SQLite (one node) it goes through EF Core below.
/// </summary>
public sealed class OutboxDispatcher(IServiceScopeFactory scopes, WebhookSignals signals, IOptions<SwitchboardOptions> options, TimeProvider time,
    PostgresDataSource postgres, ILogger<OutboxDispatcher> logger) : BackgroundService
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
        if (postgres.Relaxed is { } relaxed)
        {
            var at = time.UtcNow();
            DateTime? leasedUntil = signals.HandOverHasRoom ? at + DeliveryWorker.LeaseFor(options.Value) : null;
            var (dispatched, deliveries) = await PostgresWebhookQueue.DispatchAsync(relaxed, Batch, at, leasedUntil, cancellationToken);
            if (deliveries.Count > 0) signals.HandOver(deliveries);
            return dispatched;
        }
        // SQLite: a single node, whose writers the transaction serializes.
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        var events = await db.OutboxEvents.FromSqlRaw($"SELECT * FROM outbox_events WHERE dispatched_at IS NULL ORDER BY id LIMIT {Batch}")
            .IgnoreQueryFilters().ToListAsync(cancellationToken);
        if (events.Count == 0) return 0;

        var organizations = events.Select(e => e.OrganizationId).Distinct().ToList();
        var endpoints = await db.Set<WebhookEndpoint>().IgnoreQueryFilters()
            .Where(w => organizations.Contains(w.OrganizationId) && w.IsActive)
            .Select(w => new WebhookDeliveries.Subscription(w.Id, w.OrganizationId, w.Events)).ToListAsync(cancellationToken);
        var now = time.UtcNow();
        db.AddRange(WebhookDeliveries.FanOut(events, endpoints, now));
        foreach (var evt in events) evt.DispatchedAt = now;
        await db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return events.Count;
    }
}

public static class WebhookDeliveries
{
    /// <summary>The body a receiver gets (CONTRACT.md, "Webhook deliveries").</summary>
    public static string Payload(OutboxEvent evt)
    {
        var body = new JsonObject
        {
            ["id"] = evt.Id,
            ["type"] = evt.Type,
            ["timestamp"] = evt.CreatedAt.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture),
            ["data"] = JsonNode.Parse(evt.Data),
        };
        if (evt.PreviousAttributes is not null) body["previousAttributes"] = JsonNode.Parse(evt.PreviousAttributes);
        return body.ToJsonString();
    }

    public static WebhookDelivery For(OutboxEvent evt, string endpointId, DateTime now, string? payload = null, DateTime? leasedUntil = null) => new()
    {
        Id = Ids.New("dlv"), OrganizationId = evt.OrganizationId, EndpointId = endpointId, EventId = evt.Id, EventType = evt.Type,
        Payload = payload ?? Payload(evt), NextAttemptAt = now, LockedUntil = leasedUntil, CreatedAt = now, UpdatedAt = now,
    };

    /// <summary>
    /// The lease, one statement on either database: up to <paramref name="count"/> deliveries that are pending, due, and
    /// not leased (or whose lease, a node's that died, ran out), leased until <paramref name="until"/>. The arguments are
    /// the caller's parameter names as written in its SQL (<c>$1</c>, <c>@now</c>); on PostgreSQL, SKIP LOCKED lets several nodes lease side by side
    /// without waiting on or taking each other's rows.
    /// </summary>
    public static string LeaseSql(string until, string now, string count, bool skipLocked, string returning) =>
        $"UPDATE webhook_deliveries SET locked_until = {until} WHERE id IN (SELECT id FROM webhook_deliveries " +
        $"WHERE status = 'pending' AND next_attempt_at <= {now} AND (locked_until IS NULL OR locked_until < {now}) " +
        $"ORDER BY next_attempt_at LIMIT {count}{(skipLocked ? " FOR UPDATE SKIP LOCKED" : "")}) RETURNING {returning}";

    /// <summary>What fan-out needs of an active endpoint: whose it is and the event types it subscribes to.</summary>
    public readonly record struct Subscription(string EndpointId, string OrganizationId, string[] Events);

    /// <summary>
    /// One delivery per endpoint of the event's organization subscribed to its type, for each event (the payload built
    /// once per event); leased until <paramref name="leasedUntil"/> when given.
    /// </summary>
    public static List<WebhookDelivery> FanOut(IEnumerable<OutboxEvent> events, IReadOnlyList<Subscription> endpoints, DateTime now,
        DateTime? leasedUntil = null)
    {
        var deliveries = new List<WebhookDelivery>();
        foreach (var evt in events)
        {
            string? payload = null;
            foreach (var endpoint in endpoints)
                if (endpoint.OrganizationId == evt.OrganizationId && EventTypes.Matches(endpoint.Events, evt.Type))
                    deliveries.Add(For(evt, endpoint.EndpointId, now, payload ??= Payload(evt), leasedUntil));
        }
        return deliveries;
    }
}

/// <summary>
/// Delivers: leases due deliveries (a lease is a time, so a node that dies mid-attempt only delays them), posts them
/// outside any transaction, and records the outcome. 2xx: done. Anything else: retried on the schedule with jitter,
/// or after <c>Retry-After</c> on 429/503 when that is later; 410: the endpoint is disabled at once. When the schedule
/// runs out the delivery is dead (a dead letter, retryable by hand). Every attempt is logged.
/// </summary>
public sealed class DeliveryWorker(IServiceScopeFactory scopes, IHttpClientFactory clients, SecretProtector protector, WebhookSignals signals,
    RateLimiting.IRateLimitStore limits, IOptions<SwitchboardOptions> options, TimeProvider time, PostgresDataSource postgres,
    ILogger<DeliveryWorker> logger) : BackgroundService
{
    public const string HttpClientName = "webhooks";

    /// <summary>
    /// How long a lease lasts: longer than any attempt can take (the timeout) plus a margin, and no longer, because it
    /// is also how late the deliveries of a node that died mid-attempt are picked up by the others.
    /// </summary>
    public static TimeSpan LeaseFor(SwitchboardOptions options) => TimeSpan.FromSeconds(options.Webhooks.TimeoutSeconds + 15);

    /// <summary>This node's delivery loop: last pass, last deliveries leased, last failure (for the status page).</summary>
    public WorkerHeartbeat Heartbeat { get; } = new(time);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Enumerable.Range(0, options.Value.Webhooks.Loops).Select(_ => Task.Run(() => LoopAsync(stoppingToken), stoppingToken)));

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
    /// </summary>
    public async Task<int> RunOnceAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value.Webhooks;
        var room = settings.Concurrency * 4 - Volatile.Read(ref _straggling) / settings.Loops;
        if (room <= 0) return 0; // woken again as stragglers end
        // Deliveries this node's dispatcher just created come leased to it already; the database is asked only when there
        // are none (retries, other nodes' work, leases that ran out).
        var leased = signals.TakeHandedOver(room, time.UtcNow() + TimeSpan.FromSeconds(settings.TimeoutSeconds + 1));
        if (leased.Count == 0) leased = await LeaseAsync(room, cancellationToken);
        if (leased.Count == 0) return 0;
        // A full batch suggests more is due: wake a sibling loop that may be waiting, rather than leave it to its poll.
        if (leased.Count == room) signals.DeliveriesCreated();
        var endpoints = (await EndpointsAsync(leased.Select(d => d.EndpointId).Distinct().ToArray(), cancellationToken)).ToDictionary(e => e.Id);
        var gate = new SemaphoreSlim(settings.Concurrency); // not disposed: stragglers may outlive this pass (it holds no wait handle)
        var attempts = leased.Select(d => AttemptGatedAsync(d, endpoints.GetValueOrDefault(d.EndpointId), gate, cancellationToken)).ToList();
        Outcome[] outcomes;
        try
        {
            // Not the stopping token: on shutdown the attempts themselves are cancelled, and the batch ends with them.
            outcomes = await Task.WhenAll(attempts).WaitAsync(StragglersAfter, CancellationToken.None);
        }
        catch (TimeoutException)
        {
            var inFlight = attempts.Where(a => !a.IsCompletedSuccessfully).ToList();
            Interlocked.Add(ref _straggling, inFlight.Count);
            _ = FinishStragglersAsync(inFlight);
            outcomes = attempts.Where(a => a.IsCompletedSuccessfully).Select(a => a.Result).ToArray();
        }
        if (outcomes.Length > 0) await RecordOutcomesAsync(outcomes);
        return leased.Count;
    }

    /// <summary>How long a batch waits for its slowest deliveries before it records the rest and the loop goes on.</summary>
    public static readonly TimeSpan StragglersAfter = TimeSpan.FromSeconds(1);

    private int _straggling;

    private async Task<Outcome> AttemptGatedAsync(WebhookDelivery delivery, WebhookEndpoint? endpoint, SemaphoreSlim gate, CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken);
        try { return await AttemptAsync(delivery, endpoint, cancellationToken); }
        finally { gate.Release(); }
    }

    /// <summary>
    /// The deliveries a batch left in flight: recorded when they end. One that failed to run stays leased, as it would
    /// in a batch, and is sent again when its lease runs out.
    /// </summary>
    private async Task FinishStragglersAsync(List<Task<Outcome>> inFlight)
    {
        try
        {
            try { await Task.WhenAll(inFlight); }
            catch (Exception ex) when (ex is not OperationCanceledException) { logger.LogError(ex, "A webhook delivery failed to run; its lease will run out and it will be retried"); }
            catch (OperationCanceledException) { /* stopping: record what ended */ }
            var outcomes = inFlight.Where(a => a.IsCompletedSuccessfully).Select(a => a.Result).ToArray();
            if (outcomes.Length > 0) await RecordOutcomesAsync(outcomes);
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
    /// The usual batch, every delivery accepted, is recorded on PostgreSQL in one round trip; anything else (a failure,
    /// a deferral, SQLite) goes through the full bookkeeping.
    /// </summary>
    private async Task RecordOutcomesAsync(IReadOnlyList<Outcome> results)
    {
        if (postgres.Relaxed is { } relaxed && results.All(o => o is { Kind: OutcomeKind.Sent, Status: >= 200 and < 300, Endpoint: not null }))
            await PostgresWebhookQueue.RecordSuccessesAsync(relaxed,
                results.Select(o => new PostgresWebhookQueue.Success(o.Delivery.Id, o.Delivery.EndpointId, o.At, o.Status!.Value, o.LatencyMs, o.Body)).ToList(),
                () => Ids.New("att", time), CancellationToken.None);
        else
            await RecordWithRetryAsync(results);
    }

    private async Task<List<WebhookDelivery>> LeaseAsync(int count, CancellationToken cancellationToken)
    {
        var now = time.UtcNow();
        var until = now + LeaseFor(options.Value);
        if (postgres.Relaxed is { } relaxed)
            return await PostgresWebhookQueue.LeaseAsync(relaxed, Model, count, now, until, cancellationToken);
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
        var sql = System.Runtime.CompilerServices.FormattableStringFactory.Create(
            WebhookDeliveries.LeaseSql(until: "{0}", now: "{1}", count: "{2}", skipLocked: false, returning: "*"), until, now, count);
        return await db.Set<WebhookDelivery>().FromSql(sql).IgnoreQueryFilters().AsNoTracking().ToListAsync(cancellationToken);
    }

    private async Task<List<WebhookEndpoint>> EndpointsAsync(string[] ids, CancellationToken cancellationToken)
    {
        if (postgres.Relaxed is { } relaxed) return await PostgresWebhookQueue.EndpointsAsync(relaxed, Model, ids, cancellationToken);
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
        return await db.Set<WebhookEndpoint>().IgnoreQueryFilters().AsNoTracking().Where(e => ids.Contains(e.Id)).ToListAsync(cancellationToken);
    }

    /// <summary>The EF model, for the PostgreSQL reads that materialize entities without EF Core's query pipeline.</summary>
    private Microsoft.EntityFrameworkCore.Metadata.IModel Model => _model ??= ReadModel();
    private Microsoft.EntityFrameworkCore.Metadata.IModel? _model;

    private Microsoft.EntityFrameworkCore.Metadata.IModel ReadModel()
    {
        using var scope = scopes.CreateScope();
        return scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>().Model;
    }

    private enum OutcomeKind { Sent, Deferred }

    private sealed record Outcome(WebhookDelivery Delivery, WebhookEndpoint? Endpoint, OutcomeKind Kind, DateTime At, DateTime? DeferUntil = null,
        int? Status = null, string? Body = null, string? Error = null, TimeSpan? RetryAfter = null, long LatencyMs = 0);

    /// <summary>Sends one delivery (or defers it: endpoint gone or disabled, or over its throttle). Writes nothing.</summary>
    private async Task<Outcome> AttemptAsync(WebhookDelivery delivery, WebhookEndpoint? endpoint, CancellationToken cancellationToken)
    {
        var now = time.UtcNow();
        // Disabled meanwhile: keep it pending (replayable, retryable once re-enabled) but stop trying for now.
        if (endpoint is null || !endpoint.IsActive) return new Outcome(delivery, endpoint, OutcomeKind.Deferred, now, now.AddYears(100));
        if (endpoint.MaxDeliveriesPerSecond is { } perSecond)
        {
            // The endpoint's throttle is a token bucket in the shared limit store, so it holds across every node.
            var verdict = (await limits.AcquireAsync([new RateLimiting.RateLimitPolicy("webhook", "webhook:" + endpoint.Id,
                RateLimiting.LimitKind.TokenBucket, perSecond, TimeSpan.FromSeconds(1))], now, cancellationToken))[0];
            if (!verdict.Allowed) return new Outcome(delivery, endpoint, OutcomeKind.Deferred, now, now + verdict.RetryAfter);
        }
        var (status, body, error, retryAfter, latency) = await SendAsync(endpoint, delivery, cancellationToken);
        return new Outcome(delivery, endpoint, OutcomeKind.Sent, time.UtcNow(), null, status, body, error, retryAfter, latency);
    }

    /// <summary>
    /// Records the outcomes, again from a fresh read if a delivery vanished between the read and the write (its endpoint
    /// was deleted meanwhile, taking its deliveries along): one such delivery must not cost the rest of the batch its
    /// outcomes, which would leave them leased and sent a second time when the lease ran out.
    /// </summary>
    private async Task RecordWithRetryAsync(IReadOnlyList<Outcome> outcomes)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await RecordAsync(outcomes, CancellationToken.None);
                return;
            }
            catch (DbUpdateConcurrencyException) when (attempt < 3)
            {
                logger.LogInformation("A delivery changed while its batch was being recorded; recording the batch again");
            }
        }
    }

    /// <summary>Records the batch's outcomes in one transaction.</summary>
    private async Task RecordAsync(IReadOnlyList<Outcome> outcomes, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
        var deliveryIds = outcomes.Select(o => o.Delivery.Id).ToList();
        var endpointIds = outcomes.Where(o => o.Kind == OutcomeKind.Sent).Select(o => o.Delivery.EndpointId).Distinct().ToList();
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        await RelaxedCommit.ApplyAsync(db, cancellationToken);
        var deliveries = await db.Set<WebhookDelivery>().IgnoreQueryFilters().Where(d => deliveryIds.Contains(d.Id)).ToDictionaryAsync(d => d.Id, cancellationToken);
        var endpoints = await db.Set<WebhookEndpoint>().IgnoreQueryFilters().Where(e => endpointIds.Contains(e.Id)).ToDictionaryAsync(e => e.Id, cancellationToken);
        var schedule = options.Value.Webhooks.Schedule;
        foreach (var o in outcomes.OrderBy(o => o.At))
        {
            // Gone: deleted with its endpoint while it was in flight. There is nothing left to record it on.
            if (!deliveries.TryGetValue(o.Delivery.Id, out var tracked)) continue;
            tracked.LockedUntil = null;
            if (o.Kind == OutcomeKind.Deferred)
            {
                tracked.NextAttemptAt = o.DeferUntil!.Value;
                continue;
            }
            // Deliveries go with their endpoint, so a delivery read above has one; should that ever not hold, the delivery
            // is only released (pending, unleased) and tried again, rather than failing the batch.
            if (!endpoints.TryGetValue(o.Delivery.EndpointId, out var endpoint)) continue;
            var now = o.At;
            var attempt = tracked.Attempts + 1;
            db.Add(new WebhookAttempt
            {
                Id = Ids.New("att", time), OrganizationId = tracked.OrganizationId, DeliveryId = tracked.Id, EndpointId = endpoint.Id,
                Attempt = attempt, AttemptedAt = now, StatusCode = o.Status, LatencyMs = o.LatencyMs, ResponseBody = o.Body, Error = o.Error,
            });
            tracked.Attempts = attempt;
            tracked.LastStatusCode = o.Status;
            tracked.LastError = o.Error;
            tracked.UpdatedAt = now;
            if (o.Status is >= 200 and < 300)
            {
                tracked.Status = DeliveryStatus.Succeeded;
                tracked.CompletedAt = now;
                endpoint.LastSuccessAt = now;
                endpoint.FailingSince = null;
                continue;
            }
            endpoint.LastFailureAt = now;
            endpoint.FailingSince ??= now;
            if (o.Status == 410) Disable(db, endpoint, "The receiver answered 410 Gone.", now);
            else if (now - endpoint.FailingSince.Value > TimeSpan.FromDays(options.Value.Webhooks.DisableAfterFailingDays))
                Disable(db, endpoint, $"Failing without a success since {endpoint.FailingSince:O}.", now);
            if (o.Status == 410 || attempt > schedule.Count)
            {
                tracked.Status = DeliveryStatus.Dead;
                tracked.CompletedAt = now;
                if (o.Status != 410) Operational(db, endpoint.OrganizationId, "webhook.delivery_exhausted", endpoint, tracked, now);
            }
            else
            {
                var wait = TimeSpan.FromSeconds(schedule[attempt - 1] * (0.8 + Random.Shared.NextDouble() * 0.4));
                if (o.RetryAfter is { } ra && ra > wait) wait = ra;
                tracked.NextAttemptAt = now + wait;
            }
        }
        await db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
    }

    private void Disable(SwitchboardDbContext db, WebhookEndpoint endpoint, string reason, DateTime now)
    {
        if (!endpoint.IsActive) return;
        endpoint.IsActive = false;
        endpoint.DisabledReason = reason;
        endpoint.UpdatedAt = now;
        Operational(db, endpoint.OrganizationId, "webhook.endpoint_disabled", endpoint, null, now);
        logger.LogWarning("Disabled webhook endpoint {EndpointId}: {Reason}", endpoint.Id, reason);
    }

    private void Operational(SwitchboardDbContext db, string organizationId, string type, WebhookEndpoint endpoint, WebhookDelivery? delivery, DateTime now)
    {
        var data = new JsonObject { ["endpointId"] = endpoint.Id, ["url"] = endpoint.Url, ["reason"] = endpoint.DisabledReason };
        if (delivery is not null) { data["deliveryId"] = delivery.Id; data["eventId"] = delivery.EventId; data["eventType"] = delivery.EventType; }
        db.OutboxEvents.Add(new OutboxEvent
        {
            Id = Ids.New("evt", time), OrganizationId = organizationId, Type = type, ResourceType = "webhook_endpoint",
            ResourceId = endpoint.Id, Data = data.ToJsonString(), CreatedAt = now,
        });
    }

    private async Task<(int? Status, string? Body, string? Error, TimeSpan? RetryAfter, long LatencyMs)> SendAsync(
        WebhookEndpoint endpoint, WebhookDelivery delivery, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, endpoint.Url) { Content = new StringContent(delivery.Payload, Encoding.UTF8, "application/json") };
            var timestamp = time.GetUtcNow().ToUnixTimeSeconds();
            var secrets = Secrets(endpoint);
            request.Headers.TryAddWithoutValidation("webhook-id", delivery.EventId);
            request.Headers.TryAddWithoutValidation("webhook-timestamp", timestamp.ToString(CultureInfo.InvariantCulture));
            request.Headers.TryAddWithoutValidation("webhook-signature", string.Join(' ', secrets.Select(s => WebhookSignature.StandardSignature(s, delivery.EventId, timestamp, delivery.Payload))));
            request.Headers.TryAddWithoutValidation("X-Webhook-Event", delivery.EventType);
            request.Headers.TryAddWithoutValidation("X-Webhook-Signature", WebhookSignature.SimpleSignature(secrets[0], delivery.Payload));
            request.Headers.UserAgent.ParseAdd("Switchboard-Webhooks/1.0");
            if (endpoint.HeadersEncrypted is not null)
                foreach (var (name, value) in JsonSerializer.Deserialize<Dictionary<string, string>>(protector.Unprotect(endpoint.HeadersEncrypted, HeadersPurpose(endpoint.Id))) ?? [])
                    request.Headers.TryAddWithoutValidation(name, value);

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(options.Value.Webhooks.TimeoutSeconds));
            using var response = await clients.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            var body = await ReadPrefixAsync(response, timeout.Token);
            TimeSpan? retryAfter = response.StatusCode is System.Net.HttpStatusCode.TooManyRequests or System.Net.HttpStatusCode.ServiceUnavailable
                ? response.Headers.RetryAfter?.Delta ?? (response.Headers.RetryAfter?.Date - time.GetUtcNow())
                : null;
            return ((int)response.StatusCode, body, null, retryAfter, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or OperationCanceledException or IOException)
        {
            if (cancellationToken.IsCancellationRequested) throw;
            var error = ex is TaskCanceledException or OperationCanceledException ? $"Timed out after {options.Value.Webhooks.TimeoutSeconds} s." : ex.Message;
            return (null, null, error.Length <= 1000 ? error : error[..1000], null, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    }

    /// <summary>The current secret first, then the previous one while its overlap lasts.</summary>
    private List<string> Secrets(WebhookEndpoint endpoint)
    {
        var secrets = new List<string> { protector.Unprotect(endpoint.SecretEncrypted, SecretPurpose(endpoint.Id)) };
        if (endpoint.PreviousSecretEncrypted is not null && endpoint.PreviousSecretExpiresAt > time.UtcNow())
            secrets.Add(protector.Unprotect(endpoint.PreviousSecretEncrypted, SecretPurpose(endpoint.Id)));
        return secrets;
    }

    private static async Task<string?> ReadPrefixAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        var buffer = new byte[4096];
        var read = 0;
        int n;
        while (read < buffer.Length && (n = await stream.ReadAsync(buffer.AsMemory(read), cancellationToken)) > 0) read += n;
        return read == 0 ? null : Encoding.UTF8.GetString(buffer, 0, read);
    }

    public static string SecretPurpose(string endpointId) => "webhook-secret:" + endpointId;
    public static string HeadersPurpose(string endpointId) => "webhook-headers:" + endpointId;
}

/// <summary>Removes finished deliveries, their attempts and dispatched outbox events past retention, once an hour.</summary>
public sealed class WebhookPruner(IServiceScopeFactory scopes, IOptions<SwitchboardOptions> options, TimeProvider time, ILogger<WebhookPruner> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try { await PruneAsync(stoppingToken); }
            catch (Exception ex) when (ex is not OperationCanceledException) { logger.LogWarning(ex, "Pruning webhook history failed"); }
            try { await Task.Delay(TimeSpan.FromHours(1), time, stoppingToken); }
            catch (OperationCanceledException) { break; }
        }
    }

    public async Task PruneAsync(CancellationToken cancellationToken)
    {
        var cutoff = time.UtcNow().AddDays(-options.Value.Webhooks.RetentionDays);
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
        // Attempts go with their delivery (cascade); pending deliveries are never pruned, however old.
        await db.Set<WebhookDelivery>().IgnoreQueryFilters().Where(d => d.Status != DeliveryStatus.Pending && d.CompletedAt < cutoff).ExecuteDeleteAsync(cancellationToken);
        await db.OutboxEvents.IgnoreQueryFilters().Where(e => e.DispatchedAt != null && e.CreatedAt < cutoff).ExecuteDeleteAsync(cancellationToken);
    }
}

/// <summary>
/// Dispatch and delivery bookkeeping commit without waiting for the WAL flush on PostgreSQL
/// (<c>synchronous_commit = off</c>, for that transaction only). Safe for at-least-once: a commit lost in a database
/// crash leaves the event undispatched or the delivery pending, so it is sent again, never lost. The business change and
/// its outbox event are still committed durably.
/// </summary>
internal static class RelaxedCommit
{
    public static async Task ApplyAsync(SwitchboardDbContext db, CancellationToken cancellationToken)
    {
        if (db.Database.IsNpgsql()) await db.Database.ExecuteSqlRawAsync("SET LOCAL synchronous_commit = off", cancellationToken);
    }
}

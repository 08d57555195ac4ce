using Switchboard.Integrations;
using Switchboard.Platform.Resources;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Switchboard.Platform;
using Switchboard.Platform.Outbox;
using Switchboard.Platform.Storage;

namespace Switchboard.Webhooks;

/// <summary>
/// The webhook rules applied to a batch of outcomes, through EF Core on either database: 2xx, done; anything else,
/// retried on the schedule with jitter, or after <c>Retry-After</c> on 429/503 when that is later; 410, the endpoint
/// disabled at once; failing without a success for <c>DisableAfterFailingDays</c>, disabled too; the schedule run out,
/// dead (a dead letter, retryable by hand). SQLite records every batch here; PostgreSQL every batch but the usual all-2xx
/// one, which it records in one round trip (<see cref="PostgresWebhookQueue"/>). Pruning is here too, the same on both.
/// </summary>
public sealed class DeliveryBookkeeping(IServiceScopeFactory scopes, IOptions<SwitchboardOptions> options, TimeProvider time,
    ILogger<DeliveryBookkeeping> logger)
{
    /// <summary>
    /// Records the outcomes, again from a fresh read if a delivery vanished between the read and the write (its endpoint
    /// was deleted meanwhile, taking its deliveries along): one such delivery must not cost the rest of the batch its
    /// outcomes, which would leave them leased and sent a second time when the lease ran out.
    /// <paramref name="transactionSetup"/>, when given, is run first in the transaction (the queue's commit settings).
    /// </summary>
    public async Task RecordAsync(IReadOnlyList<DeliveryOutcome> outcomes, string? transactionSetup, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await RecordOnceAsync(outcomes, transactionSetup, cancellationToken);
                return;
            }
            catch (DbUpdateConcurrencyException) when (attempt < 3)
            {
                logger.LogInformation("A delivery changed while its batch was being recorded; recording the batch again");
            }
        }
    }

    /// <summary>Records the batch's outcomes in one transaction.</summary>
    private async Task RecordOnceAsync(IReadOnlyList<DeliveryOutcome> outcomes, string? transactionSetup, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
        var deliveryIds = outcomes.Select(o => o.Delivery.Id).ToList();
        var endpointIds = outcomes.Where(o => o.Kind == OutcomeKind.Sent).Select(o => o.Delivery.EndpointId).Distinct().ToList();
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        if (transactionSetup is not null) await db.Database.ExecuteSqlRawAsync(transactionSetup, cancellationToken);
        var deliveries = await db.Set<WebhookDelivery>().IgnoreQueryFilters().Where(d => deliveryIds.Contains(d.Id)).ToDictionaryAsync(d => d.Id, cancellationToken);
        var endpoints = await db.Set<WebhookEndpoint>().IgnoreQueryFilters().Where(e => endpointIds.Contains(e.Id)).ToDictionaryAsync(e => e.Id, cancellationToken);
        // Action rules report to their installation's health too (last success and failure, consecutive failures).
        var installationIds = endpoints.Values.Where(e => e.Kind == EndpointKind.Action && e.InstallationId is not null).Select(e => e.InstallationId!).Distinct().ToList();
        var installations = installationIds.Count == 0 ? [] : await db.Set<IntegrationInstallation>().IgnoreQueryFilters()
            .Where(i => installationIds.Contains(i.Id)).ToDictionaryAsync(i => i.Id, cancellationToken);
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
            var isAction = endpoint.Kind == EndpointKind.Action;
            var installation = isAction && endpoint.InstallationId is not null ? installations.GetValueOrDefault(endpoint.InstallationId) : null;
            if (o.Status is >= 200 and < 300)
            {
                tracked.Status = DeliveryStatus.Succeeded;
                tracked.CompletedAt = now;
                endpoint.LastSuccessAt = now;
                endpoint.FailingSince = null;
                if (installation is not null)
                {
                    if (installation.LastSuccessAt is null || installation.LastSuccessAt < now) installation.LastSuccessAt = now;
                    installation.ConsecutiveFailures = 0;
                }
                continue;
            }
            endpoint.LastFailureAt = now;
            endpoint.FailingSince ??= now;
            if (installation is not null)
            {
                installation.LastFailureAt = now;
                installation.LastError = o.Error is null ? $"The provider answered {o.Status}." : o.Error.Length <= 1000 ? o.Error : o.Error[..1000];
                installation.ConsecutiveFailures++;
            }
            // A 410 or a long run of failures disables a webhook endpoint: the receiver is gone. An action rule is not
            // disabled so: its provider's health is its installation's (needs_reauth, error), and a rule that a user wrote
            // stays until the user changes it; its dead deliveries and integration.action_failed say what went wrong.
            if (!isAction && o.Status == 410) Disable(db, endpoint, "The receiver answered 410 Gone.", now);
            else if (!isAction && now - endpoint.FailingSince.Value > TimeSpan.FromDays(options.Value.Webhooks.DisableAfterFailingDays))
                Disable(db, endpoint, $"Failing without a success since {endpoint.FailingSince:O}.", now);
            var gone = !isAction && o.Status == 410;
            if (gone || o.Final || attempt > schedule.Count)
            {
                tracked.Status = DeliveryStatus.Dead;
                tracked.CompletedAt = now;
                if (isAction) ActionFailed(db, endpoint, installation, tracked, now);
                else if (!gone) Operational(db, endpoint.OrganizationId, "webhook.delivery_exhausted", endpoint, tracked, now);
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
            Id = Ids.New(ResourceRegistry.Events, time), OrganizationId = organizationId, Type = type, ResourceType = "webhook_endpoint",
            ResourceId = endpoint.Id, Data = data.ToJsonString(), CreatedAt = now,
        });
    }

    /// <summary>
    /// <c>integration.action_failed</c>: an action rule's delivery is dead (its retries used up, or refused for good by
    /// the provider). Its data is the installation's, the reason naming the rule, the delivery and the last error.
    /// </summary>
    private void ActionFailed(SwitchboardDbContext db, WebhookEndpoint rule, IntegrationInstallation? installation, WebhookDelivery delivery, DateTime now)
    {
        var reason = $"Rule {rule.Id} ({rule.Action}): delivery {delivery.Id} of {delivery.EventType} failed after {delivery.Attempts} attempt(s): "
            + (delivery.LastError ?? $"the provider answered {delivery.LastStatusCode}.");
        var data = new IntegrationEventData(rule.InstallationId ?? "", installation?.ProviderKey ?? "", installation?.Name ?? "", installation?.Status ?? "",
            reason.Length <= 1000 ? reason : reason[..1000]);
        db.OutboxEvents.Add(new OutboxEvent
        {
            Id = Ids.New(ResourceRegistry.Events, time), OrganizationId = rule.OrganizationId, Type = IntegrationResources.ActionFailedEvent,
            ResourceType = IntegrationResources.Installations.Name, ResourceId = rule.InstallationId ?? rule.Id,
            Data = System.Text.Json.JsonSerializer.Serialize(data, System.Text.Json.JsonSerializerOptions.Web), CreatedAt = now,
        });
        logger.LogWarning("Action rule {RuleId} gave up on delivery {DeliveryId}: {Error}", rule.Id, delivery.Id, delivery.LastError);
    }

    /// <summary>Removes finished deliveries, their attempts and dispatched outbox events created before <paramref name="cutoff"/>.</summary>
    public async Task PruneAsync(DateTime cutoff, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
        // Attempts go with their delivery (cascade); pending deliveries are never pruned, however old.
        await db.Set<WebhookDelivery>().IgnoreQueryFilters().Where(d => d.Status != DeliveryStatus.Pending && d.CompletedAt < cutoff).ExecuteDeleteAsync(cancellationToken);
        await db.OutboxEvents.IgnoreQueryFilters().Where(e => e.DispatchedAt != null && e.CreatedAt < cutoff).ExecuteDeleteAsync(cancellationToken);
    }
}

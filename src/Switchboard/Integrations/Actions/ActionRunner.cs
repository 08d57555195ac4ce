using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Switchboard.Integrations.Connectors;
using Switchboard.Platform;
using Switchboard.Platform.Storage;
using Switchboard.RateLimiting;
using Switchboard.Webhooks;

namespace Switchboard.Integrations.Actions;

/// <summary>
/// The last step of an action rule's delivery (the webhook engine's <see cref="DeliveryWorker"/> hands it deliveries of
/// endpoints of kind <c>action</c>): the installation's throttle, the rule's template filled from the payload, the
/// provider's action, and its answer as a <see cref="DeliveryOutcome"/>, recorded like any webhook attempt (retries with
/// backoff and jitter, <c>Retry-After</c>, dead letters, the attempt log). Writes nothing itself.
/// <list type="bullet">
/// <item>success: a 2xx outcome with the provider's answer (its first 4 KB) for the attempt log;</item>
/// <item>a refusal: the provider's status (none when the provider answered 200 with an error, as Slack does) and its
/// own error, retried when it may help (408, 425, 429, 5xx, timeouts), with its <c>Retry-After</c>; a refusal no retry
/// can mend (another 4xx, an input the provider rejects) is final: dead at once;</item>
/// <item>an installation that is not active (pending_auth, needs_reauth, disabled, uninstalled meanwhile) or whose
/// authorization is lost: deferred, not attempted, and looked at again every <see cref="InactiveRecheck"/>, so the
/// deliveries go out once it is connected again.</item>
/// </list>
/// </summary>
public sealed class ActionRunner(IServiceScopeFactory scopes, ConnectorContexts contexts, IRateLimitStore limits, TimeProvider time, ILogger<ActionRunner> logger)
{
    /// <summary>How long an installation read stays in use: short, so a status change (disabled, reconnected) applies within it.</summary>
    public static readonly TimeSpan InstallationTtl = TimeSpan.FromSeconds(2);

    /// <summary>How often a delivery waiting on an inactive installation looks again.</summary>
    public static readonly TimeSpan InactiveRecheck = TimeSpan.FromMinutes(1);

    private const int MaxBody = 4096;
    private readonly ConcurrentDictionary<string, (IntegrationInstallation? Installation, long ReadAt)> _installations = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, JsonObject?> _templates = new(StringComparer.Ordinal);

    /// <summary>
    /// Runs the rule's action for the delivery: a connector job, traced as a span (child of the delivery attempt's) and
    /// counted by provider and outcome (<c>success</c>, <c>failure</c>, <c>error</c>, or <c>deferred</c> when not attempted).
    /// </summary>
    public async Task<DeliveryOutcome> RunAsync(WebhookDelivery delivery, WebhookEndpoint rule, CancellationToken cancellationToken)
    {
        using var activity = Platform.Telemetry.SwitchboardTelemetry.Source.StartActivity("connector job");
        var started = Stopwatch.GetTimestamp();
        var outcome = await RunOnceAsync(delivery, rule, cancellationToken);
        var provider = rule.InstallationId is not null && _installations.TryGetValue(rule.InstallationId, out var cached) ? cached.Installation?.ProviderKey : null;
        var result = outcome.Kind == OutcomeKind.Deferred ? "deferred" : Platform.Telemetry.SwitchboardTelemetry.DeliveryOutcome(outcome.Status);
        Platform.Telemetry.SwitchboardTelemetry.ConnectorJobEnded(provider, result, Stopwatch.GetElapsedTime(started));
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(Platform.Telemetry.SwitchboardTelemetry.ProviderAttribute, provider);
            activity.SetTag("switchboard.integration.installation_id", rule.InstallationId);
            activity.SetTag("switchboard.connector.action", rule.Action);
            activity.SetTag(Platform.Telemetry.SwitchboardTelemetry.OutcomeAttribute, result);
            if (result is "failure" or "error") Platform.Telemetry.SwitchboardTelemetry.Failed(activity, result, outcome.Error);
        }
        return outcome;
    }

    private async Task<DeliveryOutcome> RunOnceAsync(WebhookDelivery delivery, WebhookEndpoint rule, CancellationToken cancellationToken)
    {
        var now = time.UtcNow();
        var installation = rule.InstallationId is null ? null : await InstallationAsync(rule.InstallationId, cancellationToken);
        if (installation is null || installation.Status != InstallationStatus.Active)
            return new DeliveryOutcome(delivery, rule, OutcomeKind.Deferred, now, now + InactiveRecheck);
        if (installation.MaxActionsPerSecond is { } perSecond)
        {
            // One bucket per installation in the shared limit store, so it holds across every node and every rule of it.
            var verdict = (await limits.AcquireAsync([new RateLimitPolicy("integration", "integration:" + installation.Id,
                LimitKind.TokenBucket, perSecond, TimeSpan.FromSeconds(1))], now, cancellationToken))[0];
            if (!verdict.Allowed) return new DeliveryOutcome(delivery, rule, OutcomeKind.Deferred, now, now + verdict.RetryAfter);
        }

        var started = Stopwatch.GetTimestamp();
        long Elapsed() => (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        try
        {
            var input = Render(rule, delivery.Payload);
            await using var scope = scopes.CreateAsyncScope();
            // The connector's reads and writes (a digest's CRM counts) are the installation's organization's, and only theirs.
            scope.ServiceProvider.GetRequiredService<TenantScope>().OrganizationId = installation.OrganizationId;
            scope.ServiceProvider.GetRequiredService<ActionInvocation>().Payload = delivery.Payload;
            var (connector, context) = contexts.For(installation, scope.ServiceProvider);
            var response = await connector.RunActionAsync(context, rule.Action!, input, cancellationToken);
            if (!response.IsSuccess) throw ProviderException.From(response, context.Provider.Name, retryAfter: ProviderClient.RetryAfter(response, time));
            return new DeliveryOutcome(delivery, rule, OutcomeKind.Sent, time.UtcNow(), null, response.Status, Cut(response.Body),
                LatencyMs: response.LatencyMs > 0 ? response.LatencyMs : Elapsed());
        }
        catch (ProviderException ex) when (ex.NeedsReauthorization)
        {
            // The provider refused the token (a refused refresh has already set needs_reauth; a token refused outright,
            // Slack's invalid_auth, has not): the installation waits for its user to connect it again, and so do its runs.
            await AuthorizationLostAsync(installation.Id, ex.ProviderError ?? ex.Message);
            Forget(installation.Id);
            return new DeliveryOutcome(delivery, rule, OutcomeKind.Deferred, time.UtcNow(), time.UtcNow() + InactiveRecheck);
        }
        catch (ProviderException ex)
        {
            // A provider that answers 200 with an error in its body (Slack's ok: false) is a failure all the same: no status.
            int? status = ex.Status is >= 200 and < 300 ? null : ex.Status;
            var error = ex.ProviderError is null || ex.Message.Contains(ex.ProviderError, StringComparison.Ordinal) ? ex.Message : $"{ex.Message} ({ex.ProviderError})";
            return new DeliveryOutcome(delivery, rule, OutcomeKind.Sent, time.UtcNow(), null, status, Cut(ex.ProviderError), Cut(error, 1000),
                ex.RetryAfter, Elapsed(), Final: !ex.Retryable);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            logger.LogError(ex, "Action rule {RuleId} failed to run its {Action} action", rule.Id, rule.Action);
            return new DeliveryOutcome(delivery, rule, OutcomeKind.Sent, time.UtcNow(), null, null, null, Cut("The action failed to run: " + ex.Message, 1000),
                LatencyMs: Elapsed());
        }
    }

    /// <summary>The rule's input for this delivery: its template (parsed once per rule version) filled from the payload.</summary>
    private JsonObject Render(WebhookEndpoint rule, string payload)
    {
        var key = rule.Id + "\n" + rule.ActionInput;
        var template = _templates.GetOrAdd(key, static (_, text) => text is null ? [] : JsonNode.Parse(text) as JsonObject, rule.ActionInput);
        if (_templates.Count > 10_000) _templates.Clear();
        return ActionTemplate.Render(template ?? [], JsonNode.Parse(payload));
    }

    private async Task<IntegrationInstallation?> InstallationAsync(string id, CancellationToken cancellationToken)
    {
        var clock = time.GetTimestamp();
        if (_installations.TryGetValue(id, out var cached) && time.GetElapsedTime(cached.ReadAt, clock) < InstallationTtl) return cached.Installation;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
        var installation = await db.Set<IntegrationInstallation>().IgnoreQueryFilters().AsNoTracking().FirstOrDefaultAsync(i => i.Id == id, cancellationToken);
        if (_installations.Count > 10_000) _installations.Clear();
        _installations[id] = (installation, clock);
        return installation;
    }

    /// <summary>Sets an active installation to needs_reauth and emits integration.auth_failed, in one transaction; nothing when it is no longer active.</summary>
    private async Task AuthorizationLostAsync(string installationId, string reason)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SwitchboardDbContext>();
        var tracked = await db.Set<IntegrationInstallation>().IgnoreQueryFilters().FirstOrDefaultAsync(i => i.Id == installationId, CancellationToken.None);
        if (tracked is null || tracked.Status != InstallationStatus.Active) return;
        tracked.Status = InstallationStatus.NeedsReauth;
        tracked.StatusReason = reason.Length <= 1000 ? reason : reason[..1000];
        tracked.UpdatedAt = time.UtcNow();
        IntegrationResources.StageEvent(db, IntegrationResources.AuthFailedEvent, tracked.Id,
            new IntegrationEventData(tracked.Id, tracked.ProviderKey, tracked.Name, tracked.Status, tracked.StatusReason), tracked.OrganizationId, time);
        try { await db.SaveChangesAsync(CancellationToken.None); }
        catch (DbUpdateConcurrencyException) { /* changed meanwhile: whoever changed it decided */ }
        logger.LogWarning("Installation {InstallationId} ({Provider}) needs to be connected again: the provider refused its token", tracked.Id, tracked.ProviderKey);
    }

    /// <summary>Drops a cached installation (its status or tokens changed), so the next delivery reads it again.</summary>
    public void Forget(string installationId) => _installations.TryRemove(installationId, out _);

    private static string? Cut(string? text, int max = MaxBody) => text is null ? null : text.Length <= max ? text : text[..max];
}

using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Switchboard.Identity;
using Switchboard.Platform.Storage;

namespace Switchboard.Webhooks;

/// <summary>
/// Where events go: a receiver URL (<see cref="EndpointKind.Webhook"/>), or an integration installation's action
/// (<see cref="EndpointKind.Action"/>, a rule of <c>/api/v1/integrations/{id}/rules</c>). Both are fanned out, leased,
/// retried, dead-lettered, throttled and logged by the one delivery queue; only the last step differs (an HTTP post,
/// or the provider's action). A webhook's secret (and custom headers, which often carry credentials) are encrypted at rest.
/// </summary>
public sealed class WebhookEndpoint : ITenantOwned
{
    public required string Id { get; init; }
    public required string OrganizationId { get; init; }
    public required string Url { get; set; }
    public string? Name { get; set; }
    public string? Description { get; set; }
    /// <summary>Subscribed event types; <c>contact.*</c> and <c>*</c> are wildcards.</summary>
    public string[] Events { get; set; } = [];
    public required string SecretEncrypted { get; set; }
    /// <summary>The secret before the last rotation, still signing until <see cref="PreviousSecretExpiresAt"/>.</summary>
    public string? PreviousSecretEncrypted { get; set; }
    public DateTime? PreviousSecretExpiresAt { get; set; }
    public string? HeadersEncrypted { get; set; }
    public bool IsActive { get; set; } = true;
    /// <summary>At most this many deliveries per second to this endpoint, across all nodes; null is unthrottled.</summary>
    public int? MaxDeliveriesPerSecond { get; set; }
    public string? DisabledReason { get; set; }
    public DateTime CreatedAt { get; init; }
    public DateTime UpdatedAt { get; set; }
    public DateTime? LastSuccessAt { get; set; }
    public DateTime? LastFailureAt { get; set; }
    /// <summary>When the current run of failures began; cleared by a success.</summary>
    public DateTime? FailingSince { get; set; }
    /// <summary><see cref="EndpointKind.Webhook"/> or <see cref="EndpointKind.Action"/>.</summary>
    public string Kind { get; init; } = EndpointKind.Webhook;
    /// <summary>For an action: the installation whose provider performs it (its rules are deleted with it).</summary>
    public string? InstallationId { get; init; }
    /// <summary>For an action: the provider's action name (<c>send_message</c>, …).</summary>
    public string? Action { get; set; }
    /// <summary>For an action: its input, a JSON object whose strings may hold <c>{{data.field}}</c> template variables filled from the event.</summary>
    public string? ActionInput { get; set; }
    /// <summary>
    /// For an action: a cron expression (five fields) on which it also runs without an event (a daily digest), in
    /// <see cref="ScheduleTimeZone"/>; each due time becomes one delivery of an <c>integration.scheduled</c> payload.
    /// </summary>
    public string? Schedule { get; set; }
    /// <summary>The IANA time zone of <see cref="Schedule"/>; UTC when null.</summary>
    public string? ScheduleTimeZone { get; set; }
    /// <summary>The next due time of <see cref="Schedule"/> (UTC), claimed by the scheduler that turns it into a delivery.</summary>
    public DateTime? NextScheduledAt { get; set; }
    /// <summary>Only events whose data match this (<c>score >= 80 and status == "new"</c>) are delivered; null is every event of the subscribed types.</summary>
    public string? Filter { get; set; }
}

public static class EndpointKind
{
    public const string Webhook = "webhook", Action = "action";
}

/// <summary>One event for one endpoint: delivered when the receiver answers 2xx, retried with backoff until then.</summary>
public sealed class WebhookDelivery : ITenantOwned
{
    public required string Id { get; init; }
    public required string OrganizationId { get; init; }
    public required string EndpointId { get; init; }
    public required string EventId { get; init; }
    public required string EventType { get; init; }
    /// <summary>The exact body sent, so every attempt and every signature covers the same bytes.</summary>
    public required string Payload { get; init; }
    public string Status { get; set; } = DeliveryStatus.Pending;
    public int Attempts { get; set; }
    public DateTime NextAttemptAt { get; set; }
    /// <summary>A worker's lease: while in the future, the delivery is being attempted and no other worker takes it.</summary>
    public DateTime? LockedUntil { get; set; }
    public int? LastStatusCode { get; set; }
    public string? LastError { get; set; }
    public DateTime CreatedAt { get; init; }
    public DateTime UpdatedAt { get; set; }
    public DateTime? CompletedAt { get; set; }
    /// <summary>The event's W3C <c>traceparent</c> (<see cref="Platform.Outbox.OutboxEvent.TraceParent"/>): every attempt is a span of that trace.</summary>
    public string? TraceParent { get; init; }
    /// <summary>The W3C <c>tracestate</c> that goes with <see cref="TraceParent"/>.</summary>
    public string? TraceState { get; init; }
}

/// <summary>One HTTP attempt of a delivery, for the delivery log.</summary>
public sealed class WebhookAttempt : ITenantOwned
{
    public required string Id { get; init; }
    public required string OrganizationId { get; init; }
    public required string DeliveryId { get; init; }
    public required string EndpointId { get; init; }
    public int Attempt { get; init; }
    public DateTime AttemptedAt { get; init; }
    public int? StatusCode { get; init; }
    public long LatencyMs { get; init; }
    /// <summary>The first 4 KB of the receiver's answer.</summary>
    public string? ResponseBody { get; init; }
    public string? Error { get; init; }
}

public static class DeliveryStatus
{
    public const string Pending = "pending", Succeeded = "succeeded", Dead = "dead";
}

internal sealed class WebhookEndpointConfiguration : IEntityTypeConfiguration<WebhookEndpoint>
{
    public void Configure(EntityTypeBuilder<WebhookEndpoint> b)
    {
        b.ToTable("webhook_endpoints");
        b.Property(x => x.Id).HasMaxLength(40);
        b.Property(x => x.OrganizationId).HasMaxLength(40);
        b.Property(x => x.Url).HasMaxLength(2048);
        b.Property(x => x.Name).HasMaxLength(200);
        b.Property(x => x.Description).HasMaxLength(1000);
        b.Property(x => x.Events).HasConversion(StringListColumn.Converter, StringListColumn.Comparer).HasMaxLength(4000);
        b.Property(x => x.SecretEncrypted).HasMaxLength(500);
        b.Property(x => x.PreviousSecretEncrypted).HasMaxLength(500);
        b.Property(x => x.HeadersEncrypted).HasMaxLength(20_000);
        b.Property(x => x.DisabledReason).HasMaxLength(500);
        b.Property(x => x.Kind).HasMaxLength(10).HasDefaultValue(EndpointKind.Webhook).ValueGeneratedNever(); // the default serves rows from before the column
        b.Property(x => x.InstallationId).HasMaxLength(40);
        b.Property(x => x.Action).HasMaxLength(80);
        b.Property(x => x.ActionInput).HasMaxLength(20_000);
        b.Property(x => x.Filter).HasMaxLength(1000);
        b.Property(x => x.Schedule).HasMaxLength(100);
        b.Property(x => x.ScheduleTimeZone).HasMaxLength(64);
        b.HasIndex(x => x.NextScheduledAt).HasFilter("next_scheduled_at IS NOT NULL");
        b.HasIndex(x => new { x.OrganizationId, x.Id });
        b.HasIndex(x => new { x.InstallationId, x.Id }).HasFilter("installation_id IS NOT NULL");
        b.HasOne<Organization>().WithMany().HasForeignKey(x => x.OrganizationId).OnDelete(DeleteBehavior.Cascade);
        // No foreign key to the installation: SQLite cannot add one to an existing table. Uninstalling deletes the
        // installation's rules (and their deliveries) in the same transaction; an organization's deletion takes both.
    }
}

internal sealed class WebhookDeliveryConfiguration : IEntityTypeConfiguration<WebhookDelivery>
{
    public void Configure(EntityTypeBuilder<WebhookDelivery> b)
    {
        b.ToTable("webhook_deliveries");
        b.Property(x => x.Id).HasMaxLength(40);
        b.Property(x => x.OrganizationId).HasMaxLength(40);
        b.Property(x => x.EndpointId).HasMaxLength(40);
        b.Property(x => x.EventId).HasMaxLength(40);
        b.Property(x => x.EventType).HasMaxLength(80);
        b.Property(x => x.Status).HasMaxLength(20);
        b.Property(x => x.LastError).HasMaxLength(1000);
        b.Property(x => x.TraceParent).HasMaxLength(Platform.Telemetry.TraceContext.MaxTraceParent);
        b.Property(x => x.TraceState).HasMaxLength(Platform.Telemetry.TraceContext.MaxTraceState);
        // The work queue: only pending deliveries, in due order. Partial, so that leasing walks the few rows still to do
        // in index order (PostgreSQL marks the entries of finished rows dead as it passes them) instead of a bitmap of
        // every delivery ever made.
        b.HasIndex(x => x.NextAttemptAt).HasFilter("status = 'pending'");
        b.HasIndex(x => new { x.EndpointId, x.Id });
        // An endpoint's health: its next retry due, from its pending deliveries only (not every delivery it ever had).
        b.HasIndex(x => new { x.EndpointId, x.NextAttemptAt }).HasFilter("status = 'pending'");
        // Not unique: a replay is a second delivery of the same event.
        b.HasIndex(x => new { x.EndpointId, x.EventId });
        b.HasOne<WebhookEndpoint>().WithMany().HasForeignKey(x => x.EndpointId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class WebhookAttemptConfiguration : IEntityTypeConfiguration<WebhookAttempt>
{
    public void Configure(EntityTypeBuilder<WebhookAttempt> b)
    {
        b.ToTable("webhook_attempts");
        b.Property(x => x.Id).HasMaxLength(40);
        b.Property(x => x.OrganizationId).HasMaxLength(40);
        b.Property(x => x.DeliveryId).HasMaxLength(40);
        b.Property(x => x.EndpointId).HasMaxLength(40);
        b.Property(x => x.ResponseBody).HasMaxLength(4096);
        b.Property(x => x.Error).HasMaxLength(1000);
        b.HasIndex(x => new { x.DeliveryId, x.Attempt });
        b.HasIndex(x => new { x.EndpointId, x.AttemptedAt });
        b.HasIndex(x => new { x.OrganizationId, x.AttemptedAt }); // the overview's attempts of the last 24 hours
        b.HasOne<WebhookDelivery>().WithMany().HasForeignKey(x => x.DeliveryId).OnDelete(DeleteBehavior.Cascade);
    }
}

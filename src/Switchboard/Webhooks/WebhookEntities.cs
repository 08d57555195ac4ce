using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Switchboard.Identity;
using Switchboard.Platform.Storage;

namespace Switchboard.Webhooks;

/// <summary>A receiver of events. Its secret (and custom headers, which often carry credentials) are encrypted at rest.</summary>
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
        b.HasIndex(x => new { x.OrganizationId, x.Id });
        b.HasOne<Organization>().WithMany().HasForeignKey(x => x.OrganizationId).OnDelete(DeleteBehavior.Cascade);
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
        // The work queue: only pending deliveries, in due order. Partial, so that leasing walks the few rows still to do
        // in index order (PostgreSQL marks the entries of finished rows dead as it passes them) instead of a bitmap of
        // every delivery ever made.
        b.HasIndex(x => x.NextAttemptAt).HasFilter("status = 'pending'");
        b.HasIndex(x => new { x.EndpointId, x.Id });
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
        b.HasOne<WebhookDelivery>().WithMany().HasForeignKey(x => x.DeliveryId).OnDelete(DeleteBehavior.Cascade);
    }
}

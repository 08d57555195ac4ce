using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Switchboard.Identity;
using Switchboard.Platform.Storage;

namespace Switchboard.Platform.Outbox;

/// <summary>
/// A domain event (<c>contact.created</c>, <c>deal.stage_changed</c>, …) written in the same transaction as the
/// change it describes, so an event exists exactly when its change committed. The webhook engine delivers them.
/// </summary>
public sealed class OutboxEvent : ITenantOwned
{
    public required string Id { get; init; }
    public required string OrganizationId { get; init; }
    public required string Type { get; init; }
    public string? ResourceType { get; init; }
    public string? ResourceId { get; init; }
    /// <summary>The resource as the API shows it, as JSON.</summary>
    public required string Data { get; init; }
    /// <summary>For <c>*.updated</c>: the previous values of the fields that changed, as JSON.</summary>
    public string? PreviousAttributes { get; init; }
    public DateTime CreatedAt { get; init; }
    /// <summary>Set by the webhook engine once it has fanned the event out to deliveries.</summary>
    public DateTime? DispatchedAt { get; set; }
    /// <summary>
    /// The W3C <c>traceparent</c> of the work that wrote the event (an API request, a worker), when telemetry records it;
    /// its deliveries continue that trace (<see cref="Telemetry.TraceContext"/>). Taken when the event is made, so every
    /// place that writes one keeps it without saying so.
    /// </summary>
    public string? TraceParent { get; init; } = Telemetry.TraceContext.CurrentParent();
    /// <summary>The W3C <c>tracestate</c> that goes with <see cref="TraceParent"/>.</summary>
    public string? TraceState { get; init; } = Telemetry.TraceContext.CurrentState();
}

internal sealed class OutboxEventConfiguration : IEntityTypeConfiguration<OutboxEvent>
{
    public void Configure(EntityTypeBuilder<OutboxEvent> b)
    {
        b.ToTable("outbox_events");
        b.Property(x => x.Id).HasMaxLength(40);
        b.Property(x => x.OrganizationId).HasMaxLength(40);
        b.Property(x => x.Type).HasMaxLength(80);
        b.Property(x => x.ResourceType).HasMaxLength(40);
        b.Property(x => x.ResourceId).HasMaxLength(40);
        b.Property(x => x.TraceParent).HasMaxLength(Telemetry.TraceContext.MaxTraceParent);
        b.Property(x => x.TraceState).HasMaxLength(Telemetry.TraceContext.MaxTraceState);
        b.HasIndex(x => new { x.OrganizationId, x.Id });
        // The dispatcher's queue: only events not yet dispatched, in id (creation) order.
        b.HasIndex(x => x.Id).HasFilter("dispatched_at IS NULL");
        b.HasOne<Organization>().WithMany().HasForeignKey(x => x.OrganizationId).OnDelete(DeleteBehavior.Cascade);
    }
}

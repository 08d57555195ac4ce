using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Switchboard.Identity;
using Switchboard.Platform.Storage;

namespace Switchboard.Audit;

/// <summary>One security-relevant event. Written in the same transaction as the change it records.</summary>
public sealed class AuditLog : ITenantOwned
{
    public required string Id { get; init; }
    public required string OrganizationId { get; init; }
    /// <summary><c>user</c>, <c>api_key</c>, <c>oauth_client</c> or <c>system</c>.</summary>
    public required string ActorType { get; init; }
    public string? ActorId { get; init; }
    public required string Action { get; init; }
    public string? TargetType { get; init; }
    public string? TargetId { get; init; }
    public string? IpAddress { get; init; }
    public string? UserAgent { get; init; }
    public string? RequestId { get; init; }
    /// <summary>A JSON object of extra facts; never secrets.</summary>
    public string? Details { get; init; }
    public DateTime CreatedAt { get; init; }
}

internal sealed class AuditLogConfiguration : IEntityTypeConfiguration<AuditLog>
{
    public void Configure(EntityTypeBuilder<AuditLog> b)
    {
        b.ToTable("audit_logs");
        b.Property(x => x.Id).HasMaxLength(40);
        b.Property(x => x.OrganizationId).HasMaxLength(40);
        b.Property(x => x.ActorType).HasMaxLength(20);
        b.Property(x => x.ActorId).HasMaxLength(40);
        b.Property(x => x.Action).HasMaxLength(80);
        b.Property(x => x.TargetType).HasMaxLength(40);
        b.Property(x => x.TargetId).HasMaxLength(40);
        b.Property(x => x.IpAddress).HasMaxLength(64);
        b.Property(x => x.UserAgent).HasMaxLength(512);
        b.Property(x => x.RequestId).HasMaxLength(128);
        b.Property(x => x.Details).HasMaxLength(8000);
        b.HasIndex(x => new { x.OrganizationId, x.Id });
        b.HasOne<Organization>().WithMany().HasForeignKey(x => x.OrganizationId).OnDelete(DeleteBehavior.Cascade);
    }
}

using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Switchboard.Identity;
using Switchboard.Platform.Storage;

namespace Switchboard.ApiKeys;

/// <summary>An organization's API key. Only the SHA-256 of the secret is stored; the secret is shown once.</summary>
public sealed class ApiKey : ITenantOwned
{
    public required string Id { get; init; }
    public required string OrganizationId { get; init; }
    public required string Name { get; set; }
    public required string KeyPrefix { get; init; }
    public required string KeyHash { get; init; }
    public string[] Scopes { get; set; } = [];
    public DateTime? ExpiresAt { get; set; }
    public int? RateLimitRequests { get; set; }
    public int? RateLimitWindowSeconds { get; set; }
    public string[] AllowedIps { get; set; } = [];
    public string? CreatedByUserId { get; init; }
    public DateTime CreatedAt { get; init; }
    public DateTime UpdatedAt { get; set; }
    public DateTime? LastUsedAt { get; set; }
    public DateTime? RevokedAt { get; set; }
    /// <summary>Set when the key was rotated: the key that replaced it.</summary>
    public string? RotatedToId { get; set; }
}

internal sealed class ApiKeyConfiguration : IEntityTypeConfiguration<ApiKey>
{
    public void Configure(EntityTypeBuilder<ApiKey> b)
    {
        b.ToTable("api_keys");
        b.Property(x => x.Id).HasMaxLength(40);
        b.Property(x => x.OrganizationId).HasMaxLength(40);
        b.Property(x => x.Name).HasMaxLength(200);
        b.Property(x => x.KeyPrefix).HasMaxLength(20);
        b.Property(x => x.KeyHash).HasMaxLength(64);
        b.Property(x => x.Scopes).HasConversion(StringListColumn.Converter, StringListColumn.Comparer).HasMaxLength(2000);
        b.Property(x => x.AllowedIps).HasConversion(StringListColumn.Converter, StringListColumn.Comparer).HasMaxLength(4000);
        b.Property(x => x.CreatedByUserId).HasMaxLength(40);
        b.Property(x => x.RotatedToId).HasMaxLength(40);
        b.HasIndex(x => x.KeyHash).IsUnique();
        b.HasIndex(x => new { x.OrganizationId, x.Id });
        b.HasOne<Organization>().WithMany().HasForeignKey(x => x.OrganizationId).OnDelete(DeleteBehavior.Cascade);
    }
}

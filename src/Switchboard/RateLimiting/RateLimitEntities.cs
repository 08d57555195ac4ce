using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Switchboard.Identity;
using Switchboard.Platform.Storage;

namespace Switchboard.RateLimiting;

/// <summary>
/// A shared counter of the PostgreSQL store: a token bucket's theoretical arrival time (µs) or a day's count. The table is
/// UNLOGGED on PostgreSQL: counters are not worth a WAL flush per request, and after a database crash they restart full.
/// </summary>
public sealed class RateLimitBucket
{
    public required string Key { get; init; }
    public long Tat { get; set; }
    public long Day { get; set; }
    public long Used { get; set; }
    public DateTime ExpiresAt { get; set; }
}

/// <summary>A quota alert sent for one organization, day and level; the key makes each alert go out once.</summary>
public sealed class QuotaAlert : ITenantOwned
{
    public required string OrganizationId { get; init; }
    public long Day { get; init; }
    /// <summary><c>warning</c> (80%) or <c>exceeded</c> (100%).</summary>
    public required string Level { get; init; }
    public long Limit { get; init; }
    public DateTime CreatedAt { get; init; }
}

internal sealed class RateLimitBucketConfiguration : IEntityTypeConfiguration<RateLimitBucket>
{
    public void Configure(EntityTypeBuilder<RateLimitBucket> b)
    {
        b.ToTable("rate_limit_buckets");
        b.HasKey(x => x.Key);
        b.Property(x => x.Key).HasMaxLength(200);
        b.HasIndex(x => x.ExpiresAt);
    }
}

internal sealed class QuotaAlertConfiguration : IEntityTypeConfiguration<QuotaAlert>
{
    public void Configure(EntityTypeBuilder<QuotaAlert> b)
    {
        b.ToTable("quota_alerts");
        b.HasKey(x => new { x.OrganizationId, x.Day, x.Level });
        b.Property(x => x.OrganizationId).HasMaxLength(40);
        b.Property(x => x.Level).HasMaxLength(20);
        b.HasOne<Organization>().WithMany().HasForeignKey(x => x.OrganizationId).OnDelete(DeleteBehavior.Cascade);
    }
}

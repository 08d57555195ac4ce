using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Switchboard.Platform.Idempotency;

/// <summary>
/// One <c>Idempotency-Key</c> of one organization: the fingerprint of the first request and, once it finished,
/// its response for replay. Kept in the database so that a retry reaching another node is answered the same.
/// </summary>
public sealed class IdempotencyRecord
{
    public required string OrganizationId { get; init; }
    public required string Key { get; init; }
    /// <summary>SHA-256 of method, path and body of the first request.</summary>
    public required string RequestHash { get; init; }
    public DateTime CreatedAt { get; init; }
    public DateTime ExpiresAt { get; init; }
    /// <summary>While the first request runs: until when it holds the key. A crashed node's hold lapses.</summary>
    public DateTime? LockedUntil { get; set; }
    public int? ResponseStatus { get; set; }
    /// <summary>The response headers worth replaying (Content-Type, Location, ETag), as JSON.</summary>
    public string? ResponseHeaders { get; set; }
    /// <summary>The response body, encrypted (<see cref="IdempotencyFeature.CompleteSql"/>): it may hold a secret shown once.</summary>
    public byte[]? ResponseBody { get; set; }
}

internal sealed class IdempotencyRecordConfiguration : IEntityTypeConfiguration<IdempotencyRecord>
{
    public void Configure(EntityTypeBuilder<IdempotencyRecord> b)
    {
        b.ToTable("idempotency_keys");
        b.HasKey(x => new { x.OrganizationId, x.Key });
        b.Property(x => x.OrganizationId).HasMaxLength(40);
        b.Property(x => x.Key).HasMaxLength(255);
        b.Property(x => x.RequestHash).HasMaxLength(64);
        b.Property(x => x.ResponseHeaders).HasMaxLength(2000);
        b.HasIndex(x => x.ExpiresAt);
    }
}

using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using Switchboard.Identity;
using Switchboard.Platform.Storage;

namespace Switchboard.Crm.Pipeline;

/// <summary>What every CRM record has: a prefixed id, its organization, timestamps, a version for ETags, and metadata.</summary>
public abstract class CrmRecord : ITenantOwned
{
    public string Id { get; set; } = "";
    public string OrganizationId { get; set; } = "";
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
    /// <summary>Incremented by every change; the ETag and the optimistic-concurrency token.</summary>
    public long Version { get; set; }
    /// <summary>Up to 50 string pairs of the caller's own, as Stripe's <c>metadata</c>.</summary>
    public Dictionary<string, string> Metadata { get; set; } = [];
}

public static class CrmRecordConfiguration
{
    private static readonly ValueConverter<Dictionary<string, string>, string> MetadataConverter = new(
        v => JsonSerializer.Serialize(v, (JsonSerializerOptions?)null),
        v => JsonSerializer.Deserialize<Dictionary<string, string>>(v, (JsonSerializerOptions?)null) ?? new Dictionary<string, string>());

    private static readonly ValueComparer<Dictionary<string, string>> MetadataComparer = new(
        (a, b) => a!.Count == b!.Count && !a.Except(b).Any(),
        v => v.Aggregate(0, (h, p) => HashCode.Combine(h, p.Key.GetHashCode(StringComparison.Ordinal), p.Value.GetHashCode(StringComparison.Ordinal))),
        v => new Dictionary<string, string>(v));

    /// <summary>Table, key, tenancy, concurrency and the keyset indexes that make deep pages as cheap as the first.</summary>
    public static EntityTypeBuilder<T> ConfigureRecord<T>(this EntityTypeBuilder<T> b, string table) where T : CrmRecord
    {
        b.ToTable(table);
        b.HasKey(x => x.Id);
        b.Property(x => x.Id).HasMaxLength(40);
        b.Property(x => x.OrganizationId).HasMaxLength(40);
        b.Property(x => x.Version).IsConcurrencyToken();
        b.Property(x => x.Metadata).HasConversion(MetadataConverter, MetadataComparer).HasMaxLength(30_000);
        b.HasIndex(x => new { x.OrganizationId, x.CreatedAt, x.Id });
        b.HasIndex(x => new { x.OrganizationId, x.UpdatedAt, x.Id });
        b.HasOne<Organization>().WithMany().HasForeignKey(x => x.OrganizationId).OnDelete(DeleteBehavior.Cascade);
        return b;
    }

    /// <summary>An optional link to another record of the same organization; cleared when that record is deleted.</summary>
    public static void HasOptionalLink<T, TTarget>(this EntityTypeBuilder<T> b, System.Linq.Expressions.Expression<Func<T, object?>> foreignKey)
        where T : CrmRecord where TTarget : CrmRecord =>
        b.HasOne<TTarget>().WithMany().HasForeignKey(foreignKey).OnDelete(DeleteBehavior.SetNull);
}

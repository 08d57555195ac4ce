using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Switchboard.Platform.Storage;

namespace Switchboard.Identity;

/// <summary>A tenant. Everything a customer creates belongs to exactly one organization.</summary>
public sealed class Organization
{
    public required string Id { get; init; }
    public required string Name { get; set; }
    public string Plan { get; set; } = Plans.Starter;
    /// <summary>Overrides the plan's daily request quota (Enterprise has none of its own).</summary>
    public long? DailyQuota { get; set; }
    public DateTime CreatedAt { get; init; }
    public DateTime UpdatedAt { get; set; }
}

public static class Plans
{
    public const string Starter = "starter";
    public const string Professional = "professional";
    public const string Pro = "pro";
    public const string Enterprise = "enterprise";
    public static readonly IReadOnlyList<string> All = [Starter, Professional, Pro, Enterprise];
}

public sealed class User
{
    public required string Id { get; init; }
    public required string Email { get; set; }
    /// <summary>Lower-cased email, unique across the installation.</summary>
    public required string NormalizedEmail { get; set; }
    public required string Name { get; set; }
    public required string PasswordHash { get; set; }
    public DateTime CreatedAt { get; init; }
    public DateTime UpdatedAt { get; set; }
    public DateTime? LastLoginAt { get; set; }
}

public sealed class Membership : ITenantOwned
{
    public required string Id { get; init; }
    public required string OrganizationId { get; init; }
    public required string UserId { get; init; }
    public required string Role { get; set; }
    public DateTime CreatedAt { get; init; }
    public DateTime UpdatedAt { get; set; }
}

/// <summary>
/// One link of a refresh-token chain. Each use marks the token used and issues its successor in the same
/// family; presenting a used token again revokes the whole family (OAuth 2.0 Security BCP, RFC 9700 §4.14.2).
/// </summary>
public sealed class RefreshToken
{
    public required string Id { get; init; }
    public required string FamilyId { get; init; }
    public required string TokenHash { get; init; }
    public required string UserId { get; init; }
    public required string OrganizationId { get; init; }
    public DateTime CreatedAt { get; init; }
    public DateTime ExpiresAt { get; init; }
    public DateTime? UsedAt { get; set; }
    public DateTime? RevokedAt { get; set; }
    /// <summary>The OAuth app's <c>client_id</c> for a token issued at <c>/oauth/token</c> (its family is the grant id); null for first-party sessions.</summary>
    public string? ClientId { get; init; }
    /// <summary>The scopes an OAuth refresh token may ask for again (the grant's, as consented); null for first-party sessions.</summary>
    public string[]? Scopes { get; init; }
    /// <summary>RFC 9449 §5: the thumbprint of the DPoP key a public client's refresh token is bound to.</summary>
    public string? DpopJkt { get; init; }
}

/// <summary>An ES256 key of the installation's JWT key ring. The private key is encrypted at rest.</summary>
public sealed class SigningKey
{
    public required string Id { get; init; }
    public required string Algorithm { get; init; }
    public required string PrivateKeyEncrypted { get; init; }
    public required string PublicKeyX { get; init; }
    public required string PublicKeyY { get; init; }
    public DateTime CreatedAt { get; init; }
    /// <summary>After this instant the key neither signs nor verifies.</summary>
    public DateTime? RetiresAt { get; set; }
}

internal sealed class OrganizationConfiguration : IEntityTypeConfiguration<Organization>
{
    public void Configure(EntityTypeBuilder<Organization> b)
    {
        b.ToTable("organizations");
        b.Property(x => x.Id).HasMaxLength(40);
        b.Property(x => x.Name).HasMaxLength(200);
        b.Property(x => x.Plan).HasMaxLength(40);
    }
}

internal sealed class UserConfiguration : IEntityTypeConfiguration<User>
{
    public void Configure(EntityTypeBuilder<User> b)
    {
        b.ToTable("users");
        b.Property(x => x.Id).HasMaxLength(40);
        b.Property(x => x.Email).HasMaxLength(320);
        b.Property(x => x.NormalizedEmail).HasMaxLength(320);
        b.Property(x => x.Name).HasMaxLength(200);
        b.Property(x => x.PasswordHash).HasMaxLength(200);
        b.HasIndex(x => x.NormalizedEmail).IsUnique();
    }
}

internal sealed class MembershipConfiguration : IEntityTypeConfiguration<Membership>
{
    public void Configure(EntityTypeBuilder<Membership> b)
    {
        b.ToTable("memberships");
        b.Property(x => x.Id).HasMaxLength(40);
        b.Property(x => x.OrganizationId).HasMaxLength(40);
        b.Property(x => x.UserId).HasMaxLength(40);
        b.Property(x => x.Role).HasMaxLength(20);
        b.HasIndex(x => new { x.OrganizationId, x.UserId }).IsUnique();
        b.HasIndex(x => x.UserId);
        b.HasOne<Organization>().WithMany().HasForeignKey(x => x.OrganizationId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<User>().WithMany().HasForeignKey(x => x.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class RefreshTokenConfiguration : IEntityTypeConfiguration<RefreshToken>
{
    public void Configure(EntityTypeBuilder<RefreshToken> b)
    {
        b.ToTable("refresh_tokens");
        b.Property(x => x.Id).HasMaxLength(40);
        b.Property(x => x.FamilyId).HasMaxLength(40);
        b.Property(x => x.TokenHash).HasMaxLength(64);
        b.Property(x => x.UserId).HasMaxLength(40);
        b.Property(x => x.OrganizationId).HasMaxLength(40);
        b.Property(x => x.ClientId).HasMaxLength(64);
        b.Property(x => x.Scopes).HasConversion((Microsoft.EntityFrameworkCore.Storage.ValueConversion.ValueConverter)StringListColumn.Converter, StringListColumn.Comparer).HasMaxLength(2000);
        b.Property(x => x.DpopJkt).HasMaxLength(64);
        b.HasIndex(x => x.TokenHash).IsUnique();
        b.HasIndex(x => x.FamilyId);
        b.HasIndex(x => x.ExpiresAt);
    }
}

internal sealed class SigningKeyConfiguration : IEntityTypeConfiguration<SigningKey>
{
    public void Configure(EntityTypeBuilder<SigningKey> b)
    {
        b.ToTable("signing_keys");
        b.Property(x => x.Id).HasMaxLength(40);
        b.Property(x => x.Algorithm).HasMaxLength(10);
        b.Property(x => x.PrivateKeyEncrypted).HasMaxLength(1000);
        b.Property(x => x.PublicKeyX).HasMaxLength(100);
        b.Property(x => x.PublicKeyY).HasMaxLength(100);
    }
}

using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Switchboard.Identity;
using Switchboard.Platform.Storage;

namespace Switchboard.OAuth;

/// <summary>
/// A third-party application registered by an organization (an OAuth 2.0 client, RFC 6749 §2). A confidential app
/// authenticates at the token endpoint with its secret (only the SHA-256 is stored; the secret is shown once) or with
/// a JWT signed by a key of <see cref="Jwks"/> (<c>private_key_jwt</c>, RFC 7523 §2.2); a public app has neither and
/// relies on PKCE alone. A rotated secret stays valid until <see cref="PreviousSecretExpiresAt"/>.
/// </summary>
public sealed class OAuthApp : ITenantOwned
{
    public required string Id { get; init; }
    public required string OrganizationId { get; init; }
    /// <summary>The <c>client_id</c>; unique across the installation, not secret.</summary>
    public required string ClientId { get; init; }
    public required string Name { get; set; }
    public string? Description { get; set; }
    public string? HomepageUrl { get; set; }
    public string? LogoUrl { get; set; }
    /// <summary>Registered redirect URIs, matched exactly (a loopback URI's port aside, RFC 8252 §7.3).</summary>
    public string[] RedirectUris { get; set; } = [];
    /// <summary>The scopes the app may request; a token never carries more.</summary>
    public string[] Scopes { get; set; } = [];
    /// <summary><see cref="OAuthAppTypes.Confidential"/> or <see cref="OAuthAppTypes.Public"/>.</summary>
    public required string Type { get; init; }
    /// <summary>SHA-256 (hex) of the client secret; null for public apps.</summary>
    public string? SecretHash { get; set; }
    /// <summary>The secret's first characters, shown masked in listings.</summary>
    public string? SecretPrefix { get; set; }
    public string? PreviousSecretHash { get; set; }
    public DateTime? PreviousSecretExpiresAt { get; set; }
    /// <summary>A JWK Set (JSON) of public keys for <c>private_key_jwt</c> client authentication; null when not used.</summary>
    public string? Jwks { get; set; }
    public string? CreatedByUserId { get; init; }
    public DateTime CreatedAt { get; init; }
    public DateTime UpdatedAt { get; set; }
}

public static class OAuthAppTypes
{
    public const string Confidential = "confidential";
    public const string Public = "public";
    public static readonly IReadOnlyList<string> All = [Confidential, Public];
}

/// <summary>
/// What a user granted an app in one organization: the scopes consented to, remembered so that the consent page is
/// skipped while a request stays within them. Its id is the <c>sid</c> of every token issued under it and the family
/// of its refresh tokens, so revoking it (or detecting a replayed refresh token or code) stops every one of them on
/// every node through <see cref="Platform.Auth.AuthInvalidationFeed"/>.
/// </summary>
public sealed class OAuthGrant : ITenantOwned
{
    public required string Id { get; init; }
    public required string OrganizationId { get; init; }
    public required string AppId { get; init; }
    public required string UserId { get; init; }
    public string[] Scopes { get; set; } = [];
    public DateTime CreatedAt { get; init; }
    public DateTime UpdatedAt { get; set; }
    public DateTime? LastUsedAt { get; set; }
    public DateTime? RevokedAt { get; set; }
}

internal sealed class OAuthAppConfiguration : IEntityTypeConfiguration<OAuthApp>
{
    public void Configure(EntityTypeBuilder<OAuthApp> b)
    {
        b.ToTable("oauth_apps");
        b.Property(x => x.Id).HasMaxLength(40);
        b.Property(x => x.OrganizationId).HasMaxLength(40);
        b.Property(x => x.ClientId).HasMaxLength(64);
        b.Property(x => x.Name).HasMaxLength(200);
        b.Property(x => x.Description).HasMaxLength(2000);
        b.Property(x => x.HomepageUrl).HasMaxLength(2000);
        b.Property(x => x.LogoUrl).HasMaxLength(2000);
        b.Property(x => x.RedirectUris).HasConversion(StringListColumn.Converter, StringListColumn.Comparer).HasMaxLength(20000);
        b.Property(x => x.Scopes).HasConversion(StringListColumn.Converter, StringListColumn.Comparer).HasMaxLength(2000);
        b.Property(x => x.Type).HasMaxLength(20);
        b.Property(x => x.SecretHash).HasMaxLength(64);
        b.Property(x => x.SecretPrefix).HasMaxLength(20);
        b.Property(x => x.PreviousSecretHash).HasMaxLength(64);
        b.Property(x => x.Jwks).HasMaxLength(20000);
        b.Property(x => x.CreatedByUserId).HasMaxLength(40);
        b.HasIndex(x => x.ClientId).IsUnique();
        b.HasIndex(x => new { x.OrganizationId, x.Id });
        b.HasOne<Organization>().WithMany().HasForeignKey(x => x.OrganizationId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class OAuthGrantConfiguration : IEntityTypeConfiguration<OAuthGrant>
{
    public void Configure(EntityTypeBuilder<OAuthGrant> b)
    {
        b.ToTable("oauth_grants");
        b.Property(x => x.Id).HasMaxLength(40);
        b.Property(x => x.OrganizationId).HasMaxLength(40);
        b.Property(x => x.AppId).HasMaxLength(40);
        b.Property(x => x.UserId).HasMaxLength(40);
        b.Property(x => x.Scopes).HasConversion(StringListColumn.Converter, StringListColumn.Comparer).HasMaxLength(2000);
        b.HasIndex(x => new { x.OrganizationId, x.UserId, x.AppId });
        b.HasIndex(x => x.AppId);
        b.HasOne<Organization>().WithMany().HasForeignKey(x => x.OrganizationId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<OAuthApp>().WithMany().HasForeignKey(x => x.AppId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<User>().WithMany().HasForeignKey(x => x.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}

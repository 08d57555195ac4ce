using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Switchboard.Identity;
using Switchboard.Platform.Storage;

namespace Switchboard.OAuth.Protocol;

/// <summary>
/// A validated authorization request (RFC 6749 §4.1.1) kept on the server: a <em>pushed</em> one (RFC 9126, made at
/// <c>/oauth/par</c>, referenced by its <c>request_uri</c>) or a <em>pending</em> one (made at <c>/oauth/authorize</c>,
/// waiting for the user at the consent page). Each is single-use: <see cref="UsedAt"/> is set by one conditional UPDATE,
/// so two nodes (or a double-submitted form) cannot both act on it. Not tenant-owned: the request exists before any
/// user or organization is chosen; it names the app, whose organization registered it.
/// </summary>
public sealed class OAuthAuthorizationRequest
{
    /// <summary><c>azr_</c> (pending) or <c>par_</c> (pushed) followed by 192 random bits: not guessable.</summary>
    public required string Id { get; init; }
    public required string AppId { get; init; }
    public required string ClientId { get; init; }
    public bool Pushed { get; init; }
    public required string RedirectUri { get; init; }
    public string[] Scopes { get; init; } = [];
    public string? State { get; init; }
    /// <summary>The PKCE S256 challenge (RFC 7636 §4.2); always present: every client must use PKCE.</summary>
    public required string CodeChallenge { get; init; }
    public string? Nonce { get; init; }
    /// <summary>RFC 9449 §10: the thumbprint of the DPoP key the code must be redeemed with.</summary>
    public string? DpopJkt { get; init; }
    public string? Prompt { get; init; }
    public int? MaxAge { get; init; }
    /// <summary>The issuer identifier the client used (RFC 9207 §2: the <c>iss</c> of the authorization response).</summary>
    public required string Issuer { get; init; }
    public DateTime CreatedAt { get; init; }
    public DateTime ExpiresAt { get; init; }
    public DateTime? UsedAt { get; set; }
}

/// <summary>
/// An authorization code (RFC 6749 §4.1.2): only its SHA-256 is stored, it lives 60 seconds and is redeemed once (one
/// conditional UPDATE). A code presented again revokes the grant it was issued under (RFC 6749 §4.1.2, RFC 9700 §4.5).
/// </summary>
public sealed class OAuthAuthorizationCode : ITenantOwned
{
    public required string Id { get; init; }
    public required string CodeHash { get; init; }
    public required string OrganizationId { get; init; }
    public required string AppId { get; init; }
    public required string ClientId { get; init; }
    public required string UserId { get; init; }
    /// <summary>The <see cref="OAuthGrant"/> the code was issued under: the <c>sid</c> and refresh family of its tokens.</summary>
    public required string GrantId { get; init; }
    public required string RedirectUri { get; init; }
    public string[] Scopes { get; init; } = [];
    public required string CodeChallenge { get; init; }
    public string? Nonce { get; init; }
    public string? DpopJkt { get; init; }
    /// <summary>When the user signed in, if the consent page said (OpenID Connect <c>auth_time</c>).</summary>
    public DateTime? AuthTime { get; init; }
    public DateTime CreatedAt { get; init; }
    public DateTime ExpiresAt { get; init; }
    public DateTime? UsedAt { get; set; }
}

internal sealed class OAuthAuthorizationRequestConfiguration : IEntityTypeConfiguration<OAuthAuthorizationRequest>
{
    public void Configure(EntityTypeBuilder<OAuthAuthorizationRequest> b)
    {
        b.ToTable("oauth_authorization_requests");
        b.Property(x => x.Id).HasMaxLength(40);
        b.Property(x => x.AppId).HasMaxLength(40);
        b.Property(x => x.ClientId).HasMaxLength(64);
        b.Property(x => x.RedirectUri).HasMaxLength(2000);
        b.Property(x => x.Scopes).HasConversion(StringListColumn.Converter, StringListColumn.Comparer).HasMaxLength(2000);
        b.Property(x => x.State).HasMaxLength(2000);
        b.Property(x => x.CodeChallenge).HasMaxLength(128);
        b.Property(x => x.Nonce).HasMaxLength(500);
        b.Property(x => x.DpopJkt).HasMaxLength(64);
        b.Property(x => x.Prompt).HasMaxLength(100);
        b.Property(x => x.Issuer).HasMaxLength(2000);
        b.HasIndex(x => x.ExpiresAt);
        b.HasOne<OAuthApp>().WithMany().HasForeignKey(x => x.AppId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class OAuthAuthorizationCodeConfiguration : IEntityTypeConfiguration<OAuthAuthorizationCode>
{
    public void Configure(EntityTypeBuilder<OAuthAuthorizationCode> b)
    {
        b.ToTable("oauth_authorization_codes");
        b.Property(x => x.Id).HasMaxLength(40);
        b.Property(x => x.CodeHash).HasMaxLength(64);
        b.Property(x => x.OrganizationId).HasMaxLength(40);
        b.Property(x => x.AppId).HasMaxLength(40);
        b.Property(x => x.ClientId).HasMaxLength(64);
        b.Property(x => x.UserId).HasMaxLength(40);
        b.Property(x => x.GrantId).HasMaxLength(40);
        b.Property(x => x.RedirectUri).HasMaxLength(2000);
        b.Property(x => x.Scopes).HasConversion(StringListColumn.Converter, StringListColumn.Comparer).HasMaxLength(2000);
        b.Property(x => x.CodeChallenge).HasMaxLength(128);
        b.Property(x => x.Nonce).HasMaxLength(500);
        b.Property(x => x.DpopJkt).HasMaxLength(64);
        b.HasIndex(x => x.CodeHash).IsUnique();
        b.HasIndex(x => x.ExpiresAt);
        b.HasOne<OAuthApp>().WithMany().HasForeignKey(x => x.AppId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<OAuthGrant>().WithMany().HasForeignKey(x => x.GrantId).OnDelete(DeleteBehavior.Cascade);
    }
}

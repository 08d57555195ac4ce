using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Switchboard.Platform.Auth;

/// <summary>
/// A revocation that every node must apply to what it caches: an API key revoked or changed, a session
/// logged out, a user's role changed. Nodes poll this table (see <see cref="AuthInvalidationFeed"/>).
/// </summary>
public sealed class AuthInvalidation
{
    public required string Id { get; init; }
    public required string Kind { get; init; }
    public required string SubjectId { get; init; }
    /// <summary>Credentials of the subject issued before this instant are no longer accepted.</summary>
    public DateTime NotBefore { get; init; }
    public DateTime CreatedAt { get; init; }
}

public static class InvalidationKinds
{
    public const string ApiKey = "api_key";
    public const string Session = "session";
    public const string User = "user";
    /// <summary>A registered OAuth app changed (subject: its client id): nodes reload it (<see cref="OAuth.Protocol.OAuthAppCache"/>).</summary>
    public const string OAuthApp = "oauth_app";
    /// <summary>One OAuth access token, by its <c>jti</c> (RFC 7009 revocation).</summary>
    public const string AccessToken = "access_token";
}

internal sealed class AuthInvalidationConfiguration : IEntityTypeConfiguration<AuthInvalidation>
{
    public void Configure(EntityTypeBuilder<AuthInvalidation> b)
    {
        b.ToTable("auth_invalidations");
        b.Property(x => x.Id).HasMaxLength(40);
        b.Property(x => x.Kind).HasMaxLength(20);
        b.Property(x => x.SubjectId).HasMaxLength(64);
        b.HasIndex(x => x.CreatedAt);
    }
}

using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Switchboard.Identity;

namespace Switchboard.OAuth.Browser;

/// <summary>
/// A user signed in through the browser sign-in page. The cookie holds only a random token; the row holds its SHA-256,
/// so a copy of the database signs nobody in, and every node recognises the cookie through the shared database (no
/// per-node key). Ended by sign-out, by its idle and absolute lifetimes, by a change of the user's password (the
/// stamp no longer matches) and by a user invalidation (<see cref="Platform.Auth.InvalidationKinds.User"/>).
/// </summary>
public sealed class BrowserSession
{
    public required string Id { get; init; }
    /// <summary>SHA-256 (hex) of the cookie's token.</summary>
    public required string TokenHash { get; init; }
    public required string UserId { get; init; }
    /// <summary>A digest of the user's password hash at sign-in: a changed or removed password ends the session.</summary>
    public required string PasswordStamp { get; init; }
    /// <summary>When the password was entered (OpenID Connect's <c>auth_time</c>).</summary>
    public DateTime CreatedAt { get; init; }
    public DateTime LastSeenAt { get; set; }
    /// <summary>The absolute end, however active the session stays.</summary>
    public DateTime ExpiresAt { get; init; }
    public DateTime? RevokedAt { get; set; }
}

internal sealed class BrowserSessionConfiguration : IEntityTypeConfiguration<BrowserSession>
{
    public void Configure(EntityTypeBuilder<BrowserSession> b)
    {
        b.ToTable("browser_sessions");
        b.Property(x => x.Id).HasMaxLength(40);
        b.Property(x => x.TokenHash).HasMaxLength(64);
        b.Property(x => x.UserId).HasMaxLength(40);
        b.Property(x => x.PasswordStamp).HasMaxLength(64);
        b.HasIndex(x => x.TokenHash).IsUnique();
        b.HasIndex(x => x.UserId);
        b.HasIndex(x => x.ExpiresAt);
        b.HasOne<User>().WithMany().HasForeignKey(x => x.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}

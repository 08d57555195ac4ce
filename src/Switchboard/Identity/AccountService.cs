using Microsoft.EntityFrameworkCore;
using Switchboard.Audit;
using Switchboard.Platform;
using Switchboard.Platform.Auth;
using Switchboard.Platform.Storage;

namespace Switchboard.Identity;

/// <summary>Creates organizations and their owners; shared by signup and the admin command line.</summary>
public sealed class AccountService(SwitchboardDbContext db, PasswordHasher hasher, TimeProvider time)
{
    public static string Normalize(string email) => email.Trim().ToLowerInvariant();

    /// <summary>Creates the organization, its owner and the membership in one transaction; null when the email is taken.</summary>
    public async Task<(User User, Organization Organization, Membership Membership)?> CreateOrganizationWithOwnerAsync(
        string email, string password, string name, string organizationName, HttpContext? http, CancellationToken cancellationToken)
    {
        var normalized = Normalize(email);
        if (await db.Users.AnyAsync(u => u.NormalizedEmail == normalized, cancellationToken)) return null;
        var now = time.UtcNow();
        var org = new Organization { Id = Ids.New(IdentityResources.Organizations, time), Name = organizationName.Trim(), CreatedAt = now, UpdatedAt = now };
        var user = new User
        {
            Id = Ids.New(IdentityResources.Members, time), Email = email.Trim(), NormalizedEmail = normalized, Name = name.Trim(),
            PasswordHash = hasher.Hash(password), CreatedAt = now, UpdatedAt = now,
        };
        var membership = new Membership
        {
            Id = Ids.New("mem", time), OrganizationId = org.Id, UserId = user.Id, Role = Roles.Owner, CreatedAt = now, UpdatedAt = now,
        };
        db.AddRange(org, user, membership);
        AuditTrail.Record(db, http, time, org.Id, "user", user.Id, "auth.signup", "user", user.Id, new { organizationName = org.Name });
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // Lost a race with a concurrent signup for the same email (unique index)? Otherwise it is a real fault.
            if (await EmailExistsAsync(normalized, cancellationToken)) return null;
            throw;
        }
        return (user, org, membership);
    }

    private async Task<bool> EmailExistsAsync(string normalized, CancellationToken cancellationToken)
    {
        db.ChangeTracker.Clear();
        return await db.Users.AnyAsync(u => u.NormalizedEmail == normalized, cancellationToken);
    }
}

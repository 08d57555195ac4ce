using System.Linq.Expressions;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using Switchboard.ApiKeys;
using Switchboard.Audit;
using Switchboard.Identity;
using Switchboard.Platform.Auth;

namespace Switchboard.Platform.Storage;

/// <summary>
/// The service's DbContext. Instances are pooled: each request leases one and attaches its <see cref="TenantScope"/>
/// (see <see cref="DatabaseSetup"/>); returning it to the pool detaches the tenant, so a context can never carry one
/// request's tenant into another.
/// </summary>
public sealed class SwitchboardDbContext : DbContext
{
    private TenantScope? _tenant;

    public SwitchboardDbContext(DbContextOptions<SwitchboardDbContext> options) : base(options) { }

    /// <summary>Read by the tenant query filters at query time (EF parameterizes context members). None set: nothing matches.</summary>
    public string? CurrentOrganizationId => _tenant?.OrganizationId;

    internal void AttachTenant(TenantScope tenant) => _tenant = tenant;

    public override void Dispose()
    {
        _tenant = null;
        base.Dispose();
    }

    public override ValueTask DisposeAsync()
    {
        _tenant = null;
        return base.DisposeAsync();
    }

    public DbSet<Organization> Organizations => Set<Organization>();
    public DbSet<User> Users => Set<User>();
    public DbSet<Membership> Memberships => Set<Membership>();
    public DbSet<RefreshToken> RefreshTokens => Set<RefreshToken>();
    public DbSet<SigningKey> SigningKeys => Set<SigningKey>();
    public DbSet<ApiKey> ApiKeys => Set<ApiKey>();
    public DbSet<AuditLog> AuditLogs => Set<AuditLog>();
    public DbSet<AuthInvalidation> AuthInvalidations => Set<AuthInvalidation>();
    public DbSet<LoginThrottle> LoginThrottles => Set<LoginThrottle>();
    public DbSet<Invitation> Invitations => Set<Invitation>();
    public DbSet<OAuth.OAuthApp> OAuthApps => Set<OAuth.OAuthApp>();
    public DbSet<OAuth.OAuthGrant> OAuthGrants => Set<OAuth.OAuthGrant>();
    public DbSet<OAuth.Protocol.OAuthAuthorizationRequest> OAuthAuthorizationRequests => Set<OAuth.Protocol.OAuthAuthorizationRequest>();
    public DbSet<OAuth.Protocol.OAuthAuthorizationCode> OAuthAuthorizationCodes => Set<OAuth.Protocol.OAuthAuthorizationCode>();
    public DbSet<Platform.Outbox.OutboxEvent> OutboxEvents => Set<Platform.Outbox.OutboxEvent>();
    public DbSet<Platform.Idempotency.IdempotencyRecord> IdempotencyRecords => Set<Platform.Idempotency.IdempotencyRecord>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(SwitchboardDbContext).Assembly);
        foreach (var entity in modelBuilder.Model.GetEntityTypes())
        {
            foreach (var property in entity.GetProperties())
            {
                property.SetColumnName(SnakeCase(property.Name));
                if (property.ClrType == typeof(DateTime)) property.SetValueConverter(UtcConverter);
                else if (property.ClrType == typeof(DateTime?)) property.SetValueConverter(NullableUtcConverter);
            }
            if (typeof(ITenantOwned).IsAssignableFrom(entity.ClrType))
                entity.SetQueryFilter(TenantFilter(entity.ClrType));
        }
    }

    private LambdaExpression TenantFilter(Type type)
    {
        var e = Expression.Parameter(type, "e");
        var owner = Expression.Property(e, nameof(ITenantOwned.OrganizationId));
        var current = Expression.Property(Expression.Constant(this), nameof(CurrentOrganizationId));
        return Expression.Lambda(Expression.Equal(owner, current), e);
    }

    // SQLite hands DateTime back as Unspecified; every timestamp in this service is UTC.
    private static readonly ValueConverter<DateTime, DateTime> UtcConverter =
        new(v => v, v => DateTime.SpecifyKind(v, DateTimeKind.Utc));
    private static readonly ValueConverter<DateTime?, DateTime?> NullableUtcConverter =
        new(v => v, v => v.HasValue ? DateTime.SpecifyKind(v.Value, DateTimeKind.Utc) : v);

    public static string SnakeCase(string name)
    {
        var sb = new StringBuilder(name.Length + 8);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c))
            {
                if (i > 0 && (char.IsLower(name[i - 1]) || (i + 1 < name.Length && char.IsLower(name[i + 1])))) sb.Append('_');
                sb.Append(char.ToLowerInvariant(c));
            }
            else sb.Append(c);
        }
        return sb.ToString();
    }
}

/// <summary>Stores a string list as one space-separated column, the same on every provider.</summary>
public static class StringListColumn
{
    public static readonly ValueConverter<string[], string> Converter = new(v => string.Join(' ', v), v => Split(v));

    /// <summary>The column's value as its list (space-separated items).</summary>
    public static string[] Split(string value) => value.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    public static readonly ValueComparer<string[]> Comparer =
        new((a, b) => (a ?? Array.Empty<string>()).SequenceEqual(b ?? Array.Empty<string>()),
            v => v.Aggregate(0, (h, s) => HashCode.Combine(h, s.GetHashCode(StringComparison.Ordinal))),
            v => v.ToArray());
}

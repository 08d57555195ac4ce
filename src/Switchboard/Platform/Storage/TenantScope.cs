namespace Switchboard.Platform.Storage;

/// <summary>Marks an entity that belongs to one organization; the DbContext filters it by the caller's tenant.</summary>
public interface ITenantOwned
{
    string OrganizationId { get; }
}

/// <summary>
/// The organization the current request acts for, set once by authentication. With no tenant set,
/// tenant-owned queries match nothing: forgetting to authenticate can never leak another tenant's rows.
/// </summary>
public sealed class TenantScope
{
    public string? OrganizationId { get; set; }
}

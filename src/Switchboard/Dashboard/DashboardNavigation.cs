using Switchboard.ApiKeys;

namespace Switchboard.Dashboard;

/// <summary>One entry of the dashboard's navigation, shown to members whose role includes its scope.</summary>
public sealed record DashboardLink(string Title, string Path, string Scope);

/// <summary>The pages of the dashboard that exist, in the order the navigation lists them.</summary>
public static class DashboardNavigation
{
    public const string Home = "/dashboard";
    public const string ApiKeys = "/dashboard/api-keys";
    public const string OAuthApps = "/dashboard/oauth-apps";
    public const string ConnectedApps = "/dashboard/connected-apps";
    public const string Usage = "/dashboard/usage";
    public const string Members = "/dashboard/members";
    public const string AuditLog = "/dashboard/audit-log";
    public const string Plan = "/dashboard/plan";
    /// <summary>The usage page's CSV download: the code of <c>GET /api/v1/usage/export</c> behind the dashboard's sign-in.</summary>
    public const string UsageExport = "/dashboard/usage/export.csv";
    public const string Integrations = "/dashboard/integrations";
    public const string Marketplace = Integrations + "/marketplace";
    public const string Webhooks = "/dashboard/webhooks";
    public const string WebhookEvents = "/dashboard/webhooks/events";

    public static readonly IReadOnlyList<DashboardLink> Links =
    [
        new("Overview", Home, DashboardPageAttribute.AnyMember),
        new("API keys", ApiKeys, ApiKeyResource.Declaration.ReadScope),
        new("Integrations", Integrations, Switchboard.Integrations.IntegrationResources.Installations.ReadScope),
        new("Webhooks", Webhooks, Switchboard.Webhooks.WebhookResources.Endpoints.ReadScope),
        new("Usage", Usage, Switchboard.Usage.UsageResource.Declaration.ReadScope),
        new("Plan and quota", Plan, Switchboard.Usage.UsageResource.Declaration.ReadScope),
        new("OAuth apps", OAuthApps, OAuth.OAuthResources.Apps.ReadScope),
        new("Connected apps", ConnectedApps, DashboardPageAttribute.AnyMember),
        new("Members", Members, Identity.IdentityResources.Members.ReadScope),
        new("Audit log", AuditLog, Audit.AuditLogResource.Declaration.ReadScope),
    ];

    /// <summary>Whether <paramref name="link"/> is the section <paramref name="path"/> belongs to.</summary>
    public static bool IsCurrent(DashboardLink link, string path) =>
        link.Path == Home ? path.TrimEnd('/') == Home : path == link.Path || path.StartsWith(link.Path + "/", StringComparison.Ordinal);
}

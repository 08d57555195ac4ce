using Microsoft.EntityFrameworkCore;
using Switchboard.OAuth.Browser;
using Switchboard.Platform.Auth;
using Switchboard.Platform.Storage;

namespace Switchboard.Dashboard;

/// <summary>One organization the signed-in user belongs to, with their role in it.</summary>
public sealed record DashboardOrganization(string Id, string Name, string Role);

/// <summary>
/// The signed-in member a dashboard request acts as, set by <see cref="DashboardGate"/> before any page renders: the
/// user, the organization chosen (the first joined unless the browser picked another), the role there and the
/// <see cref="Caller"/> the API would make of the same member, which the pages' calls into the API's code read.
/// </summary>
public sealed class DashboardSession
{
    public const string FormPurpose = "dashboard";

    public string UserId { get; private set; } = "";
    public string Email { get; private set; } = "";
    public string Name { get; private set; } = "";
    public DashboardOrganization Organization { get; private set; } = new("", "", Roles.Viewer);
    public IReadOnlyList<DashboardOrganization> Organizations { get; private set; } = [];
    public Caller Caller { get; private set; } = null!;
    /// <summary>The value of the hidden field every dashboard form carries (<see cref="FormTokens"/>, bound to the session cookie).</summary>
    public string FormToken { get; private set; } = "";

    /// <summary>
    /// The portal link this request came through (<c>/embed/webhooks/{token}/…</c>), or null for the signed-in dashboard.
    /// Its pages keep their links and forms under <see cref="WebhooksPath"/>, and show only what its capabilities allow.
    /// </summary>
    public Webhooks.WebhookPortalLink? PortalLink { get; private set; }

    /// <summary>Where the webhook pages are for this request: the dashboard's, or the portal link's own prefix.</summary>
    public string WebhooksPath { get; private set; } = DashboardNavigation.Webhooks;

    public string WebhookEventsPath => WebhooksPath + "/events";

    public bool Can(string scope) => Caller.Has(scope);

    /// <summary>
    /// Whether the webhook pages offer the controls of <paramref name="capability"/> (<see cref="Webhooks.PortalCapabilities"/>):
    /// through a portal link, when the link grants it; in the dashboard, when the member may write webhooks.
    /// </summary>
    public bool Allows(string capability) => PortalLink is { } link
        ? link.Capabilities.Contains(capability) && (capability == Webhooks.PortalCapabilities.View || Can(Webhooks.WebhookResources.Endpoints.WriteScope))
        : capability == Webhooks.PortalCapabilities.View ? Can(Webhooks.WebhookResources.Endpoints.ReadScope) : Can(Webhooks.WebhookResources.Endpoints.WriteScope);

    /// <summary>
    /// The holder of a portal link, acting for the link's organization with the webhook scopes its capabilities map to
    /// (<see cref="Webhooks.PortalCapabilities.Scopes"/>). Forms are bound to the link (its token's hash), not to a cookie:
    /// inside another site's iframe the session cookie is a third-party cookie and is not sent.
    /// </summary>
    internal void LoadPortal(Webhooks.WebhookPortalLink link, string token, string organizationName, FormTokens tokens)
    {
        PortalLink = link;
        WebhooksPath = Webhooks.PortalLinks.EmbedPrefix + "/" + token;
        Organization = new DashboardOrganization(link.OrganizationId, organizationName, PortalRole);
        Organizations = [Organization];
        Caller = new Caller(CallerKind.PortalLink, link.OrganizationId, Webhooks.PortalCapabilities.Scopes(link.Capabilities), PortalLinkId: link.Id);
        FormToken = tokens.For(link.TokenHash, PortalFormPurpose);
    }

    public const string PortalRole = "portal link";
    public const string PortalFormPurpose = "webhook-portal";

    /// <summary>The member behind <paramref name="signIn"/>, or false when the user belongs to no organization.</summary>
    internal async Task<bool> LoadAsync(HttpContext http, BrowserSignIn signIn, SwitchboardDbContext db, FormTokens tokens, CancellationToken ct)
    {
        var user = await db.Users.AsNoTracking().Where(u => u.Id == signIn.UserId).Select(u => new { u.Email, u.Name }).FirstAsync(ct);
        var organizations = await (from m in db.Memberships.IgnoreQueryFilters().AsNoTracking()
                                   where m.UserId == signIn.UserId
                                   join o in db.Organizations on m.OrganizationId equals o.Id
                                   orderby m.CreatedAt, m.Id
                                   select new DashboardOrganization(o.Id, o.Name, m.Role)).ToListAsync(ct);
        if (organizations.Count == 0) return false;
        var chosen = BrowserCookies.Read(http, OrganizationCookie(http.Request)) is { } picked
            ? organizations.FirstOrDefault(o => o.Id == picked) ?? organizations[0] : organizations[0];
        (UserId, Email, Name, Organizations, Organization) = (signIn.UserId, user.Email, user.Name, organizations, chosen);
        Caller = new Caller(CallerKind.User, chosen.Id, Scopes.ForRole(chosen.Role), UserId: signIn.UserId, Role: chosen.Role, SessionId: signIn.SessionId);
        FormToken = tokens.For(BrowserSessions.CookieValue(http)!, FormPurpose);
        return true;
    }

    /// <summary>The organization this browser shows, when the user belongs to several; checked against the memberships on every request.</summary>
    public static string OrganizationCookie(HttpRequest request) => request.IsHttps ? "__Host-sb_org" : "sb_org";
}

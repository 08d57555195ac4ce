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

    public bool Can(string scope) => Caller.Has(scope);

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

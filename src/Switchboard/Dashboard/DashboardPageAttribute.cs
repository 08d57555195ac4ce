namespace Switchboard.Dashboard;

/// <summary>
/// What a dashboard page needs of the signed-in member, read by <see cref="DashboardGate"/> from the page's endpoint
/// metadata (a routable component's attributes become its endpoint's metadata): the scope its GET needs and the scope
/// every form POST to it needs. These are the scopes of the API operations the page shows and performs, so a role
/// reaches in the dashboard exactly what it reaches in the API (<see cref="Platform.Auth.Scopes.ForRole"/>). A page
/// without a <see cref="Write"/> scope takes no POST at all.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class DashboardPageAttribute : Attribute
{
    /// <summary>Any signed-in member of the organization: for pages of counts only, as <c>GET /api/v1/overview</c>.</summary>
    public const string AnyMember = "";

    public string Read { get; init; } = AnyMember;
    public string? Write { get; init; }
}

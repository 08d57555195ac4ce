using Switchboard.Platform.Resources;

namespace Switchboard.Platform.Auth;

/// <summary>
/// Scopes are <c>&lt;resource&gt;:read</c> / <c>&lt;resource&gt;:write</c>, the wildcards <c>*:read</c> and
/// <c>*:write</c>, and <c>admin</c>. Write implies read; <c>admin</c> implies everything, including
/// operations no resource scope grants (members, plans).
/// </summary>
public static class Scopes
{
    public const string Admin = "admin";
    public const string AllRead = "*:read";
    public const string AllWrite = "*:write";

    /// <summary>
    /// The resources of <c>&lt;resource&gt;:read</c>/<c>:write</c>: those the resources declare (<see cref="ResourceRegistry"/>).
    /// A scope exists when something is gated by it; one is added with the resource it gates.
    /// </summary>
    public static readonly IReadOnlyList<string> Resources = ResourceRegistry.ScopeResources;

    /// <summary>Resources whose data reveals the organization's security posture: only explicit scopes or admin reach them.</summary>
    private static readonly System.Collections.Frozen.FrozenSet<string> Sensitive = ResourceRegistry.SensitiveScopes;

    public static string Read(string resource) => resource + ":read";
    public static string Write(string resource) => resource + ":write";

    public static bool IsValid(string scope)
    {
        if (scope is Admin or AllRead or AllWrite) return true;
        var colon = scope.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0) return false;
        var action = scope[(colon + 1)..];
        return action is "read" or "write" && Resources.Contains(scope[..colon]);
    }

    /// <summary>Whether the <paramref name="granted"/> scopes allow an operation that requires <paramref name="required"/>.</summary>
    public static bool Grants(IReadOnlyCollection<string> granted, string required)
    {
        if (granted.Contains(Admin) || granted.Contains(required)) return true;
        if (required == Admin) return false;
        var colon = required.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0) return false;
        var resource = required[..colon];
        var isRead = required.EndsWith(":read", StringComparison.Ordinal);
        if (isRead && granted.Contains(Write(resource))) return true;
        if (Sensitive.Contains(resource)) return false;
        return granted.Contains(AllWrite) || (isRead && granted.Contains(AllRead));
    }

    /// <summary>Every concrete scope a set of scopes amounts to, used to stop a credential from minting a stronger one.</summary>
    public static bool Covers(IReadOnlyCollection<string> granted, IEnumerable<string> requested) =>
        requested.All(r => r switch
        {
            Admin => granted.Contains(Admin),
            AllRead => Resources.Where(x => !Sensitive.Contains(x)).All(x => Grants(granted, Read(x))),
            AllWrite => Resources.Where(x => !Sensitive.Contains(x)).All(x => Grants(granted, Write(x))),
            _ => Grants(granted, r),
        });

    /// <summary>What a signed-in member may do, by role.</summary>
    public static string[] ForRole(string role) => role switch
    {
        Roles.Owner or Roles.Admin => [Admin],
        Roles.Member => [AllRead, AllWrite],
        _ => [AllRead],
    };
}

public static class Roles
{
    public const string Owner = "owner";
    public const string Admin = "admin";
    public const string Member = "member";
    public const string Viewer = "viewer";
    public static readonly IReadOnlyList<string> All = [Owner, Admin, Member, Viewer];
    public static int Rank(string role) => role switch { Owner => 3, Admin => 2, Member => 1, _ => 0 };
}

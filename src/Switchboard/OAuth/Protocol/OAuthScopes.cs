using Switchboard.Platform.Auth;

namespace Switchboard.OAuth.Protocol;

/// <summary>
/// What a third-party app may be granted. The scopes are the API's own (<see cref="Scopes"/>, from the resource
/// registry); an app's token carries at most the scopes the app was registered with, the user consented to and the
/// user's role allows, so neither the app nor the user can widen the other's share (RFC 9700 §2.3, least privilege).
/// </summary>
public static class OAuthScopes
{
    /// <summary>OpenID Connect's scopes (Core §3.1.2.1, §5.4): who the user is, their name, their email address.</summary>
    public const string OpenId = "openid";
    public const string Profile = "profile";
    public const string Email = "email";

    /// <summary>
    /// Scopes about the user rather than the organization's data: any app may ask for them (the user decides at the
    /// consent page), any role may grant them, and only a token with a user (not client_credentials) carries them.
    /// </summary>
    public static readonly IReadOnlyList<string> Identity = [OpenId, Profile, Email];

    public static bool IsIdentity(string scope) => scope is OpenId or Profile or Email;

    /// <summary>
    /// The scopes a user of this role may grant this app from the requested ones: requested ∩ app.Scopes, keeping only
    /// what <see cref="Scopes.ForRole"/> covers (<see cref="Scopes.Covers"/>). A requested scope counts as within the
    /// app's when the app's scopes cover it (an app registered with <c>contacts:write</c> may ask for
    /// <c>contacts:read</c>). Order follows the request; duplicates and unknown scopes are dropped.
    /// </summary>
    public static IReadOnlyList<string> Effective(IReadOnlyList<string> requested, OAuthApp app, string role)
    {
        var roleScopes = Scopes.ForRole(role);
        var result = new List<string>(requested.Count);
        foreach (var scope in requested)
            if (!result.Contains(scope) && (IsIdentity(scope)
                    || (Scopes.IsValid(scope) && Scopes.Covers(app.Scopes, [scope]) && Scopes.Covers(roleScopes, [scope]))))
                result.Add(scope);
        return result;
    }

    /// <summary>
    /// The scopes this app may ask for: requested ∩ app.Scopes, and the identity scopes when <paramref name="withUser"/>
    /// (an authorization request); a client_credentials token has no user to identify.
    /// </summary>
    public static IReadOnlyList<string> ForApp(IReadOnlyList<string> requested, OAuthApp app, bool withUser = false)
    {
        var result = new List<string>(requested.Count);
        foreach (var scope in requested)
            if (!result.Contains(scope) && ((withUser && IsIdentity(scope)) || (Scopes.IsValid(scope) && Scopes.Covers(app.Scopes, [scope]))))
                result.Add(scope);
        return result;
    }

    /// <summary>
    /// What a token issued under a grant carries now: the consented scopes the user's current role still covers. A
    /// demoted user's app loses what the user lost at the next token.
    /// </summary>
    public static string[] WithinRole(IReadOnlyList<string> granted, string role)
    {
        var roleScopes = Scopes.ForRole(role);
        return [.. granted.Where(s => IsIdentity(s) || Scopes.Covers(roleScopes, [s]))];
    }

    /// <summary>Whether every scope is one the API knows (RFC 6749 §3.3's scope-token syntax is checked by the parser).</summary>
    public static bool AllValid(IEnumerable<string> scopes) => scopes.All(s => IsIdentity(s) || Scopes.IsValid(s));

    /// <summary>Splits a <c>scope</c> parameter (RFC 6749 §3.3: space-delimited, case-sensitive).</summary>
    public static string[] Parse(string? scope) =>
        string.IsNullOrEmpty(scope) ? [] : scope.Split(' ', StringSplitOptions.RemoveEmptyEntries).Distinct(StringComparer.Ordinal).ToArray();

    /// <summary>Plain-language description of a scope for the consent page ("Read and change your contacts").</summary>
    public static string Describe(string scope)
    {
        switch (scope)
        {
            case Scopes.Admin: return "Act as an administrator of your organization: everything you can do, including members, API keys, webhooks and settings";
            case Scopes.AllRead: return "See all of your organization's records (contacts, leads, deals and the rest)";
            case Scopes.AllWrite: return "See and change all of your organization's records (contacts, leads, deals and the rest)";
            case OpenId: return "Know who you are (your Switchboard account's id)";
            case Profile: return "See your name";
            case Email: return "See your email address";
        }
        var colon = scope.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0) return scope;
        var subject = Subject(scope[..colon]);
        return scope[(colon + 1)..] switch
        {
            "read" => $"See your {subject}",
            "write" => $"See and change your {subject}",
            _ => scope,
        };
    }

    private static string Subject(string resource) => resource switch
    {
        "chat" => "chat sessions and messages",
        "api_keys" => "API keys",
        "audit_logs" => "audit log",
        "oauth_apps" => "registered OAuth apps",
        "usage" => "API usage figures",
        "analytics" => "analytics",
        "members" => "organization's members",
        "webhooks" => "webhook endpoints and deliveries",
        _ => resource.Replace('_', ' '),
    };
}

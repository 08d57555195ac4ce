namespace Switchboard.OAuth.Protocol;

/// <summary>
/// Redirect-URI rules of RFC 9700 §4.1.3 and §2.1: a requested URI must equal a registered one character for character,
/// except that a loopback URI (<c>http://127.0.0.1</c> or <c>http://[::1]</c>) may name any port, which native apps pick
/// at run time (RFC 8252 §7.3). Other URIs must be https, or use a private-use scheme (<c>com.example.app:/cb</c>, RFC
/// 8252 §7.1); no fragment is allowed anywhere (RFC 6749 §3.1.2).
/// </summary>
public static class RedirectUris
{
    /// <summary>Whether <paramref name="requested"/> is one of <paramref name="registered"/>, by RFC 9700's exact match.</summary>
    public static bool Matches(IEnumerable<string> registered, string requested)
    {
        if (!IsAcceptable(requested)) return false;
        foreach (var candidate in registered)
        {
            if (string.Equals(candidate, requested, StringComparison.Ordinal)) return true;
            if (LoopbackWithoutPort(candidate) is { } a && LoopbackWithoutPort(requested) is { } b && string.Equals(a, b, StringComparison.Ordinal))
                return true;
        }
        return false;
    }

    /// <summary>Whether a URI may be a redirect URI at all: the registration rule (<see cref="OAuthAppRules.CheckRedirectUri"/>), one for both.</summary>
    public static bool IsAcceptable(string uri) => OAuthAppRules.CheckRedirectUri(uri) is null;

    /// <summary>A loopback redirect URI with its port taken out, for the RFC 8252 §7.3 comparison; null for any other URI.</summary>
    private static string? LoopbackWithoutPort(string uri)
    {
        if (!Uri.TryCreate(uri, UriKind.Absolute, out var parsed) || parsed.Scheme != Uri.UriSchemeHttp || !OAuthAppRules.IsLoopback(parsed)) return null;
        // The authority is everything up to the first '/', '?' after "http://"; the port is what follows the host literal.
        var rest = uri["http://".Length..];
        var end = rest.IndexOfAny(['/', '?']);
        var authority = end < 0 ? rest : rest[..end];
        var host = authority.StartsWith('[') ? authority[..(authority.IndexOf(']', StringComparison.Ordinal) + 1)] : authority.Split(':')[0];
        return "http://" + host + (end < 0 ? "" : rest[end..]);
    }
}

namespace Switchboard.OAuth.Browser;

/// <summary>
/// Where the sign-in page may send the browser afterwards: a path on this node, never another site (an open redirect,
/// RFC 9700 §4.11). Anything else becomes "/".
/// </summary>
public static class LocalReturnUrl
{
    public const string Default = "/";
    private const int MaxLength = 2048;

    /// <summary>
    /// <paramref name="candidate"/> if it is a local path: one leading "/" and not "//" or "/\" (both mean another host
    /// to a browser), no backslash at all (browsers read it as "/"), no control character or space (browsers drop tabs
    /// and newlines from URLs, so "/\t/evil.example" becomes "//evil.example"), printable ASCII only (a Location header
    /// carries nothing else). Otherwise <see cref="Default"/>.
    /// </summary>
    public static string Sanitize(string? candidate)
    {
        if (string.IsNullOrEmpty(candidate) || candidate.Length > MaxLength || candidate[0] != '/') return Default;
        if (candidate.Length > 1 && candidate[1] is '/' or '\\') return Default;
        foreach (var c in candidate)
            if (c <= ' ' || c >= '\x7f' || c == '\\') return Default;
        return Uri.TryCreate(candidate, UriKind.Relative, out _) ? candidate : Default;
    }
}

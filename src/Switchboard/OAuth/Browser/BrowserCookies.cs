namespace Switchboard.OAuth.Browser;

/// <summary>
/// The two cookies of the browser pages. Both hold a random token and nothing else, and are HttpOnly (no script reads
/// them), SameSite=Lax (sent on top-level navigations, such as an app sending the user to /oauth/authorize, but not
/// with another site's POST), Path=/ and, on https, Secure with the <c>__Host-</c> prefix, which a browser accepts
/// only from this host over https with Path=/ and no Domain, so neither a sibling subdomain nor a plain-http page can
/// plant one (RFC 6265bis §4.1.3.2). No Expires: the server enforces the lifetimes.
/// </summary>
public static class BrowserCookies
{
    /// <summary>The signed-in session (<see cref="BrowserSessions"/>).</summary>
    public static string Session(HttpRequest request) => request.IsHttps ? "__Host-sb_session" : "sb_session";

    /// <summary>Binds the sign-in form's token before anyone is signed in, against login CSRF.</summary>
    public static string PreSession(HttpRequest request) => request.IsHttps ? "__Host-sb_signin" : "sb_signin";

    private const int MaxLength = 100;

    public static string? Read(HttpContext http, string name) =>
        http.Request.Cookies.TryGetValue(name, out var value) && value is { Length: > 0 and <= MaxLength } ? value : null;

    public static void Write(HttpContext http, string name, string value) => http.Response.Cookies.Append(name, value, Options(http));

    public static void Delete(HttpContext http, string name) => http.Response.Cookies.Delete(name, Options(http));

    private static CookieOptions Options(HttpContext http) => new()
    {
        HttpOnly = true, SameSite = SameSiteMode.Lax, Secure = http.Request.IsHttps, Path = "/", IsEssential = true,
    };
}

using System.Text.Json;

namespace Switchboard.OAuth.Protocol;

/// <summary>
/// How the protocol endpoints answer: JSON (RFC 6749 §5.1) with <c>Cache-Control: no-store</c> and <c>Pragma: no-cache</c>,
/// since tokens and what is said about them must not be cached; errors in the §5.2 shape.
/// </summary>
public static class OAuthResults
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };

    public static IResult Ok(HttpContext http, object body, int status = 200)
    {
        NoStore(http);
        return Results.Json(body, Json, "application/json", status);
    }

    public static IResult Error(HttpContext http, OAuthError error)
    {
        NoStore(http);
        return Results.Json(error, Json, "application/json", error.Status);
    }

    /// <summary>
    /// invalid_client after a failed HTTP Basic authentication: 401 with <c>WWW-Authenticate: Basic</c> (RFC 6749 §5.2);
    /// with DPoP the token endpoint's proof errors are answered the same way, naming the DPoP scheme.
    /// </summary>
    public static IResult Unauthorized(HttpContext http, OAuthError error, string challenge)
    {
        http.Response.Headers.WWWAuthenticate = challenge;
        return Error(http, error);
    }

    public static void NoStore(HttpContext http)
    {
        http.Response.Headers.CacheControl = "no-store";
        http.Response.Headers.Pragma = "no-cache";
    }
}

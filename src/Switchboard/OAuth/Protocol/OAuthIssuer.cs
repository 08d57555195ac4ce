using Microsoft.Extensions.Options;
using Switchboard.Platform;

namespace Switchboard.OAuth.Protocol;

/// <summary>
/// The authorization server's issuer identifier (RFC 8414 §2: an https URL, http on a development host, with no query or
/// fragment) and the URLs built on it. It is <c>Switchboard:PublicBaseUrl</c> when set, else the request's own scheme,
/// host and path base. <c>Switchboard:Auth:Issuer</c> (default <c>switchboard</c>) stays the <c>iss</c>/<c>aud</c> of
/// first-party session tokens; OAuth access tokens carry this issuer and the audience <see cref="Audience"/>.
/// </summary>
public sealed class OAuthIssuer(IOptions<SwitchboardOptions> options)
{
    private readonly string? _configured = options.Value.PublicBaseUrl?.TrimEnd('/');

    public string For(HttpContext http) => _configured ?? For(http.Request);

    private static string For(HttpRequest request) => $"{request.Scheme}://{request.Host.Value}{request.PathBase.Value}".TrimEnd('/');

    /// <summary>The default resource indicator (RFC 9068 §3, RFC 8707) of OAuth access tokens: the API under the issuer.</summary>
    public static string Audience(string issuer) => issuer + "/api";

    public static string Endpoint(string issuer, string path) => issuer + path;

    /// <summary>The URL of the current request without query or fragment, as a DPoP proof's <c>htu</c> names it (RFC 9449 §4.3).</summary>
    public string RequestUrl(HttpContext http) => For(http) + http.Request.Path.Value;

    public const string AuthorizePath = "/oauth/authorize";
    public const string TokenPath = "/oauth/token";
    public const string ParPath = "/oauth/par";
    public const string RevocationPath = "/oauth/revoke";
    public const string IntrospectionPath = "/oauth/introspect";
    public const string UserInfoPath = "/oauth/userinfo";
    public const string OpenIdConfigurationPath = "/.well-known/openid-configuration";
    public const string ConsentPath = "/oauth/consent";
    public const string JwksPath = "/.well-known/jwks.json";
    public const string MetadataPath = "/.well-known/oauth-authorization-server";
}

using Switchboard.Platform.Auth;

namespace Switchboard.OAuth.Protocol;

/// <summary>
/// <c>GET /.well-known/oauth-authorization-server</c>: the authorization server's metadata (RFC 8414 §2), built from the
/// issuer identifier, so every URL in it is under the issuer the client then sees in <c>iss</c> (RFC 9207 §2.4).
/// </summary>
public static class MetadataEndpoint
{
    public static IResult Handle(HttpContext http, OAuthIssuer issuers)
    {
        var issuer = issuers.For(http);
        http.Response.Headers.CacheControl = "public, max-age=300";
        return Results.Json(Document(issuer), contentType: "application/json");
    }

    /// <summary>
    /// <c>GET /.well-known/openid-configuration</c> (OpenID Connect Discovery 1.0 §3): the same document with what an
    /// OpenID Provider adds — the userinfo endpoint, ID token signing, subject types and claims.
    /// </summary>
    public static IResult HandleOpenIdConfiguration(HttpContext http, OAuthIssuer issuers)
    {
        var issuer = issuers.For(http);
        var document = Document(issuer);
        document["userinfo_endpoint"] = issuer + OAuthIssuer.UserInfoPath;
        document["id_token_signing_alg_values_supported"] = new[] { "ES256" };
        document["subject_types_supported"] = new[] { "public" };
        document["claims_supported"] = new[] { "iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "name", "email" };
        http.Response.Headers.CacheControl = "public, max-age=300";
        return Results.Json(document, contentType: "application/json");
    }

    public static Dictionary<string, object> Document(string issuer) => new()
    {
        ["issuer"] = issuer,
        ["authorization_endpoint"] = issuer + OAuthIssuer.AuthorizePath,
        ["token_endpoint"] = issuer + OAuthIssuer.TokenPath,
        ["pushed_authorization_request_endpoint"] = issuer + OAuthIssuer.ParPath,
        ["require_pushed_authorization_requests"] = false,
        ["revocation_endpoint"] = issuer + OAuthIssuer.RevocationPath,
        ["introspection_endpoint"] = issuer + OAuthIssuer.IntrospectionPath,
        ["jwks_uri"] = issuer + OAuthIssuer.JwksPath,
        ["response_types_supported"] = new[] { "code" },
        ["response_modes_supported"] = new[] { "query" },
        ["grant_types_supported"] = new[] { "authorization_code", "client_credentials", "refresh_token" },
        ["code_challenge_methods_supported"] = new[] { "S256" },
        ["token_endpoint_auth_methods_supported"] = ClientAuthMethods.All,
        ["token_endpoint_auth_signing_alg_values_supported"] = DpopProofs.Algorithms,
        ["revocation_endpoint_auth_methods_supported"] = ClientAuthMethods.All,
        ["introspection_endpoint_auth_methods_supported"] = new[] { ClientAuthMethods.SecretBasic, ClientAuthMethods.SecretPost, ClientAuthMethods.PrivateKeyJwt },
        ["dpop_signing_alg_values_supported"] = DpopProofs.Algorithms,
        ["authorization_response_iss_parameter_supported"] = true,
        ["scopes_supported"] = ScopesSupported(),
        ["prompt_values_supported"] = new[] { "none", "login", "consent", "select_account" },
    };

    /// <summary>
    /// Every scope there is: OpenID Connect's (<c>openid</c>, <c>profile</c>, <c>email</c>), then the API's from the
    /// resource registry (<c>admin</c>, the wildcards, each resource's read and write).
    /// </summary>
    public static IReadOnlyList<string> ScopesSupported() =>
        [.. OAuthScopes.Identity, Scopes.Admin, Scopes.AllRead, Scopes.AllWrite, .. Scopes.Resources.SelectMany(r => new[] { Scopes.Read(r), Scopes.Write(r) })];
}

using System.Text;
using Microsoft.Extensions.Primitives;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Switchboard.Platform;
using Switchboard.Platform.Security;

namespace Switchboard.OAuth.Protocol;

/// <summary>How the client authenticated (RFC 8414 <c>token_endpoint_auth_methods_supported</c> names).</summary>
public static class ClientAuthMethods
{
    public const string SecretBasic = "client_secret_basic";
    public const string SecretPost = "client_secret_post";
    public const string PrivateKeyJwt = "private_key_jwt";
    public const string None = "none";
    public static readonly string[] All = [SecretBasic, SecretPost, PrivateKeyJwt, None];
}

/// <summary>An authenticated client, or (for a public app) one that named itself.</summary>
public sealed record AuthenticatedClient(OAuthApp App, string Method)
{
    public bool IsConfidential => Method != ClientAuthMethods.None;
}

/// <summary>
/// Client authentication at the token, PAR, revocation and introspection endpoints (RFC 6749 §2.3): HTTP Basic
/// (<c>client_secret_basic</c>, §2.3.1, id and secret form-urlencoded first), the secret in the body
/// (<c>client_secret_post</c>), or a JWT signed by a key of the app's JWK Set (<c>private_key_jwt</c>, RFC 7523 §2.2, §3).
/// Secrets are compared by SHA-256 in constant time; the previous secret is accepted until its grace period ends. A
/// public app sends only its <c>client_id</c>; a confidential app must authenticate. More than one method at once is
/// refused (RFC 6749 §2.3).
/// </summary>
public sealed class ClientAuthenticator(AuthorizationRequests requests, ReplayCache replays, OAuthIssuer issuers, TimeProvider time)
{
    public const string JwtBearerAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
    private static readonly JsonWebTokenHandler Handler = new() { MapInboundClaims = false };
    /// <summary>Assertions valid for longer are refused, which bounds how long their jti must be remembered.</summary>
    private static readonly TimeSpan MaxAssertionLifetime = TimeSpan.FromHours(1);

    /// <summary>The outcome: the client, or the error and whether it came from HTTP Basic (then 401 names the Basic scheme).</summary>
    public readonly record struct Outcome(AuthenticatedClient? Client, OAuthError? Error, bool ViaBasic);

    /// <summary>An authenticated request to a client endpoint (token, PAR, revocation, introspection): its form and client, or the answer refusing it.</summary>
    public readonly record struct ClientRequest(Dictionary<string, StringValues>? Form, AuthenticatedClient? Client, IResult? Refusal);

    /// <summary>
    /// The first steps every endpoint a client calls shares: the body must be a form (RFC 6749 §3.2, RFC 7009 §2.1,
    /// RFC 7662 §2.1, RFC 9126 §2), parameters must not repeat when <paramref name="singleValued"/>, and the client must
    /// authenticate; a failed HTTP Basic authentication answers 401 naming the scheme (RFC 6749 §5.2).
    /// </summary>
    public async Task<ClientRequest> ReadAsync(HttpContext http, string what, bool singleValued, CancellationToken ct)
    {
        if (!http.Request.HasFormContentType)
            return new(null, null, OAuthResults.Error(http, OAuthError.InvalidRequest($"The {what} must be a form (application/x-www-form-urlencoded).")));
        var form = (await http.Request.ReadFormAsync(ct)).ToDictionary(f => f.Key, f => f.Value, StringComparer.Ordinal);
        if (singleValued)
            foreach (var (name, values) in form)
                if (values.Count > 1) return new(null, null, OAuthResults.Error(http, OAuthError.InvalidRequest($"{name} may be sent only once (RFC 6749 §3.2).")));
        var auth = await AuthenticateAsync(http, form, ct);
        if (auth.Client is { } client) return new(form, client, null);
        return new(null, null, auth.ViaBasic
            ? OAuthResults.Unauthorized(http, auth.Error!, "Basic realm=\"switchboard\", charset=\"UTF-8\"")
            : OAuthResults.Error(http, auth.Error!));
    }

    public async Task<Outcome> AuthenticateAsync(HttpContext http, IReadOnlyDictionary<string, StringValues> form, CancellationToken ct)
    {
        string? Param(string name) => form.TryGetValue(name, out var v) && v.Count == 1 && !string.IsNullOrEmpty(v[0]) ? v[0] : null;
        var authorization = http.Request.Headers.Authorization.ToString();
        var basic = authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase);
        var postSecret = Param("client_secret");
        var assertion = Param("client_assertion");
        var assertionType = Param("client_assertion_type");
        if ((basic ? 1 : 0) + (postSecret is null ? 0 : 1) + (assertion is null && assertionType is null ? 0 : 1) > 1)
            return Refuse(OAuthError.InvalidRequest("Use exactly one client authentication method."), basic);

        var clientId = Param("client_id");
        string? secret = postSecret;
        if (basic)
        {
            // RFC 6749 §2.3.1: the id and the secret are form-urlencoded before they are joined and base64-encoded.
            string decoded;
            try { decoded = Encoding.UTF8.GetString(Convert.FromBase64String(authorization[6..].Trim())); }
            catch (FormatException) { return Refuse(OAuthError.InvalidClient("The Basic credentials are not valid base64."), true); }
            var colon = decoded.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0) return Refuse(OAuthError.InvalidClient("The Basic credentials must be client_id:client_secret."), true);
            var basicId = Uri.UnescapeDataString(decoded[..colon].Replace('+', ' '));
            secret = Uri.UnescapeDataString(decoded[(colon + 1)..].Replace('+', ' '));
            if (clientId is not null && clientId != basicId)
                return Refuse(OAuthError.InvalidRequest("client_id differs from the one in the Authorization header."), true);
            clientId = basicId;
        }

        JsonWebToken? assertionJwt = null;
        if (assertion is not null || assertionType is not null)
        {
            if (assertionType != JwtBearerAssertionType)
                return Refuse(OAuthError.InvalidClient($"client_assertion_type must be {JwtBearerAssertionType}."), false);
            if (assertion is null || assertion.Length > 16384 || !Handler.CanReadToken(assertion))
                return Refuse(OAuthError.InvalidClient("client_assertion must be a signed JWT."), false);
            try { assertionJwt = Handler.ReadJsonWebToken(assertion); }
            catch (ArgumentException) { return Refuse(OAuthError.InvalidClient("client_assertion must be a signed JWT."), false); }
            var sub = assertionJwt.Subject;
            if (clientId is not null && clientId != sub)
                return Refuse(OAuthError.InvalidClient("The client assertion's sub must be the client_id."), false);
            clientId = sub;
        }

        if (string.IsNullOrEmpty(clientId) || clientId.Length > 64)
            return Refuse(OAuthError.InvalidClient("Authenticate the client (client_secret_basic, client_secret_post or private_key_jwt), or send client_id for a public app."), basic);
        var app = await requests.FindAppAsync(clientId, ct);
        if (app is null) return Refuse(OAuthError.InvalidClient("Client authentication failed."), basic);

        if (assertionJwt is not null)
        {
            var error = await CheckAssertionAsync(http, app, assertion!, assertionJwt, ct);
            return error is null ? new Outcome(new AuthenticatedClient(app, ClientAuthMethods.PrivateKeyJwt), null, false) : Refuse(error, false);
        }
        if (secret is not null)
        {
            if (app.Type != OAuthAppTypes.Confidential || app.SecretHash is null || !OAuthAppCredentials.Matches(app, secret, time.UtcNow()))
                return Refuse(OAuthError.InvalidClient("Client authentication failed."), basic);
            return new Outcome(new AuthenticatedClient(app, basic ? ClientAuthMethods.SecretBasic : ClientAuthMethods.SecretPost), null, basic);
        }
        if (app.Type == OAuthAppTypes.Confidential)
            return Refuse(OAuthError.InvalidClient("This app is confidential: authenticate it with its secret or a client assertion."), false);
        return new Outcome(new AuthenticatedClient(app, ClientAuthMethods.None), null, false);
    }

    private static Outcome Refuse(OAuthError error, bool basic) => new(null, error, basic);

    /// <summary>
    /// RFC 7523 §3: iss and sub are the client_id, aud names this server (its issuer identifier or the endpoint's URL),
    /// exp is present and near, the signature is by a key of the app's JWK Set with ES256, RS256 or PS256, and the jti has
    /// not been used before.
    /// </summary>
    private async Task<OAuthError?> CheckAssertionAsync(HttpContext http, OAuthApp app, string assertion, JsonWebToken jwt, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(app.Jwks)) return OAuthError.InvalidClient("This app has no registered keys for private_key_jwt.");
        IList<SecurityKey> keys;
        try { keys = new JsonWebKeySet(app.Jwks).GetSigningKeys(); }
        catch (ArgumentException) { return OAuthError.InvalidClient("This app's registered key set cannot be read."); }
        var issuer = issuers.For(http);
        var result = await Handler.ValidateTokenAsync(assertion, new TokenValidationParameters
        {
            IssuerSigningKeys = keys, ValidIssuer = app.ClientId,
            ValidAudiences = [issuer, issuer + "/", OAuthIssuer.Endpoint(issuer, OAuthIssuer.TokenPath), issuers.RequestUrl(http)],
            ValidAlgorithms = DpopProofs.Algorithms, RequireExpirationTime = true, RequireSignedTokens = true,
            ClockSkew = TimeSpan.FromSeconds(30), TryAllIssuerSigningKeys = true,
            LifetimeValidator = (notBefore, expires, _, p) =>
            {
                var now = time.GetUtcNow().UtcDateTime;
                return expires is { } e && e + p.ClockSkew > now && e - now <= MaxAssertionLifetime && (notBefore is null || notBefore.Value - p.ClockSkew <= now);
            },
        });
        if (!result.IsValid) return OAuthError.InvalidClient("The client assertion is invalid (signature, iss, aud or exp).");
        if (jwt.Subject != app.ClientId) return OAuthError.InvalidClient("The client assertion's sub must be the client_id.");
        if (!jwt.TryGetPayloadValue<string>("jti", out var jti) || string.IsNullOrEmpty(jti))
            return OAuthError.InvalidClient("The client assertion needs a jti.");
        var lifetime = jwt.ValidTo - time.GetUtcNow().UtcDateTime + TimeSpan.FromSeconds(30);
        if (!await replays.FirstUseAsync("client-assertion", app.ClientId + " " + jti, lifetime, ct))
            return OAuthError.InvalidClient("This client assertion was already used (its jti is spent).");
        return null;
    }
}

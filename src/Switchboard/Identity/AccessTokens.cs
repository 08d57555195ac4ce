using System.Security.Claims;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Switchboard.OAuth.Protocol;
using Switchboard.Platform;
using Switchboard.Platform.Auth;
using Switchboard.Platform.Errors;

namespace Switchboard.Identity;

/// <summary>
/// Issues and validates access tokens: JWTs in the RFC 9068 profile (header <c>typ: at+jwt</c>; claims iss, aud, sub,
/// client_id, iat, exp, jti, scope) plus <c>org</c>, <c>role</c> and <c>sid</c> (the refresh-token family, so that
/// logging out revokes the session's access tokens too). The <c>jti</c> is a ULID whose time part records the issue
/// instant to the millisecond, which revocation compares against.
/// </summary>
public sealed class AccessTokenService(SigningKeyRing ring, IOptions<SwitchboardOptions> options, TimeProvider time)
{
    public const string FirstPartyClientId = "switchboard";
    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };

    public int LifetimeSeconds => options.Value.Auth.AccessTokenLifetimeSeconds;

    /// <summary>A first-party session's access token: issuer and audience <c>Switchboard:Auth:Issuer</c>, client <c>switchboard</c>.</summary>
    public string Create(string userId, string organizationId, string role, IReadOnlyCollection<string> scopes, string sessionId)
    {
        var issuer = options.Value.Auth.Issuer;
        return Sign(issuer, issuer, userId, FirstPartyClientId, organizationId, role, sessionId, scopes, jkt: null);
    }

    /// <summary>
    /// An OAuth access token (RFC 9068 §2.2): <c>iss</c> the authorization server's issuer identifier, <c>aud</c> the API
    /// (<paramref name="audience"/>), <c>sub</c> the user (authorization code) or the client_id (client_credentials),
    /// <c>client_id</c>, <c>scope</c>, <c>org</c>, <c>role</c> (delegated tokens), <c>sid</c> (the grant, or the app for
    /// client_credentials) and, for a DPoP-bound token, <c>cnf.jkt</c> (RFC 9449 §6.1).
    /// </summary>
    public string CreateForClient(string issuer, string audience, string subject, string clientId, string organizationId, string? role,
        string sessionId, IReadOnlyCollection<string> scopes, string? jkt) =>
        Sign(issuer, audience, subject, clientId, organizationId, role, sessionId, scopes, jkt);

    /// <summary>
    /// An OpenID Connect ID token (Core §2, §3.1.3.6) for the client: <c>iss</c>, <c>sub</c> (the user), <c>aud</c> (the
    /// client_id), <c>exp</c>, <c>iat</c>, <c>auth_time</c> when known, the request's <c>nonce</c>, and <c>at_hash</c>
    /// (the left half of the SHA-256 of the access token issued with it, base64url). Signed by the key ring (ES256).
    /// </summary>
    public string CreateIdToken(string issuer, string userId, string clientId, string? nonce, DateTime? authTime, string accessToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(accessToken));
        var claims = new Dictionary<string, object>
        {
            ["sub"] = userId,
            ["at_hash"] = Switchboard.Platform.Security.Base64Url.Encode(hash.AsSpan(0, hash.Length / 2)),
        };
        if (nonce is not null) claims["nonce"] = nonce;
        if (authTime is { } at) claims["auth_time"] = new DateTimeOffset(at).ToUnixTimeSeconds();
        return Handler.CreateToken(new SecurityTokenDescriptor
        {
            TokenType = "JWT",
            Issuer = issuer,
            Audience = clientId,
            IssuedAt = now,
            Expires = now.AddSeconds(LifetimeSeconds),
            SigningCredentials = ring.GetSigningCredentials(),
            Claims = claims,
        });
    }

    private string Sign(string issuer, string audience, string subject, string clientId, string organizationId, string? role,
        string sessionId, IReadOnlyCollection<string> scopes, string? jkt)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var claims = new Dictionary<string, object>(9)
        {
            ["sub"] = subject,
            ["client_id"] = clientId,
            ["jti"] = Ids.New("at", time),
            ["org"] = organizationId,
            ["sid"] = sessionId,
            ["scope"] = string.Join(' ', scopes),
        };
        if (role is not null) claims["role"] = role;
        if (jkt is not null) claims["cnf"] = new Dictionary<string, object> { ["jkt"] = jkt };
        var descriptor = new SecurityTokenDescriptor
        {
            TokenType = "at+jwt",
            Issuer = issuer,
            Audience = audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now.AddSeconds(LifetimeSeconds),
            SigningCredentials = ring.GetSigningCredentials(),
            Claims = claims,
        };
        return Handler.CreateToken(descriptor);
    }

    /// <summary>The first-party issuer and audience (<c>Switchboard:Auth:Issuer</c>).</summary>
    public string FirstPartyIssuer => options.Value.Auth.Issuer;

    /// <summary>
    /// Signature, type, algorithm and lifetime. Issuer and audience are checked by <see cref="AccessTokenValidator"/>,
    /// which knows which pair each kind of token must carry (first-party or OAuth).
    /// </summary>
    internal TokenValidationParameters ValidationParameters() => new()
    {
        ValidateIssuer = false,
        ValidateAudience = false,
        ValidTypes = ["at+jwt"],
        ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
        RequireExpirationTime = true,
        RequireSignedTokens = true,
        ClockSkew = TimeSpan.FromSeconds(30),
        LifetimeValidator = (notBefore, expires, _, p) =>
        {
            var now = time.GetUtcNow().UtcDateTime;
            return expires is { } e && e + p.ClockSkew > now && (notBefore is null || notBefore.Value - p.ClockSkew <= now);
        },
        IssuerSigningKeyResolver = (_, _, kid, _) => ring.FindVerificationKey(kid) is { } key ? [key] : [],
    };
}

/// <summary>How the access token was presented: <c>Authorization: Bearer</c> (RFC 6750) or <c>Authorization: DPoP</c> (RFC 9449 §7.1).</summary>
public enum TokenScheme { Bearer, DPoP }

/// <summary>
/// Turns an access token into a <see cref="Caller"/>, refusing bad signatures, expired and revoked tokens. First-party
/// tokens carry <c>Switchboard:Auth:Issuer</c> as issuer and audience; OAuth tokens the authorization server's issuer
/// identifier (<see cref="OAuthIssuer"/>) and its API audience. A token bound to a DPoP key (<c>cnf.jkt</c>) is accepted
/// only as <c>Authorization: DPoP</c> with a valid proof of that key whose <c>ath</c> is the token's hash (RFC 9449 §7);
/// an unbound token is not accepted under the DPoP scheme. Revocations reach the token by its session (the grant), its
/// user, its client (an app deleted or its secret compromised) or its own <c>jti</c> (RFC 7009 revocation).
/// </summary>
public sealed class AccessTokenValidator(AccessTokenService tokens, SigningKeyRing ring, AuthInvalidationFeed revocations,
    OAuthIssuer issuers, DpopProofs dpop, TimeProvider time)
{
    private static readonly JsonWebTokenHandler Handler = new() { MapInboundClaims = false };
    private TokenValidationParameters? _parameters;

    public async ValueTask<AuthOutcome> ValidateAsync(string token, TokenScheme scheme, HttpContext http)
    {
        var cancellationToken = http.RequestAborted;
        if (!Handler.CanReadToken(token)) return Invalid(scheme, "The bearer token is neither an API key nor a JWT.");
        JsonWebToken jwt;
        try { jwt = Handler.ReadJsonWebToken(token); }
        catch (ArgumentException) { return Invalid(scheme, "The bearer token is malformed."); }

        await ring.EnsureKnownAsync(jwt.Kid, cancellationToken);
        var result = await Handler.ValidateTokenAsync(token, _parameters ??= tokens.ValidationParameters());
        if (!result.IsValid)
            return Invalid(scheme, jwt.ValidTo != DateTime.MinValue && jwt.ValidTo <= time.GetUtcNow().UtcDateTime
                ? "The access token has expired." : "The access token is invalid.");

        var claims = result.ClaimsIdentity;
        var sub = claims.FindFirst("sub")?.Value;
        var org = claims.FindFirst("org")?.Value;
        var jti = claims.FindFirst("jti")?.Value;
        var clientId = claims.FindFirst("client_id")?.Value;
        if (sub is null || org is null || jti is null || clientId is null || !TryIssuedAt(jti, out var issuedAt))
            return Invalid(scheme, "The access token lacks required claims.");

        var firstParty = clientId == AccessTokenService.FirstPartyClientId;
        string issuer, audience;
        if (firstParty) issuer = audience = tokens.FirstPartyIssuer;
        else
        {
            issuer = issuers.For(http);
            audience = OAuthIssuer.Audience(issuer);
        }
        if (jwt.Issuer != issuer || !jwt.Audiences.Contains(audience))
            return Invalid(scheme, "The access token was issued for another issuer or audience.");

        // RFC 9449 §7: the scheme must match the binding, and a bound token needs a proof of its key.
        var jkt = firstParty ? null : Thumbprint(jwt);
        if (jkt is null && scheme == TokenScheme.DPoP)
            return Invalid(scheme, "This access token is not DPoP-bound; send it as a Bearer token.");
        if (jkt is not null)
        {
            if (scheme != TokenScheme.DPoP)
                return Invalid(TokenScheme.DPoP, "This access token is DPoP-bound: send it as Authorization: DPoP with a DPoP proof.");
            var (proof, error) = await dpop.ValidateAsync(http, token, cancellationToken);
            if (proof is null) return Fail(ErrorCodes.InvalidToken, error!, "invalid_dpop_proof");
            if (proof.Value.Jkt != jkt) return Fail(ErrorCodes.InvalidToken, "The DPoP proof is signed by another key than the token is bound to.", "invalid_dpop_proof");
        }

        var sid = claims.FindFirst("sid")?.Value;
        if (revocations.IsRevoked(sid, sub, issuedAt) || (!firstParty && (revocations.IsRevoked(clientId, issuedAt) || revocations.IsRevoked(jti, issuedAt))))
            return Invalid(scheme, "The access token was revoked.");

        var scopes = (claims.FindFirst("scope")?.Value ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var role = claims.FindFirst("role")?.Value;
        if (firstParty)
            return AuthOutcome.Success(new Caller(CallerKind.User, org, scopes, UserId: sub, Role: role, SessionId: sid, ClientId: clientId));
        // A client_credentials token's subject is the client itself (RFC 9068 §2.2): no user.
        var delegated = sub != clientId;
        return AuthOutcome.Success(new Caller(CallerKind.OAuthClient, org, scopes, UserId: delegated ? sub : null, Role: role,
            SessionId: sid, ClientId: clientId));
    }

    /// <summary>
    /// An OAuth access token of <paramref name="issuer"/> that is still good — signature, lifetime, issuer and audience,
    /// not revoked — read for introspection (RFC 7662) and revocation (RFC 7009); null otherwise. No proof of possession
    /// is asked: the caller is the client the token was issued to, authenticated, not its bearer.
    /// </summary>
    public async Task<JsonWebToken?> ReadOAuthTokenAsync(string token, string issuer, CancellationToken cancellationToken)
    {
        if (token.Length > 16384 || !Handler.CanReadToken(token)) return null;
        JsonWebToken jwt;
        try { jwt = Handler.ReadJsonWebToken(token); }
        catch (ArgumentException) { return null; }
        await ring.EnsureKnownAsync(jwt.Kid, cancellationToken);
        var result = await Handler.ValidateTokenAsync(token, _parameters ??= tokens.ValidationParameters());
        if (!result.IsValid || jwt.Issuer != issuer || !jwt.Audiences.Contains(OAuthIssuer.Audience(issuer))) return null;
        if (!jwt.TryGetPayloadValue<string>("client_id", out var clientId) || clientId == AccessTokenService.FirstPartyClientId) return null;
        if (!TryIssuedAt(jwt.Id, out var issuedAt)) return null;
        var sid = jwt.TryGetPayloadValue<string>("sid", out var s) ? s : null;
        return revocations.IsRevoked(sid, jwt.Subject, issuedAt) || revocations.IsRevoked(clientId, issuedAt) || revocations.IsRevoked(jwt.Id, issuedAt)
            ? null : jwt;
    }

    /// <summary>The <c>cnf.jkt</c> of a DPoP-bound token (RFC 9449 §6.1), null when unbound.</summary>
    public static string? Thumbprint(JsonWebToken jwt) =>
        jwt.TryGetPayloadValue<System.Text.Json.JsonElement>("cnf", out var cnf) && cnf.ValueKind == System.Text.Json.JsonValueKind.Object
            && cnf.TryGetProperty("jkt", out var jkt) && jkt.ValueKind == System.Text.Json.JsonValueKind.String ? jkt.GetString() : null;

    private static AuthOutcome Invalid(TokenScheme scheme, string detail) => scheme == TokenScheme.DPoP
        ? Fail(ErrorCodes.InvalidToken, detail, "invalid_token")
        : AuthOutcome.Fail(ErrorCodes.InvalidToken, detail);

    /// <summary>A refusal under the DPoP scheme (RFC 9449 §7.1): <c>WWW-Authenticate: DPoP error=…, algs=…</c>.</summary>
    private static AuthOutcome Fail(string code, string detail, string error) =>
        AuthOutcome.Fail(code, detail, challenge: $"DPoP realm=\"switchboard\", error=\"{error}\", error_description=\"{detail}\", algs=\"ES256 RS256 PS256\"");

    /// <summary>Reads the millisecond timestamp of a ULID-based jti (<c>at_01J…</c>).</summary>
    internal static bool TryIssuedAt(string jti, out DateTime issuedAt)
    {
        issuedAt = default;
        var underscore = jti.IndexOf('_', StringComparison.Ordinal);
        if (underscore < 0 || jti.Length - underscore - 1 != Ids.UlidLength) return false;
        long ms = 0;
        foreach (var c in jti.AsSpan(underscore + 1, 10))
        {
            var v = "0123456789ABCDEFGHJKMNPQRSTVWXYZ".IndexOf(c, StringComparison.Ordinal);
            if (v < 0) return false;
            ms = (ms << 5) | (uint)v;
        }
        issuedAt = DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime;
        return true;
    }
}

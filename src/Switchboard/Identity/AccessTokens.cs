using System.Security.Claims;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
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

    public string Create(string userId, string organizationId, string role, IReadOnlyCollection<string> scopes, string sessionId, string clientId = FirstPartyClientId)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var issuer = options.Value.Auth.Issuer;
        var descriptor = new SecurityTokenDescriptor
        {
            TokenType = "at+jwt",
            Issuer = issuer,
            Audience = issuer,
            IssuedAt = now,
            NotBefore = now,
            Expires = now.AddSeconds(LifetimeSeconds),
            SigningCredentials = ring.GetSigningCredentials(),
            Claims = new Dictionary<string, object>
            {
                ["sub"] = userId,
                ["client_id"] = clientId,
                ["jti"] = Ids.New("at", time),
                ["org"] = organizationId,
                ["role"] = role,
                ["sid"] = sessionId,
                ["scope"] = string.Join(' ', scopes),
            },
        };
        return Handler.CreateToken(descriptor);
    }

    internal TokenValidationParameters ValidationParameters() => new()
    {
        ValidIssuer = options.Value.Auth.Issuer,
        ValidAudience = options.Value.Auth.Issuer,
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

/// <summary>Turns a bearer JWT into a <see cref="Caller"/>, refusing bad signatures, expired and revoked tokens.</summary>
public sealed class AccessTokenValidator(AccessTokenService tokens, SigningKeyRing ring, AuthInvalidationFeed revocations, TimeProvider time)
{
    private static readonly JsonWebTokenHandler Handler = new() { MapInboundClaims = false };
    private TokenValidationParameters? _parameters;

    public async ValueTask<AuthOutcome> ValidateAsync(string token, CancellationToken cancellationToken)
    {
        if (!Handler.CanReadToken(token)) return Invalid("The bearer token is neither an API key nor a JWT.");
        JsonWebToken jwt;
        try { jwt = Handler.ReadJsonWebToken(token); }
        catch (ArgumentException) { return Invalid("The bearer token is malformed."); }

        await ring.EnsureKnownAsync(jwt.Kid, cancellationToken);
        var result = await Handler.ValidateTokenAsync(token, _parameters ??= tokens.ValidationParameters());
        if (!result.IsValid)
            return Invalid(jwt.ValidTo != DateTime.MinValue && jwt.ValidTo <= time.GetUtcNow().UtcDateTime
                ? "The access token has expired." : "The access token is invalid.");

        var claims = result.ClaimsIdentity;
        var sub = claims.FindFirst("sub")?.Value;
        var org = claims.FindFirst("org")?.Value;
        var jti = claims.FindFirst("jti")?.Value;
        if (sub is null || org is null || jti is null || !TryIssuedAt(jti, out var issuedAt)) return Invalid("The access token lacks required claims.");
        var sid = claims.FindFirst("sid")?.Value;
        if (revocations.IsRevoked(sid, sub, issuedAt)) return Invalid("The access token was revoked.");

        var scopes = (claims.FindFirst("scope")?.Value ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var clientId = claims.FindFirst("client_id")?.Value;
        var kind = clientId == AccessTokenService.FirstPartyClientId ? CallerKind.User : CallerKind.OAuthClient;
        return AuthOutcome.Success(new Caller(kind, org, scopes, UserId: sub, Role: claims.FindFirst("role")?.Value,
            SessionId: sid, ClientId: clientId));
    }

    private static AuthOutcome Invalid(string detail) => AuthOutcome.Fail(ErrorCodes.InvalidToken, detail);

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

using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Switchboard.Platform;
using Switchboard.Platform.Security;

namespace Switchboard.OAuth.Protocol;

/// <summary>A checked DPoP proof: the RFC 7638 thumbprint of its public key.</summary>
public readonly record struct DpopProof(string Jkt);

/// <summary>
/// Checks DPoP proofs (RFC 9449 §4.3) at the token endpoint and at the API: one <c>DPoP</c> header holding a JWT with
/// <c>typ: dpop+jwt</c>, an asymmetric <c>alg</c> (ES256, RS256, PS256) and a public <c>jwk</c> (no private members) in
/// its header, signed by that key; <c>htm</c> equal to the request's method, <c>htu</c> to its URL without query and
/// fragment; <c>iat</c> within <see cref="OAuthOptions.DpopProofWindowSeconds"/> of now; a <c>jti</c> not seen before
/// (<see cref="ReplayCache"/>); and at the API, <c>ath</c> equal to the base64url SHA-256 of the access token (§7).
/// Server nonces (§8) are not required.
/// </summary>
public sealed class DpopProofs(ReplayCache replays, OAuthIssuer issuers, IOptions<SwitchboardOptions> options, TimeProvider time)
{
    public static readonly string[] Algorithms = [SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSsaPssSha256];
    private static readonly JsonWebTokenHandler Handler = new() { MapInboundClaims = false };
    private static readonly string[] PrivateMembers = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

    /// <summary>Whether the request carries a DPoP header at all.</summary>
    public static bool Present(HttpContext http) => http.Request.Headers.ContainsKey("DPoP");

    /// <summary>Checks the request's proof; <paramref name="accessToken"/> is the token it must be bound to (<c>ath</c>) at the API.</summary>
    public async Task<(DpopProof? Proof, string? Error)> ValidateAsync(HttpContext http, string? accessToken, CancellationToken ct)
    {
        var headers = http.Request.Headers["DPoP"];
        if (headers.Count != 1 || string.IsNullOrEmpty(headers[0])) return Fail("Send exactly one DPoP header.");
        var proof = headers[0]!;
        if (proof.Length > 8192 || !Handler.CanReadToken(proof)) return Fail("The DPoP proof is not a JWT.");
        JsonWebToken jwt;
        try { jwt = Handler.ReadJsonWebToken(proof); }
        catch (ArgumentException) { return Fail("The DPoP proof is not a JWT."); }

        if (jwt.Typ != "dpop+jwt") return Fail("The DPoP proof's typ must be dpop+jwt.");
        if (!Algorithms.Contains(jwt.Alg)) return Fail("The DPoP proof's alg must be one of ES256, RS256, PS256.");
        if (!jwt.TryGetHeaderValue<JsonElement>("jwk", out var jwkElement) || jwkElement.ValueKind != JsonValueKind.Object)
            return Fail("The DPoP proof's header must hold the public key as jwk.");
        var (key, jkt, keyError) = PublicKey(jwkElement, jwt.Alg);
        if (key is null) return Fail(keyError!);

        var result = await Handler.ValidateTokenAsync(proof, new TokenValidationParameters
        {
            IssuerSigningKey = key, ValidateIssuer = false, ValidateAudience = false, ValidateLifetime = false,
            RequireExpirationTime = false, RequireSignedTokens = true, ValidTypes = ["dpop+jwt"], ValidAlgorithms = Algorithms,
            ValidateIssuerSigningKey = false,
        });
        if (!result.IsValid) return Fail("The DPoP proof's signature does not verify with its jwk.");

        if (!jwt.TryGetPayloadValue<string>("htm", out var htm) || htm != http.Request.Method)
            return Fail("The DPoP proof's htm must be the request's method.");
        if (!jwt.TryGetPayloadValue<string>("htu", out var htu) || !SameUrl(htu, issuers.RequestUrl(http)))
            return Fail("The DPoP proof's htu must be this request's URL, without query and fragment.");
        if (!jwt.TryGetPayloadValue<long>("iat", out var iat)) return Fail("The DPoP proof has no iat.");
        var window = options.Value.OAuth.DpopProofWindowSeconds;
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        if (Math.Abs(now - iat) > window) return Fail($"The DPoP proof's iat is more than {window} s from the server's time.");
        if (!jwt.TryGetPayloadValue<string>("jti", out var jti) || string.IsNullOrEmpty(jti) || jti.Length > 256)
            return Fail("The DPoP proof needs a jti (at most 256 characters).");
        if (accessToken is not null)
        {
            if (!jwt.TryGetPayloadValue<string>("ath", out var ath) || !SecretHash.FixedTimeEquals(ath, Ath(accessToken)))
                return Fail("The DPoP proof's ath must be the base64url SHA-256 of the access token.");
        }
        // Remembered for the whole span in which the same proof would pass the iat check.
        if (!await replays.FirstUseAsync("dpop", jkt + " " + jti, TimeSpan.FromSeconds(2 * window + 1), ct))
            return Fail("This DPoP proof was already used; send a new proof with each request.");
        return (new DpopProof(jkt), null);
    }

    private static (DpopProof?, string?) Fail(string error) => (null, error);

    /// <summary>RFC 9449 §4.2: <c>ath</c> is the base64url SHA-256 of the ASCII access token.</summary>
    public static string Ath(string accessToken) => Base64Url.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(accessToken)));

    /// <summary>
    /// The proof's public key, its RFC 7638 thumbprint, or why it is refused: EC P-256 for ES256, RSA of at least 2048 bits
    /// for RS256/PS256, with no private member (RFC 9449 §4.3 item 7).
    /// </summary>
    public static (SecurityKey? Key, string Jkt, string? Error) PublicKey(JsonElement jwk, string alg)
    {
        foreach (var member in PrivateMembers)
            if (jwk.TryGetProperty(member, out _)) return (null, "", "The DPoP proof's jwk must not hold a private key.");
        string? Member(string name) => jwk.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        try
        {
            switch (Member("kty"))
            {
                case "EC" when alg == SecurityAlgorithms.EcdsaSha256:
                    {
                        if (Member("crv") != "P-256" || Member("x") is not { } x || Member("y") is not { } y)
                            return (null, "", "An ES256 jwk must be an EC P-256 key with x and y.");
                        var (qx, qy) = (Base64Url.Decode(x), Base64Url.Decode(y));
                        if (qx.Length != 32 || qy.Length != 32) return (null, "", "An ES256 jwk's x and y must be 32 bytes each.");
                        var ecdsa = ECDsa.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, Q = new ECPoint { X = qx, Y = qy } });
                        return (new ECDsaSecurityKey(ecdsa), Thumbprint($$"""{"crv":"P-256","kty":"EC","x":"{{Base64Url.Encode(qx)}}","y":"{{Base64Url.Encode(qy)}}"}"""), null);
                    }
                case "RSA" when alg is SecurityAlgorithms.RsaSha256 or SecurityAlgorithms.RsaSsaPssSha256:
                    {
                        if (Member("n") is not { } n || Member("e") is not { } e) return (null, "", "An RSA jwk needs n and e.");
                        var modulus = Base64Url.Decode(n);
                        if (modulus.Length < 256) return (null, "", "An RSA jwk must be at least 2048 bits.");
                        var exponent = Base64Url.Decode(e);
                        var rsa = RSA.Create(new RSAParameters { Modulus = modulus, Exponent = exponent });
                        return (new RsaSecurityKey(rsa), Thumbprint($$"""{"e":"{{Base64Url.Encode(exponent)}}","kty":"RSA","n":"{{Base64Url.Encode(modulus)}}"}"""), null);
                    }
                default:
                    return (null, "", "The jwk's key type does not match the proof's alg.");
            }
        }
        catch (Exception ex) when (ex is CryptographicException or FormatException or ArgumentException)
        {
            return (null, "", "The DPoP proof's jwk is not a valid public key.");
        }
    }

    /// <summary>RFC 7638 §3: the base64url SHA-256 of the required members in lexicographic order, without whitespace.</summary>
    private static string Thumbprint(string canonicalJson) => Base64Url.Encode(SHA256.HashData(Encoding.UTF8.GetBytes(canonicalJson)));

    /// <summary>
    /// RFC 9449 §4.3 item 9: htu matches the request's URI without query and fragment, after syntax-based normalization
    /// (RFC 3986 §6.2.2, §6.2.3): scheme and host case, default port, empty path.
    /// </summary>
    internal static bool SameUrl(string htu, string expected)
    {
        if (!Uri.TryCreate(htu, UriKind.Absolute, out var a) || !Uri.TryCreate(expected, UriKind.Absolute, out var b)) return false;
        return string.Equals(a.Scheme, b.Scheme, StringComparison.OrdinalIgnoreCase)
            && string.Equals(a.IdnHost, b.IdnHost, StringComparison.OrdinalIgnoreCase)
            && a.Port == b.Port
            && string.Equals(a.AbsolutePath, b.AbsolutePath, StringComparison.Ordinal);
    }
}

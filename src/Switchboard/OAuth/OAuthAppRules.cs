using System.Security.Cryptography;
using Switchboard.Platform.Security;

namespace Switchboard.OAuth;

/// <summary>
/// What an app may register: redirect URIs (RFC 6749 §3.1.2, RFC 8252, RFC 9700 §4.1), the JWK Set of its
/// <c>private_key_jwt</c> keys (RFC 7517, RFC 7523 §2.2) and its web addresses. Each check answers null when the value is
/// acceptable, else the message to show for the field.
/// </summary>
public static class OAuthAppRules
{
    public const int MaxRedirectUris = 10;
    public const int MaxRedirectUriLength = 1000;
    public const int MaxUrlLength = 2000;
    public const int MaxKeys = 10;
    public const int MinRsaBits = 2048;
    public const int MaxRsaBits = 8192;

    /// <summary>
    /// A redirect URI is an absolute URI without a fragment (RFC 6749 §3.1.2) and without user information, of one of
    /// three kinds: <c>https</c> (any host); <c>http</c> on a loopback IP literal only, <c>127.0.0.1</c> or <c>[::1]</c>,
    /// for native apps (RFC 8252 §7.3; the name <c>localhost</c> is not, RFC 8252 §8.3 and RFC 9700 §2.1: it can resolve
    /// elsewhere; the port may differ at request time); or a private-use scheme in reverse-domain form (<c>com.example.app:/callback</c>, RFC 8252 §7.1), which must
    /// contain a period so that it names a domain the developer controls and cannot be a well-known scheme such as
    /// <c>javascript</c> or <c>data</c>. Redirect URIs are matched exactly (RFC 9700 §4.1.3), so they are stored as given.
    /// </summary>
    public static string? CheckRedirectUri(string? value)
    {
        if (string.IsNullOrEmpty(value)) return "Must be an absolute URI.";
        if (value.Length > MaxRedirectUriLength) return $"Must be at most {MaxRedirectUriLength} characters.";
        if (value.Any(c => c <= ' ' || c == '\u007f' || c > '~'))
            return "Must be a URI of visible ASCII characters (percent-encode anything else), without spaces.";
        // On Unix .NET takes "/callback" for an absolute file: URI; an absolute URI starts with its scheme (RFC 3986 §4.3).
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || !value.StartsWith(uri.Scheme + ":", StringComparison.OrdinalIgnoreCase))
            return "Must be an absolute URI.";
        if (value.Contains('#', StringComparison.Ordinal)) return "Must not contain a fragment (RFC 6749 §3.1.2).";
        if (uri.UserInfo.Length > 0) return "Must not contain user information (user@host).";
        switch (uri.Scheme)
        {
            case "https":
                return uri.Host.Length == 0 ? "An https redirect URI must name a host." : null;
            case "http":
                return IsLoopback(uri) ? null
                    : "http is allowed only on a loopback IP literal (http://127.0.0.1 or http://[::1], RFC 8252 §7.3; not localhost, §8.3); use https.";
            default:
                return IsPrivateUseScheme(uri.Scheme) ? null
                    : "Use https, http on a loopback address, or a private-use scheme in reverse-domain form such as com.example.app:/callback (RFC 8252 §7.1).";
        }
    }

    /// <summary>A loopback redirect: the IPv4 or IPv6 loopback literal as written, <c>127.0.0.1</c> or <c>[::1]</c> (RFC 8252 §7.3, §8.3).</summary>
    public static bool IsLoopback(Uri uri) => uri.HostNameType switch
    {
        UriHostNameType.IPv4 => uri.Host == "127.0.0.1",
        UriHostNameType.IPv6 => uri.Host == "[::1]",
        _ => false,
    };

    /// <summary>A scheme like <c>com.example.app</c>: at least two non-empty dot-separated labels of letters, digits, '+' and '-'.</summary>
    private static bool IsPrivateUseScheme(string scheme)
    {
        var labels = scheme.Split('.');
        return labels.Length >= 2 && labels.All(l => l.Length > 0 && l.All(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '-'))
            && char.IsAsciiLetter(scheme[0]);
    }

    /// <summary>A homepage or logo: an absolute https URL without user information.</summary>
    public static string? CheckWebUrl(string? value)
    {
        if (value is null) return null;
        if (value.Length > MaxUrlLength) return $"Must be at most {MaxUrlLength} characters.";
        if (value.Any(c => c <= ' ' || c == '\u007f')) return "Must be an https URL without spaces or control characters.";
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme != "https" || uri.Host.Length == 0)
            return "Must be an absolute https URL.";
        return uri.UserInfo.Length > 0 ? "Must not contain user information (user@host)." : null;
    }

    /// <summary>Members that belong to private or symmetric keys (RFC 7518 §6.2.2, §6.3.2, §6.4): never sent to us.</summary>
    private static readonly string[] PrivateMembers = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

    private static readonly string[] RsaAlgorithms = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"];

    /// <summary>
    /// A JWK Set (RFC 7517 §5) of 1 to <see cref="MaxKeys"/> public signing keys for <c>private_key_jwt</c>: EC keys on
    /// P-256 (<c>ES256</c>) whose point is on the curve, or RSA keys of <see cref="MinRsaBits"/> to <see cref="MaxRsaBits"/>
    /// bits with an odd public exponent. A key with a private member (<c>d</c>, the RSA primes, <c>k</c>…) is refused:
    /// whoever holds the set must not be able to sign. <c>use</c>, when present, is <c>sig</c>; <c>kid</c>s are distinct
    /// and required when there are several keys, so that a client assertion's <c>kid</c> picks one.
    /// </summary>
    public static IEnumerable<(string Field, string Message)> CheckJwks(JwkSet jwks)
    {
        if (jwks.Keys is null || jwks.Keys.Count == 0)
        {
            yield return ("jwks.keys", "A JWK Set needs at least one key (RFC 7517 §5).");
            yield break;
        }
        if (jwks.Keys.Count > MaxKeys)
        {
            yield return ("jwks.keys", $"At most {MaxKeys} keys.");
            yield break;
        }
        var kids = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < jwks.Keys.Count; i++)
        {
            var field = $"jwks.keys[{i}]";
            if (jwks.Keys[i] is not { } key)
            {
                yield return (field, "Must be a JWK object, not null.");
                continue;
            }
            if (key.Other?.Keys.FirstOrDefault(m => PrivateMembers.Contains(m, StringComparer.Ordinal)) is { } secret)
            {
                yield return (field, $"Contains the private member '{secret}': register public keys only, and keep the private key with the app.");
                continue;
            }
            if (key.Kid is not null && (key.Kid.Length is 0 or > 200)) yield return (field + ".kid", "Must be 1 to 200 characters.");
            else if (key.Kid is not null && !kids.Add(key.Kid)) yield return (field + ".kid", "Key ids must be distinct.");
            else if (key.Kid is null && jwks.Keys.Count > 1) yield return (field + ".kid", "Is required when the set has several keys.");
            if (key.Use is not null && key.Use != "sig") yield return (field + ".use", "Must be sig: these keys sign client assertions.");
            switch (key.Kty)
            {
                case "EC":
                    if (key.Crv != "P-256") yield return (field + ".crv", "Must be P-256 (ES256).");
                    else if (key.Alg is not null && key.Alg != "ES256") yield return (field + ".alg", "Must be ES256 for a P-256 key.");
                    else if (!IsP256Point(key.X, key.Y)) yield return (field, "x and y must be the base64url coordinates (32 bytes each) of a point on P-256.");
                    break;
                case "RSA":
                    if (key.Alg is not null && !RsaAlgorithms.Contains(key.Alg, StringComparer.Ordinal))
                        yield return (field + ".alg", $"Must be one of {string.Join(", ", RsaAlgorithms)}.");
                    else if (ModulusBits(key.N) is not (>= MinRsaBits and <= MaxRsaBits))
                        yield return (field + ".n", $"Must be the base64url modulus of a {MinRsaBits}- to {MaxRsaBits}-bit RSA key.");
                    else if (!IsPublicExponent(key.E)) yield return (field + ".e", "Must be the base64url of an odd public exponent of at least 3 (usually AQAB).");
                    break;
                default:
                    yield return (field + ".kty", "Must be EC (P-256) or RSA.");
                    break;
            }
        }
    }

    /// <summary>The set with only the public members this server reads, as stored in <see cref="OAuthApp.Jwks"/>.</summary>
    public static string Serialize(JwkSet jwks) =>
        System.Text.Json.JsonSerializer.Serialize(new JwkSet(jwks.Keys!.Select(k => k! with { Other = null }).ToList()), JwkJson);

    public static JwkSet? Deserialize(string? stored) =>
        stored is null ? null : System.Text.Json.JsonSerializer.Deserialize<JwkSet>(stored, JwkJson);

    private static readonly System.Text.Json.JsonSerializerOptions JwkJson = new(System.Text.Json.JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    private static byte[]? Decode(string? value)
    {
        if (string.IsNullOrEmpty(value) || value.Length > 2000) return null;
        try { return Base64Url.Decode(value); }
        catch (FormatException) { return null; }
    }

    private static bool IsP256Point(string? x, string? y)
    {
        if (Decode(x) is not { Length: 32 } qx || Decode(y) is not { Length: 32 } qy) return false;
        try
        {
            using var ec = ECDsa.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, Q = new ECPoint { X = qx, Y = qy } });
            return true;
        }
        catch (CryptographicException) { return false; }
    }

    private static int ModulusBits(string? n)
    {
        if (Decode(n) is not { Length: > 0 } modulus || modulus[0] == 0) return 0; // base64urlUInt has no leading zero octets (RFC 7518 §2)
        return (modulus.Length - 1) * 8 + (32 - System.Numerics.BitOperations.LeadingZeroCount((uint)modulus[0]));
    }

    private static bool IsPublicExponent(string? e)
    {
        if (Decode(e) is not { Length: > 0 and <= 8 } exponent || exponent[0] == 0) return false;
        return (exponent[^1] & 1) == 1 && (exponent.Length > 1 || exponent[0] >= 3);
    }
}

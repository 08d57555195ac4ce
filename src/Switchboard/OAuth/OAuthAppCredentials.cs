using System.Buffers;
using Switchboard.Platform.Security;

namespace Switchboard.OAuth;

/// <summary>
/// The client credentials of an <see cref="OAuthApp"/> (RFC 6749 §2.2, §2.3.1). The <c>client_id</c> is <c>sbc_</c> + 24
/// base64url characters (18 random bytes): public, unique, unguessable enough that a list of apps cannot be walked. The
/// client secret is <c>sbs_</c> + 43 base64url characters (32 random bytes, 256 bits): with that much entropy a SHA-256
/// is the right hash at rest (<see cref="SecretHash"/>; nothing to brute-force, and the token endpoint pays one hash, not
/// a PBKDF2, per client authentication). The prefixes let secret scanners recognize leaked credentials.
/// </summary>
public static class OAuthAppCredentials
{
    public const string ClientIdPrefix = "sbc_";
    public const string SecretPrefix = "sbs_";
    public const int ClientIdLength = 4 + 24;
    public const int SecretLength = 4 + 43;
    /// <summary>How much of a secret responses show (<c>secretPrefix</c>): the marker and 8 random characters.</summary>
    public const int DisplayPrefixLength = 12;

    private static readonly SearchValues<char> Base64UrlChars =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");

    public static string NewClientId() => ClientIdPrefix + SecretHash.RandomToken(18);

    public static string NewSecret() => SecretPrefix + SecretHash.RandomToken(32);

    public static string DisplayPrefix(string secret) => secret[..DisplayPrefixLength];

    /// <summary>Whether <paramref name="clientId"/> has the shape of a client id (checked before any look-up).</summary>
    public static bool IsClientIdWellFormed(string? clientId) =>
        clientId is { Length: ClientIdLength } && clientId.StartsWith(ClientIdPrefix, StringComparison.Ordinal)
        && clientId.AsSpan(ClientIdPrefix.Length).IndexOfAnyExcept(Base64UrlChars) < 0;

    /// <summary>Whether <paramref name="secret"/> has the shape of a client secret (checked before hashing).</summary>
    public static bool IsSecretWellFormed(string? secret) =>
        secret is { Length: SecretLength } && secret.StartsWith(SecretPrefix, StringComparison.Ordinal)
        && secret.AsSpan(SecretPrefix.Length).IndexOfAnyExcept(Base64UrlChars) < 0;

    /// <summary>
    /// Whether <paramref name="presented"/> is the app's current secret, or its previous one while the rotation grace
    /// lasts (<see cref="OAuthApp.PreviousSecretExpiresAt"/>). The digests are compared in constant time (RFC 6749 §10.10
    /// asks that guessing be infeasible; no timing may tell how much of a digest matched). A public app has no secret.
    /// </summary>
    public static bool Matches(OAuthApp app, string? presented, DateTime now)
    {
        if (app.SecretHash is null || !IsSecretWellFormed(presented)) return false;
        var digest = SecretHash.Sha256Hex(presented!);
        var current = SecretHash.FixedTimeEquals(digest, app.SecretHash);
        var previous = app.PreviousSecretHash is not null && app.PreviousSecretExpiresAt > now
            && SecretHash.FixedTimeEquals(digest, app.PreviousSecretHash);
        return current | previous;
    }

    /// <summary>A client secret with the stored digest and the display prefix of a new or rotated secret.</summary>
    public static (string Secret, string Hash, string Prefix) Generate()
    {
        var secret = NewSecret();
        return (secret, SecretHash.Sha256Hex(secret), DisplayPrefix(secret));
    }
}

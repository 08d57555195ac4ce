using System.Security.Cryptography;
using System.Text;

namespace Switchboard.Platform.Security;

/// <summary>
/// Hashes high-entropy secrets (API keys, refresh tokens) for storage and lookup. A fast hash is right here:
/// with ≥ 160 random bits there is nothing to brute-force, unlike passwords (see <see cref="Identity.PasswordHasher"/>).
/// </summary>
public static class SecretHash
{
    public static string Sha256Hex(string secret)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(secret), hash);
        return Convert.ToHexStringLower(hash);
    }

    /// <summary>Constant-time comparison, so timing reveals nothing about how much of a secret matched.</summary>
    public static bool FixedTimeEquals(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));

    /// <summary>URL-safe random token of <paramref name="bytes"/> random bytes.</summary>
    public static string RandomToken(int bytes = 32) => Base64Url.Encode(RandomNumberGenerator.GetBytes(bytes));
}

public static class Base64Url
{
    public static string Encode(ReadOnlySpan<byte> data) => System.Buffers.Text.Base64Url.EncodeToString(data);
    public static byte[] Decode(string text) => System.Buffers.Text.Base64Url.DecodeFromChars(text);
}

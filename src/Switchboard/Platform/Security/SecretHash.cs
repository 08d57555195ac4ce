using System.Security.Cryptography;
using System.Text;

namespace Switchboard.Platform.Security;

/// <summary>
/// Hashes high-entropy secrets (API keys, refresh tokens) for storage and lookup. A fast hash is right here:
/// with ≥ 160 random bits there is nothing to brute-force, unlike passwords (see <see cref="Identity.PasswordHasher"/>).
/// </summary>
public static class SecretHash
{
    public static string Sha256Hex(string secret) => Sha256(secret).ToHex();

    /// <summary>The SHA-256 of the secret's UTF-8 as a value, for in-memory lookups that need no string of it.</summary>
    public static Sha256Digest Sha256(string secret)
    {
        var utf8 = secret.Length <= 256 ? stackalloc byte[768] : new byte[Encoding.UTF8.GetMaxByteCount(secret.Length)];
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(utf8[..Encoding.UTF8.GetBytes(secret, utf8)], hash);
        return Sha256Digest.From(hash);
    }

    /// <summary>Constant-time comparison, so timing reveals nothing about how much of a secret matched.</summary>
    public static bool FixedTimeEquals(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));

    /// <summary>URL-safe random token of <paramref name="bytes"/> random bytes.</summary>
    public static string RandomToken(int bytes = 32) => Base64Url.Encode(RandomNumberGenerator.GetBytes(bytes));
}

/// <summary>A SHA-256 digest by value: four words, compared and hashed without a string.</summary>
public readonly record struct Sha256Digest(ulong A, ulong B, ulong C, ulong D)
{
    public static Sha256Digest From(ReadOnlySpan<byte> hash) => new(
        System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(hash), System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(hash[8..]),
        System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(hash[16..]), System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(hash[24..]));

    /// <summary>Lower-case hex, as the digests are stored.</summary>
    public string ToHex()
    {
        Span<byte> hash = stackalloc byte[32];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(hash, A);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(hash[8..], B);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(hash[16..], C);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(hash[24..], D);
        return Convert.ToHexStringLower(hash);
    }
}

public static class Base64Url
{
    public static string Encode(ReadOnlySpan<byte> data) => System.Buffers.Text.Base64Url.EncodeToString(data);
    public static byte[] Decode(string text) => System.Buffers.Text.Base64Url.DecodeFromChars(text);
}

using System.Security.Cryptography;
using System.Text;

namespace Switchboard.ApiKeys;

/// <summary>
/// API key layout, modelled on GitHub's tokens: <c>sbk_</c> + 32 base62 random characters (190 bits) +
/// 6 base62 characters of CRC32 over everything before them. The prefix lets secret scanners find leaked keys;
/// the checksum refuses typos and random guesses without touching the database.
/// </summary>
public static class ApiKeyFormat
{
    public const string Prefix = "sbk_";
    public const int RandomLength = 32;
    public const int ChecksumLength = 6;
    public const int Length = 4 + RandomLength + ChecksumLength;
    /// <summary>How much of a key lists show (<c>keyPrefix</c>): the marker and 8 random characters.</summary>
    public const int DisplayPrefixLength = 12;
    private const string Base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    private static readonly System.Buffers.SearchValues<char> Base62Chars = System.Buffers.SearchValues.Create(Base62);

    public static string Generate()
    {
        var random = RandomNumberGenerator.GetString(Base62, RandomLength);
        var body = Prefix + random;
        return body + Checksum(body);
    }

    public static bool IsWellFormed(string? key)
    {
        if (key is null || key.Length != Length || !key.StartsWith(Prefix, StringComparison.Ordinal)) return false;
        if (key.AsSpan(Prefix.Length).IndexOfAnyExcept(Base62Chars) >= 0) return false;
        var body = key[..^ChecksumLength];
        return string.Equals(Checksum(body), key[^ChecksumLength..], StringComparison.Ordinal);
    }

    public static string DisplayPrefix(string key) => key[..DisplayPrefixLength];

    private static string Checksum(string body)
    {
        var crc = Crc32(Encoding.ASCII.GetBytes(body));
        Span<char> chars = stackalloc char[ChecksumLength];
        for (var i = ChecksumLength - 1; i >= 0; i--) { chars[i] = Base62[(int)(crc % 62)]; crc /= 62; }
        return new string(chars);
    }

    private static readonly uint[] Table = BuildTable();

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            var c = n;
            for (var k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[n] = c;
        }
        return table;
    }

    /// <summary>CRC-32 (ISO-HDLC, the zlib polynomial).</summary>
    internal static uint Crc32(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data) crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return crc ^ 0xFFFFFFFFu;
    }
}

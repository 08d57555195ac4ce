using System.Globalization;
using Microsoft.Net.Http.Headers;

namespace Switchboard.Platform.Http;

/// <summary>Strong entity tags (RFC 9110 §8.8.3) derived from a record's id and last change, and If-Match checks (§13.1.1).</summary>
public static class ETags
{
    public static string For(string id, DateTime updatedAt) => For(id, 0, updatedAt);

    /// <summary>The first 12 bytes of SHA-256 over <c>id:version:ticks</c>, in hex and quotes; made without intermediate strings or arrays.</summary>
    public static string For(string id, long version, DateTime updatedAt)
    {
        Span<byte> hash = stackalloc byte[32];
        var input = id.Length <= 64 ? stackalloc byte[256] : new byte[id.Length * 3 + 64];
        if (!System.Text.Unicode.Utf8.TryWrite(input, CultureInfo.InvariantCulture, $"{id}:{version}:{updatedAt.Ticks}", out var length))
            throw new InvalidOperationException("The entity tag input did not fit its buffer.");
        System.Security.Cryptography.SHA256.HashData(input[..length], hash);
        return string.Create(26, Tag.From(hash), static (chars, tag) =>
        {
            chars[0] = chars[25] = '"';
            Convert.TryToHexStringLower(tag.Span, chars[1..25], out _);
        });
    }

    /// <summary>The 12 bytes of a tag, by value, for <see cref="string.Create{TState}"/>.</summary>
    [System.Runtime.CompilerServices.InlineArray(12)]
    private struct Tag
    {
        private byte _first;

        public static Tag From(ReadOnlySpan<byte> hash)
        {
            var tag = new Tag();
            hash[..12].CopyTo(tag.Span);
            return tag;
        }

        public Span<byte> Span => System.Runtime.InteropServices.MemoryMarshal.CreateSpan(ref _first, 12);
    }

    /// <summary>
    /// RFC 9110 §13.1.2: If-None-Match holds <c>*</c> or a list of entity tags, compared weakly (a <c>W/</c> prefix is
    /// ignored), in one field line or several.
    /// </summary>
    public static bool IfNoneMatchHits(HttpRequest request, string currentETag)
    {
        foreach (var line in request.Headers.IfNoneMatch)
        {
            var rest = line.AsSpan();
            while (!rest.IsEmpty)
            {
                var comma = rest.IndexOf(',');
                var item = (comma < 0 ? rest : rest[..comma]).Trim(' ');
                rest = comma < 0 ? default : rest[(comma + 1)..];
                if (item is "*") return true;
                if (item.StartsWith("W/", StringComparison.Ordinal)) item = item[2..];
                if (item.SequenceEqual(currentETag)) return true;
            }
        }
        return false;
    }

    /// <summary>True when the request has no If-Match, or one of its tags (or <c>*</c>) matches.</summary>
    public static bool IfMatchSatisfied(HttpRequest request, string currentETag)
    {
        var header = request.Headers.IfMatch;
        if (header.Count == 0) return true;
        if (!EntityTagHeaderValue.TryParseList(header, out var tags)) return false;
        return tags.Any(t => t.Equals(EntityTagHeaderValue.Any) || (!t.IsWeak && t.Tag.Equals(currentETag, StringComparison.Ordinal)));
    }

    public static void Set(HttpResponse response, string etag) => response.Headers.ETag = etag;
}

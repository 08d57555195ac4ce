using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Net.Http.Headers;

namespace Switchboard.Platform.Http;

/// <summary>Strong entity tags (RFC 9110 §8.8.3) derived from a record's id and last change, and If-Match (§13.1.1) and If-None-Match (§13.1.2) checks.</summary>
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
        SHA256.HashData(input[..length], hash);
        Span<char> tag = stackalloc char[26];
        tag[0] = tag[25] = '"';
        Convert.TryToHexStringLower(hash[..12], tag[1..25], out _);
        return new string(tag);
    }

    /// <summary>True when the request has no If-Match, or one of its tags (or <c>*</c>) matches.</summary>
    public static bool IfMatchSatisfied(HttpRequest request, string currentETag)
    {
        var header = request.Headers.IfMatch;
        if (header.Count == 0) return true;
        if (!EntityTagHeaderValue.TryParseList(header, out var tags)) return false;
        return tags.Any(t => t.Equals(EntityTagHeaderValue.Any) || (!t.IsWeak && t.Tag.Equals(currentETag, StringComparison.Ordinal)));
    }

    /// <summary>
    /// RFC 9110 §13.1.2: If-None-Match holds <c>*</c> or a list of entity tags, compared weakly (a <c>W/</c> prefix is
    /// ignored), in one field line or several. A malformed field is ignored (no match), never an error.
    /// </summary>
    public static bool IfNoneMatchHits(HttpRequest request, string currentETag)
    {
        var header = request.Headers.IfNoneMatch;
        if (header.Count == 0) return false; // the usual request: nothing to parse
        if (!EntityTagHeaderValue.TryParseList(header, out var tags)) return false;
        foreach (var tag in tags)
            if (tag.Equals(EntityTagHeaderValue.Any) || tag.Tag.AsSpan().SequenceEqual(currentETag)) return true;
        return false;
    }

    public static void Set(HttpResponse response, string etag) => response.Headers.ETag = etag;
}

using Microsoft.Net.Http.Headers;

namespace Switchboard.Platform.Http;

/// <summary>Strong entity tags (RFC 9110 §8.8.3) derived from a record's id and last change, and If-Match checks (§13.1.1).</summary>
public static class ETags
{
    public static string For(string id, DateTime updatedAt) => For(id, 0, updatedAt);

    public static string For(string id, long version, DateTime updatedAt) =>
        $"\"{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{id}:{version}:{updatedAt.Ticks}")).AsSpan(0, 12))}\"";

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

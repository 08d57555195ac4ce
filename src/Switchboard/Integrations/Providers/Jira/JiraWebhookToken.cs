using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Switchboard.Integrations.Providers.Jira;

/// <summary>
/// How Jira authenticates the dynamic webhooks an OAuth 2.0 app registers
/// (https://developer.atlassian.com/cloud/jira/platform/webhooks/#webhooks-authentication-for-oauth-2-0-apps): an
/// <c>Authorization: Bearer &lt;JWT&gt;</c> header, the JWT signed HS256 (RFC 7515 / RFC 7519) with the app's client secret.
/// Verified here: the header's <c>alg</c> is HS256 (no <c>none</c>, no other algorithm), the signature over
/// <c>header.payload</c> matches in constant time, and <c>exp</c> is present and not past (with a minute of clock skew),
/// so a captured delivery cannot be replayed later.
/// </summary>
public static class JiraWebhookToken
{
    public static readonly TimeSpan Skew = TimeSpan.FromMinutes(1);

    public static bool Verify(string? authorization, string clientSecret, DateTimeOffset now)
    {
        if (string.IsNullOrEmpty(clientSecret) || authorization is null || !authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return false;
        var parts = authorization["Bearer ".Length..].Trim().Split('.');
        if (parts.Length != 3) return false;
        var header = Json(parts[0]);
        var payload = Json(parts[1]);
        var signature = Decode(parts[2]);
        if (header is null || payload is null || signature is null) return false;
        if (JiraErrors.Text(header["alg"]) != "HS256") return false;
        var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(clientSecret), Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]));
        if (!CryptographicOperations.FixedTimeEquals(expected, signature)) return false;
        return payload["exp"] is JsonValue exp && exp.TryGetValue<long>(out var expires) && DateTimeOffset.FromUnixTimeSeconds(expires) + Skew >= now;
    }

    private static JsonObject? Json(string part)
    {
        if (Decode(part) is not { } bytes) return null;
        try { return JsonNode.Parse(bytes) as JsonObject; }
        catch (System.Text.Json.JsonException) { return null; }
    }

    private static byte[]? Decode(string part)
    {
        if (part.Length == 0 || part.Length > 8192) return null;
        try { return Base64Url.DecodeFromChars(part); }
        catch (FormatException) { return null; }
    }
}

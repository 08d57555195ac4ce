using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Switchboard.Integrations.Providers.HubSpot;

/// <summary>
/// HubSpot's v3 request signature (https://developers.hubspot.com/docs/api/webhooks/validating-requests):
/// <c>X-HubSpot-Signature-v3</c> is base64(HMAC-SHA256(app client secret, method + URI + body + timestamp)), where the
/// timestamp is <c>X-HubSpot-Request-Timestamp</c> (epoch milliseconds) and the URI is the full URL HubSpot called with
/// a few percent-encoded characters decoded. A request older than five minutes is refused (a replay).
/// </summary>
public static class HubSpotSignature
{
    public const string SignatureHeader = "X-HubSpot-Signature-v3", TimestampHeader = "X-HubSpot-Request-Timestamp";
    public static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(5);

    /// <summary>The characters HubSpot decodes in the URI before signing.</summary>
    private static readonly (string Encoded, string Decoded)[] Decoded =
    [
        ("%3A", ":"), ("%2F", "/"), ("%3F", "?"), ("%40", "@"), ("%21", "!"), ("%24", "$"), ("%27", "'"), ("%28", "("), ("%29", ")"), ("%2A", "*"),
        ("%2C", ","), ("%3B", ";"),
    ];

    public static string Sign(string clientSecret, string method, string uri, byte[] body, string timestamp)
    {
        var source = Encoding.UTF8.GetBytes(method.ToUpperInvariant() + NormalizeUri(uri)).Concat(body).Concat(Encoding.UTF8.GetBytes(timestamp)).ToArray();
        return Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(clientSecret), source));
    }

    public static string NormalizeUri(string uri)
    {
        foreach (var (encoded, decoded) in Decoded) uri = uri.Replace(encoded, decoded, StringComparison.OrdinalIgnoreCase);
        return uri;
    }

    /// <summary>Whether the signature is HubSpot's and the request fresh; compared in constant time.</summary>
    public static bool Verify(string clientSecret, string method, string uri, byte[] body, string? timestamp, string? signature, DateTimeOffset now)
    {
        if (string.IsNullOrEmpty(signature) || !long.TryParse(timestamp, NumberStyles.Integer, CultureInfo.InvariantCulture, out var ms)) return false;
        if ((now - DateTimeOffset.FromUnixTimeMilliseconds(ms)).Duration() > MaxAge) return false;
        var expected = Encoding.ASCII.GetBytes(Sign(clientSecret, method, uri, body, timestamp!));
        return CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(signature));
    }
}

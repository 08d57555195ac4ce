using System.Security.Cryptography;
using System.Text;

namespace Switchboard.Webhooks;

/// <summary>
/// Standard Webhooks signatures (https://www.standardwebhooks.com, "Signature scheme"): the secret is <c>whsec_</c> +
/// base64 of its key bytes; <c>webhook-signature</c> is <c>v1,&lt;base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}"))&gt;</c>,
/// space-separated when several secrets are valid (during rotation). Also the simpler
/// <c>X-Webhook-Signature: sha256=&lt;hex HMAC-SHA256(key, body)&gt;</c>.
/// </summary>
public static class WebhookSignature
{
    public const string SecretPrefix = "whsec_";

    public static string NewSecret() => SecretPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public static bool IsValidSecret(string secret)
    {
        if (!secret.StartsWith(SecretPrefix, StringComparison.Ordinal)) return false;
        try { return Convert.FromBase64String(secret[SecretPrefix.Length..]).Length is >= 24 and <= 64; }
        catch (FormatException) { return false; }
    }

    public static byte[] KeyOf(string secret) => Convert.FromBase64String(secret[SecretPrefix.Length..]);

    public static string StandardSignature(string secret, string messageId, long timestamp, string body) =>
        "v1," + Convert.ToBase64String(HMACSHA256.HashData(KeyOf(secret), Encoding.UTF8.GetBytes($"{messageId}.{timestamp}.{body}")));

    public static string SimpleSignature(string secret, string body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(KeyOf(secret), Encoding.UTF8.GetBytes(body)));
}

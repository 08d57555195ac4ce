using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Switchboard.Client;

/// <summary>
/// Verifies the webhook deliveries of a Switchboard endpoint with its signing secret (<c>whsec_…</c>), as the Standard
/// Webhooks specification describes (https://www.standardwebhooks.com/, "Verifying webhook authenticity"): the signed
/// content is <c>{webhook-id}.{webhook-timestamp}.{raw body}</c>, HMAC-SHA256 keyed with the base64 after <c>whsec_</c>;
/// <c>webhook-signature</c> holds space-separated <c>v1,&lt;base64&gt;</c> signatures (several during a secret rotation),
/// any of which may match; a timestamp outside the tolerance is refused, which stops replays. Comparisons are constant-time.
/// </summary>
public sealed class WebhookVerifier
{
    private readonly byte[][] _keys;
    private readonly TimeProvider _time;

    /// <summary>A verifier for one secret, or several while a rotation is in progress.</summary>
    public WebhookVerifier(IEnumerable<string> secrets, TimeSpan? tolerance = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        _keys = secrets.Select(KeyOf).ToArray();
        if (_keys.Length == 0) throw new ArgumentException("At least one secret is needed.", nameof(secrets));
        Tolerance = tolerance ?? TimeSpan.FromMinutes(5);
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>A verifier for one secret.</summary>
    public WebhookVerifier(string secret, TimeSpan? tolerance = null, TimeProvider? timeProvider = null) : this([secret], tolerance, timeProvider)
    {
    }

    /// <summary>How far <c>webhook-timestamp</c> may be from now. Default 5 minutes.</summary>
    public TimeSpan Tolerance { get; }

    /// <summary>
    /// Checks a delivery and returns its event; throws <see cref="WebhookVerificationException"/> when it is not authentic.
    /// <paramref name="body"/> must be the raw body exactly as received (not re-serialized).
    /// </summary>
    public WebhookEvent Verify(string body, Func<string, string?> header)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(header);
        var id = header("webhook-id");
        var timestamp = header("webhook-timestamp");
        var signatures = header("webhook-signature");
        if (string.IsNullOrEmpty(id) || string.IsNullOrEmpty(timestamp) || string.IsNullOrEmpty(signatures))
            throw new WebhookVerificationException("The webhook-id, webhook-timestamp and webhook-signature headers are required.");
        if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
            throw new WebhookVerificationException("webhook-timestamp is not unix seconds.");
        var sent = DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(seconds, 0, 253402300799));
        if ((_time.GetUtcNow() - sent).Duration() > Tolerance)
            throw new WebhookVerificationException("webhook-timestamp is outside the tolerance: a replayed or delayed delivery.");

        var content = Encoding.UTF8.GetBytes($"{id}.{timestamp}.{body}");
        foreach (var key in _keys)
        {
            var expected = HMACSHA256.HashData(key, content);
            foreach (var part in signatures.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                if (!part.StartsWith("v1,", StringComparison.Ordinal)) continue;
                var given = new byte[32];
                if (Convert.TryFromBase64String(part[3..], given, out var written) && written == 32 && CryptographicOperations.FixedTimeEquals(given, expected))
                    return WebhookEvent.Parse(body);
            }
        }
        throw new WebhookVerificationException("No webhook-signature matches the body with this secret.");
    }

    /// <summary>Checks a delivery from an ASP.NET Core request's or an <see cref="HttpRequestMessage"/>'s headers.</summary>
    public WebhookEvent Verify(string body, IEnumerable<KeyValuePair<string, IEnumerable<string>>> headers)
    {
        var map = headers.ToDictionary(h => h.Key, h => string.Join(' ', h.Value), StringComparer.OrdinalIgnoreCase);
        return Verify(body, name => map.GetValueOrDefault(name));
    }

    /// <summary>
    /// The simple form, for receivers that cannot do the above: <c>X-Webhook-Signature: sha256=&lt;hex HMAC-SHA256 of the raw body&gt;</c>
    /// with the same key. It has no timestamp, so it does not stop replays.
    /// </summary>
    public bool VerifySimpleSignature(string body, string? signatureHeader)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (signatureHeader is null || !signatureHeader.StartsWith("sha256=", StringComparison.Ordinal)) return false;
        byte[] given;
        try
        {
            given = Convert.FromHexString(signatureHeader.AsSpan(7));
        }
        catch (FormatException)
        {
            return false;
        }
        var bytes = Encoding.UTF8.GetBytes(body);
        return _keys.Any(key => CryptographicOperations.FixedTimeEquals(given, HMACSHA256.HashData(key, bytes)));
    }

    private static byte[] KeyOf(string secret)
    {
        if (secret is null || !secret.StartsWith("whsec_", StringComparison.Ordinal))
            throw new ArgumentException("A webhook secret starts with whsec_.", nameof(secret));
        try
        {
            return Convert.FromBase64String(secret["whsec_".Length..]);
        }
        catch (FormatException e)
        {
            throw new ArgumentException("The webhook secret after whsec_ is not base64.", nameof(secret), e);
        }
    }
}

/// <summary>A delivery that is not authentic (bad signature, missing headers, or too old).</summary>
public sealed class WebhookVerificationException(string message) : SwitchboardException(message);

/// <summary>A verified delivery: <c>{ id, type, timestamp, data, previousAttributes }</c>.</summary>
public sealed record WebhookEvent
{
    /// <summary>The event's id (<c>evt_…</c>); the same across redeliveries, so use it to deduplicate.</summary>
    public string Id { get; init; } = "";
    /// <summary>The event type, e.g. <c>contact.created</c>.</summary>
    public string Type { get; init; } = "";
    /// <summary>When it happened.</summary>
    public DateTimeOffset Timestamp { get; init; }
    /// <summary>The resource.</summary>
    public System.Text.Json.Nodes.JsonObject? Data { get; init; }
    /// <summary>The changed fields' previous values (<c>*.updated</c> only).</summary>
    public System.Text.Json.Nodes.JsonObject? PreviousAttributes { get; init; }

    internal static WebhookEvent Parse(string body)
    {
        try
        {
            return System.Text.Json.JsonSerializer.Deserialize(body, SwitchboardJsonContext.Default.WebhookEvent)
                   ?? throw new WebhookVerificationException("The body is not an event.");
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new WebhookVerificationException("The body is not an event: " + e.Message);
        }
    }
}

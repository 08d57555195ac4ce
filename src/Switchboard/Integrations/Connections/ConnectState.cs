using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Switchboard.Platform.Security;

namespace Switchboard.Integrations.Connections;

/// <summary>
/// The <c>state</c> of an OAuth connection (RFC 6749 §10.12): everything the callback needs, sealed. It is stateless
/// (no table): encrypted and authenticated with the <see cref="SecretProtector"/> (AES-GCM) under its own purpose, so
/// the browser carries it to the provider and back, and any change to it fails to decrypt. It binds the callback to the
/// installation, organization and person (user or API key) that asked for the link, and holds the PKCE verifier
/// (RFC 7636 §4.1), which never reaches the provider's authorize endpoint, only its token endpoint.
/// </summary>
public sealed record ConnectState(
    [property: JsonPropertyName("i")] string InstallationId,
    [property: JsonPropertyName("o")] string OrganizationId,
    [property: JsonPropertyName("a")] string ActorType,
    [property: JsonPropertyName("u")] string? ActorId,
    [property: JsonPropertyName("r")] string RedirectUri,
    [property: JsonPropertyName("v")] string? CodeVerifier,
    [property: JsonPropertyName("b")] string? ReturnUrl,
    [property: JsonPropertyName("e")] long ExpiresAt)
{
    public const string Purpose = "integration-connect-state";

    public string Seal(SecretProtector protector) =>
        Base64Url.Encode(Encoding.UTF8.GetBytes(protector.Protect(JsonSerializer.Serialize(this), Purpose)));

    /// <summary>The state, or null when it was not made by this deployment, was altered, or has expired.</summary>
    public static ConnectState? Open(string? sealedState, SecretProtector protector, DateTimeOffset now)
    {
        if (string.IsNullOrEmpty(sealedState) || sealedState.Length > 4096) return null;
        try
        {
            var state = JsonSerializer.Deserialize<ConnectState>(protector.Unprotect(Encoding.UTF8.GetString(Base64Url.Decode(sealedState)), Purpose));
            return state is not null && state.ExpiresAt > now.ToUnixTimeSeconds() ? state : null;
        }
        catch (Exception ex) when (ex is CryptographicException or FormatException or JsonException or ArgumentException) { return null; }
    }

    /// <summary>A PKCE verifier: 32 random bytes, base64url (43 characters, RFC 7636 §4.1).</summary>
    public static string NewVerifier() => Base64Url.Encode(RandomNumberGenerator.GetBytes(32));

    /// <summary>The S256 challenge of a verifier (RFC 7636 §4.2).</summary>
    public static string Challenge(string verifier) => Base64Url.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
}

using System.Security.Cryptography;
using System.Text;
using Switchboard.Platform.Security;

namespace Switchboard.OAuth.Browser;

/// <summary>
/// Cross-site request forgery protection for the browser forms, as a synchronizer token that needs no server state:
/// HMAC-SHA256 over (form purpose, the cookie the form is bound to) with a key derived from the installation's
/// encryption key (OWASP CSRF Prevention Cheat Sheet, "signed double-submit cookie"). Every node derives the same key,
/// so a form rendered by one node posts to any other; a token is worth nothing without the HttpOnly cookie it is bound
/// to, which another site can neither read nor set (the <c>__Host-</c> prefix on https), and is good only for its
/// purpose (sign-in, sign-out, one consent request). ASP.NET Core's antiforgery is not used: its keys are per node
/// unless Data Protection is given a shared key store, which this installation does not have.
/// </summary>
public sealed class FormTokens(SecretProtector protector)
{
    public const string FieldName = "csrf";
    private readonly byte[] _key = protector.DeriveKey("switchboard/browser-forms/v1");

    public string For(string cookieValue, string purpose) => Base64Url.Encode(Mac(cookieValue, purpose));

    /// <summary>Whether <paramref name="presented"/> is this cookie's token for this purpose; compared in constant time.</summary>
    public bool IsValid(string? presented, string? cookieValue, string purpose)
    {
        if (string.IsNullOrEmpty(presented) || string.IsNullOrEmpty(cookieValue) || presented.Length > 64) return false;
        byte[] bytes;
        try { bytes = Base64Url.Decode(presented); }
        catch (FormatException) { return false; }
        return CryptographicOperations.FixedTimeEquals(bytes, Mac(cookieValue, purpose));
    }

    private byte[] Mac(string cookieValue, string purpose) =>
        // The purpose cannot contain a newline, so (purpose, cookie) pairs never collide.
        HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(purpose + "\n" + cookieValue));
}

using System.Globalization;
using Microsoft.Extensions.Primitives;

namespace Switchboard.OAuth.Protocol;

/// <summary>The parameters of an authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3, RFC 9449 §10), validated.</summary>
public sealed record AuthorizationParameters(OAuthApp App, string RedirectUri, IReadOnlyList<string> Scopes, string? State,
    string CodeChallenge, string? Nonce, string? DpopJkt, string? Prompt, int? MaxAge);

/// <summary>
/// Checks the parameters of an authorization request, at <c>/oauth/authorize</c> or pushed to <c>/oauth/par</c>. The
/// client and redirect URI are checked first and by themselves: until both are known good nothing may be sent to the
/// redirect URI (RFC 6749 §4.1.2.1, RFC 9700 §4.11: no open redirector); later faults are reported to the client there.
/// </summary>
public static class AuthorizationParameterRules
{
    public const int MaxStateLength = 2000;
    public const int MaxNonceLength = 500;
    private static readonly string[] KnownPrompts = ["none", "login", "consent", "select_account"];

    /// <summary>
    /// The fault before the redirect URI can be trusted (answered on a page of the server's own), null when none:
    /// a redirect URI missing, repeated, or not exactly one the app registered.
    /// </summary>
    public static OAuthError? CheckRedirectUri(OAuthApp app, IReadOnlyDictionary<string, StringValues> p, out string redirectUri)
    {
        redirectUri = "";
        if (!p.TryGetValue("redirect_uri", out var values) || values.Count == 0 || string.IsNullOrEmpty(values[0]))
            return OAuthError.InvalidRequest("redirect_uri is required.");
        if (values.Count > 1) return OAuthError.InvalidRequest("redirect_uri may be sent only once.");
        if (!RedirectUris.Matches(app.RedirectUris, values[0]!))
            return OAuthError.InvalidRequest("redirect_uri is not one of the redirect URIs registered for this app (they are compared exactly).");
        redirectUri = values[0]!;
        return null;
    }

    /// <summary>The rest of the request, once the client and redirect URI are known good. Faults go back to the client.</summary>
    public static OAuthError? CheckRest(OAuthApp app, string redirectUri, IReadOnlyDictionary<string, StringValues> p, out AuthorizationParameters? parameters)
    {
        parameters = null;
        foreach (var (name, values) in p)
            if (values.Count > 1) return OAuthError.InvalidRequest($"{name} may be sent only once (RFC 6749 §3.1).");
        string? One(string name) => p.TryGetValue(name, out var v) && v.Count == 1 && !string.IsNullOrEmpty(v[0]) ? v[0] : null;

        if (One("request") is not null)
            return new OAuthError(OAuthErrorCodes.RequestNotSupported, "Request objects (the request parameter) are not supported; push the request to /oauth/par instead.");
        switch (One("response_type"))
        {
            case null: return OAuthError.InvalidRequest("response_type is required; it must be code.");
            case "code": break;
            default: return new OAuthError(OAuthErrorCodes.UnsupportedResponseType, "Only response_type=code is supported (no implicit or hybrid flows, RFC 9700 §2.1.2).");
        }
        if (One("response_mode") is { } mode && mode != "query")
            return OAuthError.InvalidRequest("Only response_mode=query is supported.");

        var state = One("state");
        if (state is { Length: > MaxStateLength }) return OAuthError.InvalidRequest($"state may be at most {MaxStateLength} characters.");

        var challenge = One("code_challenge");
        if (challenge is null)
            return OAuthError.InvalidRequest("code_challenge is required: every client must use PKCE with S256 (RFC 9700 §2.1.1).");
        var method = One("code_challenge_method");
        if (method != "S256")
            return OAuthError.InvalidRequest(method is null
                ? "code_challenge_method is required and must be S256 (the plain method is not accepted)."
                : "code_challenge_method must be S256 (the plain method is not accepted, RFC 9700 §2.1.1).");
        if (!IsBase64UrlSha256(challenge))
            return OAuthError.InvalidRequest("code_challenge must be the base64url SHA-256 of the code verifier (43 characters).");

        var requested = OAuthScopes.Parse(One("scope"));
        if (requested.Length == 0) requested = app.Scopes;
        if (!OAuthScopes.AllValid(requested))
            return OAuthError.InvalidScope("scope names a scope the API does not know: " + string.Join(' ', requested.Where(s => !OAuthScopes.AllValid([s]))));
        var allowed = OAuthScopes.ForApp(requested, app, withUser: true);
        if (allowed.Count != requested.Length)
            return OAuthError.InvalidScope("scope asks for more than this app was registered for: " + string.Join(' ', requested.Except(allowed)));

        var nonce = One("nonce");
        if (nonce is { Length: > MaxNonceLength }) return OAuthError.InvalidRequest($"nonce may be at most {MaxNonceLength} characters.");

        var dpopJkt = One("dpop_jkt");
        if (dpopJkt is not null && !IsBase64UrlSha256(dpopJkt))
            return OAuthError.InvalidRequest("dpop_jkt must be the base64url SHA-256 JWK thumbprint of the DPoP key (RFC 9449 §10).");

        var prompt = One("prompt");
        if (prompt is not null)
        {
            var values = prompt.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (values.Any(v => !KnownPrompts.Contains(v)))
                return OAuthError.InvalidRequest("prompt may hold none, login, consent and select_account.");
            if (values.Contains("none") && values.Length > 1)
                return OAuthError.InvalidRequest("prompt=none cannot be combined with other values.");
            prompt = string.Join(' ', values.Distinct(StringComparer.Ordinal));
        }

        int? maxAge = null;
        if (One("max_age") is { } maxAgeText)
        {
            if (!int.TryParse(maxAgeText, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
                return OAuthError.InvalidRequest("max_age must be a whole number of seconds.");
            maxAge = seconds;
        }

        parameters = new AuthorizationParameters(app, redirectUri, requested, state, challenge, nonce, dpopJkt, prompt, maxAge);
        return null;
    }

    /// <summary>43 base64url characters: the encoding of 32 bytes without padding.</summary>
    public static bool IsBase64UrlSha256(string value)
    {
        if (value.Length != 43) return false;
        foreach (var c in value)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_')) return false;
        return true;
    }
}

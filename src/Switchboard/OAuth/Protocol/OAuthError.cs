using System.Text.Json.Serialization;

namespace Switchboard.OAuth.Protocol;

/// <summary>An OAuth error (RFC 6749 §4.1.2.1 and §5.2) with the HTTP status it is answered with at a JSON endpoint.</summary>
public sealed record OAuthError(
    [property: JsonPropertyName("error")] string Error,
    [property: JsonPropertyName("error_description")] string Description,
    [property: JsonIgnore] int Status = 400)
{
    public static OAuthError InvalidRequest(string description) => new(OAuthErrorCodes.InvalidRequest, description);
    public static OAuthError InvalidClient(string description) => new(OAuthErrorCodes.InvalidClient, description, 401);
    public static OAuthError InvalidGrant(string description) => new(OAuthErrorCodes.InvalidGrant, description);
    public static OAuthError InvalidScope(string description) => new(OAuthErrorCodes.InvalidScope, description);
    public static OAuthError UnauthorizedClient(string description) => new(OAuthErrorCodes.UnauthorizedClient, description);
    public static OAuthError InvalidDpopProof(string description) => new(OAuthErrorCodes.InvalidDpopProof, description);
}

/// <summary>The error codes of RFC 6749 §4.1.2.1/§5.2, RFC 9126 §2.3 and RFC 9449 §5, §7.1.</summary>
public static class OAuthErrorCodes
{
    public const string InvalidRequest = "invalid_request";
    public const string InvalidClient = "invalid_client";
    public const string InvalidGrant = "invalid_grant";
    public const string UnauthorizedClient = "unauthorized_client";
    public const string UnsupportedGrantType = "unsupported_grant_type";
    public const string UnsupportedResponseType = "unsupported_response_type";
    public const string InvalidScope = "invalid_scope";
    public const string AccessDenied = "access_denied";
    public const string ServerError = "server_error";
    public const string RequestNotSupported = "request_not_supported";
    public const string InvalidRequestUri = "invalid_request_uri";
    public const string InvalidDpopProof = "invalid_dpop_proof";
    public const string UseDpopNonce = "use_dpop_nonce";
    public const string UnsupportedTokenType = "unsupported_token_type";
    public const string InvalidToken = "invalid_token";
    public const string LoginRequired = "login_required";
    public const string ConsentRequired = "consent_required";
    public const string InteractionRequired = "interaction_required";
}

namespace Switchboard.Platform.Errors;

/// <summary>
/// The stable, machine-readable <c>code</c> of every problem+json response. Clients switch on these;
/// they are part of the public contract and never change meaning. The developer portal lists them.
/// </summary>
public static class ErrorCodes
{
    public const string ValidationFailed = "validation_failed";
    public const string MalformedJson = "malformed_json";
    public const string UnsupportedMediaType = "unsupported_media_type";
    public const string PayloadTooLarge = "payload_too_large";
    public const string UriTooLong = "uri_too_long";
    public const string HeaderFieldsTooLarge = "header_fields_too_large";
    public const string HttpVersionNotSupported = "http_version_not_supported";
    public const string BadRequest = "bad_request";
    public const string NotFound = "not_found";
    public const string MethodNotAllowed = "method_not_allowed";
    public const string Gone = "gone";
    public const string Conflict = "conflict";
    public const string PreconditionFailed = "precondition_failed";
    public const string Unauthorized = "unauthorized";
    public const string InvalidToken = "invalid_token";
    public const string InvalidApiKey = "invalid_api_key";
    public const string ApiKeyExpired = "api_key_expired";
    public const string ApiKeyRevoked = "api_key_revoked";
    public const string IpNotAllowed = "ip_not_allowed";
    public const string InsufficientScope = "insufficient_scope";
    public const string Forbidden = "forbidden";
    public const string EmailTaken = "email_taken";
    public const string InvalidCredentials = "invalid_credentials";
    public const string LoginThrottled = "login_throttled";
    public const string InvalidRefreshToken = "invalid_refresh_token";
    public const string RefreshTokenReused = "refresh_token_reused";
    public const string SignupDisabled = "signup_disabled";
    public const string RateLimited = "rate_limited";
    public const string IdempotencyKeyInvalid = "idempotency_key_invalid";
    public const string IdempotencyKeyReused = "idempotency_key_reused";
    public const string IdempotencyRequestInProgress = "idempotency_request_in_progress";
    public const string InternalError = "internal_error";
    public const string ServiceUnavailable = "service_unavailable";

    /// <summary>Every code with the status it comes with and what it means, for the docs.</summary>
    public static readonly IReadOnlyList<(string Code, int Status, string Meaning)> Catalog =
    [
        (ValidationFailed, 400, "A field is missing or invalid; `errors` maps each field to its messages."),
        (MalformedJson, 400, "The body is not valid JSON (or not UTF-8, RFC 8259 §8.1), or a value has the wrong JSON type."),
        (BadRequest, 400, "The request is malformed in a way no more specific code describes."),
        (UnsupportedMediaType, 415, "The body is not `application/json`, or declares a charset other than UTF-8."),
        (PayloadTooLarge, 413, "The body is larger than the configured limit."),
        (UriTooLong, 414, "The request target (path and query) is longer than the server accepts (8 KB)."),
        (HeaderFieldsTooLarge, 431, "The header fields are larger (32 KB in all) or more numerous (100) than the server accepts."),
        (Unauthorized, 401, "No credentials were sent."),
        (InvalidToken, 401, "The bearer token is malformed, expired, revoked or not signed by this service."),
        (InvalidApiKey, 401, "The API key is malformed, fails its checksum, or does not exist."),
        (ApiKeyExpired, 401, "The API key has passed its `expiresAt`."),
        (ApiKeyRevoked, 401, "The API key was revoked."),
        (InvalidCredentials, 401, "Email or password is wrong."),
        (InvalidRefreshToken, 401, "The refresh token is unknown, expired or revoked."),
        (RefreshTokenReused, 401, "A refresh token was used twice; its whole session was revoked."),
        (IpNotAllowed, 403, "The API key's IP allowlist does not contain the caller's address."),
        (InsufficientScope, 403, "The credentials lack the scope the operation requires."),
        (Forbidden, 403, "The caller may not perform this operation."),
        (SignupDisabled, 403, "Self-service signup is turned off on this installation."),
        (IdempotencyKeyInvalid, 400, "The `Idempotency-Key` header is empty, too long or not visible ASCII."),
        (IdempotencyKeyReused, 422, "The `Idempotency-Key` was used before with a different request."),
        (IdempotencyRequestInProgress, 409, "The first request with this `Idempotency-Key` is still running."),
        (NotFound, 404, "No such resource in the caller's organization."),
        (MethodNotAllowed, 405, "The path exists but not with this method."),
        (Gone, 410, "The resource is not there and will not be again (the inbound URL of an uninstalled integration): stop calling it."),
        (Conflict, 409, "The request conflicts with the current state."),
        (EmailTaken, 409, "An account with this email exists."),
        (PreconditionFailed, 412, "`If-Match` does not match the current `ETag`."),
        (LoginThrottled, 429, "Too many failed logins; retry after `Retry-After` seconds."),
        (RateLimited, 429, "A rate limit or quota is exhausted; retry after `Retry-After` seconds."),
        (InternalError, 500, "An unexpected failure; quote the `requestId` when reporting it."),
        (ServiceUnavailable, 503, "A dependency (the database) is unavailable."),
        (HttpVersionNotSupported, 505, "The request's HTTP version is not one the server speaks (HTTP/1.0, 1.1, 2)."),
    ];
}

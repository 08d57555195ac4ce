using System.Net;

namespace Switchboard.Client;

/// <summary>Anything the client raises: an API error, a timeout, or a failure to reach the API.</summary>
public class SwitchboardException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SwitchboardException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>Every attempt timed out (<see cref="SwitchboardClientOptions.Timeout"/> each).</summary>
public sealed class SwitchboardTimeoutException(string message, Exception? inner = null) : SwitchboardException(message, inner);

/// <summary>The API could not be reached, after the retries.</summary>
public sealed class SwitchboardConnectionException(string message, Exception? inner = null) : SwitchboardException(message, inner);

/// <summary>
/// An error answer of the API (RFC 9457 problem+json): switch on <see cref="Code"/>, quote <see cref="RequestId"/> when
/// you report a problem. Subclasses name the common statuses.
/// </summary>
public class SwitchboardApiException : SwitchboardException
{
    /// <summary>Creates the exception from an answer.</summary>
    public SwitchboardApiException(HttpStatusCode status, Problem? problem, string? requestId, TimeSpan? retryAfter)
        : base(MessageOf(status, problem, requestId))
    {
        Status = status;
        Problem = problem;
        RequestId = problem?.RequestId ?? requestId;
        RetryAfter = retryAfter;
    }

    /// <summary>The HTTP status.</summary>
    public HttpStatusCode Status { get; }

    /// <summary>The stable, machine-readable code (<c>validation_failed</c>, <c>not_found</c>, <c>rate_limited</c>, ...).</summary>
    public string Code => Problem?.Code ?? "http_" + (int)Status;

    /// <summary>The request's id (the <c>X-Request-Id</c> header).</summary>
    public string? RequestId { get; }

    /// <summary>What went wrong, for people.</summary>
    public string? Detail => Problem?.Detail;

    /// <summary>Each invalid field with its messages (validation errors).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Errors => Problem?.Errors ?? new Dictionary<string, IReadOnlyList<string>>();

    /// <summary>The answer's <c>Retry-After</c>, if any.</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>The whole problem body, when the answer had one.</summary>
    public Problem? Problem { get; }

    internal static SwitchboardApiException Create(HttpStatusCode status, Problem? problem, string? requestId, TimeSpan? retryAfter) => (int)status switch
    {
        400 or 422 when problem?.Errors is not null || problem?.Code == "validation_failed" => new SwitchboardValidationException(status, problem, requestId, retryAfter),
        400 => new SwitchboardBadRequestException(status, problem, requestId, retryAfter),
        401 => new SwitchboardAuthenticationException(status, problem, requestId, retryAfter),
        403 => new SwitchboardPermissionException(status, problem, requestId, retryAfter),
        404 => new SwitchboardNotFoundException(status, problem, requestId, retryAfter),
        409 => new SwitchboardConflictException(status, problem, requestId, retryAfter),
        412 => new SwitchboardPreconditionFailedException(status, problem, requestId, retryAfter),
        422 => new SwitchboardBadRequestException(status, problem, requestId, retryAfter),
        429 => new SwitchboardRateLimitException(status, problem, requestId, retryAfter),
        >= 500 => new SwitchboardServerException(status, problem, requestId, retryAfter),
        _ => new SwitchboardApiException(status, problem, requestId, retryAfter),
    };

    private static string MessageOf(HttpStatusCode status, Problem? problem, string? requestId)
    {
        var text = $"{(int)status} {problem?.Code ?? status.ToString()}: {problem?.Detail ?? problem?.Title ?? "the API answered with an error"}";
        if (problem?.Errors is { Count: > 0 } errors)
            text += " (" + string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(" ", e.Value)}")) + ")";
        return text + $" [request {problem?.RequestId ?? requestId ?? "unknown"}]";
    }
}

/// <summary>400 or 422 with field errors (<see cref="SwitchboardApiException.Errors"/>).</summary>
public sealed class SwitchboardValidationException(HttpStatusCode s, Problem? p, string? r, TimeSpan? a) : SwitchboardApiException(s, p, r, a);

/// <summary>400 or 422 other than field validation (malformed JSON, a reused idempotency key, ...).</summary>
public sealed class SwitchboardBadRequestException(HttpStatusCode s, Problem? p, string? r, TimeSpan? a) : SwitchboardApiException(s, p, r, a);

/// <summary>401: the credential is missing, wrong, expired or revoked.</summary>
public sealed class SwitchboardAuthenticationException(HttpStatusCode s, Problem? p, string? r, TimeSpan? a) : SwitchboardApiException(s, p, r, a);

/// <summary>403: the credential lacks a scope or role (<c>insufficient_scope</c>, ...).</summary>
public sealed class SwitchboardPermissionException(HttpStatusCode s, Problem? p, string? r, TimeSpan? a) : SwitchboardApiException(s, p, r, a);

/// <summary>404: no such record in your organization.</summary>
public sealed class SwitchboardNotFoundException(HttpStatusCode s, Problem? p, string? r, TimeSpan? a) : SwitchboardApiException(s, p, r, a);

/// <summary>409: a conflict, such as an idempotent request still in flight.</summary>
public sealed class SwitchboardConflictException(HttpStatusCode s, Problem? p, string? r, TimeSpan? a) : SwitchboardApiException(s, p, r, a);

/// <summary>412: the record changed since the <c>ETag</c> sent in <c>If-Match</c>.</summary>
public sealed class SwitchboardPreconditionFailedException(HttpStatusCode s, Problem? p, string? r, TimeSpan? a) : SwitchboardApiException(s, p, r, a);

/// <summary>429: a rate limit or quota is used up, still after the retries (see <see cref="SwitchboardApiException.RetryAfter"/>).</summary>
public sealed class SwitchboardRateLimitException(HttpStatusCode s, Problem? p, string? r, TimeSpan? a) : SwitchboardApiException(s, p, r, a);

/// <summary>5xx, still after the retries.</summary>
public sealed class SwitchboardServerException(HttpStatusCode s, Problem? p, string? r, TimeSpan? a) : SwitchboardApiException(s, p, r, a);

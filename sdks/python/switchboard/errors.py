"""Typed errors. Every error answer of the API is application/problem+json (RFC 9457) with a stable ``code`` and a
``requestId``; validation errors add ``errors`` ({field: [message, ...]}). See docs/errors.md."""

from __future__ import annotations

from typing import Any, Mapping

import httpx

__all__ = [
    "SwitchboardError",
    "APIConnectionError",
    "APITimeoutError",
    "APIStatusError",
    "BadRequestError",
    "ValidationError",
    "AuthenticationError",
    "PermissionDeniedError",
    "NotFoundError",
    "ConflictError",
    "PreconditionFailedError",
    "UnprocessableEntityError",
    "RateLimitError",
    "ServerError",
    "OAuthError",
    "WebhookVerificationError",
]


class SwitchboardError(Exception):
    """Base class of every error this SDK raises."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class APIConnectionError(SwitchboardError):
    """The request did not get an answer (connection refused or reset, DNS failure, ...)."""

    def __init__(self, message: str, *, request: httpx.Request | None = None) -> None:
        super().__init__(message)
        self.request = request


class APITimeoutError(APIConnectionError):
    """No answer within the client's timeout."""


class APIStatusError(SwitchboardError):
    """The API answered with an error status. ``code`` is the stable machine-readable string: switch on it."""

    def __init__(self, response: httpx.Response, problem: Mapping[str, Any] | None) -> None:
        problem = dict(problem or {})
        self.response = response
        self.status: int = response.status_code
        self.problem: dict[str, Any] = problem
        self.code: str | None = _str(problem.get("code"))
        self.title: str | None = _str(problem.get("title"))
        self.detail: str | None = _str(problem.get("detail"))
        self.type: str | None = _str(problem.get("type"))
        self.request_id: str | None = _str(problem.get("requestId")) or response.headers.get("x-request-id")
        raw_errors = problem.get("errors")
        self.errors: dict[str, list[str]] = (
            {str(field): [str(m) for m in messages] for field, messages in raw_errors.items() if isinstance(messages, list)}
            if isinstance(raw_errors, dict)
            else {}
        )
        summary = self.detail or self.title or response.reason_phrase or "error"
        message = f"{self.status} {self.code or 'error'}: {summary}"
        if self.errors:
            message += " (" + "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in self.errors.items()) + ")"
        if self.request_id:
            message += f" [request {self.request_id}]"
        super().__init__(message)

    @property
    def headers(self) -> httpx.Headers:
        return self.response.headers


class BadRequestError(APIStatusError):
    """400: the request must change before it is sent again."""


class ValidationError(BadRequestError):
    """400 validation_failed: ``errors`` maps each invalid field to its messages."""


class AuthenticationError(APIStatusError):
    """401: no credential, or one that is malformed, unknown, expired or revoked."""


class PermissionDeniedError(APIStatusError):
    """403: e.g. insufficient_scope, ip_not_allowed."""


class NotFoundError(APIStatusError):
    """404: the record does not exist (or belongs to another organization)."""


class ConflictError(APIStatusError):
    """409: e.g. conflict, email_taken, idempotency_request_in_progress."""


class PreconditionFailedError(APIStatusError):
    """412: the If-Match ETag is stale."""


class UnprocessableEntityError(APIStatusError):
    """422: e.g. idempotency_key_reused."""


class RateLimitError(APIStatusError):
    """429: a rate limit or quota is used up; ``retry_after`` says how many seconds to wait (when the API said)."""

    def __init__(self, response: httpx.Response, problem: Mapping[str, Any] | None) -> None:
        super().__init__(response, problem)
        from ._retry import parse_retry_after

        self.retry_after: float | None = parse_retry_after(response.headers.get("retry-after"))
        policy = self.problem.get("policy")
        self.policy: dict[str, Any] | None = policy if isinstance(policy, dict) else None


class ServerError(APIStatusError):
    """5xx: the service failed; safe to retry with backoff (POSTs carry an Idempotency-Key)."""


class OAuthError(SwitchboardError):
    """The OAuth token endpoint refused a request (RFC 6749 §5.2): ``error`` and ``error_description``."""

    def __init__(self, status: int, error: str, description: str | None) -> None:
        super().__init__(f"{status} {error}" + (f": {description}" if description else ""))
        self.status = status
        self.error = error
        self.description = description


class WebhookVerificationError(SwitchboardError):
    """A webhook delivery whose signature or timestamp does not verify: do not trust its body."""


_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    412: PreconditionFailedError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def error_from_response(response: httpx.Response) -> APIStatusError:
    """The typed error for an error answer, reading its problem+json body when there is one."""
    problem: dict[str, Any] | None = None
    try:
        parsed = response.json() if response.content else None
        if isinstance(parsed, dict):
            problem = parsed
    except ValueError:
        problem = None
    status = response.status_code
    if status == 400 and problem is not None and problem.get("code") == "validation_failed":
        return ValidationError(response, problem)
    cls = _BY_STATUS.get(status) or (ServerError if status >= 500 else APIStatusError)
    return cls(response, problem)


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None

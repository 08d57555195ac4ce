"""When and how long to wait before sending a request again.

Exponential backoff with full jitter (a random wait between 0 and base * 2^attempt, capped), as recommended by
docs/idempotency.md ("Retrying well") and AWS's "Exponential Backoff and Jitter"; a ``Retry-After`` from the API
(RFC 9110 §10.2.3: delay-seconds or an HTTP-date) replaces the computed wait.
"""

from __future__ import annotations

import email.utils
import random
import time
from dataclasses import dataclass

from .errors import APIConnectionError, APIStatusError, ConflictError, SwitchboardError

# 429 and 503 say "later"; 502 and 504 are a proxy's view of the same. 409 idempotency_request_in_progress means the
# first attempt of this very request is still running (docs/idempotency.md).
RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """``max_retries`` attempts after the first; waits from ``base_delay`` doubling up to ``max_delay`` (seconds).
    A ``Retry-After`` longer than ``max_retry_after`` is not waited for: the error is raised instead."""

    max_retries: int = 3
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0

    def delay(self, attempt: int, error: SwitchboardError) -> float | None:
        """Seconds to wait before attempt ``attempt + 1`` (0-based retries so far), or None to give up."""
        if attempt >= self.max_retries or not is_retryable(error):
            return None
        if isinstance(error, APIStatusError):
            retry_after = parse_retry_after(error.response.headers.get("retry-after"))
            if retry_after is not None:
                return retry_after if retry_after <= self.max_retry_after else None
        return random.uniform(0, min(self.max_delay, self.base_delay * (2**attempt)))


def is_retryable(error: SwitchboardError) -> bool:
    if isinstance(error, APIConnectionError):
        return True
    if isinstance(error, ConflictError):
        return error.code == "idempotency_request_in_progress"
    return isinstance(error, APIStatusError) and error.status in RETRYABLE_STATUSES


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delay-seconds, or an HTTP-date (a date in the past means 0)."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(int(value))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None or when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))

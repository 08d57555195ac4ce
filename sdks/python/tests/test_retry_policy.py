"""Backoff arithmetic and Retry-After parsing (the live suite shows retries against the node)."""

from __future__ import annotations

import email.utils

import httpx

from switchboard import RetryPolicy
from switchboard._retry import parse_retry_after
from switchboard.errors import APIConnectionError, error_from_response


def answer(status: int, headers: dict[str, str] | None = None, body: dict | None = None) -> httpx.Response:
    return httpx.Response(status, headers=headers, json=body or {"status": status, "code": "x"}, request=httpx.Request("GET", "http://h/"))


def test_retry_after_in_seconds_and_as_an_http_date() -> None:
    assert parse_retry_after("7") == 7.0
    now = 1_800_000_000.0
    assert parse_retry_after(email.utils.formatdate(now + 3, usegmt=True), now=now) == 3.0
    assert parse_retry_after(email.utils.formatdate(now - 30, usegmt=True), now=now) == 0.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_full_jitter_stays_under_the_exponential_cap() -> None:
    policy = RetryPolicy(max_retries=5, base_delay=0.5, max_delay=3.0)
    error = APIConnectionError("reset")
    for attempt, cap in [(0, 0.5), (1, 1.0), (2, 2.0), (3, 3.0), (4, 3.0)]:
        delays = [policy.delay(attempt, error) for _ in range(200)]
        assert all(d is not None and 0 <= d <= cap for d in delays)
        assert max(delays) > cap / 2  # jittered over the whole range, not a fixed wait
    assert policy.delay(5, error) is None


def test_what_is_retried() -> None:
    policy = RetryPolicy()
    assert policy.delay(0, error_from_response(answer(429, {"Retry-After": "2"}))) == 2.0
    assert policy.delay(0, error_from_response(answer(503))) is not None
    assert policy.delay(0, error_from_response(answer(409, body={"code": "idempotency_request_in_progress"}))) is not None
    assert policy.delay(0, error_from_response(answer(409, body={"code": "conflict"}))) is None
    assert policy.delay(0, error_from_response(answer(400))) is None
    assert policy.delay(0, error_from_response(answer(500))) is None
    assert RetryPolicy(max_retry_after=5).delay(0, error_from_response(answer(429, {"Retry-After": "3600"}))) is None

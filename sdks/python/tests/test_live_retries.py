"""Retries against a live node: a real 429 from a key with a tiny rate limit, 503s and lost answers injected by a
loopback proxy in front of the node, an idempotent POST replayed rather than repeated, and timeouts."""

from __future__ import annotations

import asyncio
import email.utils
import time
from typing import Iterator

import pytest

from conftest import Exchange, Live, recording_async, recording_sync, unique
from loopback import Fault, FaultProxy
from switchboard import APITimeoutError, AsyncSwitchboard, RateLimitError, RetryPolicy, ServerError, Switchboard

FAST = RetryPolicy(max_retries=3, base_delay=0.05, max_delay=0.2)


@pytest.fixture
def proxy(live: Live) -> Iterator[FaultProxy]:
    p = FaultProxy(live.url)
    yield p
    p.close()


def limited_key(live: Live) -> str:
    """A key allowed one request every 2 seconds (token bucket: the second request at once is refused)."""
    with Switchboard(base_url=live.url, api_key=live.api_key) as admin:
        created = admin.api_keys.create(
            name=unique("tiny"), scopes=["contacts:read"], rateLimit={"requests": 1, "windowSeconds": 2}, expiresAt=None, allowedIps=None
        )
    assert created["key"] is not None, "a created key is answered in full once"
    return created["key"]


def assert_waited_for_retry_after(log: list[Exchange], elapsed: float) -> None:
    statuses = [e.status for e in log]
    assert statuses[0] == 200 and statuses[-1] == 200 and 429 in statuses, statuses
    assert set(statuses[1:-1]) == {429}, statuses
    waits = [float(e.headers["retry-after"]) for e in log if e.status == 429]
    assert all(w >= 1 for w in waits), waits
    assert elapsed >= sum(waits) - 0.05, (elapsed, waits)


def test_a_429_is_retried_after_retry_after_sync(live: Live) -> None:
    key = limited_key(live)
    log: list[Exchange] = []
    with recording_sync(live.url, log, api_key=key) as client:
        client.contacts.list(limit=1)
        started = time.monotonic()
        page = client.contacts.list(limit=1)
        elapsed = time.monotonic() - started
        assert page.data is not None
        assert_waited_for_retry_after(log, elapsed)
        with pytest.raises(RateLimitError) as limited:
            client.with_options(max_retries=0).contacts.list(limit=1)
    error = limited.value
    assert error.status == 429 and error.code == "rate_limited" and error.retry_after and error.retry_after >= 1
    assert error.policy and error.policy["name"] == "api_key"


def test_a_429_is_retried_after_retry_after_async(live: Live) -> None:
    key = limited_key(live)

    async def scenario() -> None:
        log: list[Exchange] = []
        async with recording_async(live.url, log, api_key=key) as client:
            await client.contacts.list(limit=1)
            started = time.monotonic()
            await client.contacts.list(limit=1)
            assert_waited_for_retry_after(log, time.monotonic() - started)

    asyncio.run(scenario())


def test_503s_are_retried_then_succeed_sync(live: Live, proxy: FaultProxy) -> None:
    with Switchboard(base_url=live.url, api_key=live.api_key) as admin:
        contact = admin.contacts.create(firstName="Retry")
    path = f"/api/v1/contacts/{contact['id']}"
    # The first 503 names an HTTP-date two seconds ahead (RFC 9110 §10.2.3), the second no Retry-After (backoff).
    proxy.faults.append(Fault(lambda m, p: p == path, "503", retry_after=email.utils.formatdate(time.time() + 2, usegmt=True)))
    proxy.faults.append(Fault(lambda m, p: p == path, "503"))
    with Switchboard(base_url=proxy.url, api_key=live.api_key, retry=FAST) as client:
        started = time.monotonic()
        assert client.contacts.get(contact["id"])["id"] == contact["id"]
        elapsed = time.monotonic() - started
    seen = proxy.requests("GET", path)
    assert [s.fault for s in seen] == ["503", "503", None]
    assert elapsed >= 0.9, elapsed  # the HTTP-date was honoured (whole seconds, so at least one)

    proxy.faults.append(Fault(lambda m, p: p == path, "503", times=10))
    with Switchboard(base_url=proxy.url, api_key=live.api_key, retry=RetryPolicy(max_retries=2, base_delay=0.01)) as client:
        with pytest.raises(ServerError) as failed:
            client.contacts.get(contact["id"])
    assert failed.value.status == 503
    assert len(proxy.requests("GET", path)) == 3 + 3  # the first call's three, then one attempt and two retries


def test_503s_are_retried_then_succeed_async(live: Live, proxy: FaultProxy) -> None:
    async def scenario() -> None:
        proxy.faults.append(Fault(lambda m, p: m == "GET" and p.startswith("/api/v1/leads?"), "503", times=2, retry_after="1"))
        async with AsyncSwitchboard(base_url=proxy.url, api_key=live.api_key, retry=FAST) as client:
            started = time.monotonic()
            page = await client.leads.list(limit=1)
            assert page.data is not None
            assert time.monotonic() - started >= 2.0  # two Retry-After: 1
        assert [s.fault for s in proxy.requests("GET", "/api/v1/leads?")] == ["503", "503", None]

    asyncio.run(scenario())


def test_a_post_whose_answer_was_lost_is_replayed_not_repeated_sync(live: Live, proxy: FaultProxy) -> None:
    email_address = unique("once") + "@example.com"
    # The node creates the contact; the proxy drops its 201 and answers 503, as a failing gateway would.
    proxy.faults.append(Fault(lambda m, p: m == "POST" and p == "/api/v1/contacts", "503-after"))
    with Switchboard(base_url=proxy.url, api_key=live.api_key, retry=FAST) as client:
        created = client.contacts.create(firstName="Once", email=email_address)
        assert created["email"] == email_address
        assert [c["id"] for c in client.contacts.list(email=email_address)] == [created["id"]]  # one record, not two
    first, second = proxy.requests("POST", "/api/v1/contacts")
    assert first.fault == "503-after" and first.upstream_status == 201
    assert first.headers["idempotency-key"] == second.headers["idempotency-key"] and first.body == second.body
    assert second.upstream_status == 201 and second.upstream_headers.get("idempotent-replayed") == "true"


def test_a_post_whose_connection_dropped_is_replayed_with_the_callers_key_async(live: Live, proxy: FaultProxy) -> None:
    async def scenario() -> None:
        email_address = unique("once") + "@example.com"
        key = unique("caller-key")
        proxy.faults.append(Fault(lambda m, p: m == "POST" and p == "/api/v1/leads", "reset-after"))
        async with AsyncSwitchboard(base_url=proxy.url, api_key=live.api_key, retry=FAST) as client:
            lead = await client.leads.create(name="Once Ltd", email=email_address, idempotency_key=key)
            assert [l["id"] for l in await client.leads.list(email=email_address)] == [lead["id"]]
        attempts = proxy.requests("POST", "/api/v1/leads")
        assert [a.headers["idempotency-key"] for a in attempts] == [key, key]
        assert attempts[0].fault == "reset-after" and attempts[0].upstream_status == 201
        assert attempts[1].upstream_headers.get("idempotent-replayed") == "true"

    asyncio.run(scenario())


def test_timeouts_sync_and_async(live: Live, proxy: FaultProxy) -> None:
    slow = lambda m, p: m == "GET" and p.startswith("/api/v1/deals")  # noqa: E731
    # The proxy holds a request 3 s; the client waits 1 s (room enough for a loaded machine's normal answers).
    proxy.faults.append(Fault(slow, "delay", seconds=3))
    with Switchboard(base_url=proxy.url, api_key=live.api_key, timeout=1.0, max_retries=0) as client:
        started = time.monotonic()
        with pytest.raises(APITimeoutError):
            client.deals.list()
        assert time.monotonic() - started < 2.5
        proxy.faults.append(Fault(slow, "delay", seconds=3))
        # A GET that timed out is sent again; the second attempt is answered in time.
        assert client.with_options(retry=FAST).deals.list().data is not None

    async def scenario() -> None:
        proxy.faults.append(Fault(slow, "delay", seconds=3))
        async with AsyncSwitchboard(base_url=proxy.url, api_key=live.api_key, timeout=1.0, max_retries=0) as client:
            with pytest.raises(APITimeoutError):
                await client.deals.list()

    asyncio.run(scenario())

"""Webhook verification on its own (the live suite verifies a real delivery from the node)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

import pytest

from switchboard import WebhookVerificationError, webhooks

SECRET = "whsec_" + base64.b64encode(b"k" * 32).decode()
OTHER = "whsec_" + base64.b64encode(b"o" * 32).decode()
BODY = b'{"id":"evt_1","type":"contact.created","timestamp":"2026-12-04T12:00:00Z","data":{"id":"con_1"}}'


def headers(secret: str = SECRET, *, ts: int | None = None, body: bytes = BODY, extra: str = "") -> dict[str, str]:
    ts = int(time.time()) if ts is None else ts
    signature = webhooks.sign(secret, "evt_1", ts, body)
    return {"Webhook-Id": "evt_1", "Webhook-Timestamp": str(ts), "Webhook-Signature": (extra + " " + signature).strip()}


def test_a_genuine_delivery_verifies_and_answers_its_event() -> None:
    assert webhooks.verify(BODY, headers(), SECRET)["data"]["id"] == "con_1"


def test_the_signature_is_the_standard_webhooks_one_computed_independently() -> None:
    ts = 1795352400
    expected = base64.b64encode(hmac.new(b"k" * 32, b"evt_1.1795352400." + BODY, hashlib.sha256).digest()).decode()
    assert webhooks.sign(SECRET, "evt_1", ts, BODY) == "v1," + expected


def test_any_of_several_signatures_may_match_during_a_rotation() -> None:
    rotated = headers(extra=webhooks.sign(OTHER, "evt_1", int(time.time()), BODY))
    assert webhooks.verify(BODY, rotated, SECRET)["id"] == "evt_1"
    assert webhooks.verify(BODY, rotated, OTHER)["id"] == "evt_1"


@pytest.mark.parametrize(
    "mutate, reason",
    [
        (lambda h, b: (h, b.replace(b"con_1", b"con_2")), "no signature matches"),
        (lambda h, b: (headers(OTHER), b), "no signature matches"),
        (lambda h, b: ({**h, "Webhook-Id": "evt_2"}, b), "no signature matches"),
        (lambda h, b: (headers(ts=int(time.time()) - 301), b), "tolerance"),
        (lambda h, b: (headers(ts=int(time.time()) + 301), b), "tolerance"),
        (lambda h, b: ({k: v for k, v in h.items() if k != "Webhook-Signature"}, b), "missing"),
        (lambda h, b: ({**h, "Webhook-Signature": "v2," + h["Webhook-Signature"][3:]}, b), "no signature matches"),
        (lambda h, b: ({**h, "Webhook-Timestamp": "12.5"}, b), "unix time"),
    ],
)
def test_a_forged_altered_or_stale_delivery_is_refused(mutate, reason: str) -> None:
    forged_headers, forged_body = mutate(headers(), BODY)
    with pytest.raises(WebhookVerificationError, match=reason):
        webhooks.verify(forged_body, forged_headers, SECRET)


def test_the_simple_signature_verifies_the_body_alone() -> None:
    signature = "sha256=" + hmac.new(b"k" * 32, BODY, hashlib.sha256).hexdigest()
    assert webhooks.verify_simple(BODY, signature, SECRET)["type"] == "contact.created"
    with pytest.raises(WebhookVerificationError):
        webhooks.verify_simple(BODY + b" ", signature, SECRET)
    with pytest.raises(WebhookVerificationError):
        webhooks.verify_simple(BODY, signature, OTHER)
    with pytest.raises(WebhookVerificationError):
        webhooks.verify_simple(BODY, signature.replace("sha256=", "sha1="), SECRET)


def test_a_secret_that_is_not_whsec_base64_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        webhooks.verify(BODY, headers(), "not-a-secret")

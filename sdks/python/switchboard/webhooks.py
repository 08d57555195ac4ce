"""Verifying webhook deliveries (docs/webhooks.md).

Standard Webhooks (https://www.standardwebhooks.com; the standard-webhooks/standard-webhooks repository,
spec/standard-webhooks.md, "Verifying webhook authenticity" and "Verifying signatures"):
the key is the base64 after ``whsec_``; the signed content is ``{webhook-id}.{webhook-timestamp}.{raw body}``; the
``webhook-signature`` header holds space-separated ``v1,<base64 HMAC-SHA256>`` entries (two while a rotated secret
overlaps), any of which may match; a timestamp further than the tolerance from now is refused (replays). Comparisons
are constant-time (hmac.compare_digest).

The simple form, ``X-Webhook-Signature: sha256=<hex HMAC-SHA256 of the raw body>``, carries no timestamp and so does
not stop replays: prefer ``verify``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from typing import Any, Mapping

from .errors import WebhookVerificationError

__all__ = ["verify", "verify_simple", "sign", "DEFAULT_TOLERANCE_SECONDS"]

DEFAULT_TOLERANCE_SECONDS = 300
_PREFIX = "whsec_"


def _key(secret: str) -> bytes:
    if not secret.startswith(_PREFIX):
        raise ValueError("a webhook secret starts with 'whsec_'")
    try:
        return base64.b64decode(secret[len(_PREFIX):], validate=True)
    except (binascii.Error, ValueError) as e:
        raise ValueError("the webhook secret is not valid base64 after 'whsec_'") from e


def _bytes(payload: bytes | str) -> bytes:
    return payload.encode("utf-8") if isinstance(payload, str) else bytes(payload)


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return ""


def sign(secret: str, msg_id: str, timestamp: int, payload: bytes | str) -> str:
    """The ``webhook-signature`` value Switchboard sends for this content (``v1,<base64>``)."""
    signed = f"{msg_id}.{timestamp}.".encode("utf-8") + _bytes(payload)
    return "v1," + base64.b64encode(hmac.new(_key(secret), signed, hashlib.sha256).digest()).decode("ascii")


def verify(
    payload: bytes | str,
    headers: Mapping[str, str],
    secret: str,
    *,
    tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> dict[str, Any]:
    """Checks a delivery's Standard Webhooks signature and timestamp and answers its event (parsed JSON).

    ``payload`` is the raw body exactly as received (verify before parsing: JSON parsed and serialized again is not
    the same bytes); ``headers`` are the request's headers (any letter case). Raises ``WebhookVerificationError``.
    """
    msg_id = _header(headers, "webhook-id")
    timestamp = _header(headers, "webhook-timestamp")
    signatures = _header(headers, "webhook-signature")
    if not msg_id or not timestamp or not signatures:
        raise WebhookVerificationError("missing webhook-id, webhook-timestamp or webhook-signature header")
    if not timestamp.isdigit():
        raise WebhookVerificationError("webhook-timestamp is not a unix time in seconds")
    current = time.time() if now is None else now
    if abs(current - int(timestamp)) > tolerance_seconds:
        raise WebhookVerificationError("webhook-timestamp is outside the tolerance (an old or replayed delivery?)")
    expected = sign(secret, msg_id, int(timestamp), payload).split(",", 1)[1].encode("ascii")
    for entry in signatures.split():
        version, _, signature = entry.partition(",")
        if version == "v1" and hmac.compare_digest(signature.encode("ascii", "replace"), expected):
            return _parse(payload)
    raise WebhookVerificationError("no signature matches")


def verify_simple(payload: bytes | str, signature_header: str, secret: str) -> dict[str, Any]:
    """Checks ``X-Webhook-Signature: sha256=<hex>`` (HMAC-SHA256 of the raw body under the same key) and answers the
    event. No timestamp: it does not protect against a replayed delivery. Raises ``WebhookVerificationError``."""
    scheme, _, given = (signature_header or "").strip().partition("=")
    if scheme != "sha256" or not given:
        raise WebhookVerificationError("X-Webhook-Signature is not 'sha256=<hex>'")
    expected = hmac.new(_key(secret), _bytes(payload), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(given.lower().encode("ascii", "replace"), expected.encode("ascii")):
        raise WebhookVerificationError("the signature does not match")
    return _parse(payload)


def _parse(payload: bytes | str) -> dict[str, Any]:
    try:
        event = json.loads(_bytes(payload))
    except ValueError as e:
        raise WebhookVerificationError("the body is not JSON") from e
    if not isinstance(event, dict):
        raise WebhookVerificationError("the body is not a JSON object")
    return event

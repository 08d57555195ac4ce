"""A delivery from the live node, received on loopback, verified with the SDK; forged ones refused."""

from __future__ import annotations

import asyncio
import base64
import os
import time

import pytest

from conftest import Live, unique
from loopback import Delivery, WebhookReceiver
from switchboard import AsyncSwitchboard, Switchboard, WebhookVerificationError, webhooks


@pytest.fixture
def receiver():
    r = WebhookReceiver()
    yield r
    r.close()


def for_contact(contact_id: str):
    return lambda d: b'"contact.created"' in d.body and contact_id.encode() in d.body


def assert_genuine_and_forgeries_refused(delivery: Delivery, secret: str, contact_id: str) -> None:
    event = webhooks.verify(delivery.body, delivery.headers, secret)
    assert event["type"] == "contact.created" and event["data"]["id"] == contact_id
    assert event["id"] == delivery.headers["webhook-id"]
    assert webhooks.verify_simple(delivery.body, delivery.headers["x-webhook-signature"], secret)["id"] == event["id"]

    other_secret = "whsec_" + base64.b64encode(os.urandom(32)).decode()
    altered = delivery.body.replace(contact_id.encode(), b"con_forged")
    with pytest.raises(WebhookVerificationError):
        webhooks.verify(altered, delivery.headers, secret)  # body changed in transit
    forged = {**delivery.headers, "webhook-signature": webhooks.sign(other_secret, delivery.headers["webhook-id"], int(time.time()), altered)}
    with pytest.raises(WebhookVerificationError):
        webhooks.verify(altered, forged, secret)  # signed by someone without the secret
    with pytest.raises(WebhookVerificationError):
        webhooks.verify(delivery.body, delivery.headers, secret, now=int(delivery.headers["webhook-timestamp"]) + 301)  # replayed later
    with pytest.raises(WebhookVerificationError):
        webhooks.verify_simple(altered, delivery.headers["x-webhook-signature"], secret)


def test_a_delivery_from_the_node_verifies_and_a_forged_one_is_refused_sync(live: Live, receiver: WebhookReceiver) -> None:
    with Switchboard(base_url=live.url, api_key=live.api_key) as client:
        endpoint = client.webhooks.create(url=receiver.url, events=["contact.created"], name=unique("sdk-py"))
        try:
            secret = endpoint["secret"]
            assert secret and secret.startswith("whsec_")
            assert "secret" not in client.webhooks.get(endpoint["id"]) or client.webhooks.get(endpoint["id"])["secret"] is None
            contact = client.contacts.create(firstName="Hook", email=unique("hook") + "@example.com")
            delivery = receiver.wait_for(for_contact(contact["id"]))
            assert_genuine_and_forgeries_refused(delivery, secret, contact["id"])
            deliveries = client.webhooks.deliveries(endpoint["id"])
            assert any(d["eventType"] == "contact.created" for d in deliveries)
        finally:
            client.webhooks.delete(endpoint["id"])


def test_a_delivery_from_the_node_verifies_and_a_forged_one_is_refused_async(live: Live, receiver: WebhookReceiver) -> None:
    async def scenario() -> None:
        async with AsyncSwitchboard(base_url=live.url, api_key=live.api_key) as client:
            endpoint = await client.webhooks.create(url=receiver.url, events=["contact.*"])
            try:
                assert endpoint["secret"] is not None
                contact = await client.contacts.create(firstName="Async Hook")
                delivery = await asyncio.get_running_loop().run_in_executor(None, receiver.wait_for, for_contact(contact["id"]))
                assert_genuine_and_forgeries_refused(delivery, endpoint["secret"], contact["id"])
            finally:
                await client.webhooks.delete(endpoint["id"])

    asyncio.run(scenario())

"""CRUD on contacts and leads, pagination across pages and typed errors, with the sync and the async client, against
a live node."""

from __future__ import annotations

import asyncio

import pytest

from conftest import Exchange, Live, recording_async, recording_sync, unique
from switchboard import (
    AsyncSwitchboard, AuthenticationError, NotFoundError, PermissionDeniedError, PreconditionFailedError, Switchboard,
    ValidationError,
)


def test_contacts_crud_sync(live: Live) -> None:
    with Switchboard(base_url=live.url, api_key=live.api_key) as client:
        email = unique("ada") + "@example.com"
        created = client.contacts.create(firstName="Ada", lastName="Lovelace", email=email, company="Analytical")
        assert created["id"].startswith("con_") and created["email"] == email
        assert client.contacts.get(created["id"])["lastName"] == "Lovelace"
        updated = client.contacts.update(created["id"], company="Engines Ltd")
        assert updated["company"] == "Engines Ltd" and updated["firstName"] == "Ada"
        assert [c["id"] for c in client.contacts.list(email=email)] == [created["id"]]
        assert client.contacts.get(created["id"], fields=["email"]) == {"id": created["id"], "email": email}
        client.contacts.delete(created["id"])
        with pytest.raises(NotFoundError) as missing:
            client.contacts.get(created["id"])
        assert missing.value.status == 404 and missing.value.code == "not_found"
        assert missing.value.request_id and missing.value.request_id.startswith("req_")


def test_contacts_crud_async(live: Live) -> None:
    async def scenario() -> None:
        async with AsyncSwitchboard(base_url=live.url, api_key=live.api_key) as client:
            email = unique("grace") + "@example.com"
            created = await client.contacts.create(firstName="Grace", lastName="Hopper", email=email)
            assert (await client.contacts.get(created["id"]))["email"] == email
            assert (await client.contacts.update(created["id"], jobTitle="Rear Admiral"))["jobTitle"] == "Rear Admiral"
            page = await client.contacts.list(email=email)
            assert [c["id"] for c in page] == [created["id"]] and page.has_more is False
            await client.contacts.delete(created["id"])
            with pytest.raises(NotFoundError):
                await client.contacts.get(created["id"])

    asyncio.run(scenario())


def test_leads_crud_and_convert_sync(live: Live) -> None:
    with Switchboard(base_url=live.url, api_key=live.api_key) as client:
        source = unique("src")
        lead = client.leads.create(name="Initech", email=unique("bill") + "@example.com", source=source, score=40)
        assert lead["status"] == "new" and lead["score"] == 40
        assert client.leads.update(lead["id"], status="qualified", score=80)["status"] == "qualified"
        assert [l["id"] for l in client.leads.list(status="qualified", source=source)] == [lead["id"]]
        assert client.leads.list(status="new", source=source).data == []
        conversion = client.leads.convert(lead["id"], createDeal=True, dealName="Initech renewal", amount=12000.5, currency="USD")
        assert conversion["lead"]["status"] == "converted"
        assert conversion["contact"]["id"] == conversion["lead"]["convertedContactId"]
        assert conversion["deal"] is not None and conversion["deal"]["amount"] == 12000.5
        assert client.contacts.get(conversion["contact"]["id"])["email"] == lead["email"]
        client.leads.delete(lead["id"])
        with pytest.raises(NotFoundError):
            client.leads.get(lead["id"])


def test_leads_crud_and_convert_async(live: Live) -> None:
    async def scenario() -> None:
        async with AsyncSwitchboard(base_url=live.url, api_key=live.api_key) as client:
            source = unique("src")
            lead = await client.leads.create(name="Globex", source=source)
            assert (await client.leads.get(lead["id"]))["source"] == source
            await client.leads.update(lead["id"], status="contacted")
            assert [l["id"] async for l in client.leads.list_all(status="contacted", source=source)] == [lead["id"]]
            conversion = await client.leads.convert(lead["id"], createDeal=False)
            assert conversion["lead"]["status"] == "converted" and conversion["deal"] is None
            await client.leads.delete(lead["id"])
            with pytest.raises(NotFoundError):
                await client.leads.delete(lead["id"])

    asyncio.run(scenario())


def test_list_all_walks_every_page_sync(live: Live) -> None:
    log: list[Exchange] = []
    with recording_sync(live.url, log, api_key=live.api_key) as client:
        company = unique("pages")
        ids = {client.contacts.create(firstName=f"P{i}", company=company)["id"] for i in range(7)}
        first = client.contacts.list(company=company, limit=3)
        assert len(first) == 3 and first.has_more and first.next_cursor
        log.clear()
        seen = [c["id"] for c in client.contacts.list_all(company=company, limit=3, sort="createdAt")]
        assert len(seen) == 7 and set(seen) == ids  # every record once, none twice
        assert [e.status for e in log if e.path == "/api/v1/contacts"] == [200, 200, 200]  # 3 + 3 + 1


def test_list_all_walks_every_page_async(live: Live) -> None:
    async def scenario() -> None:
        log: list[Exchange] = []
        async with recording_async(live.url, log, api_key=live.api_key) as client:
            company = unique("pages")
            ids = {(await client.contacts.create(firstName=f"A{i}", company=company))["id"] for i in range(5)}
            log.clear()
            seen = [c["id"] async for c in client.contacts.list_all(company=company, limit=2)]
            assert sorted(seen) == sorted(ids)
            assert len([e for e in log if e.path == "/api/v1/contacts"]) == 3  # 2 + 2 + 1
            with pytest.raises(ValueError):
                [c async for c in client.contacts.list_all(offset=2)]

    asyncio.run(scenario())


def test_typed_errors_carry_status_code_request_id_and_field_messages_sync(live: Live) -> None:
    with Switchboard(base_url=live.url, api_key=live.api_key) as client:
        with pytest.raises(ValidationError) as invalid:
            client.contacts.create(firstName="X", email="not-an-email", phone="12")
        error = invalid.value
        assert error.status == 400 and error.code == "validation_failed"
        assert set(error.errors) >= {"email", "phone"} and all(error.errors[f] for f in ("email", "phone"))
        assert error.request_id and error.request_id.startswith("req_")
        assert "email" in str(error)
        with pytest.raises(ValidationError) as bad_filter:
            client.contacts.list(nickname="x")  # type: ignore[call-arg]
        assert bad_filter.value.errors
        read_only = client.api_keys.create(name=unique("ro"), scopes=["contacts:read"], expiresAt=None, rateLimit=None, allowedIps=None)
    with Switchboard(base_url=live.url, api_key=read_only["key"]) as reader:
        with pytest.raises(PermissionDeniedError) as denied:
            reader.contacts.create(firstName="No")
        assert denied.value.status == 403 and denied.value.code == "insufficient_scope"
    with Switchboard(base_url=live.url, api_key="sbk_nottherightkeyatallnottherightkey0000") as stranger:
        with pytest.raises(AuthenticationError) as refused:
            stranger.contacts.list()
        assert refused.value.status == 401 and refused.value.code in {"invalid_api_key", "unauthorized"}


def test_typed_errors_async(live: Live) -> None:
    async def scenario() -> None:
        async with AsyncSwitchboard(base_url=live.url, api_key=live.api_key) as client:
            with pytest.raises(ValidationError) as invalid:
                await client.leads.create(name="", status="bogus")  # type: ignore[arg-type]
            assert invalid.value.code == "validation_failed" and invalid.value.errors
            with pytest.raises(NotFoundError) as missing:
                await client.leads.update("lead_doesnotexist", name="x")
            assert missing.value.code == "not_found"

    asyncio.run(scenario())


def test_webhooks_and_integrations_surface(live: Live) -> None:
    with Switchboard(base_url=live.url, api_key=live.api_key) as client:
        catalog = {t["type"]: t for t in client.webhooks.event_types()["data"]}
        assert {"contact.created", "lead.created"} <= set(catalog) and "schema" in catalog["contact.created"]
        providers = client.integrations.providers.list()
        assert len(providers) > 0 and all("key" in p for p in providers)
        assert client.integrations.providers.icon(providers.data[0]["key"]).lstrip().startswith(b"<")
        assert client.me.get()["kind"] == "api_key"
        assert client.organization.get()["id"].startswith("org_")


def test_request_answers_the_whole_response_and_a_stale_if_match_is_refused_sync(live: Live) -> None:
    with Switchboard(base_url=live.url, api_key=live.api_key) as client:
        contact = client.contacts.create(firstName="Etag")
        read = client.request("getContact", path_params={"id": contact["id"]})
        assert read.status_code == 200 and read.json()["id"] == contact["id"]
        etag = read.headers["etag"]
        assert int(read.headers["x-ratelimit-remaining"]) >= 0
        client.contacts.update(contact["id"], if_match=etag, lastName="Fresh")
        with pytest.raises(PreconditionFailedError) as stale:
            client.contacts.update(contact["id"], if_match=etag, lastName="Stale")
        assert stale.value.status == 412 and stale.value.code == "precondition_failed"
        assert client.contacts.get(contact["id"])["lastName"] == "Fresh"


def test_request_async(live: Live) -> None:
    async def scenario() -> None:
        async with AsyncSwitchboard(base_url=live.url, api_key=live.api_key) as client:
            created = await client.request("createContact", body={"firstName": "Raw"})
            assert created.status_code == 201 and created.headers["location"].endswith(created.json()["id"])
            assert created.request.headers["idempotency-key"]
            page = await client.request("listContacts", query={"limit": 1})
            assert 'rel="next"' in page.headers.get("link", "") or page.json()["hasMore"] is False

    asyncio.run(scenario())


def test_usage_as_json_and_as_csv_sync_and_async(live: Live) -> None:
    with Switchboard(base_url=live.url, api_key=live.api_key) as client:
        usage = client.usage.get()
        assert isinstance(usage, dict) and usage
        csv = client.usage.export().decode("utf-8")
        header = csv.splitlines()[0]
        assert "," in header and not header.startswith("{")

    async def scenario() -> None:
        async with AsyncSwitchboard(base_url=live.url, api_key=live.api_key) as client:
            assert (await client.usage.export()).decode("utf-8").splitlines()[0] == header

    asyncio.run(scenario())

"""Every operation of the v1 document has a method in both clients, calling it with the document's method and path."""

from __future__ import annotations

import inspect

import pytest

from switchboard import AsyncSwitchboard, Switchboard
from switchboard._async._resources import AsyncResource
from switchboard._operations import OPERATIONS
from switchboard._sync._resources import Resource

HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


def document_operations(openapi: dict) -> dict[str, tuple[str, str]]:
    return {
        op["operationId"]: (method.upper(), path)
        for path, item in openapi["paths"].items()
        for method, op in item.items()
        if method in HTTP_METHODS
    }


def sdk_methods(client: object) -> dict[str, list[str]]:
    """operationId -> the SDK methods (``contacts.list``, ...) that call it, found by walking the client's resources."""
    found: dict[str, list[str]] = {}

    def walk(resource: object, prefix: str) -> None:
        for name, member in inspect.getmembers(resource):
            if name.startswith("_"):
                continue
            if isinstance(member, (Resource, AsyncResource)):
                walk(member, f"{prefix}{name}.")
            elif callable(member) and hasattr(member, "__operation_id__"):
                found.setdefault(member.__operation_id__, []).append(prefix + name)

    walk(client, "")
    return found


def test_the_operation_table_matches_the_document(openapi: dict) -> None:
    document = document_operations(openapi)
    assert document, "the document lists no operations"
    missing = sorted(set(document) - set(OPERATIONS))
    extra = sorted(set(OPERATIONS) - set(document))
    moved = sorted(op for op in set(document) & set(OPERATIONS) if document[op] != OPERATIONS[op])
    assert not missing, f"operations of the document the SDK does not know: {missing}"
    assert not extra, f"operations the SDK knows that the document no longer has: {extra}"
    assert not moved, f"operations whose method or path changed: {[(op, document[op], OPERATIONS[op]) for op in moved]}"


@pytest.mark.parametrize("client_type", [Switchboard, AsyncSwitchboard])
def test_every_operation_of_the_document_has_a_method(openapi: dict, client_type: type) -> None:
    client = client_type(api_key="sbk_unused", base_url="http://127.0.0.1:9")
    methods = sdk_methods(client)
    missing = sorted(set(document_operations(openapi)) - set(methods))
    assert not missing, f"{client_type.__name__} has no method for: {missing}"
    assert set(methods) <= set(OPERATIONS), sorted(set(methods) - set(OPERATIONS))
    # Spot checks of the names the README promises.
    assert "contacts.list" in methods["listContacts"] and "contacts.list_all" in methods["listContacts"]
    assert methods["convertLead"] == ["leads.convert"]
    assert methods["createWebhook"] == ["webhooks.create"]


def test_sync_and_async_clients_have_the_same_surface() -> None:
    sync = sdk_methods(Switchboard(api_key="sbk_unused", base_url="http://127.0.0.1:9"))
    async_ = sdk_methods(AsyncSwitchboard(api_key="sbk_unused", base_url="http://127.0.0.1:9"))
    assert sync == async_

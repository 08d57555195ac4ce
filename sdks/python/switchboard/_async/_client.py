"""The async client: ``async with AsyncSwitchboard(api_key=...) as client: await client.contacts.list()``."""

from __future__ import annotations

import os
from dataclasses import replace
from typing import Any, Mapping

import httpx

from .._request import NO_BODY, prepare
from .._retry import RetryPolicy
from ..auth import StaticToken, TokenProvider
from ._resources import (
    AsyncAdmin, AsyncActivities, AsyncAnalytics, AsyncApiKeys, AsyncAuditLogs, AsyncAuth, AsyncCalls, AsyncChat,
    AsyncContacts, AsyncDeals, AsyncIntegrations, AsyncInvitations, AsyncLeads, AsyncMe, AsyncMembers, AsyncOAuth,
    AsyncCurrentOrganization, AsyncOverview, AsyncPayments, AsyncTasks, AsyncTickets, AsyncUsage, AsyncWebhooks,
)
from ._transport import AsyncTransport

DEFAULT_BASE_URL = "http://localhost:5080"
DEFAULT_TIMEOUT = 30.0


class AsyncSwitchboard:
    """A client of one Switchboard installation with one credential.

    Credentials, in order: ``auth`` (a token provider: ``ClientCredentials``, ``UserSession``, ...), ``api_key``,
    ``access_token``, else the ``SWITCHBOARD_API_KEY`` environment variable. ``base_url`` defaults to
    ``SWITCHBOARD_BASE_URL`` or http://localhost:5080. Pass ``http_client`` to bring your own ``httpx.AsyncClient``
    (proxies, event hooks, custom transports); its base URL is then the client's.
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        access_token: str | None = None,
        auth: TokenProvider | None = None,
        base_url: str | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_retries: int = 3,
        retry: RetryPolicy | None = None,
        admin_token: str | None = None,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        if auth is None:
            token = api_key or access_token or os.environ.get("SWITCHBOARD_API_KEY")
            auth = StaticToken(token) if token else None
        self._owns_http = http_client is None
        if http_client is None:
            http_client = httpx.AsyncClient(base_url=base_url or os.environ.get("SWITCHBOARD_BASE_URL") or DEFAULT_BASE_URL)
        elif base_url is not None:
            http_client.base_url = httpx.URL(base_url)
        policy = retry if retry is not None else RetryPolicy(max_retries=max_retries)
        self._transport = AsyncTransport(
            http_client, auth, policy, timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout), admin_token
        )
        self._build()

    def _build(self) -> None:
        t = self._transport
        self.auth = AsyncAuth(t)
        self.me = AsyncMe(t)
        self.organization = AsyncCurrentOrganization(t)
        self.overview = AsyncOverview(t)
        self.members = AsyncMembers(t)
        self.invitations = AsyncInvitations(t)
        self.api_keys = AsyncApiKeys(t)
        self.contacts = AsyncContacts(t)
        self.leads = AsyncLeads(t)
        self.deals = AsyncDeals(t)
        self.activities = AsyncActivities(t)
        self.tasks = AsyncTasks(t)
        self.tickets = AsyncTickets(t)
        self.calls = AsyncCalls(t)
        self.payments = AsyncPayments(t)
        self.chat = AsyncChat(t)
        self.analytics = AsyncAnalytics(t)
        self.usage = AsyncUsage(t)
        self.audit_logs = AsyncAuditLogs(t)
        self.webhooks = AsyncWebhooks(t)
        self.integrations = AsyncIntegrations(t)
        self.oauth = AsyncOAuth(t)
        self.admin = AsyncAdmin(t)

    def with_options(
        self, *, timeout: float | httpx.Timeout | None = None, max_retries: int | None = None, retry: RetryPolicy | None = None
    ) -> AsyncSwitchboard:
        """A client sharing this one's connections and credential, with other timeout or retry settings."""
        clone = object.__new__(type(self))
        clone._owns_http = False
        t = self._transport
        policy = retry or (replace(t.retry, max_retries=max_retries) if max_retries is not None else t.retry)
        new_timeout = t.timeout if timeout is None else timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        clone._transport = AsyncTransport(t.http, t.auth, policy, new_timeout, t.admin_token)
        clone._build()
        return clone

    async def request(
        self,
        operation_id: str,
        *,
        path_params: Mapping[str, str] | None = None,
        query: Mapping[str, Any] | None = None,
        body: Any = NO_BODY,
        headers: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
        if_match: str | None = None,
    ) -> httpx.Response:
        """Any operation by its operationId, answering the whole HTTP response (status, headers such as ``ETag``,
        ``Link`` or ``X-RateLimit-Remaining``, and body), with the same credentials, retries and errors as the
        resource methods."""
        call = prepare(
            operation_id, path_params=path_params, query=query, body=body, headers=headers,
            idempotency_key=idempotency_key, if_match=if_match,
        )
        return await self._transport.send(call)

    @property
    def http(self) -> httpx.AsyncClient:
        return self._transport.http

    async def aclose(self) -> None:
        if self._owns_http:
            await self._transport.http.aclose()

    async def __aenter__(self) -> AsyncSwitchboard:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()

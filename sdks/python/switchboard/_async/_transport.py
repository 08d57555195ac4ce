"""Sends one operation: credentials, retries with backoff, Idempotency-Key, typed errors."""

from __future__ import annotations

import asyncio
from typing import Any, Mapping

import httpx

from .._request import NO_BODY, USER_AGENT, PreparedCall, QueryValue, decode, prepare
from .._retry import RetryPolicy
from ..auth import TokenProvider
from ..errors import APIConnectionError, APITimeoutError, SwitchboardError, error_from_response


class AsyncTransport:
    def __init__(
        self,
        http: httpx.AsyncClient,
        auth: TokenProvider | None,
        retry: RetryPolicy,
        timeout: httpx.Timeout,
        admin_token: str | None = None,
    ) -> None:
        self.http = http
        self.auth = auth
        self.retry = retry
        self.timeout = timeout
        self.admin_token = admin_token

    async def call(
        self,
        operation_id: str,
        *,
        path_params: Mapping[str, str] | None = None,
        query: Mapping[str, QueryValue] | None = None,
        body: Any = NO_BODY,
        content: bytes | None = None,
        content_type: str | None = None,
        headers: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
        if_match: str | None = None,
        authenticated: bool = True,
    ) -> Any:
        prepared = prepare(
            operation_id, path_params=path_params, query=query, body=body, content=content, content_type=content_type,
            headers=headers, idempotency_key=idempotency_key, if_match=if_match, authenticated=authenticated,
        )
        return decode(await self.send(prepared))

    async def send(self, call: PreparedCall) -> httpx.Response:
        """Sends until an answer that is not retried, or the retries run out. The request's bytes and its
        Idempotency-Key are the same on every attempt, so a POST that did happen is replayed, not repeated."""
        attempt = 0
        renewed = False
        while True:
            headers = {"User-Agent": USER_AGENT, **call.headers}
            token: str | None = None
            error: SwitchboardError
            try:
                if self.auth is not None and call.authenticated:
                    token = await self.auth.aget_token(self.http)
                    headers["Authorization"] = f"Bearer {token}"
                if self.admin_token is not None and call.operation_id == "setOrganizationPlan":
                    headers["X-Admin-Token"] = self.admin_token
                response = await self.http.request(
                    call.method, call.path, params=call.params, content=call.content, headers=headers, timeout=self.timeout,
                )
            except httpx.TimeoutException as e:
                error = APITimeoutError(f"{call.method} {call.path} timed out: {e}", request=getattr(e, "request", None))
            except httpx.TransportError as e:
                error = APIConnectionError(f"{call.method} {call.path} failed: {e!r}", request=getattr(e, "request", None))
            except APIConnectionError as e:
                error = e
            else:
                if response.status_code < 400:
                    return response
                if response.status_code == 401 and token is not None and self.auth is not None and self.auth.refreshable and not renewed:
                    # The token was refused (expired early, or revoked): renew it once and send again.
                    self.auth.invalidate(token)
                    renewed = True
                    continue
                error = error_from_response(response)
            delay = self.retry.delay(attempt, error)
            if delay is None:
                raise error
            attempt += 1
            await asyncio.sleep(delay)

"""Credentials: API keys, user sessions that refresh themselves, and OAuth 2.0 apps' tokens.

A token provider hands the client a bearer token before each attempt. Providers that can get a new token
(client credentials, refresh tokens) are asked again after a 401, once per call.

- Client credentials: RFC 6749 §4.4, client authentication by HTTP Basic (§2.3.1, id and secret form-urlencoded
  first). The token is cached until shortly before ``expires_in`` runs out (docs/oauth-apps.md §4: no refresh token
  comes with it; ask again).
- Refresh tokens rotate (RFC 9700 §4.14.2, docs/authentication.md): each refresh answers a new refresh token and the
  old one stops working, so a provider keeps only the latest and hands it to ``on_refresh`` for the caller to store.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any, Callable, Mapping, Protocol, Sequence, runtime_checkable
from urllib.parse import quote_plus

import httpx

from .errors import APIConnectionError, APITimeoutError, OAuthError, error_from_response

__all__ = ["TokenProvider", "StaticToken", "ClientCredentials", "UserSession", "OAuthRefreshToken"]

DEFAULT_TOKEN_URL = "/oauth/token"


@runtime_checkable
class TokenProvider(Protocol):
    """What the clients need from a credential."""

    refreshable: bool

    def get_token(self, http: httpx.Client) -> str: ...

    async def aget_token(self, http: httpx.AsyncClient) -> str: ...

    def invalidate(self, token: str) -> None: ...


class StaticToken:
    """An API key (``sbk_…``) or an access token used as it is."""

    refreshable = False

    def __init__(self, token: str) -> None:
        if not token:
            raise ValueError("token must not be empty")
        self._token = token

    def get_token(self, http: httpx.Client) -> str:
        return self._token

    async def aget_token(self, http: httpx.AsyncClient) -> str:
        return self._token

    def invalidate(self, token: str) -> None:
        """A fixed credential cannot be renewed."""

    def __repr__(self) -> str:  # never show the secret
        return f"StaticToken({self._token[:8]}…)"


class _RefreshingToken:
    """A cached access token renewed by one request; thread-safe and task-safe (one renewal at a time)."""

    refreshable = True

    def __init__(self, access_token: str | None, expires_in: float | None, leeway: float) -> None:
        self._access_token = access_token
        self._leeway = leeway
        self._expires_at = self._deadline(expires_in) if access_token else 0.0
        self._lock = threading.Lock()
        self._async_lock: asyncio.Lock | None = None
        self._async_lock_loop: asyncio.AbstractEventLoop | None = None

    # What a subclass says: the request that renews, and what to keep from the answer.
    def _renewal(self) -> tuple[str, dict[str, Any]]:
        raise NotImplementedError

    def _accept(self, answer: Mapping[str, Any]) -> None:
        raise NotImplementedError

    def _refuse(self, response: httpx.Response) -> Exception:
        raise NotImplementedError

    @property
    def access_token(self) -> str | None:
        return self._access_token

    def _fresh(self) -> str | None:
        if self._access_token and time.monotonic() < self._expires_at:
            return self._access_token
        return None

    def _deadline(self, expires_in: float | None) -> float:
        # Without expires_in the token is used until the API refuses it (then invalidate() renews it).
        return float("inf") if expires_in is None else time.monotonic() + max(0.0, float(expires_in) - self._leeway)

    def _store(self, access_token: str, expires_in: float | None) -> str:
        self._access_token = access_token
        self._expires_at = self._deadline(expires_in)
        return access_token

    def _handle(self, response: httpx.Response) -> str:
        if response.status_code != 200:
            raise self._refuse(response)
        answer = response.json()
        self._accept(answer)
        assert self._access_token is not None
        return self._access_token

    def get_token(self, http: httpx.Client) -> str:
        token = self._fresh()
        if token:
            return token
        with self._lock:
            token = self._fresh()
            if token:
                return token
            url, kwargs = self._renewal()
            try:
                return self._handle(http.post(url, **kwargs))
            except httpx.TimeoutException as e:
                raise APITimeoutError(f"token request timed out: {e}") from e
            except httpx.TransportError as e:
                raise APIConnectionError(f"token request failed: {e}") from e

    async def aget_token(self, http: httpx.AsyncClient) -> str:
        token = self._fresh()
        if token:
            return token
        # One lock per event loop: a provider may outlive the loop it was first used in (asyncio.run twice).
        loop = asyncio.get_running_loop()
        if self._async_lock is None or self._async_lock_loop is not loop:
            self._async_lock, self._async_lock_loop = asyncio.Lock(), loop
        async with self._async_lock:
            token = self._fresh()
            if token:
                return token
            url, kwargs = self._renewal()
            try:
                return self._handle(await http.post(url, **kwargs))
            except httpx.TimeoutException as e:
                raise APITimeoutError(f"token request timed out: {e}") from e
            except httpx.TransportError as e:
                raise APIConnectionError(f"token request failed: {e}") from e

    def invalidate(self, token: str) -> None:
        if token == self._access_token:
            self._expires_at = 0.0


def _oauth_refusal(response: httpx.Response) -> OAuthError:
    try:
        body = response.json()
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
    return OAuthError(response.status_code, str(body.get("error") or "invalid_response"), body.get("error_description"))


def _basic(client_id: str, client_secret: str) -> httpx.BasicAuth:
    # RFC 6749 §2.3.1: the id and secret are application/x-www-form-urlencoded before Basic encoding.
    return httpx.BasicAuth(quote_plus(client_id), quote_plus(client_secret))


def _scope(scope: str | Sequence[str] | None) -> str | None:
    if scope is None:
        return None
    return scope if isinstance(scope, str) else " ".join(scope)


class ClientCredentials(_RefreshingToken):
    """An OAuth app working for its own organization (RFC 6749 §4.4). Tokens are cached until ``leeway`` seconds
    before they expire, and fetched again after a 401."""

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        *,
        scope: str | Sequence[str] | None = None,
        token_url: str = DEFAULT_TOKEN_URL,
        leeway: float = 30.0,
    ) -> None:
        super().__init__(None, None, leeway)
        self.client_id = client_id
        self._client_secret = client_secret
        self.scope = _scope(scope)
        self.token_url = token_url
        self.token_requests = 0
        self.granted_scope: str | None = None

    def _renewal(self) -> tuple[str, dict[str, Any]]:
        self.token_requests += 1
        data = {"grant_type": "client_credentials"}
        if self.scope:
            data["scope"] = self.scope
        return self.token_url, {"data": data, "auth": _basic(self.client_id, self._client_secret)}

    def _accept(self, answer: Mapping[str, Any]) -> None:
        self.granted_scope = answer.get("scope")
        self._store(str(answer["access_token"]), answer.get("expires_in"))

    def _refuse(self, response: httpx.Response) -> Exception:
        return _oauth_refusal(response)

    def __repr__(self) -> str:
        return f"ClientCredentials(client_id={self.client_id!r}, scope={self.scope!r})"


class OAuthRefreshToken(_RefreshingToken):
    """A user's tokens from the authorization code flow of an OAuth app, renewed with the refresh_token grant.
    A confidential app authenticates with its secret; a public app sends only its ``client_id``."""

    def __init__(
        self,
        client_id: str,
        refresh_token: str,
        *,
        client_secret: str | None = None,
        access_token: str | None = None,
        expires_in: float | None = None,
        token_url: str = DEFAULT_TOKEN_URL,
        on_refresh: Callable[[Mapping[str, Any]], None] | None = None,
        leeway: float = 30.0,
    ) -> None:
        super().__init__(access_token, expires_in, leeway)
        self.client_id = client_id
        self._client_secret = client_secret
        self._refresh_token = refresh_token
        self.token_url = token_url
        self._on_refresh = on_refresh

    @property
    def refresh_token(self) -> str:
        return self._refresh_token

    def _renewal(self) -> tuple[str, dict[str, Any]]:
        data = {"grant_type": "refresh_token", "refresh_token": self._refresh_token}
        if self._client_secret is None:
            data["client_id"] = self.client_id
            return self.token_url, {"data": data}
        return self.token_url, {"data": data, "auth": _basic(self.client_id, self._client_secret)}

    def _accept(self, answer: Mapping[str, Any]) -> None:
        self._refresh_token = str(answer.get("refresh_token") or self._refresh_token)
        self._store(str(answer["access_token"]), answer.get("expires_in"))
        if self._on_refresh:
            self._on_refresh(answer)

    def _refuse(self, response: httpx.Response) -> Exception:
        return _oauth_refusal(response)


class UserSession(_RefreshingToken):
    """A person's Switchboard session (``POST /api/v1/auth/login`` or ``signup``): the access token is renewed with
    ``POST /api/v1/auth/refresh`` when it expires or is refused, and each new session (with its new refresh token)
    goes to ``on_refresh``."""

    REFRESH_PATH = "/api/v1/auth/refresh"

    def __init__(
        self,
        access_token: str | None,
        refresh_token: str,
        *,
        expires_in: float | None = None,
        on_refresh: Callable[[Mapping[str, Any]], None] | None = None,
        leeway: float = 30.0,
    ) -> None:
        super().__init__(access_token, expires_in, leeway)
        self._refresh_token = refresh_token
        self._on_refresh = on_refresh
        self.refreshes = 0

    @classmethod
    def from_auth(cls, session: Mapping[str, Any], *, on_refresh: Callable[[Mapping[str, Any]], None] | None = None) -> UserSession:
        """From an answer of signup, login or refresh."""
        return cls(session["accessToken"], session["refreshToken"], expires_in=session.get("expiresIn"), on_refresh=on_refresh)

    @property
    def refresh_token(self) -> str:
        return self._refresh_token

    def _renewal(self) -> tuple[str, dict[str, Any]]:
        self.refreshes += 1
        return self.REFRESH_PATH, {"json": {"refreshToken": self._refresh_token}}

    def _accept(self, answer: Mapping[str, Any]) -> None:
        self._refresh_token = str(answer["refreshToken"])
        self._store(str(answer["accessToken"]), answer.get("expiresIn"))
        if self._on_refresh:
            self._on_refresh(answer)

    def _refuse(self, response: httpx.Response) -> Exception:
        return error_from_response(response)

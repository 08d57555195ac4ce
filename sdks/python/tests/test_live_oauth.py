"""OAuth: client credentials (cached tokens, scopes enforced), user sessions and OAuth refresh tokens that renew themselves."""

from __future__ import annotations

import asyncio

import pytest

from conftest import Exchange, Live, recording_async, recording_sync, unique
from switchboard import (
    AsyncSwitchboard, AuthenticationError, ClientCredentials, OAuthError, OAuthRefreshToken, PermissionDeniedError, Switchboard,
    UserSession,
)


def test_client_credentials_sync(live: Live) -> None:
    credentials = ClientCredentials(live.client_id, live.client_secret, scope="contacts:read")
    log: list[Exchange] = []
    with recording_sync(live.url, log, auth=credentials) as client:
        first = client.contacts.list(limit=1)
        second = client.contacts.list(limit=2)
        assert first.data is not None and second.data is not None
        assert credentials.token_requests == 1  # cached: one token for both calls
        assert [e.path for e in log].count("/oauth/token") == 1
        assert credentials.granted_scope == "contacts:read"
        me = client.me.get()
        assert me["user"] is None and me["scopes"] == ["contacts:read"]
        with pytest.raises(PermissionDeniedError) as denied:
            client.contacts.create(firstName="Not allowed")
        assert denied.value.code == "insufficient_scope"
    with Switchboard(base_url=live.url, auth=ClientCredentials(live.client_id, "sbs_wrong-secret")) as wrong:
        with pytest.raises(OAuthError) as refused:
            wrong.contacts.list()
        assert refused.value.status == 401 and refused.value.error == "invalid_client"


def test_client_credentials_async(live: Live) -> None:
    async def scenario() -> None:
        credentials = ClientCredentials(live.client_id, live.client_secret, scope=["contacts:read", "contacts:write"])
        async with AsyncSwitchboard(base_url=live.url, auth=credentials) as client:
            created, listed = await asyncio.gather(
                client.contacts.create(firstName="Via", lastName="OAuth"), client.contacts.list(limit=1)
            )
            assert created["id"].startswith("con_") and listed.data is not None
            assert (await client.contacts.get(created["id"]))["lastName"] == "OAuth"
            assert credentials.token_requests == 1  # two concurrent calls, one token request
            credentials.invalidate(credentials.access_token or "")
            await client.contacts.delete(created["id"])
            assert credentials.token_requests == 2

    asyncio.run(scenario())


def test_a_user_session_refreshes_when_expired_and_when_refused_sync(live: Live) -> None:
    with Switchboard(base_url=live.url) as anonymous:
        session = anonymous.auth.login(email=live.email, password=live.password)
    saved: list[str] = []
    # Expired already (expires_in=0): the first call refreshes first.
    user = UserSession(session["accessToken"], session["refreshToken"], expires_in=0, on_refresh=lambda s: saved.append(s["refreshToken"]))
    with Switchboard(base_url=live.url, auth=user) as client:
        me = client.me.get()
        assert me["kind"] == "user" and me["user"]["email"] == live.email
        assert user.refreshes == 1 and saved == [user.refresh_token] and saved[0] != session["refreshToken"]
    # The first refresh token was spent: refresh tokens rotate, and a reused one is refused.
    with Switchboard(base_url=live.url) as anonymous:
        with pytest.raises(AuthenticationError) as reused:
            anonymous.auth.refresh(refreshToken=session["refreshToken"])
        assert reused.value.code in {"refresh_token_reused", "invalid_refresh_token"}


def test_a_user_session_refreshes_after_a_401_async(live: Live) -> None:
    async def scenario() -> None:
        async with AsyncSwitchboard(base_url=live.url) as anonymous:
            session = await anonymous.auth.login(email=live.email, password=live.password)
        # An access token the API refuses (revoked, or expired early): the client refreshes once and sends again.
        user = UserSession("not-a-valid-token", session["refreshToken"])
        log: list[Exchange] = []
        async with recording_async(live.url, log, auth=user) as client:
            contact = await client.contacts.create(firstName=unique("session"))
            assert contact["id"].startswith("con_")
        assert [(e.path, e.status) for e in log] == [
            ("/api/v1/contacts", 401), ("/api/v1/auth/refresh", 200), ("/api/v1/contacts", 201),
        ]
        assert user.refreshes == 1 and user.access_token != "not-a-valid-token"

    asyncio.run(scenario())


def test_an_oauth_refresh_token_renews_and_rotates_sync_then_async(live: Live, oauth_refresh_token: str) -> None:
    rotations: list[str] = []
    first = OAuthRefreshToken(live.client_id, oauth_refresh_token, client_secret=live.client_secret,
                              on_refresh=lambda answer: rotations.append(answer["refresh_token"]))
    with Switchboard(base_url=live.url, auth=first) as client:
        me = client.me.get()
        assert me["kind"] != "api_key" and me["user"] is not None and me["user"]["email"] == live.email
        assert set(me["scopes"]) == {"contacts:read", "contacts:write"}
        assert client.contacts.list(limit=1).data is not None
    assert rotations == [first.refresh_token] and first.refresh_token != oauth_refresh_token  # rotated once, kept

    async def scenario() -> None:
        second = OAuthRefreshToken(live.client_id, first.refresh_token, client_secret=live.client_secret)
        async with AsyncSwitchboard(base_url=live.url, auth=second) as client:
            created = await client.contacts.create(firstName=unique("oauth-user"))
            assert created["id"].startswith("con_")
        assert second.refresh_token not in (first.refresh_token, oauth_refresh_token)

    asyncio.run(scenario())
    # A spent refresh token is refused at the token endpoint (and, RFC 9700 §4.14.2, ends the grant).
    with Switchboard(base_url=live.url, auth=OAuthRefreshToken(live.client_id, oauth_refresh_token, client_secret=live.client_secret)) as client:
        with pytest.raises(OAuthError) as spent:
            client.contacts.list()
        assert spent.value.error == "invalid_grant"

"""Shared fixtures. Offline tests need nothing; live tests need a running node, described by environment variables
(tests/Switchboard.Tests/Sdks/PythonSdkTests.cs starts a node, prepares a world through the public API and sets them):

    SWITCHBOARD_TEST_URL            the node, e.g. http://127.0.0.1:5080
    SWITCHBOARD_TEST_API_KEY        an API key with the admin scope
    SWITCHBOARD_TEST_CLIENT_ID      a confidential OAuth app of the same organization (contacts:read, contacts:write)
    SWITCHBOARD_TEST_CLIENT_SECRET
    SWITCHBOARD_TEST_EMAIL          the owner who signs in (for user sessions)
    SWITCHBOARD_TEST_PASSWORD
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # the package under test, without installing it
sys.path.insert(0, str(HERE))

SNAPSHOT = Path(os.environ.get("SWITCHBOARD_OPENAPI", HERE.parents[2] / "tests/Switchboard.Tests/Docs/openapi-v1.snapshot.json"))


@dataclass(frozen=True)
class Live:
    url: str
    api_key: str
    client_id: str
    client_secret: str
    email: str
    password: str


@pytest.fixture(scope="session")
def openapi() -> dict:
    return json.loads(SNAPSHOT.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def live() -> Live:
    names = ["URL", "API_KEY", "CLIENT_ID", "CLIENT_SECRET", "EMAIL", "PASSWORD"]
    values = {n: os.environ.get(f"SWITCHBOARD_TEST_{n}") for n in names}
    missing = [n for n, v in values.items() if not v]
    if missing:
        pytest.skip("no live node: set " + ", ".join(f"SWITCHBOARD_TEST_{n}" for n in missing))
    v = {n: value or "" for n, value in values.items()}
    return Live(
        url=v["URL"].rstrip("/"), api_key=v["API_KEY"], client_id=v["CLIENT_ID"],
        client_secret=v["CLIENT_SECRET"], email=v["EMAIL"], password=v["PASSWORD"],
    )


@dataclass
class Exchange:
    method: str
    path: str
    status: int
    headers: dict[str, str]


def recording_sync(url: str, log: list[Exchange], **options: Any) -> Any:
    """A sync client whose httpx client records every answer it gets (httpx event hooks)."""
    import httpx

    from switchboard import Switchboard

    def record(response: httpx.Response) -> None:
        log.append(Exchange(response.request.method, response.request.url.path, response.status_code, dict(response.headers)))

    return Switchboard(http_client=httpx.Client(base_url=url, event_hooks={"response": [record]}), **options)


def recording_async(url: str, log: list[Exchange], **options: Any) -> Any:
    import httpx

    from switchboard import AsyncSwitchboard

    async def record(response: httpx.Response) -> None:
        log.append(Exchange(response.request.method, response.request.url.path, response.status_code, dict(response.headers)))

    return AsyncSwitchboard(http_client=httpx.AsyncClient(base_url=url, event_hooks={"response": [record]}), **options)


def unique(prefix: str) -> str:
    import uuid

    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="session")
def oauth_refresh_token(live: Live) -> str:
    """A user's refresh token for the confidential app (the harness gets it through the authorization code flow)."""
    token = os.environ.get("SWITCHBOARD_TEST_OAUTH_REFRESH_TOKEN")
    if not token:
        pytest.skip("set SWITCHBOARD_TEST_OAUTH_REFRESH_TOKEN: a refresh token of the app's authorization code flow")
    return token

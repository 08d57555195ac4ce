"""Turning an operation and its arguments into HTTP, and an answer back into Python: shared by both clients."""

from __future__ import annotations

import datetime as _dt
import json
import uuid
from dataclasses import dataclass, field
from typing import Any, Mapping
from urllib.parse import quote

import httpx

from ._operations import OPERATIONS
from ._version import __version__

USER_AGENT = f"switchboard-sdk-python/{__version__}"
NO_BODY: Any = object()
QueryValue = Any  # str | int | float | bool | date | datetime | Sequence[str] | None
Primitive = str | int | float | bool | None


@dataclass
class PreparedCall:
    operation_id: str
    method: str
    path: str
    params: httpx.QueryParams
    headers: dict[str, str]
    content: bytes | None
    authenticated: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


def prepare(
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
) -> PreparedCall:
    method, template = OPERATIONS[operation_id]
    path = template
    for name, value in (path_params or {}).items():
        if not isinstance(value, str) or value == "":
            raise ValueError(f"{operation_id}: '{name}' must be a non-empty string")
        # quote(safe=""): an id can never reach another path (no "/" or ".." survives).
        path = path.replace("{" + name + "}", quote(value, safe=""))
    if "{" in path:
        raise ValueError(f"{operation_id}: missing path parameter in {template}")
    all_headers: dict[str, str] = {"Accept": "application/json"}
    if body is not NO_BODY:
        # Serialized once: a retry resends these exact bytes, as idempotency keys require (docs/idempotency.md).
        content = json.dumps(body, separators=(",", ":"), ensure_ascii=False, default=_json_default).encode("utf-8")
        content_type = "application/json"
    if content_type:
        all_headers["Content-Type"] = content_type
    if method == "POST" and authenticated:
        all_headers["Idempotency-Key"] = idempotency_key or str(uuid.uuid4())
    if if_match:
        all_headers["If-Match"] = if_match
    all_headers.update(headers or {})
    return PreparedCall(operation_id, method, path, httpx.QueryParams(encode_query(query or {})), all_headers, content, authenticated)


def encode_query(query: Mapping[str, QueryValue]) -> list[tuple[str, Primitive]]:
    pairs: list[tuple[str, Primitive]] = []
    for name, value in query.items():
        if value is None:
            continue
        pairs.append((name, format_value(value)))
    return pairs


def format_value(value: QueryValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            raise ValueError("datetimes sent to the API must be timezone-aware (the API speaks UTC)")
        return value.astimezone(_dt.timezone.utc).isoformat().replace("+00:00", "Z")
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, (list, tuple, set, frozenset)) or (not isinstance(value, (str, bytes)) and hasattr(value, "__iter__")):
        return ",".join(str(v) for v in value)
    return str(value)


def _json_default(value: Any) -> Any:
    if isinstance(value, (_dt.datetime, _dt.date)):
        return format_value(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def decode(response: httpx.Response) -> Any:
    """The answer's JSON (None for 204/304); bytes for a non-JSON answer (an SVG icon, a provider's text)."""
    if response.status_code in (204, 304) or not response.content:
        return None
    content_type = response.headers.get("content-type", "")
    if "json" in content_type:
        return response.json()
    return response.content

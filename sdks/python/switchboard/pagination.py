"""One page of a list: ``{ data, hasMore, nextCursor }`` (docs/pagination.md)."""

from __future__ import annotations

from typing import Any, Callable, Generic, Iterator, Mapping, TypeVar

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


class Page(Generic[T]):
    """A page of records. Iterate it for its records; ``next_cursor`` fetches the next one (``cursor=``), or use a
    resource's ``list_all`` to walk every page."""

    __slots__ = ("data", "has_more", "next_cursor")

    def __init__(self, data: list[T], has_more: bool, next_cursor: str | None) -> None:
        self.data = data
        self.has_more = has_more
        self.next_cursor = next_cursor

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> Page[Any]:
        return cls(list(body["data"]), bool(body.get("hasMore")), body.get("nextCursor"))

    def __iter__(self) -> Iterator[T]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        return f"Page({len(self.data)} records, has_more={self.has_more})"


def operation(operation_id: str) -> Callable[[F], F]:
    """Marks a method as the SDK's call of an operation of the OpenAPI document (checked by tests/test_coverage.py)."""

    def mark(method: F) -> F:
        method.__operation_id__ = operation_id  # type: ignore[attr-defined]
        return method

    return mark

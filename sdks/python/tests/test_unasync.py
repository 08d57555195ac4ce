"""The sync client is generated from the async one; the committed files must be what the generator writes."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
import unasync  # noqa: E402


def test_the_sync_client_is_generated_from_the_async_one() -> None:
    stale = [str(path.name) for path, text in unasync.generated().items() if not path.exists() or path.read_text(encoding="utf-8") != text]
    assert not stale, f"switchboard/_sync is stale ({stale}): run scripts/unasync.py"


def test_the_generated_code_has_no_async_left() -> None:
    for path, text in unasync.generated().items():
        assert "await " not in text and "async def" not in text, path.name

"""The async client. scripts/unasync.py writes ``_sync`` from ``_async``: edit the async files only."""

#!/usr/bin/env bash
# Pagination at depth on PostgreSQL: starts a throwaway PostgreSQL on 127.0.0.1, seeds one tenant with N contacts
# (default 1,000,000), and measures first page, cursor pages at depth and offset pages.
# Usage: bench/paging.sh [rows]
set -euo pipefail
cd "$(dirname "$0")/.."
# Defaults except shared_buffers sized so the table and its indexes can be cached, as on a real database server.
source bench/throwaway-postgres.sh 55600 shared_buffers=1GB
dotnet run -c Release --project bench/Switchboard.PagingBench -- "${1:-1000000}"

#!/usr/bin/env bash
# A HubSpot contacts sync end to end on PostgreSQL: starts a throwaway PostgreSQL on 127.0.0.1 (fsync on), a paged
# HubSpot fake on loopback (100 contacts a page) and a node that syncs them into CRM contacts; prints records/s.
# Usage: bench/integrations-sync.sh [contacts, default 100000]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/throwaway-postgres.sh 55800 shared_buffers=512MB max_connections=200
dotnet run -c Release --project bench/Switchboard.SyncBench -- "${1:-100000}"

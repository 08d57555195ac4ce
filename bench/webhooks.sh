#!/usr/bin/env bash
# Webhooks end to end on PostgreSQL: starts a throwaway PostgreSQL on 127.0.0.1 (fsync on), writes contacts through
# the API and measures deliveries to a loopback receiver (throughput, delivery alone, latency at 200 events/s).
# Usage: bench/webhooks.sh [events]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/throwaway-postgres.sh 55700 shared_buffers=512MB max_connections=200
dotnet run -c Release --project bench/Switchboard.WebhookBench -- "${1:-10000}"

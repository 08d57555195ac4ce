#!/usr/bin/env bash
# Integration actions end to end on PostgreSQL: starts a throwaway PostgreSQL on 127.0.0.1 (fsync on), writes leads
# through the API and measures the Slack cards a rule posts to a loopback fake Slack (actions/s, first write to last card).
# Usage: bench/integrations-actions.sh [leads]   (SWITCHBOARD_BENCH_WARMUP=<leads> sets the untimed warm-up, default 3000)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/throwaway-postgres.sh 55800 shared_buffers=512MB max_connections=200
dotnet run -c Release --project bench/Switchboard.ActionsBench -- "${1:-10000}"

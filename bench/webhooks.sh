#!/usr/bin/env bash
# Webhooks end to end on PostgreSQL: starts a throwaway PostgreSQL on 127.0.0.1 (fsync on), writes contacts through
# the API and measures deliveries to a loopback receiver (throughput, delivery alone, latency at 200 events/s).
# NODES sets the number of nodes on the one database (1, the default, or 2); a list runs each in turn, each on a new
# database of the same PostgreSQL: NODES="1 2" (or "1 2 1 2" for alternating pairs). SWITCHBOARD_BENCH_NODE_PROCESSES=1
# runs a single node in a child process as well, as the two nodes are run (to separate the cost of a second node from
# that of a node outside the benchmark's process).
# Usage: [NODES="1 2"] bench/webhooks.sh [events]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/throwaway-postgres.sh 55700 shared_buffers=512MB max_connections=200
dotnet build -c Release -v quiet -nologo bench/Switchboard.WebhookBench
for nodes in ${NODES:-1}; do
  echo "== NODES=$nodes, $(date -u +%FT%TZ), load average: $(cut -d' ' -f1-3 /proc/loadavg)"
  NODES="$nodes" dotnet run --no-build -c Release --project bench/Switchboard.WebhookBench -- "${1:-10000}"
done

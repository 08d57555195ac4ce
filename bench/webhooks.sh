#!/usr/bin/env bash
# Webhooks end to end on PostgreSQL: starts a throwaway PostgreSQL on 127.0.0.1 (fsync on), writes contacts through
# the API and measures deliveries to a loopback receiver (throughput, delivery alone, latency at 200 events/s).
# NODES sets the number of nodes on the one database (1, the default, or 2); a list runs each in turn, each on a new
# database of the same PostgreSQL: NODES="1 2" (or "1 2 1 2" for alternating pairs). "1c" is one node in a child
# process, as the two nodes are run (SWITCHBOARD_BENCH_NODE_PROCESSES=1): it separates what a second node costs from
# what a node outside the benchmark's process costs. SWITCHBOARD_BENCH_STATEMENTS=1 loads pg_stat_statements and prints
# the top statements of each run (whole run, warm-up included; a fixed SWITCHBOARD_BENCH_WARMUP makes runs comparable).
# Usage: [NODES="1 1c 2"] [SWITCHBOARD_BENCH_STATEMENTS=1] bench/webhooks.sh [events]
set -euo pipefail
cd "$(dirname "$0")/.."
statements=()
if [ "${SWITCHBOARD_BENCH_STATEMENTS:-0}" = 1 ]; then statements=(shared_preload_libraries=pg_stat_statements pg_stat_statements.track=all); fi
source bench/throwaway-postgres.sh 55700 shared_buffers=512MB max_connections=200 "${statements[@]}"
psql=("$PGBIN/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -qAt)
if [ ${#statements[@]} -gt 0 ]; then "${psql[@]}" -c "CREATE EXTENSION pg_stat_statements"; fi
dotnet build -c Release -v quiet -nologo bench/Switchboard.WebhookBench
for run in ${NODES:-1}; do
  nodes="${run%c}"; processes=0; [ "$run" != "$nodes" ] && processes=1
  echo "== NODES=$run, $(date -u +%FT%TZ), load average: $(cut -d' ' -f1-3 /proc/loadavg)"
  if [ ${#statements[@]} -gt 0 ]; then "${psql[@]}" -c "SELECT pg_stat_statements_reset()" >/dev/null; fi
  NODES="$nodes" SWITCHBOARD_BENCH_NODE_PROCESSES="${SWITCHBOARD_BENCH_NODE_PROCESSES:-$processes}" \
    dotnet run --no-build -c Release --project bench/Switchboard.WebhookBench -- "${1:-10000}"
  if [ ${#statements[@]} -gt 0 ]; then
    echo "-- pg_stat_statements, whole run: calls | execution ms (wall time) | rows | statement"
    "${psql[@]}" -F ' | ' -c "SELECT calls, round(total_exec_time::numeric), rows, left(regexp_replace(query, '\s+', ' ', 'g'), 150)
      FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 25"
    "${psql[@]}" -c "SELECT 'all statements: ' || sum(calls) || ' calls, ' || round(sum(total_exec_time)::numeric) || ' ms' FROM pg_stat_statements"
  fi
done

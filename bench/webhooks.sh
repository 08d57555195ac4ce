#!/usr/bin/env bash
# Webhooks end to end on PostgreSQL. Starts a throwaway PostgreSQL on 127.0.0.1 (fsync on), writes contacts
# through the API and measures deliveries to a loopback receiver (throughput, then latency at 200 events/s).
# Usage: bench/webhooks.sh [events]
set -euo pipefail
cd "$(dirname "$0")/.."
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
PGBIN="$(pg_bin)"
if [ -z "$PGBIN" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; PGBIN="$(pg_bin)"; fi
port=55700
while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
PGDATA="$(mktemp -d /tmp/switchboard-webhooks-pg.XXXXXX)"
RUNAS=()
if [ "$(id -u)" -eq 0 ]; then chown postgres "$PGDATA"; RUNAS=(runuser -u postgres --); fi
trap '"${RUNAS[@]}" "$PGBIN/pg_ctl" -D "$PGDATA" -m fast stop >/dev/null 2>&1 || true; rm -rf "$PGDATA"' EXIT
"${RUNAS[@]}" "$PGBIN/initdb" -D "$PGDATA" -U postgres -A trust -E UTF8 >/dev/null
# Defaults except shared_buffers sized so the table and its indexes can be cached, as on a real database server.
"${RUNAS[@]}" "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -w -o "-p $port -k $PGDATA -c listen_addresses=127.0.0.1 -c shared_buffers=512MB -c max_connections=200" start >/dev/null
export SWITCHBOARD_BENCH_POSTGRES="Host=127.0.0.1;Port=$port;Username=postgres"
dotnet run -c Release --project bench/Switchboard.WebhookBench -- "${1:-10000}"

#!/usr/bin/env bash
# Throughput of one node (built in Release, run as the README's run command runs it) with everything on: an API key,
# rate limits, the plan quota and usage recording; GET /api/v1/contacts/{id} against the same node's bare GET /alive,
# alternating runs of wrk; then latency at a fixed ~1,000 requests/s. Embedded SQLite and PostgreSQL side by side in one
# run: PostgreSQL in a throwaway cluster (127.0.0.1 only, fsync on, pg_stat_statements loaded) that is removed
# afterwards. On PostgreSQL it also counts the database's statements per request for limits and usage at steady state,
# and runs two nodes sharing one key against one node: requests/s, and CPU per request on each node and on PostgreSQL.
# Usage: bench/ratelimit.sh [seconds per run, default 15]
# Environment: DATABASES="sqlite postgres" (the default; either alone is fine; "postgres-exact" is PostgreSQL with
# leased rate limits off, Switchboard:RateLimits:Leasing=false, every request decided in the shared row). PG_OPTIONS adds
# Npgsql connection-string options to the PostgreSQL nodes (e.g. PG_OPTIONS="Multiplexing=true"). TELEMETRY=on runs the nodes with
# OpenTelemetry collecting (docs/telemetry.md: traces of every request sampled, the metrics, Prometheus at /metrics; no
# collector, so the cost measured is collection, not export); run it with and without on the same quiet machine to
# compare (issue #23 asks for within 5%).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
duration="${1:-15}"
databases="${DATABASES:-sqlite postgres}"
work="$(mktemp -d /tmp/switchboard-rl-bench.XXXXXX)"
admin="admin-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
telemetry=()
if [ "${TELEMETRY:-off}" = "on" ]; then telemetry=(Switchboard__Telemetry__Enabled=true Switchboard__Telemetry__Prometheus=true); fi
echo "telemetry: ${TELEMETRY:-off}"
dotnet build -c Release src/Switchboard -v q -nologo >/dev/null
dll="$PWD/src/Switchboard/bin/Release/net10.0/Switchboard.dll"
declare -a servers=()
cleanup() { for s in "${servers[@]}"; do kill "$s" 2>/dev/null || true; wait "$s" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
if [[ " $databases " == *" postgres"* ]]; then
  # Sourced: its own EXIT trap replaces ours, so it runs ours first.
  source bench/throwaway-postgres.sh 55600 shared_preload_libraries=pg_stat_statements max_connections=200
  trap 'cleanup; "${RUNAS[@]}" "$PGBIN/pg_ctl" -D "$PGDATA" -m fast stop >/dev/null 2>&1 || true; rm -rf "$PGDATA"' EXIT
  pg() { "$PGBIN/psql" -h 127.0.0.1 -p "$port" -U postgres -d "$1" -Atqc "$2"; }
  pg postgres "CREATE DATABASE switchboard_bench" >/dev/null
  pg switchboard_bench "CREATE EXTENSION pg_stat_statements" >/dev/null
  encryption_key="$(head -c 32 /dev/urandom | base64)"
fi

# start <database> <port>: a node in its own folder; prints its pid.
start() {
  local db=$1 p=$2 dir="$work/node-$2"
  mkdir -p "$dir"
  local env=(ASPNETCORE_URLS="http://127.0.0.1:$p" Switchboard__Admin__Token="$admin" Logging__LogLevel__Default=Warning "${telemetry[@]}")
  if [ "$db" = postgres-exact ]; then env+=(Switchboard__RateLimits__Leasing=false); fi
  if [[ "$db" == postgres* ]]; then
    env+=(Switchboard__Database__Provider=postgres Switchboard__Encryption__Key="$encryption_key"
      ConnectionStrings__Switchboard="$SWITCHBOARD_BENCH_POSTGRES;Database=switchboard_bench${PG_OPTIONS:+;$PG_OPTIONS}")
  fi
  (cd "$dir" && exec env "${env[@]}" dotnet "$dll" >"$dir/server.log" 2>&1) &
  servers+=("$!")
  for _ in $(seq 1 120); do curl -fs "http://127.0.0.1:$p/alive" >/dev/null && break; sleep 0.5; done
  curl -fs "http://127.0.0.1:$p/health" >/dev/null || { echo "node on $p did not start:"; tail -20 "$dir/server.log"; exit 1; }
  echo "$!" >"$dir/pid"
}
pid_of() { cat "$work/node-$1/pid"; }

# setup <base>: the organization, key and contact of bench_organization (bench/lib.sh); prints the limits they got.
setup() {
  local base=$1
  bench_organization "$base" "$admin"
  curl -fs -D - -o /dev/null "$base/api/v1/contacts/$contact" -H "X-API-Key: $key" | grep -iE '^(x-ratelimit-limit|ratelimit-policy):' | tr -d '\r'
}

run() { wrk -t2 -c32 -d"${duration}s" --latency "$@" 2>&1; }
rps() { awk '/Requests\/sec/ {print $2}'; }
requests() { awk '/requests in/ {print $1}'; }
# Statements of the limits and usage bookkeeping (rate-limit counters, usage rows and roll-ups, last-used times).
bookkeeping_calls() {
  pg switchboard_bench "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements WHERE query ~* '(rate_limit_buckets|api_requests|api_usage|last_used)'"
}

for db in $databases; do
  echo "== $db"
  p="$(free_port 5180)"
  start "$db" "$p"
  base="http://127.0.0.1:$p"
  setup "$base"
  echo "warm-up"; run -d5s "$base/alive" >/dev/null; run -d5s -H "X-API-Key: $key" "$base/api/v1/contacts/$contact" >/dev/null
  if [ -n "${COMPARE_ME:-}" ]; then run -H "X-API-Key: $key" "$base/api/v1/me" | grep Requests/sec | sed 's/^/\/api\/v1\/me (auth, limits, usage; no CRM query): /'; fi
  [[ "$db" == postgres* ]] && { pg switchboard_bench "SELECT pg_stat_statements_reset()" >/dev/null; served=0; }
  declare -a alive=() api=()
  for round in 1 2 3; do
    a="$(run "$base/alive" | rps)"
    n0="$(cpu "$(pid_of "$p")")"
    out="$(run -H "X-API-Key: $key" "$base/api/v1/contacts/$contact")"
    n1="$(cpu "$(pid_of "$p")")"
    c="$(rps <<<"$out")"; [[ "$db" == postgres* ]] && served=$((served + $(requests <<<"$out")))
    node_us="$(python3 -c "print(f'{($n1 - $n0) / $(getconf CLK_TCK) / $(requests <<<"$out") * 1e6:.0f}')")"
    alive+=("$a"); api+=("$c"); echo "round $round: /alive $a req/s, /api/v1/contacts/{id} $c req/s (node CPU $node_us us per request)"
  done
  python3 - "${alive[@]}" "${api[@]}" <<'PY'
import sys, statistics
v = list(map(float, sys.argv[1:])); n = len(v) // 2
a, c = statistics.median(v[:n]), statistics.median(v[n:])
print(f"median: /alive {a:.0f} req/s, contacts/{{id}} {c:.0f} req/s, ratio {c / a:.2f}")
PY
  if [[ "$db" == postgres* ]]; then
    sleep 2 # the usage writer's last flush
    calls="$(bookkeeping_calls)"; all="$(pg switchboard_bench "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements")"
    python3 -c "print(f'PostgreSQL statements for limits and usage: {$calls} over {$served} requests = {$calls / max($served, 1):.4f} per request (all statements: {$all / max($served, 1):.4f})')"
    echo "PostgreSQL's busiest statements (calls per request, mean ms, query):"
    pg switchboard_bench "SELECT round(calls::numeric / greatest($served, 1), 4) || ' | ' || round(mean_exec_time::numeric, 3) || ' | ' || left(regexp_replace(query, '\s+', ' ', 'g'), 110) FROM pg_stat_statements ORDER BY calls DESC LIMIT 6" | sed 's/^/  /'
  fi

  # ~1,000 requests/s: 12 connections, each waiting 10 ms between requests (wrk's delay() hook).
  printf 'wrk.headers["X-API-Key"] = "%s"\nfunction delay() return 10 end\n' "$key" >"$work/paced.lua"
  echo "paced run (~1000 req/s):"
  run -t2 -c12 -s "$work/paced.lua" "$base/api/v1/contacts/$contact" | grep -E 'Requests/sec|Latency Distribution| 50%| 90%| 99%|Non-2xx'

  if [[ "$db" == postgres* ]]; then
    # One node, then two nodes on the same database sharing the key (16 connections each): requests/s, and CPU per
    # request on each node and on PostgreSQL (all its processes).
    q="$(free_port $((p + 1)))"
    start "$db" "$q"
    one="$(pid_of "$p")"; two="$(pid_of "$q")"
    # The second node's warm-up, as long as the first node's (JIT tiering; its own caches).
    run -d5s "http://127.0.0.1:$q/alive" >/dev/null; run -d5s -H "X-API-Key: $key" "http://127.0.0.1:$q/api/v1/contacts/$contact" >/dev/null
    n0="$(cpu "$one")"; g0="$(cpu $(postgres_pids))"
    out="$(run -H "X-API-Key: $key" "$base/api/v1/contacts/$contact")"
    n1="$(cpu "$one")"; g1="$(cpu $(postgres_pids))"; r="$(requests <<<"$out")"
    python3 -c "r=$r; hz=$(getconf CLK_TCK); print(f'one node: {$(rps <<<"$out")} req/s; CPU per request: node {($n1-$n0)/hz/r*1e6:.0f} us, PostgreSQL {($g1-$g0)/hz/r*1e6:.0f} us')"
    a0="$(cpu "$one")"; b0="$(cpu "$two")"; g0="$(cpu $(postgres_pids))"
    wrk -t1 -c16 -d"${duration}s" -H "X-API-Key: $key" "$base/api/v1/contacts/$contact" >"$work/a.txt" 2>&1 &
    wa=$!
    wrk -t1 -c16 -d"${duration}s" -H "X-API-Key: $key" "http://127.0.0.1:$q/api/v1/contacts/$contact" >"$work/b.txt" 2>&1
    wait "$wa"
    a1="$(cpu "$one")"; b1="$(cpu "$two")"; g1="$(cpu $(postgres_pids))"
    ra="$(requests <"$work/a.txt")"; rb="$(requests <"$work/b.txt")"
    python3 -c "hz=$(getconf CLK_TCK); ra=$ra; rb=$rb; print(f'two nodes, one key: {$(rps <"$work/a.txt")} + {$(rps <"$work/b.txt")} req/s; CPU per request: node A {($a1-$a0)/hz/ra*1e6:.0f} us, node B {($b1-$b0)/hz/rb*1e6:.0f} us, PostgreSQL {($g1-$g0)/hz/(ra+rb)*1e6:.0f} us')"
    echo "second node: server errors logged: $(grep -c '"LogLevel":"Error"' "$work/node-$q/server.log" || true)"
  fi
  echo "server errors logged: $(grep -c '"LogLevel":"Error"' "$work/node-$p/server.log" || true)"
  for s in "${servers[@]}"; do kill "$s" 2>/dev/null || true; wait "$s" 2>/dev/null || true; done
  servers=()
done

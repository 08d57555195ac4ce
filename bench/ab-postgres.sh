#!/usr/bin/env bash
# A against B on PostgreSQL, side by side in one run: this working tree (B) and another commit (A, checked out in a
# temporary git worktree), each built in Release and run as a node on its own database of one throwaway cluster
# (127.0.0.1 only, fsync on). Each node gets bench_organization (bench/lib.sh: an Enterprise organization, a key whose
# limit the run cannot reach, a contact). Then, alternating A and B for each round: a paced run near 1,000 req/s
# (latency) and a full-speed run (throughput, the node's and PostgreSQL's CPU per request) of GET /api/v1/contacts/{id}.
# Only the node being measured gets requests; the other waits idle.
# Usage: bench/ab-postgres.sh <commit A> [rounds, default 3] [seconds per run, default 15]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
[ $# -ge 1 ] || { echo "usage: bench/ab-postgres.sh <commit> [rounds] [seconds]" >&2; exit 2; }
rev="$(git rev-parse --verify "$1^{commit}")"
rounds="${2:-3}"
duration="${3:-15}"
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
here="$PWD"
work="$(mktemp -d /tmp/switchboard-ab.XXXXXX)"
git worktree add -q --detach "$work/a" "$rev"
declare -a servers=()
cleanup() {
  for s in "${servers[@]}"; do kill "$s" 2>/dev/null || true; wait "$s" 2>/dev/null || true; done
  git -C "$here" worktree remove --force "$work/a" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
echo "A: $(git log -1 --format='%h %s' "$rev" | cut -c1-100)"
echo "B: this tree, $(git log -1 --format='%h' HEAD)$(git diff --quiet HEAD || echo ' with uncommitted changes')"
dotnet build -c Release "$work/a/src/Switchboard" -v q -nologo >/dev/null
dotnet build -c Release src/Switchboard -v q -nologo >/dev/null

source bench/throwaway-postgres.sh 55700 max_connections=200
trap 'cleanup; "${RUNAS[@]}" "$PGBIN/pg_ctl" -D "$PGDATA" -m fast stop >/dev/null 2>&1 || true; rm -rf "$PGDATA"' EXIT
pg() { "$PGBIN/psql" -h 127.0.0.1 -p "$port" -U postgres -d "$1" -Atqc "$2"; }
admin="admin-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
encryption_key="$(head -c 32 /dev/urandom | base64)"

declare -A node_port node_pid keys contacts
for side in a b; do
  tree="$([ $side = a ] && echo "$work/a" || echo "$here")"
  pg postgres "CREATE DATABASE bench_$side" >/dev/null
  p="$(free_port $([ $side = a ] && echo 5290 || echo 5390))"
  mkdir -p "$work/node-$side"
  (cd "$work/node-$side" && exec env ASPNETCORE_URLS="http://127.0.0.1:$p" Switchboard__Admin__Token="$admin" Logging__LogLevel__Default=Warning \
    Switchboard__Database__Provider=postgres Switchboard__Encryption__Key="$encryption_key" \
    ConnectionStrings__Switchboard="$SWITCHBOARD_BENCH_POSTGRES;Database=bench_$side" \
    dotnet "$tree/src/Switchboard/bin/Release/net10.0/Switchboard.dll" >"$work/node-$side/server.log" 2>&1) &
  servers+=("$!"); node_pid[$side]="$!"; node_port[$side]="$p"
  for _ in $(seq 1 120); do curl -fs "http://127.0.0.1:$p/alive" >/dev/null && break; sleep 0.5; done
  curl -fs "http://127.0.0.1:$p/health" >/dev/null || { echo "node $side did not start:"; tail -20 "$work/node-$side/server.log"; exit 1; }
  base="http://127.0.0.1:$p"
  bench_organization "$base" "$admin"
  keys[$side]="$key"; contacts[$side]="$contact"
  printf 'wrk.headers["X-API-Key"] = "%s"\nfunction delay() return 10 end\n' "${keys[$side]}" >"$work/paced-$side.lua"
  # Warm-up (JIT tiering, prepared statements, caches).
  wrk -t2 -c32 -d8s -H "X-API-Key: ${keys[$side]}" "$base/api/v1/contacts/${contacts[$side]}" >/dev/null
done

field() { awk -v f="$1" '$1 == f {print $2}'; }
for round in $(seq 1 "$rounds"); do
  for side in a b; do
    url="http://127.0.0.1:${node_port[$side]}/api/v1/contacts/${contacts[$side]}"
    paced="$(wrk -t2 -c12 -d"${duration}s" --latency -s "$work/paced-$side.lua" "$url" 2>&1)"
    n0="$(cpu "${node_pid[$side]}")"; g0="$(cpu $(postgres_pids))"
    full="$(wrk -t2 -c32 -d"${duration}s" -H "X-API-Key: ${keys[$side]}" "$url" 2>&1)"
    n1="$(cpu "${node_pid[$side]}")"; g1="$(cpu $(postgres_pids))"
    r="$(awk '/requests in/ {print $1}' <<<"$full")"
    python3 -c "hz=$(getconf CLK_TCK); r=$r; print(f'round $round ${side^^}: paced p50 $(field 50% <<<"$paced") p99 $(field 99% <<<"$paced") at $(field Requests/sec: <<<"$paced") req/s; full speed $(field Requests/sec: <<<"$full") req/s, CPU per request node {($n1-$n0)/hz/r*1e6:.0f} us, PostgreSQL {($g1-$g0)/hz/r*1e6:.0f} us')"
  done
done
for side in a b; do echo "node ${side^^}: server errors logged: $(grep -c '"LogLevel":"Error"' "$work/node-$side/server.log" || true)"; done

#!/usr/bin/env bash
# Builds bench/Switchboard.Bench in Release and runs it. See bench/README.md.
#
#   bench/run.sh                 SQLite only (PostgreSQL too if SWITCHBOARD_BENCH_POSTGRES is set)
#   bench/run.sh --postgres      also PostgreSQL: uses SWITCHBOARD_BENCH_POSTGRES if set, otherwise starts a
#                                throwaway local cluster (127.0.0.1 only) and removes it afterwards
#   bench/run.sh --quick         smoke test: a few seconds per benchmark, figures not meaningful
#   bench/run.sh --no-http       only the BenchmarkDotNet micro-benchmarks
#   bench/run.sh --no-micro      only the end-to-end loopback HTTP loop
#   bench/run.sh --filter '*Cached*'   any other argument goes to BenchmarkDotNet
#
# Environment: SWITCHBOARD_BENCH_PG_PORT (default 55499) and SWITCHBOARD_BENCH_PG_BIN
# (default /usr/lib/postgresql/15/bin) for the throwaway cluster.
# Output: the console, and bench/BenchmarkDotNet.Artifacts/ (results/*.md, run-*.log); git ignores that folder.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

postgres=0
args=()
for a in "$@"; do
  case "$a" in
    --postgres) postgres=1; args+=("$a") ;;
    *) args+=("$a") ;;
  esac
done

pg_dir=""
pg_bin="${SWITCHBOARD_BENCH_PG_BIN:-/usr/lib/postgresql/15/bin}"
pg_port="${SWITCHBOARD_BENCH_PG_PORT:-55499}"

as_pg_owner() {
  # initdb and postgres refuse to run as root: use the postgres account then.
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

stop_postgres() {
  if [ -n "$pg_dir" ] && [ -d "$pg_dir" ]; then
    echo "Stopping the throwaway PostgreSQL cluster in $pg_dir"
    as_pg_owner "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$pg_dir"
  fi
}
trap stop_postgres EXIT

if [ "$postgres" = 1 ] && [ -z "${SWITCHBOARD_BENCH_POSTGRES:-}" ]; then
  if [ ! -x "$pg_bin/initdb" ]; then
    echo "--postgres: SWITCHBOARD_BENCH_POSTGRES is not set and $pg_bin/initdb does not exist." >&2
    echo "Install PostgreSQL (apt-get install postgresql) or set SWITCHBOARD_BENCH_POSTGRES to a local server." >&2
    exit 2
  fi
  if "$pg_bin/pg_isready" -q -h 127.0.0.1 -p "$pg_port" 2>/dev/null; then
    echo "--postgres: something already listens on 127.0.0.1:$pg_port; set SWITCHBOARD_BENCH_PG_PORT to a free port." >&2
    exit 2
  fi
  pg_dir="$(mktemp -d /tmp/switchboard-bench-pg.XXXXXX)"
  chmod 755 "$pg_dir"
  if [ "$(id -u)" = 0 ]; then chown postgres: "$pg_dir"; fi
  pg_user="$(if [ "$(id -u)" = 0 ]; then echo postgres; else id -un; fi)"
  echo "Starting a throwaway PostgreSQL cluster on 127.0.0.1:$pg_port ($pg_dir)"
  as_pg_owner "$pg_bin/initdb" -D "$pg_dir/data" -U "$pg_user" --auth=trust -E UTF8 --locale=C.UTF-8 >"$pg_dir/initdb.log" 2>&1 \
    || { cat "$pg_dir/initdb.log" >&2; exit 1; }
  as_pg_owner "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $pg_dir -c max_connections=100 -c fsync=on" start >/dev/null \
    || { cat "$pg_dir/server.log" >&2; exit 1; }
  export SWITCHBOARD_BENCH_POSTGRES="Host=127.0.0.1;Port=$pg_port;Username=$pg_user;Database=postgres"
fi

mkdir -p BenchmarkDotNet.Artifacts
log="BenchmarkDotNet.Artifacts/run-$(date -u +%Y%m%dT%H%M%SZ).log"

echo "Building (Release)..."
dotnet build Switchboard.Bench/Switchboard.Bench.csproj -c Release -nologo -v quiet

{
  echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ)  nproc=$(nproc)"
  lscpu | head -n 15 || true
  echo "# load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$log"

set +e
dotnet Switchboard.Bench/bin/Release/net10.0/Switchboard.Bench.dll "${args[@]}" 2>&1 | tee -a "$log"
status=${PIPESTATUS[0]}
set -e
echo "# load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$log"
echo "Log: bench/$log; tables: bench/BenchmarkDotNet.Artifacts/results/"
exit "$status"

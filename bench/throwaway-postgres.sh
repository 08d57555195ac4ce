# Sourced by the benchmark scripts: starts a throwaway PostgreSQL cluster on 127.0.0.1 and exports
# SWITCHBOARD_BENCH_POSTGRES; the cluster is stopped and deleted when the calling script exits.
# Usage: source bench/throwaway-postgres.sh <first port to try> [extra postgres -c settings…]
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
PGBIN="$(pg_bin)"
if [ -z "$PGBIN" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; PGBIN="$(pg_bin)"; fi
port="$1"; shift
while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
PGDATA="$(mktemp -d /tmp/switchboard-bench-pg.XXXXXX)"
RUNAS=()
if [ "$(id -u)" -eq 0 ]; then chown postgres "$PGDATA"; RUNAS=(runuser -u postgres --); fi
trap '"${RUNAS[@]}" "$PGBIN/pg_ctl" -D "$PGDATA" -m fast stop >/dev/null 2>&1 || true; rm -rf "$PGDATA"' EXIT
"${RUNAS[@]}" "$PGBIN/initdb" -D "$PGDATA" -U postgres -A trust -E UTF8 >/dev/null
settings="-p $port -k $PGDATA -c listen_addresses=127.0.0.1"
for s in "$@"; do settings="$settings -c $s"; done
"${RUNAS[@]}" "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -w -o "$settings" start >/dev/null
export SWITCHBOARD_BENCH_POSTGRES="Host=127.0.0.1;Port=$port;Username=postgres"

#!/usr/bin/env bash
# Runs the whole test suite, against SQLite and PostgreSQL.
# PostgreSQL: installed from Debian's packages if absent, then a private throwaway cluster is started on
# 127.0.0.1 (a free port from 55432 up) for the run and removed afterwards. Chromium and ChromeDriver (the docs
# page tests) come from Debian's packages too, installed in the same apt-get run; the npm tools the suite runs
# (redocly, newman, oauth4webapi) are installed from tests/node/package-lock.json, and the TypeScript SDK's build tools from
# sdks/typescript/package-lock.json, the Zapier app's from integrations/zapier/package-lock.json. Extra arguments go to `dotnet test`.
set -euo pipefail
cd "$(dirname "$0")"

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

PGBIN="$(pg_bin)"
missing=()
if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/initdb" ]; then missing+=(postgresql); fi
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
command -v curl >/dev/null || missing+=(curl) # the code-sample test runs the generated curl sample
/usr/bin/python3 -c 'import httpx, pytest' 2>/dev/null || missing+=(python3 python3-httpx python3-pytest) # sdks/python's suite
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing from Debian packages: ${missing[*]}..."
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  PGBIN="$(pg_bin)"
fi
export SWITCHBOARD_TEST_CHROMIUM=/usr/bin/chromium SWITCHBOARD_TEST_CHROMEDRIVER=/usr/bin/chromedriver

# npm ci only when node_modules is missing or was installed from another lock file (its hash is kept beside it).
command -v npm >/dev/null || { echo "npm is required (Node.js 20.19+ with npm): the suite runs redocly and newman." >&2; exit 1; }
npm_ci_when_changed() { # <folder> <what it holds>
  local lock_hash
  lock_hash="$(sha256sum "$1/package-lock.json" | cut -d' ' -f1)"
  if [ "$(cat "$1/node_modules/.lock-sha256" 2>/dev/null)" != "$lock_hash" ]; then
    echo "Installing $2 (npm ci in $1)..."
    npm_log="$(mktemp /tmp/switchboard-npm.XXXXXX.log)"
    if ! (cd "$1" && npm ci --no-audit --no-fund --loglevel=error) >"$npm_log" 2>&1; then
      cat "$npm_log" >&2; rm -f "$npm_log"; exit 1
    fi
    rm -f "$npm_log"
    echo "$lock_hash" > "$1/node_modules/.lock-sha256"
  fi
}
npm_ci_when_changed tests/node "the npm test tools"
# The TypeScript SDK's compilers (typescript, openapi-typescript); TypeScriptSdkTests builds it once per run.
npm_ci_when_changed sdks/typescript "the TypeScript SDK's build tools"
# The Zapier app's runtime (zapier-platform-core, zapier-platform-schema); ZapierAppTests runs its tests against a node.
npm_ci_when_changed integrations/zapier "the Zapier app's dependencies"
export SWITCHBOARD_TEST_NODE_BIN="$PWD/tests/node/node_modules/.bin"

port=55432
while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done

PGDATA="$(mktemp -d /tmp/switchboard-pg.XXXXXX)"
RUNAS=()
if [ "$(id -u)" -eq 0 ]; then
  # PostgreSQL refuses to run as root; the throwaway cluster belongs to the postgres user.
  chown postgres "$PGDATA"
  RUNAS=(runuser -u postgres --)
fi
cleanup() {
  "${RUNAS[@]}" "$PGBIN/pg_ctl" -D "$PGDATA" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$PGDATA"
}
trap cleanup EXIT

"${RUNAS[@]}" "$PGBIN/initdb" -D "$PGDATA" -U postgres -A trust -E UTF8 --no-sync >/dev/null
# fsync off: a test cluster that is thrown away needs no durability, and the suite runs faster. A port nobody answers on
# can still be taken (an outgoing connection's local port), so a failed start moves on to the next port.
for attempt in 1 2 3 4 5 6 7 8; do
  if "${RUNAS[@]}" "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -w -o \
    "-p $port -k $PGDATA -c listen_addresses=127.0.0.1 -c max_connections=400 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null; then break; fi
  [ "$attempt" -eq 8 ] && { tail -n 5 "$PGDATA/server.log"; exit 1; }
  port=$((port + 1))
  while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
done
echo "PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"

export SWITCHBOARD_TEST_POSTGRES="Host=127.0.0.1;Port=$port;Username=postgres;Maximum Pool Size=30"
log="$(mktemp /tmp/switchboard-test.XXXXXX.log)"
set +e
dotnet test Switchboard.slnx --logger "console;verbosity=normal" "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

# Failures again, with their messages, next to the end, so a log read from the tail shows what failed;
# then the runner's own summary and one plain line.
if grep -qE '^ +Failed [A-Za-z]' "$log"; then
  echo; echo "Failed tests:"
  awk '/^ +(Passed|Skipped) [A-Za-z]/ {show=0} /^ +Failed [A-Za-z]/ {show=1; n=0} show && n < 30 {print; n++}' "$log"
  echo; grep -E '^(Test Run (Failed|Successful)\.| +(Total tests|Passed|Failed|Skipped|Total time):)' "$log" | tail -n 6
fi
count() { grep -E "^ +$1: +[0-9]+" "$log" | tail -n 1 | grep -oE '[0-9]+' || true; }
passed="$(count Passed)"
failed="$(count Failed)"
skipped="$(count Skipped)"
rm -f "$log"
echo "tests: ${passed:-0} passed, ${failed:-0} failed, ${skipped:-0} skipped"
if [ "$status" -eq 0 ] && [ "${passed:-0}" -eq 0 ]; then echo "No test ran."; exit 1; fi
exit "$status"

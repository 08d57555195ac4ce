#!/usr/bin/env bash
# Throughput of one node (SQLite, the README's run command, built in Release) with everything on: an API key, rate
# limits, the plan quota and usage recording; GET /api/v1/contacts/{id} against the same node's bare GET /alive,
# alternating runs of wrk; then latency at a fixed ~1,000 requests/s.
# Usage: bench/ratelimit.sh [seconds per run, default 15]
# TELEMETRY=on runs the node with OpenTelemetry collecting (docs/telemetry.md: traces of every request sampled, the
# metrics, Prometheus at /metrics; no collector, so the cost measured is collection, not export); run it with and
# without on the same quiet machine to compare (issue #23 asks for within 5%).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
duration="${1:-15}"
port=5180
while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
work="$(mktemp -d /tmp/switchboard-rl-bench.XXXXXX)"
admin="admin-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
telemetry=()
if [ "${TELEMETRY:-off}" = "on" ]; then telemetry=(Switchboard__Telemetry__Enabled=true Switchboard__Telemetry__Prometheus=true); fi
echo "telemetry: ${TELEMETRY:-off}"
dotnet build -c Release src/Switchboard -v q -nologo >/dev/null
(
  cd "$work"
  exec env ASPNETCORE_URLS="http://127.0.0.1:$port" Switchboard__Admin__Token="$admin" Logging__LogLevel__Default=Warning "${telemetry[@]}" \
    dotnet "$OLDPWD/src/Switchboard/bin/Release/net10.0/Switchboard.dll" >"$work/server.log" 2>&1
) &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 60); do curl -fs "http://127.0.0.1:$port/alive" >/dev/null && break; sleep 0.5; done

base="http://127.0.0.1:$port"
json() { python3 -c "import sys,json; print(json.load(sys.stdin)$1)"; }
signup="$(curl -fs -X POST "$base/api/v1/auth/signup" -H 'content-type: application/json' \
  -d '{"email":"bench@example.com","password":"benchmark password","name":"Bench","organizationName":"Bench"}')"
token="$(json '["accessToken"]' <<<"$signup")"
org="$(json '["organization"]["id"]' <<<"$signup")"
# Enterprise with a quota this run cannot reach, and a key whose own limit it cannot reach: every limit is checked
# and counted on every request, none refuses.
curl -fs -X PUT "$base/api/v1/admin/organizations/$org/plan" -H "X-Admin-Token: $admin" -H 'content-type: application/json' \
  -d '{"plan":"enterprise","dailyQuota":10000000000}' >/dev/null
key="$(curl -fs -X POST "$base/api/v1/api-keys" -H "authorization: Bearer $token" -H 'content-type: application/json' \
  -d '{"name":"bench","scopes":["contacts:read","contacts:write"],"rateLimit":{"requests":1000000000,"windowSeconds":3600}}' | json '["key"]')"
contact="$(curl -fs -X POST "$base/api/v1/contacts" -H "X-API-Key: $key" -H 'content-type: application/json' \
  -d '{"firstName":"Ada","lastName":"Lovelace","email":"ada@example.com","company":"Analytical Engines"}' | json '["id"]')"
curl -fs -D - -o /dev/null "$base/api/v1/contacts/$contact" -H "X-API-Key: $key" | grep -iE '^(x-ratelimit-limit|ratelimit-policy):' | tr -d '\r'

run() { wrk -t2 -c32 -d"${duration}s" --latency "$@" 2>&1; }
rps() { awk '/Requests\/sec/ {print $2}'; }
echo "warm-up"; run -d5s "$base/alive" >/dev/null; run -d5s -H "X-API-Key: $key" "$base/api/v1/contacts/$contact" >/dev/null
if [ -n "${COMPARE_ME:-}" ]; then run -H "X-API-Key: $key" "$base/api/v1/me" | grep Requests/sec | sed 's/^/\/api\/v1\/me (auth, limits, usage; no CRM query): /'; fi
declare -a alive=() api=()
for round in 1 2 3; do
  a="$(run "$base/alive" | rps)"; c="$(run -H "X-API-Key: $key" "$base/api/v1/contacts/$contact" | rps)"
  alive+=("$a"); api+=("$c"); echo "round $round: /alive $a req/s, /api/v1/contacts/{id} $c req/s"
done
python3 - "${alive[@]}" "${api[@]}" <<'PY'
import sys, statistics
v = list(map(float, sys.argv[1:])); n = len(v) // 2
a, c = statistics.median(v[:n]), statistics.median(v[n:])
print(f"median: /alive {a:.0f} req/s, contacts/{{id}} {c:.0f} req/s, ratio {c / a:.2f}")
PY

# ~1,000 requests/s: 12 connections, each waiting 10 ms between requests (wrk's delay() hook).
cat >"$work/paced.lua" <<LUA
wrk.headers["X-API-Key"] = "$key"
function delay() return 10 end
LUA
echo "paced run (~1000 req/s):"
run -t2 -c12 -s "$work/paced.lua" "$base/api/v1/contacts/$contact" | grep -E 'Requests/sec|Latency Distribution| 50%| 90%| 99%|Non-2xx'
grep -c '"LogLevel":"Error"' "$work/server.log" | sed 's/^/server errors logged: /'
if [ "${TELEMETRY:-off}" = "on" ]; then
  echo "metrics (the rate-limit decisions counted):"
  curl -fs "$base/metrics" -H "X-Admin-Token: $admin" | grep -E '^switchboard_rate_limit_decisions_total' || true
fi

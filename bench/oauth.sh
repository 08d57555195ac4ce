#!/usr/bin/env bash
# The token endpoint against node-oidc-provider 9 on the same machine, in one run: client_credentials tokens/s (wrk,
# fixed-body POSTs), authorization-code exchanges/s (codes minted beforehand, the exchange alone measured), and latency
# at a fixed 500 tokens/s (an open-loop pacer). Switchboard is built in Release and run as the README's run command
# runs it (embedded SQLite, defaults); oidc-provider (bench/oauth, installed with npm ci from its lock file) issues ES256
# JWT access tokens (RFC 9068) for the same kind of client: confidential, client_secret_basic, PKCE S256, a refresh
# token with each code. Runs alternate between the two servers. Both bind to 127.0.0.1 only.
# Usage: bench/oauth.sh [seconds per throughput run, default 10] [rounds, default 3]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
duration="${1:-10}"
rounds="${2:-3}"
exchange_connections="${EXCHANGE_CONNECTIONS:-16}"
sb_port="$(free_port 5280)"; op_port="$(free_port $((sb_port + 1)))"; mint_port="$(free_port $((op_port + 1)))"
work="$(mktemp -d /tmp/switchboard-oauth-bench.XXXXXX)"

lock_hash="$(sha256sum bench/oauth/package-lock.json | cut -d' ' -f1)"
if [ "$(cat bench/oauth/node_modules/.lock-sha256 2>/dev/null)" != "$lock_hash" ]; then
  (cd bench/oauth && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  echo "$lock_hash" > bench/oauth/node_modules/.lock-sha256
fi
dotnet build -c Release src/Switchboard -v q -nologo >/dev/null
dotnet build -c Release bench/Switchboard.OAuthBench -v q -nologo >/dev/null
load() { dotnet bench/Switchboard.OAuthBench/bin/Release/net10.0/Switchboard.OAuthBench.dll "$@"; }

(
  cd "$work"
  ASPNETCORE_URLS="http://127.0.0.1:$sb_port" Logging__LogLevel__Default=Warning \
    exec dotnet "$OLDPWD/src/Switchboard/bin/Release/net10.0/Switchboard.dll" >"$work/switchboard.log" 2>&1
) &
sb_pid=$!
op_client="bench-client"
op_secret="$(head -c 32 /dev/urandom | base64 | tr -d '=+/\n')"
NODE_ENV=production node bench/oauth/oidc-provider-server.mjs "$op_port" "$mint_port" "$op_client" "$op_secret" >"$work/oidc-provider.log" 2>&1 &
op_pid=$!
trap 'kill $sb_pid $op_pid 2>/dev/null || true; wait $sb_pid $op_pid 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 60); do curl -fs "http://127.0.0.1:$sb_port/alive" >/dev/null && break; sleep 0.5; done
for _ in $(seq 1 60); do curl -fs "http://127.0.0.1:$op_port/.well-known/openid-configuration" >/dev/null && break; sleep 0.5; done

sb="http://127.0.0.1:$sb_port"
op="http://127.0.0.1:$op_port"
email="bench-$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')@example.com"
password="benchmark password"
token="$(curl -fs -X POST "$sb/api/v1/auth/signup" -H 'content-type: application/json' \
  -d "{\"email\":\"$email\",\"password\":\"$password\",\"name\":\"Bench\",\"organizationName\":\"Bench\"}" | json '["accessToken"]')"
app="$(curl -fs -X POST "$sb/api/v1/oauth/apps" -H "authorization: Bearer $token" -H 'content-type: application/json' \
  -d '{"name":"Bench","type":"confidential","redirectUris":["http://127.0.0.1/callback"],"scopes":["contacts:read","contacts:write"]}')"
sb_client="$(json '["clientId"]' <<<"$app")"
sb_secret="$(json '["clientSecret"]' <<<"$app")"
sb_redirect="http://127.0.0.1:9/callback"      # a loopback redirect (RFC 8252: any port); nothing is sent to it
op_redirect="https://app.example.com/callback" # codes are minted in process there
cc_body="grant_type=client_credentials&scope=contacts%3Aread"

echo "One token from each (JOSE header and claims):"
for side in sb op; do
  if [ $side = sb ]; then url="$sb/oauth/token"; auth="$sb_client:$sb_secret"; else url="$op/token"; auth="$op_client:$op_secret"; fi
  curl -fs -u "$auth" -d "$cc_body" "$url" | python3 -c '
import sys, json, base64
t = json.load(sys.stdin)["access_token"].split(".")
d = lambda s: json.loads(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)))
print("  '"$side"':", json.dumps(d(t[0])), json.dumps(d(t[1])))'
done

basic() { printf '%s' "$1:$2" | base64 -w0; }
lua() { # $1 file, $2 basic credentials
  cat >"$1" <<LUA
wrk.method = "POST"
wrk.body = "$cc_body"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic $2"
LUA
}
lua "$work/sb.lua" "$(basic "$sb_client" "$sb_secret")"
lua "$work/op.lua" "$(basic "$op_client" "$op_secret")"
# The server's own CPU time (user + system, in clock ticks) from /proc: CPU per token does not depend on what else the
# machine is doing, unlike tokens/s on a shared 2-core VM.
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz="$(getconf CLK_TCK)"
pid_of() { if [ "$1" = sb ]; then echo "$sb_pid"; else echo "$op_pid"; fi; }
wrk_cc() { # $1 side, $2 seconds; prints "tokens/s cpu-µs-per-token"
  local out before after n
  before="$(ticks "$(pid_of "$1")")"
  if [ "$1" = sb ]; then out="$(wrk -t2 -c32 -d"$2s" -s "$work/sb.lua" "$sb/oauth/token" 2>&1)"; else out="$(wrk -t2 -c32 -d"$2s" -s "$work/op.lua" "$op/token" 2>&1)"; fi
  after="$(ticks "$(pid_of "$1")")"
  if grep -q 'Non-2xx' <<<"$out"; then echo "$1: refused requests during the run:" >&2; grep -E 'Non-2xx|Socket errors' <<<"$out" >&2; exit 1; fi
  n="$(awk '/requests in/ {print $1}' <<<"$out")"
  echo "$(awk '/Requests\/sec/ {print $2}' <<<"$out") $(( (after - before) * 1000000 / hz / n ))"
}
mint_sb() { load mint "$sb" "$sb_client" "$email" "$password" "$sb_redirect" "$1" "$work/sb-codes.txt" >/dev/null; }
mint_op() { curl -fs "http://127.0.0.1:$mint_port/mint?n=$1" >"$work/op-codes.txt"; }
exchange() { # $1 side
  if [ "$1" = sb ]; then load exchange "$sb/oauth/token" "$sb_client" "$sb_secret" "$sb_redirect" "$work/sb-codes.txt" "$exchange_connections"
  else load exchange "$op/token" "$op_client" "$op_secret" "$op_redirect" "$work/op-codes.txt" "$exchange_connections"; fi
}

echo "warm-up"
wrk_cc sb 5 >/dev/null; wrk_cc op 5 >/dev/null
mint_sb 500; exchange sb >/dev/null; mint_op 500; exchange op >/dev/null

declare -a cc_sb=() cc_op=() cpu_sb=() cpu_op=() ex_sb=() ex_op=() excpu_sb=() excpu_op=()
for round in $(seq 1 "$rounds"); do
  if [ $((round % 2)) -eq 1 ]; then order="sb op"; else order="op sb"; fi
  for side in $order; do
    read -r v c <<<"$(wrk_cc $side "$duration")"
    if [ $side = sb ]; then cc_sb+=("$v"); cpu_sb+=("$c"); else cc_op+=("$v"); cpu_op+=("$c"); fi
  done
  echo "round $round client_credentials tokens/s: Switchboard ${cc_sb[-1]} (${cpu_sb[-1]} µs CPU/token), oidc-provider ${cc_op[-1]} (${cpu_op[-1]} µs CPU/token)"
done
# Codes live 60 s on both servers: each round mints a batch and redeems it at once (the mint is not timed).
codes="${CODES:-4000}"
for round in $(seq 1 "$rounds"); do
  if [ $((round % 2)) -eq 1 ]; then order="sb op"; else order="op sb"; fi
  for side in $order; do
    if [ $side = sb ]; then mint_sb $codes; else mint_op $codes; fi
    before="$(ticks "$(pid_of $side)")"
    r="$(exchange $side)"
    after="$(ticks "$(pid_of $side)")"
    if [ "$(json '["errors"]' <<<"$r")" != 0 ]; then echo "$side: failed exchanges: $r" >&2; exit 1; fi
    v="$(json '["perSecond"]' <<<"$r")"
    c="$(( (after - before) * 1000000 / hz / codes ))"
    if [ $side = sb ]; then ex_sb+=("$v"); excpu_sb+=("$c"); else ex_op+=("$v"); excpu_op+=("$c"); fi
    echo "  $side exchange ($c µs CPU/exchange): $r"
  done
  echo "round $round code exchanges/s: Switchboard ${ex_sb[-1]}, oidc-provider ${ex_op[-1]}"
done

# The node catches up on what the exchanges left behind (WAL checkpoint, usage rows) before the latency runs.
sleep 5
echo "fixed rate, 500 tokens/s for 20 s (open loop; latency from each request's due time, and from its sending):"
for side in sb op op sb; do
  if [ $side = sb ]; then r="$(load paced "$sb/oauth/token" "$sb_client" "$sb_secret" "$cc_body" 500 20)"
  else r="$(load paced "$op/token" "$op_client" "$op_secret" "$cc_body" 500 20)"; fi
  echo "  $side: $r"
done

python3 - "${cc_sb[*]}" "${cc_op[*]}" "${ex_sb[*]}" "${ex_op[*]}" "${cpu_sb[*]}" "${cpu_op[*]}" "${excpu_sb[*]}" "${excpu_op[*]}" <<'PY'
import sys, statistics
cc_sb, cc_op, ex_sb, ex_op, cpu_sb, cpu_op, excpu_sb, excpu_op = ([float(x) for x in a.split()] for a in sys.argv[1:])
m = statistics.median
print(f"median client_credentials tokens/s: Switchboard {m(cc_sb):.0f}, oidc-provider {m(cc_op):.0f}, ratio {m(cc_sb) / m(cc_op):.2f} (target >= 3)")
print(f"  per round: {', '.join(f'{a / b:.2f}' for a, b in zip(cc_sb, cc_op))}")
print(f"  server CPU per token: Switchboard {m(cpu_sb):.0f} µs, oidc-provider {m(cpu_op):.0f} µs (ratio {m(cpu_op) / m(cpu_sb):.2f})")
print(f"median code exchanges/s: Switchboard {m(ex_sb):.0f}, oidc-provider {m(ex_op):.0f}, ratio {m(ex_sb) / m(ex_op):.2f}")
print(f"  server CPU per exchange: Switchboard {m(excpu_sb):.0f} µs, oidc-provider {m(excpu_op):.0f} µs")
PY
grep -c '"LogLevel":"Error"' "$work/switchboard.log" | sed 's/^/Switchboard errors logged: /' || true
grep -c 'server_error' "$work/oidc-provider.log" | sed 's/^/oidc-provider server errors: /' || true

# Sourced by the benchmark scripts: the helpers they share.

# json <python subscript>: one value of the JSON document on standard input, e.g. json '["id"]'.
json() { python3 -c "import sys,json; print(json.load(sys.stdin)$1)"; }
# free_port <port>: the first port from <port> on that nothing on 127.0.0.1 listens to.
free_port() { local p=$1; while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do p=$((p + 1)); done; echo "$p"; }
# cpu <pid>...: clock ticks of CPU (user + system) the processes have used so far.
cpu() { local t=0 p; for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0))); done; echo "$t"; }
# postgres_pids: the throwaway cluster's processes (bench/throwaway-postgres.sh sets PGDATA).
postgres_pids() { local m; m="$(head -1 "$PGDATA/postmaster.pid")"; echo "$m" $(pgrep -P "$m"); }

# bench_organization <base> <admin token>: signs up an organization on Enterprise with a quota the run cannot reach,
# a key whose own limit it cannot reach (every limit is checked and counted on every request, none refuses) and a
# contact; sets $key and $contact.
bench_organization() {
  local base=$1 admin_token=$2 signup token org
  signup="$(curl -fs -X POST "$base/api/v1/auth/signup" -H 'content-type: application/json' \
    -d "{\"email\":\"bench-$RANDOM$RANDOM@example.com\",\"password\":\"benchmark password\",\"name\":\"Bench\",\"organizationName\":\"Bench\"}")"
  token="$(json '["accessToken"]' <<<"$signup")"
  org="$(json '["organization"]["id"]' <<<"$signup")"
  curl -fs -X PUT "$base/api/v1/admin/organizations/$org/plan" -H "X-Admin-Token: $admin_token" -H 'content-type: application/json' \
    -d '{"plan":"enterprise","dailyQuota":10000000000}' >/dev/null
  key="$(curl -fs -X POST "$base/api/v1/api-keys" -H "authorization: Bearer $token" -H 'content-type: application/json' \
    -d '{"name":"bench","scopes":["contacts:read","contacts:write"],"rateLimit":{"requests":1000000000,"windowSeconds":3600}}' | json '["key"]')"
  contact="$(curl -fs -X POST "$base/api/v1/contacts" -H "X-API-Key: $key" -H 'content-type: application/json' \
    -d '{"firstName":"Ada","lastName":"Lovelace","email":"ada@example.com","company":"Analytical Engines"}' | json '["id"]')"
}

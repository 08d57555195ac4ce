#!/usr/bin/env bash
# Dashboard page timings: one organization with 100,000 webhook deliveries and 1,000,000 usage rows, every page fetched
# by a signed-in browser session, on the embedded SQLite database and on a throwaway PostgreSQL side by side.
# Usage: bench/dashboard.sh [deliveries] [usage rows] [requests per page]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/throwaway-postgres.sh 55800 shared_buffers=512MB max_connections=200
dotnet run -c Release --project bench/Switchboard.DashboardBench -- "${1:-100000}" "${2:-1000000}" "${3:-200}"

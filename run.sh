#!/usr/bin/env bash
# Runs GrantLedger with the demo programmes on http://127.0.0.1:5080.
# With no connection string configured it starts a local PostgreSQL in .data/ (git-ignored);
# set ConnectionStrings__GrantLedger to use a database of your own instead.
# Extra arguments go to the service, e.g. ./run.sh --urls http://127.0.0.1:8080
set -euo pipefail
cd "$(dirname "$0")"
source scripts/prerequisites.sh
need_dotnet
[ -n "${ConnectionStrings__GrantLedger:-}" ] || need_postgres
need_web_assets
exec dotnet run --project src/GrantLedger.Web -- --demo "$@"

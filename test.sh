#!/usr/bin/env bash
# Runs every test. Installs what the tests need and is missing, then runs `dotnet test`,
# which starts (and stops) throwaway PostgreSQL clusters of its own.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/prerequisites.sh
need_dotnet
need_postgres
need_openapi_lint
need_export_tools
need_browser

# A test run killed half-way can leave its cluster behind: stop those before starting.
for pid in $(pgrep -f 'postgres -D /tmp/grantledger-tests-' || true); do kill "$pid" 2>/dev/null || true; done

# The benchmarks are no tests, but they must build: `dotnet test` builds the test projects only, so a change to the
# service's types broke bench/ unseen until the next benchmark run.
dotnet build bench/GrantLedger.Bench --nologo -v quiet

dotnet test GrantLedger.sln "$@"

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
need_faketime

# A test run killed half-way can leave its cluster behind: stop those before starting.
for pid in $(pgrep -f 'postgres -D /tmp/grantledger-tests-' || true); do kill "$pid" 2>/dev/null || true; done

# The benchmarks are no tests, but they must build: `dotnet test` builds the test projects only, so a change to the
# service's types broke bench/ unseen until the next benchmark run.
dotnet build bench/GrantLedger.Bench --nologo -v quiet

dotnet build GrantLedger.sln --nologo -v quiet

# The tests are set in the 2026-27 school year (half-terms that have ended, ones not yet begun, postings dated today), so
# they run on the day they were written for, whatever today is: every process of the run (the tests, the service they
# host, PostgreSQL, Chromium) reads a clock moved by libfaketime so that the run begins at noon UTC on 4 December 2026
# and goes on from there. Built before, on the real clock.
tests_day=2026-12-04
libfaketime=$(dpkg -L libfaketime | grep '/libfaketime\.so\.1$' || true)
[ -n "$libfaketime" ] || { echo "test.sh: libfaketime.so.1 is not where the libfaketime package puts it" >&2; exit 1; }
offset=$(( $(date -u -d "${tests_day}T12:00:00Z" +%s) - $(date -u +%s) ))
echo "The tests run on ${tests_day} (the clock moved by ${offset} s)"
GRANTLEDGER_TESTS_TODAY="$tests_day" FAKETIME="$(printf '%+d' "$offset")" LD_PRELOAD="$libfaketime" \
  dotnet test GrantLedger.sln --no-build "$@"

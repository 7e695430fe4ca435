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

# The benchmarks are no tests, but they must build and run: `dotnet test` builds the test projects only, so a change to
# the service's types broke bench/ unseen until the next benchmark run, and on 7 December a rule of the ledger's
# (migrations 0083 and 0084: a line at most a day, a transfer at most £10bn) was found to refuse what three benchmarks
# seed. Built as they are run, in Release (the benchmarks that start the service run its Release build).
dotnet build -c Release bench/GrantLedger.Bench --nologo -v quiet

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

# With no arguments (a whole run, as CI's): the benchmarks' seeds and flows run once, small where a size is theirs to
# choose and at their real sizes where the size is the point (24,000 payees, £10m a school), each checking the ledger it
# leaves (balances tie to transfers, the trial balance zero, no limit passed; the run's payees, file and confirmations).
# No figure is asserted: speed is the benchmarks' to measure (docs/performance.md), on the real clock.
if [ $# -eq 0 ]; then
  bench() { echo "test.sh: benchmark smoke: $*"; dotnet run -c Release --no-build --project bench/GrantLedger.Bench -- "$@" > /dev/null; }
  bench payment-run --rounds 1
  bench bulk --rounds 1 --clients 1 --seconds 1 --history 2000
  bench seed-national --schools 600 --claims-per-year 3000 --reads 20
  echo "test.sh: the benchmarks ran and their ledgers verified"
fi

# Sourced by run.sh and test.sh: installs what is missing, and only that.
# Debian packages need root (or sudo); everything else is plain .NET.

export DEBIAN_FRONTEND=noninteractive
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

_apt_updated=""
apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "Installing ${missing[*]} (apt-get)…"
  if [ -z "$_apt_updated" ]; then $sudo apt-get update -qq; _apt_updated=1; fi
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

need_dotnet() {
  apt_install tzdata # the service's dates and pages are UK time (Europe/London)
  if command -v dotnet >/dev/null 2>&1 && dotnet --list-sdks 2>/dev/null | grep -q '^10\.'; then return 0; fi
  echo "The .NET 10 SDK is needed. Trying apt (dotnet-sdk-10.0, from Microsoft's package feed)…"
  apt_install dotnet-sdk-10.0 || {
    echo "Install the .NET 10 SDK (https://learn.microsoft.com/dotnet/core/install/linux-debian) and run this again." >&2
    exit 1
  }
}

# The service and the tests start PostgreSQL clusters of their own from these binaries.
need_postgres() {
  if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then return 0; fi
  apt_install postgresql
}

# Node and npm, for the tools the tests run from npm (Spectral).
need_node() {
  if command -v npm >/dev/null 2>&1; then return 0; fi
  apt_install nodejs npm
}

# Spectral with the OWASP ruleset lints the OpenAPI document (OpenApiLintTests).
need_openapi_lint() {
  need_node
  [ -x scripts/openapi-lint/node_modules/.bin/spectral ] && return 0
  echo "Installing Spectral (npm ci in scripts/openapi-lint)…"
  (cd scripts/openapi-lint && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
}

# The export tests read the workbook back with openpyxl (Debian's, under /usr/bin/python3) and let
# hledger and Beancount recompute every balance of the exported journals.
# The tests run on the day they were written for (test.sh): libfaketime moves the clock of every process of the run.
need_faketime() {
  apt_install libfaketime
}

need_export_tools() {
  apt_install hledger beancount python3-openpyxl
}

# The web pages need GOV.UK Frontend (copied into wwwroot by the build) and the browser tests need
# Debian's Chromium and axe-core: npm packages from package.json at the repository root.
need_browser() {
  apt_install chromium
  need_web_assets
}

# GOV.UK Frontend for the pages (the build copies it into wwwroot), axe-core for the browser tests.
need_web_assets() {
  need_node
  if [ ! -f node_modules/govuk-frontend/package.json ] || [ ! -f node_modules/axe-core/package.json ] \
     || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "Installing GOV.UK Frontend and axe-core (npm ci)…"
    npm ci --no-audit --no-fund --loglevel=error || npm install --no-audit --no-fund --loglevel=error
  fi
}

# wrk, Debian's HTTP load generator, drives the benchmarks over HTTP (bench: http-posting, hot, reads).
need_wrk() {
  command -v wrk >/dev/null 2>&1 && return 0
  apt_install wrk
}

# http-posting --budget records the loopback's packets with tcpdump
need_tcpdump() {
  command -v tcpdump >/dev/null 2>&1 && return 0
  apt_install tcpdump
}

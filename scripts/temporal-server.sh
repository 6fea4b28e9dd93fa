#!/usr/bin/env bash
# Finds Temporal's own server and SQL schema tool (the binaries the temporalio/server and
# admin-tools images ship) at the version docker-compose.yml runs, or builds them; prints two
# paths, one a line: temporal-server, then temporal-sql-tool. Used by `npm run cluster`.
# Order for each: $TEMPORAL_SERVER / $TEMPORAL_SQL_TOOL, then on PATH or in .tools/bin when it is
# of SERVER_VERSION, else `go install` of both into .tools/bin when Go 1.25+ is here.
# A second run finds the binaries and prints only the paths.
set -euo pipefail

# The server the Temporal CLI v1.5.1 embeds (scripts/temporal-cli.sh), so the dev server of the
# tests and this cluster run the same server code; compose's image tags carry it too
# (test/deploy-agreement.test.ts).
SERVER_VERSION="v1.29.1"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
local_bin="$root/.tools/bin"

# version_of BINARY: the version it reports, e.g. 1.29.1 (both tools print "... version 1.29.1").
version_of() { "$1" --version 2>/dev/null | awk '{ print $NF; exit }'; }

# find_tool NAME OVERRIDE: the path of NAME at SERVER_VERSION, or nothing.
find_tool() {
  local name="$1" override="$2" candidate
  if [[ -n "$override" ]]; then
    if [[ -f "$override" && -x "$override" ]]; then echo "$override"; return 0; fi
    echo "$name: '$override' is not an executable file" >&2
    exit 1
  fi
  for candidate in "$(command -v "$name" 2>/dev/null || true)" "$local_bin/$name"; do
    [[ -n "$candidate" && -x "$candidate" ]] || continue
    if [[ "$(version_of "$candidate")" == "${SERVER_VERSION#v}" ]]; then echo "$candidate"; return 0; fi
  done
}

go_usable() {
  command -v go >/dev/null 2>&1 || return 1
  local version
  version="$(go env GOVERSION 2>/dev/null)" # e.g. go1.26.8
  version="${version#go}"
  local major="${version%%.*}" rest="${version#*.}"
  local minor="${rest%%.*}"
  [[ "$major" =~ ^[0-9]+$ && "$minor" =~ ^[0-9]+$ ]] || return 1
  (( major > 1 || (major == 1 && minor >= 25) ))
}

server="$(find_tool temporal-server "${TEMPORAL_SERVER:-}")"
sql_tool="$(find_tool temporal-sql-tool "${TEMPORAL_SQL_TOOL:-}")"
if [[ -n "$server" && -n "$sql_tool" ]]; then printf '%s\n%s\n' "$server" "$sql_tool"; exit 0; fi

if ! go_usable; then
  cat >&2 <<MSG
temporal-server and temporal-sql-tool $SERVER_VERSION were not found and cannot be built here.
Install them in one of these ways, then run again:
  - set TEMPORAL_SERVER and TEMPORAL_SQL_TOOL to the paths of those binaries ($SERVER_VERSION);
  - install Go 1.25 or newer, and this script builds them into .tools/bin with
      go install go.temporal.io/server/cmd/server@$SERVER_VERSION go.temporal.io/server/cmd/tools/sql@$SERVER_VERSION
MSG
  exit 1
fi

# go install names the binaries after their folders (server, sql): build them apart, then rename.
echo "Building temporal-server and temporal-sql-tool $SERVER_VERSION into .tools/bin (once; several minutes)..." >&2
staging="$root/.tools/build/temporal-server-$SERVER_VERSION"
mkdir -p "$staging" "$local_bin"
GOBIN="$staging" go install \
  "go.temporal.io/server/cmd/server@$SERVER_VERSION" \
  "go.temporal.io/server/cmd/tools/sql@$SERVER_VERSION" >&2
mv -f "$staging/server" "$local_bin/temporal-server"
mv -f "$staging/sql" "$local_bin/temporal-sql-tool"
rmdir "$staging" 2>/dev/null || true
printf '%s\n%s\n' "${server:-$local_bin/temporal-server}" "${sql_tool:-$local_bin/temporal-sql-tool}"

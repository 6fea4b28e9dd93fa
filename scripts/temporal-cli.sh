#!/usr/bin/env bash
# Finds the Temporal CLI (the real Temporal server in dev mode) or builds it, and prints its path.
# Order: $TEMPORAL_CLI, `temporal` on PATH, .tools/bin/temporal, else `go install` when Go 1.25+ is here.
# A second run finds the binary and prints only the path.
set -euo pipefail

CLI_VERSION="v1.5.1" # later tags carry a `replace` directive that `go install` refuses
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
local_bin="$root/.tools/bin/temporal"

if [[ -n "${TEMPORAL_CLI:-}" ]]; then
  if [[ -f "$TEMPORAL_CLI" && -x "$TEMPORAL_CLI" ]]; then echo "$TEMPORAL_CLI"; exit 0; fi
  echo "TEMPORAL_CLI is set to '$TEMPORAL_CLI', which is not an executable file" >&2
  exit 1
fi
if on_path="$(command -v temporal 2>/dev/null)"; then echo "$on_path"; exit 0; fi
if [[ -f "$local_bin" && -x "$local_bin" ]]; then echo "$local_bin"; exit 0; fi

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

if go_usable; then
  echo "Building the Temporal CLI $CLI_VERSION into .tools/bin (once; a few minutes)..." >&2
  mkdir -p "$root/.tools/bin"
  GOBIN="$root/.tools/bin" go install "github.com/temporalio/cli/cmd/temporal@$CLI_VERSION" >&2
  echo "$local_bin"
  exit 0
fi

cat >&2 <<'MSG'
The Temporal CLI was not found and cannot be built here.
Install it in one of these ways, then run again:
  - set TEMPORAL_CLI to the path of a `temporal` binary;
  - put `temporal` on your PATH (see the Temporal CLI install guide for your platform);
  - install Go 1.25 or newer, and this script builds it into .tools/bin with
      go install github.com/temporalio/cli/cmd/temporal@v1.5.1
MSG
exit 1

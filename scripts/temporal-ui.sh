#!/usr/bin/env bash
# Finds Temporal's Web UI server at the version docker-compose.yml runs (the temporalio/ui image),
# with the config template that image ships, or builds both into .tools; prints two lines: the
# binary, then the config folder (run it as `--root / --config <folder> --env docker start`, with
# compose's variables). Used by `npm run cluster`. A second run finds them and prints only those.
set -euo pipefail

# The UI server the Temporal CLI v1.5.1 embeds, and compose's temporalio/ui tag
# (test/deploy-agreement.test.ts).
UI_VERSION="v2.42.1"
MODULE="github.com/temporalio/ui-server/v2"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
binary="$root/.tools/bin/temporal-ui-server"
config_dir="$root/.tools/share/temporal-ui-server-$UI_VERSION/config"

if [[ -n "${TEMPORAL_UI_SERVER:-}" ]]; then
  if [[ ! -x "$TEMPORAL_UI_SERVER" ]]; then echo "TEMPORAL_UI_SERVER: '$TEMPORAL_UI_SERVER' is not an executable file" >&2; exit 1; fi
  binary="$TEMPORAL_UI_SERVER"
fi

version_of() { "$1" --version 2>/dev/null | awk '{ print $NF; exit }'; }
if [[ -x "$binary" && "$(version_of "$binary")" == "${UI_VERSION#v}" && -f "$config_dir/docker.yaml" && -f "$config_dir/base.yaml" ]]; then
  printf '%s\n%s\n' "$binary" "$config_dir"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  echo "Temporal's UI server $UI_VERSION was not found, and without Go it cannot be built here: install Go 1.25 or newer, or run without the UI (ARBITER_CLUSTER_UI=off)." >&2
  exit 1
fi
echo "Building Temporal's UI server $UI_VERSION into .tools (once; a minute or more)..." >&2
staging="$root/.tools/build/temporal-ui-server-$UI_VERSION"
mkdir -p "$staging" "$root/.tools/bin" "$config_dir"
GOBIN="$staging" go install "$MODULE/cmd/server@$UI_VERSION" >&2
[[ -n "${TEMPORAL_UI_SERVER:-}" ]] || mv -f "$staging/server" "$binary"
rm -rf "$staging"
# The image's config template (docker.yaml), from the module go just fetched; under it a base.yaml
# of our own, since the template names no listen address and on the host that would be all of them.
module_dir="$(cd "$root" && go mod download -json "$MODULE@$UI_VERSION" | awk -F'"' '$2 == "Dir" { print $4 }')"
cp "$module_dir/config/docker.yaml" "$config_dir/docker.yaml"
chmod u+w "$config_dir/docker.yaml"
printf '%s\n' '# Written by scripts/temporal-ui.sh: loopback only, as docker-compose.yml publishes the UI.' 'host: 127.0.0.1' > "$config_dir/base.yaml"
printf '%s\n%s\n' "$binary" "$config_dir"

#!/bin/sh
# One-shot step of both self-hosted paths, the compose stack (temporalio/admin-tools
# image, POSIX sh) and `npm run cluster`: waits for the Temporal server, creates
# the namespace if it is missing, then registers the custom search attributes
# Arbiter's workflows upsert, listed in search-attributes.txt beside this script.
# Safe to run again: attributes that already exist are left alone, so
# `docker compose up` and `npm run cluster` can be repeated.
set -eu

ADDRESS="${TEMPORAL_ADDRESS:-temporal:7233}"
NAMESPACE="${TEMPORAL_NAMESPACE:-default}"
WAIT_SECONDS="${ARBITER_SETUP_WAIT_SECONDS:-300}"
# Retention of the namespace when this script creates it.
RETENTION="${ARBITER_NAMESPACE_RETENTION:-168h}"

# "Name Type" lines, comments and blank lines dropped.
ATTRIBUTES=$(grep -v -e '^#' -e '^[[:space:]]*$' "$(dirname "$0")/search-attributes.txt")

deadline=$(( $(date +%s) + WAIT_SECONDS ))

# wait_for DESCRIPTION COMMAND...: retry COMMAND until it succeeds or the
# overall deadline passes.
wait_for() {
  what=$1
  shift
  until "$@"; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      echo "register-search-attributes: gave up waiting for $what after ${WAIT_SECONDS}s" >&2
      return 1
    fi
    sleep 2
  done
}

server_serving() {
  temporal operator cluster health --address "$ADDRESS" 2>/dev/null | grep -q SERVING
}

namespace_exists() {
  temporal operator namespace describe --address "$ADDRESS" --namespace "$NAMESPACE" >/dev/null 2>&1
}

# Succeeds once the namespace is in the server's cache, i.e. attributes can be added.
attributes_listable() {
  temporal operator search-attribute list --address "$ADDRESS" --namespace "$NAMESPACE" >/dev/null 2>&1
}

# run_tolerant COMMAND...: run COMMAND, treating "already exists" as success, so
# a rerun or a concurrent creator does not fail the step.
run_tolerant() {
  if out=$("$@" 2>&1); then
    printf '%s\n' "$out"
    return 0
  fi
  case "$out" in
    *"already exists"* | *"AlreadyExists"* | *"already registered"*)
      echo "  (already exists)"
      return 0
      ;;
  esac
  printf '%s\n' "$out" >&2
  return 1
}

echo "Waiting for Temporal at $ADDRESS ..."
wait_for "the Temporal server" server_serving

# The server creates no namespace of its own (the auto-setup image once did).
if ! namespace_exists; then
  echo "Namespace $NAMESPACE not found, creating it (retention $RETENTION)"
  run_tolerant temporal operator namespace create --address "$ADDRESS" \
    --namespace "$NAMESPACE" --retention "$RETENTION"
fi
wait_for "namespace $NAMESPACE" attributes_listable

existing=$(temporal operator search-attribute list --address "$ADDRESS" --namespace "$NAMESPACE")

printf '%s\n' "$ATTRIBUTES" | while read -r name type; do
  [ -n "$name" ] || continue
  current=$(printf '%s\n' "$existing" | awk -v n="$name" '$1 == n { print $2; exit }')
  if [ -n "$current" ]; then
    # A different type cannot be changed in place; say so loudly, since the
    # workflows' upserts of this attribute would then be rejected.
    if [ "$(printf '%s' "$current" | tr 'A-Z' 'a-z')" != "$(printf '%s' "$type" | tr 'A-Z' 'a-z')" ]; then
      echo "WARNING: search attribute $name exists with type '$current', Arbiter expects $type" >&2
    else
      echo "Search attribute $name ($type) already registered"
    fi
    continue
  fi
  echo "Registering search attribute $name ($type)"
  run_tolerant temporal operator search-attribute create --address "$ADDRESS" \
    --namespace "$NAMESPACE" --name "$name" --type "$type"
done

# Check the end state rather than trusting each step's exit code.
final=$(temporal operator search-attribute list --address "$ADDRESS" --namespace "$NAMESPACE")
missing=""
for name in $(printf '%s\n' "$ATTRIBUTES" | awk '{ print $1 }'); do
  printf '%s\n' "$final" | grep -qw "$name" || missing="$missing $name"
done
if [ -n "$missing" ]; then
  echo "register-search-attributes: still missing in namespace $NAMESPACE:$missing" >&2
  exit 1
fi
echo "Arbiter search attributes registered in namespace $NAMESPACE"

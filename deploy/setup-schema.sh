#!/bin/sh
# Creates or upgrades Temporal's two PostgreSQL databases (the default store and visibility) with
# temporal-sql-tool and the schemas built into it, before the server starts. Shared by both
# self-hosted paths: the compose stack's one-shot temporal-schema step (admin-tools image) and
# `npm run cluster` (the tool from scripts/temporal-server.sh). Safe to run again: a current
# database is left as it is, an older one is upgraded.
# Reads the variables deploy/temporal-server.yaml reads, with the same defaults.
set -eu

SQL_TOOL="${TEMPORAL_SQL_TOOL:-temporal-sql-tool}"
HOST="${POSTGRES_SEEDS:-127.0.0.1}"
PORT="${DB_PORT:-5432}"
USER_NAME="${POSTGRES_USER:-postgres}"

# sql_tool DATABASE ARGS...: the tool against DATABASE; the password travels in SQL_PASSWORD, not argv.
sql_tool() {
  db=$1
  shift
  SQL_PASSWORD="${POSTGRES_PWD:-}" "$SQL_TOOL" --plugin postgres12 --ep "$HOST" --port "$PORT" \
    --user "$USER_NAME" --db "$db" "$@"
}

# set_up DATABASE SCHEMA: create DATABASE if missing, then bring it to SCHEMA's newest version.
set_up() {
  db=$1
  schema=$2
  echo "Temporal schema: $db ($schema)"
  # create-database ignores a database that exists; it connects to the `postgres` database to create it.
  sql_tool "$db" create-database
  # Version 0.0 means "only the version tables" and is skipped once the database is past it.
  sql_tool "$db" setup-schema -v 0.0
  sql_tool "$db" update-schema --schema-name "$schema"
}

set_up "${TEMPORAL_DB:-arbiter_temporal}" postgresql/v12/temporal
set_up "${TEMPORAL_VISIBILITY_DB:-arbiter_temporal_visibility}" postgresql/v12/visibility
echo "Temporal schemas are current"

#!/usr/bin/env bash
# MongoDB -> SQLite: discovery, inference over differing fields, 5,000 tied watermarks in
# batches of 100, soft delete, a new field, idempotent rerun (scenario in mongo_lib.sh).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/mongo_lib.sh"

DB="$WORK/wh.db"
DEST_YAML="    type: sqlite
    path: $DB"
T_ORDERS=analytics__orders
T_CUST=analytics__customers
T_RAW=staging__mongo_orders_raw
dq() { sqlite_sql "$DB" "$1"; }
dts() { echo "$1"; }
djson() { echo "json_extract($1, '\$.$2')"; }

mongo_scenario
echo "ok"

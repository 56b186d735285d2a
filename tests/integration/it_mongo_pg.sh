#!/usr/bin/env bash
# MongoDB -> PostgreSQL: the MongoDB source scenario of mongo_lib.sh into private schemas.
source "$(dirname "$0")/lib.sh"
need_pg
source "$(dirname "$0")/mongo_lib.sh"
need_dest postgresql

S="it_${IT_ID}"
PIPE="p_$S"
DEST_YAML="    type: postgresql
    host: $ARUS_PG_HOST
    port: $ARUS_PG_PORT
    username: $ARUS_PG_USER
    password: \${ARUS_PG_PASSWORD}
    database: $ARUS_PG_DB
    raw_schema: ${S}_raw
    target_schema: ${S}_an"
export ARUS_PG_PASSWORD
on_exit "pg_sql -c 'DROP SCHEMA IF EXISTS ${S}_raw CASCADE; DROP SCHEMA IF EXISTS ${S}_an CASCADE'"
on_exit "pg_sql -c \"DELETE FROM arus_state.watermarks WHERE pipeline = '$PIPE'; DELETE FROM arus_state.runs WHERE pipeline = '$PIPE'\""
T_ORDERS="${S}_an.orders"
T_CUST="${S}_an.customers"
T_RAW="${S}_raw.mongo_orders_raw"
dq() { PGTZ=UTC pg_sql -c "$1"; }
dts() { echo "($1 AT TIME ZONE 'UTC')::text"; }
djson() { echo "$1->>'$2'"; }

mongo_scenario
echo "ok"

#!/usr/bin/env bash
# MongoDB -> ClickHouse: the MongoDB source scenario of mongo_lib.sh into private databases.
source "$(dirname "$0")/lib.sh"
need_ch
source "$(dirname "$0")/mongo_lib.sh"
need_dest clickhouse

S="arus_${IT_ID}"
PIPE="p_$S"
export ARUS_CH_PASSWORD
DEST_YAML="    type: clickhouse
    host: $ARUS_CH_HOST
    port: $ARUS_CH_HTTP_PORT
    username: $ARUS_CH_USER
    password: \${ARUS_CH_PASSWORD}
    database: $ARUS_CH_DB
    raw_schema: ${S}_raw
    target_schema: ${S}_an"
on_exit "ch_sql 'DROP DATABASE IF EXISTS ${S}_raw'"
on_exit "ch_sql 'DROP DATABASE IF EXISTS ${S}_an'"
# the _current views show each key's newest version that is not a tombstone
T_ORDERS="${S}_an.orders_current"
T_CUST="${S}_an.customers_current"
T_RAW="${S}_raw.mongo_orders_raw"
dq() { ch_sql "$1 FORMAT TSVRaw"; }
dts() { echo "toString($1)"; }
djson() { echo "visitParamExtractString($1, '$2')"; }

mongo_scenario
echo "ok"

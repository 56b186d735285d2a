#!/usr/bin/env bash
# MongoDB -> MariaDB: the MongoDB source scenario of mongo_lib.sh into private databases.
source "$(dirname "$0")/lib.sh"
need_mysql
source "$(dirname "$0")/mongo_lib.sh"
need_dest mariadb

S="arus_${IT_ID}"
PIPE="p_$S"
export ARUS_MY_PASSWORD
DEST_YAML="    type: mariadb
    host: $ARUS_MY_HOST
    port: $ARUS_MY_PORT
    username: $ARUS_MY_USER
    password: \${ARUS_MY_PASSWORD}
    database: $ARUS_MY_DB
    raw_schema: ${S}_raw
    target_schema: ${S}_an"
on_exit "my_sql -e 'DROP DATABASE IF EXISTS \`${S}_raw\`; DROP DATABASE IF EXISTS \`${S}_an\`'"
on_exit "my_sql -e \"DELETE FROM arus_state.watermarks WHERE pipeline = '$PIPE'; DELETE FROM arus_state.runs WHERE pipeline = '$PIPE'\""
T_ORDERS="\`${S}_an\`.orders"
T_CUST="\`${S}_an\`.customers"
T_RAW="\`${S}_raw\`.mongo_orders_raw"
dq() { my_sql --init-command="SET time_zone = '+00:00'" -e "$1"; }
# DATETIME(6) text with the fraction's trailing zeros trimmed, like the canonical form
dts() { echo "TRIM(TRAILING '.' FROM TRIM(TRAILING '0' FROM CAST($1 AS CHAR)))"; }
djson() { echo "JSON_VALUE($1, '\$.$2')"; }

# unconstrained decimals land as DECIMAL(65,30)
dnum() { echo "CAST($1 AS DECIMAL(22,2))"; }

mongo_scenario
echo "ok"

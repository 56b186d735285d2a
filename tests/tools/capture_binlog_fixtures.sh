#!/usr/bin/env bash
# Regenerate the binlog decoder's unit-test fixtures (tests/unit/mysql/fixtures/README.md):
# runs binlog_types.sql in a scratch database of the test MariaDB (scripts/servers.sh), captures
# the raw events of that database's transactions with my_binlog_tool, and writes the decoded
# JSON lines as the golden output. Review the diff of binlog_types.jsonl before committing.
# Usage: tests/tools/capture_binlog_fixtures.sh BUILD_DIR
set -euo pipefail
BUILD=${1:?usage: $0 BUILD_DIR}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
FIX=$SRC/tests/unit/mysql/fixtures
DB=arus_binlog_fixture
eval "$(bash "$SRC/scripts/servers.sh" env)"
my() { MYSQL_PWD=$ARUS_MY_PASSWORD mariadb --no-defaults --protocol=TCP -h "$ARUS_MY_HOST" \
    -P "$ARUS_MY_PORT" -u "$ARUS_MY_USER" --batch --skip-column-names --default-character-set=utf8mb4 \
    --init-command="SET time_zone = '+00:00', sql_mode = ''" "$@"; }
my -e "DROP DATABASE IF EXISTS $DB"
G0=$(my -e "SELECT @@gtid_binlog_pos")
my -e "CREATE DATABASE $DB CHARACTER SET utf8mb4"
my "$DB" <"$FIX/binlog_types.sql"
"$BUILD/my_binlog_tool" capture "$G0" "$DB" "$FIX/binlog_types.bin" "$FIX/binlog_types.coll"
my -e "DROP DATABASE $DB"
"$BUILD/my_binlog_tool" decode "$FIX/binlog_types.bin" "$FIX/binlog_types.coll" >"$FIX/binlog_types.jsonl"
echo "captured $(wc -c <"$FIX/binlog_types.bin") bytes of events, $(wc -l <"$FIX/binlog_types.jsonl") changes"

#!/usr/bin/env bash
# bench/ch_my_to_ch.sh - MariaDB -> ClickHouse throughput of `arus sync` (first incremental load
# into the typed ReplacingMergeTree table, full refresh into a shadow table + RENAME, both
# TabSeparated over HTTP keep-alive) against the engines' own pipe (mariadb --quick --batch
# export | clickhouse-client INSERT ... FORMAT TabSeparated over the native port) on the
# generated 1,000,000-row `orders` table; see bench/lib.sh.
# The pipe's table takes the timestamp/date columns as String (mariadb --batch prints NULL as
# the word NULL, which ClickHouse's Date would refuse); arus stores timestamps as String on
# 18.16 too (no DateTime64), so both sides parse the same kinds of values.
# Usage: bench/ch_my_to_ch.sh [ROWS]   (BATCH=batch_size, default 10000; ROUNDS, ARUS,
# BENCH_RESULTS as in bench/lib.sh)
source "$(dirname "$0")/lib.sh"
bench_init my ch "$@"
gen_my_orders "${B}_src"
chq "CREATE DATABASE ${B}_pipe"
chq "CREATE TABLE ${B}_pipe.orders (id Int64, customer_id Int32, status String, note String,
  amount Decimal(12, 2), weight Float64, paid UInt8, qty Int16, created_at String,
  updated_at String, deleted_at String, attrs String, ship_date String)
  ENGINE = MergeTree() ORDER BY id"
bench_config "$(yml_src_my "${B}_src")" orders "batch_size: ${BATCH:-10000}"

pipe_reset() { chq "TRUNCATE TABLE ${B}_pipe.orders"; }
pipe_run() {
    mysqlx --quick --batch --skip-column-names -e "SELECT $ORDERS_COLS FROM \`${B}_src\`.orders ORDER BY id" |
        chc --query "INSERT INTO ${B}_pipe.orders FORMAT TabSeparated"
}
bench_run
# same data both ways (the pipe's copy is the reference; mariadb prints DATETIME(3) with
# ".000", arus's canonical text trims a zero fraction)
fp() { chq "SELECT count(), sum(cityHash64(id, customer_id, status, $2(note), toString(amount), weight, paid, qty, created_at, replaceRegexpOne(updated_at, '\\\\.0+\$', ''), $2(attrs))) FROM $1"; }
want=$(fp "${B}_pipe.orders" "")
for l in refresh incremental; do
    [ "$(fp "${B}_$l.orders FINAL" "assumeNotNull")" = "$want" ] || echo "WARNING: arus $l data differs from the pipe's copy" >&2
done
bench_report "MariaDB -> ClickHouse" "mariadb --batch | clickhouse-client TSV"

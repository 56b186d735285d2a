#!/usr/bin/env bash
# bench/pg_to_ch.sh - PostgreSQL -> ClickHouse throughput of `arus sync` (full refresh and first
# incremental load) against the engines' own pipe (psql \copy (SELECT ...) to stdout |
# clickhouse-client INSERT ... FORMAT TabSeparated over the native port) on the generated
# 1,000,000-row `orders` table; see bench/lib.sh. The pipe's table takes the timestamp/date
# columns as String, as arus stores them on this ClickHouse (18.16, no DateTime64).
# Usage: bench/pg_to_ch.sh [ROWS]   (ROUNDS, ARUS, BENCH_RESULTS as in bench/lib.sh)
source "$(dirname "$0")/lib.sh"
bench_init pg ch "$@"
gen_pg_orders "${B}_src"
chq "CREATE DATABASE ${B}_pipe"
chq "CREATE TABLE ${B}_pipe.orders (id Int64, customer_id Int32, status String,
  note Nullable(String), amount Decimal(12, 2), weight Nullable(Float64), paid UInt8, qty Int16,
  created_at String, updated_at String, deleted_at Nullable(String), attrs Nullable(String),
  ship_date Nullable(String)) ENGINE = MergeTree() ORDER BY id"
bench_config "$(yml_src_pg "${B}_src")" orders

pipe_reset() { chq "TRUNCATE TABLE ${B}_pipe.orders" 2>/dev/null || { chq "DROP TABLE ${B}_pipe.orders" && false; }; }
pipe_run() {
    psqlx -c "\\copy (SELECT ${ORDERS_COLS/paid/paid::int} FROM ${B}_src.orders ORDER BY id) to stdout" |
        chc --query "INSERT INTO ${B}_pipe.orders FORMAT TabSeparated"
}
pipe_check() { [ "$(chq "SELECT count() FROM ${B}_pipe.orders")" = "$ROWS" ] || { echo "pipe loaded a wrong row count" >&2; exit 1; }; }
bench_run
bench_report "PostgreSQL -> ClickHouse" "psql \\copy to stdout | clickhouse-client TSV"

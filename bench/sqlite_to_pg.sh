#!/usr/bin/env bash
# bench/sqlite_to_pg.sh - SQLite -> PostgreSQL throughput of `arus sync` (full refresh and first
# incremental load) against the engines' own pipe (sqlite3 -csv | psql \copy ... from stdin with
# CSV: an unquoted empty field is NULL) on the generated 1,000,000-row `orders` table; see
# bench/lib.sh.
# Usage: bench/sqlite_to_pg.sh [ROWS]   (ROUNDS, ARUS, BENCH_RESULTS as in bench/lib.sh)
source "$(dirname "$0")/lib.sh"
bench_init sqlite pg "$@"
gen_sqlite_orders "$WORK/src.db"
psqlx -c "CREATE SCHEMA ${B}_pipe; CREATE TABLE ${B}_pipe.orders (
  id bigint PRIMARY KEY, customer_id bigint NOT NULL, status text NOT NULL, note text,
  amount numeric NOT NULL, weight double precision, paid boolean NOT NULL, qty bigint NOT NULL,
  created_at timestamp NOT NULL, updated_at timestamp NOT NULL, deleted_at timestamp,
  attrs jsonb, ship_date date)"
bench_config "$(yml_src_sqlite "$WORK/src.db")" orders

pipe_reset() { psqlx -c "TRUNCATE ${B}_pipe.orders"; }
pipe_run() {
    sqlite3 -csv "$WORK/src.db" "SELECT $ORDERS_COLS FROM orders ORDER BY id" |
        psqlx -c "\\copy ${B}_pipe.orders ($ORDERS_COLS) from stdin with (format csv)"
}
pipe_check() { [ "$(psqlx -c "SELECT count(*) FROM ${B}_pipe.orders")" = "$ROWS" ] || { echo "pipe loaded a wrong row count" >&2; exit 1; }; }
bench_run
bench_report "SQLite -> PostgreSQL" "sqlite3 -csv | psql \\copy csv"

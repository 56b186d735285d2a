#!/usr/bin/env bash
# bench/pg_to_my.sh - PostgreSQL -> MariaDB throughput of `arus sync` (full refresh and first
# incremental load) against the engines' own pipe (psql \copy (SELECT ...) to stdout | mariadb
# LOAD DATA LOCAL INFILE '/dev/stdin': COPY's text format, \N NULLs and backslash escapes are
# LOAD DATA's defaults) on the generated 1,000,000-row `orders` table; see bench/lib.sh.
# Usage: bench/pg_to_my.sh [ROWS]   (ROUNDS, ARUS, BENCH_RESULTS as in bench/lib.sh)
source "$(dirname "$0")/lib.sh"
bench_init pg my "$@"
gen_pg_orders "${B}_src"
mysqlx -e "CREATE DATABASE \`${B}_pipe\`; CREATE TABLE \`${B}_pipe\`.orders (
  id BIGINT PRIMARY KEY, customer_id INT NOT NULL, status VARCHAR(20) NOT NULL, note TEXT,
  amount DECIMAL(12,2) NOT NULL, weight DOUBLE, paid TINYINT(1) NOT NULL, qty SMALLINT NOT NULL,
  created_at DATETIME NOT NULL, updated_at DATETIME(3) NOT NULL, deleted_at DATETIME NULL,
  attrs JSON, ship_date DATE NULL)"
bench_config "$(yml_src_pg "${B}_src")" orders

pipe_reset() { mysqlx -e "TRUNCATE \`${B}_pipe\`.orders"; }
pipe_run() {
    psqlx -c "\\copy (SELECT ${ORDERS_COLS/paid/paid::int} FROM ${B}_src.orders ORDER BY id) to stdout" |
        mysqlx --local-infile=1 -e "LOAD DATA LOCAL INFILE '/dev/stdin' INTO TABLE \`${B}_pipe\`.orders CHARACTER SET utf8mb4 ($ORDERS_COLS)"
}
pipe_check() { [ "$(mysqlx -N -e "SELECT COUNT(*) FROM \`${B}_pipe\`.orders")" = "$ROWS" ] || { echo "pipe loaded a wrong row count" >&2; exit 1; }; }
bench_run
bench_report "PostgreSQL -> MariaDB" "psql \\copy to stdout | mariadb LOAD DATA LOCAL"

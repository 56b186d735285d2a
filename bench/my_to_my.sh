#!/usr/bin/env bash
# bench/my_to_my.sh - MariaDB -> MariaDB throughput of `arus sync` (full refresh: LOAD DATA
# straight into the shadow table; first incremental load: LOAD DATA into a temporary table +
# INSERT ... ON DUPLICATE KEY UPDATE merge) against the engine's own pipe (mariadb --quick
# --batch export | mariadb LOAD DATA LOCAL INFILE '/dev/stdin') on the generated 1,000,000-row
# `orders` table; see bench/lib.sh.
# Usage: bench/my_to_my.sh [ROWS]   (ROUNDS, ARUS, BENCH_RESULTS as in bench/lib.sh)
source "$(dirname "$0")/lib.sh"
bench_init my my "$@"
gen_my_orders "${B}_src"
mysqlx -e "CREATE DATABASE \`${B}_pipe\`; CREATE TABLE \`${B}_pipe\`.orders LIKE \`${B}_src\`.orders"
bench_config "$(yml_src_my "${B}_src")" orders

pipe_reset() { mysqlx -e "TRUNCATE \`${B}_pipe\`.orders"; }
# --batch prints NULL as the word NULL: the nullable columns go through variables.
pipe_run() {
    mysqlx --quick --batch --skip-column-names -e "SELECT $ORDERS_COLS FROM \`${B}_src\`.orders ORDER BY id" |
        mysqlx --local-infile=1 -e "LOAD DATA LOCAL INFILE '/dev/stdin' INTO TABLE \`${B}_pipe\`.orders CHARACTER SET utf8mb4 (id, customer_id, status, @note, amount, @weight, paid, qty, created_at, updated_at, @deleted_at, @attrs, @ship_date) SET note = NULLIF(@note, 'NULL'), weight = NULLIF(@weight, 'NULL'), deleted_at = NULLIF(@deleted_at, 'NULL'), attrs = NULLIF(@attrs, 'NULL'), ship_date = NULLIF(@ship_date, 'NULL')"
}
bench_run
# same data both ways (the pipe's copy is the reference; arus writes every DATETIME(n) as
# DATETIME(6): the values compare at that precision)
fp() { mysqlx -N -e "SELECT COUNT(*), SUM(CRC32(CONCAT_WS('|', id, customer_id, HEX(status), HEX(note), amount, weight, paid, qty, CAST(created_at AS DATETIME(6)), CAST(updated_at AS DATETIME(6)), CAST(deleted_at AS DATETIME(6)), HEX(attrs), ship_date))) FROM \`$1\`.orders"; }
for l in refresh incremental; do
    [ "$(fp "${B}_$l")" = "$(fp "${B}_pipe")" ] || echo "WARNING: arus $l data differs from the pipe's copy" >&2
done
bench_report "MariaDB -> MariaDB" "mariadb --batch | mariadb LOAD DATA LOCAL"

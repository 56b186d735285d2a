#!/usr/bin/env bash
# bench/my_to_pg.sh - MariaDB -> PostgreSQL throughput of `arus sync` (full refresh and first
# incremental load: streamed prepared-statement extract, COPY into PostgreSQL) against the
# engines' own pipe (mariadb --quick --batch export, NULLs rewritten to COPY's \N by sed, into
# psql \copy ... from stdin) and, when installed, pgloader, on the generated 1,000,000-row
# `orders` table; see bench/lib.sh.
# Usage: bench/my_to_pg.sh [ROWS]   (BENCH_PGLOADER=0: skip pgloader; ROUNDS, ARUS,
# BENCH_RESULTS, BENCH_PIPELINE_KEYS as in bench/lib.sh)
source "$(dirname "$0")/lib.sh"
bench_init my pg "$@"
bench_at_exit "psqlx -c 'DROP SCHEMA IF EXISTS ${B}_pgl CASCADE'"
gen_my_orders "${B}_src"
psqlx <<SQL
CREATE SCHEMA ${B}_pipe;
CREATE TABLE ${B}_pipe.orders (
  id bigint PRIMARY KEY, customer_id integer NOT NULL, status varchar(20) NOT NULL, note text,
  amount numeric(12,2) NOT NULL, weight double precision, paid boolean NOT NULL,
  qty smallint NOT NULL, created_at timestamp NOT NULL, updated_at timestamp(3) NOT NULL,
  deleted_at timestamp, attrs jsonb, ship_date date);
SQL
bench_config "$(yml_src_my "${B}_src")" orders

pipe_reset() { psqlx -c "TRUNCATE ${B}_pipe.orders"; }
pipe_run() {
    mysqlx --quick --batch --skip-column-names -e "SELECT $ORDERS_COLS FROM \`${B}_src\`.orders ORDER BY id" |
        sed -e ':a' -e 's/\(^\|\t\)NULL\(\t\|$\)/\1\\N\2/' -e 'ta' |
        psqlx -c "\\copy ${B}_pipe.orders ($ORDERS_COLS) from stdin"
}
bench_run
fp() { psqlx -c "SELECT count(*), sum(hashtext(concat_ws('|', id, customer_id, status, note, amount, weight, paid::int, qty, created_at, updated_at, attrs::jsonb::text, ship_date))) FROM $1.orders"; }
for l in refresh incremental; do
    [ "$(fp "${B}_$l")" = "$(fp "${B}_pipe")" ] || echo "WARNING: arus $l data differs from the pipe's copy" >&2
done

if [ "${BENCH_PGLOADER:-1}" = 1 ] && command -v pgloader >/dev/null; then
    echo "pgloader ..."
    # pgloader takes the password in its URL only: the command file stays in the private $WORK
    cat >"$WORK/load.pgl" <<PGL
LOAD DATABASE FROM mysql://$ARUS_MY_USER:$ARUS_MY_PASSWORD@$ARUS_MY_HOST:$ARUS_MY_PORT/${B}_src
INTO postgresql://$ARUS_PG_USER:$ARUS_PG_PASSWORD@$ARUS_PG_HOST:$ARUS_PG_PORT/$PGDB
WITH include drop, create tables, create indexes, reset sequences
ALTER SCHEMA '${B}_src' RENAME TO '${B}_pgl';
PGL
    t0=$(now)
    /usr/bin/time -v pgloader --quiet "$WORK/load.pgl" >/dev/null 2>"$WORK/pgl.time" || tail -5 "$WORK/pgl.time" >&2
    bench_extra pgloader "pgloader (create tables + indexes)" "$(calc "$(now) - $t0")" \
        "$(awk -F': ' '/Maximum resident set size/ {printf "%.1f", $2 / 1024}' "$WORK/pgl.time")"
else
    echo "pgloader: not installed (apt-get install pgloader to compare)"
fi
bench_report "MariaDB -> PostgreSQL" "mariadb --batch | sed | psql \\copy"

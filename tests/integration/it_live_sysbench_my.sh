#!/usr/bin/env bash
# MariaDB -> PostgreSQL against live writers: sysbench oltp_read_write (4 threads) on a
# 20,000-row sbtest1 with updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE
# CURRENT_TIMESTAMP(6) (statement time), `arus sync` in a loop with the default config (commit
# horizon on, no lookback), one transaction held open for 6 s across several syncs; after one
# last sync the destination equals the source (sorted dumps of id, k, c, pad). See live_lib.sh.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/my_lib.sh"
source "$(dirname "$0")/pg_lib.sh"
source "$(dirname "$0")/live_lib.sh"
command -v sysbench >/dev/null || fail "sysbench not installed (scripts/install-deps.sh)"

# root has an empty password on the test server: none on sysbench's command line
SB=(--db-driver=mysql --mysql-host="$ARUS_MY_HOST" --mysql-port="$ARUS_MY_PORT" --mysql-user=root
    --mysql-db="$MY_SRC")
sysbench oltp_read_write "${SB[@]}" --tables=1 --table_size="$LIVE_ROWS" prepare >"$WORK/prepare.out" \
    || fail "sysbench prepare: $(tail -5 "$WORK/prepare.out")"
mys "$MY_SRC" -e "ALTER TABLE sbtest1 ADD COLUMN updated_at DATETIME(6) NOT NULL
                  DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6)"
{
    echo "sources:"
    my_endpoint mysrc mysql "$MY_SRC"
    echo "destinations:"
    pg_endpoint pgdst postgresql
    echo "pipelines:"
    echo "  $PIPE:"
    echo "    source: mysrc"
    echo "    destination: pgdst"
    echo "    tables: [sbtest1]"
    echo "    commit_horizon: $LIVE_COMMIT_HORIZON"
} >"$WORK/arus.yml"
LIVE_PIPE=$PIPE

hold() {
    mys "$MY_SRC" -e "BEGIN; UPDATE sbtest1 SET c = 'held open' WHERE id = 7; DO SLEEP(6); COMMIT;"
}
live_run "MariaDB -> PostgreSQL" SB hold

mys "$MY_SRC" -e "SELECT id, k, c, pad FROM sbtest1 ORDER BY id" >"$WORK/src.txt"
pg_sql -c "COPY (SELECT id, k, rtrim(c), rtrim(pad) FROM analytics.sbtest1 ORDER BY id) TO STDOUT" \
    >"$WORK/dst.txt"
live_compare "MariaDB -> PostgreSQL" "$WORK/src.txt" "$WORK/dst.txt"
echo "ok"

#!/usr/bin/env bash
# MariaDB binlog change data capture under SIGKILL: a sysbench write workload with deletes
# (oltp_write_only and oltp_delete) runs while `arus sync --follow` into PostgreSQL is killed
# with SIGKILL at random moments, 20 times. After each kill the stored GTID is never ahead of
# the data (every tick committed at or below it is in the destination); at the end source and
# destination are equal and no key is duplicated.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/my_lib.sh"
source "$(dirname "$0")/pg_lib.sh"
CDC_SOURCE=my CDC_TABLES=2 CDC_TABLE_SIZE=2000
source "$(dirname "$0")/cdc_lib.sh"

cdc_sb oltp_write_only prepare >/dev/null
mys "$MY_SRC" -e "CREATE TABLE ticks (k INT PRIMARY KEY)"
# MariaDB 10.11 finds a resume GTID by reading its binlog file from the start: in a shared file
# other jobs have grown to hundreds of MB each restarted follower would spend its whole life
# there. A fresh file holds just this test's stretch.
mys -e "FLUSH BINARY LOGS"

{
    echo "sources:"
    my_endpoint mysrc mariadb "$MY_SRC"
    echo "destinations:"
    pg_endpoint pgdst postgresql
    echo "pipelines:"
    echo "  p:"
    echo "    source: mysrc"
    echo "    destination: pgdst"
    echo "    sync_mode: cdc"
    echo "    batch_size: 300"
    echo "    tables: [sbtest1, sbtest2, ticks]"
    echo "    cdc: {max_latency: 0.2s}"
} >"$WORK/arus.yml"
arus_ok -c "$WORK/arus.yml" sync p

# A tick's position: its own GTID sequence (domain 0 of the shared server). A stored position
# at or past it means the tick must be applied.
tick() { mys "$MY_SRC" -e "INSERT INTO ticks VALUES ($1); SELECT SUBSTRING_INDEX(@@last_gtid, '-', -1)"; }
cdc_kill_workload tick

pg_sql -c "CREATE TABLE tick_log (k int, seq bigint)"
covered() { # extra condition: ticks at or below the stored GTID (domain 0) that also meet it
    pg_sql <<SQL
SELECT count(*) FROM tick_log l
WHERE l.seq <= (SELECT max(split_part(e, '-', 3)::bigint)
                FROM arus_state.watermarks, regexp_split_to_table(watermark, ',') e
                WHERE pipeline = 'p' AND table_name = '_arus_cdc_position'
                  AND split_part(e, '-', 1) = '0')
  $1
SQL
}
check() { # kill number
    assert_eq "$(covered "AND NOT EXISTS (SELECT 1 FROM analytics.ticks t WHERE t.k = l.k)")" 0 \
        "ticks below the stored position missing after kill $1"
}
cdc_kill_loop 20 check
[ "$(covered "")" -gt 0 ] || fail "no tick at or below the stored position: the check saw nothing"
cdc_kill_end

for t in sbtest1 sbtest2; do
    assert_eq "$(my_fp "SELECT id, k, c, pad FROM \`$MY_SRC\`.$t ORDER BY id")" \
        "$(pg_sql -F $'\t' -c "SELECT id, k, c, pad FROM analytics.$t ORDER BY id" | md5sum | cut -d' ' -f1)" "$t differing"
    assert_eq "$(pg_sql -c "SELECT count(*) - count(DISTINCT id) FROM analytics.$t")" 0 "$t duplicate keys"
done
assert_eq "$(mys "$MY_SRC" -e "SELECT count(*) FROM ticks")" "$(pg_sql -c "SELECT count(*) FROM analytics.ticks")" "ticks count"
[ "$(mys "$MY_SRC" -e "SELECT count(*) FROM ticks")" -gt 20 ] || fail "the tick writer wrote too little"
echo ok

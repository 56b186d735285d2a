#!/usr/bin/env bash
# PostgreSQL change data capture under SIGKILL: a sysbench write workload with deletes
# (oltp_write_only and oltp_delete) runs while `arus sync --follow` is killed with SIGKILL at
# random moments, 22 times. After each kill the stored position is never ahead of the data
# (every tick committed before it is in the destination); at the end source and destination
# are equal and no key is duplicated.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg_lib.sh"
CDC_SOURCE=pg CDC_TABLES=2 CDC_TABLE_SIZE=2000
source "$(dirname "$0")/cdc_lib.sh"
on_exit "pg_sql -c \"SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '$PG_IT_DB'\""

export PGPASSWORD=$ARUS_PG_PASSWORD
cdc_sb oltp_write_only prepare >/dev/null
pg_sql -c "CREATE TABLE ticks (k int PRIMARY KEY)"

pg_write_config public "    sync_mode: cdc
    batch_size: 300
    tables: [sbtest1, sbtest2, ticks]
    cdc: {max_latency: 0.2s, slot: cdc_kill_$$, publication: cdc_kill}"
arus_ok -c "$WORK/arus.yml" sync p

# A tick's position: the WAL insert position after its commit, which is past the tick's commit
# record. A stored position at or past it means the tick must be applied.
tick() { pg_sql -c "INSERT INTO ticks VALUES ($1)" -c "SELECT pg_current_wal_insert_lsn()"; }
cdc_kill_workload tick

pg_sql -c "CREATE TABLE tick_log (k int, lsn pg_lsn)"
check() { # kill number
    local ahead
    ahead=$(pg_sql <<'SQL'
SELECT count(*) FROM tick_log l
WHERE l.lsn <= (SELECT watermark::pg_lsn FROM arus_state.watermarks
                WHERE pipeline = 'p' AND table_name = '_arus_cdc_position')
  AND NOT EXISTS (SELECT 1 FROM analytics.ticks t WHERE t.k = l.k)
SQL
)
    assert_eq "$ahead" 0 "ticks below the stored position missing after kill $1"
}
cdc_kill_loop 22 check
cdc_kill_end

for t in sbtest1 sbtest2; do
    assert_eq "$(pg_sql -c "SELECT count(*) FROM public.$t s FULL JOIN analytics.$t d USING (id) WHERE s.id IS NULL OR d.id IS NULL OR (s.k, s.c, s.pad) IS DISTINCT FROM (d.k, d.c, d.pad)")" 0 "$t differing"
    assert_eq "$(pg_sql -c "SELECT count(*) - count(DISTINCT id) FROM analytics.$t")" 0 "$t duplicate keys"
done
assert_eq "$(pg_sql -c "SELECT count(*) FROM ticks s FULL JOIN analytics.ticks d USING (k) WHERE s.k IS NULL OR d.k IS NULL")" 0 "ticks differing"
[ "$(pg_sql -c "SELECT count(*) FROM ticks")" -gt 20 ] || fail "the tick writer wrote too little"
echo ok

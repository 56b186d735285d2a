#!/usr/bin/env bash
# PostgreSQL change data capture under SIGKILL: a sysbench write workload with deletes
# (oltp_write_only and oltp_delete) runs while `arus sync --follow` is killed with SIGKILL at
# random moments, 22 times. After each kill the stored position is never ahead of the data
# (every tick committed before it is in the destination); at the end source and destination
# are equal and no key is duplicated.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg_lib.sh"
command -v sysbench >/dev/null || fail "sysbench not installed (scripts/install-deps.sh)"
on_exit "pg_sql -c \"SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '$PG_IT_DB'\""

export PGPASSWORD=$ARUS_PG_PASSWORD
sb() { # sysbench TEST ACTION [options]: the workload against the test database (password from PGPASSWORD)
    local test=$1 action=$2
    shift 2
    sysbench "$test" --db-driver=pgsql --pgsql-host="$ARUS_PG_HOST" --pgsql-port="$ARUS_PG_PORT" \
        --pgsql-user="$ARUS_PG_USER" --pgsql-db="$PG_IT_DB" --tables=2 --table-size=2000 "$@" "$action"
}
sb oltp_write_only prepare >/dev/null
pg_sql -c "CREATE TABLE ticks (k int PRIMARY KEY)"

pg_write_config public "    sync_mode: cdc
    batch_size: 300
    tables: [sbtest1, sbtest2, ticks]
    cdc: {max_latency: 0.2s, slot: cdc_kill_$$, publication: cdc_kill}"
arus_ok -c "$WORK/arus.yml" sync p

# The tick writer: after each committed tick, the WAL insert position, which is past the
# tick's commit record. A stored position at or past it means the tick must be applied.
touch "$WORK/ticks.log"
(
    k=0
    while [ ! -e "$WORK/stop" ]; do
        k=$((k + 1))
        pg_sql -c "INSERT INTO ticks VALUES ($k)" -c "SELECT pg_current_wal_insert_lsn()" |
            sed "s/^/$k\t/" >>"$WORK/ticks.log"
    done
) &
writer=$!
sb oltp_write_only run --time=25 --threads=2 >/dev/null 2>&1 &
sb1=$!
sb oltp_delete run --time=25 --threads=1 >/dev/null 2>&1 &
sb2=$!
on_exit "touch $WORK/stop; pkill -P $sb1; pkill -P $sb2"

pg_sql -c "CREATE TABLE tick_log (k int, lsn pg_lsn)"
for i in $(seq 1 22); do
    "$ARUS" -c "$WORK/arus.yml" sync p --follow >/dev/null 2>"$WORK/follow.err" &
    pid=$!
    sleep "$(awk -v r=$RANDOM 'BEGIN { printf "%.2f", 0.3 + (r % 120) / 100 }')"
    kill -KILL "$pid" 2>/dev/null || fail "kill $i: arus had already exited: $(cat "$WORK/follow.err")"
    wait "$pid" 2>/dev/null || true
    cp "$WORK/ticks.log" "$WORK/ticks.snap"
    pg_sql -c "TRUNCATE tick_log" -c "\\copy tick_log FROM '$WORK/ticks.snap'"
    ahead=$(pg_sql <<'SQL'
SELECT count(*) FROM tick_log l
WHERE l.lsn <= (SELECT watermark::pg_lsn FROM arus_state.watermarks
                WHERE pipeline = 'p' AND table_name = '_arus_cdc_position')
  AND NOT EXISTS (SELECT 1 FROM analytics.ticks t WHERE t.k = l.k)
SQL
)
    assert_eq "$ahead" 0 "ticks below the stored position missing after kill $i"
done
touch "$WORK/stop"
wait "$writer" "$sb1" "$sb2" || fail "the workload failed"
arus_ok -c "$WORK/arus.yml" sync p

for t in sbtest1 sbtest2; do
    assert_eq "$(pg_sql -c "SELECT count(*) FROM public.$t s FULL JOIN analytics.$t d USING (id) WHERE s.id IS NULL OR d.id IS NULL OR (s.k, s.c, s.pad) IS DISTINCT FROM (d.k, d.c, d.pad)")" 0 "$t differing"
    assert_eq "$(pg_sql -c "SELECT count(*) - count(DISTINCT id) FROM analytics.$t")" 0 "$t duplicate keys"
done
assert_eq "$(pg_sql -c "SELECT count(*) FROM ticks s FULL JOIN analytics.ticks d USING (k) WHERE s.k IS NULL OR d.k IS NULL")" 0 "ticks differing"
[ "$(pg_sql -c "SELECT count(*) FROM ticks")" -gt 20 ] || fail "the tick writer wrote too little"
echo ok

#!/usr/bin/env bash
# Split loads, PostgreSQL -> PostgreSQL: one large table's first load and full refresh cut into
# primary-key ranges on three connection pairs (split_min_rows lowered to make 240k rows
# large) equal the source; rows updated during a split first load reach the copy with the next
# incremental run (the stored watermark is capped before the ranges are read); SIGKILL during
# a split refresh and a split first load, several times, then a run that resumes only the
# unfinished ranges (its log says how many remained, the rows it read are fewer than the
# table's, the finished ranges' rows keep their first run id) equal the source, without
# duplicate keys; the progress rows are gone afterwards. Correctness only: nothing is timed.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg_lib.sh"

ROWS=160000
pg_sql -c "CREATE SCHEMA src;
           CREATE TABLE src.big (id bigint PRIMARY KEY, v text, n numeric(12,2),
                                 updated_at timestamptz NOT NULL);
           INSERT INTO src.big SELECT g, 'row ' || md5(g::text), g / 7.0,
                  timestamptz '2024-01-01' + g * interval '1 second'
           FROM generate_series(1, $ROWS) g;
           ANALYZE src.big"
fp() { pg_sql -c "SELECT count(*), md5(string_agg(id || '|' || v || '|' || n || '|' || updated_at, ',' ORDER BY id)) FROM $1"; }
check_copy() { # what
    assert_eq "$(fp analytics.big)" "$(fp src.big)" "$1: copy"
    assert_eq "$(pg_sql -c "SELECT count(*) - count(DISTINCT id) FROM analytics.big")" 0 "$1: duplicate keys"
}
range_rows() { pg_sql -c "SELECT count(*) FROM arus_state.watermarks WHERE table_name LIKE 'big#%'"; }
pg_write_config src "    parallelism: 3
    split_min_rows: 50000
    batch_size: 5000
    tables: [big]"
export ARUS_LOG_LEVEL=info

# first load, split, while rows of every range change
(for i in $(seq 1 40); do
    pg_sql -c "UPDATE src.big SET v = 'during $i', updated_at = now() WHERE id IN ($((i * 97)), $((i * 5003)))" >/dev/null
    sleep 0.05
done) &
updater=$!
arus_ok -c "$WORK/arus.yml" sync p
wait "$updater"
grep -q 'table "big": split into 12 key ranges on "id"' "$WORK/err" || fail "no split line: $(cat "$WORK/err")"
assert_eq "$(range_rows)" 0 "progress rows after the first load"
arus_ok -c "$WORK/arus.yml" sync p
check_copy "split first load + incremental"

# full refresh, split
pg_sql -c "DELETE FROM src.big WHERE id % 1000 = 3; UPDATE src.big SET v = 'refreshed' WHERE id % 777 = 0"
arus_ok -c "$WORK/arus.yml" sync p --full-refresh
grep -q 'split into 12 key ranges' "$WORK/err" || fail "refresh not split: $(cat "$WORK/err")"
check_copy "split full refresh"
assert_eq "$(range_rows)" 0 "progress rows after the refresh"

# kill_loop REARM ARGS...: SIGKILL `arus sync p ARGS` three times, once 1, 4 and 7 of the 12
# ranges are done (each run resuming the last); when a run ends before its kill, REARM makes
# the table need the load again and the kills start over. Then a run that must resume.
kill_loop() {
    local rearm=$1 try kills=0
    shift
    : >"$WORK/kill.err"
    for try in 1 2 3 4 5; do
        kills=0
        for want in 1 4 7; do
            pg_split_kill_at p big "$want" "$@" && kills=$((kills + 1)) || break
        done
        [ "$kills" = 3 ] && break
        $rearm
    done
    [ "$kills" = 3 ] || fail "the load ended before three kills in five tries ($*)"
    grep -q 'resuming split load' "$WORK/kill.err" || fail "killed runs did not resume: $(cat "$WORK/kill.err")"
    remaining=$(pg_sql -c "SELECT count(*) FROM arus_state.watermarks WHERE table_name LIKE 'big#arus_range:%' AND watermark IS DISTINCT FROM 'done'")
    arus_ok -c "$WORK/arus.yml" sync p "$@"
    grep -q "resuming split load: $remaining of 12 key ranges remain" "$WORK/err" ||
        fail "resume line ($remaining remaining): $(cat "$WORK/err")"
    extracted=$(pg_last_run big | cut -d' ' -f1)
    [ "$extracted" -lt "$(pg_sql -c "SELECT count(*) FROM src.big")" ] ||
        fail "the resumed run read $extracted rows: finished ranges were read again"
    assert_eq "$(range_rows)" 0 "progress rows after the resumed run ($*)"
    echo "kill loop $*: 3 kills, $remaining of 12 ranges resumed, $extracted rows read"
}
rearm_refresh() { :; }
rearm_first() {
    arus_ok -c "$WORK/arus.yml" reset p --yes
    pg_sql -c "DROP TABLE analytics.big"
}

pg_sql -c "UPDATE src.big SET v = 'before kills' WHERE id % 501 = 0"
kill_loop rearm_refresh --full-refresh
check_copy "full refresh resumed after SIGKILLs"
# the shadow was swapped in once: no shadow table left
assert_eq "$(pg_sql -c "SELECT count(*) FROM pg_tables WHERE tablename LIKE 'big__arus%'")" 0 "shadow left"

# a first load again (reset forgets the state; the typed table is dropped so it is a first load)
rearm_first
kill_loop rearm_first
check_copy "first load resumed after SIGKILLs"
arus_ok -c "$WORK/arus.yml" sync p
assert_eq "$(pg_last_run big | cut -d' ' -f4)" "ok" "incremental after the resumed first load"
check_copy "incremental after the resumed first load"

# per-table parallelism: 1 loads the table as one stream; bad values are config errors
pg_write_config src "    parallelism: 3
    split_min_rows: 50000
    tables: [{name: big, parallelism: 1}]"
arus_ok -c "$WORK/arus.yml" sync p --full-refresh
grep -q 'split into' "$WORK/err" && fail "a table with parallelism: 1 was split"
check_copy "refresh with table parallelism 1"
for bad in 0 65; do
    pg_write_config src "    tables: [{name: big, parallelism: $bad}]"
    rc=0; arus -c "$WORK/arus.yml" sync p || rc=$?
    assert_eq "$rc" 3 "exit of table parallelism: $bad"
    grep -q 'tables\[0\].parallelism: expected an integer from 1 to 64' "$WORK/err" ||
        fail "table parallelism: $bad: $(cat "$WORK/err")"
done
echo "PASS"

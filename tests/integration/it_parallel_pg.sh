#!/usr/bin/env bash
# parallelism: N, PostgreSQL -> PostgreSQL: six tables synced on three connection pairs give the
# same copies, watermarks and run history as a sequential run; one table failing (an override
# naming a missing watermark column) fails the run with its own message and leaves the others
# loaded; a rerun moves only the changed rows; a full refresh swaps every table; parallelism
# outside 1..64 is a config error. Correctness only: nothing here times anything.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg_lib.sh"

pg_sql -c "CREATE SCHEMA src"
for i in 1 2 3 4 5 6; do
    pg_sql -c "CREATE TABLE src.t$i (id bigint PRIMARY KEY, v text, updated_at timestamptz NOT NULL);
               INSERT INTO src.t$i SELECT g, 't$i row ' || g, timestamptz '2024-01-01' + g * interval '1 second'
               FROM generate_series(1, 500 * $i) g"
done
fp() { pg_sql -c "SELECT count(*), md5(string_agg(id || '|' || v || '|' || updated_at, ',' ORDER BY id)) FROM $1"; }
body() {
    echo "    parallelism: ${1:-3}"
    echo "    batch_size: 200"
    echo "    tables: [t1, t2, t3, t4, t5, t6${2:-}]"
}

pg_write_config src "$(body 3 ', {name: bad, watermark_column: nope}')"
pg_sql -c "CREATE TABLE src.bad (id bigint PRIMARY KEY, updated_at timestamptz)"
rc=0; arus -c "$WORK/arus.yml" sync p || rc=$?
assert_eq "$rc" 3 "exit of a parallel run with one misconfigured table (as without parallelism)"
grep -q 'table "bad"' "$WORK/err" || fail "the failing table is not named: $(cat "$WORK/err")"
for i in 1 2 3 4 5 6; do
    assert_eq "$(fp analytics.t$i | cut -d'|' -f1)" "$((500 * i))" "rows of t$i"
    assert_eq "$(fp analytics.t$i)" "$(fp src.t$i)" "copy of t$i"
done
assert_eq "$(pg_sql -c "SELECT count(*) FROM arus_state.watermarks WHERE pipeline = 'p'")" 6 \
    "watermarks stored"
assert_eq "$(pg_sql -c "SELECT count(DISTINCT run_id) || ' ' || count(*) FROM arus_state.runs WHERE pipeline = 'p'")" \
    "1 7" "one run id, one history row per table"

# incremental rerun: only the changed rows move
pg_write_config src "$(body 3)"
pg_sql -c "UPDATE src.t2 SET v = 'changed', updated_at = timestamptz '2025-01-01' WHERE id <= 7;
           INSERT INTO src.t5 VALUES (100000, 'new', timestamptz '2025-01-01')"
arus_ok -c "$WORK/arus.yml" sync p
# (extracted counts the row at the stored watermark again: the bound is inclusive)
assert_eq "$(pg_last_run t2 | cut -d' ' -f2-)" "7 0 ok" "t2 rerun"
assert_eq "$(pg_last_run t5 | cut -d' ' -f2-)" "1 0 ok" "t5 rerun"
assert_eq "$(pg_last_run t1 | cut -d' ' -f2-)" "0 0 ok" "t1 rerun"
for i in 1 2 3 4 5 6; do assert_eq "$(fp analytics.t$i)" "$(fp src.t$i)" "copy of t$i after the rerun"; done

# a full refresh on four pairs (more pairs than a worker needs are fine) swaps every table
pg_write_config src "$(body 4)"
pg_sql -c "DELETE FROM src.t3 WHERE id > 10"
arus_ok -c "$WORK/arus.yml" sync p --full-refresh
for i in 1 2 3 4 5 6; do assert_eq "$(fp analytics.t$i)" "$(fp src.t$i)" "copy of t$i after the full refresh"; done

for bad in 0 65 two; do
    pg_write_config src "$(body "$bad")"
    rc=0; arus -c "$WORK/arus.yml" sync p || rc=$?
    assert_eq "$rc" 3 "exit of parallelism: $bad"
    grep -q 'pipelines.p.parallelism' "$WORK/err" || fail "parallelism: $bad: $(cat "$WORK/err")"
done
echo "PASS"

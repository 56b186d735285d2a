#!/usr/bin/env bash
# Split loads, MariaDB -> SQLite: a 120k-row table's first load and full refresh cut into key
# ranges on two connection pairs (two writers on one SQLite file) equal the source; SIGKILLs
# during a split refresh, then a run that resumes only the unfinished ranges (fewer rows read
# than the table has), equal again with no duplicate key and no progress rows left.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/my_lib.sh"

WH="$WORK/wh.db"
mys "$MY_SRC" -e "CREATE TABLE big (id BIGINT PRIMARY KEY, v VARCHAR(40), updated_at DATETIME(3) NOT NULL);
    INSERT INTO big SELECT seq, CONCAT('row ', seq), '2024-01-01' + INTERVAL seq SECOND FROM seq_1_to_120000;
    ANALYZE TABLE big" >/dev/null
my_sqlite_config "$WH" "tables: [big], parallelism: 2, split_min_rows: 20000, batch_size: 2000"
range_rows() { sqlite_sql "$WH" "SELECT count(*) FROM arus_state__watermarks WHERE table_name LIKE 'big#%'"; }
check() {
    my_sqlite_same "$WH" big "copy $1"
    assert_eq "$(sqlite_sql "$WH" "SELECT count(*) - count(DISTINCT id) FROM analytics__big")" 0 "duplicate keys $1"
    assert_eq "$(range_rows)" 0 "progress rows $1"
}
export ARUS_LOG_LEVEL=info

arus_ok -c "$WORK/arus.yml" sync "$PIPE"
grep -q 'table "big": split into 8 key ranges on "id"' "$WORK/err" || fail "first load not split: $(cat "$WORK/err")"
check "after the split first load"
mys "$MY_SRC" -e "UPDATE big SET v = 'changed', updated_at = '2025-01-01' WHERE id % 1000 = 1"
arus_ok -c "$WORK/arus.yml" sync "$PIPE"
check "after the incremental run"

mys "$MY_SRC" -e "DELETE FROM big WHERE id % 999 = 5"
done_ranges() { sqlite_sql "$WH" "SELECT count(*) FROM arus_state__watermarks WHERE table_name LIKE 'big#arus_range:%' AND watermark = 'done'"; }
# SIGKILL the refresh once 1, then 3 ranges are done (the second run resumes the first); a
# refresh that ends before its kill just starts the kills over.
kills=0
for try in 1 2 3 4 5; do
    kills=0
    for want in 1 3; do
        "$ARUS" -c "$WORK/arus.yml" sync "$PIPE" --full-refresh >/dev/null 2>&1 &
        pid=$!
        killed=0
        while kill -0 "$pid" 2>/dev/null; do
            if [ "$(done_ranges)" -ge "$want" ]; then kill -KILL "$pid" 2>/dev/null || true; killed=1; break; fi
            sleep 0.02
        done
        wait "$pid" 2>/dev/null || true
        [ "$killed" = 1 ] || break
        kills=$((kills + 1))
    done
    [ "$kills" = 2 ] && break
done
[ "$kills" = 2 ] || fail "the refresh ended before two kills in five tries"
[ "$(range_rows)" -gt 0 ] || fail "no unfinished split left by the kills"
remaining=$(sqlite_sql "$WH" "SELECT count(*) FROM arus_state__watermarks WHERE table_name LIKE 'big#arus_range:%' AND (watermark IS NULL OR watermark <> 'done')")
arus_ok -c "$WORK/arus.yml" sync "$PIPE" --full-refresh
grep -q "resuming split load: $remaining of 8 key ranges remain" "$WORK/err" ||
    fail "resume line ($remaining remaining): $(cat "$WORK/err")"
extracted=$(sqlite_sql "$WH" "SELECT rows_extracted FROM arus_state__runs WHERE table_name = 'big' ORDER BY started_at DESC LIMIT 1")
[ "$extracted" -lt "$(mys "$MY_SRC" -e "SELECT count(*) FROM big")" ] ||
    fail "the resumed refresh read $extracted rows: finished ranges were read again"
check "after the resumed full refresh"
echo "2 kills, $remaining of 8 ranges resumed, $extracted rows read"
echo "PASS"

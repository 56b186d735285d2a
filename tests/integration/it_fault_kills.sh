#!/usr/bin/env bash
# Real SIGKILLs: 30 per pair at random moments (0.05-1 s in) of runs syncing a 200,000-row
# table: the first load, every third run a full refresh, and after each run that completes a
# round of updates (10% of rows), inserts and soft deletes (also every tenth run). After every
# kill the stored watermark is not ahead of the committed rows; at the end a clean run makes
# the destination equal to the source (count + checksum) without duplicate keys.
# Pairs: PostgreSQL -> PostgreSQL and MySQL -> ClickHouse (when built); KILL_PAIRS overrides.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/fault_lib.sh"

ROWS=200000
KILLS=30
pairs="pg:pg"
[ "$FL_CH_HAVE" = 1 ] && pairs+=" mysql:ch"
pairs=${KILL_PAIRS:-$pairs}
export FL_BATCH=2000

# settle DST: wait until the killed run's server sessions are gone (they may hold the pipeline
# lock until the server notices the closed socket).
settle() {
    for _ in $(seq 100); do
        case $1 in
        pg) [ "$(pg_sql -c "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
                AND application_name = 'arus'")" = 0 ] && return 0 ;;
        *) return 0 ;;
        esac
        sleep 0.1
    done
    fail "sessions of a killed run still open after 10 s"
}

for pair in $pairs; do
    s=${pair%:*} d=${pair#*:}
    pipe="${PIPE}_${s}_$d"
    fl_src_create "$s" "$ROWS"
    fl_dst_reset "$d"
    fl_write_config "$s" "$d" "$pipe"
    kills=0 attempt=0 round=0
    while [ "$kills" -lt "$KILLS" ]; do
        attempt=$((attempt + 1))
        [ "$attempt" -le $((KILLS * 3)) ] || fail "$s -> $d: only $kills kills in $attempt runs"
        if [ $((attempt % 10)) = 0 ]; then
            round=$((round + 1))
            fl_src_change "$s" "$round" "$ROWS"
        fi
        extra=()
        [ $((attempt % 3)) = 0 ] && extra=(--full-refresh)
        "$ARUS" -c "$WORK/arus.yml" sync "$pipe" "${extra[@]}" >"$WORK/run.out" 2>&1 &
        pid=$!
        sleep "0.$((RANDOM % 95 + 5))"
        kill -KILL "$pid" 2>/dev/null || true
        rc=0
        wait "$pid" 2>/dev/null || rc=$?
        case $rc in
        137) kills=$((kills + 1)) ;;
        0) # caught up before the kill: give the next runs something to do
            round=$((round + 1))
            fl_src_change "$s" "$round" "$ROWS" ;;
        6) ;; # the previous killed run's session still held the pipeline lock
        *) fail "$s -> $d run $attempt exited $rc: $(tail -1 "$WORK/run.out")" ;;
        esac
        settle "$d"
        fl_assert_watermark "$s" "$d" "$pipe" "after kill $kills (run $attempt)"
    done
    arus_ok -c "$WORK/arus.yml" sync "$pipe"
    fl_assert_equal "$s" "$d" "after $kills kills"
    echo "pass $s -> $d: $kills kills in $attempt runs, $round change rounds"
done
echo "ok"

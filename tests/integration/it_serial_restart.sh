#!/usr/bin/env bash
# Server goes away: the PostgreSQL or MariaDB server is restarted (scripts/servers.sh restart)
# in the middle of a run, once as the destination and once as the source; ClickHouse (when
# built) as the destination, compared under FINAL (fl_dst_rows). arus logs a retry
# with backoff, reconnects, resumes from the committed watermark and exits 0; the destination
# then equals the source (count + checksum) without duplicate keys. Runs alone (it_serial_):
# the restarts cut every other client of the shared servers.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/fault_lib.sh"

export FL_BATCH=500

# wait_rows DST N: poll until the destination holds at least N rows (30 s at most).
wait_rows() {
    for _ in $(seq 300); do
        [ "$(fl_dst_rows "$1" 2>/dev/null | wc -l)" -ge "$2" ] && return 0
        sleep 0.1
    done
    fail "destination $1 never reached $2 rows"
}

# restart_mid_run SRC DST SERVER ROWS: start a sync of ROWS rows, restart SERVER once some
# batches are in, and require the run to retry and complete. With HOLD set, arus is stopped
# (SIGSTOP) for the length of the restart. RESTART_SERVERS="ch ..." narrows the cases to those
# servers (for debugging).
restart_mid_run() {
    local s=$1 d=$2 server=$3 pipe="${PIPE}_${1}_${2}_$3"
    [[ " ${RESTART_SERVERS:-pg mysql ch} " == *" $server "* ]] || return 0
    fl_src_create "$s" "$4"
    fl_dst_reset "$d"
    fl_write_config "$s" "$d" "$pipe" "max_retries: 6"
    "$ARUS" -c "$WORK/arus.yml" sync "$pipe" >"$WORK/run.out" 2>"$WORK/run.err" &
    local pid=$!
    wait_rows "$d" 1000
    [ -z "${HOLD:-}" ] || kill -STOP "$pid"
    bash "$ARUS_SOURCE_DIR/scripts/servers.sh" restart "$server" >"$WORK/restart.log" 2>&1 ||
        fail "restart $server: $(tail -3 "$WORK/restart.log")"
    [ -z "${HOLD:-}" ] || kill -CONT "$pid"
    local rc=0
    wait "$pid" || rc=$?
    assert_eq "$rc" 0 "$s -> $d exit after restarting $server ($(tail -1 "$WORK/run.err"))"
    grep -q 'retry 1 of 6 in 0.5s' "$WORK/run.err" ||
        fail "$s -> $d: no retry logged after restarting $server: $(cat "$WORK/run.err")"
    fl_assert_equal "$s" "$d" "after restarting $server mid-run"
    echo "pass $s -> $d, $server restarted: $(grep -m1 "retry 1 of" "$WORK/run.err")"
}

# A source's server streams ahead into socket buffers and arus's bounded batch queue, so the
# source cases need enough rows that the restart still cuts the stream.
restart_mid_run mysql pg pg 60000      # destination restarted
restart_mid_run pg mysql pg 300000     # source restarted
restart_mid_run pg mysql mysql 60000   # destination restarted
restart_mid_run mysql pg mysql 300000  # source restarted
if [ "$FL_CH_HAVE" = 1 ]; then
    # ClickHouse on SIGTERM keeps serving the connections it has until their clients let go, so
    # a busy run keeps the old server up until it ends and never sees the restart: arus is held
    # (SIGSTOP) while the server restarts, then finds its connection gone.
    FL_BATCH=20 HOLD=1 restart_mid_run mysql ch ch 600000  # destination restarted
elif [ "${ARUS_IT_REQUIRE_SERVERS:-0}" = 1 ]; then
    fail "ClickHouse destination required but unavailable"
fi
echo "ok"

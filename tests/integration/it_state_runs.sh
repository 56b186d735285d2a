#!/usr/bin/env bash
# State and run history from the CLI's side, SQLite source into every destination: `arus state`
# and `arus runs` on a destination never synced print empty lists, exit 0 and create nothing;
# a sync SIGKILLed mid-run is shown "running" while it lives and "aborted" once it is dead
# (the table still says running: the read-only verb wrote nothing), and the next sync records
# it as aborted (finished, with the reason) next to its own "ok" row.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/fault_lib.sh"

ROWS=200000
export FL_BATCH=200
CH_STATE="arus_${IT_ID}_state" # a private state database: its absence can be checked
on_exit "ch_sql 'DROP DATABASE IF EXISTS $CH_STATE'"

# runs PIPELINE: arus runs --json into $WORK/out.
runs() { arus_ok -c "$WORK/arus.yml" --json runs "$1"; }
# run_field RUN_ID FIELD: FIELD of that run's row in $WORK/out.
run_field() { jq -r --arg id "$1" ".[] | select(.run_id == \$id) | .$2" "$WORK/out"; }

# stored_status ENGINE RUN_ID: the status column of the run's row as the table holds it.
stored_status() {
    case $1 in
    sqlite) fl_sql sqlite dst "SELECT status FROM arus_state__runs WHERE run_id = '$2'" ;;
    pg | mysql) fl_sql "$1" dst "SELECT status FROM arus_state.runs WHERE run_id = '$2'" ;;
    ch) fl_sql ch dst "SELECT status FROM $CH_STATE.runs FINAL WHERE run_id = '$2'" ;;
    esac
}

# state_exists ENGINE: the number of state tables or schemas that exist (shared MySQL: none
# checked, its arus_state serves every test on the server; SQLite: not even the database file
# may be created).
state_exists() {
    case $1 in
    sqlite) [ ! -e "$WORK/dst.db" ] && echo 0 || echo "database file $WORK/dst.db" ;;
    pg) pg_sql -c "SELECT count(*) FROM pg_namespace WHERE nspname = 'arus_state'" ;;
    mysql) echo 0 ;;
    ch) ch_sql "SELECT count() FROM system.databases WHERE name = '$CH_STATE'" ;;
    esac
}

fl_src_create sqlite "$ROWS"
for d in $(fl_dsts); do
    pipe="${PIPE}_$d"
    fl_dst_reset "$d"
    FL_DST_OPTS=""
    [ "$d" = ch ] && FL_DST_OPTS="state_schema: $CH_STATE"
    fl_write_config sqlite "$d" "$pipe"

    # read-only verbs before any sync: empty, exit 0, nothing created
    for verb in state runs; do
        arus_ok -c "$WORK/arus.yml" --json "$verb" "$pipe"
        assert_eq "$(cat "$WORK/out")" "[]" "$d: $verb --json before any sync"
        arus_ok -c "$WORK/arus.yml" "$verb" "$pipe"
        assert_eq "$(wc -l <"$WORK/out")" 1 "$d: $verb (header only) before any sync"
    done
    assert_eq "$(state_exists "$d")" 0 "$d: state tables after arus state / arus runs"

    # a sync killed mid-run: running while alive, aborted once dead
    "$ARUS" -c "$WORK/arus.yml" sync "$pipe" >"$WORK/run.out" 2>&1 &
    pid=$!
    for _ in $(seq 300); do
        runs "$pipe"
        [ "$(jq -r '.[0].status // empty' "$WORK/out")" = running ] && break
        sleep 0.1
    done
    assert_eq "$(jq -r '.[0].status // empty' "$WORK/out")" running "$d: the live run's status"
    dead=$(jq -r '.[0].run_id' "$WORK/out")
    kill -KILL "$pid"
    rc=0
    wait "$pid" 2>/dev/null || rc=$?
    assert_eq "$rc" 137 "$d: exit of the killed sync (it ended before the kill?)"
    # the server may keep the dead session's lock until it notices the closed socket
    for _ in $(seq 100); do
        runs "$pipe"
        [ "$(run_field "$dead" status)" = aborted ] && break
        sleep 0.1
    done
    assert_eq "$(run_field "$dead" status)" aborted "$d: status of the dead run"
    assert_eq "$(run_field "$dead" error)" "process ended before the run finished" "$d: its error"
    assert_eq "$(stored_status "$d" "$dead")" running "$d: stored status after arus runs"
    arus_ok -c "$WORK/arus.yml" runs "$pipe"
    grep -q "^$dead .* aborted " "$WORK/out" || fail "$d: arus runs text: $(cat "$WORK/out")"

    # the next sync records it as aborted
    arus_ok -c "$WORK/arus.yml" sync "$pipe"
    fl_assert_equal sqlite "$d" "after the kill and a rerun"
    runs "$pipe"
    assert_eq "$(jq -r '.[0].status' "$WORK/out")" ok "$d: status of the rerun"
    assert_eq "$(run_field "$dead" status)" aborted "$d: status of the dead run after the rerun"
    assert_eq "$(run_field "$dead" error)" "process ended before the run finished" \
        "$d: error of the dead run after the rerun"
    [ "$(run_field "$dead" finished_at)" != null ] || fail "$d: the dead run has no finished_at"
    assert_eq "$(stored_status "$d" "$dead")" aborted "$d: stored status after the rerun"
    echo "pass sqlite -> $d"
done
echo "ok"

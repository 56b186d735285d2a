# Shared by it_live_*.sh and bench/live_writers.sh (sourced after lib.sh). live_sqlite_config
# writes a one-pipeline config into a SQLite destination. The rest runs a sysbench
# oltp_read_write workload against a source whose updated_at the database maintains, while
# `arus sync` runs in a loop with the default config, plus one transaction held open across
# several syncs before it commits; then one last sync. sysbench runs with --delete_inserts=0:
# rows deleted outright are delete_missing's matter, not the commit horizon's.
# Settings: LIVE_SECONDS (workload length, default 20), LIVE_THREADS (4), LIVE_ROWS (20000),
# LIVE_PIPE (the pipeline synced, default p), LIVE_COMMIT_HORIZON (the pipeline's
# commit_horizon, default true: bench/live_writers.sh also measures false).
LIVE_SECONDS=${LIVE_SECONDS:-20}
LIVE_THREADS=${LIVE_THREADS:-4}
LIVE_ROWS=${LIVE_ROWS:-20000}
LIVE_PIPE=${LIVE_PIPE:-p}
LIVE_COMMIT_HORIZON=${LIVE_COMMIT_HORIZON:-true}

# live_run NAME SYSBENCH_ARGS_ARRAY HOLD_FUNCTION: run the workload (sysbench with the given
# connection arguments), start HOLD_FUNCTION in the background a few seconds in (it must hold a
# transaction open for several seconds), sync in a loop until both end, then sync once more.
# Sets LIVE_TPS and LIVE_SYNCS.
live_run() {
    local name=$1 hold=$3
    local -n sb_args=$2
    sysbench oltp_read_write "${sb_args[@]}" --tables=1 --table_size="$LIVE_ROWS" \
        --threads="$LIVE_THREADS" --time="$LIVE_SECONDS" --delete_inserts=0 --report-interval=0 \
        run >"$WORK/sysbench.out" 2>&1 &
    local sb=$!
    local syncs=0 held=""
    while kill -0 "$sb" 2>/dev/null || { [ -n "$held" ] && kill -0 "$held" 2>/dev/null; }; do
        if [ -z "$held" ] && [ "$syncs" -ge 2 ]; then
            "$hold" &
            held=$!
        fi
        arus_ok -c "$WORK/arus.yml" sync "$LIVE_PIPE"
        syncs=$((syncs + 1))
    done
    wait "$sb" || fail "$name: sysbench failed: $(tail -5 "$WORK/sysbench.out")"
    wait "$held" || fail "$name: the held transaction failed"
    arus_ok -c "$WORK/arus.yml" sync "$LIVE_PIPE"
    LIVE_TPS=$(sed -n 's/^ *transactions: *[0-9]* *(\([0-9.]*\) per sec.)/\1/p' "$WORK/sysbench.out")
    LIVE_SYNCS=$syncs
}

# live_compare NAME SOURCE_DUMP DEST_DUMP: compare two sorted dumps (id, k, c, pad), print the
# figures and fail on any difference, or when the held transaction's update ('held open') did
# not arrive.
live_compare() {
    local name=$1 src=$2 dst=$3
    local rows diffs
    rows=$(wc -l <"$src")
    diffs=$(diff "$src" "$dst" | grep -c '^<' || true) # source rows not in the destination as they are
    echo "$name: ${LIVE_TPS} transactions/s ($LIVE_THREADS threads, ${LIVE_SECONDS} s), $LIVE_SYNCS syncs during the workload, $rows rows compared, $diffs differences"
    [ "$rows" -eq "$LIVE_ROWS" ] || fail "$name: $rows rows in the source dump, expected $LIVE_ROWS"
    grep -q 'held open' "$dst" || fail "$name: the held transaction's update is missing"
    assert_eq "$diffs" 0 "$name: rows differing between source and destination"
}

# live_sqlite_config SOURCE_ENDPOINT_LINE TABLES: $WORK/arus.yml with that source (named src),
# the SQLite destination $WORK/dst.db and pipeline p over TABLES (a YAML flow list).
live_sqlite_config() {
    cat >"$WORK/arus.yml" <<EOF
sources:
$1
destinations:
  dst: {type: sqlite, path: "$WORK/dst.db"}
pipelines:
  p: {source: src, destination: dst, tables: $2}
EOF
}

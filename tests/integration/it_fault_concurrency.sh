#!/usr/bin/env bash
# Concurrency, per destination (PostgreSQL, MySQL, ClickHouse when built): two pipelines into
# the same destination run at the same time, each correctly (equal to the source, no duplicate
# keys); while one of them runs, a second `sync` of it fails fast with exit 6 and a message
# that says the pipeline is already running, and the running one (held still meanwhile with
# SIGSTOP) is unaffected.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/fault_lib.sh"

ROWS=20000
fl_src_create sqlite "$ROWS"
fl_sql sqlite src "CREATE TABLE items2 (id bigint PRIMARY KEY, payload varchar(100) NOT NULL,
    qty integer, updated_at timestamp NOT NULL, deleted_at timestamp NULL);
    INSERT INTO items2 SELECT * FROM items"

dsts="pg mysql"
[ "$FL_CH_HAVE" = 1 ] && dsts+=" ch"
dsts=${FAULT_DSTS:-$dsts}
for d in $dsts; do
    p1="${PIPE}_${d}_1" p2="${PIPE}_${d}_2"
    fl_dst_reset "$d"
    # small batches keep the first run going while the second starts (ClickHouse inserts are
    # slow enough with bigger ones)
    FL_BATCH=50
    [ "$d" = ch ] && FL_BATCH=500
    FL_BATCH=$FL_BATCH fl_write_config sqlite "$d" "$p1"
    printf '  %s:\n    source: s\n    destination: d\n    tables: [items2]\n    batch_size: 500\n' \
        "$p2" >>"$WORK/arus.yml"
    "$ARUS" -c "$WORK/arus.yml" sync "$p1" >"$WORK/p1.out" 2>&1 &
    pid1=$!
    "$ARUS" -c "$WORK/arus.yml" sync "$p2" >"$WORK/p2.out" 2>&1 &
    pid2=$!
    # a failing check below must not leave p1 stopped, holding its transaction open
    on_exit "kill -CONT $pid1 2>/dev/null; kill $pid1 $pid2 2>/dev/null"
    # Once p1 has loaded rows (so it holds its lock) it is frozen with SIGSTOP, which keeps it
    # "running" for as long as the busy check takes, then thawed to finish normally.
    for _ in $(seq 300); do
        [[ $(fl_dst_rows "$d" 2>/dev/null | head -1) =~ ^[0-9] ]] && break # (not a pipe: pipefail)
        sleep 0.05
    done
    kill -STOP "$pid1" 2>/dev/null || fail "$d: the first run of $p1 ended before it could be held: $(tail -1 "$WORK/p1.out")"
    t0=$(date +%s%N)
    rc=0
    arus -c "$WORK/arus.yml" sync "$p1" || rc=$?
    ms=$((($(date +%s%N) - t0) / 1000000))
    kill -CONT "$pid1"
    assert_eq "$rc" 6 "$d: exit of a second sync of a running pipeline ($(cat "$WORK/err"))"
    grep -q "pipeline \"$p1\" is already running" "$WORK/err" || fail "$d: busy message: $(cat "$WORK/err")"
    assert_eq "$(wc -l <"$WORK/err")" 1 "$d: busy message lines"
    [ "$ms" -lt 3000 ] || fail "$d: the busy run took ${ms} ms"
    rc1=0 rc2=0
    wait "$pid1" || rc1=$?
    wait "$pid2" || rc2=$?
    assert_eq "$rc1" 0 "$d: $p1 exit ($(tail -1 "$WORK/p1.out"))"
    assert_eq "$rc2" 0 "$d: $p2 exit ($(tail -1 "$WORK/p2.out"))"
    want=$(fl_src_rows sqlite | fl_fingerprint)
    assert_eq "$(fl_dst_rows "$d" items | fl_fingerprint)" "$want" "$d: $p1 rows and checksum"
    assert_eq "$(fl_dst_rows "$d" items2 | fl_fingerprint)" "$want" "$d: $p2 rows and checksum"
    echo "pass $d: busy run refused in ${ms} ms: $(cat "$WORK/err"); $p1: $(grep -o "[0-9.]*s [0-9]* rows/s" "$WORK/p1.out")"
done
echo "ok"

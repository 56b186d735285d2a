#!/usr/bin/env bash
# Crash anywhere, every pair: for each source {sqlite, pg, mysql} x destination {sqlite, pg,
# mysql, ch (when built)}, a round of source changes (updates, inserts, soft deletes) and a run
# that the engine's fault hook kills (exit 99, no clean-up) at each fault point; after each
# crash the stored watermark is not ahead of the committed rows, and after a clean rerun the
# destination equals the source (count + checksum of canonical rows) without duplicate keys.
# FAULT_PAIRS="src:dst ..." narrows the pairs (for debugging).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/fault_lib.sh"

ROWS=2000
dsts="sqlite pg mysql"
[ "$FL_CH_HAVE" = 1 ] && dsts+=" ch"
pairs=${FAULT_PAIRS:-$(for s in sqlite pg mysql; do for d in $dsts; do echo "$s:$d"; done; done)}

# point:hit pairs: batches hit a point once each (the 2nd hit is mid-run); a round deletes
# fewer rows than a batch, and a full refresh swaps once.
points="after_extract:2 mid_load:2 before_commit:2 after_commit:2 soft_delete:1 swap:1"

for pair in $pairs; do
    s=${pair%:*} d=${pair#*:}
    pipe="${PIPE}_${s}_$d"
    fl_src_create "$s" "$ROWS"
    fl_dst_reset "$d"
    fl_write_config "$s" "$d" "$pipe"
    arus_ok -c "$WORK/arus.yml" sync "$pipe"
    fl_assert_equal "$s" "$d" "after the first sync"
    round=0
    for pt in $points; do
        round=$((round + 1))
        fl_src_change "$s" "$round" "$ROWS"
        extra=()
        [ "${pt%:*}" = swap ] && extra=(--full-refresh)
        rc=0
        ARUS_FAULT=$pt ARUS_FAULT_ACTION=abort "$ARUS" -c "$WORK/arus.yml" sync "$pipe" "${extra[@]}" \
            >"$WORK/out" 2>"$WORK/err" || rc=$?
        assert_eq "$rc" 99 "$s -> $d exit at fault ${pt%:*} ($(tail -1 "$WORK/err"))"
        fl_assert_watermark "$s" "$d" "$pipe" "after a crash at ${pt%:*}"
        arus_ok -c "$WORK/arus.yml" sync "$pipe"
        fl_assert_equal "$s" "$d" "after a crash at ${pt%:*} and a rerun"
    done
    echo "pass $s -> $d: $points"
done
echo "ok"

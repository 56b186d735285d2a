#!/usr/bin/env bash
# Crashes never lose or duplicate data: a process that dies right before a batch commit
# (ARUS_FAULT abort) or is SIGKILLed mid-run leaves the MySQL destination at a committed
# batch boundary, and the next run brings it equal to the source.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/my_lib.sh"

mys "$MY_SRC" <<'SQL'
CREATE TABLE events (id BIGINT PRIMARY KEY, payload VARCHAR(64) NOT NULL, updated_at DATETIME(6) NOT NULL);
INSERT INTO events SELECT seq, MD5(seq), '2024-01-01' + INTERVAL (seq DIV 10) SECOND FROM seq_1_to_200000;
SQL
my_write_config "    tables: [events]
    batch_size: 500"
SRC_FP=$(my_fp "SELECT id, payload, updated_at FROM \`$MY_SRC\`.events ORDER BY id")
dst_fp() { my_fp "SELECT id, payload, updated_at FROM \`$MY_AN\`.events ORDER BY id"; }
dst_count() { mys -e "SELECT COUNT(*) FROM \`$MY_AN\`.events"; }

# 1. die just before the 3rd batch commits: exactly 2 batches are in (needs the fault hook)
if grep -q "^ARUS_FAULT_INJECTION:BOOL=OFF" "${ARUS_BUILD_DIR:-/nonexistent}/CMakeCache.txt" 2>/dev/null; then
    echo "note: built without ARUS_FAULT_INJECTION; abort-before-commit step skipped"
else
    rc=0; ARUS_FAULT=before_commit:3 ARUS_FAULT_ACTION=abort arus -c "$WORK/arus.yml" sync "$PIPE" || rc=$?
    assert_eq "$rc" "99" "aborted run exit code"
    assert_eq "$(dst_count)" "1000" "rows after abort before the 3rd commit"
fi

# 2. SIGKILL once some batches are committed (the table exists once the first batch is in)
"$ARUS" -c "$WORK/arus.yml" sync "$PIPE" >"$WORK/kill.out" 2>&1 &
pid=$!
for _ in $(seq 300); do
    n=$(dst_count 2>/dev/null || echo 0)
    [ "$n" -gt 20000 ] && break
    sleep 0.05
done
kill -9 "$pid" 2>/dev/null || fail "run finished before it could be killed"
wait "$pid" 2>/dev/null || true
n=$(dst_count)
[ "$n" -lt 200000 ] || fail "killed run loaded everything ($n rows)"
# rows arrive in id order, so committed batches form a gapless prefix of ids
assert_eq "$(mys -e "SELECT COUNT(*) = MAX(id) FROM \`$MY_AN\`.events")" "1" "killed run left a gapless prefix"

# 3. the rerun completes: equal to the source, and the lock of the dead run is gone
arus_ok -c "$WORK/arus.yml" sync "$PIPE"
assert_eq "$(dst_count)" "200000" "rows after rerun"
assert_eq "$(dst_fp)" "$SRC_FP" "data after rerun"
echo "ok"

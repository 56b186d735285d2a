#!/usr/bin/env bash
# MariaDB binlog change data capture positioned by binlog file and offset (cdc.position: file,
# the mode MySQL servers use; docs/cdc-mysql.md) into PostgreSQL: the initial copy from the
# snapshot's file position, inserts/updates/deletes, a binlog rotation (positions ordered
# across files), a run with nothing new, 6 SIGKILLs of sync --follow under a writer, equality,
# every change exactly once in the raw landing table, MySQL's locked snapshot (run on MariaDB)
# with a stream from its file position, and a stored position of the other kind refused.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/my_lib.sh"
source "$(dirname "$0")/pg_lib.sh"

mys "$MY_SRC" <<'SQL'
CREATE TABLE items (id INT PRIMARY KEY, v VARCHAR(40), n DECIMAL(10,2));
INSERT INTO items SELECT seq, CONCAT('v', seq), seq * 1.25 FROM seq_1_to_100;
CREATE TABLE ticks (k INT PRIMARY KEY, t VARCHAR(20));
SQL

{
    echo "sources:"
    my_endpoint mysrc mariadb "$MY_SRC"
    echo "destinations:"
    pg_endpoint pgdst postgresql
    echo "pipelines:"
    echo "  ${PIPE}:"
    echo "    source: mysrc"
    echo "    destination: pgdst"
    echo "    sync_mode: cdc"
    echo "    load_mode: raw+normalized"
    echo "    raw_schema: fpraw"
    echo "    batch_size: 40"
    echo "    tables: [items, ticks]"
    echo "    cdc: {position: file, max_latency: 0.2s}"
} >"$WORK/arus.yml"

position() { pg_sql -c "SELECT watermark FROM arus_state.watermarks WHERE pipeline = '$PIPE' AND table_name = '_arus_cdc_position'"; }
check_equal() { # what
    assert_eq "$(pg_sql -F $'\t' -c "SELECT id, coalesce(v, '-'), coalesce(n::text, '-') FROM analytics.items ORDER BY 1" | md5sum | cut -d' ' -f1)" \
        "$(my_fp "SELECT id, IFNULL(v, '-'), IFNULL(n, '-') FROM \`$MY_SRC\`.items ORDER BY 1")" "items $1"
    assert_eq "$(pg_sql -F $'\t' -c "SELECT k, t FROM analytics.ticks ORDER BY 1" | md5sum | cut -d' ' -f1)" \
        "$(my_fp "SELECT k, t FROM \`$MY_SRC\`.ticks ORDER BY 1")" "ticks $1"
}

arus_ok -c "$WORK/arus.yml" sync "$PIPE"
check_equal "after the initial copy"
pos0=$(position)
[[ $pos0 =~ ^[^:,]+\.[0-9]+:[0-9]+$ ]] || fail "stored position is not file:offset: '$pos0'"

mys "$MY_SRC" <<'SQL'
INSERT INTO items VALUES (1001, 'new', 1.5), (1002, NULL, NULL);
UPDATE items SET v = 'upd', n = 99.99 WHERE id IN (1, 2, 3);
DELETE FROM items WHERE id IN (4, 5);
UPDATE items SET id = 5000 WHERE id = 6;
SQL
arus_ok -c "$WORK/arus.yml" sync "$PIPE"
check_equal "after changes"
pos1=$(position)
[ "$pos1" != "$pos0" ] || fail "the position did not move: $pos1"

# A rotation: the next changes are in a later file, ordered after every earlier position.
mys -e "FLUSH BINARY LOGS"
mys "$MY_SRC" -e "UPDATE items SET v = 'rotated' WHERE id = 7; INSERT INTO ticks VALUES (0, 'after rotate')"
arus_ok -c "$WORK/arus.yml" sync "$PIPE"
check_equal "after a rotation"
pos2=$(position)
[ "$(printf '%s\n%s\n' "${pos1%:*}" "${pos2%:*}" | sort -V | tail -1)" = "${pos2%:*}" ] && [ "${pos2%:*}" != "${pos1%:*}" ] ||
    fail "the position did not move to a later file: $pos1 -> $pos2"

# Nothing new here (other tests write to the shared server: the position may pass their
# transactions, never go back).
arus_ok -c "$WORK/arus.yml" sync "$PIPE"
check_equal "after an idle run"
[ "$(printf '%s\n%s\n' "$pos2" "$(position)" | sort -V | tail -1)" = "$(position)" ] ||
    fail "the position went back: $pos2 -> $(position)"

# SIGKILLs of a follower under a writer; each tick is one transaction.
(
    k=0
    while [ ! -e "$WORK/stop" ] && [ $k -lt 400 ]; do
        k=$((k + 1))
        mys "$MY_SRC" -e "INSERT INTO ticks VALUES ($k, 'tick'); UPDATE items SET n = n + 1 WHERE id = 1 + $k % 50; DELETE FROM items WHERE id = 50 + $k % 40"
    done
) &
writer=$!
on_exit "touch $WORK/stop"
for i in $(seq 1 6); do
    "$ARUS" -c "$WORK/arus.yml" sync "$PIPE" --follow >/dev/null 2>"$WORK/follow.err" &
    pid=$!
    sleep "$(awk -v r=$RANDOM 'BEGIN { printf "%.2f", 0.4 + (r % 100) / 100 }')"
    kill -KILL "$pid" 2>/dev/null || fail "kill $i: arus had already exited: $(cat "$WORK/follow.err")"
    wait "$pid" 2>/dev/null || true
    [[ $(position) =~ ^[^:,]+\.[0-9]+:[0-9]+$ ]] || fail "position after kill $i: '$(position)'"
done
touch "$WORK/stop"
wait "$writer" || fail "the writer failed"
arus_ok -c "$WORK/arus.yml" sync "$PIPE"
check_equal "after the kills"
ticks=$(mys "$MY_SRC" -e "SELECT count(*) FROM ticks")
[ "$ticks" -gt 10 ] || fail "the writer wrote too little: $ticks ticks"
# exactly once: one raw insert document per tick, whatever the kills interrupted
assert_eq "$(pg_sql -c "SELECT count(*), count(DISTINCT _data->>'k') FROM fpraw.mysrc_ticks_raw WHERE _data->>'_arus_op' = 'i'" | tr '|' ' ')" \
    "$ticks $ticks" "raw insert documents of ticks (count, distinct)"
assert_eq "$(pg_sql -c "SELECT count(*) FROM fpraw.mysrc_ticks_raw WHERE _data->>'_arus_op' = 'i' AND _data->>'_arus_position' !~ '^[^:]+\.[0-9]+:[0-9]+$'")" 0 "raw documents carry file positions"

arus_ok -c "$WORK/arus.yml" cdc status "$PIPE"
grep -q "no longer" "$WORK/out" "$WORK/err" && fail "cdc status warns about a live file position: $(cat "$WORK/out" "$WORK/err")"
# a file position's status: the binlog end as file:size and the bytes still to read (other
# tests write to the shared server's binlog, so only the shape is fixed)
grep -Eq '^confirmed [^ ]+\.[0-9]+:[0-9]+, current [^ ]+\.[0-9]+:[0-9]+$' "$WORK/out" ||
    fail "cdc status in file mode: $(cat "$WORK/out")"
grep -Eq '^lag [0-9]+ bytes, ' "$WORK/out" || fail "cdc status lag in bytes: $(cat "$WORK/out")"

# MySQL's consistent start (FLUSH TABLES WITH READ LOCK .. SHOW MASTER STATUS, what a MySQL
# server gets), run on MariaDB: the snapshot's rows plus the inserts streamed from its file
# position make exactly the table.
mys "$MY_SRC" -e "CREATE TABLE snap (id INT AUTO_INCREMENT PRIMARY KEY, v INT DEFAULT 1);
                  INSERT INTO snap () VALUES (), (), ()"
"$ARUS_BUILD_DIR/my_binlog_tool" snapcount-locked "$MY_SRC" snap 25 >"$WORK/snap" 2>&1 ||
    fail "snapcount-locked: $(cat "$WORK/snap")"
grep -q ": 3 rows, 25 streamed, 28 in the table" "$WORK/snap" || fail "locked snapshot: $(cat "$WORK/snap")"

# The other kind of position stored: refused in one line.
sed -i 's/position: file/position: gtid/' "$WORK/arus.yml"
arus -c "$WORK/arus.yml" sync "$PIPE" && fail "a gtid pipeline started from a file position"
grep -q "the stored position .* is not a gtid position (cdc.position: gtid): changing it needs a new snapshot" "$WORK/err" ||
    fail "unexpected message: $(cat "$WORK/err")"
echo ok

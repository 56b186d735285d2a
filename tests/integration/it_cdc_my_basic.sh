#!/usr/bin/env bash
# MariaDB binlog change data capture (docs/cdc-mysql.md) into PostgreSQL and SQLite: the initial
# copy inside the start snapshot (hostile table and column names), inserts, updates (a key change too), deletes, a transaction of
# several statements over two tables, a run with nothing new, a new column (ALTER TABLE ... ADD
# COLUMN followed downstream), other DDL stopping in one line naming the statement, sync --follow
# ended by SIGTERM (exit 0), and arus cdc status/drop.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/my_lib.sh"
source "$(dirname "$0")/pg_lib.sh"

mys "$MY_SRC" <<'SQL'
CREATE TABLE items (id INT PRIMARY KEY, v VARCHAR(40), n DECIMAL(10,2), ok TINYINT(1));
INSERT INTO items SELECT seq, CONCAT('v', seq), seq * 1.25, seq % 2 FROM seq_1_to_200;
CREATE TABLE `odd t` (`k 1` INT PRIMARY KEY, `va;l "q"` TEXT);
INSERT INTO `odd t` SELECT seq, CONCAT('x', seq) FROM seq_1_to_20;
CREATE TABLE other (id INT PRIMARY KEY, v TEXT);
SQL

{
    echo "sources:"
    my_endpoint mysrc mariadb "$MY_SRC"
    echo "destinations:"
    pg_endpoint pgdst postgresql
    echo "  lite: {type: sqlite, path: \"$WORK/lite.db\"}"
    echo "pipelines:"
    for d in pgdst lite; do
        echo "  ${PIPE}_$d:"
        echo "    source: mysrc"
        echo "    destination: $d"
        echo "    sync_mode: cdc"
        echo "    batch_size: 50"
        echo "    tables: [items, 'odd t']"
    done
} >"$WORK/arus.yml"

src_rows() { # table key columns
    mys -e "SELECT CONCAT_WS('|', $2, $3) FROM \`$MY_SRC\`.\`$1\` ORDER BY $2"
}
check_equal() { # what
    local want
    want=$(src_rows items id "IFNULL(v, '-'), IFNULL(n, '-')")
    assert_eq "$(pg_sql -c "SELECT concat_ws('|', id, coalesce(v, '-'), coalesce(n::text, '-')) FROM analytics.items ORDER BY id")" "$want" "PostgreSQL items $1"
    assert_eq "$(sqlite_sql "$WORK/lite.db" "SELECT id || '|' || coalesce(v, '-') || '|' || CASE WHEN n IS NULL THEN '-' ELSE printf('%.2f', n) END FROM analytics__items ORDER BY id")" "$want" "SQLite items $1"
    want=$(src_rows 'odd t' '`k 1`' '`va;l "q"`')
    assert_eq "$(pg_sql -c "SELECT concat_ws('|', \"k 1\", \"va;l \"\"q\"\"\") FROM analytics.\"odd t\" ORDER BY \"k 1\"")" "$want" "PostgreSQL odd t $1"
}
sync_both() { for d in pgdst lite; do arus_ok -c "$WORK/arus.yml" sync "${PIPE}_$d"; done; }

sync_both
check_equal "after the initial copy"
pos0=$(pg_sql -c "SELECT watermark FROM arus_state.watermarks WHERE table_name = '_arus_cdc_position'")
[ -n "$pos0" ] || fail "no position stored after the copy"

mys "$MY_SRC" <<'SQL'
INSERT INTO items (id, v, n) VALUES (1001, 'new', 1.5), (1002, 'new2', NULL);
UPDATE items SET v = 'upd', n = 99.99 WHERE id IN (1, 2, 3);
DELETE FROM items WHERE id IN (4, 5);
UPDATE items SET id = 5000 WHERE id = 6;
INSERT INTO other VALUES (1, 'not captured');
BEGIN;
INSERT INTO items (id, v) VALUES (4, 'back');
UPDATE `odd t` SET `va;l "q"` = 'changed' WHERE `k 1` = 3;
DELETE FROM `odd t` WHERE `k 1` = 4;
COMMIT;
SQL
sync_both
check_equal "after inserts, updates and deletes"
pos1=$(pg_sql -c "SELECT watermark FROM arus_state.watermarks WHERE table_name = '_arus_cdc_position'")
[ "$pos1" != "$pos0" ] || fail "position did not advance from $pos0"

# Nothing new: a run applies nothing (no duplicates on restart).
arus_ok -c "$WORK/arus.yml" sync "${PIPE}_pgdst" --json
assert_eq "$(jq -r '[.tables[].rows_extracted] | add' "$WORK/out")" 0 "changes applied by an idle run"

# A new column is followed downstream.
mys "$MY_SRC" -e "ALTER TABLE items ADD COLUMN extra VARCHAR(20); UPDATE items SET extra = CONCAT('e', id) WHERE id <= 3"
sync_both
check_equal "after a new column"
assert_eq "$(pg_sql -c "SELECT string_agg(extra, ',' ORDER BY id) FROM analytics.items WHERE extra IS NOT NULL")" "e1,e2,e3" "new column values"

# A long ADD COLUMN statement (far past 512 characters; commas inside comments, parentheses and
# quotes) is followed too.
long_add="ALTER TABLE items" sep=""
for i in $(seq 1 12); do
    long_add+="$sep ADD COLUMN wide$i DECIMAL(10,2) COMMENT 'column $i of a long statement, (with commas), \\'quotes\\' and padding $(printf '%040d' "$i")'"
    sep=,
done
[ ${#long_add} -gt 1000 ] || fail "the long ALTER is only ${#long_add} characters"
mys "$MY_SRC" -e "$long_add; UPDATE items SET wide12 = 12.5 WHERE id = 1"
sync_both
check_equal "after a long ADD COLUMN"
assert_eq "$(pg_sql -c "SELECT wide12 FROM analytics.items WHERE id = 1")" "12.50" "a column of the long ADD COLUMN"

# --follow: changes arrive while it runs; SIGTERM commits and exits 0.
"$ARUS" -c "$WORK/arus.yml" sync "${PIPE}_pgdst" --follow >"$WORK/follow.out" 2>"$WORK/follow.err" &
follower=$!
on_exit "kill -9 $follower"
sleep 0.5
mys "$MY_SRC" -e "UPDATE items SET v = 'followed' WHERE id BETWEEN 20 AND 40; DELETE FROM items WHERE id = 41"
for _ in $(seq 1 100); do
    [ "$(pg_sql -c "SELECT count(*) FROM analytics.items WHERE v = 'followed'")" = 21 ] && break
    sleep 0.1
done
assert_eq "$(pg_sql -c "SELECT count(*) FROM analytics.items WHERE v = 'followed'")" 21 "changes applied while following"
kill -TERM "$follower"
wait "$follower" || fail "sync --follow exited $? after SIGTERM: $(cat "$WORK/follow.err")"
sync_both
check_equal "after --follow"

# cdc status and drop: no slot on MariaDB.
# Other tests write to the shared server meanwhile: its GTID, the lag and sizes are masked
# (it_binlog_settings checks them exactly on a private server).
arus_ok -c "$WORK/arus.yml" cdc status "${PIPE}_pgdst"
pos=$(pg_sql -c "SELECT watermark FROM arus_state.watermarks WHERE table_name = '_arus_cdc_position'")
assert_eq "$(sed -E 's/current [0-9,-]+$/current G/; s/^lag [0-9]+ transactions, [0-9]+ s$/lag N transactions, S s/; s/^(retained binlog) [0-9]+ bytes$/\1 N bytes/' "$WORK/out")" \
    "slot (none: MariaDB keeps no replication slot) (inactive), publication (none)
confirmed $pos, current G
lag N transactions, S s
retained binlog N bytes" "cdc status"
arus_ok -c "$WORK/arus.yml" cdc drop "${PIPE}_pgdst"
grep -q "nothing to drop" "$WORK/err" || fail "cdc drop: $(cat "$WORK/err")"

# Every type: a table captured from empty through the fixture's inserts, updates (FULL, MINIMAL
# and NOBLOB row images) and deletes ends equal, cell for cell, to a full_refresh copy of it.
FIX="$ARUS_SOURCE_DIR/tests/unit/mysql/fixtures/binlog_types.sql"
awk '{ print } /^\) CHARACTER SET utf8mb4;$/ { exit }' "$FIX" | mys "$MY_SRC"
cat >>"$WORK/arus.yml" <<YML
  ${PIPE}_tc: {source: mysrc, destination: tc, sync_mode: cdc, tables: [t_types]}
  ${PIPE}_tf: {source: mysrc, destination: tf, sync_mode: full_refresh, tables: [t_types]}
YML
sed -i "s|^destinations:|destinations:\n  tc: {type: sqlite, path: \"$WORK/tc.db\"}\n  tf: {type: sqlite, path: \"$WORK/tf.db\"}|" "$WORK/arus.yml"
arus_ok -c "$WORK/arus.yml" sync "${PIPE}_tc"
awk 'found { print } /^\) CHARACTER SET utf8mb4;$/ { found = 1 }' "$FIX" | mys "$MY_SRC"
arus_ok -c "$WORK/arus.yml" sync "${PIPE}_tc"
arus_ok -c "$WORK/arus.yml" sync "${PIPE}_tf"
cols=$(sqlite_sql "$WORK/tf.db" "SELECT group_concat(char(34) || name || char(34), ',') FROM pragma_table_info('analytics__t_types') WHERE name NOT LIKE '\_arus%' ESCAPE '\\'")
dump() { sqlite_sql "$1" "SELECT quote($(echo "$cols" | sed "s/,/) || ',' || quote(/g")) FROM analytics__t_types ORDER BY id"; }
[ "$(dump "$WORK/tf.db" | wc -l)" -ge 3 ] || fail "the types table is nearly empty"
assert_eq "$(dump "$WORK/tc.db")" "$(dump "$WORK/tf.db")" "every type: captured vs copied"

# DDL other than ADD COLUMN on a captured table stops in one line naming the statement.
# The statement is long: an ADD whose comment runs past 512 characters, then a DROP.
mys "$MY_SRC" -e "ALTER TABLE items ADD COLUMN pad INT COMMENT '$(printf '%0600d' 0)', DROP COLUMN ok"
arus -c "$WORK/arus.yml" sync "${PIPE}_pgdst" && fail "sync after DROP COLUMN succeeded"
grep -q "apply at GTID [0-9-]*: ALTER TABLE items ADD COLUMN pad INT COMMENT '0000.* \.\.\. .*0', DROP COLUMN ok (only ALTER TABLE" "$WORK/err" || fail "DDL stop does not name the statement: $(cat "$WORK/err")"
assert_eq "$(grep -c . "$WORK/err")" 1 "DDL stop lines"
echo "ok"

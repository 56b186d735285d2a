#!/usr/bin/env bash
# MariaDB binlog decoder against the watermark extract: a table of every column type and one of
# every charset get hostile inserts, updates (FULL, MINIMAL and NOBLOB row images) and deletes
# (tests/unit/mysql/fixtures/binlog_types.sql); the changes decoded from the binlog, applied to
# a model, must equal the extract path's rows cell by cell. Then the stream's shape (every row
# change inside BEGIN..COMMIT of one GTID, DDL with its statement) and the consistent start
# (snapshot count + streamed inserts = table, no gap, no overlap).
source "$(dirname "$0")/lib.sh"
need_mysql
TOOL=${ARUS_BUILD_DIR:?}/my_binlog_tool
DB="arus_${IT_ID}"
mys() { my_sql --default-character-set=utf8mb4 --init-command="SET time_zone = '+00:00', sql_mode = ''" "$@"; }

G0=$(my_sql -e "SELECT @@gtid_binlog_pos")
mys -e "CREATE DATABASE \`$DB\` CHARACTER SET utf8mb4"
on_exit "my_sql -e 'DROP DATABASE IF EXISTS \`$DB\`'"
mys "$DB" <"$ARUS_SOURCE_DIR/tests/unit/mysql/fixtures/binlog_types.sql"

"$TOOL" roundtrip "$G0" "$DB" t_types t_charsets >"$WORK/rt" 2>"$WORK/rt.err" \
    || fail "roundtrip: $(cat "$WORK/rt" "$WORK/rt.err")"
grep -q "t_types: 4 rows compared, 0 differences" "$WORK/rt" || fail "t_types: $(cat "$WORK/rt")"
grep -q "t_charsets: 2 rows compared, 0 differences" "$WORK/rt" || fail "t_charsets: $(cat "$WORK/rt")"

# Stream shape, on this test's database only.
"$TOOL" peek "$G0" "$DB" >"$WORK/peek" || fail "peek failed"
grep -F "\"table\":\"$DB." "$WORK/peek" >"$WORK/rows" || true
assert_eq "$(wc -l <"$WORK/rows")" 15 "row changes of $DB"
awk -v db="$DB" '
    /"kind":"begin"/ { open = 1; g = $0; sub(/.*"gtid":"/, "", g); sub(/".*/, "", g); next }
    /"kind":"commit"/ { open = 0; next }
    index($0, "\"table\":\"" db ".") {
        r = $0; sub(/.*"gtid":"/, "", r); sub(/".*/, "", r)
        if (!open || r != g) { print "row change outside its transaction: " $0; bad = 1 }
    }
    END { exit bad }' "$WORK/peek" || fail "transaction grouping"
grep -F '"statement":"UPDATE t_types SET i = i - 100' "$WORK/rows" >"$WORK/annotated" || true
assert_eq "$(wc -l <"$WORK/annotated")" 2 "row changes carrying their statement text"
grep -F '"kind":"ddl"' "$WORK/peek" >"$WORK/ddl" || true
grep -q 'CREATE TABLE t_types' "$WORK/ddl" || fail "DDL statement not surfaced"

# Consistent start.
mys "$DB" -e "CREATE TABLE snap (id INT AUTO_INCREMENT PRIMARY KEY, v INT DEFAULT 1);
              INSERT INTO snap () VALUES (), (), ()"
"$TOOL" snapcount "$DB" snap 25 >"$WORK/snap" || fail "snapcount: $(cat "$WORK/snap")"
grep -q ": 3 rows, 25 streamed, 28 in the table" "$WORK/snap" || fail "snapshot: $(cat "$WORK/snap")"
echo "ok"

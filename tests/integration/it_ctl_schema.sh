#!/usr/bin/env bash
# schema_changes and dropped_columns, PostgreSQL source into PostgreSQL, MariaDB and ClickHouse:
# the source widens columns (int -> bigint, varchar(10) -> varchar(40), numeric(6,2) ->
# numeric(12,4), int -> text), adds one and drops one. evolve ALTERs each destination's column
# types and adds the column, dropped_columns: null empties the dropped column on changed rows,
# all recorded in run history; freeze ignores the new column; fail stops naming the change;
# dropped_columns: fail stops naming the dropped column.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg_lib.sh"
source "$(dirname "$0")/my_lib.sh"
source "$(dirname "$0")/ch_lib.sh"

pg_sql <<'SQL'
CREATE SCHEMA src;
CREATE TABLE src.w (id int PRIMARY KEY, a int, b varchar(10), c numeric(6,2), d int, gone text,
  updated_at timestamptz NOT NULL);
INSERT INTO src.w VALUES (1, 1, 'short', 1.25, 7, 'old', '2024-01-01 00:00:00+00'),
  (2, 2, 'two', 2.50, 8, 'kept', '2024-01-01 00:00:01+00');
SQL
pipe() { # NAME DESTINATION EXTRA...
    local name=$1 dest=$2
    shift 2
    echo "  $name:"
    echo "    source: pgsrc"
    echo "    destination: $dest"
    echo "    tables: [w]"
    local kv
    for kv in "$@"; do echo "    $kv"; done
}
{
    pg_to_servers_config_head
    pipe p_pg pgdst "dropped_columns: null"
    pipe "${PIPE}" mydst "schema_changes: evolve"
    pipe p_ch ch
    pipe p_freeze pgdst "target_schema: frozen" "schema_changes: freeze"
    pipe p_fail pgdst "target_schema: strict" "schema_changes: fail"
    pipe p_dropfail pgdst "target_schema: dropstrict" "dropped_columns: fail"
} >"$WORK/arus.yml"
for p in p_pg "$PIPE" p_ch p_freeze p_fail p_dropfail; do arus_ok -c "$WORK/arus.yml" sync "$p"; done

pg_sql <<'SQL'
ALTER TABLE src.w ALTER COLUMN a TYPE bigint, ALTER COLUMN b TYPE varchar(40),
  ALTER COLUMN c TYPE numeric(12,4), ALTER COLUMN d TYPE text, ADD COLUMN e int,
  DROP COLUMN gone;
INSERT INTO src.w (id, a, b, c, d, e, updated_at) VALUES (3, 5000000000, 'a string of thirty characters!', 12345678.1234, 'x', 9,
  '2024-01-02 00:00:00+00');
UPDATE src.w SET updated_at = '2024-01-02 00:00:01+00' WHERE id = 1;
SQL

# ---- evolve on PostgreSQL, dropped column set NULL on the changed rows
arus_ok -c "$WORK/arus.yml" sync p_pg
coltypes() { pg_sql -c "SELECT string_agg(column_name || ' ' || data_type || coalesce('(' || character_maximum_length || ')', '') || coalesce('(' || numeric_precision || ',' || numeric_scale || ')', ''), ', ' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_schema = '$1' AND table_name = 'w' AND column_name NOT LIKE '\_arus%'"; }
assert_eq "$(coltypes analytics)" \
  "id integer(32,0), a bigint(64,0), b character varying(40), c numeric(12,4), d text, gone text, updated_at timestamp with time zone, e integer(32,0)" "postgresql types after evolve"
assert_eq "$(pg_sql -c "SELECT id || ':' || a || ':' || b || ':' || c || ':' || d || ':' || coalesce(gone, 'NULL') FROM analytics.w ORDER BY id" | tr '\n' ' ')" \
  "1:1:short:1.2500:7:NULL 2:2:two:2.5000:8:kept 3:5000000000:a string of thirty characters!:12345678.1234:x:NULL " "postgresql rows"
notes=$(pg_sql -c "SELECT error FROM arus_state.runs WHERE pipeline = 'p_pg' AND status = 'ok' ORDER BY started_at DESC LIMIT 1")
for n in 'widened column "a" from int32 to int64' 'widened column "b" from string(10) to string(40)' \
         'widened column "c" from decimal(6,2) to decimal(12,4)' 'widened column "d" from int32 to string' \
         'added column "e" (int32)' 'column "gone" dropped in the source: set NULL on 2 changed row(s)'; do
    grep -qF "$n" <<<"$notes" || fail "run history lacks '$n': $notes"
done
arus_ok -c "$WORK/arus.yml" sync p_pg
assert_eq "$(pg_sql -c "SELECT coalesce(error, '') FROM arus_state.runs WHERE pipeline = 'p_pg' ORDER BY started_at DESC LIMIT 1")" "" "no change the second time"

# ---- evolve on MariaDB and ClickHouse
arus_ok -c "$WORK/arus.yml" sync "$PIPE"
assert_eq "$(mys -e "SELECT GROUP_CONCAT(CONCAT(COLUMN_NAME, ' ', COLUMN_TYPE) ORDER BY ORDINAL_POSITION SEPARATOR ', ') FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = '$MY_AN' AND TABLE_NAME = 'w' AND COLUMN_NAME NOT LIKE '\_arus%'")" \
  "id int(11), a bigint(20), b varchar(40), c decimal(12,4), d longtext, gone longtext, updated_at datetime(6), e int(11)" "mariadb types after evolve"
assert_eq "$(mys -e "SELECT CONCAT(a, ':', b, ':', c, ':', d) FROM \`$MY_AN\`.w WHERE id = 3")" \
  "5000000000:a string of thirty characters!:12345678.1234:x" "mariadb widened row"
arus_ok -c "$WORK/arus.yml" sync p_ch
assert_eq "$(q "SELECT name, type FROM system.columns WHERE database = '$AN' AND table = 'w' AND name IN ('a', 'b', 'c', 'd', 'e') ORDER BY name" | tr '\t\n' ' ,')" \
  "a Nullable(Int64),b Nullable(String),c Nullable(Decimal(12, 4)),d Nullable(String),e Nullable(Int32)," "clickhouse types after evolve"
assert_eq "$(q "SELECT a, c, d FROM $AN.w_current WHERE id = 3")" "5000000000	12345678.1234	x" "clickhouse widened row"

# ---- freeze: the new column stays out, widenings are not applied (rows that fit load)
pg_sql -c "DELETE FROM src.w WHERE id = 3"
arus_ok -c "$WORK/arus.yml" sync p_freeze
grep -q 'table "w": new column "e" ignored (schema_changes: freeze)' "$WORK/err" || fail "freeze warning: $(cat "$WORK/err")"
assert_eq "$(coltypes frozen)" \
  "id integer(32,0), a integer(32,0), b character varying(10), c numeric(6,2), d integer(32,0), gone text, updated_at timestamp with time zone" "frozen types"
# ---- fail: the run stops, naming the change
arus_fails 5 "schema_changes: fail" 'table "w": schema_changes: fail: column "a" changed type from int32 to int64' -c "$WORK/arus.yml" sync p_fail
arus_fails 5 "dropped_columns: fail" 'table "w": dropped_columns: fail: column "gone" is no longer in the source' -c "$WORK/arus.yml" sync p_dropfail
# bad policy words are config errors
sed -i 's/schema_changes: fail/schema_changes: maybe/' "$WORK/arus.yml"
arus_fails 3 "bad schema_changes" 'pipelines.p_fail.schema_changes: expected evolve, freeze or fail' -c "$WORK/arus.yml" sync p_fail
echo ok

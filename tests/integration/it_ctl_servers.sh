#!/usr/bin/env bash
# Operator controls against PostgreSQL, MariaDB and ClickHouse destinations (PostgreSQL source):
# a dropped typed table reloads in full (mode "reload"), an emptied one too, arus reset of one
# table and of an unknown one, dead letters listed with the reason, replayed while the
# destination still refuses (kept, exit 5) and after it was fixed (gone); ClickHouse lists dead
# letters but cannot replay (exit 7).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg_lib.sh"
source "$(dirname "$0")/my_lib.sh"
source "$(dirname "$0")/ch_lib.sh"

pg_sql <<'SQL'
CREATE SCHEMA src;
CREATE TABLE src.items (id int PRIMARY KEY, qty int, updated_at timestamptz NOT NULL);
INSERT INTO src.items SELECT i, CASE WHEN i % 10 = 0 THEN -i ELSE i END,
  '2024-01-01'::timestamptz + i * interval '1 second' FROM generate_series(1, 40) i;
CREATE SCHEMA analytics;
CREATE TABLE analytics.items (id int PRIMARY KEY, qty int CHECK (qty >= 0), updated_at timestamptz,
  _arus_run_id uuid NOT NULL, _arus_synced_at timestamptz NOT NULL DEFAULT now());
SQL
mys -e "CREATE TABLE \`$MY_AN\`.items (id int PRIMARY KEY, qty int CHECK (qty >= 0), updated_at datetime(6),
  _arus_run_id char(36) NOT NULL, _arus_synced_at datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6))"
{
    pg_to_servers_config_head
    echo "  p_pg: {source: pgsrc, destination: pgdst, tables: [items], max_dead_letters: 10, batch_size: 8}"
    echo "  $PIPE: {source: pgsrc, destination: mydst, tables: [items], max_dead_letters: 10, batch_size: 8}"
    echo "  p_ch: {source: pgsrc, destination: ch, tables: [items], load_mode: raw+normalized}"
} >"$WORK/arus.yml"
cfg=$WORK/arus.yml

# ---- dead letters on PostgreSQL and MariaDB: refused, listed, replay refused, fixed, replayed
for p in p_pg "$PIPE"; do
    arus_ok -c "$cfg" --json sync "$p"
    assert_eq "$(jq '.tables[0].rows_dead_lettered' "$WORK/out")" 4 "$p: dead letters"
    arus_ok -c "$cfg" --json dead-letters "$p" --table items
    assert_eq "$(jq -c '[.[].row.id]' "$WORK/out")" "[10,20,30,40]" "$p: listed rows"
    jq -e 'all(.[]; .error | test("check|constraint"; "i"))' "$WORK/out" >/dev/null || fail "$p: reasons: $(cat "$WORK/out")"
    arus_fails 5 "$p: replay while still refused" '4 of 4 dead letter(s) still refused by the destination (kept)' -c "$cfg" dead-letters "$p" --replay
done
pg_sql -c "ALTER TABLE analytics.items DROP CONSTRAINT items_qty_check"
arus_ok -c "$cfg" dead-letters p_pg --replay
assert_eq "$(cat "$WORK/out")" 'replayed 4 dead letter(s) of pipeline "p_pg"; 0 still refused' "pg replay"
assert_eq "$(pg_sql -c "SELECT count(*) || ' ' || sum(qty) FROM analytics.items")" "40 620" "pg rows after replay"
assert_eq "$(pg_sql -c "SELECT count(*) FROM staging._dead_letters")" 0 "pg dead letters gone"
# (a column-level CHECK in MariaDB goes with a new column definition)
mys -e "ALTER TABLE \`$MY_AN\`.items MODIFY qty int"
arus_ok -c "$cfg" dead-letters "$PIPE" --replay
grep -q 'replayed 4 dead letter(s).*; 0 still refused' "$WORK/out" || fail "mariadb replay: $(cat "$WORK/out")"
assert_eq "$(mys -e "SELECT CONCAT(count(*), ' ', sum(qty)) FROM \`$MY_AN\`.items")" "40 620" "mariadb rows after replay"
assert_eq "$(mys -e "SELECT count(*) FROM \`$MY_STG\`._dead_letters")" 0 "mariadb dead letters gone"

# ---- drift: a dropped typed table and an emptied one reload in full
pg_sql -c "UPDATE src.items SET updated_at = updated_at + interval '1 day' WHERE id <= 2"
pg_sql -c "DROP TABLE analytics.items"
arus_ok -c "$cfg" --json sync p_pg
assert_eq "$(jq -r '.tables[0] | .mode + " " + (.rows_loaded | tostring) + " " + .reload_reason' "$WORK/out")" \
  "reload 40 the typed table is missing but state holds a watermark" "pg drop"
mys -e "TRUNCATE TABLE \`$MY_AN\`.items"
arus_ok -c "$cfg" --json sync "$PIPE"
assert_eq "$(jq -r '.tables[0] | .mode + " " + (.rows_loaded | tostring)' "$WORK/out")" "reload 40" "mariadb emptied"
assert_eq "$(mys -e "SELECT mode FROM arus_state.runs WHERE pipeline = '$PIPE' ORDER BY started_at DESC LIMIT 1")" "reload" "mariadb run history"
arus_ok -c "$cfg" sync p_ch
ch_sql "DROP TABLE $AN.items"
arus_ok -c "$cfg" --json sync p_ch
assert_eq "$(jq -r '.tables[0] | .mode + " " + .reload_reason' "$WORK/out")" \
  "reload the typed table is missing but state holds a watermark" "clickhouse drop"
assert_eq "$(q "SELECT count() FROM $AN.items_current")" 40 "clickhouse rows back"
ch_sql "DROP TABLE $RAW.pgsrc_items_raw"
arus_ok -c "$cfg" --json sync p_ch
assert_eq "$(jq -r '.tables[0].reload_reason' "$WORK/out")" "the raw table is missing but state holds a watermark" "clickhouse raw dropped"

# ---- reset on each destination, and of an unknown table
for p in p_pg "$PIPE" p_ch; do
    arus_exit 5 "$p: reset of an unknown table" -c "$cfg" reset "$p" --table nope --yes
    arus_ok -c "$cfg" reset "$p" --table items --yes
    grep -q 'forgot the stored state of 1 table(s): items' "$WORK/out" || fail "$p reset: $(cat "$WORK/out")"
    arus_ok -c "$cfg" --json state "$p"
    assert_eq "$(jq -c '[.[] | select(.watermark != null)]' "$WORK/out")" "[]" "$p: state forgotten"
    arus_ok -c "$cfg" --json sync "$p"
    assert_eq "$(jq -r '.tables[0] | .mode + " " + .reload_reason' "$WORK/out")" \
      "reload no state is stored but the typed table holds rows" "$p: reload after reset"
done

# ---- ClickHouse keeps dead letters it cannot replay
arus_fails 7 "clickhouse replay" 'cannot delete dead letters' -c "$cfg" dead-letters p_ch --replay
arus_ok -c "$cfg" --json dead-letters p_ch
assert_eq "$(cat "$WORK/out")" "[]" "clickhouse: no dead letters"
echo ok

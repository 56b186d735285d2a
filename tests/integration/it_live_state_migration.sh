#!/usr/bin/env bash
# State tables made by a version before the commit horizon (watermarks without held_from) stay
# readable and are migrated by the next sync, in SQLite, PostgreSQL and ClickHouse (MariaDB's
# arus_state is one database shared by every test on the server, so its old layout cannot be
# staged here; its migration runs in every MariaDB-destination test): `arus state` reads the old
# row (held_from null), `arus sync` adds the column and stores a new watermark, `arus state`
# reads it again.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg_lib.sh"
source "$(dirname "$0")/ch_lib.sh"

SRC="$WORK/src.db"
sqlite_sql "$SRC" "CREATE TABLE items (id INTEGER PRIMARY KEY, v TEXT, updated_at TIMESTAMP);
INSERT INTO items VALUES (1, 'a', '2024-01-01 00:00:01'), (2, 'b', '2024-01-01 00:00:02');"

# check NAME DESTINATION_BLOCK HAS_COLUMN_COMMAND: the scenario against one destination whose
# old-layout state table holds table items at watermark 2024-01-01 00:00:01.
check() {
    {
        echo "sources:"
        echo "  src: {type: sqlite, path: \"$SRC\"}"
        echo "destinations:"
        printf '%s\n' "$2"
        echo "pipelines:"
        echo "  p: {source: src, destination: dst, tables: [items]}"
    } >"$WORK/arus.yml"
    arus_ok -c "$WORK/arus.yml" --json state p
    assert_eq "$(jq -r '.[0] | "\(.table)|\(.watermark)|\(.held_from)"' "$WORK/out")" \
        "items|2024-01-01 00:00:01|null" "$1: arus state on the old layout"
    arus_ok -c "$WORK/arus.yml" state p
    arus_ok -c "$WORK/arus.yml" sync p
    assert_eq "$($3)" 1 "$1: held_from added by the sync"
    arus_ok -c "$WORK/arus.yml" --json state p
    assert_eq "$(jq -r '.[0] | "\(.table)|\(.watermark)|\(.held_from)"' "$WORK/out")" \
        "items|2024-01-01 00:00:02|null" "$1: arus state after the migrating sync"
}

# SQLite
DST="$WORK/dst.db"
sqlite_sql "$DST" "CREATE TABLE arus_state__watermarks (pipeline TEXT NOT NULL,
  table_name TEXT NOT NULL, watermark TEXT, deletes_watermark TEXT, run_id TEXT,
  updated_at TEXT NOT NULL, PRIMARY KEY (pipeline, table_name));
INSERT INTO arus_state__watermarks VALUES ('p', 'items', '2024-01-01 00:00:01',
  '2024-01-01 00:00:01', NULL, '2024-01-01 00:00:00');"
sqlite_has() { sqlite_sql "$DST" "SELECT count(*) FROM pragma_table_info('arus_state__watermarks') WHERE name = 'held_from'"; }
check SQLite "  dst: {type: sqlite, path: \"$DST\"}" sqlite_has

# PostgreSQL (the test's private database)
pg_sql <<'SQL'
CREATE SCHEMA arus_state;
CREATE TABLE arus_state.watermarks (pipeline TEXT NOT NULL, table_name TEXT NOT NULL,
  watermark TEXT, deletes_watermark TEXT, run_id UUID, updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (pipeline, table_name));
INSERT INTO arus_state.watermarks VALUES ('p', 'items', '2024-01-01 00:00:01', '2024-01-01 00:00:01',
  NULL, now());
SQL
pg_has() { pg_sql -c "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'arus_state' AND table_name = 'watermarks' AND column_name = 'held_from'"; }
check PostgreSQL "$(pg_endpoint dst postgresql)" pg_has

# ClickHouse (a private state database)
ch_sql "CREATE DATABASE $ST"
ch_sql "CREATE TABLE $ST.watermarks (pipeline String, table_name String,
  watermark Nullable(String), deletes_watermark Nullable(String), run_id String,
  updated_at String, _arus_version UInt64) ENGINE = ReplacingMergeTree(_arus_version)
  ORDER BY (pipeline, table_name)"
ch_sql "INSERT INTO $ST.watermarks VALUES ('p', 'items', '2024-01-01 00:00:01',
  '2024-01-01 00:00:01', '', '2024-01-01 00:00:00', 1)"
ch_has() { q "SELECT count() FROM system.columns WHERE database = '$ST' AND table = 'watermarks' AND name = 'held_from'"; }
check ClickHouse "$(ch_destination | sed 's/^  ch:/  dst:/')" ch_has
echo "ok"

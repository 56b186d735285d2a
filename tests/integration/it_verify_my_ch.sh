#!/usr/bin/env bash
# arus verify MariaDB -> ClickHouse (against the collapsed rows, FINAL WHERE _arus_deleted = 0):
# every MySQL type family verifies equal after a sync, including a soft-deleted row; drift
# injected downstream (a changed row, a row tombstoned and an extra row, each as a newer version
# of the row; in an incremental and in a full-refresh table) exits 8 naming the keys;
# --repair (tombstones for extra rows, raw table too) clears it with the watermarks untouched;
# delete_missing tombstones rows deleted outright in the source.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/my_lib.sh"
source "$(dirname "$0")/ch_lib.sh"
source "$(dirname "$0")/verify_lib.sh"
export ARUS_MY_PASSWORD

write_config() {
    ch_write_mysql_config <<YML
    tables: [every, $1, words]
    batch_size: 50
    load_mode: raw+normalized
YML
}
write_config plain
cfg=(-c "$WORK/arus.yml")

mys "$MY_SRC" <<'SQL'
CREATE TABLE every (
  id BIGINT PRIMARY KEY, b TINYINT(1), t TINYINT, bu BIGINT UNSIGNED, d65 DECIMAL(65,30),
  d12 DECIMAL(12,2), f FLOAT, dd DOUBLE, c CHAR(5), v VARCHAR(100), bl BLOB, dt DATE,
  dtm DATETIME(6), tm TIME(6), y YEAR, j JSON, e ENUM('a','b'), bt BIT(10),
  updated_at DATETIME(6) NOT NULL, deleted_at DATETIME NULL
);
INSERT INTO every VALUES
 (1, 1, -128, 18446744073709551615,
  '-12345678901234567890123456789012345.123456789012345678901234567890', '9999999999.99',
  1.5, 1.7976931348623157e308, 'ab',
  CONCAT('it''s \\ back', CHAR(9), 'tab', CHAR(10), 'nl', CHAR(0), 'nul'), X'00FF10275C',
  '2024-02-29', '2024-01-02 03:04:05.123456', '-838:59:59.000001', 2155, '{"a": [1, 2.5]}',
  'b', b'1111111111', '2024-01-01 00:00:00', NULL),
 (2, 0, 127, 0, '0.000000000000000000000000000001', '-0.01', -0.5, 0.1, '', '', '',
  '2024-01-01', '2024-01-01 00:00:00', '838:59:59', 1901, '[]', 'a', b'0',
  '2024-01-01 00:00:00.000001', NULL),
 (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, '2024-01-02 00:00:00', NULL),
 (4, 1, 1, 1, '1', '1', 1, 1, 'x', 'gone', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  '2024-01-01 12:00:00', '2024-01-01 12:00:00');
CREATE TABLE plain (id INT PRIMARY KEY, v VARCHAR(20));
INSERT INTO plain VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd'), (5, 'e');
-- a string key in the default case-insensitive collation: verify reads it in byte order
CREATE TABLE words (w VARCHAR(20) PRIMARY KEY, n INT) COLLATE utf8mb4_general_ci;
INSERT INTO words VALUES ('apple', 1), ('Banana', 2), ('cherry', 3), ('Zebra', 4), ('élan', 5);
SQL

arus_ok "${cfg[@]}" sync p
wm() { q "SELECT table_name, watermark FROM $ST.watermarks FINAL ORDER BY table_name" | tr '\n\t' ' :'; }
wm_before=$(wm)
arus_ok "${cfg[@]}" verify p --json
assert_eq "$(verify_tables)" \
    "every:equal:3 plain:equal:5 words:equal:5" "verify right after the sync"

# Drift as newer versions of a row (what a stray writer would leave): changed values, a
# tombstone (the row disappears from the collapsed view) and a row the source never had.
inject() { # TABLE ID V DELETED
    ch_sql "INSERT INTO $AN.$1 (id, v, _arus_run_id, _arus_version, _arus_deleted)
            SELECT $2, '$3', 'x', max(_arus_version) + 1, $4 FROM $AN.$1"
}
inject every 2 drift 0
inject plain 3 drift 0
inject plain 1 a 1
inject plain 9 x 0
ch_sql "INSERT INTO $AN.words (w, n, _arus_run_id, _arus_version, _arus_deleted)
        SELECT 'Apple', 9, 'x', max(_arus_version) + 1, 0 FROM $AN.words"
arus_exit 8 "verify on drift" "${cfg[@]}" verify p --json
assert_eq "$(verify_drift every)" "0 0 1   2" "every: changed row"
assert_eq "$(verify_drift plain)" "1 1 1 1 9 3" "plain (full refresh): missing, extra, changed"
assert_eq "$(verify_drift words)" "0 1 0  Apple " "string key: the extra row differs in case only"

arus_exit 8 "verify --repair" "${cfg[@]}" verify p --repair
arus_ok "${cfg[@]}" verify p
assert_eq "$(wm)" "$wm_before" "watermarks untouched by --repair"
assert_eq "$(q "SELECT id, v FROM $AN.plain_current ORDER BY id" | tr '\n\t' ' :')" \
    "1:a 2:b 3:c 4:d 5:e " "plain repaired"
assert_eq "$(q "SELECT count() FROM $RAW.mysrc_plain_raw")" 7 "raw rows: 5 synced + 2 re-copied"

# delete_missing: hard deletes in the source become tombstones downstream.
cat >>"$WORK/arus.yml" <<'YML'
    delete_missing: true
YML
mys "$MY_SRC" -e "DELETE FROM every WHERE id = 3"
arus_ok "${cfg[@]}" sync p --table every
assert_eq "$(q "SELECT rows_deleted, status FROM $ST.runs FINAL WHERE table_name = 'every' ORDER BY started_at DESC LIMIT 1" | tr '\t' ' ')" \
    "1 ok" "rows deleted by delete_missing"
assert_eq "$(q "SELECT groupArray(id) FROM (SELECT id FROM $AN.every_current ORDER BY id)")" "[1,2]" \
    "hard-deleted row gone from the current view"
arus_ok "${cfg[@]}" verify p
echo ok

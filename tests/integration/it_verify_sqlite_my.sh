#!/usr/bin/env bash
# arus verify SQLite -> MariaDB: typed columns (integers, reals, decimals as text, booleans,
# dates, timestamps, JSON, blobs) verify equal after a sync; drift injected in MariaDB (a
# changed, a missing and an extra row, in the incremental table and in a full-refresh table
# with a composite text key) exits 8 naming the keys; --repair clears it with the watermarks
# untouched; delete_missing removes rows deleted outright from the source.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/my_lib.sh"
source "$(dirname "$0")/verify_lib.sh"
export ARUS_MY_PASSWORD

SRC="$WORK/src.db"
write_config() {
    {
        echo "sources:"
        echo "  lite: {type: sqlite, path: $SRC}"
        echo "destinations:"
        my_destination
        echo "pipelines:"
        echo "  $PIPE:"
        echo "    source: lite"
        echo "    destination: mydst"
        echo "    batch_size: 64"
        printf '%s\n' "$1"
    } >"$WORK/arus.yml"
}
write_config "    tables: [items, pairs]"
cfg=(-c "$WORK/arus.yml")

sqlite_sql "$SRC" <<'SQL'
CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, price REAL, amount DECIMAL(12,3),
                    ok BOOLEAN, day DATE, at TIMESTAMP, doc JSON, bin BLOB,
                    updated_at TIMESTAMP NOT NULL, deleted_at TIMESTAMP);
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 400)
INSERT INTO items SELECT i, 'item ' || i, i * 0.1, (i * 7) || '.125', i % 2, '2024-02-29',
       '2024-01-02 03:04:05.25', '{"b": [1, 2], "a": "x"}', x'00ff', 
       '2024-03-01 10:00:' || printf('%02d', i % 60) || '.5', NULL FROM s;
CREATE TABLE pairs (k TEXT, n INTEGER, v TEXT, PRIMARY KEY (k, n));
INSERT INTO pairs VALUES ('A', 1, 'x'), ('a', 1, 'y'), ('b', 2, 'z'), ('b', 10, 'w');
SQL

arus_ok "${cfg[@]}" sync "$PIPE"
wm() { mys -e "SELECT table_name, watermark FROM arus_state.watermarks WHERE pipeline = '$PIPE' ORDER BY 1" | tr '\n\t' ' :'; }
wm_before=$(wm)
arus_ok "${cfg[@]}" verify "$PIPE" --json
assert_eq "$(verify_tables)" \
    "items:equal:400 pairs:equal:4" "verify right after the sync"

mys "$MY_AN" -e "UPDATE items SET amount = 1 WHERE id = 17;
    DELETE FROM items WHERE id IN (1, 400);
    INSERT INTO items (id, name, updated_at, _arus_run_id) VALUES (250000, 'x', NOW(), 'x');
    UPDATE pairs SET v = 'drift' WHERE k = 'a' AND n = 1;
    DELETE FROM pairs WHERE k = 'b' AND n = 10;
    INSERT INTO pairs (k, n, v, _arus_run_id) VALUES ('B', 0, 'extra', 'x');"
arus_exit 8 "verify on drift" "${cfg[@]}" verify "$PIPE" --json
assert_eq "$(verify_drift items)" "2 1 1 1;400 250000 17" "items drift"
assert_eq "$(verify_drift pairs)" "1 1 1 b, 10 B, 0 a, 1" "pairs (full refresh, composite text key) drift"

arus_exit 8 "verify --repair" "${cfg[@]}" verify "$PIPE" --repair
arus_ok "${cfg[@]}" verify "$PIPE"
assert_eq "$(wm)" "$wm_before" "watermarks untouched by --repair"

write_config "    tables: [items, pairs]
    delete_missing: true"
sqlite_sql "$SRC" "DELETE FROM items WHERE id BETWEEN 100 AND 109"
arus_ok "${cfg[@]}" sync "$PIPE" --table items
assert_eq "$(my_last_run items | cut -d' ' -f3-)" "10 ok" "rows deleted by delete_missing"
assert_eq "$(mys "$MY_AN" -e 'SELECT count(*) FROM items')" 390 "items left"
arus_ok "${cfg[@]}" verify "$PIPE"
echo ok

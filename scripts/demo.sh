#!/usr/bin/env bash
# demo.sh ARUS_BINARY - the `make demo` walk-through on the embedded default, SQLite -> SQLite:
# generates a small shop database (demo/shop.db), syncs it into a warehouse (demo/warehouse.db),
# changes a few rows (updates, an insert, a soft delete), syncs again and shows what moved.
# Fails (non-zero) unless the second run moved exactly the changed rows and the warehouse then
# matches the shop.
set -euo pipefail

cd "$(dirname "$0")/.."
ARUS=$(realpath "${1:-build/arus}")
DEMO=$PWD/demo
CFG=$DEMO/arus.yml
SHOP=$DEMO/shop.db
WH=$DEMO/warehouse.db

[ -x "$ARUS" ] || { echo "demo: no arus binary at $ARUS (run make build first)" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "demo: sqlite3 not found (scripts/install-deps.sh build)" >&2; exit 1; }

bold() { if [ -t 1 ]; then printf '\n\033[1m%s\033[0m\n' "$*"; else printf '\n== %s\n' "$*"; fi; }
# Show a command the way a user would type it (arus for the binary, quotes where needed), run it.
run() {
    local a shown=arus
    [ "$1" = "$ARUS" ] || shown=$1
    for a in "${@:2}"; do
        if [[ $a == *[[:space:]]* ]]; then shown+=" \"$a\""; else shown+=" $a"; fi
    done
    printf '$ %s\n' "${shown//$PWD\//}"
    "$@"
}
fail() { echo "demo FAILED: $*" >&2; exit 1; }
shop() { sqlite3 -batch -bail "$SHOP" "$@"; }
wh() { sqlite3 -batch -bail "$WH" "$@"; }

# expect_last_run LABEL TABLE:READ:DELETED...: the newest run of the pipeline read and deleted
# exactly these many rows per table (arus_state__runs in the warehouse).
expect_last_run() {
    local label=$1 spec t n_read n_del run got; shift
    run=$(wh "SELECT run_id FROM arus_state__runs WHERE pipeline = 'shop'
              ORDER BY started_at DESC LIMIT 1")
    for spec in "$@"; do
        IFS=: read -r t n_read n_del <<<"$spec"
        got=$(wh "SELECT rows_extracted || ':' || rows_deleted FROM arus_state__runs
                  WHERE run_id = '$run' AND table_name = '$t'")
        [ "$got" = "$n_read:$n_del" ] \
            || fail "$label run, $t: read:deleted ${got:-(no run record)}, expected $n_read:$n_del"
    done
}

rm -rf "$DEMO"
mkdir -p "$DEMO"

# ---------------------------------------------------------------- 1. the shop
bold "1. A sample shop database: $SHOP"
# Timestamps are UTC text; updated_at grows with the id, so each table's newest row is known.
# countries has no timestamp column (full refresh every run); products has deleted_at (soft
# deletes).
shop <<'SQL'
CREATE TABLE countries (code TEXT PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE customers (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT, country TEXT REFERENCES countries,
    created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL);
CREATE TABLE products (
    id INTEGER PRIMARY KEY, sku TEXT NOT NULL, name TEXT NOT NULL, price DECIMAL(10,2) NOT NULL,
    updated_at TIMESTAMP NOT NULL, deleted_at TIMESTAMP);
CREATE TABLE orders (
    id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers,
    status TEXT NOT NULL, total DECIMAL(12,2) NOT NULL, ordered_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL);
CREATE TABLE order_items (
    order_id INTEGER NOT NULL REFERENCES orders, line_no INTEGER NOT NULL,
    product_id INTEGER NOT NULL REFERENCES products, qty INTEGER NOT NULL,
    unit_price DECIMAL(10,2) NOT NULL, updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (order_id, line_no));

INSERT INTO countries VALUES ('DE', 'Germany'), ('FR', 'France'), ('NL', 'Netherlands'),
    ('PL', 'Poland'), ('SE', 'Sweden'), ('ES', 'Spain');

WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40)
INSERT INTO customers
SELECT i, 'Customer ' || i, 'customer' || i || '@example.com',
       substr('DEESFRNLPLSE', 1 + 2 * (i % 6), 2),
       datetime('2026-01-01', '+' || i || ' days'),
       datetime('2026-01-01', '+' || i || ' days', '+' || (i % 9) || ' hours')
FROM n;

WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 12)
INSERT INTO products
SELECT i, printf('SKU-%04d', i), 'Product ' || i, printf('%.2f', 4.99 + i * 3.25),
       datetime('2026-02-01', '+' || i || ' hours'), NULL
FROM n;

WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 120)
INSERT INTO orders
SELECT i, (i * 7) % 40 + 1, CASE i % 3 WHEN 0 THEN 'paid' WHEN 1 THEN 'shipped' ELSE 'delivered' END,
       0, datetime('2026-03-01', '+' || (i * 2) || ' hours'),
       datetime('2026-03-01', '+' || (i * 2) || ' hours', '+30 minutes')
FROM n;

WITH RECURSIVE l(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM l WHERE n < 3)
INSERT INTO order_items
SELECT o.id, l.n, (o.id * l.n) % 12 + 1, 1 + (o.id + l.n) % 4,
       (SELECT price FROM products WHERE id = (o.id * l.n) % 12 + 1),
       datetime(o.updated_at, '+' || l.n || ' minutes')
FROM orders o JOIN l ON l.n <= o.id % 3 + 1;

UPDATE orders SET total = (SELECT printf('%.2f', sum(qty * unit_price)) FROM order_items
                           WHERE order_id = orders.id);
SQL
for t in countries customers products orders order_items; do
    printf '  %-12s %4d rows\n' "$t" "$(shop "SELECT count(*) FROM $t")"
done

cat >"$CFG" <<EOF
# arus demo: the shop (SQLite) into a warehouse (SQLite). In SQLite the spec's schemas are
# table-name prefixes: analytics__<table>, staging__<source>_<table>_raw, arus_state__*.
sources:
  shop:
    type: sqlite
    path: $SHOP
destinations:
  warehouse:
    type: sqlite
    path: $WH
pipelines:
  shop:
    source: shop
    destination: warehouse
    tables: ["*"]
    load_mode: raw+normalized
EOF
bold "2. Config: $CFG"
sed -n '/^sources:/,$p' "$CFG"

# ---------------------------------------------------------------- 2. first sync
bold "3. First sync: every table arrives in full"
run "$ARUS" -c "$CFG" discover shop
run "$ARUS" -c "$CFG" sync shop
expect_last_run first countries:6:0 customers:40:0 products:12:0 orders:120:0 order_items:240:0

# ---------------------------------------------------------------- 3. changes
bold "4. Changes in the shop"
# Each table's newest row is among the changed ones: a run re-reads from the stored watermark
# inclusively (merge by key makes that harmless), so this way the rows read are the changed ones.
CHANGES=$(cat <<'SQL'
UPDATE customers SET email = 'c7@example.org', updated_at = '2026-07-01 09:00:00' WHERE id = 7;
UPDATE customers SET country = 'SE', updated_at = '2026-07-01 09:05:00' WHERE id = 40;
UPDATE products SET price = '59.00', updated_at = '2026-07-01 09:10:00' WHERE id = 12;
UPDATE products SET deleted_at = '2026-07-01 09:15:00', updated_at = '2026-07-01 09:15:00' WHERE id = 5;
UPDATE orders SET status = 'shipped', updated_at = '2026-07-01 09:20:00' WHERE id = 120;
UPDATE orders SET status = 'cancelled', updated_at = '2026-07-01 09:25:00' WHERE id = 33;
UPDATE order_items SET qty = qty + 1, updated_at = '2026-07-01 09:20:00' WHERE order_id = 120 AND line_no = 1;
INSERT INTO orders VALUES (121, 7, 'paid', '45.73', '2026-07-01 09:30:00', '2026-07-01 09:30:00');
INSERT INTO order_items VALUES (121, 1, 3, 2, '14.74', '2026-07-01 09:30:00'),
                               (121, 2, 9, 1, '16.25', '2026-07-01 09:30:00');
INSERT INTO countries VALUES ('IT', 'Italy');
SQL
)
printf '%s\n' "$CHANGES" | sed 's/^/  /'
shop <<<"$CHANGES"

# ---------------------------------------------------------------- 4. second sync
bold "5. Second sync: only the changed rows move"
run "$ARUS" -c "$CFG" sync shop
run "$ARUS" -c "$CFG" state shop
run "$ARUS" -c "$CFG" runs shop

bold "6. In the warehouse ($WH)"
run sqlite3 -header -column "$WH" \
    "SELECT id, email, country, updated_at, _arus_run_id FROM analytics__customers WHERE id IN (7, 40)"
run sqlite3 -header -column "$WH" \
    "SELECT id, status, total, updated_at FROM analytics__orders WHERE id IN (33, 120, 121)"
run sqlite3 -header -column "$WH" "SELECT count(*) AS products, sum(id = 5) AS product_5 FROM analytics__products"
run sqlite3 -header -column "$WH" \
    "SELECT count(*) AS raw_rows FROM staging__shop_customers_raw"

# ---------------------------------------------------------------- 5. checks
# Second run, per table: rows read and rows deleted, from the run history in the warehouse.
# Exactly the changed rows; countries in full (no watermark column: full refresh by design).
expect_last_run second countries:7:0 customers:2:0 products:1:1 orders:3:0 order_items:3:0

# The warehouse now equals the shop (live rows), table by table, on every source column:
# decimals compared as numbers (the warehouse keeps them as exact text at the column's scale,
# "145.20", where the shop's NUMERIC affinity stored the REAL 145.2), the rest as text.
for t in countries customers products orders order_items; do
    cols=$(shop "SELECT group_concat('CAST(\"' || name || '\" AS '
                        || iif(type LIKE 'DECIMAL%', 'REAL', 'TEXT') || ')', ', ')
                 FROM pragma_table_info('$t')")
    live=$t; [ "$t" = products ] && live="$t WHERE deleted_at IS NULL"
    diff=$(shop "ATTACH '$WH' AS wh;
                 SELECT count(*) FROM (SELECT $cols FROM $live EXCEPT SELECT $cols FROM wh.analytics__$t);
                 SELECT count(*) FROM (SELECT $cols FROM wh.analytics__$t EXCEPT SELECT $cols FROM $live);" \
           | paste -sd' ')
    [ "$diff" = "0 0" ] || fail "warehouse table analytics__$t differs from the shop's $t (missing, extra: $diff)"
done

bold "Demo OK"
echo "The second run read only the 9 changed rows (customers 2, products 1, orders 3,"
echo "order_items 3), deleted the soft-deleted product, and re-read countries in full (no"
echo "watermark column, so full refresh by design). The warehouse equals the shop."
echo "Files: $SHOP, $WH, $CFG"

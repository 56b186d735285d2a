#!/usr/bin/env bash
# MySQL -> MySQL sync semantics: 50,000 rows sharing 3 updated_at values in batches of 1000
# (no tie lost at batch boundaries), idempotent reruns write nothing, updates and soft deletes
# propagate, full refresh swaps atomically and leaves no shadow/old table, schema drift adds
# columns, hostile identifiers survive, unsigned bigint watermarks compare exactly. (The
# LOCAL INFILE fallback is in it_serial_my_fallback.sh: it changes a server-wide setting.)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/my_lib.sh"

mys "$MY_SRC" <<'SQL'
CREATE TABLE orders (
  id BIGINT PRIMARY KEY, amount DECIMAL(12,2) NOT NULL, note VARCHAR(50),
  updated_at DATETIME(3) NOT NULL, deleted_at DATETIME NULL, KEY (updated_at));
INSERT INTO orders (id, amount, note, updated_at)
SELECT seq, seq / 100, CONCAT('n', seq, IF(seq % 7 = 0, '\t"tab"\\', '')),
       ELT(1 + seq % 3, '2024-01-01 00:00:00', '2024-01-02 00:00:00.5', '2024-01-03 00:00:00')
FROM seq_1_to_50000;
CREATE TABLE `we``ird; DROP TABLE orders; -- ü` (
  `k``ey` INT PRIMARY KEY, `sp ace` VARCHAR(20), `sel'ect` INT, created_at DATETIME NOT NULL);
INSERT INTO `we``ird; DROP TABLE orders; -- ü` VALUES (1, 'a', 1, '2024-01-01'), (2, 'b', 2, '2024-01-02');
CREATE TABLE seqs (id INT PRIMARY KEY, updated_at BIGINT UNSIGNED NOT NULL);
INSERT INTO seqs VALUES (1, 18446744073709551613), (2, 18446744073709551614), (3, 18446744073709551615);
SQL

my_write_config "    tables: [orders, seqs, \"we\`ird; DROP TABLE orders; -- ü\"]
    batch_size: 1000
    load_mode: raw+normalized"

FP="SELECT id, amount, note, CAST(updated_at AS DATETIME(6)) FROM %s.orders WHERE deleted_at IS NULL ORDER BY id"
src_fp() { my_fp "$(printf "$FP" "\`$MY_SRC\`")"; }
dst_fp() { my_fp "SELECT id, amount, note, CAST(updated_at AS DATETIME(6)) FROM \`$MY_AN\`.orders ORDER BY id"; }

arus_ok -c "$WORK/arus.yml" sync "$PIPE"
assert_eq "$(my_last_run orders)" "50000 50000 0 ok" "first run"
assert_eq "$(mys -e "SELECT COUNT(*) FROM \`$MY_AN\`.orders")" "50000" "rows after first run"
assert_eq "$(dst_fp)" "$(src_fp)" "orders after first run"
assert_eq "$(mys -e "SELECT COUNT(*) FROM \`$MY_STG\`.mysrc_orders_raw")" "50000" "raw rows"
assert_eq "$(mys -e "SELECT watermark FROM arus_state.watermarks WHERE pipeline = '$PIPE' AND table_name = 'orders'")" "2024-01-03 00:00:00" "stored watermark"

# hostile identifiers, quoted everywhere
got=$(mys -e "SELECT \`k\`\`ey\`, \`sp ace\`, \`sel'ect\` FROM \`$MY_AN\`.\`we\`\`ird; DROP TABLE orders; -- ü\` ORDER BY 1")
assert_eq "$got" "$(printf '1\ta\t1\n2\tb\t2')" "hostile identifiers"

# idempotent rerun: the inclusive re-read of the last watermark writes nothing
arus_ok -c "$WORK/arus.yml" sync "$PIPE" --table orders
run=$(my_last_run orders)
assert_eq "${run#* }" "0 0 ok" "rerun loads nothing (extracted: ${run%% *})"
assert_eq "$(dst_fp)" "$(src_fp)" "orders after rerun"

# updates and soft deletes propagate; schema drift adds a column
mys "$MY_SRC" <<'SQL'
UPDATE orders SET note = 'changed', amount = amount + 1, updated_at = '2024-01-04 00:00:00' WHERE id <= 10;
UPDATE orders SET deleted_at = '2024-01-04 00:00:01', updated_at = '2024-01-04 00:00:01' WHERE id BETWEEN 100 AND 104;
ALTER TABLE orders ADD COLUMN extra INT NULL;
UPDATE orders SET extra = 42, updated_at = '2024-01-04 00:00:02' WHERE id = 11;
SQL
arus_ok -c "$WORK/arus.yml" sync "$PIPE" --table orders
run=$(my_last_run orders)
assert_eq "${run#* }" "11 5 ok" "update + soft delete run (loaded deleted status)"
assert_eq "$(mys -e "SELECT COUNT(*) FROM \`$MY_AN\`.orders")" "49995" "rows after soft deletes"
assert_eq "$(dst_fp)" "$(src_fp)" "orders after updates"
assert_eq "$(mys -e "SELECT extra FROM \`$MY_AN\`.orders WHERE id = 11")" "42" "drifted column"

# full refresh: same data, no shadow or old table left behind
arus_ok -c "$WORK/arus.yml" sync "$PIPE" --table orders --full-refresh
assert_eq "$(dst_fp)" "$(src_fp)" "orders after full refresh"
assert_eq "$(mys -e "SELECT GROUP_CONCAT(TABLE_NAME ORDER BY TABLE_NAME) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '$MY_AN' AND TABLE_NAME LIKE 'orders%'")" "orders" "tables after full refresh"

# an unsigned bigint watermark compares exactly (bound as an integer, not through a double):
# the rerun re-reads only the row at the stored watermark, not its neighbour 1 below
assert_eq "$(mys -e "SELECT watermark FROM arus_state.watermarks WHERE pipeline = '$PIPE' AND table_name = 'seqs'")" "18446744073709551615" "unsigned watermark"
arus_ok -c "$WORK/arus.yml" sync "$PIPE" --table seqs
run=$(my_last_run seqs)
assert_eq "${run%% *}" "1" "rows re-read at an unsigned bigint watermark"
echo "ok"

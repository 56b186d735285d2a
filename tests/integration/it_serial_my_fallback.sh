#!/usr/bin/env bash
# MySQL destination with LOCAL INFILE disabled on the server (SET GLOBAL local_infile = 0,
# restored on exit; hence "serial": no other test runs meanwhile): the multi-row prepared
# INSERT ... ON DUPLICATE KEY UPDATE fallback loads a first run, merges updates the same way
# as LOAD DATA, fills the raw zone, and splits statements by size so a batch holding more
# than max_allowed_packet (96 MB of blobs) still loads.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/my_lib.sh"

mys "$MY_SRC" <<'SQL'
CREATE TABLE orders (
  id BIGINT PRIMARY KEY, amount DECIMAL(12,2) NOT NULL, note VARCHAR(50), flag TINYINT(1),
  data VARBINARY(8), updated_at DATETIME(3) NOT NULL, deleted_at DATETIME NULL);
INSERT INTO orders (id, amount, note, flag, data, updated_at)
SELECT seq, seq / 100, CONCAT('n', seq, IF(seq % 7 = 0, '\t"tab"\\', '')), seq % 2, X'00FF5C09',
       ELT(1 + seq % 3, '2024-01-01 00:00:00', '2024-01-02 00:00:00.5', '2024-01-03 00:00:00')
FROM seq_1_to_5000;
CREATE TABLE big (id INT PRIMARY KEY, b LONGBLOB, updated_at DATETIME NOT NULL);
SQL
my_write_config "    tables: [orders, big]
    batch_size: 1000
    load_mode: raw+normalized"
FP="SELECT id, amount, note, flag, HEX(data), CAST(updated_at AS DATETIME(6)) FROM %s.orders WHERE deleted_at IS NULL ORDER BY id"
src_fp() { my_fp "$(printf "$FP" "\`$MY_SRC\`")"; }
dst_fp() { my_fp "$(printf "$FP" "\`$MY_AN\`")"; }

orig=$(mys -e "SELECT @@GLOBAL.local_infile")
on_exit "my_sql -e 'SET GLOBAL local_infile = $orig'"
mys -e "SET GLOBAL local_infile = 0"

# first run entirely through INSERTs
arus_ok -c "$WORK/arus.yml" sync "$PIPE"
grep -q "refused LOAD DATA LOCAL INFILE" "$WORK/err" || fail "fallback path not taken: $(cat "$WORK/err")"
assert_eq "$(my_last_run orders)" "5000 5000 0 ok" "first run"
assert_eq "$(dst_fp)" "$(src_fp)" "orders after first run"
assert_eq "$(mys -e "SELECT COUNT(*) FROM \`$MY_STG\`.mysrc_orders_raw")" "5000" "raw rows"

# updates, a new row and soft deletes merge through ON DUPLICATE KEY UPDATE
mys "$MY_SRC" -e "UPDATE orders SET note = 'fallback', flag = NULL, updated_at = '2024-01-05 00:00:00' WHERE id BETWEEN 20 AND 2519; UPDATE orders SET deleted_at = '2024-01-06', updated_at = '2024-01-06' WHERE id BETWEEN 100 AND 104; INSERT INTO orders (id, amount, note, updated_at) VALUES (60000, 1.5, 'new', '2024-01-05 00:00:00')"
arus_ok -c "$WORK/arus.yml" sync "$PIPE" --table orders
run=$(my_last_run orders)
# 2500 updated minus the 5 soft-deleted ones in that range, plus the new row
assert_eq "${run#* }" "2496 5 ok" "fallback merge run (loaded deleted status)"
assert_eq "$(dst_fp)" "$(src_fp)" "orders after the merge run"
assert_eq "$(mys -e "SELECT COUNT(*) FROM \`$MY_STG\`.mysrc_orders_raw WHERE JSON_VALUE(_data, '\$.note') = 'fallback'")" "2495" "raw rows of the merge run"
arus_ok -c "$WORK/arus.yml" sync "$PIPE" --table orders
run=$(my_last_run orders)
assert_eq "${run#* }" "0 0 ok" "idempotent rerun through INSERTs"

# 96 MB of values in one batch: more than max_allowed_packet, so INSERTs are split by size
mys "$MY_SRC" -e "INSERT INTO big SELECT seq, CONCAT(REPEAT(CHAR(seq), 4194300), X'005C0927'), '2024-01-01' FROM seq_1_to_24"
arus_ok -c "$WORK/arus.yml" sync "$PIPE" --table big
assert_eq "$(my_fp "SELECT id, MD5(b) FROM \`$MY_AN\`.big ORDER BY id")" "$(my_fp "SELECT id, MD5(b) FROM \`$MY_SRC\`.big ORDER BY id")" "large values via INSERTs"
mys -e "SET GLOBAL local_infile = $orig"
echo "ok"

#!/usr/bin/env bash
# MySQL/MariaDB -> ClickHouse through the CLI: every MySQL type family lands in its ClickHouse
# type with its value (compared under FINAL): extreme and unsigned integers, DECIMAL(12,2) as
# Decimal and DECIMAL(65,30) as exact String, hostile text with NUL, blobs, microsecond
# datetimes, TIME beyond 24h, YEAR, JSON, ENUM/SET, BIT, zero dates (read as NULL); an update
# collapses to one row per key and a soft delete is hidden in <table>_current.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/my_lib.sh"

source "$(dirname "$0")/ch_lib.sh"
export ARUS_MY_PASSWORD
ch_write_mysql_config <<YML
    tables: [every]
    batch_size: 2
    load_mode: raw+normalized
YML
cfg=(-c "$WORK/arus.yml")

mys "$MY_SRC" <<'SQL'
CREATE TABLE every (
  id BIGINT PRIMARY KEY, b TINYINT(1), t TINYINT, tu TINYINT UNSIGNED, su SMALLINT UNSIGNED,
  m MEDIUMINT, iu INT UNSIGNED, bi BIGINT, bu BIGINT UNSIGNED, d65 DECIMAL(65,30),
  d12 DECIMAL(12,2), f FLOAT, dd DOUBLE, c CHAR(5), v VARCHAR(100), bl BLOB, dt DATE,
  dtm DATETIME(6), tm TIME(6), y YEAR, j JSON, e ENUM('a','b'), st SET('x','y'), bt BIT(10),
  updated_at DATETIME(6) NOT NULL, deleted_at DATETIME NULL
);
INSERT INTO every VALUES
 (1, 1, -128, 255, 65535, -8388608, 4294967295, -9223372036854775808, 18446744073709551615,
  '-12345678901234567890123456789012345.123456789012345678901234567890', '9999999999.99',
  1.5, 1.7976931348623157e308, 'ab',
  CONCAT('it''s \\ back', CHAR(9), 'tab', CHAR(10), 'nl', CHAR(0), 'nul'), X'00FF10275C',
  '2024-02-29', '2024-01-02 03:04:05.123456', '-838:59:59.000001', 2155, '{"a": [1, 2.5]}',
  'b', 'x,y', b'1111111111', '2024-01-01 00:00:00', NULL),
 (2, 0, 127, 0, 0, 8388607, 0, 9223372036854775807, 0, '0.000000000000000000000000000001',
  '-0.01', -0.5, -2.5, '', '', '', '0000-00-00', '0000-00-00 00:00:00', '838:59:59', 1901, '[]',
  'a', '', b'0', '2024-01-01 00:00:00.000001', NULL),
 (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '2024-01-02 00:00:00', NULL);
SQL

arus_ok "${cfg[@]}" sync p
got=$(q "SELECT id, b, t, tu, su, m, iu, bi, bu, d65, d12, f, dd, c, v, hex(bl), dt, dtm, tm, y,
  j, e, st, bt, updated_at FROM $AN.every FINAL ORDER BY id")
want=$(printf '%s\n' \
  "1	1	-128	255	65535	-8388608	4294967295	-9223372036854775808	18446744073709551615	-12345678901234567890123456789012345.123456789012345678901234567890	9999999999.99	1.5	1.7976931348623157e308	ab	it\\'s \\\\ back\\ttab\\nnl\\0nul	00FF10275C	2024-02-29	2024-01-02 03:04:05.123456	-838:59:59.000001	2155	{\"a\": [1, 2.5]}	b	x,y	1023	2024-01-01 00:00:00" \
  "2	0	127	0	0	8388607	0	9223372036854775807	0	0.000000000000000000000000000001	-0.01	-0.5	-2.5				\\N	\\N	838:59:59	1901	[]	a		0	2024-01-01 00:00:00.000001" \
  "3	\\N	\\N	\\N	\\N	\\N	\\N	\\N	\\N	\\N	\\N	\\N	\\N	\\N	\\N	\\N	\\N	\\N	\\N	\\N	\\N	\\N	\\N	\\N	2024-01-02 00:00:00")
assert_eq "$got" "$want" "typed values"
assert_eq "$(q "SELECT name, type FROM system.columns WHERE database = '$AN' AND table = 'every' AND name IN ('b', 't', 'bu', 'd65', 'd12', 'f') ORDER BY name" | tr '\n\t' ' :')" \
  "b:Nullable(UInt8) bu:Nullable(UInt64) d12:Nullable(Decimal(12, 2)) d65:Nullable(String) f:Nullable(Float32) t:Nullable(Int16) " "column types"
assert_eq "$(q "SELECT visitParamExtractRaw(_data, 'bu') FROM $RAW.mysrc_every_raw WHERE visitParamExtractInt(_data, 'id') = 1")" \
  "18446744073709551615" "raw JSON keeps unsigned bigint"

# Update and soft delete: one row per key, the deleted row hidden.
mys "$MY_SRC" -e "UPDATE every SET v = 'changed', updated_at = '2024-03-01 00:00:00' WHERE id = 1;
  UPDATE every SET deleted_at = NOW(), updated_at = '2024-03-02 00:00:00' WHERE id = 2;"
arus_ok "${cfg[@]}" sync p
assert_eq "$(q "SELECT count(), uniqExact(id) FROM $AN.every FINAL")" "3	3" "one row per key"
assert_eq "$(q "SELECT id, v FROM $AN.every_current ORDER BY id" | tr '\n\t' ' :')" "1:changed 3:\\N " "current view"
echo ok

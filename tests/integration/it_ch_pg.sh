#!/usr/bin/env bash
# PostgreSQL -> ClickHouse through the CLI: every type the PostgreSQL source produces lands in
# its ClickHouse type with its value (compared under FINAL), NaN/±Infinity floats, exact
# 38-digit decimals, unconstrained numerics as exact text; an update collapses to one row per
# key and a soft delete is hidden in <table>_current. (Subnormal doubles below ~1e-320, e.g.
# 5e-324, are read as 0 by ClickHouse 18.16's float parser: a server limit, not tested here.)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg_lib.sh"

source "$(dirname "$0")/ch_lib.sh"
export ARUS_PG_PASSWORD
{
    echo "sources:"
    pg_endpoint pgsrc postgresql "schema: src"
    cat <<YML
destinations:
$(ch_destination)
pipelines:
  p:
    source: pgsrc
    destination: ch
    tables: [t]
    load_mode: raw+normalized
YML
} >"$WORK/arus.yml"
cfg=(-c "$WORK/arus.yml")

pg_sql <<'SQL'
CREATE SCHEMA src;
CREATE TYPE src.mood AS ENUM ('sad', 'happy');
CREATE TABLE src.t (
  id bigint PRIMARY KEY, c_small smallint, c_int integer, c_num numeric(38,10),
  c_n38 numeric(38,0), c_numu numeric, c_real real, c_dbl double precision, c_bool boolean,
  c_text text, c_vc varchar(20), c_ch char(5), c_bytea bytea, c_uuid uuid, c_date date,
  c_time time, c_ts timestamp, c_tstz timestamptz, c_json json, c_jsonb jsonb, c_arr integer[],
  c_enum src.mood, c_iv interval, c_inet inet, updated_at timestamptz NOT NULL,
  deleted_at timestamptz);
INSERT INTO src.t VALUES
 (1, -32768, 2147483647, 1234567890123456789012345678.1234567890,
  99999999999999999999999999999999999999, 'NaN', 'NaN', 'Infinity', true,
  E'q''"\\ \t tab\nnl 😀 \\N', 'NULL', 'ab', '\x00ff10', 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11',
  '1970-01-02', '23:59:59.999999', '1969-12-31 23:59:59.5', '1901-01-01 00:00:00+05',
  '{"a": [1, 2.50]}', '{"b": null}', '{1,NULL,3}', 'happy', '1 year 2 months 3 days 04:05:06.5',
  '192.168.0.1/24', '2024-01-01 00:00:00+00', NULL),
 (2, 32767, -2147483648, -9999999999999999999999999999.9999999999, 0, '-12.5000', '-Infinity',
  1e-310, false, '', '\', ' ', '', '00000000-0000-0000-0000-000000000000', '2105-12-31',
  '00:00:00', '9999-12-31 23:59:59.999999', '2038-01-19 03:14:08.000001+00', 'null', '[]', '{}',
  'sad', '-1 days', '::1', '2024-01-02 00:00:00+00', NULL),
 (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '2024-01-02 00:00:00+00', NULL);
SQL

arus_ok "${cfg[@]}" sync p
got=$(q "SELECT id, c_small, c_int, c_num, c_n38, c_numu, c_real, c_dbl, c_bool, c_text, c_vc,
  c_ch, hex(c_bytea), c_uuid, c_date, c_time, c_ts, c_tstz, c_json, c_jsonb, c_arr, c_enum,
  c_iv, c_inet, updated_at FROM $AN.t FINAL ORDER BY id")
printf '%s\n' "$got" >"$WORK/got"
want=$(printf '%s\n' \
  "1	-32768	2147483647	1234567890123456789012345678.1234567890	99999999999999999999999999999999999999	NaN	nan	inf	1	q\\'\"\\\\ \\t tab\\nnl 😀 \\\\N	NULL	ab   	00FF10	a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11	1970-01-02	23:59:59.999999	1969-12-31 23:59:59.5	1900-12-31 19:00:00	{\"a\": [1, 2.50]}	{\"b\": null}	[1,null,3]	happy	P1Y2M3DT4H5M6.5S	192.168.0.1/24	2024-01-01 00:00:00" \
  "2	32767	-2147483648	-9999999999999999999999999999.9999999999	0	-12.5000	-inf	1e-310	0		\\\\	     		00000000-0000-0000-0000-000000000000	2105-12-31	00:00:00	9999-12-31 23:59:59.999999	2038-01-19 03:14:08.000001	null	[]	[]	sad	P-1D	::1	2024-01-02 00:00:00" \
  "3	\\N	\\N	\\N	\\N	\\N	\\N	\\N	\\N	\\N	\\N	\\N	\\N	\\N	\\N	\\N	\\N	\\N	\\N	\\N	\\N	\\N	\\N	\\N	2024-01-02 00:00:00")
assert_eq "$got" "$want" "typed values"
assert_eq "$(q "SELECT type FROM system.columns WHERE database = '$AN' AND table = 't' AND name IN ('id', 'c_small', 'c_num', 'c_n38', 'c_numu', 'c_real', 'c_uuid', 'c_date') ORDER BY name" | tr '\n' ' ')" \
  "Nullable(Date) Nullable(Decimal(38, 0)) Nullable(Decimal(38, 10)) Nullable(String) Nullable(Float32) Nullable(Int16) Nullable(UUID) Int64 " "column types"

# Update and soft delete: one row per key, the deleted row hidden.
pg_sql -c "UPDATE src.t SET c_text = 'changed', updated_at = '2024-03-01 00:00:00+00' WHERE id = 1;
  UPDATE src.t SET deleted_at = now(), updated_at = '2024-03-02 00:00:00+00' WHERE id = 2;"
arus_ok "${cfg[@]}" sync p
assert_eq "$(q "SELECT count(), uniqExact(id) FROM $AN.t FINAL")" "3	3" "one row per key"
assert_eq "$(q "SELECT id, c_text FROM $AN.t_current ORDER BY id" | tr '\n\t' ' :')" "1:changed 3:\\N " "current view"
echo ok

# Shared setup for the PostgreSQL integration tests (sourced by it_pg_*.sh after lib.sh):
# a private database per test (so arus_state is private too), dropped on exit, and an arus.yml
# whose `pgsrc` source and `pgdst` destination point at it. Passwords come from the
# environment through ${ARUS_PG_PASSWORD}, never from argv or the file.
need_pg

PG_IT_DB="arus_$IT_ID"
PGDB=$ARUS_PG_DB pg_sql -c "CREATE DATABASE \"$PG_IT_DB\""
on_exit "PGDB=$ARUS_PG_DB pg_sql -c 'DROP DATABASE IF EXISTS \"$PG_IT_DB\" WITH (FORCE)'"
export PGDB=$PG_IT_DB

# pg_endpoint NAME TYPE [extra YAML flow entries...]: one endpoint line for arus.yml.
pg_endpoint() {
    local name=$1 type=$2
    shift 2
    local extra=""
    for kv in "$@"; do extra+=", $kv"; done
    echo "  $name: {type: $type, host: $ARUS_PG_HOST, port: $ARUS_PG_PORT, username: $ARUS_PG_USER, password: \"\${ARUS_PG_PASSWORD}\", database: $PG_IT_DB$extra}"
}

# pg_write_config SOURCE_SCHEMA PIPELINE_BODY: $WORK/arus.yml with pgsrc (schema given),
# pgdst, and one pipeline `p` whose YAML body (indented 4) is the second argument.
pg_write_config() {
    {
        echo "sources:"
        pg_endpoint pgsrc postgresql "schema: \"$1\""
        echo "destinations:"
        pg_endpoint pgdst postgresql
        echo "pipelines:"
        echo "  p:"
        echo "    source: pgsrc"
        echo "    destination: pgdst"
        printf '%s\n' "$2"
    } >"$WORK/arus.yml"
}

# "extracted loaded deleted status" of the newest run of table $1 (from arus_state.runs).
pg_last_run() {
    pg_sql -v t="$1" <<'SQL'
SELECT rows_extracted || ' ' || rows_loaded || ' ' || rows_deleted || ' ' || status
FROM arus_state.runs WHERE table_name = :'t' ORDER BY started_at DESC LIMIT 1
SQL
}

# src.alltypes (and schema src): every type the connector maps, with NULLs, hostile
# text, 38-digit and huge numerics, NaN/±Infinity, pre-1970 and far-future timestamps.
pg_create_alltypes() {
    pg_sql <<'SQL'
CREATE SCHEMA IF NOT EXISTS src;
CREATE TYPE src.mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE src.alltypes (
  id bigint PRIMARY KEY, c_small smallint, c_int integer, c_num numeric(38,10),
  c_n38 numeric(38,0), c_numu numeric, c_real real, c_dbl double precision, c_bool boolean,
  c_text text, c_vc varchar(20), c_ch char(5), c_bytea bytea, c_uuid uuid, c_date date,
  c_time time, c_ts timestamp, c_tstz timestamptz, c_json json, c_jsonb jsonb, c_arr integer[],
  c_tarr text[], c_enum src.mood, c_iv interval, c_inet inet,
  updated_at timestamptz NOT NULL);
INSERT INTO src.alltypes VALUES
 (1, -32768, 2147483647, 1234567890123456789012345678.1234567890,
  99999999999999999999999999999999999999, 'NaN', 'NaN', 'Infinity', true,
  E'q''"\\ \t tab\nnl \r cr 😀 \\N', 'NULL', 'ab', '\x00ff10', 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11',
  '1900-02-28', '23:59:59.999999', '1969-12-31 23:59:59.5', '1901-01-01 00:00:00+05',
  '{"a": [1, 2.50, "x"], "k\"ey": "\\u00e9"}', '{"b": null}', '{1,NULL,3}', '{"a b","c\"d",NULL}',
  'happy', '1 year 2 months 3 days 04:05:06.5', '192.168.0.1/24', '2024-01-01 00:00:00+00'),
 (2, 32767, -2147483648, -9999999999999999999999999999.9999999999,
  -99999999999999999999999999999999999999, '-Infinity', '-Infinity', '-Infinity', false, '',
  '\', ' ', '', '00000000-0000-0000-0000-000000000000', '0001-01-01', '00:00:00',
  '0001-01-01 00:00:00', '9999-12-31 23:59:59.999999+00', 'null', '[]', '{}', '{}', 'sad',
  '-1 days -00:00:00.000001', '::1', '2024-01-02 00:00:00+00'),
 (3, NULL, NULL, NULL, NULL, 1e100, 1.5e-30, 1e308, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '2024-01-02 00:00:00+00'),
 (4, 0, 0, 0.0000000001, 0, 0.000000000000000000000000000000000000001, -0.0, 5e-324, true,
  E'\\', E'tab\tend', 'abcde', '\x5c6e', 'ffffffff-ffff-ffff-ffff-ffffffffffff', '1970-01-01',
  '12:00:00.5', '1970-01-01 00:00:00', '1969-07-20 20:17:40.123456-04', '"\\t"', '123.4500',
  '{{1,2},{3,4}}', '{"\\\\","\t"}', 'ok', 'P1Y', '2001:db8::/32', '2024-01-02 00:00:00+00');
SQL
}

# Rows of src.alltypes and the typed copy $1 that differ (0 = equal). Arrays became jsonb, json
# became jsonb, enums/inet became text (inet compared as inet: its text cast adds the mask),
# char(n) became varchar(n) with its padding.
pg_compare_alltypes() {
    pg_sql <<SQL
SELECT count(*) FROM src.alltypes s FULL JOIN $1 d USING (id)
WHERE s.id IS NULL OR d.id IS NULL OR
  (s.c_small, s.c_int, s.c_num, s.c_n38, s.c_numu, s.c_real, s.c_dbl, s.c_bool, s.c_text,
   s.c_vc, s.c_ch, s.c_bytea, s.c_uuid, s.c_date, s.c_time, s.c_ts, s.c_tstz, s.c_json::jsonb,
   s.c_jsonb, to_jsonb(s.c_arr), to_jsonb(s.c_tarr), s.c_enum::text, s.c_iv, s.c_inet,
   s.updated_at)
  IS DISTINCT FROM
  (d.c_small, d.c_int, d.c_num, d.c_n38, d.c_numu, d.c_real, d.c_dbl, d.c_bool, d.c_text,
   d.c_vc, d.c_ch::char(5), d.c_bytea, d.c_uuid, d.c_date, d.c_time, d.c_ts, d.c_tstz, d.c_json,
   d.c_jsonb, d.c_arr, d.c_tarr, d.c_enum, d.c_iv, d.c_inet::inet, d.updated_at)
SQL
}

# Lines arus wrote to stderr, not counting libmongoc's start-up warning when /dev/shm counters
# are unavailable (printed by the library itself, outside arus's control).
arus_err_lines() {
    grep -v ' mongoc: Falling back to malloc for counters' "$WORK/err" | grep -c . || true
}

# pg_split_kill_at PIPELINE TABLE N [ARGS...]: run `arus sync PIPELINE ARGS` (config
# $WORK/arus.yml, stderr appended to $WORK/kill.err) and SIGKILL it once N of TABLE's split-load
# key ranges are done in the destination's state; fails (1) when the run ended first.
pg_split_kill_at() {
    local pipe=$1 table=$2 want=$3 pid
    shift 3
    "$ARUS" -c "$WORK/arus.yml" sync "$pipe" "$@" >/dev/null 2>>"$WORK/kill.err" &
    pid=$!
    while kill -0 "$pid" 2>/dev/null; do
        if [ "$(pg_sql -c "SELECT count(*) FROM arus_state.watermarks WHERE pipeline = '$pipe' AND table_name LIKE '$table#arus_range:%' AND watermark = 'done'")" -ge "$want" ]; then
            kill -KILL "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
            return 0
        fi
        sleep 0.02
    done
    wait "$pid" 2>/dev/null || true
    return 1
}

#!/usr/bin/env bash
# bench/pg_to_pg.sh - PostgreSQL -> PostgreSQL throughput of `arus sync` against the engine's
# own pipe (psql \copy ... to stdout | psql \copy ... from stdin) on the same 1,000,000-row
# table of mixed columns, in one run: rows/s, the ratio, and arus's peak RSS (/usr/bin/time -v).
# arus is measured twice: a full refresh (COPY straight into the shadow table) and a first
# incremental load (COPY into a temporary table + INSERT ... ON CONFLICT merge).
# Usage: bench/pg_to_pg.sh [ROWS]   (ARUS=path/to/arus, default build/arus; needs the servers
# from scripts/servers.sh). Not a test: prints figures, drops its database at the end.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
ROWS=${1:-1000000}
ARUS=${ARUS:-$ROOT/build/arus}
eval "$(bash "$ROOT/scripts/servers.sh" env)"
export PGPASSWORD=$ARUS_PG_PASSWORD
DB="arus_bench_$$"
WORK=$(mktemp -d /tmp/arus-bench.XXXXXX)
psqlx() { psql -X -q -A -t -v ON_ERROR_STOP=1 -h "$ARUS_PG_HOST" -p "$ARUS_PG_PORT" -U "$ARUS_PG_USER" "$@"; }
cleanup() {
    psqlx -d "$ARUS_PG_DB" -c "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)" || true
    rm -rf "$WORK"
}
trap cleanup EXIT
[ -x "$ARUS" ] || { echo "no arus binary at $ARUS (build first or set ARUS)" >&2; exit 1; }

psqlx -d "$ARUS_PG_DB" -c "CREATE DATABASE \"$DB\""
echo "generating $ROWS rows ..."
psqlx -d "$DB" <<SQL
CREATE SCHEMA src;
CREATE TABLE src.bench (
  id bigint PRIMARY KEY, customer_id integer NOT NULL, amount numeric(12,2), ratio double precision,
  status text, note varchar(64), active boolean, ref uuid, created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL);
INSERT INTO src.bench
SELECT i, ((i::bigint * 7919) % 100000)::int, (i % 100000) / 100.0, i / 3.0,
       (ARRAY['new', 'paid', 'shipped', 'returned'])[1 + i % 4], 'note ' || md5(i::text),
       i % 3 = 0, md5(i::text)::uuid,
       timestamptz '2024-01-01' + i * interval '1 second', timestamptz '2024-01-01' + i * interval '2 seconds'
FROM generate_series(1, $ROWS) i;
VACUUM ANALYZE src.bench;
CREATE SCHEMA pipe;
CREATE TABLE pipe.bench (LIKE src.bench INCLUDING ALL);
SQL

COLS="id, customer_id, amount, ratio, status, note, active, ref, created_at, updated_at"
echo "pipe: psql \\copy to stdout | psql \\copy from stdin ..."
t0=$(date +%s.%N)
psqlx -d "$DB" -c "\\copy (SELECT $COLS FROM src.bench ORDER BY id) to stdout" |
    psqlx -d "$DB" -c "\\copy pipe.bench ($COLS) from stdin"
t1=$(date +%s.%N)
pipe_s=$(echo "$t1 - $t0" | bc -l)

cat >"$WORK/arus.yml" <<YML
sources:
  pgsrc: {type: postgresql, host: $ARUS_PG_HOST, port: $ARUS_PG_PORT, username: $ARUS_PG_USER, password: "\${ARUS_PG_PASSWORD}", database: $DB, schema: src}
destinations:
  pgdst: {type: postgresql, host: $ARUS_PG_HOST, port: $ARUS_PG_PORT, username: $ARUS_PG_USER, password: "\${ARUS_PG_PASSWORD}", database: $DB}
pipelines:
  refresh: {source: pgsrc, destination: pgdst, tables: [bench], target_schema: refresh}
  incremental: {source: pgsrc, destination: pgdst, tables: [bench], target_schema: incremental}
YML

# run_arus LABEL ARGS...: time one arus sync, print its figures, check the row count.
run_arus() {
    local label=$1 schema=$2
    shift 2
    echo "arus: $label ..."
    local t0 t1
    t0=$(date +%s.%N)
    /usr/bin/time -v "$ARUS" -q -c "$WORK/arus.yml" sync "$@" 2>"$WORK/time.txt" >/dev/null ||
        { cat "$WORK/time.txt" >&2; exit 1; }
    t1=$(date +%s.%N)
    local secs rss n cpu
    secs=$(echo "$t1 - $t0" | bc -l)
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/time.txt")
    cpu=$(awk -F': ' '/User time|System time/ {s += $2} END {print s}' "$WORK/time.txt")
    n=$(psqlx -d "$DB" -c "SELECT count(*) FROM \"$schema\".bench")
    [ "$n" = "$ROWS" ] || { echo "arus $label loaded $n rows, expected $ROWS" >&2; exit 1; }
    printf '%-28s %8.2f s %10.0f rows/s  ratio %.2f x pipe  peak RSS %6.1f MB  arus CPU %.1f s\n' \
        "arus $label" "$secs" "$(echo "$ROWS / $secs" | bc -l)" "$(echo "$pipe_s / $secs" | bc -l)" \
        "$(echo "$rss / 1024" | bc -l)" "$cpu"
}

echo
printf '%-28s %8.2f s %10.0f rows/s\n' "pipe (psql | psql)" "$pipe_s" "$(echo "$ROWS / $pipe_s" | bc -l)"
run_arus "full refresh" refresh refresh --full-refresh
run_arus "incremental first load" incremental incremental

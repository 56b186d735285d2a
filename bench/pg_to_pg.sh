#!/usr/bin/env bash
# bench/pg_to_pg.sh - PostgreSQL -> PostgreSQL throughput of `arus sync` against the engine's
# own pipe (psql \copy ... to stdout | psql \copy ... from stdin) on the same 1,000,000-row
# table of mixed columns, in one run: rows/s, the ratio, and arus's peak RSS (/usr/bin/time -v).
# arus is measured twice: a full refresh (COPY straight into the shadow table) and a first
# incremental load (COPY into a temporary table + INSERT ... ON CONFLICT merge).
# Each contestant runs ROUNDS times (default 2), alternating, and the best time counts.
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
cat >"$WORK/arus.yml" <<YML
sources:
  pgsrc: {type: postgresql, host: $ARUS_PG_HOST, port: $ARUS_PG_PORT, username: $ARUS_PG_USER, password: "\${ARUS_PG_PASSWORD}", database: $DB, schema: src}
destinations:
  pgdst: {type: postgresql, host: $ARUS_PG_HOST, port: $ARUS_PG_PORT, username: $ARUS_PG_USER, password: "\${ARUS_PG_PASSWORD}", database: $DB}
pipelines:
  refresh: {source: pgsrc, destination: pgdst, tables: [bench], target_schema: refresh}
  incremental: {source: pgsrc, destination: pgdst, tables: [bench], target_schema: incremental}
YML

now() { date +%s.%N; }
# best NAME SECONDS: keep the fastest time of each contestant (shared machines are noisy).
declare -A BEST RSS CPU
best() { [ -z "${BEST[$1]:-}" ] || (($(echo "$2 < ${BEST[$1]}" | bc -l))) && BEST[$1]=$2 || true; }

run_pipe() {
    psqlx -d "$DB" -c "TRUNCATE pipe.bench"
    local t0=$(now)
    psqlx -d "$DB" -c "\\copy (SELECT $COLS FROM src.bench ORDER BY id) to stdout" |
        psqlx -d "$DB" -c "\\copy pipe.bench ($COLS) from stdin"
    best pipe "$(echo "$(now) - $t0" | bc -l)"
}

# run_arus NAME TARGET_SCHEMA ARGS...: one arus sync from scratch (the target schema and the
# pipeline's state are dropped first), timed, with peak RSS and CPU from /usr/bin/time -v.
run_arus() {
    local name=$1 schema=$2
    shift 2
    psqlx -d "$DB" -c "DROP SCHEMA IF EXISTS \"$schema\" CASCADE" 2>/dev/null
    psqlx -d "$DB" -c "DELETE FROM arus_state.watermarks WHERE pipeline = '$name'" 2>/dev/null || true
    local t0=$(now)
    /usr/bin/time -v "$ARUS" -q -c "$WORK/arus.yml" sync "$@" 2>"$WORK/time.txt" >/dev/null ||
        { cat "$WORK/time.txt" >&2; exit 1; }
    best "$name" "$(echo "$(now) - $t0" | bc -l)"
    RSS[$name]=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/time.txt")
    CPU[$name]=$(awk -F': ' '/User time|System time/ {s += $2} END {print s}' "$WORK/time.txt")
    local n
    n=$(psqlx -d "$DB" -c "SELECT count(*) FROM \"$schema\".bench")
    [ "$n" = "$ROWS" ] || { echo "arus $name loaded $n rows, expected $ROWS" >&2; exit 1; }
}

for round in $(seq "${ROUNDS:-2}"); do
    echo "round $round: pipe, arus full refresh, arus first incremental load ..."
    run_pipe
    run_arus refresh refresh refresh --full-refresh
    run_arus incremental incremental incremental
done

echo
echo "$ROWS rows, best of ${ROUNDS:-2} rounds"
printf '%-30s %7.2f s %9.0f rows/s\n' "pipe (psql \\copy | psql \\copy)" "${BEST[pipe]}" \
    "$(echo "$ROWS / ${BEST[pipe]}" | bc -l)"
for name in refresh incremental; do
    label="arus full refresh"
    [ "$name" = incremental ] && label="arus first incremental load"
    printf '%-30s %7.2f s %9.0f rows/s  %.2fx pipe  peak RSS %5.1f MB  CPU %.1f s\n' "$label" \
        "${BEST[$name]}" "$(echo "$ROWS / ${BEST[$name]}" | bc -l)" \
        "$(echo "${BEST[pipe]} / ${BEST[$name]}" | bc -l)" "$(echo "${RSS[$name]} / 1024" | bc -l)" \
        "${CPU[$name]}"
done

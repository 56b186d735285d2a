#!/usr/bin/env bash
# bench/verify.sh - time `arus verify` of two equal tables next to a full refresh of the same
# table, PostgreSQL -> PostgreSQL, on a ROWS-row table of mixed columns (the one of
# bench/pg_to_pg.sh): seconds, rows/s and peak RSS (/usr/bin/time -v) of each, and their ratio.
# The refresh runs first (it also creates the typed table verify compares against); each is
# run ROUNDS times (default 2), alternating, and the best time counts.
# Usage: bench/verify.sh [ROWS]   (ARUS=path/to/arus, default build/arus; ROUNDS; needs the
# servers from scripts/servers.sh). Not a test: prints figures, drops its database at the end.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
ROWS=${1:-1000000}
ROUNDS=${ROUNDS:-2}
ARUS=${ARUS:-$ROOT/build/arus}
eval "$(bash "$ROOT/scripts/servers.sh" env)"
export PGPASSWORD=$ARUS_PG_PASSWORD
DB="arus_vbench_$$"
WORK=$(mktemp -d /tmp/arus-bench.XXXXXX)
psqlx() { psql -X -q -A -t -v ON_ERROR_STOP=1 -h "$ARUS_PG_HOST" -p "$ARUS_PG_PORT" -U "$ARUS_PG_USER" "$@"; }
cleanup() {
    psqlx -d "$ARUS_PG_DB" -c "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)" || true
    rm -rf "$WORK"
}
[ -n "${KEEP:-}" ] || trap cleanup EXIT
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
SQL

cat >"$WORK/arus.yml" <<YML
sources:
  pgsrc: {type: postgresql, host: $ARUS_PG_HOST, port: $ARUS_PG_PORT, username: $ARUS_PG_USER, password: "\${ARUS_PG_PASSWORD}", database: $DB, schema: src}
destinations:
  pgdst: {type: postgresql, host: $ARUS_PG_HOST, port: $ARUS_PG_PORT, username: $ARUS_PG_USER, password: "\${ARUS_PG_PASSWORD}", database: $DB}
pipelines:
  p: {source: pgsrc, destination: pgdst, tables: [bench]}
YML

now() { date +%s.%N; }
declare -A BEST RSS
best() { [ -z "${BEST[$1]:-}" ] || (($(echo "$2 < ${BEST[$1]}" | bc -l))) && BEST[$1]=$2 || true; }

# run NAME ARGS...: one timed arus call (exit 0 required), peak RSS kept.
run() {
    local name=$1
    shift
    local t0=$(now)
    /usr/bin/time -v "$ARUS" -q -c "$WORK/arus.yml" "$@" 2>"$WORK/time.txt" >"$WORK/out" ||
        { cat "$WORK/time.txt" "$WORK/out" >&2; exit 1; }
    best "$name" "$(echo "$(now) - $t0" | bc -l)"
    RSS[$name]=$(awk -F': ' '/Maximum resident/ {print $2}' "$WORK/time.txt")
}

for round in $(seq "$ROUNDS"); do
    echo "round $round: full refresh ..."
    run refresh sync p --full-refresh
    echo "round $round: verify ..."
    run verify verify p --json
done
jq -r '.tables[] | "verify: \(.table) \(.status), \(.source_rows) source rows, \(.destination_rows) destination rows, checksums \(.source_checksum) / \(.destination_checksum)"' "$WORK/out"

printf '\n%-14s %10s %12s %12s\n' "" seconds rows/s "peak RSS kB"
for n in refresh verify; do
    printf '%-14s %10.2f %12.0f %12s\n' "$n" "${BEST[$n]}" "$(echo "$ROWS / ${BEST[$n]}" | bc -l)" "${RSS[$n]}"
done
printf 'verify / full refresh: %.2f\n' "$(echo "${BEST[verify]} / ${BEST[refresh]}" | bc -l)"

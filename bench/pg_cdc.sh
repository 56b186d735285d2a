#!/usr/bin/env bash
# bench/pg_cdc.sh - PostgreSQL change data capture, PG -> PG on the shared test server:
#  1. initial copy: `arus sync` of a cdc pipeline (slot + exported snapshot + copy) against
#     today's `arus sync --full-refresh` of the same table;
#  2. apply rate: UPDATES single-row updates made in transactions of 100 rows while nothing
#     reads the slots, then the time to apply them all, `arus sync` (up to the WAL end at start)
#     against PostgreSQL's own logical replication (a publication and CREATE SUBSCRIPTION into a
#     second database of the same server; its slot made first with
#     pg_create_logical_replication_slot, the subscription with create_slot = false), re-enabled
#     and polled until its table equals the source; arus's peak RSS (/usr/bin/time -v);
#  3. end-to-end latency at light load: `arus sync --follow` running, 20 single-row inserts
#     0.3 s apart, each timed until the destination has it (polled every 20 ms).
# Usage: bench/pg_cdc.sh [UPDATES] [ROWS]   (defaults 1000000 and 1000000; ARUS=path/to/arus,
# default build/arus; BATCH=batch_size, default 10000). Not a test: prints figures, drops its
# databases, slots and subscription at the end.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
UPDATES=${1:-1000000}
ROWS=${2:-1000000}
BATCH=${BATCH:-10000}
ARUS=${ARUS:-$ROOT/build/arus}
eval "$(bash "$ROOT/scripts/servers.sh" env)"
export PGPASSWORD=$ARUS_PG_PASSWORD ARUS_PG_PASSWORD
B="arus_cdcbench_$$"
WORK=$(mktemp -d /tmp/arus-bench.XXXXXX)
psqlx() { psql -X -q -A -t -v ON_ERROR_STOP=1 -h "$ARUS_PG_HOST" -p "$ARUS_PG_PORT" -U "$ARUS_PG_USER" "$@"; }
cleanup() {
    psqlx -d "${B}_sub" -c "ALTER SUBSCRIPTION ${B}_sub DISABLE" 2>/dev/null || true
    psqlx -d "${B}_sub" -c "ALTER SUBSCRIPTION ${B}_sub SET (slot_name = NONE)" 2>/dev/null || true
    psqlx -d "${B}_sub" -c "DROP SUBSCRIPTION IF EXISTS ${B}_sub" 2>/dev/null || true
    psqlx -d postgres -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '${B}_src'" >/dev/null 2>&1 || true
    for db in src dst sub; do psqlx -d postgres -c "DROP DATABASE IF EXISTS ${B}_$db WITH (FORCE)" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT
[ -x "$ARUS" ] || { echo "no arus binary at $ARUS (build first or set ARUS)" >&2; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

for db in src dst sub; do psqlx -d postgres -c "CREATE DATABASE ${B}_$db"; done
TABLE_DDL="CREATE TABLE acct (id int PRIMARY KEY, balance bigint NOT NULL, note text, updated_at timestamptz NOT NULL)"
psqlx -d "${B}_src" -c "$TABLE_DDL"
psqlx -d "${B}_sub" -c "$TABLE_DDL"
echo "generating $ROWS rows ..."
psqlx -d "${B}_src" -c "INSERT INTO acct SELECT i, 0, 'account ' || i, now() FROM generate_series(1, $ROWS) i; ANALYZE acct"

cat >"$WORK/arus.yml" <<YML
sources:
  src: {type: postgresql, host: $ARUS_PG_HOST, port: $ARUS_PG_PORT, username: $ARUS_PG_USER, password: "\${ARUS_PG_PASSWORD}", database: ${B}_src}
destinations:
  dst: {type: postgresql, host: $ARUS_PG_HOST, port: $ARUS_PG_PORT, username: $ARUS_PG_USER, password: "\${ARUS_PG_PASSWORD}", database: ${B}_dst}
pipelines:
  full: {source: src, destination: dst, tables: [acct], batch_size: $BATCH, sync_mode: full_refresh, target_schema: full}
  cdc: {source: src, destination: dst, tables: [acct], batch_size: $BATCH, sync_mode: cdc, target_schema: cdc}
YML

t0=$(now)
"$ARUS" -c "$WORK/arus.yml" sync full >/dev/null
full_copy=$(since "$t0")
t0=$(now)
"$ARUS" -c "$WORK/arus.yml" sync cdc >/dev/null
cdc_copy=$(since "$t0")

# The yardstick: PostgreSQL's own logical replication into the third database.
psqlx -d "${B}_src" -c "CREATE PUBLICATION ${B}_pub FOR TABLE acct"
psqlx -d "${B}_src" -c "SELECT pg_create_logical_replication_slot('${B}_sub', 'pgoutput')" >/dev/null
psqlx -d "${B}_sub" -c "CREATE SUBSCRIPTION ${B}_sub CONNECTION 'host=$ARUS_PG_HOST port=$ARUS_PG_PORT dbname=${B}_src user=$ARUS_PG_USER password=$ARUS_PG_PASSWORD' PUBLICATION ${B}_pub WITH (create_slot = false, slot_name = '${B}_sub', copy_data = true)"
echo "waiting for the subscription's initial copy ..."
while [ "$(psqlx -d "${B}_sub" -c "SELECT count(*) FROM pg_subscription_rel WHERE srsubstate <> 'r'")" != 0 ]; do sleep 0.5; done
psqlx -d "${B}_sub" -c "ALTER SUBSCRIPTION ${B}_sub DISABLE"
sleep 1

echo "making $UPDATES single-row updates in transactions of 100 ..."
t0=$(now)
psqlx -d "${B}_src" <<SQL
DO \$\$
BEGIN
  FOR i IN 1..$UPDATES LOOP
    UPDATE acct SET balance = balance + 1, updated_at = now() WHERE id = 1 + (i::bigint * 7919) % $ROWS;
    IF i % 100 = 0 THEN COMMIT; END IF;
  END LOOP;
END
\$\$;
SQL
echo "  workload took $(since "$t0") s"
want=$(psqlx -d "${B}_src" -c "SELECT sum(balance) FROM acct")

/usr/bin/time -v -o "$WORK/time.txt" "$ARUS" -c "$WORK/arus.yml" sync cdc >/dev/null
arus_s=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$WORK/time.txt")
rss_kb=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$WORK/time.txt")
got=$(psqlx -d "${B}_dst" -c "SELECT sum(balance) FROM cdc.acct")
[ "$got" = "$want" ] || echo "WARNING: arus destination sum $got, source $want"

t0=$(now)
psqlx -d "${B}_sub" -c "ALTER SUBSCRIPTION ${B}_sub ENABLE"
while [ "$(psqlx -d "${B}_sub" -c "SELECT sum(balance) FROM acct")" != "$want" ]; do sleep 0.1; done
sub_s=$(since "$t0")

# Latency: one insert at a time while --follow runs.
"$ARUS" -c "$WORK/arus.yml" sync cdc --follow >/dev/null 2>"$WORK/follow.err" &
follower=$!
sleep 2
: >"$WORK/latency"
for i in $(seq 1 20); do
    t0=$(now)
    psqlx -d "${B}_src" -c "INSERT INTO acct VALUES ($ROWS + $i, 0, 'latency', now())"
    while [ -z "$(psqlx -d "${B}_dst" -c "SELECT 1 FROM cdc.acct WHERE id = $ROWS + $i")" ]; do sleep 0.02; done
    since "$t0" >>"$WORK/latency"
    echo >>"$WORK/latency"
    sleep 0.3
done
kill -TERM "$follower"
wait "$follower"
latency=$(sort -n "$WORK/latency" | awk '{ v[NR] = $1 } END { printf "median %.2f s, max %.2f s", v[int((NR + 1) / 2)], v[NR] }')

awk -v n="$UPDATES" -v a="$arus_s" -v s="$sub_s" -v rss="$rss_kb" -v fc="$full_copy" \
    -v cc="$cdc_copy" -v rows="$ROWS" 'BEGIN {
    printf "initial copy of %d rows: arus cdc (slot + snapshot + copy) %.2f s, arus --full-refresh %.2f s\n", rows, cc, fc
    printf "apply %d updates (100 per transaction):\n", n
    printf "  arus sync (cdc)            %8.2f s  %10.0f changes/s  peak RSS %.1f MB\n", a, n / a, rss / 1024
    printf "  PostgreSQL subscription    %8.2f s  %10.0f changes/s\n", s, n / s
    printf "  arus / subscription: %.2fx\n", s / a
}'
echo "end-to-end latency with --follow at light load (20 inserts): $latency"

#!/usr/bin/env bash
# bench/mongo_to_pg.sh - MongoDB -> PostgreSQL throughput of `arus sync` (first incremental
# load of a generated collection, batch 10,000): rows/s, arus's peak RSS, and where the time
# goes: arus's own CPU, the test server's CPU, and a plain libmongoc read of the same sorted
# cursor (mongo_load read) as the floor any MongoDB client pays on this server.
# Usage: bench/mongo_to_pg.sh [DOCS...]   (default: 100000 1000000, or $BENCH_ROWS; BUILD=build
# dir with arus and mongo_load, default build/; needs scripts/servers.sh and
# scripts/mongo-test-server.sh). With BENCH_RESULTS set (make bench), the last size's figures
# go there as one line of bench/run_all.sh's table: the yardstick is the plain read, since no
# MongoDB export tool is installed here.
# Not a test: prints figures, drops its MongoDB database and PostgreSQL schemas at the end.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
ARUS=${ARUS:-$BUILD/arus}
LOAD=$BUILD/mongo_load
SIZES=("${@:-100000}")
[ $# -gt 0 ] || SIZES=(${BENCH_ROWS:-100000 1000000})
eval "$(bash "$ROOT/scripts/servers.sh" env)"
eval "$(bash "$ROOT/scripts/mongo-test-server.sh" env)"
export ARUS_PG_PASSWORD PGPASSWORD=$ARUS_PG_PASSWORD
for f in "$ARUS" "$LOAD"; do [ -x "$f" ] || { echo "missing $f (build with -DARUS_WITH_MONGODB=ON)" >&2; exit 1; }; done
SRV_PID=$(tr -dc 0-9 < "${MONGO_TEST_DIR:-/tmp/arus-srv/mongo}/server.pid")
MDB="arus_bench_$$"
S="mbench_$$"
WORK=$(mktemp -d /tmp/arus-bench.XXXXXX)
psqlx() { psql -X -q -A -t -v ON_ERROR_STOP=1 -h "$ARUS_PG_HOST" -p "$ARUS_PG_PORT" -U "$ARUS_PG_USER" -d "$ARUS_PG_DB" "$@"; }
mload() { "$LOAD" "$MONGO_TEST_URI" "$MDB" "$@"; }
drop_data() {
    mload command '{"dropDatabase": 1}' >/dev/null 2>&1 || true
    psqlx -c "DROP SCHEMA IF EXISTS ${S}_an CASCADE; DROP SCHEMA IF EXISTS ${S}_raw CASCADE;
              DELETE FROM arus_state.watermarks WHERE pipeline LIKE '${S}%';
              DELETE FROM arus_state.runs WHERE pipeline LIKE '${S}%'" >/dev/null 2>&1 || true
}
cleanup() { drop_data; rm -rf "$WORK"; }
trap cleanup EXIT
# CPU seconds (user + system) the test server has used so far
srv_cpu() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$SRV_PID/stat"; }
# "cpu_ns runqueue_wait_ns" summed over the threads of a process (/proc/PID/task/*/schedstat):
# the time it ran and the time it was ready to run but waited for a core
sched() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{c += $1; w += $2} END {print c + 0, w + 0}'; }
# sched_sample PID: while PID (/usr/bin/time running arus) runs, keep the last schedstat of each of its threads and of
# its PostgreSQL backends (found by the target schema in their query) under $WORK/s.*: both end
# with arus, so they are read up to the last 50 ms
sched_sample() {
    local t pid
    rm -f "$WORK"/s.*
    while kill -0 "$1" 2>/dev/null; do
        for t in /proc/"$(pgrep -P "$1" | head -1)"/task/*; do cp "$t/schedstat" "$WORK/s.a${t##*/}" 2>/dev/null || true; done
        for pid in $(psqlx -c "SELECT pid FROM pg_stat_activity WHERE query LIKE '%${S}_%' AND pid <> pg_backend_pid()"); do
            cp "/proc/$pid/schedstat" "$WORK/s.p$pid" 2>/dev/null || true
        done
        sleep 0.05
    done
}
sched_sum() { cat "$WORK"/s."$1"* 2>/dev/null | awk '{c += $1; w += $2} END {printf "cpu %.2f s, waited for a core %.2f s", c / 1e9, w / 1e9}'; }

cat >"$WORK/arus.yml" <<YML
sources:
  mongo: {type: mongodb, url: "${MONGO_TEST_URI%/}/$MDB"}
destinations:
  pg: {type: postgresql, host: $ARUS_PG_HOST, port: $ARUS_PG_PORT, username: $ARUS_PG_USER, password: "\${ARUS_PG_PASSWORD}", database: $ARUS_PG_DB, target_schema: ${S}_an, raw_schema: ${S}_raw}
pipelines:
  ${S}: {source: mongo, destination: pg, tables: [bench], batch_size: 10000}
YML

for n in "${SIZES[@]}"; do
    drop_data
    echo "== $n documents"
    t0=$(date +%s.%N); mload gen bench "$n" >/dev/null; t1=$(date +%s.%N)
    printf '  insert (mongo_load, bulk 1000)   %8.2f s\n' "$(echo "$t1 - $t0" | bc -l)"
    t0=$(date +%s.%N); got=$(mload read bench 10000); t1=$(date +%s.%N)
    [ "$got" = "$n" ] || { echo "read $got documents, expected $n" >&2; exit 1; }
    read_s=$(echo "$t1 - $t0" | bc -l)
    printf '  plain sorted read (libmongoc)    %8.2f s %10.0f docs/s\n' "$read_s" \
        "$(echo "$n / $read_s" | bc -l)"
    c0=$(srv_cpu); q0=$(sched "$SRV_PID"); t0=$(date +%s.%N)
    /usr/bin/time -v "$ARUS" -q -c "$WORK/arus.yml" sync "$S" 2>"$WORK/time.txt" >/dev/null &
    apid=$!
    sched_sample "$apid"
    wait "$apid" || { cat "$WORK/time.txt" >&2; exit 1; }
    t1=$(date +%s.%N); c1=$(srv_cpu); q1=$(sched "$SRV_PID")
    rows=$(psqlx -c "SELECT count(*) FROM ${S}_an.bench")
    [ "$rows" = "$n" ] || { echo "arus loaded $rows rows, expected $n" >&2; exit 1; }
    wall=$(echo "$t1 - $t0" | bc -l)
    cpu=$(awk -F': ' '/User time|System time/ {s += $2} END {print s}' "$WORK/time.txt")
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/time.txt")
    printf '  arus sync mongo -> pg            %8.2f s %10.0f rows/s  peak RSS %6.1f MB\n' \
        "$wall" "$(echo "$n / $wall" | bc -l)" "$(echo "$rss / 1024" | bc -l)"
    printf '  time shares of the sync: arus CPU %.0f%%, test server CPU %.0f%%, plain read = %.0f%% of the wall time\n' \
        "$(echo "100 * $cpu / $wall" | bc -l)" "$(echo "100 * ($c1 - $c0) / $wall" | bc -l)" \
        "$(echo "100 * $read_s / $wall" | bc -l)"
    echo "$q0 $q1" | awk '{printf "  test server: cpu %.2f s, waited for a core %.2f s\n", ($3 - $1) / 1e9, ($4 - $2) / 1e9}'
    echo "  arus: $(sched_sum a)"
    echo "  arus's PostgreSQL backends: $(sched_sum p)"
done
[ -z "${BENCH_RESULTS:-}" ] || printf '%s\t%s\t%.2f\t-\t-\t%.2f\t%.2f\t%.1f\t%s\t%s\n' "MongoDB -> PostgreSQL" \
    "mongo_load read (libmongoc sorted read, no load)" "$read_s" "$wall" "$(echo "$read_s / $wall" | bc -l)" \
    "$(echo "$rss / 1024" | bc -l)" "BENCH_ROWS=$n bench/mongo_to_pg.sh" "" >>"$BENCH_RESULTS"

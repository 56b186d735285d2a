#!/usr/bin/env bash
# bench/parallel.sh - `parallelism: N` for N = 1, 2, 4 on a PostgreSQL -> PostgreSQL pipeline
# of TABLES tables (default 4) sharing ROWS rows (default 1,000,000; the pg_to_pg.sh shape),
# full refresh and first incremental load, best of ROUNDS alternating rounds: seconds, the
# speed-up over N = 1, peak RSS and arus's CPU. See bench/lib.sh for ROUNDS, ARUS.
# Usage: bench/parallel.sh [ROWS]
source "$(dirname "$0")/lib.sh"
bench_init pg pg "$@"
TABLES=${TABLES:-4}
NS=(1 2 4)
echo "generating $ROWS rows in $TABLES tables ..."
for t in $(seq "$TABLES"); do
    psqlx <<SQL
CREATE SCHEMA IF NOT EXISTS ${B}_src;
CREATE TABLE ${B}_src.t$t (
  id bigint PRIMARY KEY, customer_id integer NOT NULL, amount numeric(12,2), ratio double precision,
  status text, note varchar(64), active boolean, ref uuid, created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL);
INSERT INTO ${B}_src.t$t
SELECT i, ((i::bigint * 7919) % 100000)::int, (i % 100000) / 100.0, i / 3.0,
       (ARRAY['new', 'paid', 'shipped', 'returned'])[1 + i % 4], 'note ' || md5(i::text),
       i % 3 = 0, md5(i::text)::uuid,
       timestamptz '2024-01-01' + i * interval '1 second', timestamptz '2024-01-01' + i * interval '2 seconds'
FROM generate_series(1, $ROWS / $TABLES) i;
VACUUM ANALYZE ${B}_src.t$t;
SQL
done
{
    echo "sources:"
    echo "  src: $(yml_src_pg "${B}_src")"
    echo "destinations:"
    echo "  dst: $(yml_dst_pg)"
    echo "pipelines:"
    for n in "${NS[@]}"; do
        echo "  ${B}_n$n: {source: src, destination: dst, tables: ['t*'], target_schema: ${B}_n$n, parallelism: $n}"
        bench_at_exit "psqlx -c 'DROP SCHEMA IF EXISTS ${B}_n$n CASCADE'"
    done
} >"$WORK/arus.yml"

run() { # N MODE ARGS...
    local n=$1 mode=$2 t0
    shift 2
    dst_drop "n$n"
    "$ARUS" -q -c "$WORK/arus.yml" reset "${B}_n$n" --yes >/dev/null 2>&1 || true
    t0=$(now)
    /usr/bin/time -v "$ARUS" -q -c "$WORK/arus.yml" sync "${B}_n$n" "$@" 2>"$WORK/time.txt" >/dev/null ||
        { cat "$WORK/time.txt" >&2; exit 1; }
    best "$mode$n" "$(calc "$(now) - $t0")"
    RSS[$mode$n]=$(awk -F': ' '/Maximum resident set size/ {printf "%.1f", $2 / 1024}' "$WORK/time.txt")
    CPU[$mode$n]=$(awk -F': ' '/User time|System time/ {s += $2} END {printf "%.1f", s}' "$WORK/time.txt")
}
for round in $(seq "$ROUNDS"); do
    for n in "${NS[@]}"; do
        echo "round $round: parallelism $n ..."
        run "$n" refresh --full-refresh
        run "$n" incremental
    done
done
echo
echo "PostgreSQL -> PostgreSQL, $ROWS rows in $TABLES tables, best of $ROUNDS rounds; $(nproc) cores; load: $(uptime | sed 's/.*load average: //')"
for mode in refresh incremental; do
    for n in "${NS[@]}"; do
        printf '%-12s parallelism %d: %7.2f s  %.2fx N=1  peak RSS %6s MB  arus CPU %s s\n' "$mode" "$n" \
            "${BEST[$mode$n]}" "$(calc "${BEST[${mode}1]} / ${BEST[$mode$n]}")" "${RSS[$mode$n]}" "${CPU[$mode$n]}"
    done
done

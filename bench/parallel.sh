#!/usr/bin/env bash
# bench/parallel.sh - `parallelism: N` for N = 1, 2, 4 on a PostgreSQL -> PostgreSQL pipeline
# of TABLES tables (default 4) sharing ROWS rows (default 1,000,000; the pg_to_pg.sh shape),
# and on ONE table of ROWS rows (split into key ranges for N > 1), full refresh and first
# incremental load, best of ROUNDS alternating rounds: seconds, rows/s, the speed-up over N = 1,
# peak RSS, arus's CPU and the CPU seconds of the PostgreSQL backends that served the run
# (source: the ones that ran COPY ... TO STDOUT; destination: the others), sampled from /proc.
# See bench/lib.sh for ROUNDS, ARUS.
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
psqlx <<SQL
CREATE TABLE ${B}_src.one (LIKE ${B}_src.t1 INCLUDING ALL);
INSERT INTO ${B}_src.one SELECT s.i, t.customer_id, t.amount, t.ratio, t.status, t.note, t.active,
       t.ref, t.created_at, t.updated_at
FROM generate_series(1, $ROWS) s(i) JOIN ${B}_src.t1 t ON t.id = 1 + (s.i - 1) % ($ROWS / $TABLES);
UPDATE ${B}_src.one SET updated_at = updated_at + id * interval '1 millisecond';
VACUUM ANALYZE ${B}_src.one;
SQL
{
    echo "sources:"
    echo "  src: $(yml_src_pg "${B}_src")"
    echo "destinations:"
    echo "  dst: $(yml_dst_pg)"
    echo "pipelines:"
    for n in "${NS[@]}"; do
        echo "  ${B}_n$n: {source: src, destination: dst, tables: ['t*'], target_schema: ${B}_n$n, parallelism: $n}"
        echo "  ${B}_o$n: {source: src, destination: dst, tables: [one], target_schema: ${B}_o$n, parallelism: $n}"
        bench_at_exit "psqlx -c 'DROP SCHEMA IF EXISTS ${B}_n$n CASCADE'"
        bench_at_exit "psqlx -c 'DROP SCHEMA IF EXISTS ${B}_o$n CASCADE'"
    done
} >"$WORK/arus.yml"

run() { # LABEL N MODE ARGS...
    local label=$1 n=$2 mode=$3
    shift 3
    dst_drop "$label$n"
    "$ARUS" -q -c "$WORK/arus.yml" reset "${B}_$label$n" --yes >/dev/null 2>&1 || true
    bench_watched "$label$mode$n" "${B}_$label$n" "$@"
}
for round in $(seq "$ROUNDS"); do
    for n in "${NS[@]}"; do
        echo "round $round: parallelism $n ..."
        run n "$n" refresh --full-refresh
        run n "$n" incremental
        run o "$n" refresh --full-refresh
        run o "$n" incremental
    done
done
echo
echo "PostgreSQL -> PostgreSQL, best of $ROUNDS rounds; $(nproc) cores; load: $(uptime | sed 's/.*load average: //')"
for label in n o; do
    if [ "$label" = n ]; then echo "$ROWS rows in $TABLES tables:"; else echo "one table of $ROWS rows (key ranges for N > 1):"; fi
    for mode in refresh incremental; do
        for n in "${NS[@]}"; do
            k=$label$mode$n
            printf '  %-12s N=%d: %7.2f s %9.0f rows/s  %.2fx N=1  peak RSS %6s MB  CPU s: arus %s, source backends %s, destination backends %s\n' \
                "$mode" "$n" "${BEST[$k]}" "$(calc "$ROWS / ${BEST[$k]}")" "$(calc "${BEST[${label}${mode}1]} / ${BEST[$k]}")" \
                "${RSS[$k]}" "${CPU[$k]}" "${SRCCPU[$k]}" "${DSTCPU[$k]}"
        done
    done
done

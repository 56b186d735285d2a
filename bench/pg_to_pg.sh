#!/usr/bin/env bash
# bench/pg_to_pg.sh - PostgreSQL -> PostgreSQL throughput of `arus sync` (full refresh: COPY
# straight into the shadow table; first incremental load: COPY into a temporary table + INSERT
# ... ON CONFLICT merge) against the engine's own pipe (psql \copy ... to stdout | psql \copy
# ... from stdin) on a generated 1,000,000-row table of mixed columns (uuid, timestamptz,
# numeric, ...); see bench/lib.sh.
# Usage: bench/pg_to_pg.sh [ROWS]   (ROUNDS, ARUS, BENCH_RESULTS as in bench/lib.sh)
source "$(dirname "$0")/lib.sh"
bench_init pg pg "$@"
echo "generating $ROWS rows ..."
psqlx <<SQL
CREATE SCHEMA ${B}_src;
CREATE TABLE ${B}_src.bench (
  id bigint PRIMARY KEY, customer_id integer NOT NULL, amount numeric(12,2), ratio double precision,
  status text, note varchar(64), active boolean, ref uuid, created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL);
INSERT INTO ${B}_src.bench
SELECT i, ((i::bigint * 7919) % 100000)::int, (i % 100000) / 100.0, i / 3.0,
       (ARRAY['new', 'paid', 'shipped', 'returned'])[1 + i % 4], 'note ' || md5(i::text),
       i % 3 = 0, md5(i::text)::uuid,
       timestamptz '2024-01-01' + i * interval '1 second', timestamptz '2024-01-01' + i * interval '2 seconds'
FROM generate_series(1, $ROWS) i;
VACUUM ANALYZE ${B}_src.bench;
CREATE SCHEMA ${B}_pipe;
CREATE TABLE ${B}_pipe.bench (LIKE ${B}_src.bench INCLUDING ALL);
SQL
bench_config "$(yml_src_pg "${B}_src")" bench

COLS="id, customer_id, amount, ratio, status, note, active, ref, created_at, updated_at"
pipe_reset() { psqlx -c "TRUNCATE ${B}_pipe.bench"; }
pipe_run() {
    psqlx -c "\\copy (SELECT $COLS FROM ${B}_src.bench ORDER BY id) to stdout" |
        psqlx -c "\\copy ${B}_pipe.bench ($COLS) from stdin"
}
bench_run
bench_report "PostgreSQL -> PostgreSQL" "psql \\copy to stdout | psql \\copy from stdin"

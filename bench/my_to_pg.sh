#!/usr/bin/env bash
# bench/my_to_pg.sh - MySQL/MariaDB -> PostgreSQL throughput of `arus sync` (first
# incremental load: streamed prepared-statement extract, COPY into PostgreSQL) against the
# engines' own pipe (mariadb --quick --batch export, NULLs rewritten to COPY's \N, into
# psql \copy ... from stdin) and, when installed, pgloader, on the same 1,000,000-row
# `orders` table: rows/s, ratios, peak RSS (/usr/bin/time -v).
# Usage: bench/my_to_pg.sh [ROWS]   (ARUS=path/to/arus, default build/arus; needs the servers
# from scripts/servers.sh). Not a test: prints figures, drops what it created at the end.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
ROWS=${1:-1000000}
ARUS=${ARUS:-$ROOT/build/arus}
eval "$(bash "$ROOT/scripts/servers.sh" env)"
export MYSQL_PWD=$ARUS_MY_PASSWORD PGPASSWORD=$ARUS_PG_PASSWORD
B="arus_bench_$$"
WORK=$(mktemp -d /tmp/arus-bench.XXXXXX)
mysqlx() { mariadb --no-defaults --protocol=TCP -h "$ARUS_MY_HOST" -P "$ARUS_MY_PORT" -u "$ARUS_MY_USER" --default-character-set=utf8mb4 "$@"; }
psqlx() { psql -X -q -A -t -v ON_ERROR_STOP=1 -h "$ARUS_PG_HOST" -p "$ARUS_PG_PORT" -U "$ARUS_PG_USER" -d "$ARUS_PG_DB" "$@"; }
cleanup() {
    mysqlx -e "DROP DATABASE IF EXISTS \`${B}_src\`" || true
    psqlx -c "DROP SCHEMA IF EXISTS ${B}_pipe CASCADE; DROP SCHEMA IF EXISTS ${B}_an CASCADE; DROP SCHEMA IF EXISTS ${B}_stg CASCADE; DROP SCHEMA IF EXISTS ${B}_pgl CASCADE" || true
    psqlx -c "DELETE FROM arus_state.watermarks WHERE pipeline LIKE '${B}%'; DELETE FROM arus_state.runs WHERE pipeline LIKE '${B}%'" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
[ -x "$ARUS" ] || { echo "no arus binary at $ARUS (build first or set ARUS)" >&2; exit 1; }

echo "generating $ROWS rows ..."
mysqlx <<SQL
CREATE DATABASE \`${B}_src\`;
USE \`${B}_src\`;
CREATE TABLE orders (
  id BIGINT PRIMARY KEY, customer_id INT NOT NULL, status VARCHAR(20) NOT NULL, note TEXT,
  amount DECIMAL(12,2) NOT NULL, weight DOUBLE, paid TINYINT(1) NOT NULL, qty SMALLINT NOT NULL,
  created_at DATETIME NOT NULL, updated_at DATETIME(3) NOT NULL, deleted_at DATETIME NULL,
  attrs JSON, ship_date DATE NULL, KEY (updated_at));
INSERT INTO orders
SELECT seq, (seq * 7919) % 100000, ELT(1 + seq % 4, 'new', 'paid', 'shipped', 'returned'),
       CONCAT('note ', seq, IF(seq % 5 = 0, '\t"quoted" \\\\ back\nslash ''q'' ü', '')),
       (seq % 100000) / 100, seq / 3, seq % 2, seq % 300,
       '2024-01-01' + INTERVAL seq SECOND, '2024-01-01' + INTERVAL (seq DIV 1000) SECOND, NULL,
       JSON_OBJECT('k', seq, 'tag', ELT(1 + seq % 3, 'a', 'b', 'c')),
       IF(seq % 3 = 0, NULL, '2024-03-01' + INTERVAL (seq % 365) DAY)
FROM seq_1_to_$ROWS;
ANALYZE TABLE orders;
SQL
psqlx <<SQL
CREATE SCHEMA ${B}_pipe;
CREATE TABLE ${B}_pipe.orders (
  id bigint PRIMARY KEY, customer_id integer NOT NULL, status varchar(20) NOT NULL, note text,
  amount numeric(12,2) NOT NULL, weight double precision, paid boolean NOT NULL,
  qty smallint NOT NULL, created_at timestamp NOT NULL, updated_at timestamp(3) NOT NULL,
  deleted_at timestamp, attrs jsonb, ship_date date);
SQL

COLS="id, customer_id, status, note, amount, weight, paid, qty, created_at, updated_at, deleted_at, attrs, ship_date"
echo "pipe: mariadb --quick --batch | sed (NULL -> \\N) | psql \\copy from stdin ..."
t0=$(date +%s.%N)
mysqlx --quick --batch --skip-column-names -e "SELECT $COLS FROM \`${B}_src\`.orders ORDER BY id" |
    sed -e ':a' -e 's/\(^\|\t\)NULL\(\t\|$\)/\1\\N\2/' -e 'ta' |
    psqlx -c "\\copy ${B}_pipe.orders ($COLS) from stdin"
t1=$(date +%s.%N)
pipe_s=$(echo "$t1 - $t0" | bc -l)

cat >"$WORK/arus.yml" <<YML
sources:
  mysrc: {type: mysql, host: $ARUS_MY_HOST, port: $ARUS_MY_PORT, username: $ARUS_MY_USER, password: "\${ARUS_MY_PASSWORD}", database: ${B}_src}
destinations:
  pgdst: {type: postgresql, host: $ARUS_PG_HOST, port: $ARUS_PG_PORT, username: $ARUS_PG_USER, password: "\${ARUS_PG_PASSWORD}", database: $ARUS_PG_DB, raw_schema: ${B}_stg, target_schema: ${B}_an}
pipelines:
  ${B}: {source: mysrc, destination: pgdst, tables: [orders]}
YML
echo "arus: incremental first load ..."
/usr/bin/time -v "$ARUS" -q -c "$WORK/arus.yml" sync "$B" 2>"$WORK/arus.time" >/dev/null ||
    { cat "$WORK/arus.time" >&2; exit 1; }
[ "$(psqlx -c "SELECT count(*) FROM ${B}_an.orders")" = "$ROWS" ] || { echo "arus loaded a wrong row count" >&2; exit 1; }
fp() { psqlx -c "SELECT count(*), sum(hashtext(concat_ws('|', id, customer_id, status, note, amount, weight, paid::int, qty, created_at, updated_at, attrs::jsonb::text, ship_date))) FROM $1.orders"; }
[ "$(fp "${B}_an")" = "$(fp "${B}_pipe")" ] || echo "WARNING: arus data differs from the pipe's copy" >&2
elapsed() { awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s}' "$1"; }
rss_mb() { awk -F': ' '/Maximum resident set size/ {printf "%.1f", $2 / 1024}' "$1"; }

pgl=""
if command -v pgloader >/dev/null; then
    echo "pgloader ..."
    psqlx -c "CREATE SCHEMA ${B}_pgl"
    cat >"$WORK/load.pgl" <<PGL
LOAD DATABASE FROM mysql://$ARUS_MY_USER:$ARUS_MY_PASSWORD@$ARUS_MY_HOST:$ARUS_MY_PORT/${B}_src
INTO postgresql://$ARUS_PG_USER:$ARUS_PG_PASSWORD@$ARUS_PG_HOST:$ARUS_PG_PORT/$ARUS_PG_DB
WITH include drop, create tables, create indexes, reset sequences
ALTER SCHEMA '${B}_src' RENAME TO '${B}_pgl';
PGL
    /usr/bin/time -v pgloader --quiet "$WORK/load.pgl" >/dev/null 2>"$WORK/pgl.time" || { tail -5 "$WORK/pgl.time" >&2; }
    pgl=yes
fi

printf '\n%-40s %8s %12s %8s %10s\n' "method ($ROWS rows)" "seconds" "rows/s" "ratio" "peak RSS"
printf '%-40s %8.2f %12.0f %8s %10s\n' "mariadb --batch | sed | psql \\copy" "$pipe_s" "$(echo "$ROWS / $pipe_s" | bc -l)" "1.00" "-"
s=$(elapsed "$WORK/arus.time")
printf '%-40s %8.2f %12.0f %8.2f %9sMB\n' "arus sync (incremental first load)" "$s" "$(echo "$ROWS / $s" | bc -l)" "$(echo "$pipe_s / $s" | bc -l)" "$(rss_mb "$WORK/arus.time")"
if [ -n "$pgl" ]; then
    s=$(elapsed "$WORK/pgl.time")
    printf '%-40s %8.2f %12.0f %8.2f %9sMB\n' "pgloader" "$s" "$(echo "$ROWS / $s" | bc -l)" "$(echo "$pipe_s / $s" | bc -l)" "$(rss_mb "$WORK/pgl.time")"
else
    echo "pgloader: not installed (apt-get install pgloader to compare)"
fi
echo "(ratio = pipe seconds / method seconds; > 1 means faster than the pipe)"

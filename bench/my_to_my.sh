#!/usr/bin/env bash
# bench/my_to_my.sh - MySQL/MariaDB -> MySQL/MariaDB throughput of `arus sync` against the
# engine's own pipe (mariadb --quick --batch export | mariadb LOAD DATA LOCAL INFILE
# '/dev/stdin') on the same 1,000,000-row `orders` table of mixed columns, in one run: rows/s,
# the ratio, and arus's peak RSS (/usr/bin/time -v). arus is measured twice: a full refresh
# (LOAD DATA straight into the shadow table) and a first incremental load (LOAD DATA into a
# temporary table + INSERT ... SELECT ... ON DUPLICATE KEY UPDATE merge).
# Usage: bench/my_to_my.sh [ROWS]   (ARUS=path/to/arus, default build/arus; needs the servers
# from scripts/servers.sh). Not a test: prints figures, drops its databases at the end.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
ROWS=${1:-1000000}
ARUS=${ARUS:-$ROOT/build/arus}
eval "$(bash "$ROOT/scripts/servers.sh" env)"
export MYSQL_PWD=$ARUS_MY_PASSWORD
B="arus_bench_$$"
WORK=$(mktemp -d /tmp/arus-bench.XXXXXX)
mysqlx() { mariadb --no-defaults --protocol=TCP -h "$ARUS_MY_HOST" -P "$ARUS_MY_PORT" -u "$ARUS_MY_USER" --default-character-set=utf8mb4 "$@"; }
cleanup() {
    for db in src pipe stg refresh incremental; do mysqlx -e "DROP DATABASE IF EXISTS \`${B}_$db\`" || true; done
    mysqlx -e "DELETE FROM arus_state.watermarks WHERE pipeline LIKE '${B}%'; DELETE FROM arus_state.runs WHERE pipeline LIKE '${B}%'" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
[ -x "$ARUS" ] || { echo "no arus binary at $ARUS (build first or set ARUS)" >&2; exit 1; }

echo "generating $ROWS rows ..."
mysqlx <<SQL
CREATE DATABASE \`${B}_src\`; CREATE DATABASE \`${B}_pipe\`;
CREATE TABLE \`${B}_src\`.orders (
  id BIGINT PRIMARY KEY, customer_id INT NOT NULL, status VARCHAR(20) NOT NULL, note TEXT,
  amount DECIMAL(12,2) NOT NULL, weight DOUBLE, paid TINYINT(1) NOT NULL, qty SMALLINT NOT NULL,
  created_at DATETIME NOT NULL, updated_at DATETIME(3) NOT NULL, deleted_at DATETIME NULL,
  attrs JSON, ship_date DATE NULL, KEY (updated_at));
USE \`${B}_src\`;
INSERT INTO \`${B}_src\`.orders
SELECT seq, (seq * 7919) % 100000, ELT(1 + seq % 4, 'new', 'paid', 'shipped', 'returned'),
       CONCAT('note ', seq, IF(seq % 5 = 0, '\t"quoted" \\\\ back\nslash ''q'' ü', '')),
       (seq % 100000) / 100, seq / 3, seq % 2, seq % 300,
       '2024-01-01' + INTERVAL seq SECOND, '2024-01-01' + INTERVAL (seq DIV 1000) SECOND, NULL,
       JSON_OBJECT('k', seq, 'tag', ELT(1 + seq % 3, 'a', 'b', 'c')),
       IF(seq % 3 = 0, NULL, '2024-03-01' + INTERVAL (seq % 365) DAY)
FROM seq_1_to_$ROWS;
ANALYZE TABLE \`${B}_src\`.orders;
CREATE TABLE \`${B}_pipe\`.orders LIKE \`${B}_src\`.orders;
SQL

COLS="id, customer_id, status, note, amount, weight, paid, qty, created_at, updated_at, deleted_at, attrs, ship_date"
echo "pipe: mariadb --quick --batch | mariadb LOAD DATA LOCAL INFILE '/dev/stdin' ..."
t0=$(date +%s.%N)
# --batch prints NULL as the word NULL: the nullable columns go through variables.
mysqlx --quick --batch --skip-column-names -e "SELECT $COLS FROM \`${B}_src\`.orders ORDER BY id" |
    mysqlx --local-infile=1 -e "LOAD DATA LOCAL INFILE '/dev/stdin' INTO TABLE \`${B}_pipe\`.orders CHARACTER SET utf8mb4 (id, customer_id, status, @note, amount, @weight, paid, qty, created_at, updated_at, @deleted_at, @attrs, @ship_date) SET note = NULLIF(@note, 'NULL'), weight = NULLIF(@weight, 'NULL'), deleted_at = NULLIF(@deleted_at, 'NULL'), attrs = NULLIF(@attrs, 'NULL'), ship_date = NULLIF(@ship_date, 'NULL')"
t1=$(date +%s.%N)
pipe_s=$(echo "$t1 - $t0" | bc -l)
[ "$(mysqlx -N -e "SELECT COUNT(*) FROM \`${B}_pipe\`.orders")" = "$ROWS" ] || { echo "pipe loaded a wrong row count" >&2; exit 1; }

cat >"$WORK/arus.yml" <<YML
sources:
  mysrc: {type: mysql, host: $ARUS_MY_HOST, port: $ARUS_MY_PORT, username: $ARUS_MY_USER, password: "\${ARUS_MY_PASSWORD}", database: ${B}_src}
destinations:
  mydst: {type: mysql, host: $ARUS_MY_HOST, port: $ARUS_MY_PORT, username: $ARUS_MY_USER, password: "\${ARUS_MY_PASSWORD}", raw_schema: ${B}_stg}
pipelines:
  ${B}_refresh: {source: mysrc, destination: mydst, tables: [orders], target_schema: ${B}_refresh}
  ${B}_incremental: {source: mysrc, destination: mydst, tables: [orders], target_schema: ${B}_incremental}
YML

run_arus() { # label pipeline [args]
    local label=$1 pipeline=$2
    shift 2
    echo "arus: $label ..."
    /usr/bin/time -v "$ARUS" -q -c "$WORK/arus.yml" sync "$pipeline" "$@" 2>"$WORK/$label.time" >/dev/null ||
        { cat "$WORK/$label.time" >&2; exit 1; }
    local n
    n=$(mysqlx -N -e "SELECT COUNT(*) FROM \`${B}_$label\`.orders")
    [ "$n" = "$ROWS" ] || { echo "arus $label loaded $n rows, expected $ROWS" >&2; exit 1; }
}
elapsed() { awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s}' "$WORK/$1.time"; }
rss_mb() { awk -F': ' '/Maximum resident set size/ {printf "%.1f", $2 / 1024}' "$WORK/$1.time"; }

run_arus refresh "${B}_refresh" --full-refresh
run_arus incremental "${B}_incremental"

# same data both ways (the pipe's copy is the reference)
# (arus writes every DATETIME(n) as DATETIME(6): the values compare at that precision)
fp() { mysqlx -N -e "SELECT COUNT(*), SUM(CRC32(CONCAT_WS('|', id, customer_id, HEX(status), HEX(note), amount, weight, paid, qty, CAST(created_at AS DATETIME(6)), CAST(updated_at AS DATETIME(6)), CAST(deleted_at AS DATETIME(6)), HEX(attrs), ship_date))) FROM \`$1\`.orders"; }
want=$(fp "${B}_pipe")
for label in refresh incremental; do
    [ "$(fp "${B}_$label")" = "$want" ] || echo "WARNING: $label data differs from the pipe's copy" >&2
done

printf '\n%-34s %8s %12s %8s %10s\n' "method ($ROWS rows)" "seconds" "rows/s" "ratio" "peak RSS"
printf '%-34s %8.2f %12.0f %8s %10s\n' "mariadb --batch | LOAD DATA LOCAL" "$pipe_s" "$(echo "$ROWS / $pipe_s" | bc -l)" "1.00" "-"
for label in refresh incremental; do
    s=$(elapsed "$label")
    printf '%-34s %8.2f %12.0f %8.2f %9sMB\n' "arus sync ($label)" "$s" "$(echo "$ROWS / $s" | bc -l)" \
        "$(echo "$pipe_s / $s" | bc -l)" "$(rss_mb "$label")"
done
echo "(ratio = pipe seconds / method seconds; > 1 means faster than the pipe)"

#!/usr/bin/env bash
# bench/ch_my_to_ch.sh - MySQL/MariaDB -> ClickHouse throughput of `arus sync` against the
# engines' own pipe (mariadb --quick --batch export | clickhouse-client INSERT ... FORMAT
# TabSeparated over the native port) on the same 1,000,000-row `orders` table of mixed columns,
# in one run: rows/s, the ratio, and arus's peak RSS (/usr/bin/time -v). arus is measured as a
# first incremental load (typed ReplacingMergeTree table) and as a full refresh (shadow table
# + RENAME), both TabSeparated over HTTP keep-alive.
# The pipe's table takes the timestamp/date columns as String (mariadb --batch prints NULL as
# the word NULL, which ClickHouse's Date would refuse); arus stores timestamps as String on
# 18.16 too (no DateTime64), so both sides parse the same kinds of values.
# Usage: bench/ch_my_to_ch.sh [ROWS]   (ARUS=path/to/arus, default build/arus; BATCH=batch_size,
# default 10000: a table's batches stream into one INSERT per second or so; needs the servers
# from scripts/servers.sh). Not a test: prints figures, drops its databases at the end.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
ROWS=${1:-1000000}
ARUS=${ARUS:-$ROOT/build/arus}
eval "$(bash "$ROOT/scripts/servers.sh" env)"
export MYSQL_PWD=$ARUS_MY_PASSWORD ARUS_MY_PASSWORD ARUS_CH_PASSWORD
B="arus_chbench_$$"
WORK=$(mktemp -d /tmp/arus-bench.XXXXXX)
mysqlx() { mariadb --no-defaults --protocol=TCP -h "$ARUS_MY_HOST" -P "$ARUS_MY_PORT" -u "$ARUS_MY_USER" --default-character-set=utf8mb4 "$@"; }
# clickhouse-client reads the password from a config file, never from argv
cat >"$WORK/ch-client.xml" <<XML
<config><user>$ARUS_CH_USER</user><password>$ARUS_CH_PASSWORD</password></config>
XML
chc() { clickhouse-client --config-file="$WORK/ch-client.xml" --host "$ARUS_CH_HOST" --port "$ARUS_CH_TCP_PORT" "$@"; }
chq() { curl -sS --fail-with-body -H "X-ClickHouse-User: $ARUS_CH_USER" -H "X-ClickHouse-Key: $ARUS_CH_PASSWORD" "http://$ARUS_CH_HOST:$ARUS_CH_HTTP_PORT/" --data-binary "$1"; }
cleanup() {
    mysqlx -e "DROP DATABASE IF EXISTS \`${B}_src\`" || true
    for db in pipe stg refresh incremental state; do chq "DROP DATABASE IF EXISTS ${B}_$db" || true; done
    rm -f "${TMPDIR:-/tmp}"/arus-ch-*-"${B}"_state-*.lock
    rm -rf "$WORK"
}
trap cleanup EXIT
[ -x "$ARUS" ] || { echo "no arus binary at $ARUS (build first or set ARUS)" >&2; exit 1; }

echo "generating $ROWS rows ..."
mysqlx <<SQL
CREATE DATABASE \`${B}_src\`;
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
SQL
chq "CREATE DATABASE ${B}_pipe"
chq "CREATE TABLE ${B}_pipe.orders (id Int64, customer_id Int32, status String, note String,
  amount Decimal(12, 2), weight Float64, paid UInt8, qty Int16, created_at String,
  updated_at String, deleted_at String, attrs String, ship_date String)
  ENGINE = MergeTree() ORDER BY id"

COLS="id, customer_id, status, note, amount, weight, paid, qty, created_at, updated_at, deleted_at, attrs, ship_date"
echo "pipe: mariadb --quick --batch | clickhouse-client INSERT ... FORMAT TabSeparated ..."
t0=$(date +%s.%N)
mysqlx --quick --batch --skip-column-names -e "SELECT $COLS FROM \`${B}_src\`.orders ORDER BY id" |
    chc --query "INSERT INTO ${B}_pipe.orders FORMAT TabSeparated"
t1=$(date +%s.%N)
pipe_s=$(echo "$t1 - $t0" | bc -l)
[ "$(chq "SELECT count() FROM ${B}_pipe.orders")" = "$ROWS" ] || { echo "pipe loaded a wrong row count" >&2; exit 1; }

cat >"$WORK/arus.yml" <<YML
sources:
  mysrc: {type: mysql, host: $ARUS_MY_HOST, port: $ARUS_MY_PORT, username: $ARUS_MY_USER, password: "\${ARUS_MY_PASSWORD}", database: ${B}_src}
destinations:
  ch: {type: clickhouse, host: $ARUS_CH_HOST, port: $ARUS_CH_HTTP_PORT, username: $ARUS_CH_USER, password: "\${ARUS_CH_PASSWORD}", raw_schema: ${B}_stg, state_schema: ${B}_state}
pipelines:
  ${B}_refresh: {source: mysrc, destination: ch, tables: [orders], target_schema: ${B}_refresh, batch_size: ${BATCH:-10000}}
  ${B}_incremental: {source: mysrc, destination: ch, tables: [orders], target_schema: ${B}_incremental, batch_size: ${BATCH:-10000}}
YML

run_arus() { # label pipeline [args]
    local label=$1 pipeline=$2
    shift 2
    echo "arus: $label ..."
    # -v -v: the destination's debug line says how long it waited for ClickHouse
    /usr/bin/time -v "$ARUS" -v -v -c "$WORK/arus.yml" sync "$pipeline" "$@" 2>"$WORK/$label.time" >/dev/null ||
        { cat "$WORK/$label.time" >&2; exit 1; }
    local n
    n=$(chq "SELECT count() FROM ${B}_$label.orders FINAL")
    [ "$n" = "$ROWS" ] || { echo "arus $label loaded $n rows, expected $ROWS" >&2; exit 1; }
}
elapsed() { awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s}' "$WORK/$1.time"; }
ch_wait() { grep -o '[0-9.]* s waiting for the server' "$WORK/$1.time" | cut -d' ' -f1; }
cpu_s() { awk -F': ' '/(User|System) time/ {s += $2} END {printf "%.2f", s}' "$WORK/$1.time"; }
rss_mb() { awk -F': ' '/Maximum resident set size/ {printf "%.1f", $2 / 1024}' "$WORK/$1.time"; }

run_arus incremental "${B}_incremental"
run_arus refresh "${B}_refresh" --full-refresh

# same data both ways (the pipe's copy is the reference; mariadb prints DATETIME(3) with
# ".000", arus's canonical text trims a zero fraction)
fp() { chq "SELECT count(), sum(cityHash64(id, customer_id, status, $2(note), toString(amount), weight, paid, qty, created_at, replaceRegexpOne(updated_at, '\\\\.0+\$', ''), $2(attrs))) FROM $1"; }
want=$(fp "${B}_pipe.orders" "")
for label in incremental refresh; do
    [ "$(fp "${B}_$label.orders FINAL" "assumeNotNull")" = "$want" ] || echo "WARNING: $label data differs from the pipe's copy" >&2
done

printf '\n%-40s %8s %12s %8s %10s %9s %8s\n' "method ($ROWS rows)" "seconds" "rows/s" "ratio" "peak RSS" "CH wait" "arus CPU"
printf '%-40s %8.2f %12.0f %8s %10s %9s %8s\n' "mariadb --batch | clickhouse-client TSV" "$pipe_s" "$(echo "$ROWS / $pipe_s" | bc -l)" "1.00" "-" "-" "-"
for label in incremental refresh; do
    s=$(elapsed "$label")
    printf '%-40s %8.2f %12.0f %8.2f %9sMB %8ss %7ss\n' "arus sync ($label)" "$s" "$(echo "$ROWS / $s" | bc -l)" \
        "$(echo "$pipe_s / $s" | bc -l)" "$(rss_mb "$label")" "$(ch_wait "$label")" "$(cpu_s "$label")"
done
echo "(ratio = pipe seconds / method seconds; > 1 means faster than the pipe. CH wait = time"
echo " arus's loader thread spent in HTTP requests to ClickHouse, while the extract thread reads"
echo " MySQL; batches stream into one INSERT (one part on disk) per second or 500,000 rows)"

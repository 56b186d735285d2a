#!/usr/bin/env bash
# bench/my_cdc.sh - MariaDB binlog change data capture on the shared test servers: UPDATES
# single-row updates made in transactions of 100 (a table of ROWS rows) while nothing reads the
# binlog, then the time `arus sync` of a cdc pipeline takes to apply them all into PostgreSQL and
# into MariaDB, with arus's peak RSS (/usr/bin/time -v). The issue's yardstick (mariadb-binlog
# piped into mariadb replaying the same binlog) is bench/my_cdc_replay.sh, on private servers:
# on the shared server a replay would re-apply other tests' events.
# Usage: bench/my_cdc.sh [UPDATES] [ROWS]   (defaults 1000000 and 100000; ARUS=path/to/arus,
# default build/arus; BATCH=batch_size, default 10000). Not a test: prints figures, drops its
# databases at the end.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
UPDATES=${1:-1000000}
ROWS=${2:-100000}
BATCH=${BATCH:-10000}
ARUS=${ARUS:-$ROOT/build/arus}
eval "$(bash "$ROOT/scripts/servers.sh" env)"
export PGPASSWORD=$ARUS_PG_PASSWORD ARUS_PG_PASSWORD ARUS_MY_PASSWORD MYSQL_PWD=$ARUS_MY_PASSWORD
B="arus_mycdcbench_$$"
WORK=$(mktemp -d /tmp/arus-bench.XXXXXX)
psqlx() { psql -X -q -A -t -v ON_ERROR_STOP=1 -h "$ARUS_PG_HOST" -p "$ARUS_PG_PORT" -U "$ARUS_PG_USER" "$@"; }
my() { mariadb --no-defaults --protocol=TCP -h "$ARUS_MY_HOST" -P "$ARUS_MY_PORT" -u "$ARUS_MY_USER" --batch --skip-column-names "$@"; }
cleanup() {
    psqlx -d postgres -c "DROP DATABASE IF EXISTS ${B} WITH (FORCE)" 2>/dev/null || true
    my -e "DROP DATABASE IF EXISTS ${B}_src; DROP DATABASE IF EXISTS ${B}_stg; DROP DATABASE IF EXISTS ${B}_an;
           DELETE FROM arus_state.watermarks WHERE pipeline = '${B}_my'; DELETE FROM arus_state.runs WHERE pipeline = '${B}_my'" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
[ -x "$ARUS" ] || { echo "no arus binary at $ARUS (build first or set ARUS)" >&2; exit 1; }

psqlx -d postgres -c "CREATE DATABASE ${B}"
for d in src stg an; do my -e "CREATE DATABASE ${B}_$d"; done
my "${B}_src" -e "CREATE TABLE acct (id INT PRIMARY KEY, balance BIGINT NOT NULL, note VARCHAR(40), updated_at DATETIME(6) NOT NULL);
                  INSERT INTO acct SELECT seq, 0, CONCAT('account ', seq), NOW(6) FROM seq_1_to_$ROWS"

cat >"$WORK/arus.yml" <<YML
sources:
  src: {type: mariadb, host: $ARUS_MY_HOST, port: $ARUS_MY_PORT, username: $ARUS_MY_USER, password: "\${ARUS_MY_PASSWORD}", database: ${B}_src}
destinations:
  pg: {type: postgresql, host: $ARUS_PG_HOST, port: $ARUS_PG_PORT, username: $ARUS_PG_USER, password: "\${ARUS_PG_PASSWORD}", database: ${B}}
  my: {type: mariadb, url: "mysql://$ARUS_MY_USER:\${ARUS_MY_PASSWORD}@$ARUS_MY_HOST:$ARUS_MY_PORT/", raw_schema: ${B}_stg, target_schema: ${B}_an}
pipelines:
  ${B}_pg: {source: src, destination: pg, tables: [acct], batch_size: $BATCH, sync_mode: cdc}
  ${B}_my: {source: src, destination: my, tables: [acct], batch_size: $BATCH, sync_mode: cdc}
YML
for p in pg my; do "$ARUS" -c "$WORK/arus.yml" sync "${B}_$p" >/dev/null; done

echo "making $UPDATES single-row updates in transactions of 100 ..."
t0=$(date +%s.%N)
awk -v n="$UPDATES" -v rows="$ROWS" 'BEGIN { for (i = 1; i <= n; i++) {
    if (i % 100 == 1) print "BEGIN;"
    printf "UPDATE acct SET balance = balance + 1, updated_at = NOW(6) WHERE id = %d;\n", 1 + (i * 7919) % rows
    if (i % 100 == 0 || i == n) print "COMMIT;" } }' | my "${B}_src"
echo "  workload took $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }') s"
want=$(my -e "SELECT SUM(balance) FROM ${B}_src.acct")

run() { # p: apply with arus sync, print the figures
    /usr/bin/time -v -o "$WORK/time.txt" "$ARUS" -c "$WORK/arus.yml" sync "${B}_$1" >/dev/null
    local s rss
    s=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$WORK/time.txt")
    rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$WORK/time.txt")
    awk -v l="$2" -v n="$UPDATES" -v a="$s" -v r="$rss" \
        'BEGIN { printf "  %-22s %8.2f s %10.0f changes/s  peak RSS %.1f MB\n", l, a, n / a, r / 1024 }'
}
echo "apply $UPDATES updates (100 per transaction):"
run pg "MariaDB -> PostgreSQL"
got=$(psqlx -d "$B" -c "SELECT sum(balance) FROM analytics.acct")
[ "$got" = "$want" ] || echo "WARNING: PostgreSQL sum $got, source $want"
run my "MariaDB -> MariaDB"
got=$(my -e "SELECT SUM(balance) FROM ${B}_an.acct")
[ "$got" = "$want" ] || echo "WARNING: MariaDB sum $got, source $want"

#!/usr/bin/env bash
# bench/my_cdc_replay.sh - MariaDB binlog CDC against the issue's yardstick, on PRIVATE MariaDB
# servers started here (a replay on the shared test server would re-apply other tests' events):
# a source with the row binlog (ROW, FULL images, full row metadata) and a replay target without
# one. UPDATES single-row updates in transactions of 100 are made on the source while nothing
# reads it; then, alternately, `mariadb-binlog --read-from-remote-server` of exactly those
# binlog files piped into `mariadb` (the target holding the same starting data) and `arus sync`
# of a cdc pipeline applying the same events into that target (MariaDB -> MariaDB) and into the
# shared PostgreSQL (MariaDB -> PostgreSQL). The initial copies are made before the workload and
# not timed. Prints changes/s both ways, the ratio, arus's peak RSS, and CPU seconds per run of
# the client side (arus; mariadb-binlog + mariadb), of the source and of the target server
# (/proc of each mariadbd; PostgreSQL's is not counted).
# Usage: bench/my_cdc_replay.sh [UPDATES] [ROWS]   (defaults 1000000 and 100000; ARUS=path/to/
# arus, default build/arus; BATCH=batch_size, default 10000; DURABLE=1 (default) keeps
# innodb_flush_log_at_trx_commit=1 on the target, 0 sets it to 0). Not a test.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
UPDATES=${1:-1000000}
ROWS=${2:-100000}
BATCH=${BATCH:-10000}
DURABLE=${DURABLE:-1}
ARUS=${ARUS:-$ROOT/build/arus}
[ -x "$ARUS" ] || { echo "no arus binary at $ARUS (build first or set ARUS)" >&2; exit 1; }
command -v mariadbd >/dev/null && command -v mariadb-binlog >/dev/null \
    || { echo "needs mariadbd and mariadb-binlog" >&2; exit 1; }
eval "$(bash "$ROOT/scripts/servers.sh" env)"
export PGPASSWORD=$ARUS_PG_PASSWORD ARUS_PG_PASSWORD
B="arus_mycdcreplay_$$"
WORK=$(mktemp -d /tmp/arus-bench.XXXXXX)
chmod 755 "$WORK"
SRC_PORT=$((24306 + $$ % 1000))
DST_PORT=$((SRC_PORT + 1000))
uopt=()
[ "$(id -u)" = 0 ] && uopt=(--user=mysql)
PIDS=()

psqlx() { psql -X -q -A -t -v ON_ERROR_STOP=1 -h "$ARUS_PG_HOST" -p "$ARUS_PG_PORT" -U "$ARUS_PG_USER" "$@"; }
at() { # port, mariadb client arguments...
    local port=$1
    shift
    mariadb --no-defaults --protocol=TCP -h 127.0.0.1 -P "$port" -u root --batch --skip-column-names "$@"
}
cleanup() {
    psqlx -d postgres -c "DROP DATABASE IF EXISTS ${B} WITH (FORCE)" 2>/dev/null || true
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

server() { # name port extra mariadbd options...: start a private server, its pid in PID_<name>
    local name=$1 port=$2 dir=$WORK/$1
    shift 2
    mkdir -p "$dir/data"
    [ "$(id -u)" = 0 ] && chown -R mysql "$dir"
    (cd / && mariadb-install-db --no-defaults --datadir="$dir/data" "${uopt[@]}" \
        --auth-root-authentication-method=normal --skip-test-db --skip-name-resolve) \
        >"$dir/install.log" 2>&1 || { tail -5 "$dir/install.log" >&2; exit 1; }
    mariadbd --no-defaults --datadir="$dir/data" "${uopt[@]}" --port="$port" \
        --bind-address=127.0.0.1 --socket="$dir/sock" --pid-file="$dir/pid" --skip-name-resolve \
        --innodb-buffer-pool-size=128M --innodb-log-file-size=256M --max-allowed-packet=64M \
        --log-error="$dir/error.log" "$@" >>"$dir/stdout.log" 2>&1 &
    PIDS+=($!)
    eval "PID_$name=$!"
    for _ in $(seq 1 150); do
        at "$port" -e "SELECT 1" >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    echo "private mariadbd $name did not start: $(tail -5 "$dir/error.log")" >&2
    exit 1
}
cpu_of() { awk '{ printf "%.2f", ($14 + $15) / 100 }' "/proc/$1/stat"; } # utime+stime, 100 Hz
sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

echo "starting a private source (row binlog) on :$SRC_PORT and a replay target on :$DST_PORT ..."
server src "$SRC_PORT" --server-id=1 --log-bin="$WORK/src/data/binlog" --binlog-format=ROW \
    --binlog-row-image=FULL --binlog-row-metadata=FULL --innodb-flush-log-at-trx-commit=0
server dst "$DST_PORT" --server-id=2 --innodb-flush-log-at-trx-commit="$DURABLE"
at "$SRC_PORT" -e "CREATE USER arus@'%' IDENTIFIED BY 'arus'; GRANT ALL ON *.* TO arus@'%'"
at "$DST_PORT" -e "CREATE USER arus@'%' IDENTIFIED BY 'arus'; GRANT ALL ON *.* TO arus@'%'"
export BENCHPW=arus

# Same starting data in the source and in the replay target (same database name: the binlog
# names it).
at "$SRC_PORT" -e "CREATE DATABASE bench"
at "$SRC_PORT" bench -e "CREATE TABLE bench.acct (id INT PRIMARY KEY, balance BIGINT NOT NULL, note VARCHAR(40), updated_at DATETIME(6) NOT NULL);
                   INSERT INTO bench.acct SELECT seq, 0, CONCAT('account ', seq), '2026-01-01 00:00:00' FROM seq_1_to_$ROWS"
mariadb-dump --no-defaults --protocol=TCP -h 127.0.0.1 -P "$SRC_PORT" -u root --databases bench \
    | at "$DST_PORT"
psqlx -d postgres -c "CREATE DATABASE ${B}"

cat >"$WORK/arus.yml" <<YML
sources:
  src: {type: mariadb, host: 127.0.0.1, port: $SRC_PORT, username: arus, password: "\${BENCHPW}", database: bench}
destinations:
  pg: {type: postgresql, host: $ARUS_PG_HOST, port: $ARUS_PG_PORT, username: $ARUS_PG_USER, password: "\${ARUS_PG_PASSWORD}", database: ${B}}
  my: {type: mariadb, url: "mysql://arus:\${BENCHPW}@127.0.0.1:$DST_PORT/", raw_schema: arus_stg, target_schema: arus_an}
pipelines:
  pg: {source: src, destination: pg, tables: [acct], batch_size: $BATCH, sync_mode: cdc}
  my: {source: src, destination: my, tables: [acct], batch_size: $BATCH, sync_mode: cdc}
YML
at "$DST_PORT" -e "CREATE DATABASE arus_stg; CREATE DATABASE arus_an"
for p in pg my; do "$ARUS" -c "$WORK/arus.yml" sync "$p" >/dev/null; done # initial copies

# The workload alone in binlog files of its own: rotate before and after it.
at "$SRC_PORT" -e "FLUSH BINARY LOGS"
first=$(at "$SRC_PORT" -e "SHOW MASTER STATUS" | cut -f1)
echo "making $UPDATES single-row updates in transactions of 100 ..."
t0=$(date +%s.%N)
awk -v n="$UPDATES" -v rows="$ROWS" 'BEGIN { for (i = 1; i <= n; i++) {
    if (i % 100 == 1) print "BEGIN;"
    printf "UPDATE acct SET balance = balance + 1, updated_at = NOW(6) WHERE id = %d;\n", 1 + (i * 7919) % rows
    if (i % 100 == 0 || i == n) print "COMMIT;" } }' | at "$SRC_PORT" bench
echo "  workload took $(sub "$t0" "$(date +%s.%N)") s"
at "$SRC_PORT" -e "FLUSH BINARY LOGS"
files=$(at "$SRC_PORT" -e "SHOW BINARY LOGS" | cut -f1 | awk -v f="$first" '$1 >= f' | sed '$d')
bytes=$(at "$SRC_PORT" -e "SHOW BINARY LOGS" | awk -v f="$first" '$1 >= f { s += $2 } END { print s }')
want=$(at "$SRC_PORT" -e "SELECT SUM(balance), MAX(updated_at) FROM bench.acct")
echo "  binlog: $(echo $files) ($bytes bytes)"

report() { # label seconds rss_kb client_cpu source_cpu target_cpu
    awk -v l="$1" -v n="$UPDATES" -v a="$2" -v r="$3" -v c="$4" -v s="$5" -v d="$6" 'BEGIN {
        printf "  %-27s %7.2f s %8.0f changes/s  client CPU %6.2f s", l, a, n / a, c
        printf "  source CPU %6.2f s  target CPU %6.2f s", s, d
        if (r != "") printf "  peak RSS %5.1f MB", r / 1024
        printf "\n" }'
}
replay() {
    local c0 s0
    c0=$(cpu_of "$PID_dst")
    s0=$(cpu_of "$PID_src")
    # shellcheck disable=SC2086
    /usr/bin/time -f "%e %U %S" -o "$WORK/replay.txt" bash -c \
        "mariadb-binlog --no-defaults --read-from-remote-server --protocol=TCP -h 127.0.0.1 \
         -P $SRC_PORT -u root $files | mariadb --no-defaults --protocol=TCP -h 127.0.0.1 -P $DST_PORT -u root"
    REPLAY_S=$(cut -d' ' -f1 "$WORK/replay.txt")
    report "mariadb-binlog | mariadb" "$REPLAY_S" "" "$(awk '{ print $2 + $3 }' "$WORK/replay.txt")" \
        "$(sub "$s0" "$(cpu_of "$PID_src")")" "$(sub "$c0" "$(cpu_of "$PID_dst")")"
    [ "$(at "$DST_PORT" -e "SELECT SUM(balance), MAX(updated_at) FROM bench.acct")" = "$want" ] \
        || echo "WARNING: the replay's table differs from the source"
}
arus_run() { # pipeline label
    local c0 s0 s rss cpu
    c0=$(cpu_of "$PID_dst")
    s0=$(cpu_of "$PID_src")
    /usr/bin/time -v -o "$WORK/time.txt" "$ARUS" -c "$WORK/arus.yml" sync "$1" >/dev/null
    s=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$WORK/time.txt")
    rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$WORK/time.txt")
    cpu=$(awk -F': ' '/User time/ { u = $2 } /System time/ { s = $2 } END { print u + s }' "$WORK/time.txt")
    report "$2" "$s" "$rss" "$cpu" "$(sub "$s0" "$(cpu_of "$PID_src")")" \
        "$([ "$1" = my ] && sub "$c0" "$(cpu_of "$PID_dst")" || echo 0)"
    ARUS_S=$s
}

echo "apply $UPDATES updates (100 per transaction), $BATCH changes per arus destination transaction:"
replay
arus_run my "arus MariaDB -> MariaDB"
[ "$(at "$DST_PORT" -e "SELECT SUM(balance), MAX(updated_at) FROM arus_an.acct")" = "$want" ] \
    || echo "WARNING: arus's MariaDB table differs from the source"
awk -v a="$ARUS_S" -v r="$REPLAY_S" 'BEGIN { printf "  arus vs replay (MariaDB -> MariaDB): %.2fx the replay'"'"'s rate\n", r / a }'
arus_run pg "arus MariaDB -> PostgreSQL"
got=$(psqlx -d "$B" -c "SELECT sum(balance) FROM analytics.acct")
[ "$got" = "${want%%$'\t'*}" ] || echo "WARNING: PostgreSQL sum $got, source ${want%%$'\t'*}"
awk -v a="$ARUS_S" -v r="$REPLAY_S" 'BEGIN { printf "  arus vs replay (MariaDB -> PostgreSQL): %.2fx the replay'"'"'s rate\n", r / a }'

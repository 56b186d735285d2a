# Shared helpers for integration tests (sourced by tests/integration/it_*.sh).
# Each test gets a private work dir and unique database/schema names, and cleans up on exit.
# Server connection settings come from scripts/servers.sh env (PostgreSQL, MariaDB, ClickHouse)
# and scripts/mongo-test-server.sh env (MongoDB).
set -euo pipefail

: "${ARUS:?ARUS must point at the arus binary (ctest sets it)}"
: "${ARUS_SOURCE_DIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
eval "$(bash "$ARUS_SOURCE_DIR/scripts/servers.sh" env)"
eval "$(bash "$ARUS_SOURCE_DIR/scripts/mongo-test-server.sh" env)"

IT_NAME=$(basename "$0" .sh)
IT_ID="${IT_NAME#it_}_$$"            # unique per test process; safe as an identifier
WORK=$(mktemp -d "/tmp/arus-${IT_NAME}.XXXXXX")
IT_CLEANUPS=()

it_cleanup() {
    local i
    for ((i = ${#IT_CLEANUPS[@]} - 1; i >= 0; i--)); do eval "${IT_CLEANUPS[$i]}" >/dev/null 2>&1 || true; done
    rm -rf "$WORK"
}
trap it_cleanup EXIT
on_exit() { IT_CLEANUPS+=("$*"); }

fail() { echo "FAIL [$IT_NAME]: $*" >&2; exit 1; }
# Under make test (ARUS_IT_REQUIRE_SERVERS=1) a missing server is a failure, never a skip.
skip() {
    if [ "${ARUS_IT_REQUIRE_SERVERS:-0}" = 1 ]; then fail "required but unavailable: $*"; fi
    echo "SKIP [$IT_NAME]: $*" >&2
    exit 77
}
assert_eq() { # actual expected what
    [ "$1" == "$2" ] || fail "$3: expected '$2', got '$1'"
}
# Run arus; stdout to $WORK/out, stderr to $WORK/err; returns arus's exit code.
arus() { "$ARUS" "$@" >"$WORK/out" 2>"$WORK/err"; }
# Run arus and require success.
arus_ok() { arus "$@" || fail "arus $* exited $?: $(cat "$WORK/err")"; }

# arus_exit CODE WHAT ARGS...: run arus with ARGS and check its exit code.
arus_exit() {
    local want=$1 what=$2 rc=0
    shift 2
    arus "$@" || rc=$?
    [ "$rc" = "$want" ] || fail "$what: arus $* exited $rc, expected $want: $(head -c 400 "$WORK/err")"
}
# arus_fails CODE WHAT PATTERN ARGS...: arus_exit, and its stderr matches grep pattern PATTERN.
arus_fails() {
    local want=$1 what=$2 pattern=$3
    shift 3
    arus_exit "$want" "$what" "$@"
    grep -q -- "$pattern" "$WORK/err" || fail "$what: $(cat "$WORK/err")"
}

# sqlite_write_config SRC DST <BODY: $WORK/arus.yml reading SQLite file SRC (source `lite`)
# into SQLite file DST (destination `wh`) with pipeline `p`, whose YAML body (indented 4, maybe
# followed by more pipelines) comes from stdin.
sqlite_write_config() {
    {
        printf 'sources:\n  lite: {type: sqlite, path: %s}\ndestinations:\n' "$1"
        printf '  wh: {type: sqlite, path: %s}\npipelines:\n  p:\n' "$2"
        printf '    source: lite\n    destination: wh\n'
        cat
    } >"$WORK/arus.yml"
}

# sqlite_refusing_items SRC DST: table items (id, qty, updated_at) of 100 rows in SQLite file
# SRC, every 25th with a negative qty, and in DST the typed table analytics__items of pipeline
# `p` already there with a rule of its own: quantities are never negative (dead letters).
sqlite_refusing_items() {
    sqlite_sql "$1" "CREATE TABLE items (id INTEGER PRIMARY KEY, qty INTEGER, updated_at TIMESTAMP);
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100)
  INSERT INTO items SELECT i, CASE WHEN i % 25 = 0 THEN -i ELSE i END,
    printf('2024-01-01 00:%02d:%02d', i / 60, i % 60) FROM n;"
    sqlite_sql "$2" "CREATE TABLE analytics__items (id BIGINT NOT NULL, qty BIGINT CHECK (qty >= 0),
  updated_at TIMESTAMP, _arus_run_id TEXT NOT NULL, _arus_synced_at TEXT NOT NULL, PRIMARY KEY (id));"
}

# ---- server clients (password via environment, never argv)
pg_sql() { PGPASSWORD=$ARUS_PG_PASSWORD psql -X -q -A -t -v ON_ERROR_STOP=1 -h "$ARUS_PG_HOST" -p "$ARUS_PG_PORT" -U "$ARUS_PG_USER" -d "${PGDB:-$ARUS_PG_DB}" "$@"; }
my_sql() { MYSQL_PWD=$ARUS_MY_PASSWORD mariadb --no-defaults --protocol=TCP -h "$ARUS_MY_HOST" -P "$ARUS_MY_PORT" -u "$ARUS_MY_USER" --batch --skip-column-names "$@"; }
ch_sql() { curl -sS --fail-with-body -u "$ARUS_CH_USER:$ARUS_CH_PASSWORD" "http://$ARUS_CH_HOST:$ARUS_CH_HTTP_PORT/" --data-binary "$1"; }
sqlite_sql() { sqlite3 -batch -bail "$@"; }

need_pg() { pg_isready -q -h "$ARUS_PG_HOST" -p "$ARUS_PG_PORT" || skip "PostgreSQL not running (make test starts it)"; }
need_mysql() { my_sql -e "SELECT 1" >/dev/null 2>&1 || skip "MariaDB not running (make test starts it)"; }
need_ch() { curl -sf "http://$ARUS_CH_HOST:$ARUS_CH_HTTP_PORT/ping" >/dev/null || skip "ClickHouse not running (make test starts it)"; }
need_mongo() { bash "$ARUS_SOURCE_DIR/scripts/mongo-test-server.sh" status >/dev/null 2>&1 || skip "MongoDB test server not running (make test starts it)"; }

# Shared setup for the MySQL/MariaDB integration tests (sourced by it_my_*.sh after lib.sh):
# private source/staging/analytics databases per test, dropped on exit, a pipeline name unique
# to the test (arus_state is one database per server, so its rows are deleted on exit), and
# an arus.yml whose `mysrc` source and `mydst` destination point at them. Passwords reach arus
# through ${ARUS_MY_PASSWORD} and the mariadb client through MYSQL_PWD, never argv.
need_mysql

MY_SRC="arus_${IT_ID}_src"
MY_STG="arus_${IT_ID}_stg"
MY_AN="arus_${IT_ID}_an"
PIPE="p_${IT_ID}"

# The mariadb client as the tests use it: UTC session, utf8mb4, zero dates allowed.
mys() { my_sql --default-character-set=utf8mb4 --init-command="SET time_zone = '+00:00', sql_mode = ''" "$@"; }

for db in "$MY_SRC" "$MY_STG" "$MY_AN"; do
    mys -e "DROP DATABASE IF EXISTS \`$db\`; CREATE DATABASE \`$db\` CHARACTER SET utf8mb4"
    on_exit "my_sql -e 'DROP DATABASE IF EXISTS \`$db\`'"
done
on_exit "my_sql -e \"DELETE FROM arus_state.watermarks WHERE pipeline LIKE '${PIPE}%'; DELETE FROM arus_state.runs WHERE pipeline LIKE '${PIPE}%'\""

# my_endpoint NAME TYPE DATABASE [extra YAML flow entries...]
my_endpoint() {
    local name=$1 type=$2 db=$3
    shift 3
    local extra=""
    for kv in "$@"; do extra+=", $kv"; done
    echo "  $name: {type: $type, host: $ARUS_MY_HOST, port: $ARUS_MY_PORT, username: $ARUS_MY_USER, password: \"\${ARUS_MY_PASSWORD}\", database: $db$extra}"
}

# The `mydst` destination line of arus.yml: this test's staging and analytics databases.
my_destination() {
    echo "  mydst: {type: mariadb, url: \"mysql://$ARUS_MY_USER:\${ARUS_MY_PASSWORD}@$ARUS_MY_HOST:$ARUS_MY_PORT/\", raw_schema: $MY_STG, target_schema: $MY_AN}"
}

# my_write_config PIPELINE_BODY [EXTRA_PIPELINES]: $WORK/arus.yml with mysrc, mydst (raw and
# target databases of this test) and pipeline $PIPE whose YAML body (indented 4) is given.
my_write_config() {
    {
        echo "sources:"
        my_endpoint mysrc mysql "$MY_SRC"
        echo "destinations:"
        my_destination
        echo "pipelines:"
        echo "  $PIPE:"
        echo "    source: mysrc"
        echo "    destination: mydst"
        printf '%s\n' "$1"
        printf '%s\n' "${2:-}"
    } >"$WORK/arus.yml"
}

# "extracted loaded deleted status" of the newest run of table $1 in pipeline $2 (default $PIPE).
my_last_run() {
    mys -e "SELECT CONCAT_WS(' ', rows_extracted, rows_loaded, rows_deleted, status) FROM arus_state.runs WHERE pipeline = '${2:-$PIPE}' AND table_name = '$1' ORDER BY started_at DESC LIMIT 1"
}

# Fingerprint of a query's full output (ordered rows).
my_fp() { mys -e "$1" | md5sum | cut -d' ' -f1; }

# MariaDB -> SQLite tests of (id, v, updated_at) tables: my_sqlite_config WAREHOUSE KEYS writes
# $WORK/arus.yml with mysrc, a SQLite destination `wh` at WAREHOUSE and pipeline
# $PIPE: {source: mysrc, destination: wh, KEYS}; my_sqlite_same WAREHOUSE TABLE WHAT asserts the
# copy of TABLE equals the source (timestamps to the second).
my_sqlite_config() {
    {
        echo "sources:"
        my_endpoint mysrc mysql "$MY_SRC"
        echo "destinations:"
        echo "  wh: {type: sqlite, path: \"$1\"}"
        echo "pipelines:"
        echo "  $PIPE: {source: mysrc, destination: wh, $2}"
    } >"$WORK/arus.yml"
}
my_sqlite_same() {
    local src dst
    src=$(mys "$MY_SRC" -e "SELECT id, v, DATE_FORMAT(updated_at, '%Y-%m-%d %H:%i:%s') FROM $2 ORDER BY id" | md5sum)
    dst=$(sqlite_sql -separator $'\t' "$1" "SELECT id, v, substr(updated_at, 1, 19) FROM analytics__$2 ORDER BY id" | md5sum)
    assert_eq "$dst" "$src" "$3"
}

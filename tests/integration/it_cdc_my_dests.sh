#!/usr/bin/env bash
# MariaDB binlog change data capture into the other destinations: a follower per destination
# (MariaDB, SQLite, ClickHouse) applies a sysbench write workload with deletes (oltp_write_only,
# oltp_delete) and updates of a row with a long text; after SIGTERM and a final run each
# destination equals the source.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/my_lib.sh"
source "$(dirname "$0")/ch_lib.sh"
command -v sysbench >/dev/null || fail "sysbench not installed (scripts/install-deps.sh)"

export MYSQL_PWD=$ARUS_MY_PASSWORD
sb() { # sysbench TEST ACTION [options]: the workload against the test database (password from MYSQL_PWD)
    local test=$1 action=$2
    shift 2
    sysbench "$test" --db-driver=mysql --mysql-host="$ARUS_MY_HOST" --mysql-port="$ARUS_MY_PORT" \
        --mysql-user="$ARUS_MY_USER" --mysql-db="$MY_SRC" --tables=1 --table-size=1000 "$@" "$action"
}
sb oltp_write_only prepare >/dev/null
mys "$MY_SRC" -e "CREATE TABLE doc (id INT PRIMARY KEY, v INT, body LONGTEXT);
                  INSERT INTO doc SELECT seq, 0, REPEAT(MD5(seq), 2000) FROM seq_1_to_5"

WH="$WORK/wh.db"
{
    echo "sources:"
    my_endpoint mysrc mariadb "$MY_SRC"
    echo "destinations:"
    my_destination
    echo "  sqdst: {type: sqlite, path: \"$WH\"}"
    ch_destination
    echo "pipelines:"
    for d in my:mydst sq:sqdst ch:ch; do
        cat <<YML
  ${PIPE}_${d%%:*}:
    source: mysrc
    destination: ${d#*:}
    sync_mode: cdc
    batch_size: 500
    tables: [sbtest1, doc]
YML
    done
} >"$WORK/arus.yml"

followers=()
for d in my sq ch; do
    arus_ok -c "$WORK/arus.yml" sync "${PIPE}_$d"
    "$ARUS" -c "$WORK/arus.yml" sync "${PIPE}_$d" --follow >/dev/null 2>"$WORK/follow_$d.err" &
    followers+=($!)
    on_exit "kill -9 $!"
done
sb oltp_write_only run --time=12 --threads=2 >/dev/null &
w1=$!
sb oltp_delete run --time=12 --threads=1 >/dev/null &
w2=$!
for i in 1 2 3; do mys "$MY_SRC" -e "UPDATE doc SET v = v + 1"; done
wait "$w1" "$w2" || fail "the workload failed"
for i in 0 1 2; do
    kill -TERM "${followers[$i]}" 2>/dev/null || fail "follower $i ended early: $(cat "$WORK"/follow_*.err)"
    wait "${followers[$i]}" || fail "follower $i exited $?: $(cat "$WORK"/follow_*.err)"
done
for d in my sq ch; do arus_ok -c "$WORK/arus.yml" sync "${PIPE}_$d"; done

want=$(mys -e "SELECT CONCAT(id, ' ', k, ' ', RTRIM(c), ' ', RTRIM(pad)) FROM \`$MY_SRC\`.sbtest1 ORDER BY id" | md5sum)
[ "$(mys -e "SELECT count(*) FROM \`$MY_SRC\`.sbtest1")" -gt 100 ] || fail "the workload deleted nearly everything"
assert_eq "$(mys -e "SELECT CONCAT(id, ' ', k, ' ', RTRIM(c), ' ', RTRIM(pad)) FROM \`$MY_AN\`.sbtest1 ORDER BY id" | md5sum)" "$want" "MariaDB rows"
assert_eq "$(sqlite_sql "$WH" "SELECT id || ' ' || k || ' ' || rtrim(c) || ' ' || rtrim(pad) FROM analytics__sbtest1 ORDER BY id" | md5sum)" "$want" "SQLite rows"
assert_eq "$(q "SELECT concat(toString(id), ' ', toString(k), ' ', replaceRegexpOne(c, ' +\$', ''), ' ', replaceRegexpOne(pad, ' +\$', '')) FROM $AN.sbtest1 FINAL WHERE _arus_deleted = 0 ORDER BY id" | md5sum)" "$want" "ClickHouse rows"
want=$(mys -e "SELECT CONCAT(id, ' ', v, ' ', MD5(body)) FROM \`$MY_SRC\`.doc ORDER BY id" | md5sum)
assert_eq "$(mys -e "SELECT CONCAT(id, ' ', v, ' ', MD5(body)) FROM \`$MY_AN\`.doc ORDER BY id" | md5sum)" "$want" "MariaDB long-text rows"
assert_eq "$(sqlite_sql "$WH" "SELECT id, v, body FROM analytics__doc ORDER BY id" | while IFS='|' read -r id v body; do echo "$id $v $(printf '%s' "$body" | md5sum | cut -d' ' -f1)"; done | md5sum)" "$want" "SQLite long-text rows"
assert_eq "$(q "SELECT concat(toString(id), ' ', toString(v), ' ', lower(hex(MD5(body)))) FROM $AN.doc FINAL WHERE _arus_deleted = 0 ORDER BY id" | md5sum)" "$want" "ClickHouse long-text rows"
echo ok

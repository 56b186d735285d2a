#!/usr/bin/env bash
# PostgreSQL change data capture into MySQL, SQLite and ClickHouse: one pipeline (and slot) per
# destination follows a sysbench write workload with deletes (oltp_write_only, oltp_delete);
# after SIGTERM and a last sync every destination holds exactly the source's rows (ClickHouse:
# the newest live version of each key), and the stored position is the same in all three.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg_lib.sh"
source "$(dirname "$0")/my_lib.sh"
source "$(dirname "$0")/ch_lib.sh"
command -v sysbench >/dev/null || fail "sysbench not installed (scripts/install-deps.sh)"
on_exit "pg_sql -c \"SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '$PG_IT_DB'\""
export ARUS_PG_PASSWORD ARUS_MY_PASSWORD PGPASSWORD=$ARUS_PG_PASSWORD

sb() { # sysbench TEST ACTION [options]
    local test=$1 action=$2
    shift 2
    sysbench "$test" --db-driver=pgsql --pgsql-host="$ARUS_PG_HOST" --pgsql-port="$ARUS_PG_PORT" \
        --pgsql-user="$ARUS_PG_USER" --pgsql-db="$PG_IT_DB" --tables=1 --table-size=1000 "$@" "$action"
}
sb oltp_write_only prepare >/dev/null
# A TOASTed text that updates leave out of the log; REPLICA IDENTITY FULL lets ClickHouse (no
# merge without it) keep it.
pg_sql -c "CREATE TABLE doc (id int PRIMARY KEY, body text, v int); ALTER TABLE doc REPLICA IDENTITY FULL;
  INSERT INTO doc SELECT i, (SELECT string_agg(md5(g::text || i), '') FROM generate_series(1, 3000) g), 0 FROM generate_series(1, 5) i"

WH="$WORK/wh.db"
{
    echo "sources:"
    pg_endpoint pgsrc postgresql "schema: public"
    echo "destinations:"
    my_destination
    echo "  sqdst: {type: sqlite, path: \"$WH\"}"
    ch_destination
    echo "pipelines:"
    for d in my:mydst sq:sqdst ch:ch; do
        cat <<YML
  ${PIPE}_${d%%:*}:
    source: pgsrc
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
for i in 1 2 3; do pg_sql -c "UPDATE doc SET v = v + 1"; done
wait "$w1" "$w2" || fail "the workload failed"
for i in 0 1 2; do
    kill -TERM "${followers[$i]}" 2>/dev/null || fail "follower $i ended early: $(cat "$WORK"/follow_*.err)"
    wait "${followers[$i]}" || fail "follower $i exited $?: $(cat "$WORK"/follow_*.err)"
done
for d in my sq ch; do arus_ok -c "$WORK/arus.yml" sync "${PIPE}_$d"; done

want=$(pg_sql -c "SELECT id || ' ' || k || ' ' || rtrim(c) || ' ' || rtrim(pad) FROM sbtest1 ORDER BY id" | md5sum)
[ "$(pg_sql -c "SELECT count(*) FROM sbtest1")" -gt 100 ] || fail "the workload deleted nearly everything"
assert_eq "$(mys -N -e "SELECT CONCAT(id, ' ', k, ' ', RTRIM(c), ' ', RTRIM(pad)) FROM \`$MY_AN\`.sbtest1 ORDER BY id" | md5sum)" "$want" "MySQL rows"
assert_eq "$(sqlite_sql "$WH" "SELECT id || ' ' || k || ' ' || rtrim(c) || ' ' || rtrim(pad) FROM analytics__sbtest1 ORDER BY id" | md5sum)" "$want" "SQLite rows"
assert_eq "$(q "SELECT concat(toString(id), ' ', toString(k), ' ', replaceRegexpOne(c, ' +\$', ''), ' ', replaceRegexpOne(pad, ' +\$', '')) FROM $AN.sbtest1 FINAL WHERE _arus_deleted = 0 ORDER BY id" | md5sum)" "$want" "ClickHouse rows"
want=$(pg_sql -c "SELECT id || ' ' || v || ' ' || md5(body) FROM doc ORDER BY id" | md5sum)
assert_eq "$(mys -N -e "SELECT CONCAT(id, ' ', v, ' ', MD5(body)) FROM \`$MY_AN\`.doc ORDER BY id" | md5sum)" "$want" "MySQL TOASTed rows"
assert_eq "$(sqlite_sql "$WH" "SELECT id, v, body FROM analytics__doc ORDER BY id" | while IFS='|' read -r id v body; do echo "$id $v $(printf '%s' "$body" | md5sum | cut -d' ' -f1)"; done | md5sum)" "$want" "SQLite TOASTed rows"
assert_eq "$(q "SELECT concat(toString(id), ' ', toString(v), ' ', lower(hex(MD5(body)))) FROM $AN.doc FINAL WHERE _arus_deleted = 0 ORDER BY id" | md5sum)" "$want" "ClickHouse TOASTed rows"
assert_eq "$(q "SELECT count() FROM $AN.sbtest1_current")" "$(pg_sql -c "SELECT count(*) FROM sbtest1")" "ClickHouse current view"
echo ok

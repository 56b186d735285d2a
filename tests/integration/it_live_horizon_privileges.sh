#!/usr/bin/env bash
# The commit horizon needs a privilege on PostgreSQL (pg_read_all_stats, to see other roles'
# open transactions) and MariaDB (PROCESS, for information_schema.innodb_trx). A source user
# without it still syncs, warns once per run naming the missing privilege and falls back to a
# wider lookback; once granted, the warning is gone. SQLite destination.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg_lib.sh"
source "$(dirname "$0")/my_lib.sh"
source "$(dirname "$0")/live_lib.sh"

DST="$WORK/dst.db"
USER_NAME="hz_${IT_ID}"

# write_config SOURCE_ENDPOINT_LINE: pipeline p from that source into SQLite.
write_config() { live_sqlite_config "$1" "[a, b]"; }

# synced NAME MESSAGE_EXPECTED: one sync that must succeed; the warning naming the privilege
# appears exactly once (two tables, one warning per run) when MESSAGE_EXPECTED is 1, else not.
synced() {
    arus_ok -c "$WORK/arus.yml" sync p
    assert_eq "$(grep -c "no commit horizon" "$WORK/err")" "$2" "$1: horizon warnings"
    assert_eq "$(sqlite_sql "$DST" "SELECT count(*) FROM analytics__a")" 3 "$1: rows of a"
}

# ---- PostgreSQL: a session of another role (the superuser `arus`) is open in the database
pg_sql <<SQL
CREATE SCHEMA s;
CREATE TABLE s.a (id int PRIMARY KEY, updated_at timestamptz);
CREATE TABLE s.b (id int PRIMARY KEY, updated_at timestamptz);
INSERT INTO s.a VALUES (1, now()), (2, now()), (3, now());
CREATE ROLE "$USER_NAME" LOGIN;
GRANT USAGE ON SCHEMA s TO "$USER_NAME";
GRANT SELECT ON ALL TABLES IN SCHEMA s TO "$USER_NAME";
SQL
on_exit "PGDB=$ARUS_PG_DB pg_sql -c 'DROP ROLE IF EXISTS \"$USER_NAME\"'"
on_exit "pg_sql -c 'DROP OWNED BY \"$USER_NAME\"'"
pg_sql -c "BEGIN; SELECT pg_sleep(8); COMMIT" >/dev/null &
holder=$!
sleep 1
write_config "  src: {type: postgresql, host: $ARUS_PG_HOST, port: $ARUS_PG_PORT, username: $USER_NAME, password: \"\${ARUS_PG_PASSWORD}\", database: $PG_IT_DB, schema: s}"
synced "PostgreSQL without pg_read_all_stats" 1
grep -q "role \"$USER_NAME\" needs pg_read_all_stats (or superuser) for a commit horizon" "$WORK/err" \
    || fail "PostgreSQL: the warning does not name the privilege: $(cat "$WORK/err")"
grep -q "reading 300 s further back this run" "$WORK/err" || fail "PostgreSQL: no fallback said"
pg_sql -c "GRANT pg_read_all_stats TO \"$USER_NAME\""
synced "PostgreSQL with pg_read_all_stats" 0
wait "$holder"

# ---- MariaDB: a user without PROCESS
rm -f "$DST"
mys "$MY_SRC" <<'SQL'
CREATE TABLE a (id int PRIMARY KEY, updated_at DATETIME(6));
CREATE TABLE b (id int PRIMARY KEY, updated_at DATETIME(6));
INSERT INTO a VALUES (1, NOW(6)), (2, NOW(6)), (3, NOW(6));
SQL
my_sql <<SQL # on stdin: the password stays out of argv
CREATE USER '$USER_NAME'@'%' IDENTIFIED BY '$ARUS_MY_PASSWORD';
GRANT SELECT ON \`$MY_SRC\`.* TO '$USER_NAME'@'%';
SQL
on_exit "my_sql -e \"DROP USER IF EXISTS '$USER_NAME'@'%'\""
write_config "  src: {type: mysql, host: $ARUS_MY_HOST, port: $ARUS_MY_PORT, username: $USER_NAME, password: \"\${ARUS_MY_PASSWORD}\", database: $MY_SRC}"
synced "MariaDB without PROCESS" 1
grep -q "needs the PROCESS privilege" "$WORK/err" \
    || fail "MariaDB: the warning does not name the privilege: $(cat "$WORK/err")"
my_sql -e "GRANT PROCESS ON *.* TO '$USER_NAME'@'%'"
synced "MariaDB with PROCESS" 0
echo "ok"

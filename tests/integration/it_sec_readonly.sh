#!/usr/bin/env bash
# Sources need read access only (docs/security.md lists the grants). A PostgreSQL role with
# CONNECT on the database (PUBLIC's default TEMP/CONNECT revoked), USAGE on the schema and
# SELECT on its tables, and a MariaDB user with SELECT on the source database only, run
# discover, an initial sync, an incremental sync with updates and soft deletes, and a full
# refresh (destinations written as the admin user). Then each proves it cannot write: no
# INSERT, UPDATE, DELETE, CREATE TABLE, CREATE TEMP TABLE (PostgreSQL), CREATE DATABASE.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg_lib.sh"
source "$(dirname "$0")/my_lib.sh"

RO="ro_$IT_ID"
export RO_PW="ro-$RANDOM$RANDOM"   # PostgreSQL trusts everyone here; MariaDB checks it

# ---- PostgreSQL: the minimal read-only role
on_exit "pg_sql -c 'DROP OWNED BY $RO; DROP ROLE IF EXISTS $RO'"
pg_sql <<SQL
CREATE ROLE $RO LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '$RO_PW';
REVOKE ALL ON DATABASE "$PG_IT_DB" FROM PUBLIC;
GRANT CONNECT ON DATABASE "$PG_IT_DB" TO $RO;
CREATE SCHEMA src;
CREATE TABLE src.t (id bigint PRIMARY KEY, v text, updated_at timestamptz NOT NULL,
                    deleted_at timestamptz);
INSERT INTO src.t SELECT g, 'v' || g, '2024-01-01'::timestamptz + g * interval '1 s', NULL
FROM generate_series(1, 200) g;
GRANT USAGE ON SCHEMA src TO $RO;
GRANT SELECT ON ALL TABLES IN SCHEMA src TO $RO;
SQL
# ---- MariaDB: SELECT on the source database, nothing else
on_exit "my_sql -e \"DROP USER IF EXISTS '$RO'@'%'\""
mys <<SQL
CREATE TABLE \`$MY_SRC\`.t (id BIGINT PRIMARY KEY, v TEXT, updated_at DATETIME(6) NOT NULL,
                            deleted_at DATETIME(6) NULL);
INSERT INTO \`$MY_SRC\`.t SELECT seq, CONCAT('v', seq), '2024-01-01' + INTERVAL seq SECOND, NULL
FROM \`$MY_SRC\`.seq_1_to_200;
CREATE USER '$RO'@'%' IDENTIFIED BY '$RO_PW';
GRANT SELECT ON \`$MY_SRC\`.* TO '$RO'@'%';
SQL

cat >"$WORK/arus.yml" <<YML
sources:
  pgs: {type: postgresql, host: $ARUS_PG_HOST, port: $ARUS_PG_PORT, username: $RO, password: "\${RO_PW}", database: $PG_IT_DB, schema: src}
  mys: {type: mysql, host: $ARUS_MY_HOST, port: $ARUS_MY_PORT, username: $RO, password: "\${RO_PW}", database: $MY_SRC}
destinations:
$(pg_endpoint pgd postgresql)
  myd: {type: mysql, host: $ARUS_MY_HOST, port: $ARUS_MY_PORT, username: $ARUS_MY_USER, password: "\${ARUS_MY_PASSWORD}", raw_schema: $MY_STG, target_schema: $MY_AN}
pipelines:
  p: {source: pgs, destination: pgd, max_retries: 0}
  $PIPE: {source: mys, destination: myd, max_retries: 0}
YML
export ARUS_PG_PASSWORD ARUS_MY_PASSWORD

arus_ok -c "$WORK/arus.yml" check
arus_ok -c "$WORK/arus.yml" discover pgs
grep -q "^src.t .*incremental" "$WORK/out" || fail "PostgreSQL discovery as $RO: $(cat "$WORK/out")"
arus_ok -c "$WORK/arus.yml" discover mys
grep -q "^$MY_SRC.t .*incremental" "$WORK/out" || fail "MySQL discovery as $RO: $(cat "$WORK/out")"

# sync_all WHAT ARGS: both pipelines
sync_all() {
    arus_ok -c "$WORK/arus.yml" sync p "$@"
    arus_ok -c "$WORK/arus.yml" sync "$PIPE" "$@"
}
sync_all
assert_eq "$(pg_sql -c 'SELECT count(*) FROM analytics.t')" 200 "PostgreSQL rows read as $RO"
assert_eq "$(mys -e "SELECT count(*) FROM \`$MY_AN\`.t")" 200 "MySQL rows read as $RO"

# incremental: updates, inserts and soft deletes, read back by the same users
pg_sql -c "UPDATE src.t SET v = 'x', updated_at = '2024-02-01' WHERE id <= 10;
           UPDATE src.t SET deleted_at = '2024-02-01', updated_at = '2024-02-01' WHERE id > 195;
           INSERT INTO src.t VALUES (201, 'new', '2024-02-02', NULL)"
mys -e "UPDATE \`$MY_SRC\`.t SET v = 'x', updated_at = '2024-02-01' WHERE id <= 10;
        UPDATE \`$MY_SRC\`.t SET deleted_at = '2024-02-01', updated_at = '2024-02-01' WHERE id > 195;
        INSERT INTO \`$MY_SRC\`.t VALUES (201, 'new', '2024-02-02', NULL)"
sync_all
assert_eq "$(pg_sql -c "SELECT count(*) || ' ' || count(*) FILTER (WHERE v = 'x') FROM analytics.t")" \
    "196 10" "PostgreSQL rows/updated after the incremental run"
assert_eq "$(mys -e "SELECT CONCAT(count(*), ' ', SUM(v = 'x')) FROM \`$MY_AN\`.t")" \
    "196 10" "MySQL rows/updated after the incremental run"
sync_all --full-refresh
assert_eq "$(pg_sql -c 'SELECT count(*) FROM analytics.t')" 196 "PostgreSQL rows after a full refresh"
assert_eq "$(mys -e "SELECT count(*) FROM \`$MY_AN\`.t")" 196 "MySQL rows after a full refresh"

# ---- the users cannot write. Each statement must fail with a permission error.
ro_pg() { PGPASSWORD=$RO_PW psql -X -q -A -t -v ON_ERROR_STOP=1 -h "$ARUS_PG_HOST" -p "$ARUS_PG_PORT" -U "$RO" -d "$PG_IT_DB" -c "$1" 2>&1; }
ro_my() { MYSQL_PWD=$RO_PW mariadb --no-defaults --protocol=TCP -h "$ARUS_MY_HOST" -P "$ARUS_MY_PORT" -u "$RO" "$MY_SRC" -e "$1" 2>&1; }
assert_eq "$(ro_pg 'SELECT count(*) FROM src.t')" 201 "PostgreSQL read as $RO"
for stmt in "INSERT INTO src.t VALUES (999, 'w', now(), NULL)" "UPDATE src.t SET v = 'w'" \
    "DELETE FROM src.t" "CREATE TABLE src.w (i int)" "CREATE TABLE public.w (i int)" \
    "CREATE TEMP TABLE w (i int)" "CREATE SCHEMA w" "TRUNCATE src.t"; do
    out=$(ro_pg "$stmt") && fail "PostgreSQL $RO could run: $stmt"
    grep -q "permission denied" <<<"$out" || fail "PostgreSQL '$stmt': unexpected error: $out"
done
assert_eq "$(ro_my 'SELECT count(*) FROM t' | tail -n1)" 201 "MySQL read as $RO"
for stmt in "INSERT INTO t VALUES (999, 'w', NOW(), NULL)" "UPDATE t SET v = 'w'" "DELETE FROM t" \
    "CREATE TABLE w (i INT)" "CREATE TEMPORARY TABLE w (i INT)" "CREATE DATABASE ${MY_SRC}_w" \
    "CREATE TABLE \`$MY_AN\`.w (i INT)" "TRUNCATE t"; do
    out=$(ro_my "$stmt") && fail "MySQL $RO could run: $stmt"
    grep -q "denied" <<<"$out" || fail "MySQL '$stmt': unexpected error: $out"
done
assert_eq "$(pg_sql -c 'SELECT count(*) FROM src.t')" 201 "PostgreSQL source unchanged"
echo "ok"

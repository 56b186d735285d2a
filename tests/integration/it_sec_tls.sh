#!/usr/bin/env bash
# TLS is really used when asked. A private PostgreSQL and MariaDB (sec_lib.sh) run with a
# server certificate for localhost/127.0.0.1 from a test CA (scripts/tls-certs.sh):
#  - PostgreSQL source and destination with sslmode verify-full + sslrootcert: the sync works
#    and pg_stat_ssl shows every arus session (application_name 'arus') encrypted;
#  - MariaDB source and destination with ssl_mode VERIFY_IDENTITY (upper case, as MySQL's
#    tools spell it) + ssl_ca, host localhost: the sync works as a user created REQUIRE SSL,
#    and the server's TLS handshake counter grows by arus's connections;
#  - the same endpoints with the wrong CA are refused: one clear line, exit 4;
#  - host name verification: the certificate names localhost only, so connecting by
#    127.0.0.1 is refused by verify-full / VERIFY_IDENTITY (PostgreSQL's verify-ca accepts it).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sec_lib.sh"
sec_start pg mysql
CA=$SEC_TLS/ca.pem
WRONG=$SEC_TLS/wrong-ca.pem

# ---- source data
spg_sql <<'SQL'
CREATE SCHEMA src;
CREATE TABLE src.t (id int PRIMARY KEY, v text, updated_at timestamptz NOT NULL);
INSERT INTO src.t SELECT g, 'row ' || g, '2024-01-01'::timestamptz + g * interval '1 s'
FROM generate_series(1, 100) g;
SQL
# The MariaDB user may log in over TLS only; SEC_MY_PW reaches the server through stdin.
export SEC_MY_PW="tls-$RANDOM$RANDOM"
smy_sql <<SQL
CREATE DATABASE src; CREATE DATABASE stg; CREATE DATABASE an; USE src;
CREATE TABLE src.t (id INT PRIMARY KEY, v TEXT, updated_at DATETIME(6) NOT NULL);
INSERT INTO src.t SELECT seq, CONCAT('row ', seq), '2024-01-01' + INTERVAL seq SECOND FROM seq_1_to_100;
CREATE USER tlsuser@'%' IDENTIFIED BY '$SEC_MY_PW' REQUIRE SSL;
GRANT ALL ON *.* TO tlsuser@'%';
SQL

# config PG_CA MY_CA: pg source -> pg destination and mysql source -> mysql destination
config() {
    cat >"$WORK/arus.yml" <<YML
sources:
  pgs: {type: postgresql, host: localhost, port: $SEC_PG_PORT, username: arus, password: "\${SEC_PG_PW}", database: arus_test, schema: src, sslmode: verify-full, sslrootcert: "$1"}
  mys: {type: mysql, host: localhost, port: $SEC_MY_PORT, username: tlsuser, password: "\${SEC_MY_PW}", database: src, ssl_mode: VERIFY_IDENTITY, ssl_ca: "$2"}
destinations:
  pgd: {type: postgresql, host: localhost, port: $SEC_PG_PORT, username: arus, password: "\${SEC_PG_PW}", database: arus_test, sslmode: verify-full, sslrootcert: "$1"}
  myd: {type: mysql, host: localhost, port: $SEC_MY_PORT, username: tlsuser, password: "\${SEC_MY_PW}", raw_schema: stg, target_schema: an, ssl_mode: VERIFY_IDENTITY, ssl_ca: "$2"}
pipelines:
  pp: {source: pgs, destination: pgd, max_retries: 0}
  mm: {source: mys, destination: myd, max_retries: 0}
YML
}
export SEC_PG_PW=arus

# ---- PostgreSQL: sync while a lock holds the source table, so that arus's sessions can be
# inspected in pg_stat_activity/pg_stat_ssl while they exist.
config "$CA" "$CA"
sec_pg_lock src.t
"$ARUS" -c "$WORK/arus.yml" sync pp >"$WORK/out" 2>"$WORK/err" &
syncpid=$!
sessions=""
for _ in $(seq 1 200); do
    sessions=$(spg_sql -c "SELECT count(*) || ' ' || count(*) FILTER (WHERE s.ssl) || ' ' || coalesce(min(s.version), '-')
        FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) WHERE a.application_name = 'arus'")
    [ "${sessions%% *}" -ge 2 ] && break   # source and destination connected
    sleep 0.05
done
sec_pg_unlock
wait "$syncpid" || fail "TLS sync pp exited $?: $(cat "$WORK/err")"
read -r n_sess n_ssl tls_version <<<"$sessions"
[ "$n_sess" -ge 2 ] || fail "arus sessions not seen in pg_stat_activity ($sessions)"
assert_eq "$n_ssl" "$n_sess" "arus sessions encrypted (pg_stat_ssl)"
case $tls_version in TLSv1.2 | TLSv1.3) ;; *) fail "unexpected TLS version '$tls_version'" ;; esac
assert_eq "$(spg_sql -c "SELECT count(*) FROM analytics.t")" 100 "rows synced over TLS (PostgreSQL)"

# ---- MariaDB: tlsuser can only log in over TLS, so a working sync is a TLS sync; the
# server's handshake counter shows how many TLS sessions arus opened.
handshakes() { smy_sql -e "SHOW GLOBAL STATUS LIKE 'Ssl_accepts'" | cut -f2; }
before=$(handshakes)
arus_ok -c "$WORK/arus.yml" sync mm
after=$(handshakes)
[ $((after - before)) -ge 2 ] || fail "arus opened $((after - before)) TLS sessions to MariaDB, expected >= 2"
assert_eq "$(smy_sql -e "SELECT count(*) FROM an.t")" 100 "rows synced over TLS (MariaDB)"
# control: without TLS the same user is refused, so the successful sync above used TLS
sed -i 's/ssl_mode: VERIFY_IDENTITY/ssl_mode: disabled/' "$WORK/arus.yml"
rc=0; arus -c "$WORK/arus.yml" sync mm || rc=$?
assert_eq "$rc" 4 "REQUIRE SSL user without TLS: exit code ($(cat "$WORK/err"))"

# ---- wrong CA: refused, one line naming the endpoint, exit 4, for source and destination
config "$WRONG" "$WRONG"
# expect_refused CMD... : exit 4 and a single stderr line matching $pattern
expect_refused() {
    local rc=0
    arus -c "$WORK/arus.yml" "$@" || rc=$?
    assert_eq "$rc" 4 "wrong CA, arus $*: exit code ($(cat "$WORK/err"))"
    assert_eq "$(wc -l <"$WORK/err")" 1 "wrong CA, arus $*: lines on stderr ($(cat "$WORK/err"))"
    grep -q -- "$pattern" "$WORK/err" || fail "wrong CA, arus $*: '$(cat "$WORK/err")' lacks '$pattern'"
}
pattern="connect to \"pgs\" at localhost:$SEC_PG_PORT: SSL error: certificate verify failed"
expect_refused sync pp
pattern="connect to \"mys\" at localhost:$SEC_MY_PORT: TLS/SSL error: .*certificate"
expect_refused sync mm
pattern="connect to \"pgs\" at localhost:$SEC_PG_PORT: SSL error"
expect_refused discover pgs
# check reports every endpoint: all four refused
rc=0; arus -c "$WORK/arus.yml" check || rc=$?
assert_eq "$rc" 4 "wrong CA, check: exit code"
assert_eq "$(grep -c 'certificate' "$WORK/out" "$WORK/err" | awk -F: '{ s += $2 } END { print s }')" 4 \
    "wrong CA, check: endpoints refused ($(cat "$WORK/out" "$WORK/err"))"
# ---- host name verification: right CA, but the certificate does not name 127.0.0.1
config "$CA" "$CA"
sed -i 's/host: localhost/host: 127.0.0.1/' "$WORK/arus.yml"
pattern="connect to \"pgs\" at 127.0.0.1:$SEC_PG_PORT: server certificate for \"localhost\".* does not match host name \"127.0.0.1\""
expect_refused discover pgs
pattern="connect to \"mys\" at 127.0.0.1:$SEC_MY_PORT: TLS/SSL error: Validation of SSL server certificate failed"
expect_refused discover mys
sed -i 's/sslmode: verify-full/sslmode: verify-ca/' "$WORK/arus.yml"
arus_ok -c "$WORK/arus.yml" discover pgs      # verify-ca checks the chain only

echo "ok (TLS: PostgreSQL $n_ssl/$n_sess sessions $tls_version, MariaDB $((after - before)) TLS handshakes)"

#!/usr/bin/env bash
# Passwords never leak. One distinctive password (only ever in the environment, interpolated
# into arus.yml as ${SEC_PW}) drives every source and destination type through a working run,
# a wrong password and an unreachable host, with check, discover, sync (-v -v debug logging),
# state, runs and their --json forms. Stdout, stderr, every destination's state and data
# (pg_dump, mariadb-dump, ClickHouse's tables) and the running process's argv must never hold
# it. MongoDB URIs carry it too. Finally the config-permission warning: a literal password in
# a group/other-readable file warns (without printing it), mode 600 does not.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sec_lib.sh"
need_mysql
need_mongo
# the private PostgreSQL checks passwords (the shared one trusts everyone)
sec_start pg

SECRET="Pw-$$-$RANDOM$RANDOM-zq"
has_ch=0
if "$ARUS" connectors | grep -q "^destination *clickhouse "; then need_ch; has_ch=1; fi
S="sec$$"                                   # prefix of every name this test creates
P="p_$S"                                    # pipelines (MySQL/ClickHouse state is shared)
MONGO_PORT=${MONGO_TEST_URI##*:}; MONGO_PORT=${MONGO_PORT%%/*}

# ---- users whose password is SECRET (statements via stdin, never argv)
spg_sql <<SQL
CREATE ROLE $S LOGIN SUPERUSER PASSWORD '$SECRET';
CREATE SCHEMA src;
CREATE TABLE src.t (id int PRIMARY KEY, v text, updated_at timestamptz NOT NULL);
INSERT INTO src.t SELECT g, 'v' || g, '2024-01-01'::timestamptz + g * interval '1 s'
FROM generate_series(1, 50) g;
SQL
on_exit "my_sql -e \"DROP USER IF EXISTS $S@'%'; DELETE FROM arus_state.watermarks WHERE pipeline LIKE '${P}%'; DELETE FROM arus_state.runs WHERE pipeline LIKE '${P}%'\""
for db in src stg an; do on_exit "my_sql -e 'DROP DATABASE IF EXISTS ${S}_$db'"; done
my_sql <<SQL
CREATE DATABASE ${S}_src; CREATE DATABASE ${S}_stg; CREATE DATABASE ${S}_an;
CREATE TABLE ${S}_src.t (id INT PRIMARY KEY, v TEXT, updated_at DATETIME(6) NOT NULL);
INSERT INTO ${S}_src.t SELECT seq, CONCAT('v', seq), '2024-01-01' + INTERVAL seq SECOND FROM ${S}_src.seq_1_to_50;
CREATE USER $S@'%' IDENTIFIED BY '$SECRET';
GRANT ALL ON *.* TO $S@'%';
SQL
if [ $has_ch = 1 ]; then
    # ClickHouse 18 has no CREATE USER: a users.d file, picked up by the server's config
    # reloader within seconds. Stored as a SHA-256, so not even the file holds the password.
    ch_users=${ARUS_SRV_ROOT:-/tmp/arus-srv}/ch/users.d
    mkdir -p "$ch_users"; chmod 755 "$ch_users"
    on_exit "rm -f '$ch_users/$S.xml'"
    for db in stg an state; do on_exit "ch_sql 'DROP DATABASE IF EXISTS ${S}_$db'"; done
    cat >"$ch_users/$S.xml" <<XML
<?xml version="1.0"?>
<yandex><users><$S>
  <password_sha256_hex>$(printf '%s' "$SECRET" | sha256sum | cut -d' ' -f1)</password_sha256_hex>
  <networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota>
</$S></users></yandex>
XML
    chmod 644 "$ch_users/$S.xml"
    export CH_TRY_USER=$S CH_TRY_PW=$SECRET
    for _ in $(seq 1 100); do   # curl reads the credentials from stdin (-K -), not argv
        if printf 'user = "%s:%s"\n' "$CH_TRY_USER" "$CH_TRY_PW" | curl -sf -K - \
            "http://$ARUS_CH_HOST:$ARUS_CH_HTTP_PORT/" --data-binary 'SELECT 1' >/dev/null; then break; fi
        sleep 0.2
    done
fi

# config PG_PORT MY_PORT CH_PORT MONGO_PORT: every endpoint with password ${SEC_PW}; the
# PostgreSQL destination, the MySQL destination and MongoDB take it inside a URL.
config() {
    {
        cat <<YML
sources:
  pgs: {type: postgresql, host: 127.0.0.1, port: $1, username: $S, password: "\${SEC_PW}", database: arus_test, schema: src, connect_timeout: 2}
  mys: {type: mysql, host: 127.0.0.1, port: $2, username: $S, password: "\${SEC_PW}", database: ${S}_src, connect_timeout: 2}
  mgs: {type: mongodb, url: "mongodb://$S:\${SEC_PW}@127.0.0.1:$4/$S?authSource=admin", connect_timeout: 2}
destinations:
  pgd: {type: postgresql, url: "postgresql://$S:\${SEC_PW}@127.0.0.1:$1/arus_test", connect_timeout: 2}
  myd: {type: mysql, url: "mysql://$S:\${SEC_PW}@127.0.0.1:$2/", raw_schema: ${S}_stg, target_schema: ${S}_an, connect_timeout: 2}
YML
        [ $has_ch = 0 ] ||
            echo "  chd: {type: clickhouse, host: 127.0.0.1, port: $3, username: $S, password: \"\${SEC_PW}\", raw_schema: ${S}_stg, target_schema: ${S}_an, state_schema: ${S}_state, connect_timeout: 2}"
        echo "pipelines:"
        echo "  ${P}_pm: {source: pgs, destination: myd, max_retries: 0}"
        echo "  ${P}_mp: {source: mys, destination: pgd, max_retries: 0}"
        echo "  ${P}_gp: {source: mgs, destination: pgd, max_retries: 0}"
        [ $has_ch = 0 ] || echo "  ${P}_mc: {source: mys, destination: chd, max_retries: 0}"
    } >"$WORK/arus.yml"
    chmod 600 "$WORK/arus.yml"
}
PIPES=("${P}_pm" "${P}_mp" "${P}_gp")
[ $has_ch = 0 ] || PIPES+=("${P}_mc")

# run WHAT ARGS...: arus with the config; stdout+stderr appended to $WORK/all.log; exit code
# in $rc. Leaks are looked for in all.log at the end (and per step, to name the step).
run() {
    local what=$1; shift
    rc=0
    "$ARUS" -c "$WORK/arus.yml" "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?
    { echo "== $what: arus $* -> $rc"; cat "$WORK/out" "$WORK/err"; } >>"$WORK/all.log"
    if grep -qF -- "$SECRET" "$WORK/out" "$WORK/err"; then
        fail "$what: arus $* printed the password: $(sed "s/$SECRET/<PASSWORD>/g" "$WORK/out" "$WORK/err")"
    fi
}

# battery VARIANT: every command over every endpoint and pipeline
battery() {
    local v=$1 p s
    run "$v" check; run "$v" --json check
    for s in pgs mys mgs; do run "$v" discover "$s"; run "$v" --json discover "$s"; done
    for p in "${PIPES[@]}"; do
        run "$v" -v -v sync "$p"
        printf '%s %s %s\n' "$v" "$p" "$rc" >>"$WORK/sync-codes"
        run "$v" --json sync "$p"
        run "$v" -v -v state "$p"; run "$v" --json state "$p"
        run "$v" -v -v runs "$p"; run "$v" --json runs "$p"
    done
}
sync_rc() { awk -v v="$1" -v p="$2" '$1 == v && $2 == p { rc = $3 } END { print rc }' "$WORK/sync-codes"; }

# ---- 1. working password
export SEC_PW=$SECRET
config "$SEC_PG_PORT" "$ARUS_MY_PORT" "$ARUS_CH_HTTP_PORT" "$MONGO_PORT"
battery good
for p in "${PIPES[@]}"; do
    case $p in
        *_gp) assert_eq "$(sync_rc good "$p")" 4 "sync $p (the MongoDB test server has no users)" ;;
        *) assert_eq "$(sync_rc good "$p")" 0 "sync $p with the right password" ;;
    esac
done
assert_eq "$(my_sql -e "SELECT count(*) FROM ${S}_an.t")" 50 "rows PostgreSQL -> MySQL"
assert_eq "$(spg_sql -c "SELECT count(*) FROM analytics.t")" 50 "rows MySQL -> PostgreSQL"
[ $has_ch = 0 ] || [ "$(ch_sql "SELECT count() FROM ${S}_an.t")" -gt 0 ] || fail "no rows MySQL -> ClickHouse"
grep -q "mgs" "$WORK/all.log" || fail "MongoDB endpoint never reported"

# ---- 2. argv of a running sync: cmdline never holds the password; environ does (it is how
# the password is meant to travel, and proves the probe reads the right process). A lock on
# the source table keeps the sync running while we look.
sec_pg_lock src.t
"$ARUS" -c "$WORK/arus.yml" sync --full-refresh "${P}_pm" >"$WORK/out" 2>"$WORK/err" &
syncpid=$!
seen=0
for _ in $(seq 1 500); do
    if [ "$(readlink "/proc/$syncpid/exe" 2>/dev/null)" = "$(readlink -f "$ARUS")" ]; then
        tr '\0' ' ' <"/proc/$syncpid/cmdline" >"$WORK/cmdline"
        tr '\0' '\n' <"/proc/$syncpid/environ" >"$WORK/environ"
        seen=1; break
    fi
    sleep 0.02
done
sec_pg_unlock; wait "$syncpid" || fail "locked sync failed: $(cat "$WORK/err")"
assert_eq "$seen" 1 "running arus process observed"
grep -q "sync --full-refresh ${P}_pm" "$WORK/cmdline" || fail "probe read the wrong argv: $(cat "$WORK/cmdline")"
if grep -qF -- "$SECRET" "$WORK/cmdline"; then fail "the password is in arus's argv"; fi
grep -qxF -- "SEC_PW=$SECRET" "$WORK/environ" || fail "probe: password not in environ (wrong process?)"

# ---- 3. wrong password: every endpoint refused (exit 4), never echoing what was tried
export SEC_PW="$SECRET-wrong"
battery badpw
for p in "${P}_pm" "${P}_mp"; do assert_eq "$(sync_rc badpw "$p")" 4 "sync $p, wrong password"; done
[ $has_ch = 0 ] || assert_eq "$(sync_rc badpw "${P}_mc")" 4 "sync ${P}_mc, wrong password"
grep -q 'password authentication failed for user' "$WORK/all.log" || fail "no PostgreSQL auth failure seen"
grep -q "Access denied for user '$S'" "$WORK/all.log" || fail "no MySQL auth failure seen"
[ $has_ch = 0 ] || grep -q "chd.*Wrong password for user $S" "$WORK/all.log" || fail "no ClickHouse auth failure seen"

# ---- 4. unreachable hosts (nothing listens on port 1)
export SEC_PW=$SECRET
config 1 1 1 1
battery down
for p in "${PIPES[@]}"; do assert_eq "$(sync_rc down "$p")" 4 "sync $p, unreachable"; done
grep -q 'connect to "mgs" at 127.0.0.1:1' "$WORK/all.log" || fail "MongoDB unreachable not reported"

# ---- 5. what the destinations stored: run history, watermarks, dead letters, data
PGPASSWORD=arus pg_dump -h 127.0.0.1 -p "$SEC_PG_PORT" -U arus arus_test >"$WORK/pg.dump"
grep -q "arus_state" "$WORK/pg.dump" || fail "pg_dump holds no arus_state"
MYSQL_PWD=$ARUS_MY_PASSWORD mariadb-dump --no-defaults --protocol=TCP -h "$ARUS_MY_HOST" \
    -P "$ARUS_MY_PORT" -u "$ARUS_MY_USER" --databases arus_state "${S}_stg" "${S}_an" >"$WORK/my.dump"
grep -q "$P" "$WORK/my.dump" || fail "MySQL arus_state holds no run of $P"
: >"$WORK/ch.dump"
if [ $has_ch = 1 ]; then
    for t in $(ch_sql "SELECT database || '.' || name FROM system.tables WHERE database LIKE '${S}\\_%'"); do
        ch_sql "SELECT * FROM $t FORMAT TSV" >>"$WORK/ch.dump"
    done
    grep -q "$P" "$WORK/ch.dump" || fail "ClickHouse state holds no run of $P"
fi
for f in pg.dump my.dump ch.dump; do
    if grep -qF -- "$SECRET" "$WORK/$f"; then fail "the password is stored in a destination ($f)"; fi
done

# ---- 6. config permissions: a literal password in a readable file warns, never printed
# (as a password: key, and inside the user-info of URLs)
sed -i "s/\\\${SEC_PW}/$SECRET/g" "$WORK/arus.yml"
grep -qF "password: \"$SECRET\"" "$WORK/arus.yml" || fail "literal password not written"
chmod 644 "$WORK/arus.yml"
run perm644 check
for key in sources.pgs.password sources.mgs.url destinations.pgd.url destinations.myd.url; do
    grep -q "arus.yml:[0-9]*: $key holds a literal password and the file is readable by group/others" "$WORK/err" ||
        fail "no warning for $key in a readable config: $(cat "$WORK/err")"
done
chmod 600 "$WORK/arus.yml"
run perm600 check
if grep -q 'literal password' "$WORK/err"; then fail "warning although mode 600: $(cat "$WORK/err")"; fi

if grep -qF -- "$SECRET" "$WORK/all.log"; then fail "password in the collected output"; fi
echo "ok ($(grep -c '^== ' "$WORK/all.log") arus runs, clickhouse=$has_ch; no password in output, argv or destinations)"

# Shared by it_sec_*.sh (sourced after lib.sh): a PRIVATE PostgreSQL/MariaDB instance for the
# security tests, so that the shared servers are never reconfigured or restarted. It runs
# under its own ARUS_SRV_ROOT on free ports, with TLS on (certificates from
# scripts/tls-certs.sh) and PostgreSQL checking passwords (scram-sha-256; the shared server
# trusts everyone, so a wrong password would pass there). Stopped and wiped on exit.

SEC_TLS=$WORK/tls
SEC_ROOT=/tmp/arus-srv-$IT_ID

# sec_free_port START: the first port from START on that nobody listens on
sec_free_port() {
    local p=$1
    while timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$p" 2>/dev/null; do p=$((p + 1)); done
    echo "$p"
}

# servers.sh for the private instance (lib.sh exported the shared ports: override them all)
sec_servers() {
    ARUS_SRV_ROOT=$SEC_ROOT ARUS_PG_PORT=$SEC_PG_PORT ARUS_MY_PORT=$SEC_MY_PORT \
        ARUS_SRV_TLS_DIR=$SEC_TLS ARUS_PG_AUTH=scram-sha-256 \
        bash "$ARUS_SOURCE_DIR/scripts/servers.sh" "$@"
}

# sec_start pg|mysql...: certificates, then the named private servers
sec_start() {
    command -v openssl >/dev/null || fail "openssl missing (scripts/install-deps.sh test)"
    bash "$ARUS_SOURCE_DIR/scripts/tls-certs.sh" "$SEC_TLS"
    # ports from a PID-derived base so that parallel tests rarely probe the same ones
    SEC_PG_PORT=$(sec_free_port $((21000 + $$ % 2000 * 4)))
    SEC_MY_PORT=$(sec_free_port $((SEC_PG_PORT + 1)))
    on_exit "rm -rf '$SEC_ROOT'"
    on_exit "sec_servers wipe $*"
    sec_servers start "$@" 2>"$WORK/servers.log" || fail "private servers: $(cat "$WORK/servers.log")"
}

# SQL on the private instance as the superuser arus (password via the environment; TLS on)
spg_sql() {
    PGPASSWORD=arus PGSSLMODE=require psql -X -q -A -t -v ON_ERROR_STOP=1 -h 127.0.0.1 \
        -p "$SEC_PG_PORT" -U arus -d arus_test "$@"
}
smy_sql() {
    mariadb --no-defaults --protocol=TCP -h 127.0.0.1 -P "$SEC_MY_PORT" -u root --skip-ssl \
        --batch --skip-column-names "$@"
}

# sec_pg_lock TABLE: hold an exclusive lock on TABLE of the private PostgreSQL (from a
# background session, at most 30 s) so that an arus run touching it waits, and can be looked
# at meanwhile; sec_pg_unlock ends that session, which releases the lock at once.
sec_pg_lock() {
    PGAPPNAME=sec_locker spg_sql -c "BEGIN; LOCK TABLE $1 IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(30)" \
        >/dev/null 2>&1 &
    SEC_LOCKER=$!
    for _ in $(seq 1 100); do
        [ "$(spg_sql -c "SELECT count(*) FROM pg_locks WHERE relation = '$1'::regclass AND granted")" = 0 ] || return 0
        sleep 0.05
    done
    fail "lock on $1 not taken"
}
sec_pg_unlock() {
    spg_sql -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'sec_locker'" >/dev/null
    wait "$SEC_LOCKER" || true
}

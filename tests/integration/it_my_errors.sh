#!/usr/bin/env bash
# MySQL/MariaDB failures are one clear line and the right exit code: wrong password, closed
# port, unknown database, missing table, and a second run while the pipeline lock is held.
# Passwords never show up in the output. Discovery reports the detected sync mode. (Retries
# are off so each failure is one attempt and one line.)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/my_lib.sh"

mys "$MY_SRC" -e "CREATE TABLE orders (id INT PRIMARY KEY, updated_at DATETIME NOT NULL, deleted_at DATETIME NULL); INSERT INTO orders VALUES (1, '2024-01-01', NULL)"

one_line() { # exit-code want, message pattern, what
    [ "$(wc -l <"$WORK/err")" -eq 1 ] || fail "$3: expected one line, got: $(cat "$WORK/err")"
    grep -q -- "$2" "$WORK/err" || fail "$3: message '$(cat "$WORK/err")' lacks '$2'"
    ! grep -q "s3cr3t-pw" "$WORK/err" "$WORK/out" || fail "$3: password leaked"
}

my_write_config "    tables: [orders]
    max_retries: 0"
arus_ok -c "$WORK/arus.yml" discover mysrc
grep -q "incremental on updated_at" "$WORK/out" || fail "discover: $(cat "$WORK/out")"
grep -q "soft deletes via deleted_at" "$WORK/out" || fail "discover: $(cat "$WORK/out")"

# wrong password
export ARUS_MY_BAD=s3cr3t-pw
sed "s/password: \"\${ARUS_MY_PASSWORD}\"/password: \"\${ARUS_MY_BAD}\"/" "$WORK/arus.yml" >"$WORK/bad.yml"
rc=0; arus -c "$WORK/bad.yml" sync "$PIPE" || rc=$?
assert_eq "$rc" "4" "exit code for wrong password"
one_line 4 "connect to \"mysrc\" at $ARUS_MY_HOST:$ARUS_MY_PORT: Access denied" "wrong password"

# nothing listening
sed "s/port: $ARUS_MY_PORT/port: 1/" "$WORK/arus.yml" >"$WORK/closed.yml"
rc=0; arus -c "$WORK/closed.yml" sync "$PIPE" || rc=$?
assert_eq "$rc" "4" "exit code for a closed port"
one_line 4 "connect to \"mysrc\" at $ARUS_MY_HOST:1: " "closed port"

# unknown database
sed "s/database: $MY_SRC/database: ${MY_SRC}_nope/" "$WORK/arus.yml" >"$WORK/nodb.yml"
rc=0; arus -c "$WORK/nodb.yml" sync "$PIPE" || rc=$?
assert_eq "$rc" "4" "exit code for an unknown database"
one_line 4 "Unknown database" "unknown database"

# missing table
my_write_config "    tables: [nosuch]
    max_retries: 0"
rc=0; arus -c "$WORK/arus.yml" sync "$PIPE" || rc=$?
[ "$rc" -ne 0 ] || fail "missing table: exit 0"
one_line "$rc" "table \"nosuch\" not found in database \"$MY_SRC\"" "missing table"

# pipeline lock held by another session -> exit 6, fast
my_write_config "    tables: [orders]
    max_retries: 0"
MYSQL_PWD=$ARUS_MY_PASSWORD mariadb --no-defaults --protocol=TCP -h "$ARUS_MY_HOST" -P "$ARUS_MY_PORT" -u "$ARUS_MY_USER" \
    -e "SELECT GET_LOCK('arus:$PIPE', 0); SELECT SLEEP(20)" >/dev/null 2>&1 &
holder=$!
on_exit "kill $holder"
for _ in $(seq 50); do
    [ "$(mys -e "SELECT IS_USED_LOCK('arus:$PIPE') IS NOT NULL")" = 1 ] && break
    sleep 0.1
done
rc=0; arus -c "$WORK/arus.yml" sync "$PIPE" || rc=$?
assert_eq "$rc" "6" "exit code while the lock is held"
one_line 6 "pipeline \"$PIPE\" is already running" "lock held"
# end the holding session on the server (killing the client alone leaves SLEEP running)
mys -e "KILL $(mys -e "SELECT IS_USED_LOCK('arus:$PIPE')")"
wait "$holder" 2>/dev/null || true
arus_ok -c "$WORK/arus.yml" sync "$PIPE"
assert_eq "$(mys -e "SELECT COUNT(*) FROM \`$MY_AN\`.orders")" "1" "sync after the lock is released"
echo "ok"

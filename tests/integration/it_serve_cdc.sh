#!/usr/bin/env bash
# arus serve with a change data capture pipeline (PostgreSQL sync_mode cdc into SQLite): it
# follows on a thread of its own from the start (inserts, updates, deletes arrive while serve
# runs) while a scheduled pipeline keeps running with a single worker; the API shows it running
# and answers 409 to "run now"; SIGHUP restarts it on the reread config; a failing follow pipeline is restarted with backoff; /metrics and the API report its slot's lag; pause stops following (a change made meanwhile does not
# arrive), resume catches up; SIGTERM exits 0 with the position committed, so a later
# `arus sync P` applies only what changed after the stop; with serve.coordination one of two
# processes follows, and the other takes over after the first is killed.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg_lib.sh"
source "$(dirname "$0")/serve_lib.sh"
on_exit "pg_sql -c \"SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '$PG_IT_DB'\""
export ARUS_PG_PASSWORD

pg_sql <<'SQL'
CREATE TABLE items (id int PRIMARY KEY, v text);
CREATE TABLE nokey (id int, v text);
INSERT INTO items SELECT i, 'v' || i FROM generate_series(1, 10) i;
SQL
LITE=$WORK/lite.db
WH=$WORK/wh.db
sqlite_sql "$LITE" "CREATE TABLE t (id INTEGER PRIMARY KEY, updated_at TIMESTAMP);
  INSERT INTO t VALUES (1, '2024-01-01 00:00:00');"
P=sc_$$ # the slot is arus_$P: per cluster, so unique per process
{
    echo "sources:"
    pg_endpoint pgsrc postgresql "schema: public"
    echo "  lite: {type: sqlite, path: \"$LITE\"}"
    echo "destinations:"
    echo "  wh: {type: sqlite, path: \"$WH\"}"
    cat <<YML
pipelines:
  $P: {source: pgsrc, destination: wh, sync_mode: cdc, tables: [items]}
  ${P}_bad: {source: pgsrc, destination: wh, sync_mode: cdc, tables: [nokey], target_schema: bad,
            initial_backoff: 1s, max_backoff: 2s}
  ticking: {source: lite, destination: wh, tables: [t], schedule: "@every 1s", target_schema: tk}
serve:
  workers: 1
  shutdown_timeout: 20s
YML
} >"$WORK/arus.yml"
PORT=$(free_port)
URL=http://127.0.0.1:$PORT
start_serve s1 "$WORK/arus.yml" "$PORT"

dest() { sqlite_sql "$WH" "SELECT group_concat(id || '=' || v, ',') FROM (SELECT id, v FROM analytics__items ORDER BY id)" 2>/dev/null; }
src() { pg_sql -c "SELECT string_agg(id || '=' || v, ',' ORDER BY id) FROM items"; }
caught_up() { [ "$(dest)" = "$(src)" ]; }

# ---- the initial copy, then changes arrive while serve follows
wait_for caught_up
pg_sql <<'SQL'
INSERT INTO items VALUES (11, 'new'), (12, 'new2');
UPDATE items SET v = 'upd' WHERE id IN (1, 2);
DELETE FROM items WHERE id = 3;
SQL
wait_for caught_up
assert_eq "$(dest | cut -c1-20)" "1=upd,2=upd,4=v4,5=v" "changes applied while following"

# ---- the API shows it following; run now is refused; scheduled runs still get the worker
api GET "$URL/api/v1/pipelines/$P"
expect 200 "pipeline"
assert_eq "$(json 'j["state"], j["follow"], j["paused"]')" "running True False" "follow state"
api POST "$URL/api/v1/pipelines/$P/runs"
expect 409 "run now while following"
ticked() { api GET "$URL/api/v1/pipelines/ticking"; [ "$(json 'j["last_run"] and j["last_run"]["status"]')" = ok ]; }
wait_for ticked
curl -s "$URL/metrics" >"$WORK/metrics"
grep -q "^arus_pipeline_running{pipeline=\"$P\"} 1$" "$WORK/metrics" || fail "running gauge: $(grep running "$WORK/metrics")"
# The slot's lag, read every 10 s (the first read may come before the slot exists).
lag_known() { curl -s "$URL/metrics" | grep -qE "^arus_cdc_lag_bytes\{pipeline=\"$P\"\} [0-9]+$"; }
wait_for lag_known
api GET "$URL/api/v1/pipelines"
assert_eq "$(json "[p['cdc_lag_bytes'] is not None for p in j['pipelines'] if p['name'] == '$P']")" "[True]" "cdc_lag_bytes in the API"

# ---- a follow run that fails (a table without a key) is restarted with backoff, each attempt
# a failed run
restarted() { curl -s "$URL/metrics" | grep -qE "^arus_runs_failed_total\{pipeline=\"${P}_bad\"\} [2-9]"; }
wait_for restarted
api GET "$URL/api/v1/pipelines/${P}_bad"
assert_eq "$(json 'j["last_run"]["trigger"], j["last_run"]["status"]')" "follow failed" "failed follow run"
case $(json 'j["last_run"]["error"]') in *"no primary key"*) ;; *) fail "failed follow run error: $BODY" ;; esac

# ---- SIGHUP: the follow run commits and ends, a new one starts on the reread config
kill -HUP "$(cat "$WORK/s1.pid")"
restarted_ok() { api GET "$URL/api/v1/pipelines/$P"; [ "$(json 'j["state"], j["last_run"] and j["last_run"]["status"]')" = "running ok" ]; }
wait_for restarted_ok
pg_sql -c "INSERT INTO items VALUES (13, 'after reload')"
wait_for caught_up

# ---- pause: the run commits and ends; a change made meanwhile does not arrive
api POST "$URL/api/v1/pipelines/$P/pause"
expect 200 "pause"
stopped() { api GET "$URL/api/v1/pipelines/$P"; [ "$(json 'j["state"]')" != running ]; }
wait_for stopped
assert_eq "$(json 'j["last_run"]["status"], j["last_run"]["trigger"]')" "ok follow" "paused follow run ended ok"
pg_sql -c "INSERT INTO items VALUES (100, 'while paused')"
sleep 2
caught_up && fail "a change arrived while paused"
# ---- resume: it catches up
api POST "$URL/api/v1/pipelines/$P/resume"
expect 200 "resume"
wait_for caught_up

# ---- SIGTERM: exit 0 with the position committed
stop_serve s1
assert_eq "$SERVE_RC" 0 "serve exit code after SIGTERM"
pg_sql -c "INSERT INTO items VALUES (200, 'after stop')"
arus_ok -c "$WORK/arus.yml" --json sync "$P"
assert_eq "$(python3 -c 'import json,sys; t=json.load(sys.stdin)["tables"][0]; print(t["rows_loaded"], t["rows_deleted"])' <"$WORK/out")" "1 0" "a later sync applies only the change made after the stop"
caught_up || fail "destination differs after the last sync: $(dest) vs $(src)"
grep "follow run failed" "$WORK/s1.err" | grep -qv "${P}_bad" && fail "a follow run failed: $(cat "$WORK/s1.err")"

# ---- serve.coordination: of two processes one follows (the follow lease); SIGKILL it and the
# other takes over once the lease expires
sed -i "s/^serve:$/serve:\n  coordination: pgsrc\n  lease_time: 2s/; /^  ${P}_bad:/,/max_backoff/d" "$WORK/arus.yml"
PORT2=$(free_port)
start_serve c1 "$WORK/arus.yml" "$PORT"
start_serve c2 "$WORK/arus.yml" "$PORT2"
following() { # PORT: prints 1 when that process follows P
    curl -s "http://127.0.0.1:$1/api/v1/pipelines/$P" | python3 -c 'import json,sys; print(int(json.load(sys.stdin)["state"] == "running"))'
}
one_follows() { [ $(($(following "$PORT") + $(following "$PORT2"))) = 1 ]; }
wait_for one_follows
sleep 3 # more than a lease time: still one
one_follows || fail "both or neither follow after a lease time"
if [ "$(following "$PORT")" = 1 ]; then holder=c1 other=$PORT2; else holder=c2 other=$PORT; fi
# The other never tried: a second follower would have met the pipeline lock (a skipped run).
curl -s "http://127.0.0.1:$other/metrics" | grep -q "^arus_skipped_ticks_total{pipeline=\"$P\"} 0$" || fail "the process without the lease ran $P"
assert_eq "$(pg_sql -c "SELECT count(*) FROM arus_state.serve_leases WHERE pipeline = '$P' AND tick = 0 AND NOT done")" 1 "one follow lease"
pg_sql -c "INSERT INTO items VALUES (300, 'coordinated')"
wait_for caught_up
stop_serve "$holder" KILL
wait_for '[ "$(following "$other")" = 1 ]'
pg_sql -c "UPDATE items SET v = 'taken over' WHERE id = 300"
wait_for caught_up
for c in c1 c2; do [ $c = "$holder" ] || stop_serve $c; done
assert_eq "$SERVE_RC" 0 "surviving serve exit code"
echo "PASS [$IT_NAME]"

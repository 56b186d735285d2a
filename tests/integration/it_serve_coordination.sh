#!/usr/bin/env bash
# Three arus serve processes with serve.coordination on a PostgreSQL endpoint share the ticks of
# SQLite -> SQLite pipelines: every tick runs exactly once across the group (one lease row per
# tick, one run per lease in the history); a SIGKILLed holder's run is taken over by another
# process once its lease expires, and completes.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/serve_lib.sh"
source "$(dirname "$0")/pg_lib.sh"

SRC=$WORK/src.db
sqlite_sql "$SRC" "CREATE TABLE items (id INTEGER PRIMARY KEY, qty INTEGER, updated_at TIMESTAMP);
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200)
  INSERT INTO items SELECT i, i, printf('2024-01-01 00:%02d:%02d', i / 60, i % 60) FROM n;"
write_cfg() { # pipelines
  {
    echo "sources:"
    echo "  lite: {type: sqlite, path: $SRC}"
    echo "destinations:"
    pg_endpoint coord postgresql
    echo "  d1: {type: sqlite, path: $WORK/d1.db}"
    echo "  d2: {type: sqlite, path: $WORK/d2.db}"
    echo "  d3: {type: sqlite, path: $WORK/d3.db}"
    echo "pipelines:"
    printf '%s\n' "$1"
    echo "serve: {coordination: coord, lease_time: 2s}"
  } >"$WORK/arus.yml"
}
export ARUS_PG_PASSWORD
leases() { pg_sql -c "SELECT $1 FROM arus_state.serve_leases WHERE $2"; }

# ---- every tick exactly once
write_cfg "  every1: {source: lite, destination: d1, tables: [items], schedule: '@every 1s'}
  every2: {source: lite, destination: d2, tables: [items], schedule: '@every 2s'}"
for i in 1 2 3; do start_serve "s$i" "$WORK/arus.yml" "$(free_port)"; done
sleep 7
for i in 1 2 3; do
  stop_serve "s$i"
  assert_eq "$SERVE_RC" 0 "serve s$i exit status"
done
for p in every1:d1 every2:d2; do
  name=${p%%:*} db=$WORK/${p#*:}.db
  nleases=$(leases "count(*)" "pipeline = '$name' AND done")
  [ "$nleases" -ge 3 ] || fail "$name: only $nleases ticks leased"
  assert_eq "$(leases "count(*)" "pipeline = '$name' AND NOT done")" 0 "$name: unfinished leases"
  # Each run in the history is the run of exactly one leased tick (a lease row per tick); a
  # tick whose pipeline lock another process still held is recorded skipped, without a run.
  sqlite_sql "$db" "SELECT DISTINCT run_id FROM arus_state__runs WHERE pipeline = '$name'" | sort >"$WORK/history"
  leases run_id "pipeline = '$name' AND status IN ('ok', 'failed')" | sort >"$WORK/leased"
  diff "$WORK/history" "$WORK/leased" >/dev/null || fail "$name: runs vs leases: $(diff "$WORK/history" "$WORK/leased")"
  [ "$(wc -l <"$WORK/history")" -ge 3 ] || fail "$name: only $(wc -l <"$WORK/history") runs"
  echo "$name: $nleases ticks ($(leases "count(*)" "pipeline = '$name' AND status = 'skipped'") skipped), run by $(leases "count(DISTINCT holder)" "pipeline = '$name'") processes"
done
assert_eq "$(sqlite_sql "$WORK/d1.db" "SELECT count(*) FROM analytics__items")" 200 "rows of every1"

# ---- a SIGKILLed holder's run is taken over after its lease expires
pg_sql -c "TRUNCATE arus_state.serve_leases"
write_cfg "  slowp: {source: lite, destination: d3, tables: [items], schedule: '@every 10s', batch_size: 50}"
for i in 4 5 6; do
  start_serve "s$i" "$WORK/arus.yml" "$(free_port)" ARUS_FAULT=after_commit:1 ARUS_FAULT_ACTION=sleep:3
done
wait_for '[ -n "$(leases holder "pipeline = '"'slowp'"' AND NOT done")" ]'
holder=$(leases holder "pipeline = 'slowp' AND NOT done")
tick=$(leases tick "pipeline = 'slowp' AND NOT done")
victim=$(cut -d: -f2 <<<"$holder")
kill -9 "$victim"
echo "killed $victim holding tick $tick"
for ((i = 0; i < 300; i++)); do
  [ "$(leases done "pipeline = 'slowp' AND tick = $tick")" = t ] && break
  sleep 0.1
done
assert_eq "$(leases done "pipeline = 'slowp' AND tick = $tick")" t "the killed run's tick finished"
newholder=$(leases holder "pipeline = 'slowp' AND tick = $tick")
[ "$(cut -d: -f2 <<<"$newholder")" != "$victim" ] || fail "tick $tick still held by the killed process"
grep -q "took over the run of tick $tick" "$WORK"/s[456].err || fail "no takeover logged"
assert_eq "$(sqlite_sql "$WORK/d3.db" "SELECT count(*) FROM analytics__items")" 200 "rows after the takeover"
for i in 4 5 6; do
  [ "$(cut -d: -f2 <<<"$holder")" = "$(cat "$WORK/s$i.pid")" ] && continue
  stop_serve "s$i"
  assert_eq "$SERVE_RC" 0 "serve s$i exit status"
done
echo "PASS [$IT_NAME]"

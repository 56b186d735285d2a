#!/usr/bin/env bash
# bench/serve.sh: two figures of arus serve on SQLite -> SQLite pipelines.
#   1. tick-to-run: a pipeline on "@every 1s" fires on whole seconds; the run history's
#      started_at of each run's table says how long after its tick the table started (clock
#      read, queue, worker, source/destination connect, pipeline lock, table selection).
#   2. memory: VmRSS of a serve with 20 pipelines, idle right after start and idle again after
#      each pipeline ran once.
# Usage: ARUS=build/arus bash bench/serve.sh [SECONDS (default 20)]
set -euo pipefail
ARUS=${ARUS:-build/arus}
SECS=${1:-20}
WORK=$(mktemp -d /tmp/arus-bench-serve.XXXXXX)
trap 'kill $PID 2>/dev/null || true; rm -rf "$WORK"' EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
rss() { awk '/VmRSS/ {print $2 " kB"}' "/proc/$1/status"; }

sqlite3 "$WORK/src.db" "CREATE TABLE items (id INTEGER PRIMARY KEY, qty INTEGER, updated_at TIMESTAMP);
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000)
  INSERT INTO items SELECT i, i, printf('2024-01-01 %02d:%02d:%02d', i / 3600, i / 60 % 60, i % 60) FROM n;"
{
  echo "sources: {lite: {type: sqlite, path: $WORK/src.db}}"
  echo "destinations:"
  for i in $(seq 1 20); do echo "  d$i: {type: sqlite, path: $WORK/d$i.db}"; done
  echo "pipelines:"
  echo "  p1: {source: lite, destination: d1, tables: [items], schedule: '@every 1s'}"
  for i in $(seq 2 20); do echo "  p$i: {source: lite, destination: d$i, tables: [items], schedule: '0 3 * * *'}"; done
} >"$WORK/arus.yml"

# ---- memory: p1 paused so nothing runs
sed 's/@every 1s'"'"'}/@every 1s'"'"', paused: true}/' "$WORK/arus.yml" >"$WORK/idle.yml"
P=$(port)
"$ARUS" -c "$WORK/idle.yml" serve --listen "127.0.0.1:$P" 2>"$WORK/idle.err" &
PID=$!
sleep 2
echo "idle serve, 20 pipelines, just started: $(rss $PID)"
for i in $(seq 1 20); do curl -s -o /dev/null -X POST "http://127.0.0.1:$P/api/v1/pipelines/p$i/runs"; done
for _ in $(seq 1 100); do
  n=$(curl -s "http://127.0.0.1:$P/api/v1/pipelines" | python3 -c 'import json,sys; print(sum(p["last_run"] is not None for p in json.load(sys.stdin)["pipelines"]))')
  [ "$n" = 20 ] && break
  sleep 0.2
done
sleep 1
echo "idle serve, 20 pipelines, after one run of each ($n runs): $(rss $PID)"
kill -TERM $PID; wait $PID || true

# ---- tick-to-run
P=$(port)
"$ARUS" -c "$WORK/arus.yml" serve --listen "127.0.0.1:$P" 2>"$WORK/serve.err" &
PID=$!
sleep "$SECS"
kill -TERM $PID; wait $PID || true
sqlite3 "$WORK/d1.db" "SELECT started_at FROM arus_state__runs WHERE pipeline = 'p1' ORDER BY started_at" |
python3 -c '
import sys
lat = [float(l.split(":")[-1]) % 1 * 1000 for l in sys.stdin if l.strip()]
print("per run (ms):", " ".join(f"{x:.0f}" for x in lat))
lat = sorted(lat[1:] if len(lat) > 1 else lat)  # the first tick may meet a cold cache
n = len(lat)
print(f"tick-to-run (tick -> table start), {n} runs: median {lat[n // 2]:.1f} ms, "
      f"p90 {lat[int(n * 0.9)]:.1f} ms, max {lat[-1]:.1f} ms")
'

#!/usr/bin/env bash
# The arus serve web console in headless Chromium (DevTools protocol, tests/integration/
# serve_console.mjs): pipeline names, a failed run's error, "Run now" queues a run that appears
# in the history and on its run page, pause/resume, a phone-sized screen; then again with an
# API token, which the console asks for once.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/serve_lib.sh"

command -v chromium >/dev/null || skip "chromium not installed (scripts/install-deps.sh)"
command -v node >/dev/null || skip "node not installed"
SRC=$WORK/src.db
DST=$WORK/wh.db
sqlite_sql "$SRC" "CREATE TABLE items (id INTEGER PRIMARY KEY, qty INTEGER, updated_at TIMESTAMP);
  INSERT INTO items VALUES (1, 1, '2024-01-01 00:00:01'), (2, 2, '2024-01-01 00:00:02');"
write_cfg() {
  cat >"$WORK/arus.yml" <<YML
sources:
  lite: {type: sqlite, path: $SRC}
destinations:
  wh: {type: sqlite, path: $DST}
pipelines:
  target: {source: lite, destination: wh, tables: [items]}
  broken: {source: lite, destination: wh, tables: [no_such_table]}
$1
YML
}

# run_console PORT [TOKEN]: a fresh Chromium profile per run (the token lives in localStorage).
run_console() {
  local profile
  profile=$(mktemp -d "$WORK/chrome.XXXXXX")
  chromium --headless --no-sandbox --disable-gpu --no-first-run --remote-debugging-port=0 \
    --user-data-dir="$profile" about:blank 2>"$profile.err" &
  local cpid=$!
  on_exit "kill $cpid"
  # a cold Chromium start on a loaded 2-core machine (ASan tests beside it) can take long
  WAIT_FOR_SECONDS=90 wait_for 'grep -qs "DevTools listening on" "$profile.err"'
  local port page
  port=$(sed -n 's|.*DevTools listening on ws://127.0.0.1:\([0-9]*\)/.*|\1|p' "$profile.err")
  page=$(curl -s "http://127.0.0.1:$port/json/list" | python3 -c 'import json,sys; print([t for t in json.load(sys.stdin) if t["type"]=="page"][0]["webSocketDebuggerUrl"])')
  node "$(dirname "$0")/serve_console.mjs" "$page" "http://127.0.0.1:$1" "${2:-}" 2>&1 || true
  kill "$cpid" 2>/dev/null || true
  wait "$cpid" 2>/dev/null || true
}

write_cfg ""
PORT=$(free_port)
start_serve s1 "$WORK/arus.yml" "$PORT"
api POST "http://127.0.0.1:$PORT/api/v1/pipelines/broken/runs"
api POST "http://127.0.0.1:$PORT/api/v1/pipelines/target/runs"
wait_for 'api GET "http://127.0.0.1:$PORT/api/v1/pipelines" && [ "$(json "sum(p[\"last_run\"] is not None for p in j[\"pipelines\"])")" = 2 ]'
run_console "$PORT" >"$WORK/console1.out"
grep -q '^ok console' "$WORK/console1.out" || fail "console without token: $(cat "$WORK/console1.out")"
stop_serve s1

TOKEN=console-token-$$-0123456789
write_cfg "serve: {api_token: \"$TOKEN\"}"
PORT=$(free_port)
start_serve s2 "$WORK/arus.yml" "$PORT"
api POST "http://127.0.0.1:$PORT/api/v1/pipelines/broken/runs" -H "Authorization: Bearer $TOKEN"
wait_for 'api GET "http://127.0.0.1:$PORT/api/v1/pipelines" -H "Authorization: Bearer $TOKEN" && [ "$(json "[p for p in j[\"pipelines\"] if p[\"name\"]==\"broken\"][0][\"state\"]")" = failing ]'
run_console "$PORT" "$TOKEN" >"$WORK/console2.out"
grep -q '^ok console' "$WORK/console2.out" || fail "console with token: $(cat "$WORK/console2.out")"
stop_serve s2
echo "PASS [$IT_NAME]"

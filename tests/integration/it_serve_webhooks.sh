#!/usr/bin/env bash
# arus serve: webhooks against a local receiver (JSON body, Slack form, HMAC-SHA256 signature,
# retries after failures, a dead receiver never holding up runs), and SIGTERM during a run: the
# run in flight commits and the process exits 0.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/serve_lib.sh"

SRC=$WORK/src.db
DST=$WORK/wh.db
sqlite_sql "$SRC" "CREATE TABLE items (id INTEGER PRIMARY KEY, qty INTEGER, updated_at TIMESTAMP);
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200)
  INSERT INTO items SELECT i, i, printf('2024-01-01 00:%02d:%02d', i / 60, i % 60) FROM n;"
HOOK_PORT=$(free_port)
SLACK_PORT=$(free_port)
DEAD_PORT=$(free_port) # nobody listens there
HOOK_SECRET=hook-secret-$$
# The signed hook's receiver answers 500 twice: to the ping below and to the first event, which
# is then retried and delivered.
python3 "$(dirname "$0")/serve_receiver.py" "$HOOK_PORT" "$WORK/hook.jsonl" 2 &
on_exit "kill $!"
python3 "$(dirname "$0")/serve_receiver.py" "$SLACK_PORT" "$WORK/slack.jsonl" &
on_exit "kill $!"
cat >"$WORK/arus.yml" <<YML
sources:
  lite: {type: sqlite, path: $SRC}
destinations:
  wh: {type: sqlite, path: $DST}
pipelines:
  flaky: {source: lite, destination: wh, tables: [items], target_schema: f}
  slow: {source: lite, destination: wh, tables: [items], target_schema: s, batch_size: 50}
serve:
  webhooks:
    - {url: "http://127.0.0.1:$DEAD_PORT/never", events: [run_failed, run_recovered, run_succeeded]}
    - {url: "http://127.0.0.1:$HOOK_PORT/hook", events: [run_failed, run_recovered], secret: "$HOOK_SECRET"}
    - {url: "http://127.0.0.1:$SLACK_PORT/slack", format: slack, events: [run_failed]}
YML
for p in "$HOOK_PORT" "$SLACK_PORT"; do wait_for "curl -s -o /dev/null -X POST http://127.0.0.1:$p/ping -d x"; done
rm -f "$WORK/hook.jsonl" "$WORK/slack.jsonl"
PORT=$(free_port)
URL=http://127.0.0.1:$PORT
start_serve s1 "$WORK/arus.yml" "$PORT"

# flaky fails (its table is missing), then recovers once the table exists.
sqlite_sql "$SRC" "ALTER TABLE items RENAME TO items_away"
api POST "$URL/api/v1/pipelines/flaky/runs"
expect 202 "trigger flaky"
wait_for '[ -s "$WORK/hook.jsonl" ] && [ -s "$WORK/slack.jsonl" ]'
sqlite_sql "$SRC" "ALTER TABLE items_away RENAME TO items"
api POST "$URL/api/v1/pipelines/flaky/runs"
expect 202 "trigger flaky again"
RUN2=$(json 'j["run_id"]')
wait_for '[ "$(grep -c "\"answered\": 204" "$WORK/hook.jsonl")" -ge 2 ]'

python3 - "$WORK/hook.jsonl" "$WORK/slack.jsonl" "$HOOK_SECRET" "$RUN2" <<'PY' || fail "webhook payloads"
import hashlib, hmac, json, sys
records = [json.loads(l) for l in open(sys.argv[1])]
# The first POST got a 500 and was retried with the same body.
assert records[0]["answered"] == 500 and records[1]["answered"] == 204, records
assert records[0]["body"] == records[1]["body"], records
hook = [r for r in records if r["answered"] == 204]
slack = [json.loads(l) for l in open(sys.argv[2])]
secret, run2 = sys.argv[3].encode(), sys.argv[4]
events = [json.loads(h["body"])["event"] for h in hook]
assert events == ["run_failed", "run_recovered"], events
for h in hook:
    want = "sha256=" + hmac.new(secret, h["body"].encode(), hashlib.sha256).hexdigest()
    assert h["headers"]["x-arus-signature"] == want, h
    assert h["headers"]["content-type"] == "application/json", h
failed = json.loads(hook[0]["body"])
assert failed["pipeline"] == "flaky" and failed["status"] == "failed", failed
assert "items" in failed["error"], failed
assert json.loads(hook[1]["body"])["run_id"] == run2, hook[1]
assert len(slack) == 1, slack
body = json.loads(slack[0]["body"])
assert list(body) == ["text"] and "flaky failed" in body["text"], body
PY
# The dead receiver is retried with backoff (logged), and runs went on meanwhile.
wait_for 'grep -q "webhook.*127.0.0.1:$DEAD_PORT/never: .*retrying" "$WORK/s1.err"'
api GET "$URL/api/v1/runs/$RUN2"
[ "$(json 'j["status"]')" = ok ] || fail "run 2: $BODY"
stop_serve s1
assert_eq "$SERVE_RC" 0 "exit after webhooks"

# ---- SIGTERM during a run: the run in flight commits, the process exits 0.
cat >"$WORK/arus2.yml" <<YML
sources:
  lite: {type: sqlite, path: $SRC}
destinations:
  wh: {type: sqlite, path: $DST}
pipelines:
  slow: {source: lite, destination: wh, tables: [items], target_schema: s, batch_size: 50}
serve:
  shutdown_timeout: 20s
YML
PORT=$(free_port)
URL=http://127.0.0.1:$PORT
start_serve s2 "$WORK/arus2.yml" "$PORT" ARUS_FAULT=after_commit:1 ARUS_FAULT_ACTION=sleep:2
api POST "$URL/api/v1/pipelines/slow/runs"
expect 202 "trigger slow"
wait_for 'grep -q "run .* started" "$WORK/s2.err" || { api GET "$URL/api/v1/pipelines/slow" && [ "$(json "j[\"state\"]")" = running ]; }'
stop_serve s2 TERM
assert_eq "$SERVE_RC" 0 "exit status after SIGTERM during a run"
grep -q 'stopping: waiting up to 20s for runs in flight' "$WORK/s2.err" || fail "stop message: $(cat "$WORK/s2.err")"
assert_eq "$(sqlite_sql "$DST" "SELECT status FROM arus_state__runs WHERE pipeline = 'slow' ORDER BY started_at DESC LIMIT 1")" ok "the run in flight finished"
assert_eq "$(sqlite_sql "$DST" "SELECT count(*) FROM s__items")" 200 "rows of the run in flight"
echo "PASS [$IT_NAME]"

#!/usr/bin/env bash
# arus serve on SQLite -> SQLite pipelines: every API endpoint with authentication off and on,
# bad input (unknown pipeline, malformed JSON, huge body, bad limit, wrong method), 409 while a
# run is in flight, schedules and depends_on, /metrics, secrets never in a response, refusal to
# listen on a non-loopback address without a token, and SIGHUP reload.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/serve_lib.sh"

SRC=$WORK/src.db
DST=$WORK/wh.db
sqlite_sql "$SRC" "CREATE TABLE items (id INTEGER PRIMARY KEY, qty INTEGER, updated_at TIMESTAMP);
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100)
  INSERT INTO items SELECT i, CASE WHEN i % 25 = 0 THEN -i ELSE i END,
    printf('2024-01-01 00:%02d:%02d', i / 60, i % 60) FROM n;"
# The dead-letter pipeline's warehouse refuses negative quantities.
sqlite_sql "$DST" "CREATE TABLE dl__items (id BIGINT NOT NULL, qty BIGINT CHECK (qty >= 0),
  updated_at TIMESTAMP, _arus_run_id TEXT NOT NULL, _arus_synced_at TEXT NOT NULL, PRIMARY KEY (id));"
SECRET=pw-never-shown-$$
write_cfg() { # extra serve settings, extra pipelines
  cat >"$WORK/arus.yml" <<YML
sources:
  lite: {type: sqlite, path: $SRC}
  unused_pg: {type: postgresql, host: 127.0.0.1, user: nobody, password: "$SECRET", dbname: x}
destinations:
  wh: {type: sqlite, path: $DST}
pipelines:
  ticking: {source: lite, destination: wh, tables: [items], schedule: "@every 1s", target_schema: t1,
            paused: true}
  after: {source: lite, destination: wh, tables: [items], depends_on: [ticking], target_schema: t2}
  broken: {source: lite, destination: wh, tables: [no_such_table]}
  dead: {source: lite, destination: wh, tables: [items], target_schema: dl, raw_schema: dlraw,
         max_dead_letters: 10, batch_size: 10}
  slow: {source: lite, destination: wh, tables: [items], target_schema: t3, batch_size: 50}
$2
serve:
  workers: 3
$1
YML
}
write_cfg "" ""
chmod 600 "$WORK/arus.yml"
PORT=$(free_port)
URL=http://127.0.0.1:$PORT
# The first batch commit of the process (the slow pipeline's, triggered first; ticking starts
# paused) takes 3 s.
start_serve s1 "$WORK/arus.yml" "$PORT" ARUS_FAULT=after_commit:1 ARUS_FAULT_ACTION=sleep:3

# ---- run now; 409 while it is queued or running; the run page while it runs
# (both requests from one curl, a moment apart)
curl -s -X POST -w '\n%{http_code}\n' "$URL/api/v1/pipelines/slow/runs" "$URL/api/v1/pipelines/slow/runs" >"$WORK/two"
assert_eq "$(sed -n 2p "$WORK/two")" 202 "trigger slow"
assert_eq "$(sed -n 4p "$WORK/two")" 409 "second trigger while queued or running"
SLOW_RUN=$(sed -n 1p "$WORK/two" | python3 -c 'import json,sys; print(json.load(sys.stdin)["run_id"])')
assert_eq "$(sed -n 3p "$WORK/two")" '{"error":"pipeline \"slow\" is already queued or running"}' "409 body"
api GET "$URL/api/v1/runs/$SLOW_RUN"
expect 200 "run while running"
case $(json 'j["status"]') in running | queued) ;; *) fail "slow run status: $BODY" ;; esac

# ---- schedules and depends_on: ticking (resumed) runs every second, after runs after it
api POST "$URL/api/v1/pipelines/ticking/resume"
expect 200 "resume ticking"
wait_for 'api GET "$URL/api/v1/pipelines" && [ "$(json "[p for p in j[\"pipelines\"] if p[\"name\"]==\"after\"][0][\"last_run\"] is not None")" = True ]'
api GET "$URL/api/v1/pipelines"
expect 200 "list"
[ "$(json '",".join(p["name"] for p in j["pipelines"])')" = "ticking,after,broken,dead,slow" ] || fail "names: $BODY"
[ "$(json '[p for p in j["pipelines"] if p["name"]=="after"][0]["last_run"]["trigger"]')" = dependency ] || fail "after not run by dependency: $BODY"
[ "$(json '[p for p in j["pipelines"] if p["name"]=="ticking"][0]["next_run"] is not None')" = True ] || fail "next_run: $BODY"
[ "$(json '[p for p in j["pipelines"] if p["name"]=="ticking"][0]["last_run"]["rows_extracted"] >= 1')" = True ] || fail "counts: $BODY"

# ---- a failing pipeline: state failing, error in the list, the run and the history
api POST "$URL/api/v1/pipelines/broken/runs"
expect 202 "trigger broken"
BROKEN_RUN=$(json 'j["run_id"]')
wait_for 'api GET "$URL/api/v1/runs/$BROKEN_RUN" && [ "$(json "j[\"status\"]")" = failed ]'
grep -q 'no_such_table' <<<"$(json 'j["error"]')" || fail "run error: $BODY"
grep -q 'run .* failed' <<<"$(json '"\n".join(j["log"])')" || fail "run log lines: $BODY"
api GET "$URL/api/v1/pipelines"
[ "$(json '[p for p in j["pipelines"] if p["name"]=="broken"][0]["state"]')" = failing ] || fail "broken state: $BODY"

# ---- the slow run ends: its run page has tables and log lines
wait_for 'api GET "$URL/api/v1/runs/$SLOW_RUN" && [ "$(json "j[\"status\"]")" = ok ]'
[ "$(json 'j["tables"][0]["table"]')" = items ] || fail "run tables: $BODY"
[ "$(json 'j["tables"][0]["rows_loaded"]')" = 100 ] || fail "run rows: $BODY"
grep -q 'table "items" incremental: extracted=100' <<<"$(json '"\n".join(j["log"])')" || fail "run log: $BODY"

# ---- pipeline page: tables with watermark and lag, last run
api GET "$URL/api/v1/pipelines/slow"
expect 200 "pipeline"
[ "$(json 'j["tables"][0]["watermark"]')" = "2024-01-01 00:01:40" ] || fail "watermark: $BODY"
[ "$(json 'j["tables"][0]["mode"]')" = incremental ] || fail "mode: $BODY"
[ "$(json 'j["tables"][0]["lag_seconds"] > 0')" = True ] || fail "lag: $BODY"

# ---- run history with limit
api GET "$URL/api/v1/pipelines/ticking/runs?limit=2"
expect 200 "runs"
[ "$(json 'len(j["runs"])')" = 2 ] || fail "limit 2: $BODY"
api GET "$URL/api/v1/pipelines/slow/runs"
[ "$(json 'j["runs"][0]["run_id"]')" = "$SLOW_RUN" ] || fail "the history keeps the run id the trigger answered: $BODY"
api GET "$URL/api/v1/pipelines/broken/runs"
expect 200 "broken runs"
[ "$(json 'j["runs"][0]["run_id"]')" = "$BROKEN_RUN" ] || fail "a run that failed before any table is listed: $BODY"
api GET "$URL/api/v1/pipelines/ticking/runs?limit=abc"
expect 400 "bad limit"

# ---- dead letters
api POST "$URL/api/v1/pipelines/dead/runs" -d '{}'
expect 202 "trigger dead (with an empty JSON object)"
DEAD_RUN=$(json 'j["run_id"]')
wait_for 'api GET "$URL/api/v1/runs/$DEAD_RUN" && [ "$(json "j[\"status\"]")" = ok ]'
[ "$(json 'j["rows_dead_lettered"]')" = 4 ] || fail "dead-lettered count: $BODY"
api GET "$URL/api/v1/pipelines/dead/dead-letters"
expect 200 "dead letters"
[ "$(json 'len(j["dead_letters"])')" = 4 ] || fail "dead letters: $BODY"
grep -q 'CHECK constraint failed' <<<"$(json 'j["dead_letters"][0]["error"]')" || fail "dead letter error: $BODY"

# ---- pause / resume
api POST "$URL/api/v1/pipelines/ticking/pause"
expect 200 "pause"
[ "$(json 'j["paused"]')" = True ] || fail "paused: $BODY"
api GET "$URL/api/v1/pipelines/ticking"
[ "$(json 'j["next_run"]')" = None ] || fail "paused has no next run: $BODY"
api POST "$URL/api/v1/pipelines/ticking/resume"
expect 200 "resume"
[ "$(json 'j["paused"]')" = False ] || fail "resumed: $BODY"

# ---- bad input
api GET "$URL/api/v1/pipelines/nope"
expect 404 "unknown pipeline"
[ "$(json 'j["error"]')" = 'no pipeline named "nope"' ] || fail "404 message: $BODY"
api POST "$URL/api/v1/pipelines/nope/runs"
expect 404 "trigger unknown pipeline"
api GET "$URL/api/v1/runs/00000000-0000-0000-0000-000000000000"
expect 404 "unknown run"
api POST "$URL/api/v1/pipelines/broken/runs" -H 'Content-Type: application/json' -d '{"x": '
expect 400 "malformed JSON"
grep -q '^malformed JSON body' <<<"$(json 'j["error"]')" || fail "400 message: $BODY"
api POST "$URL/api/v1/pipelines/broken/runs" -d '[1]'
expect 400 "JSON that is not an object"
head -c 200000 /dev/zero | tr '\0' 'x' >"$WORK/huge"
api POST "$URL/api/v1/pipelines/broken/runs" --data-binary "@$WORK/huge"
expect 413 "huge body"
api DELETE "$URL/api/v1/pipelines/broken"
expect 405 "wrong method"
api GET "$URL/api/v2/pipelines"
expect 404 "unknown version"
api GET "$URL/api/v1/nothing"
expect 404 "unknown route"
api GET "$URL/healthz"
expect 200 "healthz"

# ---- metrics
api GET "$URL/metrics"
expect 200 "metrics"
for m in 'arus_rows_extracted_total{pipeline="slow",table="items"} 100' \
         'arus_rows_loaded_total{pipeline="slow",table="items"} 100' \
         'arus_rows_dead_lettered_total{pipeline="dead",table="items"} 4' \
         'arus_runs_failed_total{pipeline="broken"} 1' \
         'arus_run_duration_seconds_bucket{pipeline="slow",le="+Inf"} 1' \
         'arus_run_duration_seconds_count{pipeline="slow"} 1' \
         '# TYPE arus_run_duration_seconds histogram' \
         'arus_pipeline_paused{pipeline="ticking"} 0' \
         '# TYPE arus_skipped_ticks_total counter' \
         '# TYPE arus_runs_in_flight gauge'; do
    grep -qF "$m" "$WORK/body" || fail "metric missing: $m"
done
grep -q '^arus_last_success_timestamp_seconds{pipeline="slow"} [1-9]' "$WORK/body" || fail "last success metric"
grep -q '^arus_watermark_age_seconds{pipeline="slow",table="items"} [1-9]' "$WORK/body" || fail "watermark age metric"

# ---- SIGHUP: a new pipeline appears, runs in flight keep going
write_cfg "" "  added: {source: lite, destination: wh, tables: [items], target_schema: t4}"
kill -HUP "$(cat "$WORK/s1.pid")"
wait_for 'api GET "$URL/api/v1/pipelines" && grep -q "\"added\"" "$WORK/body"'
# A broken config on SIGHUP is refused; the old one stays.
echo "pipelines: [" >>"$WORK/arus.yml"
kill -HUP "$(cat "$WORK/s1.pid")"
wait_for 'grep -q "reload of .* failed, keeping the running config" "$WORK/s1.err"'
api GET "$URL/api/v1/pipelines"
expect 200 "after a failed reload"
stop_serve s1
assert_eq "$SERVE_RC" 0 "exit status after SIGTERM"

# ---- secrets never in a response
grep -q "$SECRET" "$WORK/all_bodies" && fail "a response contains the password"

# ---- authentication on
TOKEN=token-$$-abcdefghijklmnop
write_cfg "  api_token: \"$TOKEN\"" ""
PORT=$(free_port)
URL=http://127.0.0.1:$PORT
start_serve s2 "$WORK/arus.yml" "$PORT"
# After a restart the last runs come from the destinations' history.
wait_for 'api GET "$URL/api/v1/pipelines" -H "Authorization: Bearer $TOKEN" && [ "$(json "[p for p in j[\"pipelines\"] if p[\"name\"]==\"slow\"][0][\"last_run\"][\"trigger\"]")" = history ]'
[ "$(json '[p for p in j["pipelines"] if p["name"]=="slow"][0]["last_run"]["run_id"]')" = "$SLOW_RUN" ] || fail "slow's last run from history: $BODY"
api GET "$URL/api/v1/pipelines"
expect 401 "no token"
api GET "$URL/api/v1/pipelines" -H "Authorization: Bearer wrong-token-wrong-token"
expect 401 "wrong token"
api GET "$URL/api/v1/pipelines" -H "Authorization: Bearer $TOKEN"
expect 200 "right token"
api POST "$URL/api/v1/pipelines/broken/runs" -H "Authorization: Bearer $TOKEN"
expect 202 "trigger with token"
api GET "$URL/healthz"
expect 200 "healthz needs no token"
api GET "$URL/"
expect 200 "console needs no token (it asks for one)"
grep -q "$TOKEN" "$WORK/all_bodies" && fail "a response contains the API token"
stop_serve s2
assert_eq "$SERVE_RC" 0 "exit status with auth"

# ---- a non-loopback address needs a token
write_cfg "" ""
rc=0; arus -c "$WORK/arus.yml" serve --listen "0.0.0.0:$(free_port)" || rc=$?
assert_eq "$rc" 3 "non-loopback without token"
grep -q 'refusing to listen on 0.0.0.0:.* without serve.api_token' "$WORK/err" || fail "message: $(cat "$WORK/err")"
rc=0; arus -c "$WORK/arus.yml" serve --listen "nonsense" || rc=$?
assert_eq "$rc" 3 "bad listen address"
# Dependency cycles and bad schedules are config errors before anything listens.
write_cfg "" "  c1: {source: lite, destination: wh, depends_on: [c2]}
  c2: {source: lite, destination: wh, depends_on: [c1]}"
rc=0; arus -c "$WORK/arus.yml" serve --listen "127.0.0.1:$(free_port)" || rc=$?
assert_eq "$rc" 3 "dependency cycle"
grep -q 'pipelines.c1.depends_on: dependency cycle c1 -> c2 -> c1' "$WORK/err" || fail "cycle message: $(cat "$WORK/err")"
write_cfg "" "  bad: {source: lite, destination: wh, schedule: '0 25 * * *'}"
rc=0; arus -c "$WORK/arus.yml" serve --listen "127.0.0.1:$(free_port)" || rc=$?
assert_eq "$rc" 3 "bad schedule"
grep -q "pipelines.bad.schedule: schedule \"0 25 \* \* \*\": bad hour field \"25\" (values 0-23)" "$WORK/err" || fail "schedule message: $(cat "$WORK/err")"
echo "PASS [$IT_NAME]"

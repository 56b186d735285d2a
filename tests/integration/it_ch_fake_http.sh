#!/usr/bin/env bash
# The ClickHouse destination's HTTP behaviour against a scripted fake server: an exception that
# arrives inside an HTTP 200 body (as ClickHouse sends it when a query fails after streaming
# began) fails the sync with the server's one-line "Code: NNN ..." text and exit 5; credentials
# travel in X-ClickHouse-User/-Key headers, never in the URL; one keep-alive connection serves
# the whole run; gzip bodies are sent when configured. Needs no real server.
source "$(dirname "$0")/lib.sh"

cat >"$WORK/fake.py" <<'PY'
import gzip, http.server, socketserver, sys, urllib.parse
log = open(sys.argv[2], "a")
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        url = urllib.parse.urlparse(self.path)
        q = urllib.parse.parse_qs(url.query).get("query", [None])[0] or body.decode()
        log.write("PORT %s URL %s USER %s KEY %s ENC %s Q %s\n" % (self.client_address[1],
                  self.path, self.headers.get("X-ClickHouse-User"),
                  self.headers.get("X-ClickHouse-Key"), self.headers.get("Content-Encoding"),
                  q.split("(")[0].strip()))
        log.flush()
        out = b""
        if q.startswith("SELECT version()"):
            out = b"18.16.1\n"
        elif q.startswith("EXISTS TABLE"):
            out = b"0\n"
        elif q.startswith('INSERT INTO "fake_an"."t"'):
            out = b"Code: 241, e.displayText() = DB::Exception: Memory limit (for query) exceeded, e.what() = DB::Exception\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)
    def log_message(self, *a):
        pass
class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
s = S(("127.0.0.1", 0), H)
open(sys.argv[1], "w").write(str(s.server_address[1]))
s.serve_forever()
PY
python3 "$WORK/fake.py" "$WORK/port" "$WORK/requests" &
fake=$!
on_exit "kill $fake"
for _ in $(seq 100); do [ -s "$WORK/port" ] && break; sleep 0.05; done
[ -s "$WORK/port" ] || fail "fake server did not start"

sqlite_sql "$WORK/src.db" "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT, updated_at TIMESTAMP);
  INSERT INTO t VALUES (1, 'a', '2024-01-01 00:00:00');"
export IT_FAKE_PW="s3cret-$IT_ID"
cat >"$WORK/arus.yml" <<YML
sources:
  lite: {type: sqlite, path: $WORK/src.db}
destinations:
  ch:
    type: clickhouse
    port: $(cat "$WORK/port")
    username: fakeuser
    password: \${IT_FAKE_PW}
    raw_schema: fake_raw
    target_schema: fake_an
    state_schema: fake_state
    compression: gzip
pipelines:
  p: {source: lite, destination: ch, tables: [t], load_mode: raw+normalized, max_retries: 0}
YML

rc=0; arus -c "$WORK/arus.yml" sync p || rc=$?
assert_eq "$rc" 5 "exit code for an exception inside a 200 body"
assert_eq "$(wc -l <"$WORK/err")" 1 "one stderr line ($(cat "$WORK/err"))"
grep -q '^arus: table "t": insert rows into "fake_an"."t" on clickhouse "ch": Code: 241, e.displayText() = DB::Exception: Memory limit (for query) exceeded$' "$WORK/err" \
  || fail "message: $(cat "$WORK/err")"
# no watermark was written after the failed insert
! grep -q 'Q INSERT INTO "fake_state"."watermarks"' "$WORK/requests" || fail "watermark written after a failed insert"
# credentials only in headers, never in a URL
! grep -q "URL [^ ]*$IT_FAKE_PW" "$WORK/requests" || fail "password in a URL"
[ "$(grep -c "USER fakeuser KEY $IT_FAKE_PW " "$WORK/requests")" = "$(wc -l <"$WORK/requests")" ] \
  || fail "a request without credentials headers: $(cat "$WORK/requests")"
# data bodies gzip-compressed; one keep-alive connection for the whole run
grep -q 'ENC gzip Q INSERT INTO "fake_raw"."lite_t_raw"' "$WORK/requests" || fail "raw insert not gzip: $(cat "$WORK/requests")"
assert_eq "$(awk '{print $2}' "$WORK/requests" | sort -u | wc -l)" 1 "client ports (connections) used"
echo ok

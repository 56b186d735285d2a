#!/usr/bin/env bash
# The ClickHouse destination's HTTP behaviour against a scripted fake server: an exception that
# arrives inside an HTTP 200 body (as ClickHouse sends it when a query fails after streaming
# began) fails the sync with the server's one-line "Code: NNN ..." text and exit 5; credentials
# travel in X-ClickHouse-User/-Key headers, never in the URL; one keep-alive connection serves
# the whole run; gzip bodies are sent when configured. Needs no real server.
source "$(dirname "$0")/lib.sh"

cat >"$WORK/fake.py" <<'PY'
import http.server, socket, socketserver, sys, urllib.parse, zlib
log = open(sys.argv[2], "a")
MIDSTREAM = b"Code: 27, e.displayText() = DB::Exception: Cannot parse input: expected \\t before: x, e.what() = DB::Exception\n"
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def chunks(self):
        """The request body piece by piece: chunked (streamed INSERTs) or Content-Length."""
        if self.headers.get("Transfer-Encoding") != "chunked":
            yield self.rfile.read(int(self.headers.get("Content-Length", 0)))
            return
        while True:
            n = int(self.rfile.readline().split(b";")[0], 16)
            data = self.rfile.read(n) if n else b""
            self.rfile.readline()
            if not n:
                return
            yield data
    def reply(self, status, out, close=False):
        self.send_response(status)
        self.send_header("Content-Length", str(len(out)))
        if close:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(out)
        self.wfile.flush()
    def do_POST(self):
        gz = self.headers.get("Content-Encoding") == "gzip"
        z = zlib.decompressobj(16 + 15) if gz else None
        url = urllib.parse.urlparse(self.path)
        q = urllib.parse.parse_qs(url.query).get("query", [None])[0]
        body = b""
        for c in self.chunks():
            body += z.decompress(c) if gz else c
            # the second INSERT into m fails after 2 batches of a streamed request: the
            # server answers at once and stops reading, like ClickHouse on a parse error
            if q and q.startswith('INSERT INTO "fake_an"."m"') and m_requests[0] == 1 and body.count(b"\n") >= 20:
                self.record(q, body)
                m_requests[0] += 1
                self.reply(500, MIDSTREAM, close=True)
                self.connection.shutdown(socket.SHUT_WR)
                self.connection.settimeout(5)
                try:  # drain, so that closing does not reset the connection
                    while self.connection.recv(65536):
                        pass
                except OSError:
                    pass
                self.close_connection = True
                return
        q = q or body.decode()
        if q.startswith('INSERT INTO "fake_an"."m"'):
            m_requests[0] += 1
        self.record(q, body)
        out = b""
        if q.startswith("SELECT version()"):
            out = b"18.16.1\n"
        elif q.startswith("EXISTS TABLE"):
            out = b"0\n"
        elif q.startswith('INSERT INTO "fake_an"."t"'):
            out = b"Code: 241, e.displayText() = DB::Exception: Memory limit (for query) exceeded, e.what() = DB::Exception\n"
        self.reply(200, out)
    def record(self, q, body):
        rows = body.count(b"\n") if q.startswith("INSERT") else 0
        wm = body.split(b"\t")[2].decode() if q.startswith("INSERT") and "watermarks" in q.split("(")[0] else "-"
        log.write("PORT %s URL %s USER %s KEY %s ENC %s TE %s ROWS %d WM %s Q %s\n" % (self.client_address[1],
                  self.path, self.headers.get("X-ClickHouse-User"),
                  self.headers.get("X-ClickHouse-Key"), self.headers.get("Content-Encoding"),
                  self.headers.get("Transfer-Encoding"), rows, wm.replace(" ", "T"), q.split("(")[0].strip()))
        log.flush()
    def log_message(self, *a):
        pass
m_requests = [0]
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
  INSERT INTO t VALUES (1, 'a', '2024-01-01 00:00:00');
  CREATE TABLE m (id INTEGER PRIMARY KEY, v TEXT, updated_at TIMESTAMP);
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 65)
  INSERT INTO m SELECT i, 'v' || i, datetime('2024-01-01', '+' || i || ' minutes') FROM n;"
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
  pm: {source: lite, destination: ch, tables: [m], batch_size: 10, max_retries: 0}
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
# data bodies gzip-compressed and streamed (chunked); keep-alive connections: one for
# statements, one per open INSERT stream (raw, typed)
grep -q 'ENC gzip TE chunked ROWS 1 WM - Q INSERT INTO "fake_raw"."lite_t_raw"' "$WORK/requests" || fail "raw insert not gzip: $(cat "$WORK/requests")"
[ "$(awk '{print $2}' "$WORK/requests" | sort -u | wc -l)" -le 3 ] || fail "connections used: $(cat "$WORK/requests")"

# A server-side failure in the middle of a streamed multi-batch INSERT (65 rows, batches of
# 10): the table's first batch goes alone and is accepted, so its watermark may be stored; the
# next request streams batches 2.. and the server refuses it after 20 rows. The run fails with
# the server's line, and no watermark beyond the first batch's is ever written.
: >"$WORK/requests"
rc=0; arus -c "$WORK/arus.yml" sync pm || rc=$?
assert_eq "$rc" 5 "exit code for a failure mid-stream"
assert_eq "$(wc -l <"$WORK/err")" 1 "one stderr line ($(cat "$WORK/err"))"
grep -q '^arus: table "m": insert rows into "fake_an"."m" on clickhouse "ch": Code: 27, e.displayText() = DB::Exception: Cannot parse input: expected \\t before: x$' "$WORK/err" \
  || fail "message: $(cat "$WORK/err")"
grep 'Q INSERT INTO "fake_an"."m"' "$WORK/requests" | awk '{print $14}' >"$WORK/m_rows"
assert_eq "$(head -1 "$WORK/m_rows")" 10 "rows of the first INSERT (the first batch alone)"
[ "$(sed -n 2p "$WORK/m_rows")" -ge 20 ] || fail "the failed INSERT did not span batches: $(cat "$WORK/requests")"
wms=$(grep 'Q INSERT INTO "fake_state"."watermarks"' "$WORK/requests" | awk '{print $16}' | sort -u)
[ -z "$wms" ] || assert_eq "$wms" "2024-01-01T00:10:00" "watermarks written during the failed run"
grep -q 'Q INSERT INTO "fake_state"."runs"' "$WORK/requests" || fail "run not recorded"

# The same table against a server that accepts everything: 10 rows, then the other 55 in one
# request, and the final watermark only after it.
: >"$WORK/requests"
arus_ok -c "$WORK/arus.yml" sync pm
assert_eq "$(grep 'Q INSERT INTO "fake_an"."m"' "$WORK/requests" | awk '{print $14}' | tr '\n' ' ')" "10 55 " "rows per INSERT"
last_data=$(grep -n 'Q INSERT INTO "fake_an"."m"' "$WORK/requests" | tail -1 | cut -d: -f1)
first_final=$(grep -n 'WM 2024-01-01T01:05:00 Q INSERT INTO "fake_state"."watermarks"' "$WORK/requests" | head -1 | cut -d: -f1)
[ -n "$first_final" ] && [ "$first_final" -gt "$last_data" ] || fail "final watermark not written after the rows: $(cat "$WORK/requests")"
echo ok

#!/usr/bin/env python3
"""Webhook receiver for the serve tests: python3 serve_receiver.py PORT OUT [FAIL_FIRST].
Appends one JSON line per POST to OUT ({"headers": {...}, "body": "..."}); answers 500 to the
first FAIL_FIRST requests (to exercise retries), 204 afterwards."""
import http.server
import json
import sys

PORT, OUT = int(sys.argv[1]), sys.argv[2]
FAIL_FIRST = int(sys.argv[3]) if len(sys.argv) > 3 else 0
seen = 0


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        global seen
        body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
        seen += 1
        with open(OUT, "a") as f:
            f.write(json.dumps({"headers": {k.lower(): v for k, v in self.headers.items()},
                                "body": body, "answered": 500 if seen <= FAIL_FIRST else 204}) + "\n")
        self.send_response(500 if seen <= FAIL_FIRST else 204)
        self.end_headers()

    def log_message(self, *args):
        pass


http.server.HTTPServer(("127.0.0.1", PORT), Handler).serve_forever()

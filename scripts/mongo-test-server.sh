#!/usr/bin/env bash
# mongo-test-server.sh - disposable MongoDB-wire-protocol test server on 127.0.0.1 for libmongoc
# integration tests, where no real mongod can be had (Debian 12 ships none; prebuilt-binary
# downloads are unreachable). The server is "CongoDB", the pure-JavaScript, in-memory wire-protocol
# server inside the npm package @push.rocks/smartmongo@2.2.0 (MIT), run on Node >= 18.
#
# Usage:
#   mongo-test-server.sh install   npm-install the pinned packages into $MONGO_TEST_DIR (project-local)
#   mongo-test-server.sh start     install if needed, start on 127.0.0.1:$MONGO_TEST_PORT, wait until
#                                  it accepts connections, record the PID (idempotent)
#   mongo-test-server.sh stop      stop exactly the recorded PID (checked against its command line)
#   mongo-test-server.sh status    PID and liveness; exit 1 if down
#   mongo-test-server.sh env       print `export MONGO_TEST_URI=...`
#
# Environment: MONGO_TEST_DIR (default: $ARUS_SRV_ROOT/mongo, i.e. /tmp/arus-srv/mongo, next to the
#              servers of scripts/servers.sh), MONGO_TEST_PORT (27018),
#              MONGO_TEST_TIMEOUT (seconds to wait for readiness, 20).
#
# Why the odd install: smartmongo@2.2.0 declares dependencies (smartdata, mongodb-memory-server, ...)
# that CongoDB never loads and whose required versions the registry reachable here does not serve, so a
# plain `npm install @push.rocks/smartmongo@2.2.0` fails with ETARGET. We install only the six packages
# CongoDB imports (exact versions), then fetch the smartmongo tarball with `npm pack`, check its sha512
# against the registry's published integrity, and unpack it under $DIR/vendor/ (outside node_modules,
# so npm never prunes it). Node resolves bson/mingo/... from $DIR/node_modules.
#
# Known server limits (measured with libmongoc 1.23): no authentication (any user:pass URI fails with
# "Incorrect step for 'done'"); int64 values that fit in int32 come back as int32 and those up to 2^53
# as double; integral doubles (3.0) come back as int32; _id must be an ObjectId (string/subdocument _id
# rejected, int _id silently turned into an ObjectId); no change streams; one process-wide in-memory
# store, lost on stop.
set -euo pipefail

DIR=${MONGO_TEST_DIR:-${ARUS_SRV_ROOT:-/tmp/arus-srv}/mongo}
PORT=${MONGO_TEST_PORT:-27018}
HOST=127.0.0.1
TIMEOUT=${MONGO_TEST_TIMEOUT:-20}
PIDFILE=$DIR/server.pid
LOG=$DIR/server.log

SMARTMONGO=@push.rocks/smartmongo@2.2.0
SMARTMONGO_INTEGRITY='sha512-ovVCNoJ3D0aBuKtoKaQWWQKvBngaGJq9fAPQigzji1EHsS1XyGpXWCpe5nq/ptGvBROOcpqZcOFEGAcrnb+OjA=='
DEPS=(bson@6.10.4 mingo@7.2.7 @push.rocks/smartfs@1.5.0 @push.rocks/smartpath@5.1.0
      @push.rocks/smartpromise@4.2.3 @push.rocks/smartrx@3.0.10)

log() { printf '[mongo-test-server] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

installed() { [ -f "$DIR/node_modules/bson/package.json" ] && [ -f "$DIR/vendor/smartmongo/dist_ts/congodb/index.js" ] && [ -f "$DIR/server.mjs" ]; }

write_server() {
  cat > "$DIR/server.mjs" <<'EOF'
// Starts CongoDB (from @push.rocks/smartmongo@2.2.0) on 127.0.0.1; prints READY when listening.
import { writeFileSync, rmSync } from 'node:fs';
import { CongoServer } from './vendor/smartmongo/dist_ts/congodb/index.js';
const arg = (name, dflt) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : dflt; };
const port = parseInt(arg('--port', '27018'), 10);
const pidfile = arg('--pidfile', '');
const server = new CongoServer({ host: '127.0.0.1', port, storage: 'memory' });
await server.start();
if (pidfile) writeFileSync(pidfile, `${process.pid}\n`);
console.log(`READY ${server.getConnectionUri()} pid=${process.pid}`);
const stop = async () => { await server.stop(); if (pidfile) rmSync(pidfile, { force: true }); process.exit(0); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
EOF
}

do_install() {
  command -v node >/dev/null || die "node not found"
  command -v npm >/dev/null || die "npm not found"
  mkdir -p "$DIR"
  [ -f "$DIR/package.json" ] || printf '{\n  "name": "mongo-test-server",\n  "private": true,\n  "version": "0.0.0",\n  "type": "module"\n}\n' > "$DIR/package.json"
  log "npm install ${DEPS[*]}"
  (cd "$DIR" && npm install --no-audit --no-fund --ignore-scripts --save-exact --loglevel=error "${DEPS[@]}" >&2)
  local tgz
  tgz=$(cd "$DIR" && npm pack --silent "$SMARTMONGO" 2>/dev/null | tail -n1)
  [ -f "$DIR/$tgz" ] || die "npm pack $SMARTMONGO produced no tarball"
  local got
  got=$(node -e 'const c=require("crypto"),f=require("fs");process.stdout.write("sha512-"+c.createHash("sha512").update(f.readFileSync(process.argv[1])).digest("base64"))' "$DIR/$tgz")
  [ "$got" = "$SMARTMONGO_INTEGRITY" ] || { rm -f "$DIR/$tgz"; die "integrity mismatch for $SMARTMONGO: $got"; }
  rm -rf "$DIR/vendor/smartmongo" && mkdir -p "$DIR/vendor/smartmongo"
  tar xzf "$DIR/$tgz" -C "$DIR/vendor/smartmongo" --strip-components=1
  rm -f "$DIR/$tgz"
  write_server
  log "installed into $DIR"
}

our_pid() {  # prints the recorded PID if that process is alive and is our server.mjs
  [ -f "$PIDFILE" ] || return 1
  local pid; pid=$(tr -dc 0-9 < "$PIDFILE")
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' < "/proc/$pid/cmdline" | grep -qF -- "$DIR/server.mjs" || return 1
  echo "$pid"
}

do_start() {
  installed || do_install
  if pid=$(our_pid); then log "already running, pid $pid"; return 0; fi
  rm -f "$PIDFILE"
  local t0; t0=$(date +%s%N)
  # Own session (setsid), like scripts/servers.sh: a Ctrl-C or a group kill aimed at the caller
  # does not reach the server. setsid execs in place here (a script's background job is no group
  # leader), so $! is the server's PID.
  setsid node "$DIR/server.mjs" --port "$PORT" --pidfile "$PIDFILE" > "$LOG" 2>&1 < /dev/null &
  local bgpid=$!
  local deadline=$(( $(date +%s) + TIMEOUT ))
  until grep -q '^READY' "$LOG" 2>/dev/null; do
    kill -0 "$bgpid" 2>/dev/null || { cat "$LOG" >&2; die "server exited during start"; }
    [ "$(date +%s)" -lt "$deadline" ] || { cat "$LOG" >&2; kill "$bgpid" 2>/dev/null || true; die "not ready after ${TIMEOUT}s"; }
    sleep 0.05
  done
  log "ready on mongodb://$HOST:$PORT/ pid $(cat "$PIDFILE") in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
}

do_stop() {
  local pid
  if ! pid=$(our_pid); then log "not running"; rm -f "$PIDFILE"; return 0; fi
  kill -TERM "$pid"
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  if kill -0 "$pid" 2>/dev/null; then log "pid $pid ignored SIGTERM, sending SIGKILL"; kill -KILL "$pid"; fi
  rm -f "$PIDFILE"
  log "stopped pid $pid"
}

do_status() {
  local pid
  if pid=$(our_pid); then
    echo "running pid $pid on mongodb://$HOST:$PORT/ rss $(awk '/VmRSS/ {print $2" "$3}' "/proc/$pid/status")"
  else echo "not running"; return 1; fi
}

case "${1:-}" in
  install) do_install ;;
  start) do_start ;;
  stop) do_stop ;;
  restart) do_stop; do_start ;;
  status) do_status ;;
  env) echo "export MONGO_TEST_URI=mongodb://$HOST:$PORT/" ;;
  *) sed -n '2,/^# Why/p' "$0" | sed '$d'; exit 2 ;;
esac

# Helpers for the arus serve tests (sourced after lib.sh): free ports, starting a serve process
# and waiting for /healthz, and calling the API with curl.

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# start_serve NAME CONFIG PORT [env...]: start arus serve in the background; its pid goes to
# $WORK/NAME.pid, stderr to $WORK/NAME.err. Waits until /healthz answers.
start_serve() {
    local name=$1 cfg=$2 port=$3
    shift 3
    env "$@" "$ARUS" -c "$cfg" serve --listen "127.0.0.1:$port" 2>"$WORK/$name.err" &
    echo $! >"$WORK/$name.pid"
    on_exit "kill -9 $! 2>/dev/null"
    local i
    for ((i = 0; i < 100; i++)); do
        curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && return 0
        kill -0 "$(cat "$WORK/$name.pid")" 2>/dev/null || fail "serve $name died: $(cat "$WORK/$name.err")"
        sleep 0.1
    done
    fail "serve $name did not answer /healthz: $(cat "$WORK/$name.err")"
}

# stop_serve NAME [SIGNAL]: signal it (TERM by default) and wait; sets SERVE_RC.
stop_serve() {
    local pid
    pid=$(cat "$WORK/$1.pid")
    kill -"${2:-TERM}" "$pid"
    SERVE_RC=0
    wait "$pid" || SERVE_RC=$?
}

# api METHOD URL [curl args...]: status code to $CODE, body to $WORK/body (and $BODY).
api() {
    local method=$1 url=$2
    shift 2
    CODE=$(curl -s -o "$WORK/body" -w '%{http_code}' -X "$method" "$@" "$url")
    BODY=$(cat "$WORK/body")
    cat "$WORK/body" >>"$WORK/all_bodies"
}
expect() { # CODE what
    [ "$CODE" = "$1" ] || fail "$2: expected HTTP $1, got $CODE: $BODY"
}
# json EXPR: evaluate a Python expression over the last body (as `j`).
json() { python3 -c "import json,sys; j=json.load(open('$WORK/body')); print($1)"; }

# wait_for CMD...: retry a command for up to WAIT_FOR_SECONDS (default 20) s.
wait_for() {
    local i
    for ((i = 0; i < ${WAIT_FOR_SECONDS:-20} * 10; i++)); do
        if eval "$*"; then return 0; fi
        sleep 0.1
    done
    fail "timed out waiting for: $*"
}

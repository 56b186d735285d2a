# Helpers of the arus verify tests (sourced by it_verify_*.sh after lib.sh).

# arus_exit CODE WHAT ARGS...: run arus with ARGS and check its exit code.
arus_exit() {
    local want=$1 what=$2 rc=0
    shift 2
    arus "$@" || rc=$?
    [ "$rc" = "$want" ] || fail "$what: arus $* exited $rc, expected $want: $(head -c 400 "$WORK/err")"
}

# verify_drift TABLE: "missing extra changed missing-keys extra-keys changed-keys" of TABLE in
# the last `arus verify --json` output (keys joined with ';').
verify_drift() {
    jq -r --arg t "$1" '.tables[] | select(.table == $t) |
        "\(.missing) \(.extra) \(.changed) \(.keys.missing|join(";")) \(.keys.extra|join(";")) \(.keys.changed|join(";"))"' \
        "$WORK/out"
}

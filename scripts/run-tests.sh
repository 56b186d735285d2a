#!/usr/bin/env bash
# run-tests.sh - the whole test suite, as `make test` and CI (.ci/run) run it:
#   1. install missing Debian packages (scripts/install-deps.sh test);
#   2. start the four test servers; any already running (same ARUS_SRV_ROOT and ports) are
#      reused and left running, the ones started here are stopped at the end, also on failure;
#   3. build/ (warnings as errors): the unit tests;
#   4. build-asan/ (ASan+UBSan, warnings as errors): every test, unit and integration.
#   5. each libFuzzer target for ARUS_FUZZ_SECONDS seconds (default 15; scripts/fuzz.sh).
# Exit status 0 only when both builds succeed and every test passes. ARUS_TEST_JOBS sets the
# build and ctest parallelism (default: the number of cores).
set -euo pipefail

cd "$(dirname "$0")/.."
JOBS=${ARUS_TEST_JOBS:-$(nproc)}

log() { printf '[run-tests] %s\n' "$*" >&2; }

bash scripts/install-deps.sh test

# ---- servers: remember which ones this run starts, so that exactly those get stopped
STARTED=()
stop_started() {
    local i
    for ((i = ${#STARTED[@]} - 1; i >= 0; i--)); do
        case ${STARTED[$i]} in
            mongo) bash scripts/mongo-test-server.sh stop || true ;;
            *) bash scripts/servers.sh stop "${STARTED[$i]}" || true ;;
        esac
    done
    STARTED=()
}
trap stop_started EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# (status output captured first: grep -q in a pipe would SIGPIPE the writer under pipefail)
for s in pg mysql ch; do
    state=$(bash scripts/servers.sh status "$s" 2>/dev/null || true)
    if grep -q "^$s  *running" <<<"$state"; then
        log "$s: already running, reused and left running"
    else
        STARTED+=("$s")    # before start: a start that fails halfway is cleaned up too
        bash scripts/servers.sh start "$s"
    fi
done
if bash scripts/mongo-test-server.sh status >/dev/null 2>&1; then
    log "mongo: already running, reused and left running"
else
    STARTED+=(mongo)
    bash scripts/mongo-test-server.sh start
fi
# Under make test a server that does not answer is a failure, not a skip.
export ARUS_IT_REQUIRE_SERVERS=1

# ---- tests. A failing stage does not stop the later ones; the exit status covers all.
export ASAN_OPTIONS=detect_leaks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
status=0
passed=0 failed=0 skipped=0

# libmongoc (linked into arus) creates /dev/shm/mongoc-<pid> in every process and removes it
# at exit; a SIGKILLed run (the crash tests kill arus on purpose) leaves it behind, and a later
# process that gets the same PID prints "Falling back to malloc for counters" on stderr, which
# breaks tests that expect one error line. Remove the files of processes that are gone.
clean_stale_mongoc_shm() {
    local f
    for f in /dev/shm/mongoc-*; do
        [ -e "$f" ] || continue
        [ -d "/proc/${f##*-}" ] || rm -f "$f"
    done
}

# run_ctest BUILD_DIR ARGS...: run ctest, add its counts to the totals, note a failure.
run_ctest() {
    local dir=$1 out rc=0 n_total n_failed n_skipped; shift
    out=$dir/ctest-summary.log
    clean_stale_mongoc_shm
    ctest --test-dir "$dir" --output-on-failure --no-tests=error -j "$JOBS" "$@" 2>&1 \
        | tee "$out" || rc=$?
    [ "$rc" -eq 0 ] || status=1
    # "100% tests passed, 0 tests failed out of 12"; skipped tests count as passed there.
    read -r n_failed n_total < <(sed -n 's/.* tests passed, \([0-9]*\) tests failed out of \([0-9]*\)$/\1 \2/p' "$out" | tail -n1) \
        || { log "no ctest summary in $out"; status=1; return; }
    n_skipped=$(grep -c '(Skipped)$' "$out" || true)
    passed=$((passed + n_total - n_failed - n_skipped))
    failed=$((failed + n_failed))
    skipped=$((skipped + n_skipped))
}

log "plain build (build/, -Werror)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DARUS_WERROR=ON -DARUS_SANITIZE=OFF
cmake --build build -j "$JOBS"
log "unit tests on the plain build"
run_ctest build -L unit

log "ASan+UBSan build (build-asan/, -Werror)"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_FLAGS_DEBUG="-O1 -g" \
    -DARUS_SANITIZE=ON -DARUS_WERROR=ON
cmake --build build-asan -j "$JOBS"
log "all tests on the ASan+UBSan build"
run_ctest build-asan

# Every libFuzzer target (scripts/fuzz.sh, clang) for ARUS_FUZZ_SECONDS seconds each (default
# 15; 0 turns it off), counted as one test; needs no servers.
if [ "${ARUS_FUZZ_SECONDS:-15}" -gt 0 ]; then
    ARUS_FUZZ_SECONDS=${ARUS_FUZZ_SECONDS:-15}
    log "fuzzing each target for ${ARUS_FUZZ_SECONDS}s"
    if bash scripts/fuzz.sh -t "$ARUS_FUZZ_SECONDS"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1)) status=1
    fi
fi

stop_started
echo "arus: $passed passed, $failed failed, $skipped skipped"
exit "$status"

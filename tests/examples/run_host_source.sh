#!/usr/bin/env bash
# The host-program example (examples/host_source.c) end to end, without servers: a first run
# loads every row, a rerun loads none (the inclusive re-read of the last watermark changes
# nothing), a run after the source grew loads only the new rows, and the warehouse holds the
# source's rows. Usage: run_host_source.sh PATH/TO/example_host_source
set -euo pipefail

prog=${1:?usage: run_host_source.sh PATH/TO/example_host_source}
work=$(mktemp -d /tmp/arus-example.XXXXXX)
trap 'rm -rf "$work"' EXIT
db=$work/warehouse.db

fail() { echo "FAIL [example_host_source]: $*" >&2; exit 1; }

# expect ROWS LINE: run the example with ROWS source rows; its report must be LINE.
expect() {
    "$prog" "$db" "$1" >"$work/out" 2>"$work/err" || fail "rows=$1 exited $?: $(cat "$work/err")"
    [ "$(cat "$work/out")" = "$2" ] || fail "rows=$1: expected '$2', got '$(cat "$work/out")'"
}

expect 8 'countries: incremental extracted=8 loaded=8'
expect 8 'countries: incremental extracted=1 loaded=0'
expect 12 'countries: incremental extracted=5 loaded=4'

got=$(sqlite3 "$db" "SELECT count(*) || ' ' || max(name) FROM analytics__countries")
[ "$got" = "12 Luxembourg" ] || fail "warehouse: expected '12 Luxembourg', got '$got'"

# A bad endpoint key is reported the way the config loader reports its own errors.
if "$prog" "$db" 13 >"$work/out" 2>"$work/err"; then fail "rows=13 succeeded"; fi
grep -q '^sync failed: example.yml:4: rows: expected 0 to 12$' "$work/err" ||
    fail "rows=13: unexpected error '$(cat "$work/err")'"
echo "example_host_source: ok"

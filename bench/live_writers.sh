#!/usr/bin/env bash
# bench/live_writers.sh - arus against live writers: sysbench oltp_read_write on a PostgreSQL
# and a MariaDB source (database-maintained updated_at) while `arus sync` runs in a loop, one
# transaction held open 6 s across several syncs, then one last sync; prints per run the
# transactions/s, the syncs during the workload, the rows compared and the differences, with
# the commit horizon on (the default: must be 0 differences) and, for comparison, off.
# Usage: bench/live_writers.sh [SECONDS]   (default 30; LIVE_THREADS, LIVE_ROWS as in
# tests/integration/live_lib.sh; ARUS=path/to/arus, default build/arus; needs the servers of
# scripts/servers.sh). Not a test: the same scenario runs in make test as it_live_sysbench_*.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
export ARUS=${ARUS:-$ROOT/build/arus} ARUS_SOURCE_DIR=$ROOT ARUS_BUILD_DIR=${ARUS_BUILD_DIR:-$ROOT/build}
export LIVE_SECONDS=${1:-30}
[ -x "$ARUS" ] || { echo "no arus binary at $ARUS (build first or set ARUS)" >&2; exit 1; }

status=0
for horizon in true false; do
    for t in pg my; do
        echo "== commit_horizon: $horizon, it_live_sysbench_$t (LIVE_SECONDS=$LIVE_SECONDS)"
        out=$(LIVE_COMMIT_HORIZON=$horizon bash "$ROOT/tests/integration/it_live_sysbench_$t.sh" 2>&1)
        rc=$?
        grep -E 'transactions/s|FAIL' <<<"$out"
        if [ "$horizon" = true ] && [ $rc -ne 0 ]; then status=1; fi
    done
done
exit $status

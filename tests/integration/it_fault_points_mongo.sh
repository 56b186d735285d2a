#!/usr/bin/env bash
# Crash anywhere, MongoDB source: it_fault_points.sh's matrix (fl_fault_points in fault_lib.sh)
# for the mongodb source x destinations {sqlite, pg, mysql, ch (when built)}: after a crash at
# each fault point the stored watermark is not ahead of the committed rows, and after a clean
# rerun the destination equals the documents read back from the server (count + checksum), no
# duplicate keys. Fewer rows than the SQL sources: the test server is slow and "updates" are
# delete + re-insert (mongo_lib.sh). FAULT_PAIRS="mongo:dst ..." narrows the pairs.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/mongo_lib.sh"
source "$(dirname "$0")/fault_lib.sh"

# shellcheck disable=SC2046  # one word per pair
fl_fault_points 1000 ${FAULT_PAIRS:-$(for d in $(fl_dsts); do echo "mongo:$d"; done)}
echo "ok"

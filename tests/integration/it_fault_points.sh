#!/usr/bin/env bash
# Crash anywhere, every pair: for each source {sqlite, pg, mysql} x destination {sqlite, pg,
# mysql, ch (when built)}, a round of source changes (updates, inserts, soft deletes) and a run
# that the engine's fault hook kills (exit 99, no clean-up) at each fault point; after each
# crash the stored watermark is not ahead of the committed rows, and after a clean rerun the
# destination equals the source (count + checksum of canonical rows) without duplicate keys.
# The MongoDB source's pairs are in it_fault_points_mongo.sh (fl_fault_points in fault_lib.sh).
# FAULT_PAIRS="src:dst ..." narrows the pairs (for debugging).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/fault_lib.sh"

# shellcheck disable=SC2046  # one word per pair
fl_fault_points 2000 ${FAULT_PAIRS:-$(for s in sqlite pg mysql; do for d in $(fl_dsts); do echo "$s:$d"; done; done)}
echo "ok"

# Helpers of the arus verify tests (sourced by it_verify_*.sh after lib.sh).

# verify_tables: "table:status:source_rows ..." of the last `arus verify --json` output, sorted.
verify_tables() {
    jq -r '[.tables[] | "\(.table):\(.status):\(.source_rows)"] | sort | join(" ")' "$WORK/out"
}

# verify_drift TABLE: "missing extra changed missing-keys extra-keys changed-keys" of TABLE in
# the last `arus verify --json` output (keys joined with ';').
verify_drift() {
    jq -r --arg t "$1" '.tables[] | select(.table == $t) |
        "\(.missing) \(.extra) \(.changed) \(.keys.missing|join(";")) \(.keys.extra|join(";")) \(.keys.changed|join(";"))"' \
        "$WORK/out"
}

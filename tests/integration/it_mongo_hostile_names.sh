#!/usr/bin/env bash
# Hostile identifiers from the MongoDB source: a collection and field names with quotes, spaces,
# semicolons, `--`, backticks, unicode and a reserved word (MongoDB forbids '.' and a leading
# '$' in field names, so those are not tried) synced into every destination (sqlite, pg, mysql,
# ch when built): incremental run, then a replaced document, a soft delete and a new document;
# the typed table, read by its quoted names, must hold exactly the source's live documents, and
# the raw table one JSON row per extracted document.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/mongo_lib.sh"
source "$(dirname "$0")/fault_lib.sh"

COLL='o'"'"'k "q"; `b` -- ü'
FIELDS=("it's" 'say "hi"' 'x; DROP TABLE t; --' 'back`tick' 'ünï 名前' 'order')

# doc N ROUND [DELETED]: one document with n = N (and a fixed ObjectId: a replacement keeps it),
# every hostile field holding a hostile value.
doc() {
    local f
    printf '%s\n' "${FIELDS[@]}" | jq -R . | jq -s -c --argjson n "$1" --arg r "$2" --arg del "${3:-}" '
        (map({key: ., value: "v\($n).\($r) '"'"'\"; -- `ü"}) | from_entries) + {n: $n,
        _id: {"$oid": ("00000000000000000000000\($n)")[-24:]},
        updated_at: {"$date": "2024-05-0\($r)T10:00:00.\($n)Z"},
        deleted_at: (if $del == "" then null else {"$date": "2024-05-0\($r)T11:00:00Z"} end)}'
}
# minsert: documents on stdin into the hostile collection.
minsert() { mload insert "$COLL" || fail "insert into the hostile collection"; }

# qi ENGINE NAME: NAME quoted as an identifier of ENGINE.
qi() {
    case $1 in
    mysql) local b='`'; printf '`%s`' "${2//$b/$b$b}" ;;
    ch) printf '"%s"' "${2//\"/\\\"}" ;;
    *) printf '"%s"' "${2//\"/\"\"}" ;;
    esac
}

# rows ENGINE: the typed table's n and hostile fields (live rows), tab-separated, by n.
rows() {
    local cols="n" f t
    for f in "${FIELDS[@]}"; do cols+=", $(qi "$1" "$f")"; done
    case $1 in
    sqlite) sqlite_sql -separator $'\t' "$WORK/dst.db" "SELECT $cols FROM $(qi sqlite "analytics__$COLL") ORDER BY n" ;;
    pg) pg_sql -F $'\t' -c "SELECT $cols FROM analytics.$(qi pg "$COLL") ORDER BY n" ;;
    mysql) fl_my -D "$MY_AN" -e "SELECT $cols FROM $(qi mysql "$COLL") ORDER BY n" ;;
    ch) ch_sql "SELECT $cols FROM $FL_CH_AN.$(qi ch "$COLL") FINAL WHERE _arus_deleted = 0 ORDER BY n FORMAT TSVRaw" ;;
    esac
}

# raw_count ENGINE: rows in the raw table of the hostile collection (source `m`).
raw_count() {
    local t="m_${COLL}_raw"
    case $1 in
    sqlite) sqlite_sql "$WORK/dst.db" "SELECT count(*) FROM $(qi sqlite "staging__$t")" ;;
    pg) pg_sql -c "SELECT count(*) FROM staging.$(qi pg "$t")" ;;
    mysql) fl_my -D "$MY_STG" -e "SELECT count(*) FROM $(qi mysql "$t")" ;;
    ch) ch_sql "SELECT count() FROM $FL_CH_RAW.$(qi ch "$t") FORMAT TSVRaw" ;;
    esac
}

# want N.R...: the expected rows for documents N at round R.
want() {
    local d f line
    for d in "$@"; do
        line=${d%.*}
        for f in "${FIELDS[@]}"; do line+=$'\t'"v$d '\"; -- \`ü"; done
        echo "$line"
    done
}

for d in $(fl_dsts); do
    mload command "$(jq -n -c --arg c "$COLL" '{drop: $c}')" >/dev/null 2>&1 || true
    { doc 1 1; doc 2 1; doc 3 1; doc 4 1 deleted; } | minsert
    fl_dst_reset "$d"
    pipe="${PIPE}_h_$d"
    {
        echo "sources:"
        fl_endpoint mongo m src
        echo "destinations:"
        fl_endpoint "$d" d dst
        printf 'pipelines:\n  %s:\n    source: m\n    destination: d\n    tables: ["*"]\n' "$pipe"
        printf '    load_mode: raw+normalized\n'
    } >"$WORK/arus.yml"

    arus_ok -c "$WORK/arus.yml" discover m
    grep -qF "$COLL" "$WORK/out" || fail "discover does not list the hostile collection: $(cat "$WORK/out")"
    arus_ok -c "$WORK/arus.yml" sync "$pipe"
    assert_eq "$(rows "$d")" "$(want 1.1 2.1 3.1)" "mongo -> $d hostile names, first run"
    assert_eq "$(raw_count "$d")" 3 "mongo -> $d raw rows, first run"

    # replace document 1 (delete + insert: mongo_lib.sh), soft-delete 2, add 5
    mcmd "$(jq -n -c --arg c "$COLL" '{delete: $c, deletes: [{q: {n: {"$in": [1, 2]}}, limit: 0}]}')"
    { doc 1 2; doc 2 2 deleted; doc 5 2; } | minsert
    arus_ok -c "$WORK/arus.yml" sync "$pipe"
    assert_eq "$(rows "$d")" "$(want 1.2 3.1 5.2)" "mongo -> $d hostile names, second run"
    # 1, 5 and 3 again: the watermark (document 3's updated_at) is re-read inclusively
    assert_eq "$(raw_count "$d")" 6 "mongo -> $d raw rows, second run"
    echo "pass mongo -> $d"
done
echo "ok"

# Shared helpers for the fault tests (sourced by it_fault_*.sh and it_serial_*.sh after lib.sh):
# one table `items` (id, payload, qty, updated_at, deleted_at) created and changed the same way
# in any source engine (sqlite, pg, mysql; mongo when the test sourced mongo_lib.sh first),
# endpoints for any destination (sqlite, pg, mysql, ch),
# and the evidence the fault tests need in any engine: the live rows as canonical text
# "id<TAB>payload<TAB>qty" ordered by id, their fingerprint, duplicate keys, and a check that
# the stored watermark is never ahead of the committed rows.
source "$(dirname "${BASH_SOURCE[0]}")/pg_lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/my_lib.sh"

FL_CH_HAVE=0
if "$ARUS" connectors | grep -q '^destination *clickhouse ' &&
    curl -sf "http://$ARUS_CH_HOST:$ARUS_CH_HTTP_PORT/ping" >/dev/null; then
    FL_CH_HAVE=1
    FL_CH_RAW="arus_${IT_ID}_raw"
    FL_CH_AN="arus_${IT_ID}_an"
    on_exit "ch_sql 'DROP DATABASE IF EXISTS $FL_CH_RAW'"
    on_exit "ch_sql 'DROP DATABASE IF EXISTS $FL_CH_AN'"
    on_exit "ch_sql \"ALTER TABLE arus_state.watermarks DELETE WHERE pipeline LIKE '${PIPE}%'\""
    on_exit "ch_sql \"ALTER TABLE arus_state.runs DELETE WHERE pipeline LIKE '${PIPE}%'\""
fi
export ARUS_PG_PASSWORD ARUS_MY_PASSWORD ARUS_CH_PASSWORD
export PGOPTIONS="-c client_min_messages=warning"

# MariaDB client for the fault tables: UTC, and ANSI || so the same SQL text serves every engine.
fl_my() { my_sql --init-command="SET time_zone = '+00:00', sql_mode = 'PIPES_AS_CONCAT'" "$@"; }

# fl_sql ENGINE ROLE SQL: run SQL in the source (ROLE src) or destination (ROLE dst) store.
fl_sql() {
    case $1 in
    sqlite) sqlite_sql -separator $'\t' "$WORK/$2.db" "$3" ;;
    pg) pg_sql -F $'\t' -c "$3" ;;
    mysql) fl_my -D "$([ "$2" = src ] && echo "$MY_SRC" || echo "$MY_AN")" -e "$3" ;;
    ch) ch_sql "$3 FORMAT TSV" ;;
    esac
}

# fl_ts ENGINE SECONDS_EXPR: SQL for the timestamp 2024-01-01 00:00:00 + SECONDS_EXPR seconds.
fl_ts() {
    case $1 in
    sqlite) echo "datetime('2024-01-01 00:00:00', '+' || ($2) || ' seconds')" ;;
    pg) echo "(timestamp '2024-01-01 00:00:00' + ($2) * interval '1 second')" ;;
    mysql) echo "(TIMESTAMP '2024-01-01 00:00:00' + INTERVAL ($2) SECOND)" ;;
    esac
}

# fl_series ENGINE FROM TO: a subquery with one column i = FROM..TO.
fl_series() {
    case $1 in
    sqlite) echo "(WITH RECURSIVE r(i) AS (SELECT $2 UNION ALL SELECT i + 1 FROM r WHERE i < $3) SELECT i FROM r)" ;;
    pg) echo "(SELECT i FROM generate_series($2, $3) i)" ;;
    mysql) echo "(SELECT seq AS i FROM seq_$2_to_$3)" ;;
    esac
}

# fl_src_create ENGINE ROWS: a fresh source table items with ids 1..ROWS.
fl_src_create() {
    [ "$1" = mongo ] && { fl_mongo_create "$2"; return; }
    local ts=timestamp
    [ "$1" = mysql ] && ts=datetime
    case $1 in
    sqlite) rm -f "$WORK/src.db" ;;
    pg) pg_sql -c "DROP SCHEMA IF EXISTS src CASCADE; CREATE SCHEMA src" ;;
    mysql) fl_my -e "DROP DATABASE IF EXISTS \`$MY_SRC\`; CREATE DATABASE \`$MY_SRC\`" ;;
    esac
    local t=items
    [ "$1" = pg ] && t=src.items
    fl_sql "$1" src "CREATE TABLE $t (id bigint PRIMARY KEY, payload varchar(100) NOT NULL,
        qty integer, updated_at $ts NOT NULL, deleted_at $ts NULL)"
    fl_sql "$1" src "INSERT INTO $t SELECT i, 'p' || i || '-0', i % 1000, $(fl_ts "$1" i), NULL
        FROM $(fl_series "$1" 1 "$2") s"
}

# fl_src_change ENGINE ROUND ROWS: a round of changes after the first ROWS ids (ROUND >= 1):
# updates ~10% of the rows, inserts 50 rows, soft-deletes ~1%, all later than any earlier round.
fl_src_change() {
    [ "$1" = mongo ] && { fl_mongo_change "$2" "$3"; return; }
    local e=$1 r=$2 n=$3 t=items
    [ "$e" = pg ] && t=src.items
    local when
    when=$(fl_ts "$e" "$r * 1000000 + id")
    local first=$((n + (r - 1) * 50 + 1))
    fl_sql "$e" src "UPDATE $t SET payload = payload || '+$r', qty = qty + 1, updated_at = $when
        WHERE id % 10 = $((r % 10)) AND deleted_at IS NULL"
    fl_sql "$e" src "INSERT INTO $t SELECT i, 'p' || i || '-$r', i % 1000,
        $(fl_ts "$e" "$r * 1000000 + i"), NULL FROM $(fl_series "$e" "$first" $((first + 49))) s"
    fl_sql "$e" src "UPDATE $t SET deleted_at = $when, updated_at = $when
        WHERE id % 97 = $((r % 97)) AND deleted_at IS NULL"
}

# fl_src_rows ENGINE [WATERMARK]: the live source rows (only those with updated_at earlier than
# WATERMARK, when given) as canonical text, ordered by id.
fl_src_rows() {
    [ "$1" = mongo ] && { fl_mongo_rows "${2:-}"; return; }
    local t=items
    [ "$1" = pg ] && t=src.items
    fl_sql "$1" src "SELECT id, payload, qty FROM $t WHERE deleted_at IS NULL ${2:+AND updated_at < '$2'} ORDER BY id"
}

# MongoDB (mongo_lib.sh's mload): the collection items mirrors the SQL table; its documents are
# kept in a model file too ($WORK/fl_mongo.tsv: id, payload, qty, updated_at and deleted_at as
# seconds after 2024-01-01, deleted_at empty when live), because the test server's update
# mangles documents (mongo_lib.sh): a round deletes the changed documents and re-inserts them
# with the same ObjectId. Document 0 is soft-deleted from the start so that sampling types
# deleted_at as a date.
FL_MONGO_MODEL="$WORK/fl_mongo.tsv"

# fl_mongo_insert: insert the model lines on stdin as documents (numbers int32, dates in ms).
fl_mongo_insert() {
    awk -F'\t' 'function d(s) { return sprintf("{\"$date\": {\"$numberLong\": \"%.0f\"}}", 1704067200000 + s * 1000) }
        { printf "{\"_id\": {\"$oid\": \"%024x\"}, \"id\": %d, \"payload\": \"%s\", \"qty\": %d, \"updated_at\": %s, \"deleted_at\": %s}\n",
              $1, $1, $2, $3, d($4), $5 == "" ? "null" : d($5) }' | mload insert items ||
        fail "insert into mongo items"
}

# fl_mongo_create ROWS: a fresh collection items with ids 1..ROWS (+ the deleted document 0).
fl_mongo_create() {
    mload command '{"drop": "items"}' >/dev/null 2>&1 || true
    awk -v n="$1" 'BEGIN { OFS = "\t"; print 0, "p0-0", 0, 0, 0
        for (i = 1; i <= n; i++) print i, "p" i "-0", i % 1000, i, "" }' >"$FL_MONGO_MODEL"
    fl_mongo_insert <"$FL_MONGO_MODEL"
}

# fl_mongo_change ROUND ROWS: fl_src_change's round applied to the model, then to the collection.
fl_mongo_change() {
    awk -F'\t' -v r="$1" -v n="$2" -v changed="$WORK/fl_changed.tsv" 'BEGIN { OFS = "\t" }
        { id[NR] = $1; p[NR] = $2; q[NR] = $3; u[NR] = $4; del[NR] = $5; old = NR }
        END {
            for (k = 1; k <= old; k++)
                if (id[k] % 10 == r % 10 && del[k] == "") {
                    p[k] = p[k] "+" r; q[k]++; u[k] = r * 1000000 + id[k]; ch[k] = 1 }
            first = n + (r - 1) * 50 + 1
            for (i = first; i < first + 50; i++) {
                k = old + i - first + 1
                id[k] = i; p[k] = "p" i "-" r; q[k] = i % 1000; u[k] = r * 1000000 + i; del[k] = ""; ch[k] = 1 }
            for (k = 1; k <= old + 50; k++) {
                if (id[k] % 97 == r % 97 && del[k] == "") {
                    u[k] = del[k] = r * 1000000 + id[k]; ch[k] = 1 }
                print id[k], p[k], q[k], u[k], del[k]
                if (ch[k]) print id[k], p[k], q[k], u[k], del[k], (k <= old) > changed
            }
        }' "$FL_MONGO_MODEL" >"$FL_MONGO_MODEL.new"
    mv "$FL_MONGO_MODEL.new" "$FL_MONGO_MODEL"
    local ids
    ids=$(awk -F'\t' '$6 == 1 { printf "%s%s", sep, $1; sep = ", " }' "$WORK/fl_changed.tsv")
    [ -z "$ids" ] || mcmd "{\"delete\": \"items\", \"deletes\": [{\"q\": {\"id\": {\"\$in\": [$ids]}}, \"limit\": 0}]}"
    cut -f1-5 "$WORK/fl_changed.tsv" | fl_mongo_insert
    rm -f "$WORK/fl_changed.tsv"
}

# fl_mongo_rows [WATERMARK]: the live documents (updated_at earlier than WATERMARK, when given)
# read back from the server as "id<TAB>payload<TAB>qty", ordered by id.
fl_mongo_rows() {
    local filter='"deleted_at": null'
    [ -z "$1" ] || filter+=", \"updated_at\": {\"\$lt\": {\"\$date\": \"${1/ /T}Z\"}}"
    mload command "{\"find\": \"items\", \"filter\": {$filter}, \"batchSize\": 1000000}" |
        jq -r '.cursor | if .id != 0 then error("reply not complete") else .firstBatch[] end |
            [.id, .payload, .qty] | @tsv' | sort -n -k1,1
}

# fl_dst_rows ENGINE [TABLE]: the typed table's (default items) rows as canonical text, ordered
# by id; ClickHouse reads the newest version of each key (FINAL) without tombstones (README,
# ClickHouse section).
fl_dst_rows() {
    local t=${2:-items} q="SELECT id, payload, qty FROM"
    case $1 in
    sqlite) fl_sql sqlite dst "$q analytics__$t ORDER BY id" ;;
    pg) fl_sql pg dst "$q analytics.$t ORDER BY id" ;;
    mysql) fl_sql mysql dst "$q $t ORDER BY id" ;;
    ch) fl_sql ch dst "$q $FL_CH_AN.$t FINAL WHERE _arus_deleted = 0 ORDER BY id" ;;
    esac
}

# fl_fingerprint: "rows md5" of canonical rows on stdin.
fl_fingerprint() { local rows; rows=$(cat); echo "$(printf '%s' "$rows" | grep -c .) $(printf '%s' "$rows" | md5sum | cut -d' ' -f1)"; }

# fl_dst_reset ENGINE: an empty destination (no tables, no state of earlier pairs' pipelines).
fl_dst_reset() {
    case $1 in
    sqlite) rm -f "$WORK/dst.db" ;;
    pg) pg_sql -c "DROP SCHEMA IF EXISTS analytics CASCADE; DROP SCHEMA IF EXISTS staging CASCADE" ;;
    mysql) for db in "$MY_STG" "$MY_AN"; do fl_my -e "DROP DATABASE IF EXISTS \`$db\`; CREATE DATABASE \`$db\`"; done ;;
    ch) ch_sql "DROP DATABASE IF EXISTS $FL_CH_RAW" && ch_sql "DROP DATABASE IF EXISTS $FL_CH_AN" ;;
    esac
}

# fl_endpoint ENGINE NAME ROLE [extra flow entries]: one endpoint line for arus.yml (ROLE src/dst).
fl_endpoint() {
    local e=$1 name=$2 role=$3
    shift 3
    local extra=""
    for kv in "$@"; do extra+=", $kv"; done
    case $e in
    sqlite) echo "  $name: {type: sqlite, path: $WORK/$role.db$extra}" ;;
    mongo) echo "  $name: {type: mongodb, url: \"\${MONGO_URL}\", sample_size: 100000$extra}" ;;
    pg) if [ "$role" = src ]; then pg_endpoint "$name" postgresql "schema: src" "$@"; else pg_endpoint "$name" postgresql "$@"; fi ;;
    mysql)
        if [ "$role" = src ]; then my_endpoint "$name" mysql "$MY_SRC" "$@"
        else echo "  $name: {type: mysql, url: \"mysql://$ARUS_MY_USER:\${ARUS_MY_PASSWORD}@$ARUS_MY_HOST:$ARUS_MY_PORT/\", raw_schema: $MY_STG, target_schema: $MY_AN$extra}"
        fi ;;
    ch) echo "  $name: {type: clickhouse, host: $ARUS_CH_HOST, port: $ARUS_CH_HTTP_PORT, username: $ARUS_CH_USER, password: \"\${ARUS_CH_PASSWORD}\", raw_schema: $FL_CH_RAW, target_schema: $FL_CH_AN$extra}" ;;
    esac
}

# fl_write_config SRC DST PIPELINE [pipeline body lines...]: $WORK/arus.yml with source `s`,
# destination `d` (with the flow entries of $FL_DST_OPTS, if set) and one pipeline over table
# items, batches of $FL_BATCH (default 100).
fl_write_config() {
    local s=$1 d=$2 p=$3
    shift 3
    {
        echo "sources:"
        fl_endpoint "$s" s src
        echo "destinations:"
        fl_endpoint "$d" d dst ${FL_DST_OPTS:+"$FL_DST_OPTS"}
        echo "pipelines:"
        echo "  $p:"
        echo "    source: s"
        echo "    destination: d"
        echo "    tables: [items]"
        echo "    batch_size: ${FL_BATCH:-100}"
        echo "    load_mode: raw+normalized"
        echo "    initial_backoff: 0.5"
        printf '    %s\n' "$@"
    } >"$WORK/arus.yml"
}

# fl_assert_equal SRC DST WHAT: destination rows equal the live source rows, no duplicate keys.
fl_assert_equal() {
    local want got
    want=$(fl_src_rows "$1" | fl_fingerprint)
    got=$(fl_dst_rows "$2" | fl_fingerprint)
    assert_eq "$got" "$want" "$1 -> $2 rows and checksum $3"
    assert_eq "$(fl_dst_rows "$2" | cut -f1 | uniq -d | wc -l)" 0 "$1 -> $2 duplicate keys $3"
}

# fl_assert_watermark SRC DST PIPELINE WHAT: every live source row older than the stored
# watermark is in the destination as it is in the source (rows at the watermark itself may
# still be pending: the next run re-reads them inclusively).
fl_assert_watermark() {
    arus_ok -c "$WORK/arus.yml" --json state "$3"
    local wm missing
    wm=$(jq -r '.. | objects | select(.table? == "items") | .watermark // empty' "$WORK/out" | head -1)
    [ -n "$wm" ] || return 0
    [[ $wm =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}\ [0-9:.]+$ ]] || fail "$1 -> $2 unexpected watermark '$wm' $4"
    missing=$(comm -23 <(fl_src_rows "$1" "$wm" | sort) <(fl_dst_rows "$2" | sort) | wc -l)
    assert_eq "$missing" 0 "$1 -> $2 rows older than watermark $wm missing $4"
}

# fl_fault_points ROWS PAIR...: for each "src:dst" pair, a first sync of ROWS rows, then per
# fault point a round of source changes and a run that the engine's fault hook kills (exit 99,
# no clean-up); after each crash the stored watermark is not ahead of the committed rows, and
# after a clean rerun the destination equals the source without duplicate keys. Points are
# point:hit pairs: batches hit a point once each (the 2nd hit is mid-run); a round deletes
# fewer rows than a batch, and a full refresh swaps once.
fl_fault_points() {
    local rows=$1 pair s d pipe round pt rc extra
    local points="after_extract:2 mid_load:2 before_commit:2 after_commit:2 soft_delete:1 swap:1"
    shift
    for pair in "$@"; do
        s=${pair%:*} d=${pair#*:}
        pipe="${PIPE}_${s}_$d"
        fl_src_create "$s" "$rows"
        fl_dst_reset "$d"
        fl_write_config "$s" "$d" "$pipe"
        arus_ok -c "$WORK/arus.yml" sync "$pipe"
        fl_assert_equal "$s" "$d" "after the first sync"
        round=0
        for pt in $points; do
            round=$((round + 1))
            fl_src_change "$s" "$round" "$rows"
            extra=()
            [ "${pt%:*}" = swap ] && extra=(--full-refresh)
            rc=0
            ARUS_FAULT=$pt ARUS_FAULT_ACTION=abort "$ARUS" -c "$WORK/arus.yml" sync "$pipe" "${extra[@]}" \
                >"$WORK/out" 2>"$WORK/err" || rc=$?
            assert_eq "$rc" 99 "$s -> $d exit at fault ${pt%:*} ($(tail -1 "$WORK/err"))"
            fl_assert_watermark "$s" "$d" "$pipe" "after a crash at ${pt%:*}"
            arus_ok -c "$WORK/arus.yml" sync "$pipe"
            fl_assert_equal "$s" "$d" "after a crash at ${pt%:*} and a rerun"
        done
        echo "pass $s -> $d: $points"
    done
}

# fl_dsts: the destinations this build and these servers offer.
fl_dsts() { echo "sqlite pg mysql"; [ "$FL_CH_HAVE" = 0 ] || echo ch; }

#!/usr/bin/env bash
# Hostile values (NUL bytes, invalid UTF-8, 16 MB text and blob, NaN/±Infinity, the widest
# decimals and beyond, int64/uint64 limits, timestamps and dates at the edges of each engine)
# from SQLite into every destination with max_dead_letters: each row arrives unchanged or is
# dead-lettered with its error, never altered or dropped, and loaded + dead-lettered = source;
# arus verify then finds exactly the dead-lettered rows missing and no value changed.
# The outcome per destination is asserted (hostile_lib.sh) and documented in docs/hostile-data.md.
source "$(dirname "$0")/lib.sh"
need_ch
source "$(dirname "$0")/pg_lib.sh"
source "$(dirname "$0")/my_lib.sh"
source "$(dirname "$0")/hostile_lib.sh"

SRC=$WORK/src.db DST=$WORK/wh.db
CH_RAW="ch_${IT_ID}_raw" CH_AN="ch_${IT_ID}_an" CH_ST="ch_${IT_ID}_state"
for db in $CH_RAW $CH_AN $CH_ST; do on_exit "ch_sql 'DROP DATABASE IF EXISTS $db'"; done
on_exit "rm -f ${TMPDIR:-/tmp}/arus-ch-*-$CH_ST-*.lock"
export ARUS_CH_PASSWORD

hostile_source "$SRC"
{
    echo "sources:"
    # One copy of the source per destination: rows that fail a destination's run are deleted
    # from its copy before the run that checks the others.
    for d in "${HOSTILE_DESTS[@]}"; do echo "  src_$d: {type: sqlite, path: $WORK/src_$d.db}"; done
    echo "destinations:"
    echo "  sqlite: {type: sqlite, path: $DST}"
    pg_endpoint pg postgresql
    echo "  mysql: {type: mariadb, url: \"mysql://$ARUS_MY_USER:\${ARUS_MY_PASSWORD}@$ARUS_MY_HOST:$ARUS_MY_PORT/\", raw_schema: $MY_STG, target_schema: $MY_AN}"
    echo "  clickhouse: {type: clickhouse, host: $ARUS_CH_HOST, port: $ARUS_CH_HTTP_PORT, username: $ARUS_CH_USER, password: \"\${ARUS_CH_PASSWORD}\", database: $ARUS_CH_DB, raw_schema: $CH_RAW, target_schema: $CH_AN, state_schema: $CH_ST}"
    echo "pipelines:"
    for d in "${HOSTILE_DESTS[@]}"; do
        # MySQL's arus_state is shared by every test: its pipeline names start with $PIPE.
        echo "  ${PIPE}_$d: {source: src_$d, destination: $d, tables: [hostile], batch_size: 8, max_dead_letters: 100}"
    done
} >"$WORK/arus.yml"

hostile_sqlite_render "$SRC" hostile >"$WORK/expected"
NROWS=$(grep -c . <<<"$HOSTILE_ROWS")
assert_eq "$(grep -c . "$WORK/expected")" "$NROWS" "source rows"

for d in "${HOSTILE_DESTS[@]}"; do
    cp "$SRC" "$WORK/src_$d.db"
    arus_ok -c "$WORK/arus.yml" --json sync "${PIPE}_$d"
    loaded=$(grep -o '"rows_loaded":[0-9]*' "$WORK/out" | cut -d: -f2)
    dead=$(grep -o '"rows_dead_lettered":[0-9]*' "$WORK/out" | cut -d: -f2)
    assert_eq "$((loaded + dead))" "$NROWS" "$d: loaded $loaded + dead-lettered $dead"
    : >"$WORK/dl" # _dead_letters exists once a row was refused
    case $d in
    sqlite)
        hostile_sqlite_render "$DST" analytics__hostile >"$WORK/actual"
        [ "$dead" = 0 ] || sqlite_sql -separator $'\t' "$DST" "SELECT row_data, error FROM staging___dead_letters" >"$WORK/dl" ;;
    pg)
        hostile_pg_render analytics.hostile >"$WORK/actual"
        [ "$dead" = 0 ] || pg_sql -F $'\t' -c "SELECT row_data, error FROM staging._dead_letters" >"$WORK/dl" ;;
    mysql)
        hostile_my_render "\`$MY_AN\`.hostile" >"$WORK/actual"
        [ "$dead" = 0 ] || mys -e "SELECT row_data, error FROM \`$MY_STG\`._dead_letters" >"$WORK/dl" ;;
    clickhouse)
        hostile_ch_render "$CH_AN.hostile" >"$WORK/actual"
        [ "$dead" = 0 ] || ch_sql "SELECT row_data, error FROM $CH_RAW._dead_letters FORMAT TSV" >"$WORK/dl" ;;
    esac
    assert_eq "$(grep -c . "$WORK/actual" || true)" "$loaded" "$d: rows in the table"
    assert_eq "$(grep -c . "$WORK/dl" || true)" "$dead" "$d: rows in _dead_letters"
    hostile_check "$d" "$WORK/expected" "$WORK/actual" "$WORK/dl"
    # arus verify reads every hostile value back equal: only the refused rows differ (missing)
    rc=0
    arus -c "$WORK/arus.yml" verify "${PIPE}_$d" --json || rc=$?
    assert_eq "$rc $(jq -r '.tables[0] | "\(.missing) \(.extra) \(.changed)"' "$WORK/out")" \
        "$([ "$dead" = 0 ] && echo 0 || echo 8) $dead 0 0" "$d: arus verify"
    [ -z "${HOSTILE_SHOW:-}" ] || cat "$WORK/matrix.$d"
done
echo ok

# Shared by the change data capture tests of both sources (it_cdc_pg_*, it_cdc_my_*): the
# sysbench workload against the source, followers per destination (MySQL/MariaDB, SQLite,
# ClickHouse) and their equality checks, and the SIGKILL loop with its tick writer. A test sets
# CDC_SOURCE (pg or my) and, for sysbench, CDC_TABLES / CDC_TABLE_SIZE (defaults 1 and 1000),
# after sourcing lib.sh and the *_lib.sh of its servers.
command -v sysbench >/dev/null || fail "sysbench not installed (scripts/install-deps.sh)"

cdc_sb() { # TEST ACTION [options]: sysbench against the source's test database
    local test=$1 action=$2
    shift 2
    if [ "$CDC_SOURCE" = pg ]; then # password from PGPASSWORD
        set -- --db-driver=pgsql --pgsql-host="$ARUS_PG_HOST" --pgsql-port="$ARUS_PG_PORT" \
            --pgsql-user="$ARUS_PG_USER" --pgsql-db="$PG_IT_DB" "$@"
    else # password from MYSQL_PWD
        export MYSQL_PWD=$ARUS_MY_PASSWORD
        set -- --db-driver=mysql --mysql-host="$ARUS_MY_HOST" --mysql-port="$ARUS_MY_PORT" \
            --mysql-user="$ARUS_MY_USER" --mysql-db="$MY_SRC" "$@"
    fi
    sysbench "$test" "$@" --tables="${CDC_TABLES:-1}" --table-size="${CDC_TABLE_SIZE:-1000}" "$action"
}

# ---- followers per destination (it_cdc_*_dests)

CDC_WH="$WORK/wh.db"

cdc_dests_config() { # SOURCE_NAME SOURCE_LINES: $WORK/arus.yml, pipelines ${PIPE}_my|sq|ch of sbtest1, doc
    {
        echo "sources:"
        echo "$2"
        echo "destinations:"
        my_destination
        echo "  sqdst: {type: sqlite, path: \"$CDC_WH\"}"
        ch_destination
        echo "pipelines:"
        for d in my:mydst sq:sqdst ch:ch; do
            cat <<YML
  ${PIPE}_${d%%:*}:
    source: $1
    destination: ${d#*:}
    sync_mode: cdc
    batch_size: 500
    tables: [sbtest1, doc]
YML
        done
    } >"$WORK/arus.yml"
}

cdc_dests_follow() { # COMMAND...: a follower per destination while sysbench writes and deletes
    # for 12 s and COMMAND (an update of doc) runs three times; then SIGTERM and a last sync
    local followers=() d i w1 w2
    for d in my sq ch; do
        arus_ok -c "$WORK/arus.yml" sync "${PIPE}_$d"
        "$ARUS" -c "$WORK/arus.yml" sync "${PIPE}_$d" --follow >/dev/null 2>"$WORK/follow_$d.err" &
        followers+=($!)
        on_exit "kill -9 $!"
    done
    cdc_sb oltp_write_only run --time=12 --threads=2 >/dev/null &
    w1=$!
    cdc_sb oltp_delete run --time=12 --threads=1 >/dev/null &
    w2=$!
    for i in 1 2 3; do "$@"; done
    wait "$w1" "$w2" || fail "the workload failed"
    for i in 0 1 2; do
        kill -TERM "${followers[$i]}" 2>/dev/null || fail "follower $i ended early: $(cat "$WORK"/follow_*.err)"
        wait "${followers[$i]}" || fail "follower $i exited $?: $(cat "$WORK"/follow_*.err)"
    done
    for d in my sq ch; do arus_ok -c "$WORK/arus.yml" sync "${PIPE}_$d"; done
}

cdc_dests_equal() { # SBTEST_MD5 DOC_MD5 WHAT: each destination's sbtest1 and doc (id v md5(body))
    # equal the source's digests; WHAT names the destination MySQL and the long text in messages
    local what=$3
    assert_eq "$(mys -N -e "SELECT CONCAT(id, ' ', k, ' ', RTRIM(c), ' ', RTRIM(pad)) FROM \`$MY_AN\`.sbtest1 ORDER BY id" | md5sum)" "$1" "${what% *} rows"
    assert_eq "$(sqlite_sql "$CDC_WH" "SELECT id || ' ' || k || ' ' || rtrim(c) || ' ' || rtrim(pad) FROM analytics__sbtest1 ORDER BY id" | md5sum)" "$1" "SQLite rows"
    assert_eq "$(q "SELECT concat(toString(id), ' ', toString(k), ' ', replaceRegexpOne(c, ' +\$', ''), ' ', replaceRegexpOne(pad, ' +\$', '')) FROM $AN.sbtest1 FINAL WHERE _arus_deleted = 0 ORDER BY id" | md5sum)" "$1" "ClickHouse rows"
    assert_eq "$(mys -N -e "SELECT CONCAT(id, ' ', v, ' ', MD5(body)) FROM \`$MY_AN\`.doc ORDER BY id" | md5sum)" "$2" "${what% *} ${what#* } rows"
    assert_eq "$(sqlite_sql "$CDC_WH" "SELECT id, v, body FROM analytics__doc ORDER BY id" | while IFS='|' read -r id v body; do echo "$id $v $(printf '%s' "$body" | md5sum | cut -d' ' -f1)"; done | md5sum)" "$2" "SQLite ${what#* } rows"
    assert_eq "$(q "SELECT concat(toString(id), ' ', toString(v), ' ', lower(hex(MD5(body)))) FROM $AN.doc FINAL WHERE _arus_deleted = 0 ORDER BY id" | md5sum)" "$2" "ClickHouse ${what#* } rows"
}

# ---- SIGKILL loop (it_cdc_*_kill)

cdc_kill_workload() { # TICK_FN: the tick writer (TICK_FN k commits tick k and prints a position
    # past its commit, appended to $WORK/ticks.log as "k<TAB>position") and sysbench writes and
    # deletes for 25 s, until cdc_kill_end
    touch "$WORK/ticks.log"
    (
        k=0
        while [ ! -e "$WORK/stop" ]; do
            k=$((k + 1))
            "$1" "$k" | sed "s/^/$k\t/" >>"$WORK/ticks.log"
        done
    ) &
    CDC_WRITER=$!
    cdc_sb oltp_write_only run --time=25 --threads=2 >/dev/null 2>&1 &
    CDC_SB1=$!
    cdc_sb oltp_delete run --time=25 --threads=1 >/dev/null 2>&1 &
    CDC_SB2=$!
    on_exit "touch $WORK/stop; pkill -P $CDC_SB1; pkill -P $CDC_SB2; kill $CDC_SB1 $CDC_SB2"
}

cdc_kill_loop() { # N CHECK_FN: N times, `sync p --follow` killed by SIGKILL after 0.3-1.5 s;
    # then the ticks written so far are in table tick_log of the test database and CHECK_FN i
    # asserts the stored position is not ahead of the data
    local i pid
    for i in $(seq 1 "$1"); do
        "$ARUS" -c "$WORK/arus.yml" sync p --follow >/dev/null 2>"$WORK/follow.err" &
        pid=$!
        sleep "$(awk -v r=$RANDOM 'BEGIN { printf "%.2f", 0.3 + (r % 120) / 100 }')"
        kill -KILL "$pid" 2>/dev/null || fail "kill $i: arus had already exited: $(cat "$WORK/follow.err")"
        wait "$pid" 2>/dev/null || true
        cp "$WORK/ticks.log" "$WORK/ticks.snap"
        pg_sql -c "TRUNCATE tick_log" -c "\\copy tick_log FROM '$WORK/ticks.snap'"
        "$2" "$i"
    done
}

cdc_kill_end() { # stop the workload and apply the rest
    touch "$WORK/stop"
    wait "$CDC_WRITER" "$CDC_SB1" "$CDC_SB2" || fail "the workload failed"
    arus_ok -c "$WORK/arus.yml" sync p
}

# Shared setup for the ClickHouse integration tests (sourced after lib.sh): private raw,
# analytics and state databases named from $IT_ID, dropped on exit together with their pipeline
# lock files; ch_destination prints the `ch` destination of arus.yml pointing at them (password
# through ${ARUS_CH_PASSWORD}, never in the file); q runs a query with TSV output.
need_ch

S="ch_${IT_ID}"
RAW=${S}_raw AN=${S}_an ST=${S}_state
for db in $RAW $AN $ST; do on_exit "ch_sql 'DROP DATABASE IF EXISTS $db'"; done
on_exit "rm -f ${TMPDIR:-/tmp}/arus-ch-*-$ST-*.lock"
export ARUS_CH_PASSWORD

# ch_destination [KEY: VALUE ...]: the destination block, with extra keys appended.
ch_destination() {
    cat <<YML
  ch:
    type: clickhouse
    host: $ARUS_CH_HOST
    port: $ARUS_CH_HTTP_PORT
    username: $ARUS_CH_USER
    password: \${ARUS_CH_PASSWORD}
    raw_schema: $RAW
    target_schema: $AN
    state_schema: $ST
YML
    local kv
    for kv in "$@"; do echo "    $kv"; done
}

# ch_write_mysql_config <BODY: $WORK/arus.yml with the `mysrc` source of my_lib.sh (sourced
# first) and pipeline `p` from it into `ch`, whose YAML body (indented 4) comes from stdin.
ch_write_mysql_config() {
    {
        echo "sources:"
        my_endpoint mysrc mysql "$MY_SRC"
        echo "destinations:"
        ch_destination
        printf 'pipelines:\n  p:\n    source: mysrc\n    destination: ch\n'
        cat
    } >"$WORK/arus.yml"
}

# pg_to_servers_config_head: arus.yml up to "pipelines:" for the tests from PostgreSQL into
# every server: source pgsrc (schema src) and destinations pgdst (pg_lib.sh), mydst (my_lib.sh)
# and ch; the tests source those libraries first.
pg_to_servers_config_head() {
    echo "sources:"
    pg_endpoint pgsrc postgresql 'schema: src'
    echo "destinations:"
    pg_endpoint pgdst postgresql
    my_destination
    ch_destination
    echo "pipelines:"
}

q() { ch_sql "$1 FORMAT TSV"; }

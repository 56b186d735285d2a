# Shared setup for the PostgreSQL integration tests (sourced by it_pg_*.sh after lib.sh):
# a private database per test (so arus_state is private too), dropped on exit, and an arus.yml
# whose `pgsrc` source and `pgdst` destination point at it. Passwords come from the
# environment through ${ARUS_PG_PASSWORD}, never from argv or the file.
need_pg

PG_IT_DB="arus_$IT_ID"
PGDB=$ARUS_PG_DB pg_sql -c "CREATE DATABASE \"$PG_IT_DB\""
on_exit "PGDB=$ARUS_PG_DB pg_sql -c 'DROP DATABASE IF EXISTS \"$PG_IT_DB\" WITH (FORCE)'"
export PGDB=$PG_IT_DB

# pg_endpoint NAME TYPE [extra YAML flow entries...]: one endpoint line for arus.yml.
pg_endpoint() {
    local name=$1 type=$2
    shift 2
    local extra=""
    for kv in "$@"; do extra+=", $kv"; done
    echo "  $name: {type: $type, host: $ARUS_PG_HOST, port: $ARUS_PG_PORT, username: $ARUS_PG_USER, password: \"\${ARUS_PG_PASSWORD}\", database: $PG_IT_DB$extra}"
}

# pg_write_config SOURCE_SCHEMA PIPELINE_BODY: $WORK/arus.yml with pgsrc (schema given),
# pgdst, and one pipeline `p` whose YAML body (indented 4) is the second argument.
pg_write_config() {
    {
        echo "sources:"
        pg_endpoint pgsrc postgresql "schema: \"$1\""
        echo "destinations:"
        pg_endpoint pgdst postgresql
        echo "pipelines:"
        echo "  p:"
        echo "    source: pgsrc"
        echo "    destination: pgdst"
        printf '%s\n' "$2"
    } >"$WORK/arus.yml"
}

# "extracted loaded deleted status" of the newest run of table $1 (from arus_state.runs).
pg_last_run() {
    pg_sql -v t="$1" <<'SQL'
SELECT rows_extracted || ' ' || rows_loaded || ' ' || rows_deleted || ' ' || status
FROM arus_state.runs WHERE table_name = :'t' ORDER BY started_at DESC LIMIT 1
SQL
}

#!/usr/bin/env bash
# PostgreSQL source discovery and selection: schema_include globs limit the scanned schemas,
# partitioned tables appear once (not their partitions), views not at all, tables outside the
# configured schema are named "schema.table", row estimates come from pg_class.reltuples,
# composite keys keep their order; `discover --schemas` lists every non-system schema (text and
# JSON), not only those schema_include selects; `tables: ["*"]` syncs what discovery found, a
# composite-key update merges, and `arus check` reaches both ends (the destination given as a URL).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg_lib.sh"

pg_sql <<'SQL'
CREATE SCHEMA app_a; CREATE SCHEMA app_b; CREATE SCHEMA other;
CREATE TABLE app_a.t1 (id int PRIMARY KEY, v text);
INSERT INTO app_a.t1 SELECT i, 'v' || i FROM generate_series(1, 1000) i;
ANALYZE app_a.t1;
CREATE TABLE app_b.t2 (a int, b text, v text, updated_at timestamptz NOT NULL, PRIMARY KEY (b, a));
INSERT INTO app_b.t2 VALUES (1, 'x', 'one', '2024-01-01'), (2, 'x', 'two', '2024-01-01');
CREATE VIEW app_b.not_a_table AS SELECT 1 AS one;
CREATE TABLE other.t3 (id int PRIMARY KEY);
CREATE TABLE app_a.parted (id int, k int, PRIMARY KEY (id, k)) PARTITION BY RANGE (k);
CREATE TABLE app_a.parted_1 PARTITION OF app_a.parted FOR VALUES FROM (0) TO (10);
CREATE TABLE app_a.parted_2 PARTITION OF app_a.parted FOR VALUES FROM (10) TO (20);
INSERT INTO app_a.parted SELECT i, i FROM generate_series(0, 19) i;
SQL

{
    echo "sources:"
    pg_endpoint pgsrc postgresql "schema: app_a" "schema_include: [\"app_*\"]"
    echo "destinations:"
    # The destination connects by URL (the password stays a separate key).
    echo "  pgdst: {type: postgresql, url: \"postgresql://$ARUS_PG_USER@$ARUS_PG_HOST:$ARUS_PG_PORT/$PG_IT_DB?connect_timeout=5\", password: \"\${ARUS_PG_PASSWORD}\"}"
    echo "pipelines:"
    echo "  p: {source: pgsrc, destination: pgdst, tables: [\"*\"]}"
} >"$WORK/arus.yml"

arus_ok -c "$WORK/arus.yml" check
arus_ok -c "$WORK/arus.yml" --json discover pgsrc
assert_eq "$(jq -r '[.[].table] | join(",")' "$WORK/out")" "parted,t1,app_b.t2" \
    "discovered tables (partitioned parent, not its partitions; no views, no other schemas)"
assert_eq "$(jq -r '.[] | select(.table == "t1") | .row_estimate' "$WORK/out")" 1000 "t1 row estimate"
assert_eq "$(jq -r '.[] | select(.table == "app_b.t2") | [.columns[] | "\(.name):\(.pk)"] | join(",")' "$WORK/out")" \
    "a:2,b:1,v:0,updated_at:0" "composite key order"

# Before the first sync, which adds the destination's schemas to this same database.
arus_ok -c "$WORK/arus.yml" discover pgsrc --schemas
assert_eq "$(cat "$WORK/out")" $'app_a\napp_b\nother\npublic' \
    "schemas: all non-system ones (\"other\" too, though schema_include leaves it out)"
arus_ok -c "$WORK/arus.yml" --json discover --schemas pgsrc
assert_eq "$(cat "$WORK/out")" '["app_a","app_b","other","public"]' "schemas as JSON"

arus_ok -c "$WORK/arus.yml" sync p
assert_eq "$(pg_sql -c 'SELECT count(*) FROM analytics.t1')" 1000 "t1 rows"
assert_eq "$(pg_sql -c 'SELECT count(*) FROM analytics.parted')" 20 "partitioned table rows"
assert_eq "$(pg_sql -c "SELECT string_agg(v, ',' ORDER BY a) FROM analytics.\"app_b.t2\"")" "one,two" "t2 rows"

pg_sql -c "UPDATE app_b.t2 SET v = 'TWO', updated_at = '2024-02-01' WHERE a = 2"
arus_ok -c "$WORK/arus.yml" sync p
assert_eq "$(pg_sql -c "SELECT string_agg(v, ',' ORDER BY a) FROM analytics.\"app_b.t2\"")" "one,TWO" \
    "composite-key update merged"
assert_eq "$(pg_last_run app_b.t2 | cut -d' ' -f2)" 1 "rows loaded by the update"
echo "ok"

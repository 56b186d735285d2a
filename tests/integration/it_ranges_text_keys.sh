#!/usr/bin/env bash
# Split loads of tables whose primary key is not an integer, cut at a sample's quantiles
# (the key_cuts source slot), into PostgreSQL: a text key in an ICU collation (whose order is
# not the bytes' order: mixed case and accents), a uuid key, a composite (text, int) key, a
# MariaDB VARCHAR key in its case-insensitive default collation, a MariaDB composite key and a
# SQLite TEXT key. Each first load is split and equals
# the source without a duplicate key; the ICU tables' split refreshes are SIGKILLed once two
# ranges are done and the next runs resume only the unfinished ranges (range bounds and
# composite progress kept as JSON text) and equal the source. A SQLite table whose key may hold NULL is not split.
# Correctness only: nothing is timed.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg_lib.sh"
source "$(dirname "$0")/my_lib.sh"

ROWS=60000
PREFIXES="ARRAY['apple', 'Apple', 'Äpfel', 'banana', 'Banana', 'éclair', 'Zebra', 'zebra 1']"
pg_sql -c "CREATE SCHEMA src;
           CREATE TABLE src.words (k text COLLATE \"und-x-icu\" PRIMARY KEY, v int,
                                   updated_at timestamp NOT NULL);
           INSERT INTO src.words SELECT ($PREFIXES)[1 + g % 8] || ' ' || md5(g::text), g,
                  timestamp '2024-01-01' + g * interval '1 second'
           FROM generate_series(1, $ROWS) g;
           CREATE TABLE src.ids (id uuid PRIMARY KEY, v int);
           INSERT INTO src.ids SELECT md5(g::text)::uuid, g FROM generate_series(1, $ROWS) g;
           CREATE TABLE src.orders (tenant text COLLATE \"und-x-icu\", id int, v int,
                                    PRIMARY KEY (tenant, id));
           INSERT INTO src.orders SELECT ($PREFIXES)[1 + g % 8], g / 8, g
           FROM generate_series(1, $ROWS) g;
           ANALYZE src.words; ANALYZE src.ids; ANALYZE src.orders"
mys "$MY_SRC" -e "CREATE TABLE words (k VARCHAR(64) PRIMARY KEY, v INT, updated_at DATETIME NOT NULL);
    INSERT INTO words SELECT CONCAT(ELT(1 + seq % 8, 'apple', 'Apple', 'Äpfel', 'banana', 'Banana', 'éclair', 'Zebra', 'zebra 1'), ' ', MD5(seq)),
           seq, '2024-01-01' + INTERVAL seq SECOND FROM seq_1_to_$ROWS;
    CREATE TABLE orders (tenant VARCHAR(20), id INT, v INT, PRIMARY KEY (tenant, id));
    INSERT INTO orders SELECT ELT(1 + seq % 8, 'apple', 'Apple 2', 'Äpfel', 'banana', 'Banana 2', 'éclair', 'Zebra', 'zebra 1'), seq DIV 8, seq
    FROM seq_1_to_$ROWS;
    ANALYZE TABLE words, orders" >/dev/null
LITE="$WORK/src.db"
sqlite_sql "$LITE" "CREATE TABLE words (k TEXT PRIMARY KEY NOT NULL, v INTEGER);
    WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < $ROWS)
    INSERT INTO words SELECT CASE i % 3 WHEN 0 THEN 'Key ' WHEN 1 THEN 'key-' ELSE 'ключ ' END || hex(randomblob(8)) || i, i FROM g;
    CREATE TABLE loose (k TEXT PRIMARY KEY, v INTEGER);
    INSERT INTO loose SELECT k, v FROM words"

body="    destination: pgdst
    parallelism: 2
    split_min_rows: 10000
    batch_size: 2000"
{
    echo "sources:"
    pg_endpoint pgsrc postgresql 'schema: src'
    my_endpoint mysrc mysql "$MY_SRC"
    echo "  lite: {type: sqlite, path: \"$LITE\"}"
    echo "destinations:"
    pg_endpoint pgdst postgresql
    echo "pipelines:"
    for p in "pw pgsrc words" "pi pgsrc ids" "po pgsrc orders" "mw mysrc words" "mo mysrc orders" \
        "lw lite words" "ll lite loose"; do
        set -- $p
        printf '  %s:\n    source: %s\n    tables: [%s]\n    target_schema: %s\n%s\n' "$1" "$2" "$3" "an_$1" "$body"
    done
} >"$WORK/arus.yml"
export ARUS_LOG_LEVEL=info

# keys of the copy in byte order, and the source's, compared; no key twice
check() { # pipeline table key source_keys_command what
    local dst
    dst=$(pg_sql -c "SELECT $3 || '|' || v FROM an_$1.$2" | LC_ALL=C sort | md5sum)
    assert_eq "$dst" "$(eval "$4" | LC_ALL=C sort | md5sum)" "$5: copy"
    assert_eq "$(pg_sql -c "SELECT count(*) - count(DISTINCT $3) FROM an_$1.$2")" 0 "$5: duplicate keys"
    assert_eq "$(pg_sql -c "SELECT count(*) FROM arus_state.watermarks WHERE pipeline = '$1' AND table_name LIKE '$2#%'")" 0 "$5: progress rows"
}
pg_keys() { pg_sql -c "SELECT $2 || '|' || v FROM src.$1"; }
TENANT_ID="tenant || '/' || id"
for p in "pw words k pg_keys" "pi ids id pg_keys" "po orders TENANT_ID pg_keys" "mw words k mys" \
    "mo orders TENANT_ID mys" "lw words k sqlite"; do
    set -- $p
    key=$3 on="\"$3\""
    [ "$3" = TENANT_ID ] && key=$TENANT_ID on='"tenant", "id"'
    arus_ok -c "$WORK/arus.yml" sync "$1"
    grep -Eq "table \"$2\": split into ([2-9]|1[0-9]) key ranges on $on\$" "$WORK/err" ||
        fail "$1: first load not split: $(cat "$WORK/err")"
    case $4 in
        pg_keys) keys="pg_keys $2 \"$key\"" ;;
        mys) keys="mys $MY_SRC -e \"SELECT CONCAT($([ "$2" = orders ] && echo "tenant, '/', id" || echo k), '|', v) FROM $2\"" ;;
        sqlite) keys="sqlite_sql '$LITE' \"SELECT k || '|' || v FROM words\"" ;;
    esac
    check "$1" "$2" "$key" "$keys" "$1 split first load"
done

# SQLite lets a key column other than the rowid hold NULL, which no key range would hold: such
# a table is loaded as one stream
arus_ok -c "$WORK/arus.yml" sync ll
grep -q 'split into' "$WORK/err" && fail "a table whose key may be NULL was split"
assert_eq "$(pg_sql -c "SELECT count(*) FROM an_ll.loose")" "$ROWS" "rows of the table whose key may be NULL"

# split refreshes of the ICU-ordered tables (one and two key columns), each SIGKILLed once two
# ranges are done, then resumed from the ranges' progress (a key tuple: JSON text)
pg_sql -c "UPDATE src.words SET v = -v WHERE v % 100 = 7; UPDATE src.orders SET v = -v WHERE v % 100 = 7"
for p in "pw words k" "po orders $TENANT_ID"; do
    read -r pipe table key <<<"$p"
    : >"$WORK/kill.err"
    killed=0
    for try in 1 2 3 4 5; do
        pg_split_kill_at "$pipe" "$table" 2 --full-refresh && { killed=1; break; }
    done
    [ "$killed" = 1 ] || fail "$pipe: the refresh ended before its kill in five tries"
    pg_sql -c "SELECT deletes_watermark FROM arus_state.watermarks WHERE pipeline = '$pipe' AND table_name = '$table#arus_range:1'" |
        grep -q '^\[".*", ".*"\]$' || fail "$pipe: range bounds are not kept as JSON text"
    arus_ok -c "$WORK/arus.yml" sync "$pipe" --full-refresh
    grep -q 'resuming split load: [0-9]* of [0-9]* key ranges remain' "$WORK/err" ||
        fail "$pipe: the refresh did not resume: $(cat "$WORK/err")"
    check "$pipe" "$table" "$key" "pg_keys $table \"$key\"" "$pipe refresh resumed after a SIGKILL"
done
echo "PASS"

#!/usr/bin/env bash
# Exactly once without a key, and no silent NULLs, for every source (PostgreSQL, MariaDB,
# SQLite, MongoDB) into SQLite: a table without primary key (1,000 rows, ten rows per
# updated_at) keeps its count over idle reruns and a new row arrives once (the keyless plan
# reads [stored, horizon)); MongoDB has no keyless collections (_id). In a keyed table an
# insert with a NULL watermark and an update setting it to NULL both arrive after the first run,
# and are counted (rows_null_watermark of `sync --json`). discover warns about a keyless table
# whose watermark column may be NULL. A SQLite writer open while a sync starts is waited out.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg_lib.sh"
source "$(dirname "$0")/my_lib.sh"
source "$(dirname "$0")/live_lib.sh"
source "$(dirname "$0")/mongo_lib.sh"

DST="$WORK/dst.db"
SQLITE_SRC="$WORK/src.db"

# write_config SOURCE_ENDPOINT_LINE: pipeline p from that source into SQLite.
write_config() { live_sqlite_config "$1" "[kl, nk]"; }

dcount() { sqlite_sql "$DST" "SELECT count(*) FROM analytics__$1"; }
dval() { sqlite_sql "$DST" "SELECT v FROM analytics__nk WHERE id = $1"; }

# check_keyless NAME INSERT_NOW: the keyless part, after the source has kl with 1,000 rows;
# INSERT_NOW inserts one row stamped with the database's clock.
check_keyless() {
    local name=$1
    arus_ok -c "$WORK/arus.yml" sync p
    assert_eq "$(dcount kl)" 1000 "$name: keyless rows after the first run"
    for i in 1 2 3; do
        arus_ok -c "$WORK/arus.yml" sync p
        assert_eq "$(dcount kl)" 1000 "$name: keyless rows after idle rerun $i"
    done
    "$2"
    # The row arrives once the horizon (whole seconds) passes its stamp; on a shared server
    # other sessions' open transactions may hold the horizon a while (MariaDB's innodb_trx
    # spans every database). It must never arrive twice.
    local tries=0
    while :; do
        sleep 1
        arus_ok -c "$WORK/arus.yml" sync p
        [ "$(dcount kl)" = 1000 ] && [ $((tries += 1)) -lt 60 ] || break
    done
    assert_eq "$(dcount kl)" 1001 "$name: keyless rows after one insert"
    arus_ok -c "$WORK/arus.yml" sync p
    assert_eq "$(dcount kl)" 1001 "$name: keyless rows after one more idle rerun"
}

# check_nulls NAME SET_NULLS: the keyed part, after the first runs; SET_NULLS inserts id 1001
# (v 'inserted') with a NULL watermark and sets row 5's to NULL (v 'nulled').
check_nulls() {
    local name=$1
    "$2"
    arus_ok -c "$WORK/arus.yml" sync p --json
    assert_eq "$(dval 1001)" inserted "$name: row inserted with a NULL watermark"
    assert_eq "$(dval 5)" nulled "$name: row updated to a NULL watermark"
    assert_eq "$(jq -r '.tables[] | select(.table == "nk") | .rows_null_watermark' "$WORK/out")" 2 \
        "$name: rows with a NULL watermark counted"
    assert_eq "$(dcount nk)" 1001 "$name: keyed rows"
}

# ---- PostgreSQL
pg_sql <<'SQL'
CREATE SCHEMA src;
-- timestamp without time zone: the horizon is taken in the writers' default TimeZone
CREATE TABLE src.kl (v text, updated_at timestamp NOT NULL DEFAULT now());
INSERT INTO src.kl SELECT 'v' || i, timestamp '2024-01-01 00:00:00' + (i / 10) * interval '1 second'
FROM generate_series(1, 1000) i;
CREATE TABLE src.nk (id int PRIMARY KEY, v text, updated_at timestamptz);
INSERT INTO src.nk SELECT i, 'v', timestamptz '2024-01-01 00:00:00+00' + i * interval '1 second'
FROM generate_series(1, 1000) i;
SQL
write_config "$(pg_endpoint src postgresql 'schema: src')"
arus_ok -c "$WORK/arus.yml" discover src
grep -q 'table "kl" has no primary key: rows whose "updated_at" is NULL' "$WORK/err" && \
    fail "discover: kl's updated_at is NOT NULL, no warning expected"
pg_sql -c "ALTER TABLE src.kl ALTER COLUMN updated_at DROP NOT NULL"
arus_ok -c "$WORK/arus.yml" discover src
grep -q 'table "kl" has no primary key: rows whose "updated_at" is NULL will be read by its first sync only' \
    "$WORK/err" || fail "discover does not warn about NULL watermarks of a keyless table: $(cat "$WORK/err")"
pg_new() { pg_sql -c "INSERT INTO src.kl (v) VALUES ('new')"; }
pg_nulls() { pg_sql -c "INSERT INTO src.nk VALUES (1001, 'inserted', NULL); UPDATE src.nk SET v = 'nulled', updated_at = NULL WHERE id = 5"; }
check_keyless PostgreSQL pg_new
check_nulls PostgreSQL pg_nulls

# ---- MariaDB
rm -f "$DST"
mys "$MY_SRC" <<'SQL'
CREATE TABLE kl (v varchar(20), updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6));
INSERT INTO kl SELECT CONCAT('v', seq), TIMESTAMP '2024-01-01 00:00:00' + INTERVAL (seq DIV 10) SECOND
FROM seq_1_to_1000;
CREATE TABLE nk (id int PRIMARY KEY, v varchar(20), updated_at DATETIME(6) NULL);
INSERT INTO nk SELECT seq, 'v', TIMESTAMP '2024-01-01 00:00:00' + INTERVAL seq SECOND FROM seq_1_to_1000;
SQL
write_config "$(my_endpoint src mysql "$MY_SRC")"
my_new() { mys "$MY_SRC" -e "INSERT INTO kl (v) VALUES ('new')"; }
my_nulls() { mys "$MY_SRC" -e "INSERT INTO nk VALUES (1001, 'inserted', NULL); UPDATE nk SET v = 'nulled', updated_at = NULL WHERE id = 5"; }
check_keyless MariaDB my_new
check_nulls MariaDB my_nulls

# ---- SQLite (the database's clock: strftime in UTC, as CURRENT_TIMESTAMP)
rm -f "$DST"
sqlite_sql "$SQLITE_SRC" <<'SQL'
CREATE TABLE kl (v TEXT, updated_at TIMESTAMP NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')));
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 1000)
INSERT INTO kl SELECT 'v' || i, datetime('2024-01-01 00:00:00', '+' || (i / 10) || ' seconds') FROM s;
CREATE TABLE nk (id INTEGER PRIMARY KEY, v TEXT, updated_at TIMESTAMP);
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 1000)
INSERT INTO nk SELECT i, 'v', datetime('2024-01-01 00:00:00', '+' || i || ' seconds') FROM s;
SQL
write_config "  src: {type: sqlite, path: \"$SQLITE_SRC\"}"
sqlite_new() { sqlite_sql "$SQLITE_SRC" "INSERT INTO kl (v) VALUES ('new')"; }
sqlite_nulls() { sqlite_sql "$SQLITE_SRC" "INSERT INTO nk VALUES (1001, 'inserted', NULL); UPDATE nk SET v = 'nulled', updated_at = NULL WHERE id = 5"; }
check_keyless SQLite sqlite_new
# A writer still open when the sync starts (its row stamped before it commits): the horizon
# waits it out (BEGIN IMMEDIATE), so the keyless table reads its row, once.
sqlite_sql "$SQLITE_SRC" "BEGIN IMMEDIATE; INSERT INTO kl (v) VALUES ('held');" ".shell sleep 3" \
    "COMMIT;" &
writer=$!
sleep 1
arus_ok -c "$WORK/arus.yml" sync p
wait "$writer"
assert_eq "$(dcount kl)" 1002 "SQLite: keyless row of a writer open during the sync"
arus_ok -c "$WORK/arus.yml" sync p
assert_eq "$(dcount kl)" 1002 "SQLite: keyless rows after one more idle rerun"
check_nulls SQLite sqlite_nulls

# ---- MongoDB: keyed by _id (v and id as fields; the NULL watermark as null)
rm -f "$DST"
awk 'BEGIN { for (i = 1; i <= 1000; i++)
    printf "{\"id\": %d, \"v\": \"v\", \"updated_at\": {\"$date\": \"2024-01-01T00:%02d:%02d.000Z\"}}\n",
           i, int(i / 60) % 60, i % 60 }' | mload insert nk || fail "seeding nk"
live_sqlite_config "  src: {type: mongodb, url: \"\${MONGO_URL}\"}" "[nk]"
arus_ok -c "$WORK/arus.yml" sync p
assert_eq "$(dcount nk)" 1000 "MongoDB: first run"
mongo_nulls() {
    echo '{"id": 1001, "v": "inserted", "updated_at": null}' | mload insert nk || fail "insert"
    mcmd '{"update": "nk", "updates": [{"q": {"id": 5}, "u": {"$set": {"v": "nulled", "updated_at": null}}}]}'
}
check_nulls MongoDB mongo_nulls
echo "ok"

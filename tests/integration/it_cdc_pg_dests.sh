#!/usr/bin/env bash
# PostgreSQL change data capture into MySQL, SQLite and ClickHouse: one pipeline (and slot) per
# destination follows a sysbench write workload with deletes (oltp_write_only, oltp_delete);
# after SIGTERM and a last sync every destination holds exactly the source's rows (ClickHouse:
# the newest live version of each key), and the stored position is the same in all three.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg_lib.sh"
source "$(dirname "$0")/my_lib.sh"
source "$(dirname "$0")/ch_lib.sh"
CDC_SOURCE=pg
source "$(dirname "$0")/cdc_lib.sh"
on_exit "pg_sql -c \"SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '$PG_IT_DB'\""
export ARUS_PG_PASSWORD ARUS_MY_PASSWORD PGPASSWORD=$ARUS_PG_PASSWORD

cdc_sb oltp_write_only prepare >/dev/null
# A TOASTed text that updates leave out of the log; REPLICA IDENTITY FULL lets ClickHouse (no
# merge without it) keep it.
pg_sql -c "CREATE TABLE doc (id int PRIMARY KEY, body text, v int); ALTER TABLE doc REPLICA IDENTITY FULL;
  INSERT INTO doc SELECT i, (SELECT string_agg(md5(g::text || i), '') FROM generate_series(1, 3000) g), 0 FROM generate_series(1, 5) i"

cdc_dests_config pgsrc "$(pg_endpoint pgsrc postgresql "schema: public")"
cdc_dests_follow pg_sql -c "UPDATE doc SET v = v + 1"

[ "$(pg_sql -c "SELECT count(*) FROM sbtest1")" -gt 100 ] || fail "the workload deleted nearly everything"
cdc_dests_equal \
    "$(pg_sql -c "SELECT id || ' ' || k || ' ' || rtrim(c) || ' ' || rtrim(pad) FROM sbtest1 ORDER BY id" | md5sum)" \
    "$(pg_sql -c "SELECT id || ' ' || v || ' ' || md5(body) FROM doc ORDER BY id" | md5sum)" \
    "MySQL TOASTed"
assert_eq "$(q "SELECT count() FROM $AN.sbtest1_current")" "$(pg_sql -c "SELECT count(*) FROM sbtest1")" "ClickHouse current view"
echo ok

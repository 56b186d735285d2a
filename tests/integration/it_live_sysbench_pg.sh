#!/usr/bin/env bash
# PostgreSQL -> PostgreSQL against live writers: sysbench oltp_read_write (4 threads) on a
# 20,000-row sbtest1 whose updated_at a BEFORE INSERT OR UPDATE trigger sets to now() (the
# transaction's start), `arus sync` in a loop with the default config (commit horizon on, no
# lookback), one transaction held open for 6 s across several syncs; after one last sync the
# destination equals the source (sorted dumps of id, k, c, pad). See live_lib.sh.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg_lib.sh"
source "$(dirname "$0")/live_lib.sh"
command -v sysbench >/dev/null || fail "sysbench not installed (scripts/install-deps.sh)"

# trust authentication: sysbench needs no password (none on its command line)
SB=(--db-driver=pgsql --pgsql-host="$ARUS_PG_HOST" --pgsql-port="$ARUS_PG_PORT"
    --pgsql-user="$ARUS_PG_USER" --pgsql-db="$PG_IT_DB")
sysbench oltp_read_write "${SB[@]}" --tables=1 --table_size="$LIVE_ROWS" prepare >"$WORK/prepare.out" \
    || fail "sysbench prepare: $(tail -5 "$WORK/prepare.out")"
pg_sql <<'SQL'
ALTER TABLE sbtest1 ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
CREATE FUNCTION stamp() RETURNS trigger LANGUAGE plpgsql AS
  $$BEGIN NEW.updated_at = now(); RETURN NEW; END$$;
CREATE TRIGGER stamp BEFORE INSERT OR UPDATE ON sbtest1 FOR EACH ROW EXECUTE FUNCTION stamp();
SQL
pg_write_config public "    tables: [sbtest1]
    commit_horizon: $LIVE_COMMIT_HORIZON"

hold() {
    pg_sql -c "BEGIN; UPDATE sbtest1 SET c = 'held open' WHERE id = 7; SELECT pg_sleep(6); COMMIT;" >/dev/null
}
live_run "PostgreSQL -> PostgreSQL" SB hold

dump() { pg_sql -c "COPY (SELECT id, k, rtrim(c), rtrim(pad) FROM $1 ORDER BY id) TO STDOUT"; }
dump public.sbtest1 >"$WORK/src.txt"
dump analytics.sbtest1 >"$WORK/dst.txt"
live_compare "PostgreSQL -> PostgreSQL" "$WORK/src.txt" "$WORK/dst.txt"
echo "ok"

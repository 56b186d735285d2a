#!/usr/bin/env bash
# Hostile identifiers, PostgreSQL -> PostgreSQL: source schema, table and columns (key included)
# and the destination's raw and target schemas named with double quotes, spaces, a semicolon
# and unicode. Both zones load, values compare equal, a rerun loads 0 rows, and soft deletes
# and schema drift (a new hostile column) work on the same names.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg_lib.sh"

TAB='t"a; ✓ b'
pg_sql <<'SQL'
CREATE SCHEMA "s""q; ü x";
CREATE TABLE "s""q; ü x"."t""a; ✓ b" ("i""d; ü" int PRIMARY KEY, "c""o; ü l" text,
    "DROP TABLE x; --" numeric(10,2), updated_at timestamptz NOT NULL, deleted_at timestamptz);
INSERT INTO "s""q; ü x"."t""a; ✓ b"
SELECT i, 'v"' || i || ';', i / 3.0, '2024-01-01'::timestamptz + i * interval '1 s', NULL
FROM generate_series(1, 50) i;
SQL

pg_write_config 's\"q; ü x' '    tables: ["t\"a; ✓ b"]
    batch_size: 7
    load_mode: raw+normalized
    raw_schema: "r\"aw; ✓"
    target_schema: "a\"n; ü"'

diff_count() {
    pg_sql <<'SQL'
SELECT count(*) FROM (
  (SELECT "i""d; ü", "c""o; ü l", "DROP TABLE x; --", updated_at FROM "s""q; ü x"."t""a; ✓ b"
   WHERE deleted_at IS NULL
   EXCEPT ALL SELECT "i""d; ü", "c""o; ü l", "DROP TABLE x; --", updated_at FROM "a""n; ü"."t""a; ✓ b")
  UNION ALL
  (SELECT "i""d; ü", "c""o; ü l", "DROP TABLE x; --", updated_at FROM "a""n; ü"."t""a; ✓ b"
   EXCEPT ALL SELECT "i""d; ü", "c""o; ü l", "DROP TABLE x; --", updated_at FROM "s""q; ü x"."t""a; ✓ b"
   WHERE deleted_at IS NULL)) x
SQL
}

arus_ok -c "$WORK/arus.yml" sync p
assert_eq "$(diff_count)" 0 "rows differing after the first run"
assert_eq "$(pg_sql -c 'SELECT count(*) FROM "a""n; ü"."t""a; ✓ b"')" 50 "typed rows"
assert_eq "$(pg_sql -c 'SELECT count(*) FROM "r""aw; ✓"."pgsrc_t""a; ✓ b_raw"')" 50 "raw rows"
assert_eq "$(pg_sql -c "SELECT _data->>'c\"o; ü l' FROM \"r\"\"aw; ✓\".\"pgsrc_t\"\"a; ✓ b_raw\" WHERE (_data->>'i\"d; ü')::int = 7")" \
    'v"7;' "raw JSON keyed by the hostile column name"

arus_ok -c "$WORK/arus.yml" sync p
assert_eq "$(pg_last_run "$TAB" | cut -d' ' -f2)" 0 "rows loaded by the unchanged rerun"

pg_sql <<'SQL'
ALTER TABLE "s""q; ü x"."t""a; ✓ b" ADD COLUMN "n""ew; ✓" text;
UPDATE "s""q; ü x"."t""a; ✓ b" SET "n""ew; ✓" = 'drift', updated_at = '2025-01-01' WHERE "i""d; ü" = 1;
UPDATE "s""q; ü x"."t""a; ✓ b" SET deleted_at = now(), updated_at = '2025-01-02' WHERE "i""d; ü" = 2;
SQL
arus_ok -c "$WORK/arus.yml" sync p
assert_eq "$(diff_count)" 0 "rows differing after drift and a soft delete"
assert_eq "$(pg_sql -c 'SELECT "n""ew; ✓" FROM "a""n; ü"."t""a; ✓ b" WHERE "i""d; ü" = 1')" drift \
    "new hostile column added and filled"
assert_eq "$(pg_sql -c 'SELECT count(*) FROM "a""n; ü"."t""a; ✓ b" WHERE "i""d; ü" = 2')" 0 \
    "soft-deleted row removed"
echo "ok"

/* SQLite translation of extract plans as golden SELECT text (no server): live, deleted and
 * all rows; keyset bounds as row values; upper bounds exclusive and inclusive; NULL watermarks
 * first or excluded; ordered or not (no rowid fallback); the soft-delete rule reusing ?1;
 * both quote characters in names. */
#include "check.h"
#include "connectors/sqlite/extract.h"
#include "unit/support/extract_fixture.h"

#define SELECT                                                                                     \
    "SELECT \"id\", \"re\"\"gi`on\", \"updated_at\", \"deleted_at\", \"tags\" FROM "               \
    "\"or\"\"d`ers\""
#define ORDER " ORDER BY \"updated_at\", \"id\", \"re\"\"gi`on\""

static struct sqlite_extract_sql q;

static const char *sql_of(const struct arus_extract_plan *p)
{
    arus__sqlite_extract_sql_cleanup(&q);
    arus__sqlite_extract_sql(p, &q);
    return arus_strbuf_cstr(&q.sql);
}

static void test_first_and_later_run(void)
{
    struct arus_extract_plan p = fx_first_run(&fx_orders, fx_key2, 2);
    CHECK_STR(sql_of(&p), SELECT " WHERE \"deleted_at\" IS NULL" ORDER);
    CHECK_INT(q.nparams, 0);
    p.lower = (struct arus_extract_bound){"2024-01-02 03:04:05", NULL, true};
    p.nulls = ARUS_NULLS_EXCLUDED;
    CHECK_STR(sql_of(&p), SELECT " WHERE \"deleted_at\" IS NULL AND \"updated_at\" >= ?1" ORDER);
    REQUIRE(q.nparams == 1);
    CHECK_STR(q.params[0], "2024-01-02 03:04:05");
}

static void test_soft_deletes(void)
{
    struct arus_extract_plan p = fx_first_run(&fx_orders, fx_key2, 2);
    p.rows = ARUS_ROWS_DELETED;
    p.lower = (struct arus_extract_bound){"2024-01-02 03:04:05", NULL, true};
    p.nulls = ARUS_NULLS_EXCLUDED;
    p.deleted_at_bounded = true;
    CHECK_STR(sql_of(&p), SELECT " WHERE \"deleted_at\" IS NOT NULL AND (\"updated_at\" >= ?1 OR "
                                 "\"deleted_at\" >= ?1)" ORDER);
    CHECK_INT(q.nparams, 1);
}

static void test_full_refresh_unordered(void)
{
    /* no ORDER BY, not even rowid */
    struct arus_extract_plan p = {
        .table = &fx_orders, .watermark = -1, .deleted_at = 3, .rows = ARUS_ROWS_LIVE};
    CHECK_STR(sql_of(&p), SELECT " WHERE \"deleted_at\" IS NULL");
    p.rows = ARUS_ROWS_ALL;
    CHECK_STR(sql_of(&p), SELECT);
}

static void test_keyset_bounds(void)
{
    struct arus_extract_plan p = fx_first_run(&fx_orders, fx_key2, 2);
    p.rows = ARUS_ROWS_ALL;
    p.nulls = ARUS_NULLS_EXCLUDED;
    p.lower = (struct arus_extract_bound){"2024-01-01", fx_lowkey, true};
    p.upper = (struct arus_extract_bound){"2024-02-01", fx_highkey, false};
    CHECK_STR(sql_of(&p),
              SELECT " WHERE (\"updated_at\", \"id\", \"re\"\"gi`on\") >= (?1, ?2, ?3) "
                     "AND (\"updated_at\", \"id\", \"re\"\"gi`on\") < (?4, ?5, ?6)" ORDER);
    REQUIRE(q.nparams == 6);
    CHECK_STR(q.params[2], "eu");
    CHECK_STR(q.params[4], "9");
    p.lower = (struct arus_extract_bound){0};
    p.upper.inclusive = true;
    p.nulls = ARUS_NULLS_FIRST;
    p.ordered = false;
    CHECK_STR(sql_of(&p), SELECT " WHERE (\"updated_at\" IS NULL OR (\"updated_at\", \"id\", "
                                 "\"re\"\"gi`on\") <= (?1, ?2, ?3))");
}

static void test_no_key_and_nulls_excluded(void)
{
    struct arus_extract_plan p = fx_first_run(&fx_orders, fx_key2, 2);
    p.nkey = 0;
    p.nulls = ARUS_NULLS_EXCLUDED;
    CHECK_STR(sql_of(&p), SELECT " WHERE \"deleted_at\" IS NULL AND \"updated_at\" IS NOT NULL"
                                 " ORDER BY \"updated_at\"");
}

int main(void)
{
    RUN(test_first_and_later_run);
    RUN(test_soft_deletes);
    RUN(test_full_refresh_unordered);
    RUN(test_keyset_bounds);
    RUN(test_no_key_and_nulls_excluded);
    arus__sqlite_extract_sql_cleanup(&q);
    return check_exit();
}

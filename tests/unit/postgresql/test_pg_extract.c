/* PostgreSQL translation of extract plans as golden COPY text (no server): live, deleted and
 * all rows; lower bounds with and without key; upper bounds exclusive and inclusive; NULL
 * watermarks first or excluded; ordered or not; composite keys; the soft-delete rule; quotes
 * in names; parameters through set_config. */
#include "check.h"
#include "connectors/postgresql/extract.h"
#include "unit/support/extract_fixture.h"

#define SELECT                                                                                     \
    "COPY (SELECT \"id\", \"re\"\"gi`on\", \"updated_at\", \"deleted_at\", to_json(\"tags\") "     \
    "FROM \"public\".\"or\"\"d`ers\""
#define WM    "current_setting('arus.p1')::timestamp without time zone"
#define ORDER " ORDER BY \"updated_at\" NULLS FIRST, \"id\", \"re\"\"gi`on\") TO STDOUT"

static struct pg_extract_sql q;

static const char *copy_of(const struct arus_extract_plan *p)
{
    arus__pg_extract_sql_cleanup(&q);
    arus__pg_extract_sql(p, "public", &q);
    return arus_strbuf_cstr(&q.copy);
}

static void test_first_run(void)
{
    struct arus_extract_plan p = fx_first_run(&fx_orders, fx_key2, 2);
    CHECK_STR(copy_of(&p), SELECT " WHERE \"deleted_at\" IS NULL" ORDER);
    CHECK_INT(q.nparams, 0);
    CHECK_STR(arus_strbuf_cstr(&q.bind), "");
}

/* verify: live rows by key alone, the string key in byte order whatever its collation */
static void test_by_key_byte_order(void)
{
    struct arus_extract_plan p = fx_by_key();
    CHECK_STR(copy_of(&p), SELECT " WHERE \"deleted_at\" IS NULL ORDER BY \"id\", "
                                  "\"re\"\"gi`on\" COLLATE \"C\") TO STDOUT");
}

static void test_later_run(void)
{
    struct arus_extract_plan p = fx_first_run(&fx_orders, fx_key2, 2);
    p.lower = (struct arus_extract_bound){.watermark = "2024-01-02 03:04:05", .inclusive = true};
    p.nulls = ARUS_NULLS_EXCLUDED;
    CHECK_STR(copy_of(&p), SELECT " WHERE \"deleted_at\" IS NULL AND \"updated_at\" >= " WM ORDER);
    CHECK_STR(arus_strbuf_cstr(&q.bind), "SELECT set_config('arus.p1', $1, false)");
    REQUIRE(q.nparams == 1);
    CHECK_STR(q.params[0], "2024-01-02 03:04:05");
    /* exclusive */
    p.lower.inclusive = false;
    CHECK_STR(copy_of(&p), SELECT " WHERE \"deleted_at\" IS NULL AND \"updated_at\" > " WM ORDER);
}

static void test_soft_deletes(void)
{
    struct arus_extract_plan p = fx_first_run(&fx_orders, fx_key2, 2);
    p.rows = ARUS_ROWS_DELETED;
    p.lower = (struct arus_extract_bound){.watermark = "2024-01-02 03:04:05", .inclusive = true};
    p.nulls = ARUS_NULLS_EXCLUDED;
    p.deleted_at_bounded = true;
    /* one parameter, cast to each column's own type */
    CHECK_STR(copy_of(&p), SELECT " WHERE \"deleted_at\" IS NOT NULL AND (\"updated_at\" >= " WM
                                  " OR \"deleted_at\" >= current_setting('arus.p1')::timestamp(3) "
                                  "without time zone)" ORDER);
    CHECK_INT(q.nparams, 1);
    p.deleted_at_bounded = false;
    CHECK_STR(copy_of(&p),
              SELECT " WHERE \"deleted_at\" IS NOT NULL AND \"updated_at\" >= " WM ORDER);
}

static void test_full_refresh(void)
{
    struct arus_extract_plan p = {
        .table = &fx_orders, .watermark = -1, .deleted_at = 3, .rows = ARUS_ROWS_LIVE};
    CHECK_STR(copy_of(&p), SELECT " WHERE \"deleted_at\" IS NULL) TO STDOUT");
    p.rows = ARUS_ROWS_ALL;
    p.deleted_at = -1;
    CHECK_STR(copy_of(&p), SELECT ") TO STDOUT");
    CHECK_INT(q.nparams, 0);
}

static void test_keyset_bounds(void)
{
    struct arus_extract_plan p = fx_first_run(&fx_orders, fx_key2, 2);
    p.rows = ARUS_ROWS_ALL;
    p.deleted_at = -1;
    p.nulls = ARUS_NULLS_EXCLUDED;
    p.lower = (struct arus_extract_bound){"2024-01-01 00:00:00", fx_lowkey, true};
    p.upper = (struct arus_extract_bound){"2024-02-01 00:00:00", fx_highkey, false};
    CHECK_STR(copy_of(&p),
              SELECT " WHERE (\"updated_at\", \"id\", \"re\"\"gi`on\") >= (" WM
                     ", current_setting('arus.p2')::bigint, current_setting('arus.p3')::text) "
                     "AND (\"updated_at\", \"id\", \"re\"\"gi`on\") < (current_setting('arus.p4')"
                     "::timestamp without time zone, current_setting('arus.p5')::bigint, "
                     "current_setting('arus.p6')::text)" ORDER);
    CHECK_STR(arus_strbuf_cstr(&q.bind),
              "SELECT set_config('arus.p1', $1, false), set_config('arus.p2', $2, false), "
              "set_config('arus.p3', $3, false), set_config('arus.p4', $4, false), "
              "set_config('arus.p5', $5, false), set_config('arus.p6', $6, false)");
    REQUIRE(q.nparams == 6);
    CHECK_STR(q.params[1], "7");
    CHECK_STR(q.params[5], "us");
    /* upper alone, inclusive, with NULL watermarks first */
    p.lower = (struct arus_extract_bound){0};
    p.upper = (struct arus_extract_bound){"2024-02-01 00:00:00", NULL, true};
    p.nulls = ARUS_NULLS_FIRST;
    CHECK_STR(copy_of(&p),
              SELECT " WHERE (\"updated_at\" IS NULL OR \"updated_at\" <= " WM ")" ORDER);
}

/* a split load's key range: [lower, upper) on the key, lower exclusive when a range resumes
 * after the last key loaded; a composite key compares as a row value */
static void test_key_range(void)
{
    struct arus_extract_plan p = fx_by_key();
    p.key = fx_key1;
    p.nkey = 1;
    p.key_range = (struct arus_extract_key_range){fx_lowkey, true, fx_highkey};
    CHECK_STR(copy_of(&p), SELECT " WHERE \"deleted_at\" IS NULL AND \"id\" >= "
                                  "current_setting('arus.p1')::bigint AND \"id\" < "
                                  "current_setting('arus.p2')::bigint ORDER BY \"id\") TO STDOUT");
    REQUIRE(q.nparams == 2);
    CHECK_STR(q.params[0], "7");
    CHECK_STR(q.params[1], "9");
    p.key_range = (struct arus_extract_key_range){fx_lowkey, false, NULL};
    CHECK_STR(copy_of(&p), SELECT " WHERE \"deleted_at\" IS NULL AND \"id\" > "
                                  "current_setting('arus.p1')::bigint ORDER BY \"id\") TO STDOUT");
    p = fx_by_key();
    p.key_range = (struct arus_extract_key_range){NULL, true, fx_highkey};
    CHECK_STR(copy_of(&p), SELECT " WHERE \"deleted_at\" IS NULL AND (\"id\", \"re\"\"gi`on\") < "
                                  "(current_setting('arus.p1')::bigint, "
                                  "current_setting('arus.p2')::text) ORDER BY \"id\", "
                                  "\"re\"\"gi`on\") TO STDOUT");
}

static void test_nulls_excluded_without_bound(void)
{
    struct arus_extract_plan p = fx_first_run(&fx_orders, fx_key2, 2);
    p.nulls = ARUS_NULLS_EXCLUDED;
    CHECK_STR(copy_of(&p),
              SELECT " WHERE \"deleted_at\" IS NULL AND \"updated_at\" IS NOT NULL" ORDER);
}

static void test_unordered_and_single_key(void)
{
    struct arus_extract_plan p = fx_first_run(&fx_orders, fx_key2, 2);
    p.ordered = false;
    p.lower = (struct arus_extract_bound){"2024-01-01 00:00:00", fx_lowkey, true};
    p.nulls = ARUS_NULLS_EXCLUDED;
    p.key = fx_key1;
    p.nkey = 1;
    CHECK_STR(copy_of(&p),
              SELECT " WHERE \"deleted_at\" IS NULL AND (\"updated_at\", \"id\") >= (" WM
                     ", current_setting('arus.p2')::bigint)) TO STDOUT");
    p.ordered = true;
    p.nkey = 0;
    p.lower.key = NULL;
    CHECK_STR(copy_of(&p), SELECT " WHERE \"deleted_at\" IS NULL AND \"updated_at\" >= " WM
                                  " ORDER BY \"updated_at\" NULLS FIRST) TO STDOUT");
}

/* A NOT NULL watermark: no NULL arm and no NULLS FIRST, so an ascending index on the column
 * serves both the range and the order (a first load or a 1,000-row incremental of a 10M-row
 * table is then no sort of the table: bench/scale.sh). */
static void test_not_null_watermark(void)
{
    struct arus_extract_plan p = fx_first_run(&fx_orders_wm_not_null, fx_key2, 2);
#define ORDER_ASC " ORDER BY \"updated_at\", \"id\", \"re\"\"gi`on\") TO STDOUT"
    CHECK_STR(copy_of(&p), SELECT " WHERE \"deleted_at\" IS NULL" ORDER_ASC);
    p.lower = (struct arus_extract_bound){.watermark = "2024-01-02 03:04:05", .inclusive = true};
    CHECK_STR(copy_of(&p),
              SELECT " WHERE \"deleted_at\" IS NULL AND \"updated_at\" >= " WM ORDER_ASC);
    p.lower = (struct arus_extract_bound){0};
    p.nulls = ARUS_NULLS_EXCLUDED;
    CHECK_STR(copy_of(&p), SELECT " WHERE \"deleted_at\" IS NULL" ORDER_ASC);
#undef ORDER_ASC
}

static void test_other_schema(void)
{
    /* discovery names tables outside the configured schema "schema.relation" */
    struct arus_column c[] = {
        {.name = "a", .source_type = "integer", .type = {.ltype = ARUS_T_INT32}}};
    struct arus_table_schema t = {
        .schema_name = "sa\"les", .name = "sa\"les.orders", .columns = c, .ncolumns = 1};
    struct arus_extract_plan p = {.table = &t, .watermark = -1, .deleted_at = -1};
    CHECK_STR(copy_of(&p), "COPY (SELECT \"a\" FROM \"sa\"\"les\".\"orders\") TO STDOUT");
    t.schema_name = NULL;
    t.name = "plain";
    CHECK_STR(copy_of(&p), "COPY (SELECT \"a\" FROM \"public\".\"plain\") TO STDOUT");
}

int main(void)
{
    RUN(test_first_run);
    RUN(test_by_key_byte_order);
    RUN(test_later_run);
    RUN(test_soft_deletes);
    RUN(test_full_refresh);
    RUN(test_keyset_bounds);
    RUN(test_key_range);
    RUN(test_nulls_excluded_without_bound);
    RUN(test_unordered_and_single_key);
    RUN(test_not_null_watermark);
    RUN(test_other_schema);
    arus__pg_extract_sql_cleanup(&q);
    return check_exit();
}

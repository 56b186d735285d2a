/* MySQL/MariaDB translation of extract plans as golden SELECT text (no server): live, deleted
 * and all rows; keyset bounds expanded into OR/AND behind a leading comparison; upper bounds
 * exclusive and inclusive; NULL watermarks first or excluded; ordered or not; the soft-delete
 * rule; both quote characters in names; one parameter per `?`, typed by its column. */
#include "check.h"
#include "connectors/mysql/extract.h"
#include "unit/support/extract_fixture.h"

#define SELECT                                                                                     \
    "SELECT `id`, `re\"gi``on`, `updated_at`, `deleted_at`, `tags` FROM `sh``op`.`or\"d``ers`"
#define ORDER " ORDER BY `updated_at`, `id`, `re\"gi``on`"

static struct my_extract_sql q;

static const char *sql_of(const struct arus_extract_plan *p)
{
    arus__my_extract_sql_cleanup(&q);
    arus__my_extract_sql(p, "sh`op", &q);
    return arus_strbuf_cstr(&q.sql);
}

/* The parameters as "column=text,..." */
static const char *params_of(void)
{
    static char buf[512];
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < q.nparams; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%zu=%s", i ? "," : "", q.params[i].column,
                              q.params[i].text);
    return buf;
}

static void test_first_and_later_run(void)
{
    struct arus_extract_plan p = fx_first_run(&fx_orders, fx_key2, 2);
    CHECK_STR(sql_of(&p), SELECT " WHERE `deleted_at` IS NULL" ORDER);
    CHECK_INT(q.nparams, 0);
    p.lower = (struct arus_extract_bound){"2024-01-02 03:04:05", NULL, true};
    p.nulls = ARUS_NULLS_EXCLUDED;
    CHECK_STR(sql_of(&p), SELECT " WHERE `deleted_at` IS NULL AND `updated_at` >= ?" ORDER);
    CHECK_STR(params_of(), "2=2024-01-02 03:04:05");
}

static void test_soft_deletes(void)
{
    struct arus_extract_plan p = fx_first_run(&fx_orders, fx_key2, 2);
    p.rows = ARUS_ROWS_DELETED;
    p.lower = (struct arus_extract_bound){"2024-01-02 03:04:05", NULL, true};
    p.nulls = ARUS_NULLS_EXCLUDED;
    p.deleted_at_bounded = true;
    CHECK_STR(sql_of(&p), SELECT " WHERE `deleted_at` IS NOT NULL AND (`updated_at` >= ? OR "
                                 "`deleted_at` >= ?)" ORDER);
    CHECK_STR(params_of(), "2=2024-01-02 03:04:05,3=2024-01-02 03:04:05");
}

static void test_full_refresh_unordered(void)
{
    struct arus_extract_plan p = {
        .table = &fx_orders, .watermark = -1, .deleted_at = 3, .rows = ARUS_ROWS_LIVE};
    CHECK_STR(sql_of(&p), SELECT " WHERE `deleted_at` IS NULL");
    p.rows = ARUS_ROWS_ALL;
    CHECK_STR(sql_of(&p), SELECT);
}

/* verify: live rows by key alone, the string key in byte order whatever its collation */
static void test_by_key_byte_order(void)
{
    struct arus_extract_plan p = fx_by_key();
    CHECK_STR(sql_of(&p), SELECT " WHERE `deleted_at` IS NULL ORDER BY `id`, CONVERT(`re\"gi``on` "
                                 "USING utf8mb4) COLLATE utf8mb4_bin");
}

static void test_keyset_bounds(void)
{
    struct arus_extract_plan p = fx_first_run(&fx_orders, fx_key2, 2);
    p.rows = ARUS_ROWS_ALL;
    p.nulls = ARUS_NULLS_EXCLUDED;
    p.lower = (struct arus_extract_bound){"2024-01-01", fx_lowkey, true};
    CHECK_STR(sql_of(&p), SELECT " WHERE `updated_at` >= ? AND (`updated_at` > ? OR "
                                 "(`updated_at` = ? AND (`id` > ? OR (`id` = ? AND "
                                 "`re\"gi``on` >= ?))))" ORDER);
    CHECK_STR(params_of(), "2=2024-01-01,2=2024-01-01,2=2024-01-01,0=7,0=7,1=eu");
    /* upper exclusive with a one-column key, after an inclusive lower without key */
    p.key = fx_key1;
    p.nkey = 1;
    p.lower = (struct arus_extract_bound){"2024-01-01", NULL, true};
    p.upper = (struct arus_extract_bound){"2024-02-01", fx_highkey, false};
    CHECK_STR(sql_of(&p), SELECT " WHERE `updated_at` >= ? AND `updated_at` <= ? AND "
                                 "(`updated_at` < ? OR (`updated_at` = ? AND `id` < ?))"
                                 " ORDER BY `updated_at`, `id`");
    CHECK_STR(params_of(), "2=2024-01-01,2=2024-02-01,2=2024-02-01,2=2024-02-01,0=9");
    /* upper inclusive */
    p.upper.inclusive = true;
    p.lower = (struct arus_extract_bound){0};
    CHECK_STR(sql_of(&p), SELECT " WHERE `updated_at` <= ? AND (`updated_at` < ? OR "
                                 "(`updated_at` = ? AND `id` <= ?)) ORDER BY `updated_at`, `id`");
}

/* a split load's key range: [lower, upper) on the key, lower exclusive when a range resumes;
 * a composite key expands like a keyset bound */
static void test_key_range(void)
{
    struct arus_extract_plan p = fx_by_key();
    p.key = fx_key1;
    p.nkey = 1;
    p.key_range = (struct arus_extract_key_range){fx_lowkey, true, fx_highkey};
    CHECK_STR(sql_of(&p), SELECT " WHERE `deleted_at` IS NULL AND `id` >= ? AND `id` < ? "
                                 "ORDER BY `id`");
    CHECK_STR(params_of(), "0=7,0=9");
    p.key_range = (struct arus_extract_key_range){fx_lowkey, false, NULL};
    CHECK_STR(sql_of(&p), SELECT " WHERE `deleted_at` IS NULL AND `id` > ? ORDER BY `id`");
    p = fx_by_key();
    p.key_range = (struct arus_extract_key_range){fx_lowkey, true, NULL};
    CHECK_STR(sql_of(&p), SELECT " WHERE `deleted_at` IS NULL AND `id` >= ? AND (`id` > ? OR "
                                 "(`id` = ? AND `re\"gi``on` >= ?)) ORDER BY `id`, `re\"gi``on`");
    CHECK_STR(params_of(), "0=7,0=7,0=7,1=eu");
}

static void test_nulls(void)
{
    struct arus_extract_plan p = fx_first_run(&fx_orders, fx_key2, 2);
    p.rows = ARUS_ROWS_ALL;
    p.ordered = false;
    p.upper = (struct arus_extract_bound){"2024-02-01", NULL, false};
    CHECK_STR(sql_of(&p), SELECT " WHERE (`updated_at` IS NULL OR `updated_at` < ?)");
    p.upper.key = fx_highkey;
    CHECK_STR(sql_of(&p), SELECT " WHERE (`updated_at` IS NULL OR (`updated_at` <= ? AND "
                                 "(`updated_at` < ? OR (`updated_at` = ? AND (`id` < ? OR "
                                 "(`id` = ? AND `re\"gi``on` < ?))))))");
    p.upper = (struct arus_extract_bound){0};
    p.nulls = ARUS_NULLS_EXCLUDED;
    CHECK_STR(sql_of(&p), SELECT " WHERE `updated_at` IS NOT NULL");
    /* a NOT NULL watermark has no NULL arm: a plain range on its index */
    p.table = &fx_orders_wm_not_null;
    CHECK_STR(sql_of(&p), SELECT);
    p.nulls = ARUS_NULLS_FIRST;
    p.lower = (struct arus_extract_bound){"2024-02-01", NULL, true};
    CHECK_STR(sql_of(&p), SELECT " WHERE `updated_at` >= ?");
}

int main(void)
{
    RUN(test_first_and_later_run);
    RUN(test_soft_deletes);
    RUN(test_full_refresh_unordered);
    RUN(test_by_key_byte_order);
    RUN(test_keyset_bounds);
    RUN(test_key_range);
    RUN(test_nulls);
    arus__my_extract_sql_cleanup(&q);
    return check_exit();
}

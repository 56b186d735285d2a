/* The extract plan the engine builds for every stream (core/extract_plan.c): first and later
 * incremental runs, with and without deleted_at, the soft-delete stream (deleted_at of the
 * watermark's type or not), full refresh, tables without or with a composite primary key,
 * missing columns, lookback. */
#include <string.h>

#include "arus/arena.h"
#include "check.h"
#include "core/extract_plan.h"

/* orders(id int64 pk, region string, updated_at timestamp, deleted_at timestamp,
 *        removed_at timestamptz, day date) */
static struct arus_column cols[] = {
    {.name = "id", .type = {.ltype = ARUS_T_INT64}, .pk_ordinal = 1},
    {.name = "region", .type = {.ltype = ARUS_T_STRING}},
    {.name = "updated_at", .type = {.ltype = ARUS_T_TIMESTAMP}, .nullable = true},
    {.name = "deleted_at", .type = {.ltype = ARUS_T_TIMESTAMP}, .nullable = true},
    {.name = "removed_at", .type = {.ltype = ARUS_T_TIMESTAMPTZ}, .nullable = true},
    {.name = "day", .type = {.ltype = ARUS_T_DATE}},
};
static struct arus_table_schema table = {.name = "orders", .columns = cols, .ncolumns = 6};

static const struct arus_sync_mode with_deletes = {ARUS_SYNC_INCREMENTAL, "updated_at",
                                                   "deleted_at"};
static const struct arus_sync_mode no_deletes = {ARUS_SYNC_INCREMENTAL, "updated_at", NULL};

static struct arus_arena *arena;
static struct arus_error err;
static const char *horizon; /* the commit horizon build() passes */

static int build(struct arus_extract_plan *p, const struct arus_sync_mode *m,
                 enum arus__extract_kind kind, const char *wm, double lookback)
{
    arus_error_clear(&err);
    memset(p, 0xa5, sizeof *p); /* nothing may be left unset */
    return arus__extract_plan_build(p, &table, m, kind, wm, horizon, lookback, 500, arena, &err);
}

/* Set the primary key: ordinals per column (0 = not in it). */
static void set_pk(int id, int region, int updated_at)
{
    cols[0].pk_ordinal = id;
    cols[1].pk_ordinal = region;
    cols[2].pk_ordinal = updated_at;
}

static void no_upper(const struct arus_extract_plan *p)
{
    CHECK(p->upper.watermark == NULL);
    CHECK(p->upper.key == NULL);
}

static void test_first_incremental_run(void)
{
    struct arus_extract_plan p;
    REQUIRE(build(&p, &with_deletes, ARUS__EXTRACT_INCREMENTAL, NULL, 0) == ARUS_OK);
    CHECK(p.table == &table);
    CHECK_INT(p.batch_size, 500);
    CHECK_INT(p.watermark, 2);
    CHECK_INT(p.nkey, 1);
    CHECK_INT(p.key[0], 0);
    CHECK(p.lower.watermark == NULL);
    CHECK(p.lower.key == NULL);
    no_upper(&p);
    CHECK_INT(p.nulls, ARUS_NULLS_FIRST);
    CHECK_INT(p.rows, ARUS_ROWS_LIVE);
    CHECK_INT(p.deleted_at, 3);
    CHECK(!p.deleted_at_bounded);
    CHECK(p.ordered);
}

static void test_later_incremental_run(void)
{
    struct arus_extract_plan p;
    REQUIRE(build(&p, &with_deletes, ARUS__EXTRACT_INCREMENTAL, "2024-01-02 03:04:05", 0) ==
            ARUS_OK);
    CHECK_STR(p.lower.watermark, "2024-01-02 03:04:05");
    CHECK(p.lower.key == NULL);
    CHECK(p.lower.inclusive);
    no_upper(&p);
    CHECK_INT(p.nulls, ARUS_NULLS_FIRST); /* NULL watermarks on every run (merge by key) */
    CHECK_INT(p.rows, ARUS_ROWS_LIVE);
    CHECK(p.ordered);
    /* a keyed table reads past the horizon (the engine caps what it stores) */
    horizon = "2024-01-02 03:00:00";
    REQUIRE(build(&p, &with_deletes, ARUS__EXTRACT_INCREMENTAL, "2024-01-02 03:04:05", 0) ==
            ARUS_OK);
    horizon = NULL;
    no_upper(&p);
}

static void test_without_deleted_at(void)
{
    struct arus_extract_plan p;
    REQUIRE(build(&p, &no_deletes, ARUS__EXTRACT_INCREMENTAL, "2024-01-02 03:04:05", 0) == ARUS_OK);
    CHECK_INT(p.rows, ARUS_ROWS_ALL);
    CHECK_INT(p.deleted_at, -1);
    CHECK(!p.deleted_at_bounded);
    /* a soft-delete stream needs the column */
    CHECK_INT(build(&p, &no_deletes, ARUS__EXTRACT_SOFT_DELETES, "x", 0), ARUS_EINVAL);
    CHECK_STR(err.msg, "table \"orders\" has no deleted_at column");
}

static void test_soft_deletes_same_type(void)
{
    struct arus_extract_plan p;
    REQUIRE(build(&p, &with_deletes, ARUS__EXTRACT_SOFT_DELETES, "2024-01-02 03:04:05", 0) ==
            ARUS_OK);
    CHECK_INT(p.rows, ARUS_ROWS_DELETED);
    CHECK_INT(p.deleted_at, 3);
    CHECK_STR(p.lower.watermark, "2024-01-02 03:04:05");
    CHECK(p.lower.inclusive);
    CHECK(p.deleted_at_bounded); /* timestamp like updated_at */
    CHECK_INT(p.nulls, ARUS_NULLS_EXCLUDED);
    CHECK_INT(p.watermark, 2);
    CHECK_INT(p.nkey, 1);
    CHECK(p.ordered);
    no_upper(&p);
}

static void test_soft_deletes_other_type(void)
{
    struct arus_sync_mode m = {ARUS_SYNC_INCREMENTAL, "updated_at", "removed_at"};
    struct arus_extract_plan p;
    REQUIRE(build(&p, &m, ARUS__EXTRACT_SOFT_DELETES, "2024-01-02 03:04:05", 0) == ARUS_OK);
    CHECK_INT(p.deleted_at, 4);
    CHECK(!p.deleted_at_bounded); /* timestamptz vs timestamp: not comparable as text */
    /* deleted_at as the watermark column: the bound already is on it */
    struct arus_sync_mode self = {ARUS_SYNC_INCREMENTAL, "deleted_at", "deleted_at"};
    REQUIRE(build(&p, &self, ARUS__EXTRACT_SOFT_DELETES, "2024-01-02 03:04:05", 0) == ARUS_OK);
    CHECK_INT(p.watermark, 3);
    CHECK_INT(p.deleted_at, 3);
    CHECK(!p.deleted_at_bounded);
}

static void test_soft_deletes_without_lower_bound(void)
{
    /* deletes watermark not stored yet (the run that set the first watermark died before its
     * end): every deleted row, NULL watermarks too */
    struct arus_extract_plan p;
    REQUIRE(build(&p, &with_deletes, ARUS__EXTRACT_SOFT_DELETES, NULL, 0) == ARUS_OK);
    CHECK(p.lower.watermark == NULL);
    CHECK_INT(p.nulls, ARUS_NULLS_FIRST);
    CHECK(!p.deleted_at_bounded);
}

static void test_full_refresh(void)
{
    struct arus_extract_plan p;
    REQUIRE(build(&p, &with_deletes, ARUS__EXTRACT_FULL_REFRESH, "2024-01-02 03:04:05", 0) ==
            ARUS_OK);
    CHECK_INT(p.watermark, -1);
    CHECK(!p.ordered);
    CHECK_INT(p.nkey, 0);
    CHECK(p.lower.watermark == NULL);
    no_upper(&p);
    CHECK_INT(p.rows, ARUS_ROWS_LIVE);
    CHECK_INT(p.deleted_at, 3);
    CHECK(!p.deleted_at_bounded);
    struct arus_sync_mode none = {ARUS_SYNC_FULL_REFRESH, NULL, NULL};
    REQUIRE(build(&p, &none, ARUS__EXTRACT_FULL_REFRESH, NULL, 0) == ARUS_OK);
    CHECK_INT(p.rows, ARUS_ROWS_ALL);
    CHECK_INT(p.deleted_at, -1);
}

/* one range of a split load: the by-key plan (live rows by the whole key, no watermark) with
 * the key range; other plans have none */
static void test_key_range(void)
{
    static const char *const lo[] = {"100"}, *const hi[] = {"200"};
    struct arus_extract_plan p;
    memset(&p, 0xa5, sizeof p);
    arus_error_clear(&err);
    REQUIRE(arus__extract_plan_range(&p, &table, &with_deletes, lo, false, hi, 500, arena, &err) ==
            ARUS_OK);
    CHECK_INT(p.watermark, -1);
    CHECK(p.ordered);
    CHECK_INT(p.nkey, 1);
    CHECK_INT(p.key[0], 0);
    CHECK_INT(p.rows, ARUS_ROWS_LIVE);
    CHECK(p.lower.watermark == NULL);
    no_upper(&p);
    CHECK(p.key_range.lower == lo);
    CHECK(!p.key_range.lower_inclusive);
    CHECK(p.key_range.upper == hi);
    REQUIRE(build(&p, &with_deletes, ARUS__EXTRACT_FULL_REFRESH, NULL, 0) == ARUS_OK);
    CHECK(p.key_range.lower == NULL && p.key_range.upper == NULL);
    set_pk(0, 0, 0);
    CHECK_INT(arus__extract_plan_range(&p, &table, &with_deletes, lo, true, hi, 500, arena, &err),
              ARUS_EINVAL);
    set_pk(1, 0, 0);
}

static void test_no_primary_key(void)
{
    set_pk(0, 0, 0);
    struct arus_extract_plan p;
    int rc = build(&p, &with_deletes, ARUS__EXTRACT_INCREMENTAL, NULL, 0);
    set_pk(1, 0, 0);
    REQUIRE(rc == ARUS_OK);
    CHECK_INT(p.nkey, 0); /* ordered by the watermark alone, no rowid */
    CHECK(p.ordered);
}

/* Without a key a re-read would append rows twice: [stored, horizon) exactly, no lookback, NULL
 * watermarks on the first run only; without a horizon (stored, open end). */
static void test_keyless(void)
{
    struct arus_extract_plan p;
    set_pk(0, 0, 0);
    horizon = "2024-01-02 04:00:00";
    int first = build(&p, &no_deletes, ARUS__EXTRACT_INCREMENTAL, NULL, 0);
    struct arus_extract_plan p1 = p;
    int later = build(&p, &no_deletes, ARUS__EXTRACT_INCREMENTAL, "2024-01-02 03:04:05", 600);
    struct arus_extract_plan p2 = p;
    horizon = NULL;
    int bare = build(&p, &no_deletes, ARUS__EXTRACT_INCREMENTAL, "2024-01-02 03:04:05", 600);
    set_pk(1, 0, 0);
    REQUIRE(first == ARUS_OK && later == ARUS_OK && bare == ARUS_OK);
    CHECK(p1.lower.watermark == NULL);
    CHECK_STR(p1.upper.watermark, "2024-01-02 04:00:00");
    CHECK(!p1.upper.inclusive);
    CHECK_INT(p1.nulls, ARUS_NULLS_FIRST);
    CHECK_STR(p2.lower.watermark, "2024-01-02 03:04:05");
    CHECK(p2.lower.inclusive);
    CHECK_STR(p2.upper.watermark, "2024-01-02 04:00:00");
    CHECK(!p2.upper.inclusive);
    CHECK_INT(p2.nulls, ARUS_NULLS_EXCLUDED);
    CHECK_STR(p.lower.watermark, "2024-01-02 03:04:05");
    CHECK(!p.lower.inclusive);
    no_upper(&p);
    CHECK_INT(p.nulls, ARUS_NULLS_EXCLUDED);
}

static void test_composite_primary_key(void)
{
    /* key (region, updated_at, id): the watermark column leaves the key */
    set_pk(3, 1, 2);
    struct arus_extract_plan p;
    int rc = build(&p, &with_deletes, ARUS__EXTRACT_INCREMENTAL, NULL, 0);
    set_pk(1, 0, 0);
    REQUIRE(rc == ARUS_OK);
    REQUIRE(p.nkey == 2);
    CHECK_INT(p.key[0], 1);
    CHECK_INT(p.key[1], 0);
}

static void test_missing_columns(void)
{
    struct arus_extract_plan p;
    struct arus_sync_mode m = {ARUS_SYNC_INCREMENTAL, "changed", NULL};
    CHECK_INT(build(&p, &m, ARUS__EXTRACT_INCREMENTAL, NULL, 0), ARUS_ENOTFOUND);
    CHECK_STR(err.msg, "column \"changed\" not found in table \"orders\"");
    struct arus_sync_mode d = {ARUS_SYNC_INCREMENTAL, "updated_at", "gone_at"};
    CHECK_INT(build(&p, &d, ARUS__EXTRACT_INCREMENTAL, NULL, 0), ARUS_ENOTFOUND);
    CHECK_STR(err.msg, "column \"gone_at\" not found in table \"orders\"");
    CHECK_INT(build(&p, &d, ARUS__EXTRACT_FULL_REFRESH, NULL, 0), ARUS_ENOTFOUND);
    struct arus_sync_mode none = {ARUS_SYNC_INCREMENTAL, NULL, NULL};
    CHECK_INT(build(&p, &none, ARUS__EXTRACT_INCREMENTAL, NULL, 0), ARUS_EINVAL);
    CHECK_STR(err.msg, "table \"orders\" has no watermark column");
}

static void test_lookback(void)
{
    struct arus_extract_plan p;
    REQUIRE(build(&p, &with_deletes, ARUS__EXTRACT_INCREMENTAL, "2024-01-02 00:00:30", 90) ==
            ARUS_OK);
    CHECK_STR(p.lower.watermark, "2024-01-01 23:59:00");
    REQUIRE(build(&p, &with_deletes, ARUS__EXTRACT_SOFT_DELETES, "2024-01-02 00:00:30", 90) ==
            ARUS_OK);
    CHECK_STR(p.lower.watermark, "2024-01-01 23:59:00");
    /* dates step back whole days; integers never */
    struct arus_sync_mode by_day = {ARUS_SYNC_INCREMENTAL, "day", NULL};
    REQUIRE(build(&p, &by_day, ARUS__EXTRACT_INCREMENTAL, "2024-03-01", 3600) == ARUS_OK);
    CHECK_STR(p.lower.watermark, "2024-02-29");
    struct arus_sync_mode by_id = {ARUS_SYNC_INCREMENTAL, "id", NULL};
    REQUIRE(build(&p, &by_id, ARUS__EXTRACT_INCREMENTAL, "41", 3600) == ARUS_OK);
    CHECK_STR(p.lower.watermark, "41");
    CHECK_INT(p.nkey, 0); /* id is the watermark and the whole key */
}

int main(void)
{
    arena = arus_arena_create(0);
    RUN(test_first_incremental_run);
    RUN(test_later_incremental_run);
    RUN(test_without_deleted_at);
    RUN(test_soft_deletes_same_type);
    RUN(test_soft_deletes_other_type);
    RUN(test_soft_deletes_without_lower_bound);
    RUN(test_full_refresh);
    RUN(test_key_range);
    RUN(test_no_primary_key);
    RUN(test_keyless);
    RUN(test_composite_primary_key);
    RUN(test_missing_columns);
    RUN(test_lookback);
    arus_arena_destroy(arena);
    return check_exit();
}

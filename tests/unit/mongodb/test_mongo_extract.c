/* MongoDB translation of extract plans as golden filter and sort JSON (libbson alone, no
 * server): live, deleted and all documents; keyset bounds as $or behind a leading $gte/$lte;
 * upper bounds exclusive and inclusive; NULL watermarks first or excluded; ordered or not;
 * the soft-delete rule; bound values in their column's BSON type (dates exact at the
 * millisecond, int64, ObjectId); quotes in field names; values of the wrong type. */
#include <bson/bson.h>
#include <stdlib.h>

#include "check.h"
#include "connectors/mongodb/extract.h"
#include "unit/support/extract_fixture.h"

static struct arus_column cols[] = {
    {.name = "_id",
     .source_type = "objectId",
     .type = {.ltype = ARUS_T_STRING, .length = 48},
     .pk_ordinal = 1},
    {.name = "we\"ird", .source_type = "string", .type = {.ltype = ARUS_T_STRING}},
    {.name = "updated_at", .source_type = "date", .type = {.ltype = ARUS_T_TIMESTAMPTZ}},
    {.name = "deleted_at", .source_type = "date", .type = {.ltype = ARUS_T_TIMESTAMPTZ}},
    {.name = "seq", .source_type = "int32|int64", .type = {.ltype = ARUS_T_INT64}},
    {.name = "flag", .source_type = "bool", .type = {.ltype = ARUS_T_BOOL}},
};
static const struct arus_table_schema table = {.name = "orders", .columns = cols, .ncolumns = 6};

static const size_t key1[] = {0};
static const char *const lowkey[] = {"65a0f00000000000000000aa"};

static char filter_json[2048], sort_json[512];
static struct arus_error err;

/* Translate p; the filter and sort as relaxed extended JSON in filter_json / sort_json. */
static int translate(const struct arus_extract_plan *p)
{
    bson_t filter = BSON_INITIALIZER, sort = BSON_INITIALIZER;
    arus_error_clear(&err);
    int rc = arus__mongo_extract_filter(p, &filter, &sort, &err);
    char *f = bson_as_relaxed_extended_json(&filter, NULL);
    char *s = bson_as_relaxed_extended_json(&sort, NULL);
    snprintf(filter_json, sizeof filter_json, "%s", f);
    snprintf(sort_json, sizeof sort_json, "%s", s);
    bson_free(f);
    bson_free(s);
    bson_destroy(&filter);
    bson_destroy(&sort);
    return rc;
}

#define D(iso) "{ \"$date\" : \"" iso "\" }"

static void test_first_and_later_run(void)
{
    struct arus_extract_plan p = fx_first_run(&table, key1, 1);
    REQUIRE(translate(&p) == ARUS_OK);
    CHECK_STR(filter_json, "{ \"deleted_at\" : null }");
    CHECK_STR(sort_json, "{ \"updated_at\" : 1, \"_id\" : 1 }");
    p.lower = (struct arus_extract_bound){"2024-01-02 03:04:05.5", NULL, true};
    p.nulls = ARUS_NULLS_EXCLUDED;
    REQUIRE(translate(&p) == ARUS_OK);
    CHECK_STR(filter_json, "{ \"$and\" : [ { \"deleted_at\" : null }, { \"updated_at\" : { "
                           "\"$gte\" : " D("2024-01-02T03:04:05.500Z") " } } ] }");
}

static void test_soft_deletes(void)
{
    struct arus_extract_plan p = fx_first_run(&table, key1, 1);
    p.rows = ARUS_ROWS_DELETED;
    p.lower = (struct arus_extract_bound){"2024-01-02 03:04:05", NULL, true};
    p.nulls = ARUS_NULLS_EXCLUDED;
    p.deleted_at_bounded = true;
    REQUIRE(translate(&p) == ARUS_OK);
    CHECK_STR(filter_json, "{ \"$and\" : [ { \"deleted_at\" : { \"$ne\" : null } }, { \"$or\" : "
                           "[ { \"updated_at\" : { \"$gte\" : " D(
                               "2024-01-02T03:04:05Z") " } }, "
                                                       "{ \"deleted_at\" : { \"$gte\" : " D(
                                                           "2024-01-02T03:04:05Z") " } } ] "
                                                                                   "} ] }");
}

static void test_full_refresh_unordered(void)
{
    struct arus_extract_plan p = {
        .table = &table, .watermark = -1, .deleted_at = 3, .rows = ARUS_ROWS_LIVE};
    REQUIRE(translate(&p) == ARUS_OK);
    CHECK_STR(filter_json, "{ \"deleted_at\" : null }");
    CHECK_STR(sort_json, "{ }");
    p.rows = ARUS_ROWS_ALL;
    REQUIRE(translate(&p) == ARUS_OK);
    CHECK_STR(filter_json, "{ }");
}

static void test_keyset_bounds(void)
{
    struct arus_extract_plan p = fx_first_run(&table, key1, 1);
    p.rows = ARUS_ROWS_ALL;
    p.nulls = ARUS_NULLS_EXCLUDED;
    p.lower = (struct arus_extract_bound){"2024-01-02 03:04:05", lowkey, true};
    REQUIRE(translate(&p) == ARUS_OK);
    CHECK_STR(filter_json,
              "{ \"updated_at\" : { \"$gte\" : " D(
                  "2024-01-02T03:04:05Z") " }, \"$or\" : [ { "
                                          "\"updated_at\" : { \"$gt\" : " D("2024-01-02T03:04:05Z") " } }, { \"updated_at\" : " D(
                                              "2024-01-02T03:04:05Z") ", \"_id\" : { \"$gte\" : { "
                                                                      "\"$oid\" : "
                                                                      "\"65a0f00000000000000000aa\""
                                                                      " } } } ] }");
    /* between two milliseconds no document ties: the key drops out, rounding keeps the rows */
    p.lower.watermark = "2024-01-02 03:04:05.0005";
    p.upper = (struct arus_extract_bound){"2024-01-03 00:00:00.0005", lowkey, false};
    REQUIRE(translate(&p) == ARUS_OK);
    CHECK_STR(filter_json, "{ \"$and\" : [ { \"updated_at\" : { \"$gte\" : " D(
                               "2024-01-02T03:04:05.001Z") " } }, { \"updated_at\" : { \"$lte\" "
                                                           ": " D("2024-01-03T00:00:00Z") " } } ] "
                                                                                          "}");
}

static void test_upper_bounds_and_nulls(void)
{
    struct arus_extract_plan p = fx_first_run(&table, key1, 1);
    p.rows = ARUS_ROWS_ALL;
    p.watermark = 4; /* seq, int64 */
    p.upper = (struct arus_extract_bound){"9007199254740993", NULL, false};
    REQUIRE(translate(&p) == ARUS_OK);
    CHECK_STR(filter_json, "{ \"$or\" : [ { \"seq\" : null }, { \"seq\" : { \"$lt\" : "
                           "9007199254740993 } } ] }");
    CHECK_STR(sort_json, "{ \"seq\" : 1, \"_id\" : 1 }");
    p.upper.inclusive = true;
    p.nulls = ARUS_NULLS_EXCLUDED;
    REQUIRE(translate(&p) == ARUS_OK);
    CHECK_STR(filter_json, "{ \"seq\" : { \"$lte\" : 9007199254740993 } }");
    p.upper = (struct arus_extract_bound){0};
    p.ordered = false;
    REQUIRE(translate(&p) == ARUS_OK);
    CHECK_STR(filter_json, "{ \"seq\" : { \"$ne\" : null } }");
    CHECK_STR(sort_json, "{ }");
}

/* a split load's key range on _id: $gte / $gt the lower end, $lt the upper one, by key */
static void test_key_range(void)
{
    static const char *const highkey[] = {"65a0f00000000000000000ff"};
    static const size_t key_seq[] = {4};
    static const char *const seq_lo[] = {"100"}, *const seq_hi[] = {"200"};
    struct arus_extract_plan p = {.table = &table, .watermark = -1, .deleted_at = 3,
                                  .rows = ARUS_ROWS_LIVE, .key = key1, .nkey = 1, .ordered = true,
                                  .key_range = {lowkey, true, highkey}};
    REQUIRE(translate(&p) == ARUS_OK);
    CHECK_STR(filter_json, "{ \"$and\" : [ { \"deleted_at\" : null }, { \"_id\" : { \"$gte\" : "
                           "{ \"$oid\" : \"65a0f00000000000000000aa\" } } }, { \"_id\" : { "
                           "\"$lt\" : { \"$oid\" : \"65a0f00000000000000000ff\" } } } ] }");
    CHECK_STR(sort_json, "{ \"_id\" : 1 }");
    p.rows = ARUS_ROWS_ALL;
    p.key = key_seq;
    p.key_range = (struct arus_extract_key_range){seq_lo, false, seq_hi};
    REQUIRE(translate(&p) == ARUS_OK);
    CHECK_STR(filter_json, "{ \"$and\" : [ { \"seq\" : { \"$gt\" : 100 } }, { \"seq\" : { "
                           "\"$lt\" : 200 } } ] }");
    p.key_range.upper = NULL;
    REQUIRE(translate(&p) == ARUS_OK);
    CHECK_STR(filter_json, "{ \"seq\" : { \"$gt\" : 100 } }");
}

static void test_hostile_names(void)
{
    struct arus_extract_plan p = fx_first_run(&table, key1, 1);
    p.watermark = 1; /* "we\"ird", a string watermark */
    p.lower = (struct arus_extract_bound){"a\"b", NULL, true};
    p.nulls = ARUS_NULLS_EXCLUDED;
    p.rows = ARUS_ROWS_ALL;
    REQUIRE(translate(&p) == ARUS_OK);
    CHECK_STR(filter_json, "{ \"we\\\"ird\" : { \"$gte\" : \"a\\\"b\" } }");
    CHECK_STR(sort_json, "{ \"we\\\"ird\" : 1, \"_id\" : 1 }");
}

static void test_bad_values(void)
{
    struct arus_extract_plan p = fx_first_run(&table, key1, 1);
    p.watermark = 4;
    p.lower = (struct arus_extract_bound){"12x", NULL, true};
    CHECK_INT(translate(&p), ARUS_EDATA);
    CHECK_STR(err.msg, "watermark \"12x\" for column \"seq\" of \"orders\" is not a valid int64");
    p.watermark = 5;
    p.lower.watermark = "true";
    CHECK_INT(translate(&p), ARUS_EINVAL);
    CHECK_STR(err.msg, "watermark column \"flag\" of \"orders\": type bool cannot be a watermark");
}

int main(void)
{
    RUN(test_first_and_later_run);
    RUN(test_soft_deletes);
    RUN(test_full_refresh_unordered);
    RUN(test_keyset_bounds);
    RUN(test_upper_bounds_and_nulls);
    RUN(test_key_range);
    RUN(test_hostile_names);
    RUN(test_bad_values);
    return check_exit();
}

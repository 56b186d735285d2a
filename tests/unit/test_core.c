/* Core helpers: identifier and JSON quoting, timestamps, raw-zone JSON, DSN redaction, arena,
 * sync-mode detection, watermark comparison (exact for decimals and floats), state-table rows. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arus/arus.h"
#include "check.h"
#include "core/sync_internal.h"

static void test_quote_ident(void)
{
    struct arus_strbuf sb;
    arus_strbuf_init(&sb);
    arus_sql_quote_ident(&sb, "we\"ird; name", '"', false);
    CHECK_STR(arus_strbuf_cstr(&sb), "\"we\"\"ird; name\"");
    arus_strbuf_reset(&sb);
    arus_sql_quote_ident(&sb, "a`b\\c", '`', true);
    CHECK_STR(arus_strbuf_cstr(&sb), "`a``b\\\\c`");
    arus_strbuf_cleanup(&sb);
}

static void test_json_quote(void)
{
    struct arus_strbuf sb;
    arus_strbuf_init(&sb);
    arus_json_quote(&sb, "a\"b\\\n\t\x01\xff\xe2\x82\xac", 11);
    CHECK_STR(arus_strbuf_cstr(&sb), "\"a\\\"b\\\\\\n\\t\\u0001\xEF\xBF\xBD\xe2\x82\xac\"");
    arus_strbuf_reset(&sb);
    arus_json_quote(&sb, "x\0y", 3);
    CHECK_STR(arus_strbuf_cstr(&sb), "\"x\\u0000y\"");
    arus_strbuf_cleanup(&sb);
}

static void test_timestamps(void)
{
    int64_t us;
    char buf[40];
    REQUIRE(arus_parse_timestamp("1969-12-31 23:59:59.5", 21, &us));
    CHECK_INT(us, -500000);
    arus_format_timestamp(us, buf, sizeof buf);
    CHECK_STR(buf, "1969-12-31 23:59:59.5");
    REQUIRE(arus_parse_timestamp("2024-02-29T12:00:00+02:00", 25, &us));
    arus_format_timestamp(us, buf, sizeof buf);
    CHECK_STR(buf, "2024-02-29 10:00:00");
    REQUIRE(arus_parse_timestamp("0001-01-01 00:00:00", 19, &us));
    arus_format_timestamp(us, buf, sizeof buf);
    CHECK_STR(buf, "0001-01-01 00:00:00");
    REQUIRE(arus_parse_timestamp("9999-12-31 23:59:59.999999Z", 27, &us));
    arus_format_timestamp(us, buf, sizeof buf);
    CHECK_STR(buf, "9999-12-31 23:59:59.999999");
    arus_format_timestamp(10, buf, sizeof buf);
    CHECK_STR(buf, "1970-01-01 00:00:00.00001");
    /* the hand-written fast path prints what the snprintf format prints */
    for (int64_t v = -86400000000LL * 719162; v < 86400000000LL * 2932896; v += 987654321987LL) {
        char want[40];
        arus_format_timestamp(v, buf, sizeof buf);
        REQUIRE(arus_parse_timestamp(buf, strlen(buf), &us));
        CHECK(us == v);
        arus_format_timestamp(v, want, 27); /* the exact size: still the fast path */
        CHECK_STR(want, buf);
    }
    char a[24], b[24];
    const long long ints[] = {0, 7, -7, 1000, LLONG_MAX, LLONG_MIN};
    for (size_t i = 0; i < sizeof ints / sizeof *ints; i++) {
        snprintf(b, sizeof b, "%lld", ints[i]);
        CHECK_INT(arus_format_integer(a, ints[i], false), (int)strlen(b));
        CHECK_STR(a, b);
        snprintf(b, sizeof b, "%llu", (unsigned long long)ints[i]);
        arus_format_integer(a, ints[i], true);
        CHECK_STR(a, b);
    }
    CHECK(!arus_parse_timestamp("2024-13-01", 10, &us));
    CHECK(!arus_parse_timestamp("yesterday", 9, &us));
}

static void test_row_json(void)
{
    struct arus_column cols[] = {
        {.name = "i", .type = {ARUS_T_INT64}},      {.name = "d", .type = {ARUS_T_DECIMAL}},
        {.name = "f", .type = {ARUS_T_FLOAT64}},    {.name = "b", .type = {ARUS_T_BOOL}},
        {.name = "ts", .type = {ARUS_T_TIMESTAMPTZ}}, {.name = "j", .type = {ARUS_T_JSON}},
        {.name = "y", .type = {ARUS_T_BYTES}},      {.name = "n", .type = {ARUS_T_STRING}},
    };
    struct arus_table_schema t = {.name = "t", .columns = cols, .ncolumns = 8};
    struct arus_batch *b = arus_batch_create(&t, 2);
    struct arus_cell *row = arus_batch_add_row(b);
    const char *vals[] = {"9223372036854775807", "12345678901234567890123456789.123456789",
                          "NaN", "true", "1960-01-01 00:00:00.000001", "{\"a\":[1,2]}", "\x00\xff"};
    size_t lens[] = {19, 39, 3, 4, 26, 11, 2};
    for (int i = 0; i < 7; i++)
        arus_cell_set(b, &row[i], vals[i], lens[i]);
    struct arus_strbuf sb;
    arus_strbuf_init(&sb);
    arus_row_to_json(b, 0, &sb);
    CHECK_STR(arus_strbuf_cstr(&sb),
              "{\"i\":9223372036854775807,\"d\":12345678901234567890123456789.123456789,"
              "\"f\":\"NaN\",\"b\":true,\"ts\":\"1960-01-01T00:00:00.000001Z\","
              "\"j\":{\"a\":[1,2]},\"y\":\"AP8=\",\"n\":null}");
    arus_strbuf_cleanup(&sb);
    arus_batch_destroy(b);
}

static void test_redact(void)
{
    char *r = arus_redact("postgresql://arus:s3cret@host:5432/db");
    CHECK_STR(r, "postgresql://arus:***@host:5432/db");
    free(r);
    r = arus_redact("mongodb://u:p@ss://x@h:27017/db?authSource=admin");
    CHECK_STR(r, "mongodb://u:***@h:27017/db?authSource=admin");
    free(r);
    /* found by fuzz_values: a second "://" inside the password */
    r = arus_redact("stgresql\x02stgresql://u:SECRETP://u:SECRETPW@h/db");
    CHECK(strstr(r, "SECRETP") == NULL);
    free(r);
    r = arus_redact("host=h password=s3cret user=u");
    CHECK_STR(r, "host=h password=*** user=u");
    free(r);
}

static void test_arena(void)
{
    struct arus_arena *a = arus_arena_create(1024);
    for (int i = 0; i < 1000; i++)
        CHECK(arus_arena_alloc(a, 100) != NULL);
    void *big = arus_arena_alloc(a, 100000);
    memset(big, 1, 100000);
    arus_arena_reset(a);
    CHECK_INT(arus_arena_used(a), 0);
    CHECK_STR(arus_arena_strdup(a, "abc"), "abc");
    arus_arena_destroy(a);
}

static void test_detect_sync_mode(void)
{
    struct arus_column cols[] = {
        {.name = "id", .type = {ARUS_T_INT64}, .pk_ordinal = 1},
        {.name = "created_at", .type = {ARUS_T_TIMESTAMP}},
        {.name = "Modified_At", .type = {ARUS_T_TIMESTAMP}},
        {.name = "updated", .type = {ARUS_T_BOOL}},
        {.name = "deleted_at", .type = {ARUS_T_TIMESTAMP}},
    };
    struct arus_table_schema t = {.name = "t", .columns = cols, .ncolumns = 5};
    struct arus_sync_mode m;
    arus_detect_sync_mode(&t, &m);
    CHECK_INT(m.mode, ARUS_SYNC_INCREMENTAL);
    CHECK_STR(m.watermark_column, "Modified_At"); /* before created_at; boolean "updated" skipped */
    CHECK_STR(m.deleted_at_column, "deleted_at");
    t.ncolumns = 1;
    arus_detect_sync_mode(&t, &m);
    CHECK_INT(m.mode, ARUS_SYNC_FULL_REFRESH);
    CHECK(m.watermark_column == NULL);
}

static void test_cell_compare(void)
{
    CHECK(arus__cell_compare(ARUS_T_INT64, "9", 1, "10", 2) < 0);
    CHECK(arus__cell_compare(ARUS_T_INT64, "-10", 3, "-9", 2) < 0);
    CHECK(arus__cell_compare(ARUS_T_UINT64, "18446744073709551615", 20, "18446744073709551614",
                             20) > 0);
    CHECK(arus__cell_compare(ARUS_T_TIMESTAMP, "2024-01-01 00:00:00", 19,
                             "2024-01-01 00:00:00.5", 21) < 0);
}

/* Order of two numeric texts of type t, through arus__cell_compare. */
static int num_cmp(enum arus_ltype t, const char *a, const char *b)
{
    return arus__cell_compare(t, a, strlen(a), b, strlen(b));
}

static void test_decimal_compare(void)
{
    CHECK_INT(num_cmp(ARUS_T_DECIMAL, "1.10", "1.1"), 0);
    CHECK_INT(num_cmp(ARUS_T_DECIMAL, "0", "-0.000"), 0);
    CHECK_INT(num_cmp(ARUS_T_DECIMAL, "007.50", "7.5"), 0);
    /* beyond double precision: strtod made these equal */
    CHECK(num_cmp(ARUS_T_DECIMAL, "12345678901234567890.000000000000000001",
                  "12345678901234567890.000000000000000002") < 0);
    CHECK(num_cmp(ARUS_T_DECIMAL, "12345678901234567890.000000000000000002",
                  "12345678901234567890.000000000000000001") > 0);
    CHECK(num_cmp(ARUS_T_DECIMAL, "99999999999999999999999999999999999999",
                  "99999999999999999999999999999999999998") > 0);
    CHECK(num_cmp(ARUS_T_DECIMAL, "100", "99.999") > 0);
    CHECK(num_cmp(ARUS_T_DECIMAL, "0.001", "0.01") < 0);
    CHECK(num_cmp(ARUS_T_DECIMAL, "-1.5", "-1.25") < 0);
    CHECK(num_cmp(ARUS_T_DECIMAL, "-0.5", "0") < 0);
    CHECK(num_cmp(ARUS_T_DECIMAL, "0.0000000001", "0") > 0);
    CHECK(num_cmp(ARUS_T_DECIMAL, "NaN", "99999999999999999999") > 0);
    CHECK_INT(num_cmp(ARUS_T_DECIMAL, "NaN", "NaN"), 0);
    /* floats: exponents, infinities */
    CHECK(num_cmp(ARUS_T_FLOAT64, "1e+20", "99999999999999999999") > 0);
    CHECK_INT(num_cmp(ARUS_T_FLOAT64, "1.5e-07", "0.00000015"), 0);
    CHECK(num_cmp(ARUS_T_FLOAT64, "-2.5e-300", "-2.4e-300") < 0);
    CHECK(num_cmp(ARUS_T_FLOAT64, "Infinity", "1.7976931348623157e+308") > 0);
    CHECK(num_cmp(ARUS_T_FLOAT64, "-Infinity", "-1.7976931348623157e+308") < 0);
    CHECK(num_cmp(ARUS_T_FLOAT32, "NaN", "Infinity") > 0);
    CHECK(num_cmp(ARUS_T_FLOAT32, "0.30000001", "0.3") > 0);
}

static void test_state_rows(void)
{
    /* the layout: keys first, columns as the destinations' tables have them */
    CHECK_INT(arus_state_watermarks.ncolumns, 7);
    CHECK_INT(arus_state_watermarks.nfirst, 6); /* held_from came later */
    CHECK_STR(arus_state_watermarks.columns[0].name, "pipeline");
    CHECK_STR(arus_state_watermarks.columns[1].name, "table_name");
    CHECK_STR(arus_state_watermarks.columns[6].name, "held_from");
    CHECK_INT(arus_state_runs.nfirst, 12);
    struct arus_strbuf sel;
    arus_strbuf_init(&sel);
    arus_state_select_list(&sel, &arus_state_watermarks, '"', true, NULL);
    CHECK_STR(arus_strbuf_cstr(&sel), "\"pipeline\", \"table_name\", \"watermark\", "
                                      "\"deletes_watermark\", \"run_id\", \"updated_at\", NULL");
    arus_strbuf_cleanup(&sel);
    CHECK_INT(arus_state_runs.ncolumns, 12);
    CHECK_STR(arus_state_runs.columns[0].name, "run_id");
    CHECK_STR(arus_state_runs.columns[1].name, "table_name");
    CHECK_STR(arus_state_runs.columns[11].name, "error");
    struct arus_target t = {.pipeline = "p", .table = "t", .run_id = "r1"};
    struct arus_table_state st = {.watermark = "5"};
    struct arus_state_row row;
    arus_state_row_from_watermark(&row, &t, &st);
    CHECK_STR(row.value[0], "p");
    CHECK_STR(row.value[2], "5");
    CHECK(row.value[3] == NULL);
    CHECK_STR(row.value[4], "r1");                     /* the run id of the target */
    CHECK(row.value[5] && strlen(row.value[5]) == 26); /* updated_at: now */
    CHECK(row.value[6] == NULL);                       /* not held */
    struct arus_run_record r = {.run_id = "r1",
                                .pipeline = "p",
                                .table = "t",
                                .mode = "incremental",
                                .status = ARUS_RUN_RUNNING,
                                .started_at = "2024-01-01 00:00:00",
                                .rows_loaded = 12345678901234LL};
    arus_state_row_from_run(&row, &r);
    CHECK_STR(row.value[2], "p");
    CHECK_STR(row.value[8], "12345678901234");
    CHECK(row.value[6] == NULL && row.value[11] == NULL);
    struct arus_arena *a = arus_arena_create(0);
    struct arus_run_record back;
    memset(&back, 0, sizeof back);
    arus_state_run_from_values(row.value, a, &back);
    CHECK_STR(back.status, "running");
    CHECK_STR(back.pipeline, "p");
    CHECK(back.rows_loaded == 12345678901234LL && back.finished_at == NULL);
    arus_run_mark_aborted(&back, NULL);
    CHECK_STR(back.status, "aborted");
    CHECK_STR(back.error, "process ended before the run finished");
    const char *v[7] = {"p", "t", NULL, NULL, "", "2024-01-01 00:00:00", NULL};
    const char *table = NULL;
    arus_state_watermark_from_values(v, a, &table, &st);
    CHECK_STR(table, "t");
    CHECK(st.run_id == NULL && st.watermark == NULL); /* "" run id: none (ClickHouse) */
    arus_arena_destroy(a);
}

int main(void)
{
    RUN(test_quote_ident);
    RUN(test_json_quote);
    RUN(test_timestamps);
    RUN(test_row_json);
    RUN(test_redact);
    RUN(test_arena);
    RUN(test_detect_sync_mode);
    RUN(test_cell_compare);
    RUN(test_decimal_compare);
    RUN(test_state_rows);
    return check_exit();
}

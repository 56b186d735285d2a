/* arus verify and delete_missing against the in-memory fakes: the comparison form of cells,
 * the merge of the key-ordered source stream with destination pages (page and batch
 * boundaries, drift at both ends, key lists capped), --repair through the load path with the
 * watermark untouched, and delete_missing after a sync. Runs against both fake destinations. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arus/extract_sql.h"
#include "arus/strbuf.h"
#include "check.h"
#include "core/verify_internal.h"
#include "support/fake.h"

static const char *names[] = {"id", "name", "updated_at", "deleted_at"};
static const enum arus_ltype types[] = {ARUS_T_INT64, ARUS_T_STRING, ARUS_T_TIMESTAMP,
                                        ARUS_T_TIMESTAMP};
static const char *tables[] = {"t"};

static void put(int id, const char *name, const char *deleted_at)
{
    char key[32];
    snprintf(key, sizeof key, "%d", id);
    const char *row[] = {key, name, "2024-01-01 00:00:00", deleted_at};
    fake_put(row);
}

static void dest_put(int id, const char *name)
{
    char key[32];
    snprintf(key, sizeof key, "%d", id);
    const char *row[] = {key, name, "2024-01-01 00:00:00", NULL};
    fake_dest_put(row);
}

static void dest_remove(int id)
{
    char key[32];
    snprintf(key, sizeof key, "%d", id);
    fake_dest_remove(key);
}

/* 1..n in the source, synced with batch size 3. */
static void setup_synced(int n)
{
    fake_reset();
    fake_define(4, names, types);
    for (int i = 1; i <= n; i++)
        put(i, "x", NULL);
    struct arus_pipeline p;
    fake_pipeline(&p, tables, 3);
    struct arus_sync_report rep;
    struct arus_error err;
    arus_error_clear(&err);
    CHECK_INT(fake_sync(&p, false, &rep, &err), ARUS_OK);
    arus_sync_report_cleanup(&rep);
}

static int verify(int64_t batch, bool repair, size_t max_keys, struct arus_verify_report *rep)
{
    struct arus_pipeline p;
    fake_pipeline(&p, tables, batch);
    struct arus_verify_options opt = {.repair = repair, .max_keys = max_keys};
    struct arus_error err;
    arus_error_clear(&err);
    int rc = fake_verify(&p, &opt, rep, &err);
    if (rc)
        fprintf(stderr, "  (verify: %s)\n", err.msg);
    return rc;
}

/* "k1,k2" of one kind in the first table's report. */
static const char *keys(const struct arus_verify_report *r, enum arus_verify_kind k)
{
    static char buf[256];
    buf[0] = '\0';
    for (size_t i = 0; i < r->tables[0].nkeys[k]; i++)
        snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s", i ? "," : "",
                 r->tables[0].keys[k][i]);
    return buf;
}

static void check_canon(enum arus_ltype t, const char *in, const char *want)
{
    struct arus_strbuf sb;
    arus_strbuf_init(&sb);
    arus__verify_canon(t, in, strlen(in), &sb);
    CHECK_STR(arus_strbuf_cstr(&sb), want);
    arus_strbuf_cleanup(&sb);
}

static void test_canon(void)
{
    check_canon(ARUS_T_BOOL, "t", "true");
    check_canon(ARUS_T_BOOL, "1", "true");
    check_canon(ARUS_T_BOOL, "false", "false");
    check_canon(ARUS_T_BOOL, "0", "false");
    check_canon(ARUS_T_DECIMAL, "1.500", "1.5");
    check_canon(ARUS_T_DECIMAL, "-12.000", "-12");
    check_canon(ARUS_T_DECIMAL, "-0.00", "0");
    check_canon(ARUS_T_DECIMAL, "100", "100");
    check_canon(ARUS_T_DECIMAL, "NaN", "NaN");
    check_canon(ARUS_T_FLOAT64, "0.1", "0.10000000000000001");
    check_canon(ARUS_T_FLOAT64, "1e308", "1e+308");
    check_canon(ARUS_T_FLOAT64, "inf", "Infinity");
    check_canon(ARUS_T_FLOAT64, "-Infinity", "-Infinity");
    check_canon(ARUS_T_FLOAT64, "nan", "NaN");
    check_canon(ARUS_T_FLOAT32, "1.1", "1.10000002");
    check_canon(ARUS_T_TIMESTAMP, "2024-01-02 03:04:05.500000", "2024-01-02 03:04:05.5");
    check_canon(ARUS_T_TIMESTAMPTZ, "2024-01-02T03:04:05.000000Z", "2024-01-02 03:04:05");
    check_canon(ARUS_T_TIMESTAMPTZ, "2024-01-02 03:04:05+00", "2024-01-02 03:04:05");
    check_canon(ARUS_T_TIME, "-838:59:59.000001", "-838:59:59.000001");
    check_canon(ARUS_T_UUID, "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11",
                "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
    check_canon(ARUS_T_JSON, "{\"b\": [1, 2.50], \"a\": {\"y\": null, \"x\": \"\\u00e9\"}}",
                "{\"a\":{\"x\":\"\xc3\xa9\",\"y\":null},\"b\":[1,2.5]}");
    check_canon(ARUS_T_JSON, "{\"n\": 1e300}", "{\"n\":1.0000000000000001e+300}");
    check_canon(ARUS_T_JSON, "[1.0, 9007199254740993, -0.5e1]", "[1,9007199254740993,-5]");
    /* integers beyond 64 bits compare as doubles (jsonb writes 1e300 out in full) */
    check_canon(ARUS_T_JSON, "[100000000000000000000, \"1e300 \\\" 1\", -1e2]",
                "[1e+20,\"1e300 \\\" 1\",-100]");
    check_canon(ARUS_T_JSON, "[-9223372036854775808, 18446744073709551614, 18446744073709551616]",
                "[-9223372036854775808, 18446744073709551614, 18446744073709551616]");
    char digits[320] = "{\"n\": 1";
    memset(digits + 7, '0', 300);
    digits[307] = '}';
    digits[308] = '\0';
    check_canon(ARUS_T_JSON, digits, "{\"n\":1.0000000000000001e+300}");
    check_canon(ARUS_T_JSON, "[-9223372036854775807, 18446744073709551614]",
                "[-9223372036854775807,18446744073709551614]");
    check_canon(ARUS_T_JSON, "not json", "not json");
    check_canon(ARUS_T_STRING, "  as is 1.0 ", "  as is 1.0 ");
    check_canon(ARUS_T_INT64, "+5", "5");
}

static void page_param(void *ctx, struct arus_strbuf *sql, size_t i, const struct arus_column *c)
{
    (void)ctx;
    arus_strbuf_appendf(sql, "$%zu::%s", i + 1, c->name);
}

/* The read-back page every SQL destination builds (arus_sql_read_page), golden text. */
static void test_read_page_sql(void)
{
    struct arus_column cols[] = {
        {.name = "v", .type = {.ltype = ARUS_T_STRING}},
        {.name = "k2", .type = {.ltype = ARUS_T_INT32}, .pk_ordinal = 2},
        {.name = "k\"1", .type = {.ltype = ARUS_T_STRING}, .pk_ordinal = 1},
    };
    struct arus_table_schema s = {.name = "t", .columns = cols, .ncolumns = 3};
    struct arus_sql_page_dialect d = {.quote = '"', .param = page_param};
    struct arus_strbuf sql;
    arus_strbuf_init(&sql);
    arus_sql_read_page(&s, "\"a\".\"t\"", false, false, 100, &d, NULL, &sql);
    CHECK_STR(arus_strbuf_cstr(&sql), "SELECT \"v\", \"k2\", \"k\"\"1\" FROM \"a\".\"t\" "
                                      "ORDER BY \"k\"\"1\", \"k2\" LIMIT 100");
    arus_strbuf_reset(&sql);
    d.tuple_fn = true;
    arus_sql_read_page(&s, "t FINAL WHERE x = 0", true, true, 5, &d, NULL, &sql);
    CHECK_STR(arus_strbuf_cstr(&sql), "SELECT \"v\", \"k2\", \"k\"\"1\" FROM t FINAL WHERE x = 0 "
                                      "AND tuple(\"k\"\"1\", \"k2\") > tuple($1::k\"1, $2::k2) "
                                      "ORDER BY \"k\"\"1\", \"k2\" LIMIT 5");
    arus_strbuf_cleanup(&sql);
}

static void test_equal_tables(void)
{
    setup_synced(20);
    struct arus_verify_report rep;
    /* batch 4: source batches and destination pages end at different rows */
    REQUIRE(verify(4, false, 0, &rep) == ARUS_OK);
    REQUIRE(rep.ntables == 1);
    CHECK_INT(rep.drifted, 0);
    CHECK_INT(rep.tables[0].source_rows, 20);
    CHECK_INT(rep.tables[0].destination_rows, 20);
    CHECK_INT(rep.tables[0].rows_matched, 20);
    CHECK(rep.tables[0].source_checksum == rep.tables[0].destination_checksum);
    CHECK_INT(rep.tables[0].ranges, 5);
    CHECK_INT(rep.tables[0].ranges_differing, 0);
    arus_verify_report_cleanup(&rep);
}

static void test_drift_named_by_key(void)
{
    setup_synced(20);
    put(7, "soft", "2024-01-02 00:00:00"); /* soft-deleted in the source, still downstream */
    dest_put(3, "changed");
    dest_remove(1);  /* missing at the start */
    dest_remove(20); /* missing at the end */
    dest_put(25, "extra");
    dest_put(0, "extra");
    struct arus_verify_report rep;
    REQUIRE(verify(3, false, 0, &rep) == ARUS_OK);
    CHECK_INT(rep.drifted, 1);
    const struct arus_verify_table *t = &rep.tables[0];
    CHECK_INT(t->count[ARUS_VERIFY_MISSING], 2);
    CHECK_INT(t->count[ARUS_VERIFY_EXTRA], 3);
    CHECK_INT(t->count[ARUS_VERIFY_CHANGED], 1);
    CHECK_STR(keys(&rep, ARUS_VERIFY_MISSING), "1,20");
    CHECK_STR(keys(&rep, ARUS_VERIFY_EXTRA), "0,7,25");
    CHECK_STR(keys(&rep, ARUS_VERIFY_CHANGED), "3");
    CHECK_INT(t->source_rows, 19);
    CHECK_INT(t->destination_rows, 20);
    CHECK(t->source_checksum != t->destination_checksum);
    /* ranges of 3 source rows: [1..3] holds 0, 1 and 3; [8..10] holds 7; [20] is missing; the
     * tail after 20 holds 25 */
    CHECK_INT(t->ranges, 8);
    CHECK_INT(t->ranges_differing, 4);
    REQUIRE(t->nrange == 4);
    CHECK_STR(t->range[0].first, "1");
    CHECK_STR(t->range[0].last, "3");
    CHECK_INT(t->range[0].source_rows, 3);
    CHECK_INT(t->range[0].destination_rows, 3);
    CHECK_STR(t->range[1].first, "8");
    CHECK_INT(t->range[1].destination_rows, 4);
    CHECK_STR(t->range[2].first, "20");
    CHECK_INT(t->range[2].destination_rows, 0);
    CHECK_STR(t->range[3].first, "20");
    CHECK(t->range[3].last == NULL);
    CHECK_INT(t->range[3].source_rows, 0);
    CHECK_INT(t->range[3].destination_rows, 1);
    arus_verify_report_cleanup(&rep);

    /* at most max_keys keys per kind, all counted */
    REQUIRE(verify(3, false, 2, &rep) == ARUS_OK);
    CHECK_STR(keys(&rep, ARUS_VERIFY_EXTRA), "0,7");
    CHECK_INT(rep.tables[0].count[ARUS_VERIFY_EXTRA], 3);
    arus_verify_report_cleanup(&rep);
}

/* A chained pipeline's source has the metadata columns of its own load: not compared. */
static void test_metadata_columns_not_compared(void)
{
    static const char *meta_names[] = {"id", "name", "updated_at", "deleted_at", "_arus_run_id"};
    static const enum arus_ltype meta_types[] = {ARUS_T_INT64, ARUS_T_STRING, ARUS_T_TIMESTAMP,
                                                 ARUS_T_TIMESTAMP, ARUS_T_STRING};
    fake_reset();
    fake_define(5, meta_names, meta_types);
    const char *row[] = {"1", "x", "2024-01-01 00:00:00", NULL, "run-a"};
    fake_put(row);
    struct arus_pipeline p;
    fake_pipeline(&p, tables, 3);
    struct arus_sync_report srep;
    struct arus_error err;
    arus_error_clear(&err);
    REQUIRE(fake_sync(&p, false, &srep, &err) == ARUS_OK);
    arus_sync_report_cleanup(&srep);
    const char *later[] = {"1", "x", "2024-01-01 00:00:00", NULL, "run-b"};
    fake_dest_put(later);
    struct arus_verify_report rep;
    REQUIRE(verify(3, false, 0, &rep) == ARUS_OK);
    CHECK_INT(rep.drifted, 0);
    CHECK_INT(rep.tables[0].rows_matched, 1);
    arus_verify_report_cleanup(&rep);
}

static void test_empty_destination(void)
{
    setup_synced(5);
    for (int i = 1; i <= 5; i++)
        dest_remove(i);
    struct arus_verify_report rep;
    REQUIRE(verify(2, false, 0, &rep) == ARUS_OK);
    CHECK_INT(rep.tables[0].count[ARUS_VERIFY_MISSING], 5);
    CHECK_INT(rep.tables[0].destination_rows, 0);
    arus_verify_report_cleanup(&rep);
}

static void test_repair_leaves_watermark(void)
{
    setup_synced(30);
    char *wm = fake_dest_state.watermark ? arus_xstrdup(fake_dest_state.watermark) : NULL;
    dest_put(3, "changed");
    dest_remove(10);
    dest_put(99, "extra");
    dest_put(40, "extra");
    fake_calls_clear();
    struct arus_verify_report rep;
    REQUIRE(verify(4, true, 0, &rep) == ARUS_OK);
    CHECK_INT(rep.drifted, 1);
    CHECK_INT(rep.tables[0].rows_repaired, 2);
    CHECK_INT(rep.tables[0].rows_deleted, 2);
    CHECK(strstr(fake_calls(), "update_watermark") == NULL);
    CHECK(strstr(fake_calls(), "lock") != NULL);
    arus_verify_report_cleanup(&rep);
    CHECK_STR(fake_dest_state.watermark, wm);
    REQUIRE(verify(4, false, 0, &rep) == ARUS_OK);
    CHECK_INT(rep.drifted, 0);
    CHECK_INT(rep.tables[0].rows_matched, 30);
    arus_verify_report_cleanup(&rep);
    free(wm);
}

static void test_delete_missing(void)
{
    setup_synced(12);
    /* rows deleted outright in the source: 1, 6, 12 (fake_define empties the source) */
    fake_define(4, names, types);
    for (int i = 1; i <= 12; i++)
        if (i != 1 && i != 6 && i != 12)
            put(i, "x", NULL);
    struct arus_pipeline p;
    fake_pipeline(&p, tables, 4);
    p.delete_missing = true;
    struct arus_sync_report rep;
    struct arus_error err;
    arus_error_clear(&err);
    REQUIRE(fake_sync(&p, false, &rep, &err) == ARUS_OK);
    CHECK_INT(rep.tables[0].rows_deleted, 3);
    CHECK_INT(fake_dest_table.nrows, 9);
    CHECK(fake_dest_row("6") == NULL);
    arus_sync_report_cleanup(&rep);
    /* nothing left to delete */
    REQUIRE(fake_sync(&p, false, &rep, &err) == ARUS_OK);
    CHECK_INT(rep.tables[0].rows_deleted, 0);
    arus_sync_report_cleanup(&rep);
}

int main(void)
{
    fake_register();
    RUN(test_canon);
    RUN(test_read_page_sql);
    for (size_t i = 0; fake_each_destination(&i);) {
        RUN(test_equal_tables);
        RUN(test_drift_named_by_key);
        RUN(test_empty_destination);
        RUN(test_metadata_columns_not_compared);
        RUN(test_repair_leaves_watermark);
        RUN(test_delete_missing);
    }
    fake_reset();
    return check_exit();
}

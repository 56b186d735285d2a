/* The change-capture apply loop (src/core/cdc.c) against the fake source's scripted events and
 * the fake destinations: initial copy then streaming; the position stored in the same
 * transaction as the changes and acknowledged after it; transactions at or below the stored
 * position skipped on restart; many small transactions in one destination transaction; a
 * transaction larger than batch_size written in pieces before one commit; last image per key;
 * key changes; unchanged TOASTed values kept; TRUNCATE; a failed commit applies nothing and
 * the rerun applies everything once; --follow stops at a transaction boundary; a table with
 * column rules gets only its kept columns, hashed and renamed, from the copy and the changes. */
#include <stdlib.h>
#include <string.h>

#include "arus/arus.h"
#include "check.h"
#include "core/sync_internal.h"
#include "unit/support/fake.h"

static const char *tables[] = {"t"};
static struct arus_pipeline pipe;

static void setup(int64_t batch_size)
{
    fake_reset();
    static const char *const names[] = {"id", "v", "big"};
    static const enum arus_ltype types[] = {ARUS_T_INT64, ARUS_T_STRING, ARUS_T_STRING};
    fake_define(3, names, types);
    fake_put((const char *[]){"1", "a", "LONG"});
    fake_put((const char *[]){"2", "b", NULL});
    fake_put((const char *[]){"3", "c", NULL});
    fake_pipeline(&pipe, tables, batch_size);
    pipe.load_mode = ARUS_LOAD_NORMALIZED;
    pipe.sync_mode = "cdc";
    pipe.cdc_max_latency = 1000; /* commit by batch_size or at the end, not by time */
}

static void begin(const char *pos)
{
    fake_cdc_push((struct fake_cdc_event){.kind = ARUS_CDC_BEGIN, .position = pos});
}

static void commit(const char *pos)
{
    fake_cdc_push((struct fake_cdc_event){.kind = ARUS_CDC_COMMIT, .position = pos});
}

static void row(char op, const char *id, const char *v, const char *big)
{
    fake_cdc_push((struct fake_cdc_event){.kind = ARUS_CDC_ROW, .op = op, .values = {id, v, big}});
}

static int sync_once(struct arus_sync_report *rep, struct arus_error *err)
{
    arus_error_clear(err);
    memset(rep, 0, sizeof *rep);
    return fake_cdc_sync(&pipe, false, NULL, rep, err);
}

static const char *dest(const char *id, int col)
{
    char **r = fake_dest_row(id);
    return r ? r[col] : "(absent)";
}

static void test_copy_then_changes_exactly_once(void)
{
    setup(100);
    struct arus_sync_report rep;
    struct arus_error err;
    REQUIRE(sync_once(&rep, &err) == ARUS_OK);
    CHECK_INT(fake_cdc_starts_with_snapshot, 1);
    CHECK_INT((int)fake_dest_table.nrows, 3);
    CHECK_STR(fake_dest_state.cdc_position, "0");
    arus_sync_report_cleanup(&rep);

    begin("10");
    row('u', "1", "a1", NULL);
    row('d', "2", NULL, NULL);
    commit("10");
    begin("20");
    row('i', "4", "d", NULL);
    row('u', "4", "d2", NULL);
    row('u', "3", "c", "x");
    row('u', "3", "c2", "x");
    commit("20");
    fake_calls_clear();
    REQUIRE(sync_once(&rep, &err) == ARUS_OK);
    /* Two source transactions, one destination transaction, the position inside it. */
    CHECK_STR(fake_calls(), "connect\nensure_state\nlock\nlist_runs\nbegin\nrecord_run(running)\n"
                            "commit\nget_watermark\nget_watermark\nensure_schema\nbegin\n"
                            "delete_rows\nload_normalized\nupdate_watermark(position)\ncommit\n"
                            "begin\nrecord_run(ok)\ncommit\nunlock\nclose\n");
    CHECK_STR(fake_dest_state.cdc_position, "20");
    CHECK_STR(fake_cdc_acked, "20");
    CHECK_STR(dest("1", 1), "a1");
    CHECK(fake_dest_row("2") == NULL);
    CHECK_STR(dest("4", 1), "d2");
    CHECK_STR(dest("3", 1), "c2");
    CHECK_INT((int)rep.tables[0].rows_extracted, 6);
    CHECK_INT((int)rep.tables[0].rows_deleted, 1);
    arus_sync_report_cleanup(&rep);

    /* The server sends everything again (never acknowledged, say): all of it is skipped. */
    fake_calls_clear();
    REQUIRE(sync_once(&rep, &err) == ARUS_OK);
    CHECK_INT((int)rep.tables[0].rows_extracted, 0);
    CHECK(strstr(fake_calls(), "load_normalized") == NULL);
    CHECK_STR(fake_dest_state.cdc_position, "20");
    CHECK_INT((int)fake_dest_duplicates(), 0);
    arus_sync_report_cleanup(&rep);
}

static void test_unchanged_key_change_truncate(void)
{
    setup(100);
    struct arus_sync_report rep;
    struct arus_error err;
    REQUIRE(sync_once(&rep, &err) == ARUS_OK);
    arus_sync_report_cleanup(&rep);
    begin("5");
    /* big not in the log: the destination keeps "LONG" */
    fake_cdc_push((struct fake_cdc_event){
        .kind = ARUS_CDC_ROW, .op = 'u', .values = {"1", "a2", NULL}, .unchanged = 4});
    /* key 2 becomes 20 */
    fake_cdc_push((struct fake_cdc_event){
        .kind = ARUS_CDC_ROW, .op = 'u', .values = {"20", "b", NULL}, .old = {"2"}});
    /* REPLICA IDENTITY FULL: the old row carries the unchanged value, which is written */
    fake_cdc_push((struct fake_cdc_event){.kind = ARUS_CDC_ROW,
                                          .op = 'u',
                                          .values = {"3", "c3", NULL},
                                          .unchanged = 4,
                                          .old = {"3", "c", "OLD BIG"}});
    commit("5");
    REQUIRE(sync_once(&rep, &err) == ARUS_OK);
    CHECK_STR(dest("3", 1), "c3");
    CHECK_STR(dest("3", 2), "OLD BIG");
    CHECK_STR(dest("1", 1), "a2");
    CHECK_STR(dest("1", 2), "LONG");
    CHECK(fake_dest_row("2") == NULL);
    CHECK_STR(dest("20", 1), "b");
    arus_sync_report_cleanup(&rep);

    begin("6");
    row('i', "7", "x", NULL);
    fake_cdc_push((struct fake_cdc_event){.kind = ARUS_CDC_TRUNCATE});
    row('i', "8", "y", NULL);
    commit("6");
    REQUIRE(sync_once(&rep, &err) == ARUS_OK);
    CHECK_INT((int)fake_dest_table.nrows, 1);
    CHECK_STR(dest("8", 1), "y");
    arus_sync_report_cleanup(&rep);
}

static void test_large_transaction_in_pieces(void)
{
    setup(2);
    struct arus_sync_report rep;
    struct arus_error err;
    REQUIRE(sync_once(&rep, &err) == ARUS_OK);
    arus_sync_report_cleanup(&rep);
    begin("9");
    for (int i = 100; i < 105; i++) {
        char id[12];
        snprintf(id, sizeof id, "%d", i);
        row('i', arus_xstrdup(id), "big txn", NULL);
    }
    commit("9");
    fake_calls_clear();
    REQUIRE(sync_once(&rep, &err) == ARUS_OK);
    /* Five rows, batch_size 2: written in pieces into one transaction, one commit. */
    const char *calls = fake_calls();
    const char *b = strstr(calls, "begin\n");
    REQUIRE(b != NULL);
    b = strstr(b + 1, "begin\n"); /* the first one records the run */
    REQUIRE(b != NULL);
    CHECK_STR(b, "begin\nload_normalized\nload_normalized\nload_normalized\n"
                 "update_watermark(position)\ncommit\nbegin\nrecord_run(ok)\ncommit\nunlock\n"
                 "close\n");
    CHECK_INT((int)fake_dest_table.nrows, 8);
    arus_sync_report_cleanup(&rep);
    for (size_t i = 0; i < fake_cdc_nevents; i++)
        if (fake_cdc_events[i].kind == ARUS_CDC_ROW)
            free((char *)fake_cdc_events[i].values[0]);
}

static void test_failed_commit_applies_nothing(void)
{
    static const char *const dests[] = {"fake", "fake_buffered"};
    for (size_t k = 0; k < 2; k++) {
        fake_use_destination(dests[k]);
        setup(100);
        struct arus_sync_report rep;
        struct arus_error err;
        REQUIRE(sync_once(&rep, &err) == ARUS_OK);
        arus_sync_report_cleanup(&rep);
        begin("10");
        row('u', "1", "changed", NULL);
        row('d', "3", NULL, NULL);
        commit("10");
        fake_fail_commit_at = fake_commits + 2; /* after the run's "running" row */
        fake_cdc_acked[0] = '\0';
        CHECK(sync_once(&rep, &err) != ARUS_OK);
        CHECK_STR(fake_dest_state.cdc_position, "0");
        CHECK_STR(fake_cdc_acked, "");
        CHECK_STR(dest("1", 1), "a");
        CHECK(fake_dest_row("3") != NULL);
        arus_sync_report_cleanup(&rep);
        REQUIRE(sync_once(&rep, &err) == ARUS_OK);
        CHECK_STR(dest("1", 1), "changed");
        CHECK(fake_dest_row("3") == NULL);
        CHECK_STR(fake_dest_state.cdc_position, "10");
        CHECK_STR(fake_cdc_acked, "10");
        arus_sync_report_cleanup(&rep);
    }
    fake_use_destination("fake");
}

static void test_follow_stops_between_transactions(void)
{
    setup(100);
    struct arus_sync_report rep;
    struct arus_error err;
    REQUIRE(sync_once(&rep, &err) == ARUS_OK);
    arus_sync_report_cleanup(&rep);
    begin("3");
    row('i', "9", "followed", NULL);
    commit("3");
    volatile sig_atomic_t stop = 0;
    memset(&rep, 0, sizeof rep);
    REQUIRE(fake_cdc_sync(&pipe, true, &stop, &rep, &err) == ARUS_OK);
    CHECK_STR(dest("9", 1), "followed");
    CHECK_STR(fake_dest_state.cdc_position, "3");
    CHECK_STR(fake_cdc_acked, "3");
    arus_sync_report_cleanup(&rep);
}

/* --follow without any cdc table is refused. */
static void test_follow_needs_cdc_tables(void)
{
    setup(100);
    pipe.sync_mode = NULL;
    struct arus_sync_report rep;
    struct arus_error err;
    volatile sig_atomic_t stop = 0;
    memset(&rep, 0, sizeof rep);
    arus_error_clear(&err);
    CHECK_INT(fake_cdc_sync(&pipe, true, &stop, &rep, &err), ARUS_EINVAL);
    CHECK_STR(err.msg, "pipeline \"p\": --follow needs tables with sync_mode: cdc");
    arus_sync_report_cleanup(&rep);
}

/* HMAC-SHA256("k", s) in hex, as the destination should hold it. */
static const char *hmac(const char *s)
{
    static char out[2][ARUS__HMAC_HEX + 1];
    static int n;
    char *o = out[n++ % 2];
    arus__hmac_hex("k", s, strlen(s), o);
    return o;
}

static void test_column_rules_applied(void)
{
    setup(100);
    static const char *hashed[] = {"v"}, *left_out[] = {"big"}, *from[] = {"v"}, *to[] = {"hv"};
    struct arus_table_override o = {.name = "t",
                                    .hash_columns = hashed,
                                    .nhash_columns = 1,
                                    .exclude_columns = left_out,
                                    .nexclude_columns = 1,
                                    .rename_from = from,
                                    .rename_to = to,
                                    .nrename = 1};
    pipe.overrides = &o;
    pipe.noverrides = 1;
    pipe.hash_key = "k";
    struct arus_sync_report rep;
    struct arus_error err;
    REQUIRE(sync_once(&rep, &err) == ARUS_OK);
    arus_sync_report_cleanup(&rep);
    int hv = fake_dest_col("hv");
    REQUIRE(hv > 0);
    CHECK_INT(fake_dest_col("v"), -1);
    CHECK_INT(fake_dest_col("big"), -1);
    CHECK_STR(dest("1", hv), hmac("a"));
    begin("7");
    row('u', "1", "a1", "IGNORED");
    row('i', "5", "e", "IGNORED");
    row('d', "2", NULL, NULL);
    /* key 3 becomes 30 */
    fake_cdc_push((struct fake_cdc_event){
        .kind = ARUS_CDC_ROW, .op = 'u', .values = {"30", "c", "x"}, .old = {"3"}});
    commit("7");
    REQUIRE(sync_once(&rep, &err) == ARUS_OK);
    CHECK_STR(dest("1", hv), hmac("a1"));
    CHECK_STR(dest("5", hv), hmac("e"));
    CHECK(fake_dest_row("2") == NULL);
    CHECK(fake_dest_row("3") == NULL);
    CHECK_STR(dest("30", hv), hmac("c"));
    CHECK_INT(fake_dest_col("big"), -1);
    arus_sync_report_cleanup(&rep);
    pipe.overrides = NULL;
    pipe.noverrides = 0;
    pipe.hash_key = NULL;
}

/* A hashed key: the old and the new key are hashed alike, so deletes and key changes find the
 * destination's row. */
static void test_hashed_key(void)
{
    setup(100);
    static const char *hashed[] = {"id"};
    struct arus_table_override o = {.name = "t", .hash_columns = hashed, .nhash_columns = 1};
    pipe.overrides = &o;
    pipe.noverrides = 1;
    pipe.hash_key = "k";
    struct arus_sync_report rep;
    struct arus_error err;
    REQUIRE(sync_once(&rep, &err) == ARUS_OK);
    arus_sync_report_cleanup(&rep);
    CHECK_STR(dest(hmac("1"), 1), "a");
    begin("8");
    row('u', "1", "a1", NULL);
    row('d', "2", NULL, NULL);
    fake_cdc_push((struct fake_cdc_event){
        .kind = ARUS_CDC_ROW, .op = 'u', .values = {"30", "c", NULL}, .old = {"3"}});
    commit("8");
    REQUIRE(sync_once(&rep, &err) == ARUS_OK);
    CHECK_INT((int)fake_dest_table.nrows, 2);
    CHECK_STR(dest(hmac("1"), 1), "a1");
    CHECK(fake_dest_row(hmac("2")) == NULL);
    CHECK(fake_dest_row(hmac("3")) == NULL);
    CHECK_STR(dest(hmac("30"), 1), "c");
    arus_sync_report_cleanup(&rep);
    pipe.overrides = NULL;
    pipe.noverrides = 0;
    pipe.hash_key = NULL;
}

int main(void)
{
    fake_register();
    RUN(test_copy_then_changes_exactly_once);
    RUN(test_unchanged_key_change_truncate);
    RUN(test_large_transaction_in_pieces);
    RUN(test_failed_commit_applies_nothing);
    RUN(test_follow_stops_between_transactions);
    RUN(test_follow_needs_cdc_tables);
    RUN(test_column_rules_applied);
    RUN(test_hashed_key);
    fake_reset();
    return check_exit();
}

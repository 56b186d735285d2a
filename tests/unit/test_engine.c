/* Sync engine against the in-memory fake connectors: ties at batch boundaries, faults after
 * every batch then a rerun, failed full refresh, soft deletes, schema drift, idempotent reruns,
 * and the destination protocol's call order (golden call sequences). Every case runs against
 * both fake destinations: "fake" (transactional) and "fake_buffered" (like ClickHouse). */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "support/fake.h"

static const char *tables[] = {"t"};

static void put(int id, const char *name, const char *updated_at, const char *deleted_at)
{
    fake_put_event(id, name, updated_at, deleted_at);
}

static void setup(void) { fake_reset_events(); }

/* Every source row is in the destination with the same values, and nothing else is. */
static bool dest_equals_source(void)
{
    size_t live = 0;
    for (size_t r = 0; r < fake_source_table.nrows; r++) {
        char **src = fake_source_table.cells[r];
        if (src[3])
            continue; /* soft-deleted */
        live++;
        char **dst = fake_dest_row(src[0]);
        if (!dst)
            return false;
        for (size_t c = 0; c < fake_source_table.ncols; c++) {
            int k = fake_dest_col(fake_source_table.col_names[c]);
            if (k < 0 || !src[c] != !dst[k] || (src[c] && strcmp(src[c], dst[k]) != 0))
                return false;
        }
    }
    return live == fake_dest_table.nrows && fake_dest_duplicates() == 0;
}

static int64_t max_dead_letters;

static int sync_once(int64_t batch, bool full, struct arus_sync_report *rep)
{
    struct arus_pipeline p;
    fake_pipeline(&p, tables, batch);
    p.max_dead_letters = max_dead_letters;
    return fake_sync_noted(&p, full, rep);
}

static void test_ties_one_watermark_batch_7(void)
{
    setup();
    for (int i = 1; i <= 1000; i++)
        put(i, "x", "2024-01-01 00:00:00", NULL);
    struct arus_sync_report rep;
    REQUIRE(sync_once(7, false, &rep) == ARUS_OK);
    CHECK_INT(rep.tables[0].rows_loaded, 1000);
    CHECK_INT(fake_dest_table.nrows, 1000);
    CHECK(dest_equals_source());
    arus_sync_report_cleanup(&rep);
    /* A rerun with no change moves nothing. */
    REQUIRE(sync_once(7, false, &rep) == ARUS_OK);
    CHECK_INT(rep.tables[0].rows_loaded, 0);
    arus_sync_report_cleanup(&rep);
}

/* parallelism: N with a single table runs it on the calling thread's own pair, with the same
 * result and report as a sequential run (several tables need connectors with one instance per
 * connection, which the fakes are not: tests/integration/it_parallel_*.sh cover those). */
static void test_parallelism_one_table(void)
{
    setup();
    for (int i = 1; i <= 50; i++)
        put(i, "x", i % 2 ? "2024-01-01 00:00:00" : "2024-01-02 00:00:00", NULL);
    struct arus_pipeline p;
    fake_pipeline(&p, tables, 7);
    p.parallelism = 4;
    struct arus_error err;
    arus_error_clear(&err);
    struct arus_sync_report rep;
    REQUIRE(fake_sync(&p, false, &rep, &err) == ARUS_OK);
    CHECK_INT(rep.ntables, 1);
    CHECK_INT(rep.tables[0].rows_loaded, 50);
    CHECK_INT(rep.rows_total, 50);
    CHECK_INT(rep.failed_tables, 0);
    CHECK(dest_equals_source());
    arus_sync_report_cleanup(&rep);
}

/* Watermark never ahead of committed data: every row at or below the stored watermark is in the
 * destination. */
static bool watermark_not_ahead(void)
{
    const char *wm = fake_dest_state.watermark;
    if (!wm)
        return true;
    for (size_t r = 0; r < fake_source_table.nrows; r++) {
        char **src = fake_source_table.cells[r];
        if (!src[3] && strcmp(src[2], wm) < 0 && !fake_dest_row(src[0]))
            return false;
    }
    return true;
}

static void test_fault_after_every_batch_then_rerun(void)
{
    for (int k = 1; k <= 21; k++) {
        setup();
        /* 200 rows, batch 10 = 20 batches; watermarks shared by groups of 15 rows so ties span
         * batch boundaries. */
        for (int i = 1; i <= 200; i++) {
            char ts[32];
            snprintf(ts, sizeof ts, "2024-01-01 00:%02d:00", (i - 1) / 15);
            put(i, "v", ts, NULL);
        }
        struct arus_sync_report rep;
        /* Commit 1 records the run as started, 2..21 are the 20 batches, 22 the state-only
         * commit that ends the table (where fake_buffered sends batches 19 and 20). */
        fake_fail_commit_at = k + 1;
        CHECK(sync_once(10, false, &rep) != ARUS_OK);
        arus_sync_report_cleanup(&rep);
        CHECK(watermark_not_ahead());
        CHECK_INT(fake_dest_duplicates(), 0);
        fake_fail_commit_at = 0;
        REQUIRE(sync_once(10, false, &rep) == ARUS_OK);
        arus_sync_report_cleanup(&rep);
        if (!dest_equals_source())
            fprintf(stderr, "  fault at commit %d: destination differs\n", k);
        CHECK(dest_equals_source());
    }
}

static void test_failed_full_refresh_keeps_old_table(void)
{
    setup();
    for (int i = 1; i <= 50; i++)
        put(i, "old", "2024-01-01 00:00:00", NULL);
    struct arus_sync_report rep;
    REQUIRE(sync_once(10, true, &rep) == ARUS_OK);
    arus_sync_report_cleanup(&rep);
    CHECK_INT(fake_dest_table.nrows, 50);
    for (int i = 1; i <= 50; i++)
        put(i, "new", "2024-01-02 00:00:00", NULL);
    fake_fail_shadow_load_at = 3;
    CHECK(sync_once(10, true, &rep) != ARUS_OK);
    arus_sync_report_cleanup(&rep);
    CHECK_INT(fake_dest_table.nrows, 50);
    char **row = fake_dest_row("7");
    REQUIRE(row != NULL);
    CHECK_STR(row[fake_dest_col("name")], "old");
    fake_fail_shadow_load_at = 0;
    REQUIRE(sync_once(10, true, &rep) == ARUS_OK);
    arus_sync_report_cleanup(&rep);
    CHECK(dest_equals_source());
}

static void test_soft_delete_propagates(void)
{
    setup();
    for (int i = 1; i <= 30; i++)
        put(i, "a", "2024-01-01 00:00:00", NULL);
    struct arus_sync_report rep;
    REQUIRE(sync_once(8, false, &rep) == ARUS_OK);
    arus_sync_report_cleanup(&rep);
    REQUIRE(fake_dest_row("5") != NULL);
    put(5, "a", "2024-01-02 00:00:00", "2024-01-02 00:00:00");
    REQUIRE(sync_once(8, false, &rep) == ARUS_OK);
    CHECK_INT(rep.tables[0].rows_deleted, 1);
    arus_sync_report_cleanup(&rep);
    CHECK(fake_dest_row("5") == NULL);
    CHECK(dest_equals_source());
}

/* The soft-delete rule (arus/source.h): a row whose deleted_at was set without touching its
 * watermark column is still propagated, because deleted_at has the watermark's type. */
static void test_soft_delete_without_watermark_change(void)
{
    setup();
    for (int i = 1; i <= 5; i++)
        put(i, "a", "2024-01-01 00:00:00", NULL);
    put(6, "a", "2024-01-03 00:00:00", NULL);
    struct arus_sync_report rep;
    REQUIRE(sync_once(2, false, &rep) == ARUS_OK);
    arus_sync_report_cleanup(&rep);
    put(2, "a", "2024-01-01 00:00:00", "2024-01-04 00:00:00");
    REQUIRE(sync_once(2, false, &rep) == ARUS_OK);
    CHECK_INT(rep.tables[0].rows_deleted, 1);
    arus_sync_report_cleanup(&rep);
    CHECK(fake_dest_row("2") == NULL);
    CHECK(dest_equals_source());
}

static void test_new_column_appears(void)
{
    setup();
    for (int i = 1; i <= 10; i++)
        put(i, "a", "2024-01-01 00:00:00", NULL);
    struct arus_sync_report rep;
    REQUIRE(sync_once(4, false, &rep) == ARUS_OK);
    arus_sync_report_cleanup(&rep);
    CHECK(fake_dest_col("tier") < 0);
    fake_add_column("tier", ARUS_T_STRING);
    const char *row[] = {"3", "a", "2024-01-03 00:00:00", NULL, "gold"};
    fake_put(row);
    REQUIRE(sync_once(4, false, &rep) == ARUS_OK);
    arus_sync_report_cleanup(&rep);
    int k = fake_dest_col("tier");
    REQUIRE(k >= 0);
    CHECK_STR(fake_dest_row("3")[k], "gold");
    CHECK(dest_equals_source());
}

static void test_updates_merge_by_key(void)
{
    setup();
    for (int i = 1; i <= 20; i++)
        put(i, "a", "2024-01-01 00:00:00", NULL);
    struct arus_sync_report rep;
    REQUIRE(sync_once(6, false, &rep) == ARUS_OK);
    arus_sync_report_cleanup(&rep);
    put(4, "changed", "2024-01-05 00:00:00", NULL);
    put(21, "new", "2024-01-05 00:00:00", NULL);
    REQUIRE(sync_once(6, false, &rep) == ARUS_OK);
    CHECK_INT(rep.tables[0].rows_loaded, 2);
    arus_sync_report_cleanup(&rep);
    CHECK_STR(fake_dest_row("4")[fake_dest_col("name")], "changed");
    CHECK(dest_equals_source());
}

static void test_refused_rows_become_dead_letters(void)
{
    setup();
    char ts[32];
    for (int i = 1; i <= 100; i++) {
        snprintf(ts, sizeof ts, "2024-01-01 %02d:%02d:00", i / 60, i % 60);
        put(i, i % 30 == 0 ? "BAD" : "ok", ts, NULL);
    }
    struct arus_sync_report rep;
    /* Default max_dead_letters 0: the run fails in the batch holding row 30 (rows 17..32);
     * the watermark stays at the end of the batch before it. */
    max_dead_letters = 0;
    CHECK(sync_once(16, false, &rep) == ARUS_EDATA);
    arus_sync_report_cleanup(&rep);
    CHECK_STR(fake_dest_state.watermark, "2024-01-01 00:16:00");
    CHECK_INT(fake_dead_letters, 1);
    /* Allowed: the three refused rows become dead letters, the other 97 load. */
    max_dead_letters = 5;
    fake_dead_letters = 0;
    REQUIRE(sync_once(16, false, &rep) == ARUS_OK);
    CHECK_INT(rep.tables[0].rows_dead_lettered, 3);
    arus_sync_report_cleanup(&rep);
    CHECK_INT(fake_dead_letters, 3);
    CHECK_INT(fake_dest_table.nrows, 97);
    CHECK(fake_dest_row("30") == NULL && fake_dest_row("31") != NULL);
    CHECK_STR(fake_dest_state.watermark, "2024-01-01 01:40:00");
    CHECK_INT(fake_dest_duplicates(), 0);
    max_dead_letters = 0;
}

/* ---- the destination protocol (include/arus/destination.h), call by call */

#define RUN_START                                                                                  \
    "connect\nensure_state\nlock\nlist_runs\n"                                                     \
    "ensure_schema\nget_watermark\nbegin\nrecord_run(running)\ncommit\n"
#define RUN_END(status)     "begin\nrecord_run(" status ")\ncommit\nunlock\nclose\n"
#define LOAD_TX(end)        "begin\nload_raw\nload_normalized\n" end
#define BATCH_TX            LOAD_TX("update_watermark\ncommit\n")
#define STATE_TX            "begin\nupdate_watermark\ncommit\n"
#define DELETE_TX           "begin\ndelete_rows\ncommit\n"
#define DEAD_LETTER_TX      "begin\nwrite_dead_letter\ncommit\n"
#define SHADOW_SCHEMA       "ensure_schema(shadow)\n"
#define SHADOW_LOAD_TX(end) "begin\nload_raw\nload_normalized(shadow)\n" end
#define SWAP_TX             "begin\nswap_shadow\nupdate_watermark\ncommit\n"

static void check_calls(int64_t batch, bool full, int want_rc, const char *golden)
{
    struct arus_sync_report rep;
    fake_calls_clear();
    CHECK_INT(sync_once(batch, full, &rep), want_rc);
    arus_sync_report_cleanup(&rep);
    CHECK_STR(fake_calls(), golden);
}

static void test_protocol_incremental_soft_deletes_full_refresh(void)
{
    setup();
    for (int i = 1; i <= 3; i++)
        put(i, "a", "2024-01-01 00:00:00", NULL);
    /* first run: batches of 2 and 1 rows, no soft-delete phase (no state yet) */
    check_calls(2, false, ARUS_OK, RUN_START BATCH_TX BATCH_TX STATE_TX RUN_END("ok"));
    /* rows 1 and 3 re-read at the watermark (one full batch), row 2 soft-deleted */
    put(2, "a", "2024-01-02 00:00:00", "2024-01-02 00:00:00");
    check_calls(2, false, ARUS_OK, RUN_START BATCH_TX DELETE_TX STATE_TX RUN_END("ok"));
    check_calls(2, true, ARUS_OK,
                RUN_START SHADOW_SCHEMA SHADOW_LOAD_TX("commit\n") SWAP_TX RUN_END("ok"));
    CHECK(dest_equals_source());
}

/* Refused rows bisected, a failed commit, a failed full refresh. */
static void test_protocol_failures(void)
{
    setup();
    put(1, "ok", "2024-01-01 00:00:00", NULL);
    put(2, "BAD", "2024-01-01 00:00:00", NULL);
    /* the refused batch, the whole batch again, row 1, row 2 refused: a dead letter; then the
     * batch's watermark, and the state-only commit that ends the table */
    max_dead_letters = 1;
    static const char bisected[] = RUN_START LOAD_TX("rollback\n") LOAD_TX("rollback\n")
        LOAD_TX("commit\n") LOAD_TX("rollback\n") DEAD_LETTER_TX STATE_TX STATE_TX RUN_END("ok");
    check_calls(2, false, ARUS_OK, bisected);
    max_dead_letters = 0;
    CHECK_INT(fake_dead_letters, 1);
    /* a failed commit is rolled back and ends the table */
    setup();
    put(1, "ok", "2024-01-01 00:00:00", NULL);
    fake_fail_commit_at = 2;
    check_calls(2, false, ARUS_EQUERY, RUN_START BATCH_TX "rollback\n" RUN_END("failed"));
    /* the shadow table of a failed full refresh is dropped outside a transaction */
    fake_fail_commit_at = 0;
    fake_fail_shadow_load_at = 1;
    check_calls(
        2, true, ARUS_EQUERY,
        RUN_START SHADOW_SCHEMA SHADOW_LOAD_TX("rollback\n") "drop_shadow\n" RUN_END("failed"));
}

/* A run whose process died leaves its history row "running"; the pipeline's next run, holding
 * the lock, rewrites it to aborted and records its own rows as usual. */
static void test_dead_run_becomes_aborted(void)
{
    setup();
    put(1, "a", "2024-01-01 00:00:00", NULL);
    fake_put_run("dead-run", "t", ARUS_RUN_RUNNING);
    fake_put_run("done-run", "t", ARUS_RUN_OK);
    struct arus_sync_report rep;
    REQUIRE(sync_once(10, false, &rep) == ARUS_OK);
    const struct fake_run *dead = fake_run("dead-run");
    REQUIRE(dead != NULL);
    CHECK_STR(dead->status, "aborted");
    CHECK_STR(dead->error, "process ended before the run finished");
    CHECK(dead->finished_at != NULL);
    CHECK_STR(dead->started_at, "2024-01-01 00:00:00.000000");
    CHECK_STR(fake_run("done-run")->status, "ok");
    REQUIRE(fake_run(rep.run_id) != NULL);
    CHECK_STR(fake_run(rep.run_id)->status, "ok");
    arus_sync_report_cleanup(&rep);
}

int main(void)
{
    fake_register();
    for (size_t i = 0; fake_each_destination(&i);) {
        RUN(test_ties_one_watermark_batch_7);
        RUN(test_parallelism_one_table);
        RUN(test_fault_after_every_batch_then_rerun);
        RUN(test_failed_full_refresh_keeps_old_table);
        RUN(test_soft_delete_propagates);
        RUN(test_soft_delete_without_watermark_change);
        RUN(test_new_column_appears);
        RUN(test_updates_merge_by_key);
        RUN(test_refused_rows_become_dead_letters);
        RUN(test_protocol_incremental_soft_deletes_full_refresh);
        RUN(test_protocol_failures);
        RUN(test_dead_run_becomes_aborted);
    }
    fake_reset();
    return check_exit();
}

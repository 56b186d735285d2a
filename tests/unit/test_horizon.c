/* The engine against a busy source (fake connectors): the stored watermark held at the commit
 * horizon so a transaction committing late is read on the next run, the fallback lookback when
 * the horizon cannot be read, commit_horizon switched off, keyless tables read once between
 * horizons, NULL watermarks read on every run and counted, no horizon for a counter, and a
 * full refresh held at the horizon too. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "support/fake.h"

static const char *tables[] = {"t"};

static void put(int id, const char *name, const char *updated_at)
{
    fake_put_event(id, name, updated_at, NULL);
}

static void setup(void)
{
    fake_reset_events();
    fake_horizon = NULL;
    fake_keyless = false;
}

/* One sync (a full refresh when full) of a pipeline whose commit_horizon is as given, with
 * table override o (NULL: none). */
static int sync_with(bool horizon, const struct arus_table_override *o, bool full,
                     struct arus_sync_report *rep)
{
    struct arus_pipeline p;
    fake_pipeline(&p, tables, 3);
    p.commit_horizon = horizon;
    struct arus_table_override copy;
    if (o) {
        copy = *o;
        p.overrides = &copy;
        p.noverrides = 1;
    }
    return fake_sync_noted(&p, full, rep);
}

static int sync_once(struct arus_sync_report *rep) { return sync_with(true, NULL, false, rep); }

/* The destination row of id has name `name`. */
static bool dest_name_is(const char *id, const char *name)
{
    char **row = fake_dest_row(id);
    int k = fake_dest_col("name");
    return row && k >= 0 && row[k] && strcmp(row[k], name) == 0;
}

/* A transaction that began at 10:03 commits its row after a sync delivered rows up to 10:10:
 * the horizon (10:02, that transaction's start) held the watermark, so the next run reads it. */
static void test_horizon_holds_the_watermark(void)
{
    setup();
    for (int i = 1; i <= 10; i++) {
        char ts[32];
        snprintf(ts, sizeof ts, "2024-01-01 10:%02d:00", i);
        put(i, "v", ts);
    }
    fake_horizon = "2024-01-01 10:02:00";
    struct arus_sync_report rep;
    REQUIRE(sync_once(&rep) == ARUS_OK);
    CHECK_INT(rep.tables[0].rows_loaded, 10);
    CHECK_STR(fake_dest_state.watermark, "2024-01-01 10:02:00");
    CHECK_STR(rep.tables[0].horizon, "2024-01-01 10:02:00");
    CHECK_STR(rep.tables[0].delivered, "2024-01-01 10:10:00");
    CHECK_STR(fake_dest_state.held_from, "2024-01-01 10:10:00"); /* for arus state */
    arus_sync_report_cleanup(&rep);
    put(11, "late", "2024-01-01 10:03:00");
    fake_horizon = "2024-01-01 11:00:00";
    REQUIRE(sync_once(&rep) == ARUS_OK);
    CHECK(dest_name_is("11", "late"));
    CHECK_INT(rep.tables[0].rows_loaded, 1); /* the re-read rows changed nothing */
    CHECK_STR(fake_dest_state.watermark, "2024-01-01 10:10:00");
    CHECK_STR(rep.tables[0].delivered, "");
    CHECK(fake_dest_state.held_from == NULL); /* not held this time */
    CHECK_INT(fake_dest_duplicates(), 0);
    arus_sync_report_cleanup(&rep);
}

/* Switched off (for the pipeline, or for the table only), the late row is lost as before. */
static void test_switched_off(void)
{
    for (int how = 0; how < 2; how++) {
        setup();
        put(1, "v", "2024-01-01 10:01:00");
        put(2, "v", "2024-01-01 10:10:00");
        fake_horizon = "2024-01-01 10:00:00";
        struct arus_sync_report rep;
        const struct arus_table_override off = {.name = "t", .commit_horizon = 0};
        const struct arus_table_override *o = how == 1 ? &off : NULL;
        REQUIRE(sync_with(how == 1, o, false, &rep) == ARUS_OK);
        CHECK_STR(fake_dest_state.watermark, "2024-01-01 10:10:00");
        CHECK_STR(rep.tables[0].horizon, "");
        arus_sync_report_cleanup(&rep);
        put(3, "late", "2024-01-01 10:05:00");
        REQUIRE(sync_with(how == 1, o, false, &rep) == ARUS_OK);
        CHECK(fake_dest_row("3") == NULL);
        arus_sync_report_cleanup(&rep);
    }
}

/* The horizon cannot be read (a missing privilege): the run still succeeds, stores the newest
 * watermark and reads ARUS_HORIZON_FALLBACK_SECONDS further back next time. */
static void test_fallback_lookback(void)
{
    setup();
    put(1, "v", "2024-01-01 10:10:00");
    struct arus_sync_report rep;
    REQUIRE(sync_once(&rep) == ARUS_OK);
    CHECK_STR(fake_dest_state.watermark, "2024-01-01 10:10:00");
    arus_sync_report_cleanup(&rep);
    put(2, "late", "2024-01-01 10:06:00");  /* within the fallback window */
    put(3, "later", "2024-01-01 09:00:00"); /* beyond it: only a horizon could tell */
    REQUIRE(sync_once(&rep) == ARUS_OK);
    CHECK(dest_name_is("2", "late"));
    CHECK(fake_dest_row("3") == NULL);
    arus_sync_report_cleanup(&rep);
}

/* A table without key reads [stored, horizon) and stores the horizon: idle reruns add nothing,
 * a new row arrives once, a row at or past the horizon waits for the next one. */
static void test_keyless_reads_each_row_once(void)
{
    setup();
    fake_keyless = true;
    for (int i = 1; i <= 9; i++) {
        char ts[32];
        snprintf(ts, sizeof ts, "2024-01-01 10:0%d:00", i);
        put(i, "v", ts);
    }
    put(10, "at horizon", "2024-01-01 10:09:30");
    fake_horizon = "2024-01-01 10:09:30";
    struct arus_sync_report rep;
    REQUIRE(sync_once(&rep) == ARUS_OK);
    CHECK_INT(fake_dest_table.nrows, 9);
    CHECK_STR(fake_dest_state.watermark, "2024-01-01 10:09:30");
    arus_sync_report_cleanup(&rep);
    for (int k = 0; k < 3; k++) {
        REQUIRE(sync_once(&rep) == ARUS_OK);
        CHECK_INT(fake_dest_table.nrows, 9);
        arus_sync_report_cleanup(&rep);
    }
    put(11, "new", "2024-01-01 10:10:00");
    fake_horizon = "2024-01-01 10:20:00";
    REQUIRE(sync_once(&rep) == ARUS_OK);
    CHECK_INT(rep.tables[0].rows_extracted, 2);
    CHECK_INT(fake_dest_table.nrows, 11);
    arus_sync_report_cleanup(&rep);
    REQUIRE(sync_once(&rep) == ARUS_OK);
    CHECK_INT(fake_dest_table.nrows, 11);
    arus_sync_report_cleanup(&rep);
    /* without a horizon: strictly after the stored watermark, still no duplicate */
    fake_horizon = NULL;
    for (int k = 0; k < 2; k++) {
        REQUIRE(sync_once(&rep) == ARUS_OK);
        CHECK_INT(fake_dest_table.nrows, 11);
        arus_sync_report_cleanup(&rep);
    }
    fake_keyless = false;
}

/* NULL watermarks: an insert with NULL and an update setting NULL arrive after the first run,
 * on every run, and are counted. */
static void test_null_watermarks(void)
{
    setup();
    put(1, "v", "2024-01-01 10:00:00");
    put(2, "v", "2024-01-01 10:01:00");
    fake_horizon = "2024-01-02 00:00:00";
    struct arus_sync_report rep;
    REQUIRE(sync_once(&rep) == ARUS_OK);
    CHECK_INT(rep.tables[0].rows_null_watermark, 0);
    arus_sync_report_cleanup(&rep);
    put(3, "inserted", NULL);
    put(2, "nulled", NULL);
    REQUIRE(sync_once(&rep) == ARUS_OK);
    CHECK(dest_name_is("3", "inserted"));
    CHECK(dest_name_is("2", "nulled"));
    CHECK_INT(rep.tables[0].rows_null_watermark, 2);
    arus_sync_report_cleanup(&rep);
    put(3, "changed again", NULL);
    REQUIRE(sync_once(&rep) == ARUS_OK);
    CHECK(dest_name_is("3", "changed again"));
    CHECK_INT(rep.tables[0].rows_loaded, 1);
    CHECK_INT(fake_dest_duplicates(), 0);
    arus_sync_report_cleanup(&rep);
}

/* A full refresh reads a snapshot: what a transaction still open commits later must be read by
 * the next incremental run, so the stored watermark is held at the horizon too. */
static void test_full_refresh_held(void)
{
    setup();
    put(1, "v", "2024-01-01 10:01:00");
    put(2, "v", "2024-01-01 10:09:00");
    fake_horizon = "2024-01-01 10:05:00";
    struct arus_sync_report rep;
    REQUIRE(sync_with(true, NULL, true, &rep) == ARUS_OK);
    CHECK_STR(fake_dest_state.watermark, "2024-01-01 10:05:00");
    CHECK_STR(fake_dest_state.held_from, "2024-01-01 10:09:00");
    arus_sync_report_cleanup(&rep);
    put(3, "late", "2024-01-01 10:06:00");
    fake_horizon = "2024-01-01 11:00:00";
    REQUIRE(sync_once(&rep) == ARUS_OK);
    CHECK(dest_name_is("3", "late"));
    arus_sync_report_cleanup(&rep);
}

/* A counter has no horizon (the wrapper refuses non-time columns): the run warns and stores
 * the newest watermark delivered, as without a horizon. */
static void test_integer_watermark(void)
{
    static const char *const cols[] = {"id", "name", "version"};
    static const enum arus_ltype ctypes[] = {ARUS_T_INT64, ARUS_T_STRING, ARUS_T_INT64};
    fake_reset();
    fake_define(3, (const char *const *)cols, ctypes);
    fake_horizon = "2024-01-01 00:00:00";
    const char *r1[] = {"1", "a", "7"}, *r2[] = {"2", "b", "12"};
    fake_put(r1);
    fake_put(r2);
    const struct arus_table_override o = {
        .name = "t", .watermark_column = "version", .commit_horizon = -1};
    struct arus_sync_report rep;
    REQUIRE(sync_with(true, &o, false, &rep) == ARUS_OK);
    CHECK_STR(fake_dest_state.watermark, "12");
    CHECK_STR(rep.tables[0].horizon, "");
    arus_sync_report_cleanup(&rep);
    fake_horizon = NULL;
}

int main(void)
{
    fake_register();
    RUN(test_horizon_holds_the_watermark);
    RUN(test_switched_off);
    RUN(test_fallback_lookback);
    RUN(test_keyless_reads_each_row_once);
    RUN(test_null_watermarks);
    RUN(test_integer_watermark);
    RUN(test_full_refresh_held);
    return check_exit();
}

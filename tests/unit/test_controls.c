/* Operator controls against the fake connectors: state that no longer matches the destination
 * (a dropped or emptied typed table while a watermark is stored, rows while no state is) makes
 * the table reload in full through a shadow table, announced as mode "reload"; forget_state
 * (arus reset) leads to the same reload. Runs against both fake destinations. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "support/fake.h"

static const char *names[] = {"id", "name", "updated_at", "deleted_at"};
static const enum arus_ltype types[] = {ARUS_T_INT64, ARUS_T_STRING, ARUS_T_TIMESTAMP,
                                        ARUS_T_TIMESTAMP};
static const char *tables[] = {"t"};
static const char *dest_type; /* the fake destination of this round */

static void put(int id, const char *updated_at)
{
    char key[32];
    snprintf(key, sizeof key, "%d", id);
    const char *row[] = {key, "a", updated_at, NULL};
    fake_put(row);
}

/* 10 rows synced once, probe on. */
static void setup(void)
{
    fake_reset();
    fake_define(4, names, types);
    fake_dest_probe = true;
    for (int i = 1; i <= 10; i++)
        put(i, "2024-01-01 00:00:00");
}

/* One sync; returns its report's mode of table t (static string) and the rows loaded. */
static const char *sync_mode(int64_t *loaded, char *reason, size_t n)
{
    struct arus_pipeline p;
    fake_pipeline(&p, tables, 4);
    struct arus_sync_report rep;
    struct arus_error err;
    arus_error_clear(&err);
    int rc = fake_sync(&p, false, &rep, &err);
    const char *mode = rc == ARUS_OK && rep.ntables == 1 ? rep.tables[0].mode : "failed";
    *loaded = rep.ntables ? rep.tables[0].rows_loaded : -1;
    if (reason)
        snprintf(reason, n, "%s", rep.ntables ? rep.tables[0].reload_reason : "");
    if (rc)
        fprintf(stderr, "  (sync: %s)\n", err.msg);
    arus_sync_report_cleanup(&rep);
    return mode;
}

static void test_first_and_steady_runs_are_incremental(void)
{
    setup();
    int64_t loaded;
    CHECK_STR(sync_mode(&loaded, NULL, 0), "incremental");
    CHECK_INT(loaded, 10);
    CHECK_STR(sync_mode(&loaded, NULL, 0), "incremental");
    CHECK_INT(loaded, 0);
    CHECK(strstr(fake_calls(), "table_rows\n") != NULL);
}

static void test_dropped_table_reloads(void)
{
    setup();
    int64_t loaded;
    char why[128];
    CHECK_STR(sync_mode(&loaded, NULL, 0), "incremental");
    fake_drop_dest_table(false);
    put(3, "2024-01-02 00:00:00");
    put(4, "2024-01-02 00:00:00");
    CHECK_STR(sync_mode(&loaded, why, sizeof why), "reload");
    CHECK_STR(why, "the typed table is missing but state holds a watermark");
    CHECK_INT(loaded, 10);
    CHECK_INT(fake_dest_table.nrows, 10);
    CHECK(strstr(fake_calls(), "ensure_schema(shadow)\n") != NULL);
    CHECK_STR(fake_dest_state.watermark, "2024-01-02 00:00:00");
    /* run history says so */
    CHECK_STR(fake_runs[fake_nruns - 1].mode, "reload");
    /* and the next run is incremental again */
    CHECK_STR(sync_mode(&loaded, NULL, 0), "incremental");
    CHECK_INT(loaded, 0);
}

static void test_emptied_table_reloads(void)
{
    setup();
    int64_t loaded;
    char why[128];
    CHECK_STR(sync_mode(&loaded, NULL, 0), "incremental");
    fake_drop_dest_table(true);
    CHECK_STR(sync_mode(&loaded, why, sizeof why), "reload");
    CHECK_STR(why, "the typed table is empty but state holds a watermark");
    CHECK_INT(fake_dest_table.nrows, 10);
}

/* arus reset forgets the state; the table still has rows, so the next run replaces it. */
static void test_forgotten_state_reloads_into_shadow(void)
{
    setup();
    int64_t loaded, forgotten = 0;
    char why[128];
    CHECK_STR(sync_mode(&loaded, NULL, 0), "incremental");
    struct arus_endpoint ep = {.name = "dst", .type = dest_type};
    struct arus_destination *dst = NULL;
    struct arus_error err;
    arus_error_clear(&err);
    REQUIRE(arus_destination_create(&ep, &dst, &err) == ARUS_OK);
    CHECK_INT(arus_destination_forget_state(dst, "p", "t", &forgotten, &err), ARUS_OK);
    arus_destination_close(dst);
    CHECK_INT(forgotten, 1);
    CHECK(fake_dest_state.watermark == NULL);
    CHECK_STR(sync_mode(&loaded, why, sizeof why), "reload");
    CHECK_STR(why, "no state is stored but the typed table holds rows");
    CHECK_STR(fake_dest_state.watermark, "2024-01-01 00:00:00");
    CHECK_INT(fake_dest_table.nrows, 10);
}

int main(void)
{
    fake_register();
    static const char *const destinations[] = {"fake", "fake_buffered"};
    for (size_t i = 0; i < sizeof destinations / sizeof *destinations; i++) {
        fprintf(stderr, "-- destination %s\n", destinations[i]);
        fake_use_destination(destinations[i]);
        dest_type = destinations[i];
        RUN(test_first_and_steady_runs_are_incremental);
        RUN(test_dropped_table_reloads);
        RUN(test_emptied_table_reloads);
        RUN(test_forgotten_state_reloads_into_shadow);
    }
    fake_reset();
    return check_exit();
}

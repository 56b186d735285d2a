/* The watermark a split load stores (src/core/split.c, docs/consistency.md "Split loads"):
 * rows changed after the cap was taken, in a range already loaded and in one read later with a
 * newer watermark still, leave the stored watermark at the cap, not at the newest one read, so
 * the next incremental run picks both changes up. Runs against the fake connectors on one
 * connection pair, ranges in key order, the changes made by a hook as the last range opens. */
#include <string.h>

#include "arus/source.h"
#include "check.h"
#include "support/fake.h"

#define CAP "2024-01-01 00:01:40" /* row 100's watermark, the newest before the load */

static const char *tables[] = {"t"};
static int hook_calls;

/* As the last range (no upper end) opens: row 5, in the first range and loaded already,
 * changes; row 99, in the range about to be read, changes later still. */
static void change_during_load(const struct arus_extract_plan *plan)
{
    hook_calls++;
    if (plan->key_range.lower && !plan->key_range.upper) {
        fake_put_event(5, "late", "2024-01-01 01:00:00", NULL);
        fake_put_event(99, "later", "2024-01-01 02:00:00", NULL);
        fake_extract_hook = NULL;
    }
}

static bool dest_is(const char *id, const char *name)
{
    char **row = fake_dest_row(id);
    return row && strcmp(row[fake_dest_col("name")], name) == 0;
}

static void test_split_stores_the_cap(void)
{
    fake_reset_events();
    char ts[32];
    for (int i = 1; i <= 100; i++) {
        snprintf(ts, sizeof ts, "2024-01-01 00:%02d:%02d", i / 60, i % 60);
        fake_put_event(i, "x", ts, NULL);
    }
    fake_one_connection = true;
    fake_extract_hook = change_during_load;
    struct arus_pipeline p;
    fake_pipeline(&p, tables, 7);
    p.parallelism = 2;
    p.split_min_rows = 10;
    struct arus_sync_report rep;
    REQUIRE(fake_sync_noted(&p, false, &rep) == ARUS_OK);
    arus_sync_report_cleanup(&rep);
    CHECK(hook_calls > 1); /* split: one extract per range */
    CHECK(fake_extract_hook == NULL);
    CHECK(strstr(fake_calls(), "update_watermark(side)") != NULL);
    CHECK_STR(fake_dest_state.watermark, CAP);
    CHECK(dest_is("5", "x"));      /* its range was read before the change */
    CHECK(dest_is("99", "later")); /* read after it */

    /* The next incremental run reads from the cap on and finds row 5's change. */
    REQUIRE(fake_sync_noted(&p, false, &rep) == ARUS_OK);
    arus_sync_report_cleanup(&rep);
    CHECK(dest_is("5", "late"));
    CHECK_STR(fake_dest_state.watermark, "2024-01-01 02:00:00");
    CHECK_INT(fake_dest_table.nrows, 100);
    CHECK_INT(fake_dest_duplicates(), 0);
}

int main(void)
{
    fake_register();
    RUN(test_split_stores_the_cap);
    return check_exit();
}

/* Cron parser and next-fire computation: a table of expressions, zones and expected next fire
 * times (UTC), DST changes in Europe/Berlin, America/New_York and a half-hour zone included. */
#include <stdlib.h>

#include "arus/error.h"
#include "arus/util.h"
#include "check.h"
#include "serve/cron.h"

static int64_t at(const char *s)
{
    int64_t us = 0;
    if (!arus_parse_timestamp(s, strlen(s), &us))
        abort();
    return us / 1000000;
}

static void test_next_table(void)
{
    static const struct {
        const char *expr, *tz, *after, *next;
    } cases[] = {
        {"*/15 * * * *", NULL, "2026-01-01 00:00:00", "2026-01-01 00:15:00"},
        {"*/15 * * * *", NULL, "2026-01-01 00:14:59", "2026-01-01 00:15:00"},
        {"0 0 * * *", NULL, "2026-01-01 00:00:00", "2026-01-02 00:00:00"},
        {"5 4 * * sun", NULL, "2026-01-01 00:00:00", "2026-01-04 04:05:00"},
        {"5 4 * * 7", NULL, "2026-01-01 00:00:00", "2026-01-04 04:05:00"},
        {"0 12 1,15 * MON", NULL, "2026-01-01 00:00:00", "2026-01-01 12:00:00"},
        {"0 12 1,15 * MON", NULL, "2026-01-01 12:00:00", "2026-01-05 12:00:00"},
        {"0 0 29 2 *", NULL, "2026-01-01 00:00:00", "2028-02-29 00:00:00"},
        {"30 8 * jun-aug 1-5", NULL, "2026-01-01 00:00:00", "2026-06-01 08:30:00"},
        {"10-20/5 3 * * *", NULL, "2026-01-01 03:15:00", "2026-01-01 03:20:00"},
        {"0 0 1 */4 *", NULL, "2026-02-01 00:00:00", "2026-05-01 00:00:00"},
        {"59 23 31 12 *", NULL, "2026-06-01 00:00:00", "2026-12-31 23:59:00"},
        {"@hourly", NULL, "2026-01-01 00:59:59", "2026-01-01 01:00:00"},
        {"@daily", NULL, "2026-01-01 00:00:00", "2026-01-02 00:00:00"},
        {"@weekly", NULL, "2026-01-01 00:00:00", "2026-01-04 00:00:00"},
        {"@monthly", NULL, "2026-01-15 00:00:00", "2026-02-01 00:00:00"},
        {"@yearly", NULL, "2026-01-15 00:00:00", "2027-01-01 00:00:00"},
        /* @every: on multiples of the interval since the epoch. */
        {"@every 30s", NULL, "2026-01-01 00:00:10", "2026-01-01 00:00:30"},
        {"@every 30s", NULL, "2026-01-01 00:00:30", "2026-01-01 00:01:00"},
        {"@every 7m", NULL, "2026-01-01 00:05:00", "2026-01-01 00:07:00"},
        {"@every 1h30m", NULL, "2026-01-01 00:00:00", "2026-01-01 01:30:00"},
        /* Weekdays at 09:00 in New York: across the March change (EST -> EDT). */
        {"0 9 * * 1-5", "America/New_York", "2026-03-06 15:00:00", "2026-03-09 13:00:00"},
        {"0 9 * * 1-5", "America/New_York", "2026-03-05 15:00:00", "2026-03-06 14:00:00"},
        /* Half-hour offset: 22:00 IST = 16:30 UTC. */
        {"0 22 * * *", "Asia/Kolkata", "2026-01-01 00:00:00", "2026-01-01 16:30:00"},
        /* Berlin spring forward 2026-03-29 01:00Z: 02:00-02:59 local does not exist; a job at
         * 02:30 fires once at the end of the gap (03:00 CEST = 01:00Z), then normally. */
        {"30 2 * * *", "Europe/Berlin", "2026-03-28 12:00:00", "2026-03-29 01:00:00"},
        {"30 2 * * *", "Europe/Berlin", "2026-03-29 01:00:00", "2026-03-30 00:30:00"},
        {"0 * * * *", "Europe/Berlin", "2026-03-29 00:30:00", "2026-03-29 01:00:00"},
        {"0 * * * *", "Europe/Berlin", "2026-03-29 01:00:00", "2026-03-29 02:00:00"},
        {"*/20 2 * * *", "Europe/Berlin", "2026-03-28 23:00:00", "2026-03-29 01:00:00"},
        {"*/20 2 * * *", "Europe/Berlin", "2026-03-29 01:00:00", "2026-03-30 00:00:00"},
        /* Berlin fall back 2026-10-25 01:00Z: 02:00-02:59 local happens twice. A fixed time fires
         * in the first pass only; an hourly job fires in both. */
        {"30 2 * * *", "Europe/Berlin", "2026-10-24 12:00:00", "2026-10-25 00:30:00"},
        {"30 2 * * *", "Europe/Berlin", "2026-10-25 00:30:00", "2026-10-26 01:30:00"},
        {"*/30 * * * *", "Europe/Berlin", "2026-10-25 00:45:00", "2026-10-25 01:00:00"},
        {"*/30 * * * *", "Europe/Berlin", "2026-10-25 01:00:00", "2026-10-25 01:30:00"},
        /* New York: 2026-03-08 07:00Z (02:00 EST -> 03:00 EDT), 2026-11-01 06:00Z (02:00 EDT ->
         * 01:00 EST). */
        {"30 2 8 3 *", "America/New_York", "2026-03-01 00:00:00", "2026-03-08 07:00:00"},
        {"15 1 * * *", "America/New_York", "2026-11-01 04:00:00", "2026-11-01 05:15:00"},
        {"15 1 * * *", "America/New_York", "2026-11-01 05:15:00", "2026-11-02 06:15:00"},
        {"15 * * * *", "America/New_York", "2026-11-01 05:15:00", "2026-11-01 06:15:00"},
        {"0 0 * * *", "America/New_York", "2026-11-01 03:00:00", "2026-11-01 04:00:00"},
        {"0 0 * * *", "America/New_York", "2026-11-01 04:00:00", "2026-11-02 05:00:00"},
        {"0 3 * * *", "America/New_York", "2026-03-07 12:00:00", "2026-03-08 07:00:00"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct serve_cron c;
        struct arus_error err;
        arus_error_clear(&err);
        int rc = serve_cron_parse(cases[i].expr, cases[i].tz, &c, &err);
        if (rc != ARUS_OK) {
            fprintf(stderr, "case %zu (%s): %s\n", i, cases[i].expr, err.msg);
            check_failures++;
            continue;
        }
        int64_t next = 0;
        CHECK(serve_cron_next(&c, at(cases[i].after), &next));
        char got[40];
        arus_format_timestamp(next * 1000000, got, sizeof got);
        if (strcmp(got, cases[i].next) != 0) {
            fprintf(stderr, "case %zu: \"%s\" %s after %s: got %s, expected %s\n", i, cases[i].expr,
                    cases[i].tz ? cases[i].tz : "UTC", cases[i].after, got, cases[i].next);
            check_failures++;
        }
    }
}

static void test_never(void)
{
    struct serve_cron c;
    struct arus_error err;
    arus_error_clear(&err);
    REQUIRE(serve_cron_parse("0 0 30 2 *", NULL, &c, &err) == ARUS_OK);
    int64_t next;
    CHECK(!serve_cron_next(&c, at("2026-01-01 00:00:00"), &next));
}

static void test_bad_expressions(void)
{
    static const char *const bad[] = {
        "60 * * * *",   "* * *",      "*/0 * * * *", "5-1 * * * *",
        "* 24 * * *",   "* * 0 * *",  "* * * 13 *",  "* * * * 8",
        "@every 0s",    "@every 5x",  "@nope",       "a * * * *",
        "1,,2 * * * *", "1, * * * *", "* * * * * *", "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct serve_cron c;
        struct arus_error err;
        arus_error_clear(&err);
        if (serve_cron_parse(bad[i], NULL, &c, &err) != ARUS_ECONFIG) {
            fprintf(stderr, "accepted bad schedule \"%s\"\n", bad[i]);
            check_failures++;
        }
    }
    struct serve_cron c;
    struct arus_error err;
    arus_error_clear(&err);
    CHECK(serve_cron_parse("* * * * *", "Mars/Olympus_Mons", &c, &err) == ARUS_ECONFIG);
    CHECK_STR(err.msg, "unknown time zone \"Mars/Olympus_Mons\"");
    CHECK(serve_cron_parse("* * * * *", "../etc/passwd", &c, &err) == ARUS_ECONFIG);
    CHECK(serve_cron_parse("61 * * * *", NULL, &c, &err) == ARUS_ECONFIG);
    CHECK_STR(err.msg, "schedule \"61 * * * *\": bad minute field \"61\" (values 0-59)");
}

int main(void)
{
    RUN(test_next_table);
    RUN(test_never);
    RUN(test_bad_expressions);
    return check_exit();
}

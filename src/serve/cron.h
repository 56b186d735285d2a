/* Schedules of `arus serve`: 5-field cron expressions in a time zone, and the descriptors
 * @yearly @monthly @weekly @daily @hourly and @every DURATION. Written by hand: no Debian
 * library parses cron expressions or computes fire times across DST changes. */
#ifndef ARUS_SERVE_CRON_H
#define ARUS_SERVE_CRON_H

#include <stdbool.h>
#include <stdint.h>

struct arus_error;

struct serve_cron {
    uint64_t minute;         /* bit n: minute n (0-59) */
    uint32_t hour;           /* bit n: hour n (0-23) */
    uint32_t dom;            /* bit n: day of month n (1-31) */
    uint32_t month;          /* bit n: month n (1-12) */
    uint32_t dow;            /* bit n: weekday n (0 = Sunday .. 6) */
    bool dom_star, dow_star; /* "*": the other day field alone decides (Vixie cron rule) */
    bool hour_star;          /* "*": fires in both passes of a repeated (fall-back) hour */
    int64_t every;           /* @every: seconds between fires; 0 for cron fields */
    char tz[64];             /* IANA zone name; "" = UTC */
};

/* Parse expr (5 fields "min hour dom month dow" with *, lists, ranges, steps and month/day
 * names, or a descriptor) for time zone tz (NULL or "" = UTC; must exist in the system's
 * zoneinfo). Returns ARUS_OK or ARUS_ECONFIG with a message naming the bad part. */
int serve_cron_parse(const char *expr, const char *tz, struct serve_cron *out,
                     struct arus_error *err);

/* The first fire time strictly after `after` (Unix seconds) into *next. @every fires on the
 * multiples of its interval since the Unix epoch (so several processes fire the same ticks). A
 * wall-clock time skipped by a DST change fires at the end of the gap (once); a time repeated by a
 * DST change fires in its first pass only, unless the hour field is "*" (then it fires in both, as
 * real time goes on). Returns false when the expression never fires within ten years (e.g. "0 0 30
 * 2 *"). Thread-safe. */
bool serve_cron_next(const struct serve_cron *c, int64_t after, int64_t *next);

#endif

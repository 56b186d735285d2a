/* Cron expressions and their next fire time (see cron.h). Time zones come from the C library
 * (TZ + localtime_r under a mutex, as glibc has no per-call zone); the search walks real time
 * forward, jumping whole months, days and hours that cannot match, and looks inside DST gaps
 * so a skipped wall-clock time still fires once. */
#include "serve/cron.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "arus/error.h"
#include "arus/util.h"

#define SEARCH_LIMIT ((int64_t)10 * 366 * 86400)

static pthread_mutex_t tz_lock = PTHREAD_MUTEX_INITIALIZER;
static char tz_current[64] = "\x01"; /* never a zone name: the first call sets TZ */

static const char *const month_names[] = {"jan", "feb", "mar", "apr", "may", "jun", "jul",
                                          "aug", "sep", "oct", "nov", "dec", NULL};
static const char *const dow_names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL};

/* Local broken-down time of instant u in c's zone; tm_gmtoff holds the UTC offset. */
static void local_time(const struct serve_cron *c, int64_t u, struct tm *tm)
{
    time_t t = (time_t)u;
    if (!c->tz[0]) {
        gmtime_r(&t, tm);
        tm->tm_gmtoff = 0;
        return;
    }
    pthread_mutex_lock(&tz_lock);
    if (strcmp(tz_current, c->tz) != 0) {
        char spec[70];
        snprintf(spec, sizeof spec, ":%s", c->tz);
        setenv("TZ", spec, 1);
        tzset();
        snprintf(tz_current, sizeof tz_current, "%s", c->tz);
    }
    localtime_r(&t, tm);
    pthread_mutex_unlock(&tz_lock);
}

static int64_t offset_at(const struct serve_cron *c, int64_t u)
{
    struct tm tm;
    local_time(c, u, &tm);
    return tm.tm_gmtoff;
}

/* Whether the wall-clock time tm (fields as local time) matches. */
static bool matches_day(const struct serve_cron *c, const struct tm *tm)
{
    bool dom = (c->dom >> tm->tm_mday) & 1, dow = (c->dow >> tm->tm_wday) & 1;
    if (c->dom_star || c->dow_star)
        return dom && dow;
    return dom || dow;
}

static bool matches(const struct serve_cron *c, const struct tm *tm)
{
    return ((c->month >> (tm->tm_mon + 1)) & 1) && matches_day(c, tm) &&
           ((c->hour >> tm->tm_hour) & 1) && ((c->minute >> tm->tm_min) & 1);
}

/* The instants whose local wall clock is w (wall seconds: local time read as if UTC): one
 * normally, two in a repeated hour (earliest first), none in a gap. Returns how many. */
static int instants_at(const struct serve_cron *c, int64_t w, int64_t out[2])
{
    int64_t ob = offset_at(c, w - 86400), oa = offset_at(c, w + 86400);
    int n = 0;
    int64_t cand[2] = {w - ob, w - oa};
    for (int i = 0; i < 2; i++)
        if (offset_at(c, cand[i]) + cand[i] == w && (n == 0 || out[0] != cand[i]))
            out[n++] = cand[i];
    if (n == 2 && out[1] < out[0]) {
        int64_t t = out[0];
        out[0] = out[1];
        out[1] = t;
    }
    return n;
}

/* The first instant > u whose wall clock is w, or (w in a gap) the first instant after the gap. */
static int64_t first_instant(const struct serve_cron *c, int64_t w, int64_t u)
{
    int64_t at[2];
    int n = instants_at(c, w, at);
    for (int i = 0; i < n; i++)
        if (at[i] > u)
            return at[i];
    if (n)
        return u + 60; /* both passes already behind us: go on minute by minute */
    /* A gap: the offset grows from ob to oa somewhere in [w - oa, w - ob]. */
    int64_t ob = offset_at(c, w - 86400), lo = w - offset_at(c, w + 86400), hi = w - ob;
    while (hi - lo > 1) {
        int64_t mid = lo + (hi - lo) / 2;
        if (offset_at(c, mid) == ob)
            lo = mid;
        else
            hi = mid;
    }
    return hi > u ? hi : u + 60;
}

/* Whether a wall-clock minute in [from, to) (wall seconds) matches: times a DST gap skipped. */
static bool gap_matches(const struct serve_cron *c, int64_t from, int64_t to)
{
    for (int64_t w = from; w < to && w < from + 86400; w += 60) {
        time_t t = (time_t)w;
        struct tm tm;
        gmtime_r(&t, &tm);
        if (matches(c, &tm))
            return true;
    }
    return false;
}

/* Whether instant u is the second pass of a repeated wall-clock time. */
static bool second_pass(const struct serve_cron *c, int64_t u, int64_t wall)
{
    int64_t at[2];
    return instants_at(c, wall, at) == 2 && at[0] < u;
}

bool serve_cron_next(const struct serve_cron *c, int64_t after, int64_t *next)
{
    if (c->every) {
        /* On multiples of the interval since the epoch, so that processes agree on ticks. */
        *next = (after >= 0 ? after / c->every + 1 : -((-after) / c->every)) * c->every;
        return true;
    }
    int64_t u = (after >= 0 ? after / 60 : (after - 59) / 60) * 60 + 60;
    int64_t expected = INT64_MIN; /* wall clock the last step aimed at */
    while (u <= after + SEARCH_LIMIT) {
        struct tm tm;
        local_time(c, u, &tm);
        int64_t wall = u + tm.tm_gmtoff;
        if (expected != INT64_MIN && wall > expected && gap_matches(c, expected, wall)) {
            *next = u;
            return true;
        }
        int64_t days = wall >= 0 ? wall / 86400 : (wall - 86399) / 86400;
        if (!((c->month >> (tm.tm_mon + 1)) & 1)) {
            int64_t y = tm.tm_year + 1900;
            unsigned m = (unsigned)tm.tm_mon + 2;
            if (m > 12) {
                m = 1;
                y++;
            }
            expected = arus_days_from_civil(y, m, 1) * 86400;
            u = first_instant(c, expected, u);
        } else if (!matches_day(c, &tm)) {
            expected = (days + 1) * 86400;
            u = first_instant(c, expected, u);
        } else if (!((c->hour >> tm.tm_hour) & 1)) {
            expected = wall + (60 - tm.tm_min) * 60;
            u += (60 - tm.tm_min) * 60;
        } else if (!((c->minute >> tm.tm_min) & 1) || (!c->hour_star && second_pass(c, u, wall))) {
            expected = wall + 60;
            u += 60;
        } else {
            *next = u;
            return true;
        }
    }
    return false;
}

/* ---- parsing */

static int parse_value(const char *s, size_t n, int lo, const char *const *names, int *out)
{
    if (names && n == 3) {
        for (int i = 0; names[i]; i++)
            if (strncasecmp(s, names[i], 3) == 0) {
                *out = lo + i;
                return 0;
            }
    }
    if (n == 0 || n > 4)
        return -1;
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

/* One field: comma-separated items, each "*", "A", "A-B", optionally "/STEP". */
static int parse_field(const char *field, int lo, int hi, const char *const *names, uint64_t *bits,
                       bool *star)
{
    *bits = 0;
    *star = strcmp(field, "*") == 0;
    const char *p = field;
    while (*p) {
        size_t len = strcspn(p, ",");
        const char *slash = memchr(p, '/', len);
        size_t rlen = slash ? (size_t)(slash - p) : len;
        int a, b, step = 1;
        if (rlen == 1 && p[0] == '*') {
            a = lo;
            b = hi;
        } else {
            const char *dash = memchr(p, '-', rlen);
            size_t alen = dash ? (size_t)(dash - p) : rlen;
            if (parse_value(p, alen, lo, names, &a))
                return -1;
            b = a;
            if (dash && parse_value(dash + 1, rlen - alen - 1, lo, names, &b))
                return -1;
            if (!dash && slash)
                b = hi; /* "A/STEP": from A to the end */
        }
        if (slash && parse_value(slash + 1, len - rlen - 1, 0, NULL, &step))
            return -1;
        /* Sunday may be written 7 (only the weekday field goes up to 7). */
        if (a < lo || b > hi || a > b || step < 1)
            return -1;
        for (int v = a; v <= b; v += step)
            *bits |= (uint64_t)1 << v;
        p += len;
        if (*p == ',' && *++p == '\0')
            return -1;
    }
    return *bits ? 0 : -1;
}

static bool parse_duration(const char *s, int64_t *out)
{
    int64_t total = 0;
    if (!*s)
        return false;
    while (*s) {
        char *end;
        long long v = strtoll(s, &end, 10);
        if (end == s || v < 0 || v > 100000000)
            return false;
        int64_t unit = 1;
        switch (*end) {
        case 's':
            unit = 1;
            end++;
            break;
        case 'm':
            unit = 60;
            end++;
            break;
        case 'h':
            unit = 3600;
            end++;
            break;
        case 'd':
            unit = 86400;
            end++;
            break;
        case '\0':
            break;
        default:
            return false;
        }
        total += v * unit;
        s = end;
    }
    *out = total;
    return total > 0;
}

static bool zone_exists(const char *tz)
{
    if (!tz[0] || tz[0] == '/' || strstr(tz, "..") || strlen(tz) >= 63)
        return false;
    const char *dir = getenv("TZDIR");
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir && dir[0] ? dir : "/usr/share/zoneinfo", tz);
    return access(path, R_OK) == 0;
}

int serve_cron_parse(const char *expr, const char *tz, struct serve_cron *out,
                     struct arus_error *err)
{
    static const struct {
        const char *name, *fields;
    } descriptors[] = {
        {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
        {"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
        {"@hourly", "0 * * * *"},
    };
    struct serve_cron c = {0};
    if (tz && tz[0] && strcmp(tz, "UTC") != 0) {
        if (!zone_exists(tz))
            return arus_error_set(err, ARUS_ECONFIG, "unknown time zone \"%s\"", tz);
        snprintf(c.tz, sizeof c.tz, "%s", tz);
    }
    while (isspace((unsigned char)*expr))
        expr++;
    if (strncmp(expr, "@every", 6) == 0 && isspace((unsigned char)expr[6])) {
        const char *d = expr + 7;
        while (isspace((unsigned char)*d))
            d++;
        if (!parse_duration(d, &c.every))
            return arus_error_set(err, ARUS_ECONFIG,
                                  "bad @every duration \"%s\" (expected e.g. 30s, 5m, 1h30m)", d);
        *out = c;
        return ARUS_OK;
    }
    if (expr[0] == '@') {
        for (size_t i = 0; i < sizeof descriptors / sizeof *descriptors; i++)
            if (strcmp(expr, descriptors[i].name) == 0)
                return serve_cron_parse(descriptors[i].fields, tz, out, err);
        return arus_error_set(err, ARUS_ECONFIG,
                              "unknown schedule \"%s\" (expected 5 cron fields, @every "
                              "DURATION, @hourly, @daily, @weekly, @monthly or @yearly)",
                              expr);
    }
    char buf[256], *fields[6];
    int n = 0;
    snprintf(buf, sizeof buf, "%s", expr);
    for (char *save = NULL, *f = strtok_r(buf, " \t", &save); f && n < 6;
         f = strtok_r(NULL, " \t", &save))
        fields[n++] = f;
    if (n != 5)
        return arus_error_set(err, ARUS_ECONFIG,
                              "schedule \"%s\" has %d fields (expected 5: minute hour "
                              "day-of-month month day-of-week)",
                              expr, n);
    static const struct {
        const char *what;
        int lo, hi;
    } spec[5] = {{"minute", 0, 59},
                 {"hour", 0, 23},
                 {"day-of-month", 1, 31},
                 {"month", 1, 12},
                 {"day-of-week", 0, 7}};
    uint64_t bits[5];
    bool star[5];
    for (int i = 0; i < 5; i++) {
        const char *const *names = i == 3 ? month_names : i == 4 ? dow_names : NULL;
        if (parse_field(fields[i], spec[i].lo, spec[i].hi, names, &bits[i], &star[i]))
            return arus_error_set(err, ARUS_ECONFIG,
                                  "schedule \"%s\": bad %s field \"%s\" (values %d-%d)", expr,
                                  spec[i].what, fields[i], spec[i].lo, spec[i].hi);
    }
    if (bits[4] & (1u << 7))
        bits[4] = (bits[4] | 1u) & 0x7f;
    c.minute = bits[0];
    c.hour = (uint32_t)bits[1];
    c.dom = (uint32_t)bits[2];
    c.month = (uint32_t)bits[3];
    c.dow = (uint32_t)bits[4];
    c.hour_star = star[1];
    c.dom_star = star[2];
    c.dow_star = star[4];
    *out = c;
    return ARUS_OK;
}

/* Time text, UUIDs, base64, number-text checks and the test-only fault hook. Time conversion
 * uses days-from-civil arithmetic (not timegm/mktime) so years 1..9999 work everywhere. */
#include "arus/util.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "arus/strbuf.h"

#define MICROS_PER_DAY INT64_C(86400000000)

int64_t arus_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void arus_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

void arus_now_utc(char *buf, size_t n)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t micros = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
    int64_t days = micros / MICROS_PER_DAY;
    int64_t rem = micros % MICROS_PER_DAY;
    int64_t y;
    unsigned mo, d;
    arus_civil_from_days(days, &y, &mo, &d);
    int64_t secs = rem / 1000000;
    snprintf(buf, n, "%04lld-%02u-%02u %02lld:%02lld:%02lld.%06lld", (long long)y, mo, d,
             (long long)(secs / 3600), (long long)(secs / 60 % 60), (long long)(secs % 60),
             (long long)(rem % 1000000));
}

double arus_monotonic(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool digits(const char *s, size_t n, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

bool arus_parse_timestamp(const char *s, size_t n, int64_t *micros)
{
    int y, mo, d, h = 0, mi = 0, se = 0;
    if (n < 10 || s[4] != '-' || s[7] != '-' || !digits(s, 4, &y) || !digits(s + 5, 2, &mo) ||
        !digits(s + 8, 2, &d))
        return false;
    if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > 31)
        return false;
    size_t i = 10;
    int64_t frac = 0;
    if (i < n && (s[i] == ' ' || s[i] == 'T')) {
        if (n < i + 9 || s[i + 3] != ':' || s[i + 6] != ':' || !digits(s + i + 1, 2, &h) ||
            !digits(s + i + 4, 2, &mi) || !digits(s + i + 7, 2, &se))
            return false;
        if (h > 23 || mi > 59 || se > 60)
            return false;
        i += 9;
        if (i < n && s[i] == '.') {
            i++;
            int nd = 0;
            while (i < n && s[i] >= '0' && s[i] <= '9') {
                if (nd < 6)
                    frac = frac * 10 + (s[i] - '0');
                nd++;
                i++;
            }
            if (nd == 0)
                return false;
            for (; nd < 6; nd++)
                frac *= 10;
        }
    }
    int64_t offset_secs = 0;
    if (i < n) {
        if (s[i] == 'Z' && i + 1 == n) {
            i++;
        } else if (s[i] == '+' || s[i] == '-') {
            int oh = 0, om = 0;
            size_t rest = n - i - 1;
            const char *o = s + i + 1;
            if (rest == 2 && digits(o, 2, &oh)) {
            } else if (rest == 4 && digits(o, 2, &oh) && digits(o + 2, 2, &om)) {
            } else if (rest == 5 && o[2] == ':' && digits(o, 2, &oh) && digits(o + 3, 2, &om)) {
            } else {
                return false;
            }
            offset_secs = (int64_t)(oh * 3600 + om * 60) * (s[i] == '-' ? -1 : 1);
            i = n;
        } else {
            return false;
        }
    }
    if (i != n)
        return false;
    int64_t days = arus_days_from_civil(y, (unsigned)mo, (unsigned)d);
    int64_t secs = days * 86400 + h * 3600 + mi * 60 + se - offset_secs;
    *micros = secs * 1000000 + frac;
    return true;
}

size_t arus_trim_fraction(char *s, size_t n)
{
    char *dot = memchr(s, '.', n);
    if (!dot)
        return n;
    while (n > 0 && s[n - 1] == '0')
        n--;
    if (s + n - 1 == dot)
        n--;
    s[n] = '\0';
    return n;
}

int arus_format_integer(char *buf, long long v, bool is_unsigned)
{
    char t[20];
    int len = 0, k = 0;
    unsigned long long u = (unsigned long long)v;
    if (!is_unsigned && v < 0) {
        buf[len++] = '-';
        u = 0 - u;
    }
    do {
        t[k++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    while (k)
        buf[len++] = t[--k];
    buf[len] = '\0';
    return len;
}

/* v (below 10^width) as exactly width digits, zero-padded. */
static char *put_fixed(char *p, long long v, int width)
{
    for (int i = width - 1; i >= 0; i--, v /= 10)
        p[i] = (char)('0' + v % 10);
    return p + width;
}

void arus_format_timestamp(int64_t micros, char *buf, size_t n)
{
    int64_t days = micros / MICROS_PER_DAY;
    int64_t rem = micros % MICROS_PER_DAY;
    if (rem < 0) {
        rem += MICROS_PER_DAY;
        days--;
    }
    int64_t y;
    unsigned mo, d;
    arus_civil_from_days(days, &y, &mo, &d);
    int64_t secs = rem / 1000000;
    if (y >= 0 && y <= 9999 && n >= 27) { /* by hand, as the format below would print it */
        char *p = put_fixed(buf, y, 4);
        *p++ = '-';
        p = put_fixed(p, mo, 2);
        *p++ = '-';
        p = put_fixed(p, d, 2);
        *p++ = ' ';
        p = put_fixed(p, secs / 3600, 2);
        *p++ = ':';
        p = put_fixed(p, secs / 60 % 60, 2);
        *p++ = ':';
        p = put_fixed(p, secs % 60, 2);
        *p++ = '.';
        p = put_fixed(p, rem % 1000000, 6);
        *p = '\0';
        arus_trim_fraction(buf, (size_t)(p - buf));
        return;
    }
    int len = snprintf(buf, n, "%04lld-%02u-%02u %02lld:%02lld:%02lld.%06lld", (long long)y, mo,
                       d, (long long)(secs / 3600), (long long)(secs / 60 % 60),
                       (long long)(secs % 60), (long long)(rem % 1000000));
    if (len > 0 && (size_t)len < n)
        arus_trim_fraction(buf, (size_t)len);
}

bool arus_time_cell(enum arus_ltype t, int64_t micros, char *buf, size_t n)
{
    if (!arus_ltype_is_time(t))
        return false;
    arus_format_timestamp(micros, buf, n);
    if (t == ARUS_T_DATE && strlen(buf) > 10)
        buf[10] = '\0';
    return true;
}

void arus_uuid_v4(char *buf)
{
    unsigned char b[16];
    size_t got = 0;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t r = read(fd, b, sizeof b);
        got = r > 0 ? (size_t)r : 0;
        close(fd);
    }
    if (got < sizeof b) {
        /* No /dev/urandom: fall back to time-seeded bits; uniqueness still holds in practice. */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        srandom((unsigned)(ts.tv_nsec ^ ts.tv_sec ^ getpid()));
        for (size_t i = 0; i < sizeof b; i++)
            b[i] = (unsigned char)random();
    }
    b[6] = (unsigned char)((b[6] & 0x0F) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3F) | 0x80);
    snprintf(buf, 37,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
             b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
             b[15]);
}

void arus_base64_append(struct arus_strbuf *sb, const unsigned char *p, size_t n)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    arus_strbuf_reserve(sb, (n + 2) / 3 * 4);
    size_t i = 0;
    for (; i + 2 < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
        char q[4] = {tbl[v >> 18], tbl[(v >> 12) & 63], tbl[(v >> 6) & 63], tbl[v & 63]};
        arus_strbuf_append(sb, q, 4);
    }
    if (i < n) {
        unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0);
        char q[4] = {tbl[v >> 18], tbl[(v >> 12) & 63], i + 1 < n ? tbl[(v >> 6) & 63] : '=',
                     '='};
        arus_strbuf_append(sb, q, 4);
    }
}

int arus_hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool arus_is_integer_text(const char *s, size_t n)
{
    size_t i = (n > 0 && s[0] == '-') ? 1 : 0;
    if (i == n)
        return false;
    for (; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

bool arus_is_decimal_text(const char *s, size_t n)
{
    size_t i = (n > 0 && s[0] == '-') ? 1 : 0;
    size_t nd = 0;
    bool dot = false;
    for (; i < n; i++) {
        if (s[i] == '.' && !dot)
            dot = true;
        else if (s[i] >= '0' && s[i] <= '9')
            nd++;
        else
            return false;
    }
    return nd > 0;
}

bool arus_fault(const char *point)
{
#ifdef ARUS_FAULT_INJECTION
    /* ARUS_FAULT="point:count"; the count-th hit of that point fires. */
    static long hits;
    const char *spec = getenv("ARUS_FAULT");
    if (!spec)
        return false;
    const char *colon = strrchr(spec, ':');
    size_t plen = colon ? (size_t)(colon - spec) : strlen(spec);
    if (strlen(point) != plen || strncmp(spec, point, plen) != 0)
        return false;
    long want = colon ? strtol(colon + 1, NULL, 10) : 1;
    if (++hits != want)
        return false;
    const char *action = getenv("ARUS_FAULT_ACTION");
    if (action && strcmp(action, "abort") == 0) {
        fprintf(stderr, "arus: injected crash at %s\n", point);
        _exit(99);
    }
    if (action && strncmp(action, "sleep:", 6) == 0) {
        /* A slow step, not a failure: long enough to signal the process in the middle. */
        struct timespec ts = {.tv_sec = strtol(action + 6, NULL, 10)};
        while (nanosleep(&ts, &ts) != 0) {
        }
        return false;
    }
    return true;
#else
    (void)point;
    return false;
#endif
}

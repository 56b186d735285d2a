/* Binary COPY fields from canonical cell text: integers, numerics (base-10000 digits), floats,
 * booleans, dates and timestamps (days / microseconds since 2000-01-01), uuids, text, bytea
 * and jsonb, in the wire formats of PostgreSQL's *_recv functions. Written by hand: libpq has
 * no encoder for them. Strict: what is not plainly canonical is left to a text COPY. */
#include "connectors/postgresql/copybin.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "arus/strbuf.h"
#include "arus/util.h"

enum {
    PG_OID_BOOL = 16,
    PG_OID_BYTEA = 17,
    PG_OID_INT8 = 20,
    PG_OID_INT2 = 21,
    PG_OID_INT4 = 23,
    PG_OID_TEXT = 25,
    PG_OID_FLOAT4 = 700,
    PG_OID_FLOAT8 = 701,
    PG_OID_VARCHAR = 1043,
    PG_OID_DATE = 1082,
    PG_OID_TIMESTAMP = 1114,
    PG_OID_TIMESTAMPTZ = 1184,
    PG_OID_NUMERIC = 1700,
    PG_OID_UUID = 2950,
    PG_OID_JSONB = 3802,
};

/* Days from 1970-01-01 of 2000-01-01, PostgreSQL's date and timestamp epoch. */
#define PG_EPOCH_DAYS 10957
/* numeric text longer than this goes as text (the server's own limits are near it). */
#define PG_NUMERIC_MAX_TEXT 1000

bool arus__pg_bin_fits(const struct arus_type *t, uint32_t typid)
{
    switch (t->ltype) {
    case ARUS_T_BOOL:
        return typid == PG_OID_BOOL;
    case ARUS_T_INT16:
        return typid == PG_OID_INT2;
    case ARUS_T_INT32:
        return typid == PG_OID_INT4;
    case ARUS_T_INT64:
        return typid == PG_OID_INT8;
    case ARUS_T_UINT64:
    case ARUS_T_DECIMAL:
        return typid == PG_OID_NUMERIC;
    case ARUS_T_FLOAT32:
        return typid == PG_OID_FLOAT4;
    case ARUS_T_FLOAT64:
        return typid == PG_OID_FLOAT8;
    case ARUS_T_STRING:
        return typid == PG_OID_TEXT || typid == PG_OID_VARCHAR;
    case ARUS_T_BYTES:
        return typid == PG_OID_BYTEA;
    case ARUS_T_UUID:
        return typid == PG_OID_UUID;
    case ARUS_T_DATE:
        return typid == PG_OID_DATE;
    case ARUS_T_TIMESTAMP:
        return typid == PG_OID_TIMESTAMP;
    case ARUS_T_TIMESTAMPTZ:
        return typid == PG_OID_TIMESTAMPTZ;
    case ARUS_T_JSON:
        return typid == PG_OID_JSONB;
    default:
        return false;
    }
}

/* Big-endian integers, written into reserved space. */
static void pg_put(struct arus_strbuf *sb, uint64_t v, int bytes)
{
    arus_strbuf_reserve(sb, (size_t)bytes);
    unsigned char *o = (unsigned char *)sb->data + sb->len;
    for (int i = 0; i < bytes; i++)
        o[i] = (unsigned char)(v >> (8 * (bytes - 1 - i)));
    sb->len += (size_t)bytes;
    sb->data[sb->len] = '\0';
}

void arus__pg_bin_header(struct arus_strbuf *sb)
{
    arus_strbuf_append(sb, "PGCOPY\n\377\r\n\0", 11);
    pg_put(sb, 0, 4); /* flags: no OIDs */
    pg_put(sb, 0, 4); /* header extension length */
}

void arus__pg_bin_row(struct arus_strbuf *sb, int fields) { pg_put(sb, (uint64_t)fields, 2); }

void arus__pg_bin_trailer(struct arus_strbuf *sb) { pg_put(sb, 0xffff, 2); }

static bool pg_digit(char c) { return c >= '0' && c <= '9'; }

/* Decimal integer text within [-max - 1, max] (two's complement bounds). */
static bool pg_parse_int(const char *p, size_t n, uint64_t max, int64_t *out)
{
    bool neg = n > 0 && p[0] == '-';
    size_t i = neg;
    if (i == n || n - i > 19)
        return false;
    uint64_t v = 0;
    for (; i < n; i++) {
        if (!pg_digit(p[i]))
            return false;
        v = v * 10 + (uint64_t)(p[i] - '0');
    }
    if (v > max + neg)
        return false;
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return true;
}

/* Plain decimal text as numeric: ndigits, weight, sign, dscale, then base-10000 digits
 * (numeric_recv; leading and trailing zero digits dropped as make_result would). */
static bool pg_bin_numeric(struct arus_strbuf *sb, const char *p, size_t n)
{
    bool neg = n > 0 && p[0] == '-';
    size_t i = neg, ib, ie, fb, fe;
    for (ib = i; i < n && pg_digit(p[i]); i++)
        ;
    ie = fb = fe = i;
    if (i < n && p[i] == '.') {
        for (fb = ++i; i < n && pg_digit(p[i]); i++)
            ;
        fe = i;
    }
    if (i != n || (ie == ib && fe == fb) || n > PG_NUMERIC_MAX_TEXT)
        return false;
    while (ib < ie && p[ib] == '0')
        ib++;
    size_t nint = ie - ib, nfrac = fe - fb, ig = (nint + 3) / 4, fg = (nfrac + 3) / 4;
    size_t lead = ig * 4 - nint;
    uint16_t d[PG_NUMERIC_MAX_TEXT / 4 + 2];
    for (size_t g = 0; g < ig + fg; g++) {
        unsigned v = 0;
        for (size_t k = 0; k < 4; k++) {
            size_t pos = g * 4 + k; /* position in the zero-padded digit string */
            char c = '0';
            if (g < ig && pos >= lead)
                c = p[ib + pos - lead];
            else if (g >= ig && fb + (pos - ig * 4) < fe)
                c = p[fb + (pos - ig * 4)];
            v = v * 10 + (unsigned)(c - '0');
        }
        d[g] = (uint16_t)v;
    }
    size_t start = 0, end = ig + fg;
    long weight = (long)ig - 1;
    while (start < end && d[start] == 0) {
        start++;
        weight--;
    }
    while (end > start && d[end - 1] == 0)
        end--;
    if (start == end) {
        weight = 0;
        neg = false;
    }
    pg_put(sb, 8 + 2 * (end - start), 4);
    pg_put(sb, end - start, 2);
    pg_put(sb, (uint64_t)(uint16_t)(int16_t)weight, 2);
    pg_put(sb, neg ? 0x4000 : 0, 2);
    pg_put(sb, nfrac, 2);
    for (size_t g = start; g < end; g++)
        pg_put(sb, d[g], 2);
    return true;
}

/* A finite float in plain notation; NaN, infinities and out-of-range text go as text. */
static bool pg_bin_float(struct arus_strbuf *sb, const char *p, size_t n, bool single)
{
    char buf[64];
    if (n == 0 || n >= sizeof buf)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!pg_digit(p[i]) && !strchr("+-.eE", p[i]))
            return false;
    memcpy(buf, p, n);
    buf[n] = '\0';
    char *end;
    errno = 0;
    if (single) {
        float f = strtof(buf, &end);
        uint32_t bits;
        memcpy(&bits, &f, sizeof bits);
        if (errno || end != buf + n)
            return false;
        pg_put(sb, 4, 4);
        pg_put(sb, bits, 4);
    } else {
        double f = strtod(buf, &end);
        uint64_t bits;
        memcpy(&bits, &f, sizeof bits);
        if (errno || end != buf + n)
            return false;
        pg_put(sb, 8, 4);
        pg_put(sb, bits, 8);
    }
    return true;
}

static bool pg_num(const char *p, size_t n, unsigned *out)
{
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!pg_digit(p[i]))
            return false;
        v = v * 10 + (unsigned)(p[i] - '0');
    }
    *out = v;
    return true;
}

/* "YYYY-MM-DD" (years 1..9999) as days since 2000-01-01. */
static bool pg_parse_date(const char *p, size_t n, int64_t *days)
{
    static const unsigned char mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    unsigned y, m, d;
    if (n < 10 || p[4] != '-' || p[7] != '-' || !pg_num(p, 4, &y) || !pg_num(p + 5, 2, &m) ||
        !pg_num(p + 8, 2, &d) || y < 1 || m < 1 || m > 12 || d < 1)
        return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > (unsigned)mdays[m - 1] + (m == 2 && leap))
        return false;
    /* Days from civil (proleptic Gregorian), shifted to the PostgreSQL epoch. */
    int64_t yy = (int64_t)y - (m <= 2);
    int64_t era = yy / 400;
    int64_t yoe = yy - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    *days = era * 146097 + doe - 719468 - PG_EPOCH_DAYS;
    return true;
}

/* "YYYY-MM-DD HH:MM:SS[.f{1,6}]" as microseconds since 2000-01-01 00:00:00. */
static bool pg_bin_timestamp(struct arus_strbuf *sb, const char *p, size_t n)
{
    int64_t days;
    unsigned h, mi, s, frac = 0;
    if (n < 19 || p[10] != ' ' || p[13] != ':' || p[16] != ':' || !pg_parse_date(p, 10, &days) ||
        !pg_num(p + 11, 2, &h) || !pg_num(p + 14, 2, &mi) || !pg_num(p + 17, 2, &s) || h > 23 ||
        mi > 59 || s > 59)
        return false;
    if (n > 19) {
        size_t digits = n - 20;
        if (p[19] != '.' || digits < 1 || digits > 6 || !pg_num(p + 20, digits, &frac))
            return false;
        for (; digits < 6; digits++)
            frac *= 10;
    }
    int64_t us = ((days * 24 + h) * 60 + mi) * 60 + s;
    pg_put(sb, 8, 4);
    pg_put(sb, (uint64_t)(us * 1000000 + frac), 8);
    return true;
}

static bool pg_bin_uuid(struct arus_strbuf *sb, const char *p, size_t n)
{
    unsigned char u[16];
    size_t k = 0;
    if (n != 36)
        return false;
    for (size_t i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (p[i] != '-')
                return false;
            continue;
        }
        int hi = arus_hex_value(p[i]), lo = arus_hex_value(p[i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        u[k++] = (unsigned char)(hi << 4 | lo);
        i++;
    }
    pg_put(sb, 16, 4);
    arus_strbuf_append(sb, u, 16);
    return true;
}

bool arus__pg_text_ok(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *e = p + n;
    while (p < e) {
        unsigned c = *p;
        if (c >= 0x01 && c < 0x80) {
            p++;
            continue;
        }
        size_t len = c >= 0xc2 && c <= 0xdf   ? 2
                     : c >= 0xe0 && c <= 0xef ? 3
                     : c >= 0xf0 && c <= 0xf4 ? 4
                                              : 0;
        if (!len || (size_t)(e - p) < len)
            return false;
        unsigned lo = 0x80, hi = 0xbf;
        if (c == 0xe0)
            lo = 0xa0;
        else if (c == 0xed)
            hi = 0x9f;
        else if (c == 0xf0)
            lo = 0x90;
        else if (c == 0xf4)
            hi = 0x8f;
        if (p[1] < lo || p[1] > hi)
            return false;
        for (size_t k = 2; k < len; k++)
            if (p[k] < 0x80 || p[k] > 0xbf)
                return false;
        p += len;
    }
    return true;
}

bool arus__pg_bin_cell(struct arus_strbuf *sb, const struct arus_type *t, const char *p, size_t n)
{
    int64_t v;
    if (!p) {
        pg_put(sb, 0xffffffff, 4);
        return true;
    }
    switch (t->ltype) {
    case ARUS_T_BOOL:
        if (n == 4 && memcmp(p, "true", 4) == 0)
            v = 1;
        else if (n == 5 && memcmp(p, "false", 5) == 0)
            v = 0;
        else
            return false;
        pg_put(sb, 1, 4);
        pg_put(sb, (uint64_t)v, 1);
        return true;
    case ARUS_T_INT16:
        if (!pg_parse_int(p, n, INT16_MAX, &v))
            return false;
        pg_put(sb, 2, 4);
        pg_put(sb, (uint64_t)v, 2);
        return true;
    case ARUS_T_INT32:
        if (!pg_parse_int(p, n, INT32_MAX, &v))
            return false;
        pg_put(sb, 4, 4);
        pg_put(sb, (uint64_t)v, 4);
        return true;
    case ARUS_T_INT64:
        if (!pg_parse_int(p, n, INT64_MAX, &v))
            return false;
        pg_put(sb, 8, 4);
        pg_put(sb, (uint64_t)v, 8);
        return true;
    case ARUS_T_UINT64:
    case ARUS_T_DECIMAL:
        return pg_bin_numeric(sb, p, n);
    case ARUS_T_FLOAT32:
    case ARUS_T_FLOAT64:
        return pg_bin_float(sb, p, n, t->ltype == ARUS_T_FLOAT32);
    case ARUS_T_DATE:
        if (n != 10 || !pg_parse_date(p, n, &v))
            return false;
        pg_put(sb, 4, 4);
        pg_put(sb, (uint64_t)v, 4);
        return true;
    case ARUS_T_TIMESTAMP:
    case ARUS_T_TIMESTAMPTZ:
        return pg_bin_timestamp(sb, p, n);
    case ARUS_T_UUID:
        return pg_bin_uuid(sb, p, n);
    case ARUS_T_STRING:
    case ARUS_T_JSON:
        if (!arus__pg_text_ok(p, n) || n > INT32_MAX - 1)
            return false;
        pg_put(sb, n + (t->ltype == ARUS_T_JSON), 4);
        if (t->ltype == ARUS_T_JSON)
            pg_put(sb, 1, 1); /* jsonb binary format version */
        arus_strbuf_append(sb, p, n);
        return true;
    case ARUS_T_BYTES:
        if (n > INT32_MAX)
            return false;
        pg_put(sb, n, 4);
        arus_strbuf_append(sb, p, n);
        return true;
    default:
        return false;
    }
}

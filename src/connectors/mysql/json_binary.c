/* MySQL's binary JSON (column type JSON = 245 in a TABLE_MAP, MySQL 5.7+; sql/json_binary.h of
 * mysql-server documents the format) decoded into the JSON text MySQL itself prints for the
 * column, which is what the watermark extract reads: objects as {"k": v, ...}, arrays as
 * [v, ...], opaque DECIMAL as a number and DATE/TIME/DATETIME/TIMESTAMP as quoted strings.
 * Written by hand: no Debian library reads this format. Every offset and length is checked
 * against the buffer; nesting is capped at MySQL's own depth limit. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "arus/error.h"
#include "arus/strbuf.h"
#include "arus/util.h"
#include "connectors/mysql/rowimage.h"
#include "connectors/mysql/typemap.h"

/* Value types of the format. */
enum {
    MY_JB_SMALL_OBJECT = 0x00,
    MY_JB_LARGE_OBJECT = 0x01,
    MY_JB_SMALL_ARRAY = 0x02,
    MY_JB_LARGE_ARRAY = 0x03,
    MY_JB_LITERAL = 0x04,
    MY_JB_INT16 = 0x05,
    MY_JB_UINT16 = 0x06,
    MY_JB_INT32 = 0x07,
    MY_JB_UINT32 = 0x08,
    MY_JB_INT64 = 0x09,
    MY_JB_UINT64 = 0x0a,
    MY_JB_DOUBLE = 0x0b,
    MY_JB_STRING = 0x0c,
    MY_JB_OPAQUE = 0x0f,
};

#define MY_JB_MAX_DEPTH 100 /* JSON_DOCUMENT_MAX_DEPTH: the server writes nothing deeper */

static int my_jb_bad(struct arus_error *err, const char *what)
{
    return arus_error_set(err, ARUS_EDATA, "MySQL binary JSON: %s", what);
}

/* A JSON string literal the way MySQL quotes it (Json_wrapper's double_quote): ", \ and the
 * control characters escaped, everything else (UTF-8 included) as is. */
static void my_jb_quote(const uint8_t *s, size_t n, struct arus_strbuf *sb)
{
    arus_strbuf_putc(sb, '"');
    for (size_t i = 0; i < n; i++) {
        uint8_t ch = s[i];
        const char *esc = NULL;
        switch (ch) {
        case '"':
            esc = "\\\"";
            break;
        case '\\':
            esc = "\\\\";
            break;
        case '\b':
            esc = "\\b";
            break;
        case '\f':
            esc = "\\f";
            break;
        case '\n':
            esc = "\\n";
            break;
        case '\r':
            esc = "\\r";
            break;
        case '\t':
            esc = "\\t";
            break;
        default:
            break;
        }
        if (esc)
            arus_strbuf_puts(sb, esc);
        else if (ch < 0x20)
            arus_strbuf_appendf(sb, "\\u%04x", ch);
        else
            arus_strbuf_putc(sb, (char)ch);
    }
    arus_strbuf_putc(sb, '"');
}

/* The variable-length size of strings and opaque values: 7 bits per byte, low first, the high
 * bit set on every byte but the last; at most 5 bytes and 32 bits. */
static bool my_jb_varlen(const uint8_t *p, size_t n, size_t *used, uint32_t *out)
{
    uint64_t v = 0;
    for (size_t i = 0; i < 5 && i < n; i++) {
        v |= (uint64_t)(p[i] & 0x7f) << (7 * i);
        if (!(p[i] & 0x80)) {
            if (v > UINT32_MAX)
                return false;
            *used = i + 1;
            *out = (uint32_t)v;
            return true;
        }
    }
    return false;
}

/* A packed temporal (TIME_to_longlong_*_packed) as MySQL prints it inside JSON: DATE as
 * YYYY-MM-DD, DATETIME/TIMESTAMP with six fraction digits, TIME as [-]hh:mm:ss.ffffff. */
static int my_jb_temporal(uint8_t type, const uint8_t *p, size_t n, struct arus_strbuf *sb,
                          struct arus_error *err)
{
    if (n < 8)
        return my_jb_bad(err, "temporal value shorter than 8 bytes");
    int64_t v = (int64_t)arus__my_le(p, 8);
    bool neg = v < 0;
    uint64_t u = neg ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    unsigned frac = (unsigned)(u & 0xffffff);
    uint64_t hi = u >> 24;
    if (frac > 999999)
        return my_jb_bad(err, "temporal value with a fraction past 999999");
    char buf[64];
    if (type == MY_BT_TIME) {
        uint64_t hms = hi;
        snprintf(buf, sizeof buf, "%s%02" PRIu64 ":%02u:%02u.%06u", neg ? "-" : "", hms >> 12,
                 (unsigned)(hms >> 6 & 63), (unsigned)(hms & 63), frac);
    } else {
        if (neg)
            return my_jb_bad(err, "negative date");
        uint64_t ymd = hi >> 17, hms = hi & 0x1ffff, ym = ymd >> 5;
        unsigned year = (unsigned)(ym / 13), month = (unsigned)(ym % 13),
                 day = (unsigned)(ymd & 31);
        if (year > 9999)
            return my_jb_bad(err, "date past year 9999");
        if (type == MY_BT_DATE)
            snprintf(buf, sizeof buf, "%04u-%02u-%02u", year, month, day);
        else
            snprintf(buf, sizeof buf, "%04u-%02u-%02u %02u:%02u:%02u.%06u", year, month, day,
                     (unsigned)(hms >> 12), (unsigned)(hms >> 6 & 63), (unsigned)(hms & 63), frac);
    }
    arus_strbuf_appendf(sb, "\"%s\"", buf);
    return ARUS_OK;
}

/* An opaque value: a MySQL field type byte, a variable length, the field's own bytes. */
static int my_jb_opaque(const uint8_t *p, size_t n, struct arus_strbuf *sb, struct arus_error *err)
{
    if (n < 1)
        return my_jb_bad(err, "truncated opaque value");
    uint8_t type = p[0];
    size_t used;
    uint32_t len;
    if (!my_jb_varlen(p + 1, n - 1, &used, &len) || len > n - 1 - used)
        return my_jb_bad(err, "truncated opaque value");
    const uint8_t *d = p + 1 + used;
    switch (type) {
    case MY_BT_NEWDECIMAL: {
        /* precision, scale, then decimal2bin */
        if (len < 2 || d[0] < 1 || d[0] > 65 || d[1] > 30 || d[1] > d[0])
            return my_jb_bad(err, "bad decimal precision or scale");
        size_t size = arus__my_decimal_size(d[0], d[1]);
        if (len - 2 < size)
            return my_jb_bad(err, "truncated decimal");
        arus__my_decimal_text(d + 2, size, d[0], d[1], sb);
        return ARUS_OK;
    }
    case MY_BT_DATE:
    case MY_BT_TIME:
    case MY_BT_DATETIME:
    case MY_BT_TIMESTAMP:
        return my_jb_temporal(type, d, len, sb, err);
    default:
        /* what MySQL prints for other opaque values (BLOBs, GEOMETRY, BIT, YEAR ...) */
        arus_strbuf_appendf(sb, "\"base64:type%u:", type);
        arus_base64_append(sb, d, len);
        arus_strbuf_putc(sb, '"');
        return ARUS_OK;
    }
}

/* A double as MySQL prints it in JSON, from arus's shortest round-trip text: the exponent
 * without '+' or leading zeros (1e300, 1e-7), and a whole number as 1.0 to tell it from the
 * integer 1. */
static void my_jb_double_text(const char *buf, size_t len, struct arus_strbuf *sb)
{
    const char *e = memchr(buf, 'e', len);
    if (!e) {
        arus_strbuf_append(sb, buf, len);
        if (strspn(buf + (buf[0] == '-'), "0123456789") == len - (buf[0] == '-'))
            arus_strbuf_puts(sb, ".0");
        return;
    }
    arus_strbuf_append(sb, buf, (size_t)(e - buf) + 1);
    const char *x = e + 1;
    if (*x == '-' || *x == '+')
        if (*x++ == '-')
            arus_strbuf_putc(sb, '-');
    while (*x == '0' && x[1])
        x++;
    arus_strbuf_puts(sb, x);
}

static int my_jb_value(uint8_t type, const uint8_t *p, size_t n, int depth, struct arus_strbuf *sb,
                       struct arus_error *err);

/* An object or array at p (n bytes from its start to the end of the enclosing document). */
static int my_jb_container(uint8_t type, const uint8_t *p, size_t n, int depth,
                           struct arus_strbuf *sb, struct arus_error *err)
{
    if (depth > MY_JB_MAX_DEPTH)
        return my_jb_bad(err, "nested deeper than 100 levels");
    bool large = type == MY_JB_LARGE_OBJECT || type == MY_JB_LARGE_ARRAY;
    bool object = type == MY_JB_SMALL_OBJECT || type == MY_JB_LARGE_OBJECT;
    size_t osz = large ? 4 : 2;
    if (n < 2 * osz)
        return my_jb_bad(err, "truncated object or array header");
    uint64_t count = arus__my_le(p, osz), size = arus__my_le(p + osz, osz);
    if (size > n || size < 2 * osz)
        return my_jb_bad(err, "object or array size past the end of the value");
    n = (size_t)size; /* every offset below is inside this container */
    size_t key_entry = object ? osz + 2 : 0, value_entry = 1 + osz;
    size_t header = 2 * osz;
    if (count > (n - header) / (key_entry + value_entry))
        return my_jb_bad(err, "element count past the end of the value");
    size_t keys = header, values = header + (size_t)count * key_entry;
    arus_strbuf_putc(sb, object ? '{' : '[');
    for (size_t i = 0; i < count; i++) {
        if (i)
            arus_strbuf_puts(sb, ", ");
        if (object) {
            const uint8_t *ke = p + keys + i * key_entry;
            uint64_t koff = arus__my_le(ke, osz), klen = arus__my_le(ke + osz, 2);
            if (koff > n || klen > n - koff)
                return my_jb_bad(err, "object key past the end of the value");
            my_jb_quote(p + koff, (size_t)klen, sb);
            arus_strbuf_puts(sb, ": ");
        }
        const uint8_t *ve = p + values + i * value_entry;
        uint8_t vt = ve[0];
        int rc;
        /* literals and 16-bit integers (and 32-bit ones in large containers) are inlined in
         * the entry; everything else is at an offset from the container's start */
        bool inlined = vt == MY_JB_LITERAL || vt == MY_JB_INT16 || vt == MY_JB_UINT16 ||
                       (large && (vt == MY_JB_INT32 || vt == MY_JB_UINT32));
        if (inlined) {
            rc = my_jb_value(vt, ve + 1, osz, depth + 1, sb, err);
        } else {
            uint64_t off = arus__my_le(ve + 1, osz);
            if (off >= n || off < values + (size_t)count * value_entry)
                return my_jb_bad(err, "value offset outside its object or array");
            rc = my_jb_value(vt, p + off, n - (size_t)off, depth + 1, sb, err);
        }
        if (rc != ARUS_OK)
            return rc;
    }
    arus_strbuf_putc(sb, object ? '}' : ']');
    return ARUS_OK;
}

/* One value of the given type at p (n bytes available). */
static int my_jb_value(uint8_t type, const uint8_t *p, size_t n, int depth, struct arus_strbuf *sb,
                       struct arus_error *err)
{
    static const size_t width[] = {
        [MY_JB_INT16] = 2, [MY_JB_UINT16] = 2, [MY_JB_INT32] = 4, [MY_JB_UINT32] = 4,
        [MY_JB_INT64] = 8, [MY_JB_UINT64] = 8, [MY_JB_DOUBLE] = 8};
    switch (type) {
    case MY_JB_SMALL_OBJECT:
    case MY_JB_LARGE_OBJECT:
    case MY_JB_SMALL_ARRAY:
    case MY_JB_LARGE_ARRAY:
        return my_jb_container(type, p, n, depth, sb, err);
    case MY_JB_LITERAL:
        if (n < 1 || p[0] > 2)
            return my_jb_bad(err, "bad literal");
        arus_strbuf_puts(sb, p[0] == 0 ? "null" : p[0] == 1 ? "true" : "false");
        return ARUS_OK;
    case MY_JB_INT16:
    case MY_JB_UINT16:
    case MY_JB_INT32:
    case MY_JB_UINT32:
    case MY_JB_INT64:
    case MY_JB_UINT64:
    case MY_JB_DOUBLE: {
        size_t w = width[type];
        if (n < w)
            return my_jb_bad(err, "truncated number");
        uint64_t u = arus__my_le(p, w);
        if (type == MY_JB_DOUBLE) {
            double d;
            memcpy(&d, &u, 8);
            char buf[64];
            int len = arus__my_format_double(buf, sizeof buf, d, false);
            my_jb_double_text(buf, (size_t)len, sb);
        } else if (type == MY_JB_UINT16 || type == MY_JB_UINT32 || type == MY_JB_UINT64) {
            arus_strbuf_appendf(sb, "%" PRIu64, u);
        } else {
            /* sign-extend from w bytes */
            int64_t v = (int64_t)(u << (64 - 8 * w)) >> (64 - 8 * w);
            arus_strbuf_appendf(sb, "%" PRId64, v);
        }
        return ARUS_OK;
    }
    case MY_JB_STRING: {
        size_t used;
        uint32_t len;
        if (!my_jb_varlen(p, n, &used, &len) || len > n - used)
            return my_jb_bad(err, "truncated string");
        my_jb_quote(p + used, len, sb);
        return ARUS_OK;
    }
    case MY_JB_OPAQUE:
        return my_jb_opaque(p, n, sb, err);
    default:
        return arus_error_set(err, ARUS_EDATA, "MySQL binary JSON: unknown value type 0x%02x",
                              type);
    }
}

int arus__my_json_binary_text(const uint8_t *p, size_t n, struct arus_strbuf *sb,
                              struct arus_error *err)
{
    /* an empty value is what MySQL stores for a JSON null written by some paths */
    if (n == 0) {
        arus_strbuf_puts(sb, "null");
        return ARUS_OK;
    }
    return my_jb_value(p[0], p + 1, n - 1, 0, sb, err);
}

/* MySQL/MariaDB type mapping: information_schema.COLUMN_TYPE text -> logical type, and logical
 * type -> MySQL DDL. Faithful where the spec's table would lose data (docs/design.md, "Types"):
 * tinyint(1) is BOOL but other tinyints stay integers, unsigned widths move up one size (unsigned
 * bigint has its own UINT64), DECIMAL keeps precision/scale, temporal types keep microseconds. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arus/strbuf.h"
#include "arus/util.h"
#include "connectors/mysql/typemap.h"

/* MySQL's DECIMAL limits; an unconstrained or wider source numeric gets the widest type. */
#define MY_DECIMAL_MAX_PRECISION 65
#define MY_DECIMAL_MAX_SCALE     30
#define MY_DECIMAL_WIDE_SCALE    30

/* The leading type word, lower-cased, into buf; returns a pointer just past it. */
static const char *my_type_word(const char *s, char *buf, size_t n)
{
    size_t i = 0;
    while (*s == ' ')
        s++;
    while ((isalnum((unsigned char)*s) || *s == '_') && i + 1 < n)
        buf[i++] = (char)tolower((unsigned char)*s++);
    buf[i] = '\0';
    return s;
}

/* "(a[,b])" after the type word: returns how many numbers were read (0 when absent). */
static int my_type_args(const char *s, int *a, int *b)
{
    char *end;
    while (*s == ' ')
        s++;
    if (*s != '(')
        return 0;
    long x = strtol(s + 1, &end, 10);
    if (end == s + 1)
        return 0;
    *a = (int)x;
    if (*end != ',')
        return 1;
    const char *p = end + 1;
    long y = strtol(p, &end, 10);
    if (end == p)
        return 1;
    *b = (int)y;
    return 2;
}

/* Case-insensitive search for a whole modifier word ("unsigned") after the arguments. */
static bool my_has_word(const char *s, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = s; *p; p++) {
        if (strncasecmp(p, word, n) == 0 && (p == s || !isalnum((unsigned char)p[-1])) &&
            !isalnum((unsigned char)p[n]))
            return true;
    }
    return false;
}

static void my_set(struct arus_type *out, enum arus_ltype t, int length, int precision, int scale)
{
    out->ltype = t;
    out->length = length;
    out->precision = precision;
    out->scale = scale;
}

static bool my_is(const char *w, const char *const *names)
{
    for (; *names; names++)
        if (strcmp(w, *names) == 0)
            return true;
    return false;
}

/* Integer families: signed width, and the logical type one size up for unsigned. */
static bool my_integer_type(const char *w, int args, int a, bool is_unsigned, struct arus_type *out)
{
    if (strcmp(w, "tinyint") == 0) {
        /* tinyint(1) is MySQL's BOOL; wider display widths hold real small numbers. */
        my_set(out, args >= 1 && a == 1 && !is_unsigned ? ARUS_T_BOOL : ARUS_T_INT16, 0, 0, 0);
    } else if (strcmp(w, "smallint") == 0) {
        my_set(out, is_unsigned ? ARUS_T_INT32 : ARUS_T_INT16, 0, 0, 0);
    } else if (strcmp(w, "mediumint") == 0) {
        my_set(out, ARUS_T_INT32, 0, 0, 0);
    } else if (strcmp(w, "int") == 0 || strcmp(w, "integer") == 0) {
        my_set(out, is_unsigned ? ARUS_T_INT64 : ARUS_T_INT32, 0, 0, 0);
    } else if (strcmp(w, "bigint") == 0) {
        my_set(out, is_unsigned ? ARUS_T_UINT64 : ARUS_T_INT64, 0, 0, 0);
    } else {
        return false;
    }
    return true;
}

void arus__my_type_from_native(const char *native, struct arus_type *out)
{
    static const char *const texts[] = {"text", "mediumtext", "longtext", NULL};
    static const char *const blobs[] = {"tinyblob", "blob", "mediumblob", "longblob", NULL};
    static const char *const doubles[] = {"double", "real", NULL};
    static const char *const decimals[] = {"decimal", "numeric", "dec", "fixed", NULL};
    char w[32];
    int a = 0, b = 0;
    const char *rest = my_type_word(native ? native : "", w, sizeof w);
    int args = my_type_args(rest, &a, &b);
    bool is_unsigned = my_has_word(rest, "unsigned");

    if (my_integer_type(w, args, a, is_unsigned, out))
        return;
    if (strcmp(w, "bool") == 0 || strcmp(w, "boolean") == 0)
        my_set(out, ARUS_T_BOOL, 0, 0, 0);
    else if (my_is(w, decimals))
        my_set(out, ARUS_T_DECIMAL, 0, args >= 1 ? a : 10, args >= 2 ? b : 0);
    else if (strcmp(w, "float") == 0)
        my_set(out, ARUS_T_FLOAT32, 0, 0, 0);
    else if (my_is(w, doubles))
        my_set(out, ARUS_T_FLOAT64, 0, 0, 0);
    else if (strcmp(w, "char") == 0 || strcmp(w, "varchar") == 0)
        my_set(out, ARUS_T_STRING, args >= 1 ? a : 1, 0, 0);
    else if (strcmp(w, "tinytext") == 0)
        my_set(out, ARUS_T_STRING, 255, 0, 0);
    else if (strcmp(w, "json") == 0)
        my_set(out, ARUS_T_JSON, 0, 0, 0);
    else if (my_is(w, texts))
        my_set(out, ARUS_T_STRING, 0, 0, 0);
    else if (strcmp(w, "binary") == 0 || strcmp(w, "varbinary") == 0)
        my_set(out, ARUS_T_BYTES, args >= 1 ? a : 1, 0, 0);
    else if (my_is(w, blobs))
        my_set(out, ARUS_T_BYTES, 0, 0, 0);
    else if (strcmp(w, "date") == 0)
        my_set(out, ARUS_T_DATE, 0, 0, 0);
    else if (strcmp(w, "datetime") == 0)
        my_set(out, ARUS_T_TIMESTAMP, 0, 0, 0);
    else if (strcmp(w, "timestamp") == 0) /* stored as UTC instants; the session is +00:00 */
        my_set(out, ARUS_T_TIMESTAMPTZ, 0, 0, 0);
    else if (strcmp(w, "time") == 0)
        my_set(out, ARUS_T_TIME, 0, 0, 0);
    else if (strcmp(w, "year") == 0)
        my_set(out, ARUS_T_INT16, 0, 0, 0);
    else if (strcmp(w, "bit") == 0)
        my_set(out, ARUS_T_INT64, 0, 0, 0);
    else if (strcmp(w, "uuid") == 0) /* MariaDB >= 10.7 */
        my_set(out, ARUS_T_UUID, 0, 0, 0);
    else /* enum, set, inet4/6 and anything unknown keep their text */
        my_set(out, ARUS_T_STRING, 0, 0, 0);
}

void arus__my_type_to_native(const struct arus_type *t, struct arus_strbuf *sb)
{
    switch (t->ltype) {
    case ARUS_T_BOOL:
        arus_strbuf_puts(sb, "TINYINT(1)");
        break;
    case ARUS_T_INT16:
        arus_strbuf_puts(sb, "SMALLINT");
        break;
    case ARUS_T_INT32:
        arus_strbuf_puts(sb, "INT");
        break;
    case ARUS_T_INT64:
        arus_strbuf_puts(sb, "BIGINT");
        break;
    case ARUS_T_UINT64:
        arus_strbuf_puts(sb, "BIGINT UNSIGNED");
        break;
    case ARUS_T_DECIMAL:
        if (t->precision > 0 && t->precision <= MY_DECIMAL_MAX_PRECISION && t->scale >= 0 &&
            t->scale <= MY_DECIMAL_MAX_SCALE && t->scale <= t->precision)
            arus_strbuf_appendf(sb, "DECIMAL(%d,%d)", t->precision, t->scale);
        else
            arus_strbuf_appendf(sb, "DECIMAL(%d,%d)", MY_DECIMAL_MAX_PRECISION,
                                MY_DECIMAL_WIDE_SCALE);
        break;
    case ARUS_T_FLOAT32:
        arus_strbuf_puts(sb, "FLOAT");
        break;
    case ARUS_T_FLOAT64:
        arus_strbuf_puts(sb, "DOUBLE");
        break;
    case ARUS_T_STRING:
        /* VARCHAR counts 4 bytes a character against the 64 KiB row limit: only short
         * strings stay VARCHAR, the rest go to TEXT types that live off-row. */
        if (t->length > 0 && t->length <= 255)
            arus_strbuf_appendf(sb, "VARCHAR(%d)", t->length);
        else if (t->length > 0 && t->length <= 16383)
            arus_strbuf_puts(sb, "TEXT");
        else
            arus_strbuf_puts(sb, "LONGTEXT");
        break;
    case ARUS_T_BYTES:
        if (t->length > 0 && t->length <= 255)
            arus_strbuf_appendf(sb, "VARBINARY(%d)", t->length);
        else
            arus_strbuf_puts(sb, "LONGBLOB");
        break;
    case ARUS_T_UUID:
        arus_strbuf_puts(sb, "CHAR(36)");
        break;
    case ARUS_T_DATE:
        arus_strbuf_puts(sb, "DATE");
        break;
    case ARUS_T_TIME:
        arus_strbuf_puts(sb, "TIME(6)");
        break;
    case ARUS_T_TIMESTAMP:
    case ARUS_T_TIMESTAMPTZ:
        arus_strbuf_puts(sb, "DATETIME(6)");
        break; /* UTC for TZ */
    case ARUS_T_JSON:
        arus_strbuf_puts(sb, "JSON");
        break;
    case ARUS_T_INTERVAL:
        arus_strbuf_puts(sb, "VARCHAR(64)");
        break;
    case ARUS_T__COUNT:
        arus_strbuf_puts(sb, "LONGTEXT");
        break;
    }
}

/* The cell formatters below run once per cell of every extracted row: digits are written by
 * hand where snprintf's format parsing would cost more than the conversion itself (the
 * output is byte for byte what the "%02u" formats give). */

/* v (below 10^width) as exactly width digits, zero-padded. */
static char *my_put_fixed(char *p, unsigned long v, int width)
{
    for (int i = width - 1; i >= 0; i--, v /= 10)
        p[i] = (char)('0' + v % 10);
    return p + width;
}

/* Shortest "%.*g" text that reads back to the same value. */
int arus__my_format_double(char *buf, size_t n, double d, bool is_float)
{
    if (isnan(d))
        return snprintf(buf, n, "NaN");
    if (isinf(d))
        return snprintf(buf, n, d < 0 ? "-Infinity" : "Infinity");
    /* A whole number below 10^6 (float) or 10^15 (double) prints with all its digits and no
     * exponent at the first precision tried, and reads back exactly: its integer text is the
     * same. */
    if (n >= 22 && d == trunc(d) && fabs(d) < (is_float ? 1e6 : 1e15) && d != 0)
        return arus_format_integer(buf, (long long)d, false);
    if (!is_float)
        return arus_format_double(buf, n, d);
    int lo = is_float ? 6 : 15, hi = is_float ? 9 : 17;
    for (int p = lo; p < hi; p++) {
        int len = snprintf(buf, n, "%.*g", p, d);
        if (is_float ? strtof(buf, NULL) == (float)d : strtod(buf, NULL) == d)
            return len;
    }
    return snprintf(buf, n, "%.*g", hi, d);
}

int arus__my_format_time(char *buf, size_t n, const MYSQL_TIME *t, enum enum_field_types type)
{
    int len;
    if (type != MYSQL_TYPE_TIME && n >= 32 && t->year <= 9999 && t->month <= 99 && t->day <= 99 &&
        t->hour <= 99 && t->minute <= 99 && t->second <= 99 && t->second_part < 1000000) {
        char *p = my_put_fixed(buf, t->year, 4);
        *p++ = '-';
        p = my_put_fixed(p, t->month, 2);
        *p++ = '-';
        p = my_put_fixed(p, t->day, 2);
        if (type != MYSQL_TYPE_DATE) {
            *p++ = ' ';
            p = my_put_fixed(p, t->hour, 2);
            *p++ = ':';
            p = my_put_fixed(p, t->minute, 2);
            *p++ = ':';
            p = my_put_fixed(p, t->second, 2);
            if (t->second_part) {
                *p++ = '.';
                p = my_put_fixed(p, t->second_part, 6);
            }
        }
        *p = '\0';
        len = (int)(p - buf);
        return type != MYSQL_TYPE_DATE && t->second_part ? (int)arus_trim_fraction(buf, (size_t)len)
                                                         : len;
    }
    if (type == MYSQL_TYPE_TIME)
        len = snprintf(buf, n, "%s%02u:%02u:%02u", t->neg ? "-" : "", t->day * 24 + t->hour,
                       t->minute, t->second);
    else if (type == MYSQL_TYPE_DATE)
        return snprintf(buf, n, "%04u-%02u-%02u", t->year, t->month, t->day);
    else
        len = snprintf(buf, n, "%04u-%02u-%02u %02u:%02u:%02u", t->year, t->month, t->day, t->hour,
                       t->minute, t->second);
    if (t->second_part) {
        len += snprintf(buf + len, n - (size_t)len, ".%06lu", t->second_part);
        len = (int)arus_trim_fraction(buf, (size_t)len);
    }
    return len;
}

/* The comparison form of a cell for arus verify (arus__verify_canon, core/verify_internal.h):
 * canonical text with the spellings that differ between storages folded together, so that
 * rows read back from any destination compare equal to the source's when their values are. */
#include <ctype.h>
#include <json-c/json.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arus/arena.h"
#include "arus/strbuf.h"
#include "core/verify_internal.h"

static bool is_true(const char *p, size_t n)
{
    return (n == 1 && (p[0] == 't' || p[0] == '1')) || (n == 4 && strncasecmp(p, "true", 4) == 0);
}

static bool is_false(const char *p, size_t n)
{
    return (n == 1 && (p[0] == 'f' || p[0] == '0')) || (n == 5 && strncasecmp(p, "false", 5) == 0);
}

/* Drop trailing zeros of a fraction, and the point when nothing is left after it. */
static size_t trim_fraction(const char *p, size_t n)
{
    const char *dot = memchr(p, '.', n);
    if (!dot)
        return n;
    while (n > (size_t)(dot - p) + 1 && p[n - 1] == '0')
        n--;
    return n == (size_t)(dot - p) + 1 ? n - 1 : n;
}

static void canon_decimal(const char *p, size_t n, struct arus_strbuf *out)
{
    if (n && p[0] == '+') {
        p++;
        n--;
    }
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)p[i]) && p[i] != '.' && !(i == 0 && p[i] == '-')) {
            arus_strbuf_append(out, p, n); /* NaN and anything unexpected */
            return;
        }
    n = trim_fraction(p, n);
    /* "-0" and "-0.0" are zero */
    bool zero = true;
    for (size_t i = 0; i < n; i++)
        zero &= p[i] == '0' || p[i] == '-' || p[i] == '.';
    if (zero && n)
        arus_strbuf_putc(out, '0');
    else
        arus_strbuf_append(out, p, n);
}

static void canon_float(const char *p, size_t n, bool single, struct arus_strbuf *out)
{
    char buf[64];
    if (n == 0 || n >= sizeof buf) {
        arus_strbuf_append(out, p, n);
        return;
    }
    memcpy(buf, p, n);
    buf[n] = '\0';
    char *end;
    double d = single ? (double)strtof(buf, &end) : strtod(buf, &end);
    if (*end) {
        arus_strbuf_append(out, p, n);
    } else if (isnan(d)) {
        arus_strbuf_puts(out, "NaN");
    } else if (isinf(d)) {
        arus_strbuf_puts(out, d < 0 ? "-Infinity" : "Infinity");
    } else {
        arus_strbuf_appendf(out, single ? "%.9g" : "%.17g", d);
    }
}

static void canon_time(const char *p, size_t n, bool timestamp, struct arus_strbuf *out)
{
    static const char *const utc[] = {"+00:00", "+0000", "+00", " UTC", "Z"};
    for (size_t i = 0; i < sizeof utc / sizeof *utc; i++) {
        size_t k = strlen(utc[i]);
        if (n > k && memcmp(p + n - k, utc[i], k) == 0) {
            n -= k;
            break;
        }
    }
    n = trim_fraction(p, n);
    size_t start = out->len;
    arus_strbuf_append(out, p, n);
    if (timestamp && n > 10 && out->data[start + 10] == 'T')
        out->data[start + 10] = ' ';
}

static int key_order(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* JSON with object keys sorted bytewise and no insignificant space; numbers with a fraction
 * or exponent by their double value, integers and strings as json-c prints them (the same way
 * for both sides). Returns false for an integer json-c may have clamped to 64 bits (a value at
 * a limit; widen_long_ints turns longer ones into doubles): the document is then compared as
 * its text. */
static bool canon_json_value(struct json_object *o, struct arus_strbuf *out)
{
    bool exact = true;
    switch (json_object_get_type(o)) {
    case json_type_string:
        arus_json_quote(out, json_object_get_string(o), (size_t)json_object_get_string_len(o));
        return true;
    case json_type_array: {
        size_t n = json_object_array_length(o);
        arus_strbuf_putc(out, '[');
        for (size_t i = 0; i < n; i++) {
            arus_strbuf_puts(out, i ? "," : "");
            exact &= canon_json_value(json_object_array_get_idx(o, i), out);
        }
        arus_strbuf_putc(out, ']');
        return exact;
    }
    case json_type_object: {
        size_t n = (size_t)json_object_object_length(o), k = 0;
        const char **keys = arus_xcalloc(n ? n : 1, sizeof *keys);
        json_object_object_foreach(o, key, val)
        {
            (void)val;
            keys[k++] = key;
        }
        qsort(keys, k, sizeof *keys, key_order);
        arus_strbuf_putc(out, '{');
        for (size_t i = 0; i < k; i++) {
            arus_strbuf_puts(out, i ? "," : "");
            arus_json_quote(out, keys[i], strlen(keys[i]));
            arus_strbuf_putc(out, ':');
            exact &= canon_json_value(json_object_object_get(o, keys[i]), out);
        }
        arus_strbuf_putc(out, '}');
        free(keys);
        return exact;
    }
    case json_type_double: {
        /* by value: jsonb keeps 1e300 as 1000...0 and 2.50 as written, MySQL JSON as a double */
        double d = json_object_get_double(o);
        if (isfinite(d)) {
            arus_strbuf_appendf(out, "%.17g", d);
            return true;
        }
        break;
    }
    case json_type_int: {
        int64_t v = json_object_get_int64(o);
        exact = v != INT64_MIN && (v != INT64_MAX || json_object_get_uint64(o) != UINT64_MAX);
        break;
    }
    default:
        break;
    }
    arus_strbuf_puts(out, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
    return exact;
}

/* An integer literal (digits after an optional '-') beyond the 64-bit range json-c holds. */
static bool beyond_64_bits(const char *p, size_t n)
{
    bool neg = n && p[0] == '-';
    const char *limit = neg ? "9223372036854775808" : "18446744073709551615";
    size_t digits = n - neg, ln = strlen(limit);
    return digits > ln || (digits == ln && memcmp(p + neg, limit, ln) > 0);
}

/* Copy JSON text into sb with ".0" after every integer literal json-c would clamp to 64 bits,
 * so that it reads such a number as a double (PostgreSQL's jsonb prints 1e300 as 301 digits).
 * Written by hand: json-c has no option for it; only strings and numbers need recognising. */
static void widen_long_ints(const char *p, size_t n, struct arus_strbuf *sb)
{
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        if (p[i] == '"') {
            while (j < n && p[j] != '"')
                j += p[j] == '\\' ? 2 : 1;
            j = j < n ? j + 1 : n;
        } else if (p[i] == '-' || isdigit((unsigned char)p[i])) {
            bool integer = true;
            while (j < n && (isdigit((unsigned char)p[j]) || strchr(".eE+-", p[j]))) {
                integer &= isdigit((unsigned char)p[j]) != 0;
                j++;
            }
            arus_strbuf_append(sb, p + i, j - i);
            if (integer && beyond_64_bits(p + i, j - i))
                arus_strbuf_puts(sb, ".0");
            i = j;
            continue;
        }
        arus_strbuf_append(sb, p + i, j - i);
        i = j;
    }
}

static void canon_json(const char *p, size_t n, struct arus_strbuf *out)
{
    struct arus_strbuf wide;
    arus_strbuf_init(&wide);
    widen_long_ints(p, n, &wide);
    struct json_tokener *tok = json_tokener_new();
    struct json_object *o = json_tokener_parse_ex(tok, wide.data ? wide.data : "", (int)wide.len);
    size_t start = out->len;
    bool whole = json_tokener_get_error(tok) == json_tokener_success &&
                 json_tokener_get_parse_end(tok) == wide.len;
    if (!whole || !canon_json_value(o, out)) {
        out->len = start;
        arus_strbuf_append(out, p, n);
    }
    json_object_put(o);
    json_tokener_free(tok);
    arus_strbuf_cleanup(&wide);
}

void arus__verify_canon(enum arus_ltype t, const char *p, size_t n, struct arus_strbuf *out)
{
    switch (t) {
    case ARUS_T_BOOL:
        arus_strbuf_puts(out, is_true(p, n) ? "true" : is_false(p, n) ? "false" : "");
        if (!is_true(p, n) && !is_false(p, n))
            arus_strbuf_append(out, p, n);
        return;
    case ARUS_T_INT16:
    case ARUS_T_INT32:
    case ARUS_T_INT64:
    case ARUS_T_UINT64:
        if (n > 1 && p[0] == '+')
            arus_strbuf_append(out, p + 1, n - 1);
        else
            arus_strbuf_append(out, p, n);
        return;
    case ARUS_T_DECIMAL:
        canon_decimal(p, n, out);
        return;
    case ARUS_T_FLOAT32:
    case ARUS_T_FLOAT64:
        canon_float(p, n, t == ARUS_T_FLOAT32, out);
        return;
    case ARUS_T_UUID: {
        size_t start = out->len;
        arus_strbuf_append(out, p, n);
        for (size_t i = start; i < out->len; i++)
            out->data[i] = (char)tolower((unsigned char)out->data[i]);
        return;
    }
    case ARUS_T_TIME:
    case ARUS_T_TIMESTAMP:
    case ARUS_T_TIMESTAMPTZ:
        canon_time(p, n, t != ARUS_T_TIME, out);
        return;
    case ARUS_T_JSON:
        canon_json(p, n, out);
        return;
    default:
        arus_strbuf_append(out, p, n);
        return;
    }
}

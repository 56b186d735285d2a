/* Watermark ordering and arithmetic on canonical cell text: comparisons per logical type
 * (integers and decimals/floats exactly by value from their digits, everything else by its
 * canonical text, whose layout sorts correctly), and the lookback window subtracted from
 * time-typed watermarks. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "arus/arena.h"
#include "arus/util.h"
#include "core/sync_internal.h"

/* Compare decimal integer texts without converting (they may exceed int64). */
static int compare_integer_text(const char *a, size_t an, const char *b, size_t bn)
{
    bool na = an && a[0] == '-', nb = bn && b[0] == '-';
    if (na != nb)
        return na ? -1 : 1;
    if (na) {
        a++, an--, b++, bn--;
    }
    int mag = an != bn ? (an < bn ? -1 : 1) : memcmp(a, b, an);
    if (mag > 0)
        mag = 1;
    else if (mag < 0)
        mag = -1;
    return na ? -mag : mag;
}

/* A decimal or float text as a value: -Infinity < finite < Infinity < NaN (PostgreSQL's numeric
 * order; NaN equals NaN). A finite non-zero value is 0.D x 10^exp, D being its digits from the
 * first non-zero one (the '.' skipped, trailing zeros not significant). */
enum { NUM_NEG_INF, NUM_FINITE, NUM_POS_INF, NUM_NAN };
struct num_text {
    int kind;
    bool neg;
    const char *digits; /* first significant digit; NULL for zero */
    const char *end;    /* end of the digits (may hold one '.') */
    long exp;
};

static bool word_is(const char *p, const char *end, const char *w)
{
    size_t n = strlen(w);
    return (size_t)(end - p) == n && memcmp(p, w, n) == 0;
}

/* Parse [+-]digits[.digits][(e|E)[+-]digits], "NaN", "[+-]Infinity" (also "inf"); false when
 * the text is none of these. */
static bool parse_num(const char *p, size_t n, struct num_text *out)
{
    const char *end = p + n;
    memset(out, 0, sizeof *out);
    out->kind = NUM_FINITE;
    if (p < end && (*p == '-' || *p == '+'))
        out->neg = *p++ == '-';
    if (word_is(p, end, "Infinity") || word_is(p, end, "inf")) {
        out->kind = out->neg ? NUM_NEG_INF : NUM_POS_INF;
        return true;
    }
    if (word_is(p, end, "NaN") || word_is(p, end, "nan")) {
        out->kind = NUM_NAN;
        return true;
    }
    const char *mant = p;
    long int_digits = 0;
    size_t ndigits = 0;
    bool point = false;
    for (; p < end; p++) {
        if (*p >= '0' && *p <= '9') {
            ndigits++;
            int_digits += !point;
        } else if (*p == '.' && !point) {
            point = true;
        } else {
            break;
        }
    }
    const char *mant_end = p;
    if (ndigits == 0)
        return false;
    long exp = 0;
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        bool eneg = p < end && *p == '-';
        if (p < end && (*p == '-' || *p == '+'))
            p++;
        if (p == end)
            return false;
        for (; p < end && *p >= '0' && *p <= '9'; p++)
            if (exp < LONG_MAX / 20)
                exp = exp * 10 + (*p - '0'); /* saturates far beyond any real exponent */
        exp = eneg ? -exp : exp;
    }
    if (p != end)
        return false;
    long leading = 0;
    const char *q = mant;
    for (; q < mant_end && (*q == '0' || *q == '.'); q++)
        leading += *q == '0';
    if (q == mant_end)
        return true; /* zero, whatever its sign */
    out->digits = q;
    out->end = mant_end;
    out->exp = int_digits - leading + exp;
    return true;
}

/* Next significant digit at *p (skipping '.'), '0' once the digits have run out. */
static char next_digit(const char **p, const char *end)
{
    if (*p < end && **p == '.')
        (*p)++;
    return *p < end ? *(*p)++ : '0';
}

/* Order decimal/float texts exactly into *out (<0, 0, >0); false when either is not a number. */
static bool compare_number_text(const char *a, size_t an, const char *b, size_t bn, int *out)
{
    struct num_text x, y;
    if (!parse_num(a, an, &x) || !parse_num(b, bn, &y))
        return false;
    int sx = x.digits ? (x.neg ? -1 : 1) : 0, sy = y.digits ? (y.neg ? -1 : 1) : 0;
    if (x.kind != y.kind || x.kind != NUM_FINITE) {
        *out = x.kind < y.kind ? -1 : x.kind > y.kind;
        return true;
    }
    if (sx != sy || sx == 0) {
        *out = sx < sy ? -1 : sx > sy;
        return true;
    }
    int mag = 0;
    if (x.exp != y.exp) {
        mag = x.exp < y.exp ? -1 : 1;
    } else {
        const char *p = x.digits, *q = y.digits;
        while (mag == 0 && (p < x.end || q < y.end)) {
            char c = next_digit(&p, x.end), d = next_digit(&q, y.end);
            mag = c < d ? -1 : c > d;
        }
    }
    *out = sx < 0 ? -mag : mag;
    return true;
}

int arus__cell_compare(enum arus_ltype t, const char *a, size_t an, const char *b, size_t bn)
{
    switch (t) {
    case ARUS_T_INT16:
    case ARUS_T_INT32:
    case ARUS_T_INT64:
    case ARUS_T_UINT64:
        if (arus_is_integer_text(a, an) && arus_is_integer_text(b, bn))
            return compare_integer_text(a, an, b, bn);
        break;
    case ARUS_T_FLOAT32:
    case ARUS_T_FLOAT64:
    case ARUS_T_DECIMAL: {
        int c;
        if (compare_number_text(a, an, b, bn, &c))
            return c;
        break;
    }
    default:
        break;
    }
    size_t n = an < bn ? an : bn;
    int c = memcmp(a, b, n);
    if (c)
        return c < 0 ? -1 : 1;
    return an < bn ? -1 : an > bn;
}

void arus__track_max(struct full_refresh_max *m, const struct arus_batch *b)
{
    if (m->column < 0)
        return;
    enum arus_ltype t = b->schema->columns[m->column].type.ltype;
    for (size_t r = 0; r < b->nrows; r++) {
        const struct arus_cell *c = &arus_batch_row(b, r)[m->column];
        if (!c->data)
            continue;
        if (m->value && arus__cell_compare(t, c->data, c->len, m->value, strlen(m->value)) <= 0)
            continue;
        free(m->value);
        m->value = arus_xmalloc(c->len + 1);
        memcpy(m->value, c->data, c->len);
        m->value[c->len] = '\0';
    }
}

const char *arus__lookback(const char *wm, const struct arus_column *col,
                           double lookback_seconds, char *buf, size_t n)
{
    if (!wm || lookback_seconds <= 0)
        return wm;
    int64_t micros;
    if (!arus_parse_timestamp(wm, strlen(wm), &micros) ||
        !arus_time_cell(col->type.ltype, micros - (int64_t)(lookback_seconds * 1e6), buf, n))
        return wm;
    return buf;
}

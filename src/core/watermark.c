/* Watermark ordering and arithmetic on canonical cell text: comparisons per logical type
 * (integers by value, everything else by its canonical text, whose layout sorts correctly),
 * and the lookback window subtracted from time-typed watermarks. */
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
        double x = strtod(a, NULL), y = strtod(b, NULL);
        return x < y ? -1 : x > y;
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
    enum arus_ltype t = col->type.ltype;
    int64_t micros;
    if ((t != ARUS_T_TIMESTAMP && t != ARUS_T_TIMESTAMPTZ && t != ARUS_T_DATE) ||
        !arus_parse_timestamp(wm, strlen(wm), &micros))
        return wm;
    micros -= (int64_t)(lookback_seconds * 1e6);
    arus_format_timestamp(micros, buf, n);
    if (t == ARUS_T_DATE && strlen(buf) > 10)
        buf[10] = '\0';
    return buf;
}

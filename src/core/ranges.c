/* Key ranges of a split load (docs/consistency.md "Split loads"): how one integer primary key
 * is cut into ranges from its minimum and maximum, and the text of a range's bounds as its
 * state row keeps it (arus/state.h). The engine's use of them is in split.c. */
#include "core/sync_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arus/arena.h"
#include "arus/util.h"

size_t arus__split_keys(int64_t min, int64_t max, size_t k, int64_t *cuts)
{
    if (k < 1 || max < min)
        return 1;
    /* unsigned: max - min + 1 overflows int64 for keys across the whole range (and wraps to 0
     * for all 2^64 keys, which no table holds); span * i / k as q * i + r * i / k, exact and
     * without overflow (r * i < k * k) */
    uint64_t span = (uint64_t)max - (uint64_t)min + 1;
    if (span && k > span)
        k = (size_t)span;
    uint64_t q = span / k, r = span % k;
    for (size_t i = 1; i < k; i++)
        cuts[i - 1] = (int64_t)((uint64_t)min + q * i + r * i / k);
    return k;
}

void arus__range_bounds_format(char *buf, size_t n, const char *lo, const char *hi)
{
    snprintf(buf, n, "%s %s", lo ? lo : "-", hi ? hi : "-");
}

/* One end: "-" is open (NULL), else an integer copied to the heap. */
static bool bound_end(const char *s, size_t len, char **out)
{
    if (len == 1 && s[0] == '-') {
        *out = NULL;
        return true;
    }
    if (!arus_is_integer_text(s, len))
        return false;
    *out = arus_xmalloc(len + 1);
    memcpy(*out, s, len);
    (*out)[len] = '\0';
    return true;
}

bool arus__range_bounds_parse(const char *text, char **lo, char **hi)
{
    const char *sp = text ? strchr(text, ' ') : NULL;
    char *a = NULL, *b = NULL;
    if (!sp || !bound_end(text, (size_t)(sp - text), &a))
        return false;
    if (!bound_end(sp + 1, strlen(sp + 1), &b)) {
        free(a);
        return false;
    }
    *lo = a;
    *hi = b;
    return true;
}

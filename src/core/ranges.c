/* Key ranges of a split load (docs/consistency.md "Split loads"): how one integer primary key
 * is cut into ranges from its minimum and maximum, how other keys are cut at a sample's
 * quantiles (the helpers of the key_cuts source slot), and the text of a range's bounds as its
 * state row keeps it (arus/state.h). The engine's use of them is in split.c. */
#include "core/sync_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "arus/arena.h"
#include "arus/strbuf.h"
#include "arus/source.h"
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

/* Sampled keys per range: enough for ranges within a few percent of equal size. */
#define KEYS_PER_RANGE 1000

int64_t arus_key_sample_every(int64_t rows, size_t k)
{
    int64_t want = (int64_t)(k ? k : 1) * KEYS_PER_RANGE;
    return rows > want ? rows / want : 1;
}

size_t arus_key_cuts_pick(size_t m, size_t k, size_t *at)
{
    size_t n = 0;
    for (size_t i = 1; i < k && m; i++) {
        size_t r = m * i / k;
        if (!n || r != at[n - 1])
            at[n++] = r;
    }
    return n;
}

void arus__key_tuple_text(struct arus_strbuf *sb, const char *const *vals, size_t n)
{
    arus_strbuf_reset(sb);
    if (n == 1) {
        arus_strbuf_puts(sb, vals[0]);
        return;
    }
    arus_strbuf_putc(sb, '[');
    for (size_t i = 0; i < n; i++) {
        arus_strbuf_puts(sb, i ? ", " : "");
        arus_json_quote(sb, vals[i], strlen(vals[i]));
    }
    arus_strbuf_putc(sb, ']');
}

const char **arus__key_tuple_values(const char *text, size_t n, struct arus_arena *a)
{
    const char **vals = arus_arena_calloc(a, n, sizeof *vals);
    if (n == 1) {
        vals[0] = text;
        return vals;
    }
    struct json_object *o = json_tokener_parse(text);
    bool ok = o && json_object_is_type(o, json_type_array) && json_object_array_length(o) == n;
    for (size_t i = 0; ok && i < n; i++) {
        struct json_object *e = json_object_array_get_idx(o, i);
        ok = json_object_is_type(e, json_type_string);
        if (ok)
            vals[i] = arus_arena_strdup(a, json_object_get_string(e));
    }
    json_object_put(o);
    return ok ? vals : NULL;
}

/* An end as the integer form writes it: open, or integer text ("-" alone is open). */
static bool integer_end(const char *v) { return !v || arus_is_integer_text(v, strlen(v)); }

void arus__range_bounds_format(struct arus_strbuf *sb, const char *lo, const char *hi)
{
    arus_strbuf_reset(sb);
    if (integer_end(lo) && integer_end(hi)) {
        arus_strbuf_appendf(sb, "%s %s", lo ? lo : "-", hi ? hi : "-");
        return;
    }
    const char *ends[2] = {lo, hi};
    arus_strbuf_putc(sb, '[');
    for (int i = 0; i < 2; i++) {
        arus_strbuf_puts(sb, i ? ", " : "");
        if (ends[i])
            arus_json_quote(sb, ends[i], strlen(ends[i]));
        else
            arus_strbuf_puts(sb, "null");
    }
    arus_strbuf_putc(sb, ']');
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

/* The JSON form: an array of two ends, each a string or null. */
static bool bounds_json(const char *text, char **lo, char **hi)
{
    struct json_object *o = json_tokener_parse(text);
    bool ok = o && json_object_is_type(o, json_type_array) && json_object_array_length(o) == 2;
    char *ends[2] = {NULL, NULL};
    for (size_t i = 0; ok && i < 2; i++) {
        struct json_object *e = json_object_array_get_idx(o, i);
        if (json_object_is_type(e, json_type_string))
            ends[i] = arus_xstrdup(json_object_get_string(e));
        else
            ok = e == NULL; /* json-c gives NULL for a JSON null */
    }
    json_object_put(o);
    if (!ok) {
        free(ends[0]);
        free(ends[1]);
        return false;
    }
    *lo = ends[0];
    *hi = ends[1];
    return true;
}

bool arus__range_bounds_parse(const char *text, char **lo, char **hi)
{
    if (text && text[0] == '[')
        return bounds_json(text, lo, hi);
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

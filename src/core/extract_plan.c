/* The extract plan of every stream, built in one place so that every source reads the same
 * rows in the same order (see arus/source.h for what each field means and how a source
 * translates it). The rules:
 *   incremental  live rows (or all, without deleted_at) from the stored watermark minus the
 *                lookback, inclusive; rows with a NULL watermark come first on every run (they
 *                cannot be placed in time; the merge makes the re-read harmless); ordered by
 *                (watermark NULLS FIRST, pk). The engine caps the watermark it stores at the
 *                source's commit horizon, so rows committed late are read on the next run.
 *   keyless      (no primary key: nothing to merge a re-read on) from the stored watermark,
 *                inclusive, up to the commit horizon, exclusive, so each row is read once;
 *                without a horizon from the stored watermark, exclusive. No lookback. NULL
 *                watermarks on the first run only.
 *   soft deletes deleted rows, bounded and ordered like the main stream by the deletes
 *                watermark (NULL watermarks on the first run only); see deleted_at_bounded.
 *   full refresh live rows (or all), no bound and no order: the refreshed table replaces the
 *                old one whole, so the server may stream a plain scan.
 *   by key       live rows (or all), no bound, ordered by the primary key alone: what arus
 *                verify and delete_missing merge with the destination's rows read by key.
 *   key range    a by-key plan restricted to [lower, upper) of the key: one range of a split
 *                full refresh or first load (src/core/ranges.c); ordered, so the last key a
 *                batch loaded is where a resumed range starts (exclusive). */
#include "core/extract_plan.h"

#include <string.h>

#include "arus/arena.h"
#include "core/sync_internal.h"

/* Index of the column `name` names in t, with the error every source used to report. */
static int find_column(const struct arus_table_schema *t, const char *name, int *out,
                       struct arus_error *err)
{
    *out = arus_schema_find(t, name);
    if (*out < 0)
        return arus_error_set(err, ARUS_ENOTFOUND, "column \"%s\" not found in table \"%s\"", name,
                              t->name);
    return ARUS_OK;
}

/* The primary key in key order, without the watermark column: ordering by (wm, k1, wm, k2)
 * is ordering by (wm, k1, k2), and a MongoDB filter cannot name one field twice. */
static void plan_key(struct arus_extract_plan *p, struct arus_arena *a)
{
    const struct arus_table_schema *t = p->table;
    size_t *key = arus_arena_calloc(a, t->ncolumns ? t->ncolumns : 1, sizeof *key);
    size_t n = arus_schema_pk(t, key), kept = 0;
    for (size_t i = 0; i < n; i++)
        if ((int)key[i] != p->watermark)
            key[kept++] = key[i];
    p->key = key;
    p->nkey = kept;
}

bool arus__extract_keyless(const struct arus_table_schema *t)
{
    for (size_t i = 0; i < t->ncolumns; i++)
        if (t->columns[i].pk_ordinal > 0)
            return false;
    return true;
}

int arus__extract_plan_build(struct arus_extract_plan *out, const struct arus_table_schema *t,
                             const struct arus_sync_mode *m, enum arus__extract_kind kind,
                             const char *watermark, const char *horizon, double lookback_seconds,
                             size_t batch_size, struct arus_arena *a, struct arus_error *err)
{
    struct arus_extract_plan p = {
        .table = t,
        .batch_size = batch_size,
        .watermark = -1,
        .deleted_at = -1,
        .rows = ARUS_ROWS_ALL,
        .nulls = ARUS_NULLS_FIRST,
    };
    int rc;
    if (m->deleted_at_column) {
        if ((rc = find_column(t, m->deleted_at_column, &p.deleted_at, err)))
            return rc;
        p.rows = kind == ARUS__EXTRACT_SOFT_DELETES ? ARUS_ROWS_DELETED : ARUS_ROWS_LIVE;
    } else if (kind == ARUS__EXTRACT_SOFT_DELETES) {
        return arus_error_set(err, ARUS_EINVAL, "table \"%s\" has no deleted_at column", t->name);
    }
    if (kind == ARUS__EXTRACT_BY_KEY) {
        plan_key(&p, a);
        if (p.nkey == 0)
            return arus_error_set(err, ARUS_EINVAL, "table \"%s\" has no primary key", t->name);
        p.ordered = true;
        *out = p;
        return ARUS_OK;
    }
    if (kind == ARUS__EXTRACT_FULL_REFRESH) {
        /* The engine tracks the newest watermark of a full refresh itself (arus__track_max). */
        *out = p;
        return ARUS_OK;
    }
    if (!m->watermark_column)
        return arus_error_set(err, ARUS_EINVAL, "table \"%s\" has no watermark column", t->name);
    if ((rc = find_column(t, m->watermark_column, &p.watermark, err)))
        return rc;
    plan_key(&p, a);
    p.ordered = true;
    bool keyless = kind == ARUS__EXTRACT_INCREMENTAL && arus__extract_keyless(t);
    char buf[64];
    const char *from = keyless ? watermark
                               : arus__lookback(watermark, &t->columns[p.watermark],
                                                lookback_seconds, buf, sizeof buf);
    p.lower.watermark = from ? arus_arena_strdup(a, from) : NULL;
    p.lower.inclusive = !keyless || horizon;
    if (keyless && horizon) {
        p.upper.watermark = arus_arena_strdup(a, horizon);
        p.upper.inclusive = false;
    }
    /* NULL watermarks cannot be bounded: a keyed main stream reads them on every run (first,
     * so the watermark reached is the last row's); other streams cannot tell new ones from
     * old ones and read them on the first run only. */
    p.nulls = !from || (kind == ARUS__EXTRACT_INCREMENTAL && !keyless) ? ARUS_NULLS_FIRST
                                                                       : ARUS_NULLS_EXCLUDED;
    /* The soft-delete rule: a row soft-deleted without touching its watermark column keeps
     * its old watermark, below the bound; deleted_at then tells that it changed. That needs
     * deleted_at comparable with the watermark text, i.e. of the same logical type; when
     * deleted_at is the watermark column the bound already is on it. */
    p.deleted_at_bounded =
        kind == ARUS__EXTRACT_SOFT_DELETES && from && p.deleted_at != p.watermark &&
        t->columns[p.deleted_at].type.ltype == t->columns[p.watermark].type.ltype;
    *out = p;
    return ARUS_OK;
}

int arus__extract_plan_range(struct arus_extract_plan *out, const struct arus_table_schema *t,
                             const struct arus_sync_mode *m, const char *const *lower,
                             bool lower_inclusive, const char *const *upper, size_t batch_size,
                             struct arus_arena *a, struct arus_error *err)
{
    struct arus_extract_plan p;
    int rc = arus__extract_plan_build(&p, t, m, ARUS__EXTRACT_BY_KEY, NULL, NULL, 0, batch_size,
                                      a, err);
    if (rc != ARUS_OK)
        return rc;
    p.key_range.lower = lower;
    p.key_range.lower_inclusive = lower_inclusive;
    p.key_range.upper = upper;
    *out = p;
    return ARUS_OK;
}

/* Split loads (docs/consistency.md "Split loads"; the state rows in arus/state.h): a full
 * refresh or first load of one table cut into key ranges, loaded on up to the table's
 * parallelism connection pairs, each range's batches committed with the range's progress. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arus/arena.h"
#include "arus/log.h"
#include "arus/state.h"
#include "arus/sync.h"
#include "arus/util.h"
#include "core/extract_plan.h"
#include "core/sync_internal.h"

static const char *const split_kind[] = {"", "refresh", "first"};

/* Write the header row of a split load: "<kind> <k>" and the cap, or NULL once finished. */
int arus__store_split_header(struct table_job *j, const struct split *s, bool finished,
                             struct arus_error *err)
{
    char name[512], head[32];
    arus_state_range_name(name, sizeof name, j->target.table, -1);
    snprintf(head, sizeof head, "%s %zu", split_kind[s->kind], s->k);
    struct arus_target t = j->target;
    t.table = name;
    struct arus_table_state st = {.watermark = finished ? NULL : head,
                                  .deletes_watermark = finished ? NULL : s->cap,
                                  .run_id = j->target.run_id};
    return arus_destination_update_watermark(j->dst, &t, &st, err);
}

/* Write range k's row: bounds, progress, newest watermark read. */
int arus__store_range(struct table_job *j, const struct split *s, size_t k, struct arus_error *err)
{
    const struct split_range *r = &s->r[k];
    char name[512];
    arus_state_range_name(name, sizeof name, j->target.table, (long)k);
    struct arus_strbuf bounds;
    arus_strbuf_init(&bounds);
    arus__range_bounds_format(&bounds, r->lo, r->hi);
    struct arus_target t = j->target;
    t.table = name;
    struct arus_table_state st = {.watermark = r->progress,
                                  .deletes_watermark = arus_strbuf_cstr(&bounds),
                                  .run_id = j->target.run_id,
                                  .held_from = r->max.value};
    int rc = arus_destination_update_watermark(j->dst, &t, &st, err);
    arus_strbuf_cleanup(&bounds);
    return rc;
}

void arus__split_free(struct split *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->k; i++) {
        free(s->r[i].lo);
        free(s->r[i].hi);
        free(s->r[i].progress);
        free(s->r[i].max.value);
    }
    free(s->r);
    free(s->cap);
    free(s->key);
    free(s);
}

static struct split *split_new(struct table_job *j, int kind, size_t k, const size_t *key,
                               size_t nkey)
{
    struct split *s = arus_xcalloc(1, sizeof *s);
    s->kind = kind;
    s->k = k;
    s->key = arus_xcalloc(nkey, sizeof *s->key);
    memcpy(s->key, key, nkey * sizeof *key);
    s->nkey = nkey;
    s->r = arus_xcalloc(k, sizeof *s->r);
    for (size_t i = 0; i < k; i++)
        s->r[i].max.column = j->wm_index;
    return s;
}

/* Forget the state rows of a split load of k ranges (best effort: a NULL header already voids
 * them); with the shadow of a refresh when drop_shadow. */
void arus__split_forget(struct table_job *j, long k, bool drop_shadow)
{
    struct arus_error ignored;
    char name[512];
    int64_t n;
    for (long i = -1; i < k; i++) {
        arus_error_clear(&ignored);
        arus_state_range_name(name, sizeof name, j->target.table, i);
        if (arus_destination_forget_state(j->dst, j->p->name, name, &n, &ignored) == ARUS_ENOTSUP)
            break;
    }
    if (drop_shadow) {
        struct arus_target t = j->target;
        t.shadow = true;
        arus_error_clear(&ignored);
        arus_destination_drop_shadow(j->dst, &t, &ignored);
    }
}

/* The connection pairs of this table's split load: its own `parallelism:`, else the
 * pipeline's unless other tables share those pairs now. */
static int64_t table_parallelism(const struct table_job *j)
{
    if (j->pairs == ARUS__PAIRS_NONE)
        return 1;
    const struct arus_table_override *o = arus_pipeline_override(j->p, j->target.table);
    if (o && o->parallelism > 0)
        return o->parallelism;
    return j->pairs == ARUS__PAIRS_SHARED ? 1 : j->p->parallelism;
}

/* The key columns a split load cuts on into key (room for every column): the primary key's,
 * none hashed or of a type without an order to cut, none that may hold NULL (no range holds a
 * NULL key, and SQLite lets a key column other than the rowid hold NULL). Returns how many;
 * 0 when the table has no such key. */
static size_t split_key(const struct table_job *j, size_t *key)
{
    size_t nkey = arus_schema_pk(j->schema, key);
    for (size_t c = 0; c < nkey; c++) {
        const struct arus_column *col = &j->schema->columns[key[c]];
        switch (col->type.ltype) {
        case ARUS_T_BOOL:
        case ARUS_T_FLOAT32:
        case ARUS_T_FLOAT64:
        case ARUS_T_BYTES:
        case ARUS_T_JSON:
            return 0;
        default:
            break;
        }
        if (col->nullable)
            return 0;
        for (size_t i = 0; i < j->cols.nhashed; i++)
            if (j->cols.hashed[i] == key[c])
                return 0;
    }
    return nkey;
}

/* The inner cut points of the key (at most want - 1, ascending) into *cuts (heap key tuple
 * texts in a heap array), *n of them, or why the table is not split. A single integer column
 * is cut into equal spans between its bounds; other keys at the quantiles of a sample, which
 * needs the source's row count estimate. */
static const char *split_cuts(struct table_job *j, const size_t *key, size_t nkey, size_t want,
                              char ***cuts, size_t *n)
{
    struct arus_error e;
    arus_error_clear(&e);
    int64_t threshold = j->p->split_min_rows > 0 ? j->p->split_min_rows : ARUS_SPLIT_MIN_ROWS;
    /* the source's statistics; without them an integer key's span, which bounds the count */
    int64_t rows = j->schema->row_count_estimate;
    enum arus_ltype t = j->schema->columns[key[0]].type.ltype;
    *cuts = arus_xcalloc(want, sizeof **cuts);
    *n = 0;
    if (nkey > 1 || t < ARUS_T_INT16 || t > ARUS_T_INT64) {
        const char **got;
        if (rows <= 0)
            return "no row count estimate for a key that is not one integer column";
        if (rows < threshold)
            return "below split_min_rows";
        if (arus_source_key_cuts(j->src, j->schema, key, nkey, want, j->arena, &got, n, &e))
            return arus_arena_strdup(j->arena, e.msg);
        struct arus_strbuf text;
        arus_strbuf_init(&text);
        for (size_t i = 0; i < *n; i++) {
            arus__key_tuple_text(&text, got + i * nkey, nkey);
            (*cuts)[i] = arus_xstrdup(arus_strbuf_cstr(&text));
        }
        arus_strbuf_cleanup(&text);
        return *n ? NULL : "no key sampled";
    }
    const char *min = NULL, *max = NULL;
    if (arus_source_column_bounds(j->src, j->schema, key[0], j->arena, &min, &max, &e))
        return arus_arena_strdup(j->arena, e.msg);
    if (!min)
        return "empty";
    if (rows <= 0) {
        uint64_t span = (uint64_t)strtoll(max, NULL, 10) - (uint64_t)strtoll(min, NULL, 10);
        rows = span >= (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)span + 1;
    }
    if (rows < threshold)
        return "below split_min_rows";
    int64_t *at = arus_xcalloc(want, sizeof *at);
    *n = arus__split_keys(strtoll(min, NULL, 10), strtoll(max, NULL, 10), want, at) - 1;
    char buf[32];
    for (size_t i = 0; i < *n; i++) {
        snprintf(buf, sizeof buf, "%lld", (long long)at[i]);
        (*cuts)[i] = arus_xstrdup(buf);
    }
    free(at);
    return *n ? NULL : "a single key";
}

/* The watermark cap of a split load into *cap (arena; NULL: no watermark), or why the table is
 * not split. */
static const char *split_cap(struct table_job *j, const char **cap)
{
    struct arus_error e;
    arus_error_clear(&e);
    *cap = NULL;
    if (j->wm_index < 0)
        return NULL;
    const char *wmin = NULL, *wmax = NULL;
    if (arus_source_column_bounds(j->src, j->schema, (size_t)j->wm_index, j->arena, &wmin, &wmax,
                                  &e))
        return arus_arena_strdup(j->arena, e.msg);
    if (!wmax)
        return "no watermark value to cap the stored watermark with";
    *cap = j->horizon && arus__wm_compare(j, j->horizon, wmax) < 0 ? j->horizon : wmax;
    return NULL;
}

/* Decide whether this full refresh (kind SPLIT_REFRESH: the shadow exists, empty) or first
 * load is split, and if so cut the key and store the header and range rows in one
 * transaction. *out NULL: load as one stream. */
int arus__split_prepare(struct table_job *j, int kind, struct split **out, struct arus_error *err)
{
    *out = NULL;
    int64_t n = table_parallelism(j);
    if (n <= 1 || j->keyless)
        return ARUS_OK;
    size_t *key = arus_arena_calloc(j->arena, j->schema->ncolumns + 1, sizeof *key);
    size_t nkey = split_key(j, key);
    /* a few ranges per connection pair, so that one slow range does not leave the others idle */
    size_t want = (size_t)n * 4, ncuts = 0;
    char **cuts = NULL;
    const char *cap = NULL;
    const char *why = !nkey ? "no NOT NULL primary key of types to cut"
                            : split_cuts(j, key, nkey, want, &cuts, &ncuts);
    if (!why)
        why = split_cap(j, &cap);
    if (why) {
        arus_log(ARUS_LOG_DEBUG, "sync", "table \"%s\": not split: %s", j->target.table, why);
        for (size_t i = 0; i < ncuts; i++)
            free(cuts[i]);
        free(cuts);
        return ARUS_OK;
    }
    size_t k = ncuts + 1;
    struct split *s = split_new(j, kind, k, key, nkey);
    for (size_t i = 0; i < ncuts; i++) {
        /* the first range's lower and the last one's upper end stay open: rows inserted
         * outside the cuts meanwhile still belong to a range */
        s->r[i].hi = cuts[i];
        s->r[i + 1].lo = arus_xstrdup(cuts[i]);
    }
    free(cuts);
    s->cap = cap ? arus_xstrdup(cap) : NULL;
    int rc = arus_destination_begin(j->dst, err);
    if (rc == ARUS_OK)
        rc = arus__store_split_header(j, s, false, err);
    for (size_t i = 0; rc == ARUS_OK && i < k; i++)
        rc = arus__store_range(j, s, i, err);
    if (rc == ARUS_OK)
        rc = arus_destination_commit(j->dst, err);
    if (rc != ARUS_OK) {
        arus__rollback_quietly(j);
        arus__split_free(s);
        return rc;
    }
    struct arus_strbuf names;
    arus_strbuf_init(&names);
    for (size_t c = 0; c < nkey; c++)
        arus_strbuf_appendf(&names, "%s\"%s\"", c ? ", " : "", j->schema->columns[key[c]].name);
    arus_log(ARUS_LOG_INFO, "sync", "table \"%s\": split into %zu key ranges on %s",
             j->target.table, k, arus_strbuf_cstr(&names));
    arus_strbuf_cleanup(&names);
    *out = s;
    return ARUS_OK;
}

/* Read back the split load an earlier run left unfinished (j->pending). *out NULL when its
 * rows do not hold a usable split (then they are forgotten, and a refresh's shadow dropped). */
int arus__split_resume(struct table_job *j, struct split **out, struct arus_error *err)
{
    *out = NULL;
    size_t *key = arus_arena_calloc(j->arena, j->schema->ncolumns + 1, sizeof *key);
    size_t nkey = split_key(j, key);
    struct split *s = !nkey ? NULL : split_new(j, j->pending, (size_t)j->pending_k, key, nkey);
    size_t todo = 0;
    bool ok = s != NULL;
    for (size_t i = 0; ok && i < s->k; i++) {
        char name[512];
        struct arus_table_state st;
        memset(&st, 0, sizeof st);
        arus_state_range_name(name, sizeof name, j->target.table, (long)i);
        int rc = arus_destination_get_watermark(j->dst, j->p->name, name, j->arena, &st, err);
        if (rc != ARUS_OK) {
            arus__split_free(s);
            return rc;
        }
        ok = arus__range_bounds_parse(st.deletes_watermark, &s->r[i].lo, &s->r[i].hi);
        s->r[i].progress = st.watermark ? arus_xstrdup(st.watermark) : NULL;
        s->r[i].max.value = st.held_from ? arus_xstrdup(st.held_from) : NULL;
        todo += !st.watermark || strcmp(st.watermark, ARUS_RANGE_DONE) != 0;
    }
    /* every range done: the crash came between the last range and the swap's commit (mysql's
     * RENAME commits by itself); the shadow may be gone, so start over */
    if (!ok || todo == 0) {
        arus_log(ARUS_LOG_INFO, "sync",
                 "table \"%s\": unfinished split load not resumable: "
                 "starting over",
                 j->target.table);
        arus__split_free(s);
        arus__split_forget(j, j->pending_k, j->pending == SPLIT_REFRESH);
        return ARUS_OK;
    }
    s->cap = j->pending_cap ? arus_xstrdup(j->pending_cap) : NULL;
    arus_log(ARUS_LOG_INFO, "sync",
             "table \"%s\": resuming split load: %zu of %zu key ranges "
             "remain",
             j->target.table, todo, s->k);
    *out = s;
    return ARUS_OK;
}

struct split_run {
    struct split *s;
    size_t *todo;           /* indexes of the ranges to load */
    struct table_job *jobs; /* one per connection pair */
    pthread_mutex_t mu;
    int rc;
    struct arus_error err;
};

/* Load range i of the run on the pair (src, dst): one ordered stream from where it stopped,
 * each batch committed with the range's progress; "done" once the stream ended. */
static void load_range(void *ctx, struct arus_source *src, struct arus_destination *dst,
                       size_t worker, size_t i)
{
    struct split_run *sr = ctx;
    struct table_job *w = &sr->jobs[worker];
    pthread_mutex_lock(&sr->mu);
    bool stop = sr->rc != ARUS_OK;
    pthread_mutex_unlock(&sr->mu);
    if (stop)
        return;
    w->src = src;
    w->dst = dst;
    w->range = sr->todo[i];
    struct split_range *r = &sr->s->r[w->range];
    struct arus_error err;
    arus_error_clear(&err);
    /* the plan borrows its bounds (arena copies: arus__on_batch replaces r->progress) */
    const char *from = r->progress ? r->progress : r->lo;
    const char **lower = from ? arus__key_tuple_values(from, sr->s->nkey, w->arena) : NULL;
    const char **upper = r->hi ? arus__key_tuple_values(r->hi, sr->s->nkey, w->arena) : NULL;
    struct arus_extract_plan plan;
    struct stream_ctx sc = {.job = w};
    int rc = (from && !lower) || (r->hi && !upper)
                 ? arus_error_set(&err, ARUS_EINTERNAL, "key range %zu: malformed bounds",
                                  w->range)
                 : arus__extract_plan_range(&plan, w->schema, &w->mode, lower, !r->progress,
                                            upper, (size_t)w->p->batch_size, w->arena, &err);
    if (rc == ARUS_OK)
        rc = arus__stream(src, &plan, arus__on_batch, &sc, &err);
    if (rc == ARUS_OK) {
        arus__set_heap_str(&r->progress, ARUS_RANGE_DONE, strlen(ARUS_RANGE_DONE));
        if (!(rc = arus_destination_begin(dst, &err)) && !(rc = arus__store_progress(w, &err)))
            rc = arus_destination_commit(dst, &err);
        if (rc != ARUS_OK)
            arus__rollback_quietly(w);
    }
    if (rc == ARUS_OK)
        return;
    pthread_mutex_lock(&sr->mu);
    if (sr->rc == ARUS_OK) {
        sr->rc = rc;
        sr->err = err;
    }
    pthread_mutex_unlock(&sr->mu);
}

/* Load the unfinished ranges of s on up to the table's parallelism connection pairs, then set
 * the watermark the table may store: the newest one read, no later than the cap (taken before
 * any range was read: a row changed meanwhile in a range already loaded carries a newer one,
 * and the next incremental run reads it). */
int arus__run_split(struct table_job *j, struct split *s, struct arus_error *err)
{
    size_t npairs = (size_t)table_parallelism(j), ntodo = 0;
    struct split_run sr = {.s = s, .todo = arus_xcalloc(s->k, sizeof(size_t))};
    for (size_t i = 0; i < s->k; i++)
        if (!s->r[i].progress || strcmp(s->r[i].progress, ARUS_RANGE_DONE) != 0)
            sr.todo[ntodo++] = i;
    npairs = npairs < ntodo ? npairs : ntodo;
    /* each pair has a job of its own: its arena, report and connections; no live progress */
    struct arus_sync_options quiet = {0};
    if (j->opt)
        quiet = *j->opt;
    quiet.progress = NULL;
    struct arus_table_report *reps = arus_xcalloc(npairs ? npairs : 1, sizeof *reps);
    sr.jobs = arus_xcalloc(npairs ? npairs : 1, sizeof *sr.jobs);
    for (size_t i = 0; i < npairs; i++) {
        sr.jobs[i] = *j;
        sr.jobs[i].arena = arus_arena_create(0);
        sr.jobs[i].rep = &reps[i];
        sr.jobs[i].opt = &quiet;
        sr.jobs[i].split = s;
        sr.jobs[i].watermark = sr.jobs[i].deletes_watermark = sr.jobs[i].horizon = NULL;
    }
    pthread_mutex_init(&sr.mu, NULL);
    arus__run_on_pairs(j->src, j->dst, npairs, ntodo, load_range, &sr);
    pthread_mutex_destroy(&sr.mu);
    for (size_t i = 0; i < npairs; i++) {
        j->rep->rows_extracted += reps[i].rows_extracted;
        j->rep->rows_loaded += reps[i].rows_loaded;
        j->rep->rows_dead_lettered += reps[i].rows_dead_lettered;
        arus_arena_destroy(sr.jobs[i].arena);
    }
    free(sr.jobs);
    free(reps);
    free(sr.todo);
    if (sr.rc != ARUS_OK) {
        *err = sr.err;
        return sr.rc;
    }
    const char *seen = NULL;
    for (size_t i = 0; i < s->k; i++)
        if (s->r[i].max.value && (!seen || arus__wm_compare(j, s->r[i].max.value, seen) > 0))
            seen = s->r[i].max.value;
    if (seen && s->cap && arus__wm_compare(j, s->cap, seen) < 0)
        seen = s->cap;
    if (j->wm_index >= 0 && seen)
        arus__set_heap_str(&j->watermark, seen, strlen(seen));
    return ARUS_OK;
}

/* The header row of a split load an earlier run left unfinished (arus/state.h) into
 * j->pending, pending_k, pending_cap; SPLIT_NONE when there is none or it is malformed. */
int arus__read_pending(struct table_job *j, struct arus_error *err)
{
    char name[512];
    struct arus_table_state st;
    memset(&st, 0, sizeof st);
    /* only split loads write these rows: no extra read for tables loaded as one stream */
    if (table_parallelism(j) <= 1)
        return ARUS_OK;
    arus_state_range_name(name, sizeof name, j->target.table, -1);
    int rc = arus_destination_get_watermark(j->dst, j->p->name, name, j->arena, &st, err);
    if (rc != ARUS_OK || !st.watermark)
        return rc;
    /* the table's state written after the header: a later run (with parallelism 1, which
     * does not look here) finished the table, and the split is void */
    if (j->state_updated_at && st.updated_at && strcmp(j->state_updated_at, st.updated_at) > 0)
        return ARUS_OK;
    for (int kind = SPLIT_REFRESH; kind <= SPLIT_FIRST; kind++) {
        size_t n = strlen(split_kind[kind]);
        char *end;
        if (strncmp(st.watermark, split_kind[kind], n) != 0 || st.watermark[n] != ' ')
            continue;
        long k = strtol(st.watermark + n + 1, &end, 10);
        if (*end || k < 1 || k > 100000)
            break;
        j->pending = kind;
        j->pending_k = k;
        j->pending_cap = st.deletes_watermark;
    }
    return ARUS_OK;
}

/* The sync engine (docs/design.md, "Correctness contract"). Per table: one ordered extract stream,
 * each batch loaded and its watermark stored in ONE destination transaction; restart is inclusive
 * from the stored watermark (merge by PK makes the re-read harmless); full refresh loads a shadow
 * table and swaps it in; soft deletes run after the main stream with their own watermark so a crash
 * between the two phases never skips a delete. The order of destination calls is the protocol
 * written in include/arus/destination.h (and checked by tests/unit/test_engine.c). */
#include "arus/sync.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arus/arena.h"
#include "arus/log.h"
#include "arus/state.h"
#include "arus/strbuf.h"
#include "arus/util.h"
#include "core/extract_plan.h"
#include "core/sync_internal.h"
#include "core/verify_internal.h"

void arus__set_heap_str(char **slot, const char *p, size_t n)
{
    free(*slot);
    *slot = NULL;
    if (p) {
        *slot = arus_xmalloc(n + 1);
        memcpy(*slot, p, n);
        (*slot)[n] = '\0';
    }
}

static int inject(const char *point, struct arus_error *err)
{
    if (arus_fault(point))
        return arus_error_set(err, ARUS_EFAULT, "injected fault at %s", point);
    return ARUS_OK;
}

static void report_progress(const struct table_job *j, bool done)
{
    j->rep->seconds = arus_monotonic() - j->started;
    if (j->opt && j->opt->progress)
        j->opt->progress(j->opt->progress_ctx, j->rep, done);
}

/* Store the state of this table; called inside the batch transaction. */
static int store_state(struct table_job *j, struct arus_error *err)
{
    char now[32];
    arus_now_utc(now, sizeof now);
    struct arus_table_state st = {
        .watermark = j->watermark,
        .deletes_watermark = j->deletes_watermark,
        .run_id = j->target.run_id,
        .updated_at = now,
        .held_from = j->rep->delivered[0] ? j->rep->delivered : NULL,
    };
    int rc = arus_destination_update_watermark(j->dst, &j->target, &st, err);
    /* a split first load ends with the table's first watermark (arus/state.h) */
    if (rc == ARUS_OK && j->split_clear)
        rc = arus__store_split_header(j, j->split_clear, true, err);
    return rc;
}

/* The state a committed batch carries: its range's row in a split load, else the table's. */
int arus__store_progress(struct table_job *j, struct arus_error *err)
{
    return j->split ? arus__store_range(j, j->split, j->range, err) : store_state(j, err);
}

/* Roll back after a failure inside a transaction, keeping the first error. */
void arus__rollback_quietly(struct table_job *j)
{
    struct arus_error ignored;
    arus_error_clear(&ignored);
    arus_destination_rollback(j->dst, &ignored);
}

/* Order two watermark texts of this table's watermark column. */
int arus__wm_compare(const struct table_job *j, const char *a, const char *b)
{
    return arus__cell_compare(j->schema->columns[j->wm_index].type.ltype, a, strlen(a), b,
                              strlen(b));
}

/* The newest watermark delivered is value: it is stored no further than the commit horizon,
 * since a transaction still open may commit rows below it, which the next run must read (the
 * merge makes re-reading the rows above harmless). */
static void reach_watermark(struct table_job *j, const char *value, size_t len)
{
    arus__set_heap_str(&j->watermark, value, len);
    if (j->horizon && arus__wm_compare(j, j->watermark, j->horizon) > 0) {
        snprintf(j->rep->delivered, sizeof j->rep->delivered, "%.*s", (int)len, value);
        arus__set_heap_str(&j->watermark, j->horizon, strlen(j->horizon));
    }
}

/* The watermark a batch reaches: rows arrive ordered by watermark, NULLs first, so the last
 * non-NULL one is the highest. It never moves back: a backfill (--from) or the lookback window
 * re-reads rows below the stored watermark, and storing theirs would re-read more next time. */
static void advance_watermark(struct table_job *j, const struct arus_batch *b)
{
    enum arus_ltype t = j->schema->columns[j->wm_index].type.ltype;
    for (size_t r = b->nrows; r-- > 0;) {
        const struct arus_cell *c = &arus_batch_row(b, r)[j->wm_index];
        if (c->data) {
            if (!j->watermark ||
                arus__cell_compare(t, c->data, c->len, j->watermark, strlen(j->watermark)) > 0)
                reach_watermark(j, c->data, c->len);
            return;
        }
    }
}

/* Rows of a main-stream batch whose watermark is NULL (they come first). */
static void count_null_watermarks(struct table_job *j, const struct arus_batch *b)
{
    for (size_t r = 0; r < b->nrows && !arus_batch_row(b, r)[j->wm_index].data; r++)
        j->rep->rows_null_watermark++;
}

/* A split load's range has loaded up to b's last row: rows come by key, so its key is where
 * a resumed range starts. The key is never hashed, so before or after hashing alike. */
static void set_range_progress(struct table_job *j, const struct arus_batch *b)
{
    const struct arus_cell *last = arus_batch_row(b, b->nrows - 1);
    char **progress = &j->split->r[j->range].progress;
    size_t nkey = j->split->nkey;
    if (nkey == 1) {
        const struct arus_cell *cell = &last[j->split->key[0]];
        arus__set_heap_str(progress, cell->data, cell->len);
        return;
    }
    /* heap copies freed here: the job's arena would grow with every batch */
    char **vals = arus_xcalloc(nkey, sizeof *vals);
    for (size_t c = 0; c < nkey; c++)
        arus__set_heap_str(&vals[c], last[j->split->key[c]].data, last[j->split->key[c]].len);
    struct arus_strbuf text;
    arus_strbuf_init(&text);
    arus__key_tuple_text(&text, (const char *const *)vals, nkey);
    arus__set_heap_str(progress, text.data, text.len);
    arus_strbuf_cleanup(&text);
    for (size_t c = 0; c < nkey; c++)
        free(vals[c]);
    free(vals);
}

/* Load rows of b (raw and/or normalized per load_mode) inside the current transaction. */
static int load_rows(struct table_job *j, const struct arus_batch *b, int64_t *loaded,
                     struct arus_error *err)
{
    int rc;
    int64_t raw_loaded = 0;
    struct arus_target raw_target = j->target;
    raw_target.shadow = false;
    if ((j->cols.load_mode & ARUS_LOAD_RAW) &&
        (rc = arus_destination_load_raw(j->dst, &raw_target, b, &raw_loaded, err)))
        return rc;
    if ((rc = inject("mid_load", err)))
        return rc;
    *loaded = raw_loaded;
    if (j->cols.load_mode & ARUS_LOAD_NORMALIZED)
        return arus_destination_load_normalized(j->dst, &j->target, b, loaded, err);
    return ARUS_OK;
}

/* Rows [first, first + n) of b as a batch of their own (a view: no copy). */
static struct arus_batch slice(const struct arus_batch *b, size_t first, size_t n)
{
    struct arus_batch s = *b;
    s.cells = arus_batch_row(b, first);
    s.nrows = n;
    s.capacity = n;
    return s;
}

/* A piece of a refused batch committed: in a split load with its range's progress (a range
 * may load into a refresh's shadow, where a re-delivered row would be a duplicate key). */
static int commit_piece(struct table_job *j, const struct arus_batch *piece,
                        struct arus_error *err)
{
    int rc = ARUS_OK;
    if (j->split) {
        set_range_progress(j, piece);
        rc = arus__store_progress(j, err);
    }
    return rc ? rc : arus_destination_commit(j->dst, err);
}

/* A batch the destination refused: load it in halves, each in its own transaction, down to the
 * single rows at fault, which go to the dead-letter table. Good rows commit without the
 * watermark; a crash here only re-delivers them (merge makes that harmless; a split load's
 * good pieces commit with their range's progress instead, a refused row without: a run that
 * stops at it reads it again, as an unsplit one does). */
static int load_bisecting(struct table_job *j, const struct arus_batch *b, struct arus_error *err)
{
    struct arus_error why;
    arus_error_clear(&why);
    int64_t loaded = 0;
    int rc = arus_destination_begin(j->dst, err);
    if (rc == ARUS_OK && (rc = load_rows(j, b, &loaded, &why)) == ARUS_OK)
        rc = commit_piece(j, b, &why);
    if (rc == ARUS_OK) {
        j->rep->rows_loaded += loaded;
        return ARUS_OK;
    }
    arus__rollback_quietly(j);
    if (rc != ARUS_EDATA) {
        *err = why;
        return rc;
    }
    if (b->nrows > 1) {
        size_t half = b->nrows / 2;
        struct arus_batch lo = slice(b, 0, half), hi = slice(b, half, b->nrows - half);
        if ((rc = load_bisecting(j, &lo, err)))
            return rc;
        return load_bisecting(j, &hi, err);
    }
    struct arus_strbuf json;
    arus_strbuf_init(&json);
    arus_row_to_json(b, 0, &json);
    if (!(rc = arus_destination_begin(j->dst, err)) &&
        !(rc = arus_destination_write_dead_letter(j->dst, &j->target, arus_strbuf_cstr(&json),
                                                  why.msg, err)))
        rc = arus_destination_commit(j->dst, err); /* progress stays before a refused row */
    arus_strbuf_cleanup(&json);
    if (rc != ARUS_OK) {
        arus__rollback_quietly(j);
        return rc;
    }
    if (++j->rep->rows_dead_lettered > j->p->max_dead_letters)
        return arus_error_set(err, ARUS_EDATA,
                              "%lld row(s) refused by the destination, more than "
                              "max_dead_letters %lld (rows kept in _dead_letters); last: %s",
                              (long long)j->rep->rows_dead_lettered,
                              (long long)j->p->max_dead_letters, why.msg);
    return ARUS_OK;
}

/* Load one extracted batch and (incremental) its watermark in one transaction. */
static int load_batch(struct table_job *j, const struct arus_batch *b, bool full_refresh,
                      struct arus_error *err)
{
    int rc;
    int64_t loaded = 0;
    if ((rc = inject("after_extract", err)) || (rc = arus_destination_begin(j->dst, err)))
        return rc;
    if ((rc = load_rows(j, b, &loaded, err)))
        goto fail;
    if (j->split) {
        if ((rc = arus__store_progress(j, err)))
            goto fail;
    } else if (!full_refresh && j->wm_index >= 0) {
        advance_watermark(j, b);
        if ((rc = store_state(j, err)))
            goto fail;
    }
    if ((rc = inject("before_commit", err)) || (rc = arus_destination_commit(j->dst, err)))
        goto fail;
    j->rep->rows_loaded += loaded;
    return inject("after_commit", err);
fail:
    arus__rollback_quietly(j);
    if (rc != ARUS_EDATA || !arus_destination_can_dead_letter(j->dst))
        return rc;
    /* Some row was refused: find it, keep the rest, then store the watermark. */
    if ((rc = load_bisecting(j, b, err)))
        return rc;
    if (!j->split && (full_refresh || j->wm_index < 0))
        return ARUS_OK;
    if (!j->split)
        advance_watermark(j, b);
    if (!(rc = arus_destination_begin(j->dst, err)) && !(rc = arus__store_progress(j, err)))
        rc = arus_destination_commit(j->dst, err);
    if (rc)
        arus__rollback_quietly(j);
    return rc;
}

int arus__on_batch(void *ctx, struct arus_batch *b, struct arus_error *err)
{
    struct table_job *j = ((struct stream_ctx *)ctx)->job;
    struct full_refresh_max *max = ((struct stream_ctx *)ctx)->max;
    if (j->opt && j->opt->abandon && *j->opt->abandon)
        return arus_error_set(err, ARUS_ESTOPPED, "stopped before the load finished");
    j->rep->rows_extracted += (int64_t)b->nrows;
    if (j->split) {
        set_range_progress(j, b);
        arus__track_max(&j->split->r[j->range].max, b);
    } else if (!max) {
        count_null_watermarks(j, b);
    }
    /* the destination gets its own column names and hashed values; the watermark column is
     * never hashed, so the state and the full-refresh maximum read the source's text */
    const struct arus_table_schema *read = b->schema;
    arus__hash_cells(&j->cols, b);
    b->schema = j->cols.load;
    int rc = load_batch(j, b, max != NULL, err);
    b->schema = read;
    if (rc == ARUS_OK && max)
        arus__track_max(max, b);
    if (rc == ARUS_OK)
        report_progress(j, false);
    return rc;
}

static int on_deleted_batch(void *ctx, struct arus_batch *b, struct arus_error *err)
{
    struct table_job *j = ((struct stream_ctx *)ctx)->job;
    int64_t deleted = 0;
    int rc;
    if ((rc = arus_destination_begin(j->dst, err)))
        return rc;
    const struct arus_table_schema *read = b->schema;
    arus__hash_cells(&j->cols, b); /* keys by their destination names and values */
    b->schema = j->cols.load;
    rc = arus_destination_delete_rows(j->dst, &j->target, b, &deleted, err);
    b->schema = read;
    if (rc || (rc = inject("soft_delete", err)) || (rc = arus_destination_commit(j->dst, err))) {
        arus__rollback_quietly(j);
        return rc;
    }
    j->rep->rows_deleted += deleted;
    report_progress(j, false);
    return ARUS_OK;
}

/* The plan of one of this table's extract streams (core/extract_plan.c has the rules). */
static int plan_stream(struct table_job *j, enum arus__extract_kind kind, const char *watermark,
                       double lookback, struct arus_extract_plan *plan, struct arus_error *err)
{
    /* --from is where the operator wants to start: no lookback below it */
    if (watermark && watermark == j->from)
        lookback = 0;
    return arus__extract_plan_build(plan, j->schema, &j->mode, kind, watermark, j->horizon,
                                    lookback, (size_t)j->p->batch_size, j->arena, err);
}

static bool horizon_wanted(const struct table_job *j)
{
    const struct arus_table_override *o = arus_pipeline_override(j->p, j->target.table);
    return o && o->commit_horizon >= 0 ? o->commit_horizon : j->p->commit_horizon;
}

/* Ask the source for this run's commit horizon, before the extract takes its snapshot (rows
 * committed in between are seen; later ones carry newer watermarks). Returns the lookback
 * the streams use: the configured one, widened by ARUS_HORIZON_FALLBACK_SECONDS when the
 * horizon of a time watermark is wanted but unreadable. Never fails the run: it only warns. */
static double read_horizon(struct table_job *j)
{
    double lookback = j->p->lookback_seconds;
    const struct arus_column *wm = &j->schema->columns[j->wm_index];
    if (!horizon_wanted(j))
        return lookback;
    /* A counter or a string is no clock: no open transaction bounds what it will write, and
     * nothing can be read further back by time. Said at info level: such a watermark is a
     * choice (docs/consistency.md); a warning every run would only be noise. */
    if (!arus_ltype_is_time(wm->type.ltype)) {
        arus_log(ARUS_LOG_INFO, "sync",
                 "table \"%s\": no commit horizon for watermark column \"%s\" (%s, not a "
                 "time): rows committed late below the stored watermark may be missed",
                 j->target.table, wm->name, arus_ltype_name(wm->type.ltype));
        return lookback;
    }
    struct arus_error e;
    arus_error_clear(&e);
    const char *h = NULL;
    int rc = arus_source_commit_horizon(j->src, j->schema, (size_t)j->wm_index, j->arena, &h, &e);
    if (rc == ARUS_OK) {
        arus__set_heap_str(&j->horizon, h, strlen(h));
        snprintf(j->rep->horizon, sizeof j->rep->horizon, "%s", h);
        return lookback;
    }
    /* The source's matter (a missing privilege, an old connector): said once per run. */
    if (!j->horizon_warned || !*j->horizon_warned)
        arus_log(ARUS_LOG_WARN, "sync",
                 "table \"%s\": no commit horizon (%s): rows committed late may be missed; "
                 "reading %.0f s further back this run (docs/consistency.md)",
                 j->target.table, e.msg, ARUS_HORIZON_FALLBACK_SECONDS);
    if (j->horizon_warned)
        *j->horizon_warned = true;
    return lookback + ARUS_HORIZON_FALLBACK_SECONDS;
}

/* What a table without primary key cannot do, said at every sync. */
static void warn_keyless(const struct table_job *j)
{
    const struct arus_column *wm = &j->schema->columns[j->wm_index];
    if (j->p->lookback_seconds > 0)
        arus_log(ARUS_LOG_WARN, "sync",
                 "table \"%s\" has no primary key: lookback does not apply to it (a re-read "
                 "would append its rows twice)",
                 j->target.table);
    if (wm->nullable && j->watermark)
        arus_log(ARUS_LOG_WARN, "sync",
                 "table \"%s\" has no primary key: rows whose \"%s\" is NULL were read by the "
                 "first run only; later ones are missed (give them a value, or sync the table "
                 "with full refresh)",
                 j->target.table, wm->name);
}

static int run_incremental(struct table_job *j, struct arus_error *err)
{
    struct arus_extract_plan plan;
    bool first_run = j->watermark == NULL && j->deletes_watermark == NULL;
    struct stream_ctx sc = {.job = j};
    if (j->keyless)
        warn_keyless(j);
    double lookback = read_horizon(j);
    struct split *split = NULL;
    int rc = ARUS_OK;
    /* a first load may be split into key ranges: a re-read merges by key, no watermark yet */
    if (first_run && !j->from && !j->keyless)
        rc = j->pending == SPLIT_FIRST ? arus__split_resume(j, &split, err)
                                       : arus__split_prepare(j, SPLIT_FIRST, &split, err);
    if (rc == ARUS_OK && split) {
        rc = arus__run_split(j, split, err);
        j->split_clear = split;
    } else if (rc == ARUS_OK) {
        rc = plan_stream(j, ARUS__EXTRACT_INCREMENTAL, j->from ? j->from : j->watermark, lookback,
                         &plan, err);
        if (rc == ARUS_OK)
            rc = arus__stream(j->src, &plan, arus__on_batch, &sc, err);
    }
    if (rc != ARUS_OK) {
        arus__split_free(split);
        return rc;
    }
    if (j->rep->rows_null_watermark >= ARUS_NULL_WATERMARK_WARN_ROWS)
        arus_log(ARUS_LOG_WARN, "sync",
                 "table \"%s\": %lld rows have a NULL \"%s\" and are read again on every run "
                 "(give them a value, or sync the table with full refresh)",
                 j->target.table, (long long)j->rep->rows_null_watermark,
                 j->schema->columns[j->wm_index].name);
    /* A keyless table read every row below the horizon: the next run starts there. */
    if (j->keyless && j->horizon &&
        (!j->watermark || arus__wm_compare(j, j->horizon, j->watermark) > 0))
        arus__set_heap_str(&j->watermark, j->horizon, strlen(j->horizon));
    /* Rows soft-deleted after this point carry a watermark above the one the main stream
     * reached, so the next delete phase may start there. */
    char *reached = j->watermark ? arus_xstrdup(j->watermark) : NULL;
    bool deletes = j->mode.deleted_at_column && !first_run;
    if (deletes && (!arus_source_can_extract_soft_deletes(j->src) ||
                    !arus_destination_can_delete_rows(j->dst))) {
        arus_log(ARUS_LOG_WARN, "sync", "table \"%s\": soft deletes not propagated (%s)",
                 j->target.table,
                 !arus_destination_can_delete_rows(j->dst) ? "destination cannot delete rows"
                                                           : "source cannot extract soft deletes");
        deletes = false;
    }
    /* A first run loaded only live rows, so it has no deletes to propagate. */
    if (deletes && (rc = plan_stream(j, ARUS__EXTRACT_SOFT_DELETES, j->deletes_watermark, lookback,
                                     &plan, err)) == ARUS_OK)
        rc = arus__stream(j->src, &plan, on_deleted_batch, &sc, err);
    /* Mark the run complete: the next delete phase starts where this one ended. Written even
     * when unchanged: this last commit is where a destination that buffers writes
     * (ClickHouse streams batches into one INSERT) must show that everything arrived. */
    if (rc == ARUS_OK && reached) {
        arus__set_heap_str(&j->deletes_watermark, reached, strlen(reached));
        if (!(rc = arus_destination_begin(j->dst, err)) && !(rc = store_state(j, err)))
            rc = arus_destination_commit(j->dst, err);
        if (rc != ARUS_OK)
            arus__rollback_quietly(j);
    }
    free(reached);
    if (rc == ARUS_OK && split)
        arus__split_forget(j, (long)split->k, false);
    j->split_clear = NULL;
    arus__split_free(split);
    /* Hard deletes: keys the source no longer has go away downstream (a full refresh needs
     * none of this: it replaces the table). */
    if (rc == ARUS_OK && arus_pipeline_delete_missing(j->p, j->target.table)) {
        int64_t deleted = 0;
        rc = arus__delete_missing(j->src, j->dst, j->p, &j->target, &j->cols, &j->mode,
                                  &deleted, err);
        j->rep->rows_deleted += deleted;
    }
    return rc;
}

static int run_full_refresh(struct table_job *j, struct arus_error *err)
{
    struct arus_extract_plan plan;
    struct full_refresh_max max = {.column = j->wm_index};
    struct split *split = NULL;
    int rc;
    /* The snapshot misses what transactions still open will commit, so the incremental runs
     * after it start no later than the horizon. A keyless table keeps the newest value: its
     * next run reads from there without a re-read it could not merge. */
    if (j->wm_index >= 0 && !j->keyless)
        read_horizon(j);
    if ((rc = plan_stream(j, ARUS__EXTRACT_FULL_REFRESH, NULL, 0, &plan, err)))
        return rc;
    j->target.shadow = true;
    /* the shadow of an unfinished split refresh holds its finished ranges: kept */
    if (j->pending == SPLIT_REFRESH && (rc = arus__split_resume(j, &split, err)))
        goto fail;
    if (!split && ((rc = arus_destination_ensure_schema(j->dst, &j->target, j->cols.load, err)) ||
                   (rc = arus__split_prepare(j, SPLIT_REFRESH, &split, err))))
        goto fail;
    struct stream_ctx sc = {.job = j, .max = &max};
    if (split && (rc = arus__run_split(j, split, err))) {
        /* shadow and progress stay: the next full refresh resumes the unfinished ranges */
        j->target.shadow = false;
        arus__split_free(split);
        return rc;
    }
    if (!split && (rc = arus__stream(j->src, &plan, arus__on_batch, &sc, err)))
        goto fail;
    /* The refreshed table replaces the old one and the state moves to the newest watermark
     * seen, in one transaction (where the destination has them). */
    if (max.value)
        reach_watermark(j, max.value, strlen(max.value));
    arus__set_heap_str(&j->deletes_watermark, j->watermark,
                       j->watermark ? strlen(j->watermark) : 0);
    if ((rc = arus_destination_begin(j->dst, err)))
        goto fail;
    if ((rc = arus_destination_swap_shadow(j->dst, &j->target, err)) ||
        (rc = inject("swap", err)) || (rc = store_state(j, err)) ||
        (split && (rc = arus__store_split_header(j, split, true, err))) ||
        (rc = arus_destination_commit(j->dst, err))) {
        arus__rollback_quietly(j);
        goto fail;
    }
    j->target.shadow = false;
    if (split)
        arus__split_forget(j, (long)split->k, false);
    arus__split_free(split);
    free(max.value);
    return ARUS_OK;
fail:
    arus__split_free(split);
    free(max.value);
    {
        struct arus_error ignored;
        arus_error_clear(&ignored);
        arus_destination_drop_shadow(j->dst, &j->target, &ignored);
    }
    j->target.shadow = false;
    return rc;
}

int arus__resolve_mode(struct arus_source *src, const struct arus_pipeline *p, const char *table,
                       bool full_refresh, struct arus_table_schema *schema,
                       struct arus_sync_mode *mode, int *wm_index, struct arus_error *err)
{
    const struct arus_table_override *o = arus_pipeline_override(p, table);
    if (o && o->primary_key) {
        int rc = arus__apply_primary_key(schema, o->primary_key, err);
        if (rc)
            return rc;
    }
    arus_source_detect_sync_mode(src, schema, mode);
    if (o && o->watermark_column) {
        int i = arus_schema_find(schema, o->watermark_column);
        if (i < 0)
            return arus_error_set(err, ARUS_ECONFIG, "watermark_column \"%s\" not found",
                                  o->watermark_column);
        mode->watermark_column = schema->columns[i].name;
        mode->mode = ARUS_SYNC_INCREMENTAL;
    }
    if (o && o->deleted_at_column) {
        int i = arus_schema_find(schema, o->deleted_at_column);
        if (i < 0)
            return arus_error_set(err, ARUS_ECONFIG, "deleted_at_column \"%s\" not found",
                                  o->deleted_at_column);
        mode->deleted_at_column = schema->columns[i].name;
    }
    const char *sync_mode = o && o->sync_mode ? o->sync_mode : p->sync_mode;
    if (sync_mode && strcmp(sync_mode, "full_refresh") == 0)
        mode->mode = ARUS_SYNC_FULL_REFRESH;
    if (full_refresh)
        mode->mode = ARUS_SYNC_FULL_REFRESH;
    *wm_index =
        mode->watermark_column ? arus_schema_find(schema, mode->watermark_column) : -1;
    if (mode->mode == ARUS_SYNC_INCREMENTAL && *wm_index < 0)
        mode->mode = ARUS_SYNC_FULL_REFRESH;
    if (mode->mode == ARUS_SYNC_FULL_REFRESH)
        mode->watermark_column = *wm_index >= 0 ? mode->watermark_column : NULL;
    return ARUS_OK;
}

void arus__record_run(struct arus_destination *dst, const struct arus_pipeline *p,
                      const char *run_id, const char *table, const struct arus_table_report *rep,
                      const char *started_at, const char *status, const char *error)
{
    char finished[32];
    arus_now_utc(finished, sizeof finished);
    struct arus_run_record r = {
        .run_id = run_id,
        .pipeline = p->name,
        .table = table,
        .mode = rep->mode,
        .status = status,
        .started_at = started_at,
        .finished_at = strcmp(status, ARUS_RUN_RUNNING) == 0 ? NULL : finished,
        .rows_extracted = rep->rows_extracted,
        .rows_loaded = rep->rows_loaded,
        .rows_deleted = rep->rows_deleted,
        .rows_dead_lettered = rep->rows_dead_lettered,
        .error = error,
    };
    struct arus_error e;
    arus_error_clear(&e);
    if (arus_destination_begin(dst, &e) || arus_destination_record_run(dst, &r, &e) ||
        arus_destination_commit(dst, &e)) {
        struct arus_error ignored;
        arus_error_clear(&ignored);
        arus_destination_rollback(dst, &ignored);
        arus_log(ARUS_LOG_WARN, "sync", "table \"%s\": run history not recorded: %s", table, e.msg);
    }
}

static void record_run(struct table_job *j, const char *status, const char *error)
{
    arus__record_run(j->dst, j->p, j->target.run_id, j->target.table, j->rep, j->started_at, status,
                     error);
}

/* What the destination held before ensure_schema created anything: -1 missing, 0 empty, 1 rows;
 * ARUS_PRESENCE_UNKNOWN where not looked at (not loaded, or the destination cannot tell). */
#define ARUS_PRESENCE_UNKNOWN 2
struct table_presence {
    int64_t normalized, raw;
};

static int probe_one(struct table_job *j, bool raw, int64_t *out, struct arus_error *err)
{
    *out = ARUS_PRESENCE_UNKNOWN;
    int rc = arus_destination_table_rows(j->dst, &j->target, raw, out, err);
    if (rc == ARUS_ENOTSUP) {
        arus_error_clear(err);
        *out = ARUS_PRESENCE_UNKNOWN;
        return ARUS_OK;
    }
    return rc;
}

/* Probe the tables this run loads, for check_drift. */
static int probe_tables(struct table_job *j, struct table_presence *seen, struct arus_error *err)
{
    seen->normalized = seen->raw = ARUS_PRESENCE_UNKNOWN;
    int rc = ARUS_OK;
    if (j->cols.load_mode & ARUS_LOAD_NORMALIZED)
        rc = probe_one(j, false, &seen->normalized, err);
    if (rc == ARUS_OK && (j->cols.load_mode & ARUS_LOAD_RAW))
        rc = probe_one(j, true, &seen->raw, err);
    return rc;
}

/* State that no longer matches the destination: a stored watermark while the typed table is
 * missing or empty, or the raw table missing (someone dropped or truncated it: an incremental
 * run would load only the rows changed since, a silent loss), or no state while the typed table
 * holds rows (arus reset, a renamed pipeline: merging into it would keep rows deleted
 * meanwhile). Either way the table reloads in full into a shadow table; the output and run
 * history say "reload". An empty raw table is not drift: raw tables are landing logs that
 * retention empties on purpose (ClickHouse's 7-day TTL), and reloading each time would
 * repeat. */
static void check_drift(struct table_job *j, const struct table_presence *seen)
{
    if (j->mode.mode != ARUS_SYNC_INCREMENTAL)
        return;
    const char *why = NULL;
    /* an unfinished split first load is state too: its rows are in the typed table */
    bool stored = j->watermark || j->deletes_watermark || j->pending == SPLIT_FIRST;
    if (stored && seen->normalized == -1)
        why = "the typed table is missing but state holds a watermark";
    else if (stored && seen->normalized == 0)
        why = "the typed table is empty but state holds a watermark";
    else if (stored && seen->raw == -1)
        why = "the raw table is missing but state holds a watermark";
    else if (!stored && seen->normalized == 1)
        why = "no state is stored but the typed table holds rows";
    if (!why)
        return;
    j->mode.mode = ARUS_SYNC_FULL_REFRESH;
    j->rep->mode = "reload";
    snprintf(j->rep->reload_reason, sizeof j->rep->reload_reason, "%s", why);
    arus_strbuf_appendf(&j->notes, "%sreload: %s", j->notes.len ? "; " : "", why);
    arus_log(ARUS_LOG_WARN, "sync", "table \"%s\": %s: reloading it in full", j->target.table,
             why);
}

/* --from as the canonical text of the watermark column: timestamps and dates in any form
 * arus_parse_timestamp reads (a date alone is its midnight), integers as digits, other types
 * as given. */
static int resolve_from(struct table_job *j, const char *from, struct arus_error *err)
{
    const struct arus_column *col = &j->schema->columns[j->wm_index];
    enum arus_ltype t = col->type.ltype;
    int64_t micros;
    char buf[64];
    if (t == ARUS_T_TIMESTAMP || t == ARUS_T_TIMESTAMPTZ || t == ARUS_T_DATE) {
        snprintf(buf, sizeof buf, strlen(from) == 10 ? "%s 00:00:00" : "%s", from);
        if (!arus_parse_timestamp(buf, strlen(buf), &micros))
            return arus_error_set(err, ARUS_EINVAL,
                                  "--from \"%s\" is not a timestamp (watermark column \"%s\")",
                                  from, col->name);
        arus_format_timestamp(micros, buf, sizeof buf);
        if (t == ARUS_T_DATE)
            buf[10] = '\0';
        j->from = arus_arena_strdup(j->arena, buf);
    } else if (t >= ARUS_T_INT16 && t <= ARUS_T_UINT64 && !arus_is_integer_text(from, strlen(from))) {
        return arus_error_set(err, ARUS_EINVAL,
                              "--from \"%s\" is not an integer (watermark column \"%s\")", from,
                              col->name);
    } else {
        j->from = from;
    }
    return ARUS_OK;
}

/* dropped_columns: null: the columns the source dropped lose their values on the rows this
 * run wrote (a full refresh builds the table without them). */
static int null_dropped(struct table_job *j, struct arus_error *err)
{
    int64_t changed = 0;
    int rc = arus_destination_begin(j->dst, err);
    if (rc == ARUS_OK)
        rc = arus_destination_null_columns(j->dst, &j->target, j->dropped, j->ndropped, &changed,
                                           err);
    if (rc == ARUS_OK)
        rc = arus_destination_commit(j->dst, err);
    if (rc != ARUS_OK) {
        arus__rollback_quietly(j);
        return rc;
    }
    for (size_t i = 0; changed && i < j->ndropped; i++)
        arus_strbuf_appendf(&j->notes, "%scolumn \"%s\" dropped in the source: set NULL on %lld "
                            "changed row(s)", j->notes.len ? "; " : "", j->dropped[i],
                            (long long)changed);
    return ARUS_OK;
}

static int sync_table(struct table_job *j, struct arus_error *err)
{
    int rc;
    struct arus_table_state st;
    memset(&st, 0, sizeof st);
    if ((rc = arus__table_columns(j->src, j->p, j->target.table, j->arena, &j->cols, err)))
        return rc;
    j->schema = j->cols.extract;
    j->target.dest_table = j->cols.dest_table;
    rc = arus__evolve_schema(j->dst, &j->target, j->p, &j->cols, j->arena, &j->notes, &j->dropped,
                             &j->ndropped, err);
    if (j->notes.len)
        arus_log(ARUS_LOG_INFO, "sync", "table \"%s\": %s", j->target.table,
                 arus_strbuf_cstr(&j->notes));
    if (rc || (rc = arus__resolve_mode(j->src, j->p, j->target.table,
                                      j->opt && j->opt->full_refresh, j->schema, &j->mode,
                                      &j->wm_index, err)))
        return rc;
    for (size_t i = 0; j->wm_index >= 0 && i < j->cols.nhashed; i++)
        if (j->cols.hashed[i] == (size_t)j->wm_index)
            return arus_error_set(err, ARUS_ECONFIG,
                                  "hash_columns: \"%s\" is the watermark column and cannot be "
                                  "hashed",
                                  j->mode.watermark_column);
    j->keyless = arus__extract_keyless(j->schema);
    if (arus_pipeline_delete_missing(j->p, j->target.table) &&
        (rc = arus__delete_missing_check(j->dst, &j->cols, err)))
        return rc;
    j->rep->mode = j->mode.mode == ARUS_SYNC_FULL_REFRESH ? "full_refresh" : "incremental";
    j->rep->rows_estimate = j->schema->row_count_estimate;
    struct table_presence seen;
    if ((rc = probe_tables(j, &seen, err)) ||
        (rc = arus_destination_ensure_schema(j->dst, &j->target, j->cols.load, err)))
        return rc;
    if ((rc = arus_destination_get_watermark(j->dst, j->p->name, j->target.table, j->arena, &st,
                                             err)))
        return rc;
    arus__set_heap_str(&j->watermark, st.watermark, st.watermark ? strlen(st.watermark) : 0);
    j->state_updated_at = st.updated_at;
    arus__set_heap_str(&j->deletes_watermark, st.deletes_watermark,
                       st.deletes_watermark ? strlen(st.deletes_watermark) : 0);
    if ((rc = arus__read_pending(j, err)))
        return rc;
    check_drift(j, &seen);
    if (j->opt && j->opt->from && j->mode.mode == ARUS_SYNC_INCREMENTAL &&
        (rc = resolve_from(j, j->opt->from, err)))
        return rc;
    /* an unfinished split load this run does not continue is void */
    bool first = !j->watermark && !j->deletes_watermark && !j->from;
    if ((j->pending == SPLIT_REFRESH && j->mode.mode != ARUS_SYNC_FULL_REFRESH) ||
        (j->pending == SPLIT_FIRST && (j->mode.mode != ARUS_SYNC_INCREMENTAL || !first))) {
        arus__split_forget(j, j->pending_k, j->pending == SPLIT_REFRESH);
        j->pending = SPLIT_NONE;
    }
    record_run(j, ARUS_RUN_RUNNING, NULL);
    rc =
        j->mode.mode == ARUS_SYNC_FULL_REFRESH ? run_full_refresh(j, err) : run_incremental(j, err);
    if (rc == ARUS_OK && j->ndropped && j->mode.mode == ARUS_SYNC_INCREMENTAL)
        rc = null_dropped(j, err);
    return rc;
}

/* Sync one table end to end, filling its report; never stops the other tables. */
int arus__sync_table(struct arus_source *src, struct arus_destination *dst,
                     const struct arus_pipeline *p, const struct arus_sync_options *opt,
                     const char *run_id, const char *table, bool *horizon_warned,
                     enum arus__pairs pairs, struct arus_table_report *rep)
{
    struct table_job j = {
        .src = src,
        .dst = dst,
        .p = p,
        .opt = opt,
        .rep = rep,
        .arena = arus_arena_create(0),
        .target = {.pipeline = p->name,
                   .source_name = src->endpoint->name,
                   .table = table,
                   .raw_schema = p->raw_schema,
                   .target_schema = p->target_schema,
                   .run_id = run_id},
        .wm_index = -1,
        .horizon_warned = horizon_warned,
        .pairs = pairs,
        .started = arus_monotonic(),
    };
    struct arus_error err;
    arus_error_clear(&err);
    arus_strbuf_init(&j.notes);
    arus_now_utc(j.started_at, sizeof j.started_at);
    snprintf(rep->table, sizeof rep->table, "%s", table);
    rep->mode = "incremental";
    int rc = sync_table(&j, &err);
    if (rc != ARUS_OK) {
        arus_error_prefix(&err, "table \"%s\"", table);
        snprintf(rep->error, sizeof rep->error, "%s", err.msg);
    }
    rep->status = rc;
    snprintf(rep->notes, sizeof rep->notes, "%s", arus_strbuf_cstr(&j.notes));
    /* an ok run's error column carries its notes (a reload, schema changes applied) */
    if (j.schema)
        record_run(&j, rc == ARUS_OK ? ARUS_RUN_OK : ARUS_RUN_FAILED,
                   rc == ARUS_OK ? (j.notes.len ? arus_strbuf_cstr(&j.notes) : NULL) : err.msg);
    report_progress(&j, true);
    free(j.watermark);
    free(j.deletes_watermark);
    free(j.horizon);
    arus_strbuf_cleanup(&j.notes);
    arus_arena_destroy(j.arena);
    return rc;
}

/* Holding the pipeline lock, no live process owns a "running" row of this pipeline: those
 * are left by a run that died. History is best effort, as in record_run. */
static void close_dead_runs(struct arus_destination *dst, const char *pipeline)
{
    struct arus_error e;
    arus_error_clear(&e);
    if (arus_state_abort_dead_runs(dst, pipeline, &e) != ARUS_OK)
        arus_log(ARUS_LOG_WARN, "sync",
                 "pipeline \"%s\": runs of a dead process not marked aborted: %s", pipeline,
                 e.msg);
}

int arus_sync_run(struct arus_source *src, struct arus_destination *dst,
                  const struct arus_pipeline *p, const struct arus_sync_options *opt,
                  struct arus_sync_report *report, struct arus_error *err)
{
    memset(report, 0, sizeof *report);
    if (opt && opt->run_id)
        snprintf(report->run_id, sizeof report->run_id, "%s", opt->run_id);
    else
        arus_uuid_v4(report->run_id);
    struct arus_arena *a = arus_arena_create(0);
    const char **tables = NULL;
    size_t ntables = 0;
    bool locked = false;
    int rc;
    if ((rc = arus_source_connect(src, err)) || (rc = arus_destination_connect(dst, err)))
        goto out;
    report->connected = true;
    if ((rc = arus_destination_ensure_state(dst, err)))
        goto out;
    if ((rc = arus_destination_lock(dst, p->name, err)))
        goto out;
    locked = true;
    close_dead_runs(dst, p->name);
    if ((rc = arus__select_tables(src, p, opt ? opt->table : NULL, a, &tables, &ntables, err)))
        goto out;
    report->tables = arus_xcalloc(ntables ? ntables : 1, sizeof *report->tables);
    report->ntables = ntables;
    bool horizon_warned = false;
    const char **cdc_tables = arus_arena_calloc(a, ntables + 1, sizeof *cdc_tables);
    struct arus_table_report **cdc_reps = arus_arena_calloc(a, ntables + 1, sizeof *cdc_reps);
    size_t ncdc = 0;
    const char **par_tables = arus_arena_calloc(a, ntables + 1, sizeof *par_tables);
    struct arus_table_report **par_reps = arus_arena_calloc(a, ntables + 1, sizeof *par_reps);
    size_t npar = 0;
    for (size_t i = 0; i < ntables; i++) {
        if (arus_pipeline_table_cdc(p, tables[i])) {
            cdc_tables[ncdc] = tables[i];
            cdc_reps[ncdc++] = &report->tables[i];
        } else if (p->parallelism > 1) {
            par_tables[npar] = tables[i];
            par_reps[npar++] = &report->tables[i];
        } else {
            arus__sync_table(src, dst, p, opt, report->run_id, tables[i], &horizon_warned,
                             ARUS__PAIRS_PIPELINE, &report->tables[i]);
        }
    }
    if (npar)
        arus__sync_tables_parallel(src, dst, p, opt, report->run_id, par_tables, par_reps, npar,
                                   &horizon_warned);
    for (size_t i = 0; i < ntables; i++) {
        if (arus_pipeline_table_cdc(p, tables[i]))
            continue;
        report->rows_total += report->tables[i].rows_loaded;
        if (report->tables[i].status != ARUS_OK) {
            report->failed_tables++;
            if (rc == ARUS_OK) {
                rc = report->tables[i].status;
                arus_error_set(err, rc, "%s", report->tables[i].error);
            }
        }
    }
    if (ncdc) {
        struct arus_error cerr;
        arus_error_clear(&cerr);
        int crc = arus__cdc_run(src, dst, p, opt, report->run_id, cdc_tables, cdc_reps, ncdc,
                                &cerr);
        for (size_t i = 0; i < ncdc; i++) {
            report->rows_total += cdc_reps[i]->rows_loaded + cdc_reps[i]->rows_deleted;
            report->failed_tables += cdc_reps[i]->status != ARUS_OK;
        }
        if (crc != ARUS_OK && rc == ARUS_OK) {
            rc = crc;
            *err = cerr;
        }
    } else if (opt && opt->follow && rc == ARUS_OK) {
        rc = arus_error_set(err, ARUS_EINVAL,
                            "pipeline \"%s\": --follow needs tables with sync_mode: cdc", p->name);
    }
out:
    if (locked)
        arus__unlock_quietly(dst, p->name);
    arus_arena_destroy(a);
    return rc;
}

void arus__unlock_quietly(struct arus_destination *dst, const char *pipeline)
{
    struct arus_error ignored;
    arus_error_clear(&ignored);
    arus_destination_unlock(dst, pipeline, &ignored);
}

void arus_sync_report_cleanup(struct arus_sync_report *r)
{
    free(r->tables);
    memset(r, 0, sizeof *r);
}

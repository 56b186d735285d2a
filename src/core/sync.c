/* The sync engine (docs/design.md, "Correctness contract"). Per table: one ordered extract stream,
 * each batch loaded and its watermark stored in ONE destination transaction; restart is inclusive
 * from the stored watermark (merge by PK makes the re-read harmless); full refresh loads a shadow
 * table and swaps it in; soft deletes run after the main stream with their own watermark so a crash
 * between the two phases never skips a delete. The order of destination calls is the protocol
 * written in include/arus/destination.h (and checked by tests/unit/test_engine.c). */
#include "arus/sync.h"

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

struct table_job {
    struct arus_source *src;
    struct arus_destination *dst;
    const struct arus_pipeline *p;
    const struct arus_sync_options *opt;
    struct arus_table_report *rep;
    struct arus_arena *arena;
    struct arus_table_schema *schema;
    struct arus_sync_mode mode;
    struct arus_target target;
    int wm_index;            /* watermark column in the schema, -1 if none */
    char *watermark;         /* newest committed watermark (heap), NULL if none */
    char *deletes_watermark; /* heap: where the last completed run ended, NULL if none */
    double started;
    char started_at[32]; /* wall clock, for run history */
};

static void set_heap_str(char **slot, const char *p, size_t n)
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
    };
    return arus_destination_update_watermark(j->dst, &j->target, &st, err);
}

/* Roll back after a failure inside a transaction, keeping the first error. */
static void rollback_quietly(struct table_job *j)
{
    struct arus_error ignored;
    arus_error_clear(&ignored);
    arus_destination_rollback(j->dst, &ignored);
}

/* The watermark a batch reaches: rows arrive ordered by watermark, NULLs first, so the last
 * non-NULL one is the highest. */
static void advance_watermark(struct table_job *j, const struct arus_batch *b)
{
    for (size_t r = b->nrows; r-- > 0;) {
        const struct arus_cell *c = &arus_batch_row(b, r)[j->wm_index];
        if (c->data) {
            set_heap_str(&j->watermark, c->data, c->len);
            return;
        }
    }
}

/* Load rows of b (raw and/or normalized per load_mode) inside the current transaction. */
static int load_rows(struct table_job *j, const struct arus_batch *b, int64_t *loaded,
                     struct arus_error *err)
{
    int rc;
    int64_t raw_loaded = 0;
    struct arus_target raw_target = j->target;
    raw_target.shadow = false;
    if ((j->p->load_mode & ARUS_LOAD_RAW) &&
        (rc = arus_destination_load_raw(j->dst, &raw_target, b, &raw_loaded, err)))
        return rc;
    if ((rc = inject("mid_load", err)))
        return rc;
    *loaded = raw_loaded;
    if (j->p->load_mode & ARUS_LOAD_NORMALIZED)
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

/* A batch the destination refused: load it in halves, each in its own transaction, down to the
 * single rows at fault, which go to the dead-letter table. Good rows commit without the
 * watermark; a crash here only re-delivers them (merge makes that harmless). */
static int load_bisecting(struct table_job *j, const struct arus_batch *b, struct arus_error *err)
{
    struct arus_error why;
    arus_error_clear(&why);
    int64_t loaded = 0;
    int rc = arus_destination_begin(j->dst, err);
    if (rc == ARUS_OK && (rc = load_rows(j, b, &loaded, &why)) == ARUS_OK)
        rc = arus_destination_commit(j->dst, &why);
    if (rc == ARUS_OK) {
        j->rep->rows_loaded += loaded;
        return ARUS_OK;
    }
    rollback_quietly(j);
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
        rc = arus_destination_commit(j->dst, err);
    arus_strbuf_cleanup(&json);
    if (rc != ARUS_OK) {
        rollback_quietly(j);
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
    if (!full_refresh && j->wm_index >= 0) {
        advance_watermark(j, b);
        if ((rc = store_state(j, err)))
            goto fail;
    }
    if ((rc = inject("before_commit", err)) || (rc = arus_destination_commit(j->dst, err)))
        goto fail;
    j->rep->rows_loaded += loaded;
    return inject("after_commit", err);
fail:
    rollback_quietly(j);
    if (rc != ARUS_EDATA || !arus_destination_can_dead_letter(j->dst))
        return rc;
    /* Some row was refused: find it, keep the rest, then store the watermark. */
    if ((rc = load_bisecting(j, b, err)))
        return rc;
    if (full_refresh || j->wm_index < 0)
        return ARUS_OK;
    advance_watermark(j, b);
    if (!(rc = arus_destination_begin(j->dst, err)) && !(rc = store_state(j, err)))
        rc = arus_destination_commit(j->dst, err);
    if (rc)
        rollback_quietly(j);
    return rc;
}

/* Each stream's batches reach the table job through arus__stream with this context. */
struct stream_ctx {
    struct table_job *job;
    struct full_refresh_max *max; /* full refresh only */
};

static int on_batch(void *ctx, struct arus_batch *b, struct arus_error *err)
{
    struct table_job *j = ((struct stream_ctx *)ctx)->job;
    struct full_refresh_max *max = ((struct stream_ctx *)ctx)->max;
    j->rep->rows_extracted += (int64_t)b->nrows;
    int rc = load_batch(j, b, max != NULL, err);
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
    if ((rc = arus_destination_delete_rows(j->dst, &j->target, b, &deleted, err)) ||
        (rc = inject("soft_delete", err)) || (rc = arus_destination_commit(j->dst, err))) {
        rollback_quietly(j);
        return rc;
    }
    j->rep->rows_deleted += deleted;
    report_progress(j, false);
    return ARUS_OK;
}

/* The plan of one of this table's extract streams (core/extract_plan.c has the rules). */
static int plan_stream(struct table_job *j, enum arus__extract_kind kind, const char *watermark,
                       struct arus_extract_plan *plan, struct arus_error *err)
{
    return arus__extract_plan_build(plan, j->schema, &j->mode, kind, watermark,
                                    j->p->lookback_seconds, (size_t)j->p->batch_size, j->arena,
                                    err);
}

static int run_incremental(struct table_job *j, struct arus_error *err)
{
    struct arus_extract_plan plan;
    bool first_run = j->watermark == NULL && j->deletes_watermark == NULL;
    struct stream_ctx sc = {.job = j};
    int rc = plan_stream(j, ARUS__EXTRACT_INCREMENTAL, j->watermark, &plan, err);
    if (rc == ARUS_OK)
        rc = arus__stream(j->src, &plan, on_batch, &sc, err);
    if (rc != ARUS_OK)
        return rc;
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
    if (deletes &&
        (rc = plan_stream(j, ARUS__EXTRACT_SOFT_DELETES, j->deletes_watermark, &plan, err)) ==
            ARUS_OK)
        rc = arus__stream(j->src, &plan, on_deleted_batch, &sc, err);
    /* Mark the run complete: the next delete phase starts where this one ended. Written even
     * when unchanged: this last commit is where a destination that buffers writes
     * (ClickHouse streams batches into one INSERT) must show that everything arrived. */
    if (rc == ARUS_OK && reached) {
        set_heap_str(&j->deletes_watermark, reached, strlen(reached));
        if (!(rc = arus_destination_begin(j->dst, err)) && !(rc = store_state(j, err)))
            rc = arus_destination_commit(j->dst, err);
        if (rc != ARUS_OK)
            rollback_quietly(j);
    }
    free(reached);
    return rc;
}

static int run_full_refresh(struct table_job *j, struct arus_error *err)
{
    struct arus_extract_plan plan;
    struct full_refresh_max max = {.column = j->wm_index};
    int rc;
    if ((rc = plan_stream(j, ARUS__EXTRACT_FULL_REFRESH, NULL, &plan, err)))
        return rc;
    j->target.shadow = true;
    if ((rc = arus_destination_ensure_schema(j->dst, &j->target, j->schema, err)))
        goto fail;
    struct stream_ctx sc = {.job = j, .max = &max};
    if ((rc = arus__stream(j->src, &plan, on_batch, &sc, err)))
        goto fail;
    /* The refreshed table replaces the old one and the state moves to the newest watermark
     * seen, in one transaction (where the destination has them). */
    if (max.value)
        set_heap_str(&j->watermark, max.value, strlen(max.value));
    set_heap_str(&j->deletes_watermark, j->watermark, j->watermark ? strlen(j->watermark) : 0);
    if ((rc = arus_destination_begin(j->dst, err)))
        goto fail;
    if ((rc = arus_destination_swap_shadow(j->dst, &j->target, err)) ||
        (rc = inject("swap", err)) || (rc = store_state(j, err)) ||
        (rc = arus_destination_commit(j->dst, err))) {
        rollback_quietly(j);
        goto fail;
    }
    j->target.shadow = false;
    free(max.value);
    return ARUS_OK;
fail:
    free(max.value);
    {
        struct arus_error ignored;
        arus_error_clear(&ignored);
        arus_destination_drop_shadow(j->dst, &j->target, &ignored);
    }
    j->target.shadow = false;
    return rc;
}

/* Apply the pipeline's per-table overrides (primary key, watermark, deleted_at, sync mode) and
 * the --full-refresh flag on top of the detected mode. */
static int resolve_mode(struct table_job *j, struct arus_error *err)
{
    const struct arus_table_override *o = arus_pipeline_override(j->p, j->target.table);
    if (o && o->primary_key) {
        int rc = arus__apply_primary_key(j->schema, o->primary_key, err);
        if (rc)
            return rc;
    }
    arus_source_detect_sync_mode(j->src, j->schema, &j->mode);
    if (o && o->watermark_column) {
        int i = arus_schema_find(j->schema, o->watermark_column);
        if (i < 0)
            return arus_error_set(err, ARUS_ECONFIG, "watermark_column \"%s\" not found",
                                  o->watermark_column);
        j->mode.watermark_column = j->schema->columns[i].name;
        j->mode.mode = ARUS_SYNC_INCREMENTAL;
    }
    if (o && o->deleted_at_column) {
        int i = arus_schema_find(j->schema, o->deleted_at_column);
        if (i < 0)
            return arus_error_set(err, ARUS_ECONFIG, "deleted_at_column \"%s\" not found",
                                  o->deleted_at_column);
        j->mode.deleted_at_column = j->schema->columns[i].name;
    }
    if (o && o->sync_mode && strcmp(o->sync_mode, "full_refresh") == 0)
        j->mode.mode = ARUS_SYNC_FULL_REFRESH;
    if (j->opt && j->opt->full_refresh)
        j->mode.mode = ARUS_SYNC_FULL_REFRESH;
    j->wm_index =
        j->mode.watermark_column ? arus_schema_find(j->schema, j->mode.watermark_column) : -1;
    if (j->mode.mode == ARUS_SYNC_INCREMENTAL && j->wm_index < 0)
        j->mode.mode = ARUS_SYNC_FULL_REFRESH;
    if (j->mode.mode == ARUS_SYNC_FULL_REFRESH)
        j->mode.watermark_column = j->wm_index >= 0 ? j->mode.watermark_column : NULL;
    return ARUS_OK;
}

static void record_run(struct table_job *j, const char *status, const char *error)
{
    char finished[32];
    arus_now_utc(finished, sizeof finished);
    struct arus_run_record r = {
        .run_id = j->target.run_id,
        .pipeline = j->p->name,
        .table = j->target.table,
        .mode = j->rep->mode,
        .status = status,
        .started_at = j->started_at,
        .finished_at = strcmp(status, ARUS_RUN_RUNNING) == 0 ? NULL : finished,
        .rows_extracted = j->rep->rows_extracted,
        .rows_loaded = j->rep->rows_loaded,
        .rows_deleted = j->rep->rows_deleted,
        .rows_dead_lettered = j->rep->rows_dead_lettered,
        .error = error,
    };
    struct arus_error e;
    arus_error_clear(&e);
    if (arus_destination_begin(j->dst, &e) || arus_destination_record_run(j->dst, &r, &e) ||
        arus_destination_commit(j->dst, &e)) {
        rollback_quietly(j);
        arus_log(ARUS_LOG_WARN, "sync", "table \"%s\": run history not recorded: %s",
                 j->target.table, e.msg);
    }
}

static int sync_table(struct table_job *j, struct arus_error *err)
{
    int rc;
    struct arus_table_state st;
    memset(&st, 0, sizeof st);
    if ((rc = arus_source_get_table_columns(j->src, j->target.table, j->arena, &j->schema, err)))
        return rc;
    if ((rc = resolve_mode(j, err)))
        return rc;
    j->rep->mode = j->mode.mode == ARUS_SYNC_FULL_REFRESH ? "full_refresh" : "incremental";
    j->rep->rows_estimate = j->schema->row_count_estimate;
    if ((rc = arus_destination_ensure_schema(j->dst, &j->target, j->schema, err)))
        return rc;
    if ((rc = arus_destination_get_watermark(j->dst, j->p->name, j->target.table, j->arena, &st,
                                             err)))
        return rc;
    set_heap_str(&j->watermark, st.watermark, st.watermark ? strlen(st.watermark) : 0);
    set_heap_str(&j->deletes_watermark, st.deletes_watermark,
                 st.deletes_watermark ? strlen(st.deletes_watermark) : 0);
    record_run(j, ARUS_RUN_RUNNING, NULL);
    rc =
        j->mode.mode == ARUS_SYNC_FULL_REFRESH ? run_full_refresh(j, err) : run_incremental(j, err);
    return rc;
}

/* Sync one table end to end, filling its report; never stops the other tables. */
static int run_table(struct arus_source *src, struct arus_destination *dst,
                     const struct arus_pipeline *p, const struct arus_sync_options *opt,
                     const char *run_id, const char *table, struct arus_table_report *rep)
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
        .started = arus_monotonic(),
    };
    struct arus_error err;
    arus_error_clear(&err);
    arus_now_utc(j.started_at, sizeof j.started_at);
    snprintf(rep->table, sizeof rep->table, "%s", table);
    rep->mode = "incremental";
    int rc = sync_table(&j, &err);
    if (rc != ARUS_OK) {
        arus_error_prefix(&err, "table \"%s\"", table);
        snprintf(rep->error, sizeof rep->error, "%s", err.msg);
    }
    rep->status = rc;
    if (j.schema)
        record_run(&j, rc == ARUS_OK ? ARUS_RUN_OK : ARUS_RUN_FAILED,
                   rc == ARUS_OK ? NULL : err.msg);
    report_progress(&j, true);
    free(j.watermark);
    free(j.deletes_watermark);
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
    for (size_t i = 0; i < ntables; i++) {
        int trc = run_table(src, dst, p, opt, report->run_id, tables[i], &report->tables[i]);
        report->rows_total += report->tables[i].rows_loaded;
        if (trc != ARUS_OK) {
            report->failed_tables++;
            if (rc == ARUS_OK) {
                rc = trc;
                arus_error_set(err, trc, "%s", report->tables[i].error);
            }
        }
    }
out:
    if (locked) {
        struct arus_error ignored;
        arus_error_clear(&ignored);
        arus_destination_unlock(dst, p->name, &ignored);
    }
    arus_arena_destroy(a);
    return rc;
}

void arus_sync_report_cleanup(struct arus_sync_report *r)
{
    free(r->tables);
    memset(r, 0, sizeof *r);
}

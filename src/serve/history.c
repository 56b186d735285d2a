/* After a start, the pipelines' last runs come from their destinations' run history, so the
 * API and the console show the state (and a failing pipeline as failing) before anything ran
 * in this process. A thread of its own reads them, one pipeline at a time, so a slow or
 * unreachable destination delays nothing else. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/serve.h"

static double to_seconds(const char *t)
{
    int64_t us;
    return t && arus_parse_timestamp(t, strlen(t), &us) ? (double)us / 1e6 : 0;
}

/* The newest run of rows (newest first, one per run and table) as a finished serve_run. */
static struct serve_run *run_from_history(const char *pipeline, const struct arus_run_record *rows,
                                          size_t n)
{
    struct serve_run *run = arus_xcalloc(1, sizeof *run);
    snprintf(run->id, sizeof run->id, "%s", rows[0].run_id);
    run->pipeline = arus_xstrdup(pipeline);
    run->trigger = "history";
    run->status = "ok";
    arus_strbuf_init(&run->log);
    run->tables = arus_xcalloc(n, sizeof *run->tables);
    for (size_t i = 0; i < n && strcmp(rows[i].run_id, run->id) == 0; i++) {
        const struct arus_run_record *r = &rows[i];
        struct arus_table_report *t = &run->tables[run->ntables++];
        snprintf(t->table, sizeof t->table, "%s", r->table);
        t->mode = r->mode && strcmp(r->mode, "full_refresh") == 0 ? "full_refresh" : "incremental";
        t->rows_extracted = r->rows_extracted;
        t->rows_loaded = r->rows_loaded;
        t->rows_deleted = r->rows_deleted;
        t->rows_dead_lettered = r->rows_dead_lettered;
        double started = to_seconds(r->started_at), finished = to_seconds(r->finished_at);
        t->seconds = finished > started ? finished - started : 0;
        if (r->status && strcmp(r->status, ARUS_RUN_OK) != 0) {
            t->status = ARUS_EQUERY;
            snprintf(t->error, sizeof t->error, "%s", r->error ? r->error : r->status);
            run->status = strcmp(r->status, ARUS_RUN_FAILED) == 0    ? "failed"
                          : strcmp(r->status, ARUS_RUN_RUNNING) == 0 ? "running"
                                                                     : "aborted";
            snprintf(run->error, sizeof run->error, "%s", t->error);
        }
        if (!run->started_at || (started && started < run->started_at))
            run->started_at = run->queued_at = started;
        if (finished > run->finished_at)
            run->finished_at = finished;
    }
    if (!run->finished_at)
        run->finished_at = run->started_at;
    return run;
}

/* Read pipeline name's newest run and keep it, unless this process ran it meanwhile. */
static void seed(struct serve *s, struct serve_cfg *c, const char *name)
{
    const struct arus_pipeline *p = arus_config_pipeline(c->cfg, name);
    struct arus_destination *dst = NULL;
    struct arus_arena *a = arus_arena_create(0);
    struct arus_error err;
    arus_error_clear(&err);
    struct arus_run_record *rows = NULL;
    size_t n = 0;
    if (arus_destination_create(arus_config_destination(c->cfg, p->destination), &dst, &err) ||
        arus_destination_connect(dst, &err) ||
        arus_destination_list_runs(dst, name, 64, a, &rows, &n, &err))
        arus_log(ARUS_LOG_INFO, "serve", "pipeline \"%s\": no run history read: %s", name, err.msg);
    arus_destination_close(dst);
    struct serve_run *run = n ? run_from_history(name, rows, n) : NULL;
    arus_arena_destroy(a);
    if (!run)
        return;
    pthread_mutex_lock(&s->mu);
    struct serve_pstat *ps = serve_pstat(s, name);
    if (ps->has_last || serve_find_run(s, run->id)) {
        pthread_mutex_unlock(&s->mu);
        serve_run_free(run);
        return;
    }
    ps->has_last = true;
    ps->last_ok = strcmp(run->status, "ok") == 0;
    if (ps->last_ok && !ps->last_success)
        ps->last_success = run->finished_at;
    snprintf(ps->last_run_id, sizeof ps->last_run_id, "%s", run->id);
    /* Oldest of the kept runs: whatever this process runs comes before it. */
    struct serve_run **tail = &s->runs;
    while (*tail)
        tail = &(*tail)->next;
    *tail = run;
    s->nruns++;
    pthread_mutex_unlock(&s->mu);
}

static void *history_main(void *arg)
{
    struct serve *s = arg;
    pthread_mutex_lock(&s->mu);
    struct serve_cfg *c = s->cfg;
    c->refs++;
    pthread_mutex_unlock(&s->mu);
    for (size_t i = 0; i < c->cfg->npipelines; i++) {
        pthread_mutex_lock(&s->mu);
        bool stop = s->stopping;
        pthread_mutex_unlock(&s->mu);
        if (stop)
            break;
        seed(s, c, c->cfg->pipelines[i].name);
    }
    pthread_mutex_lock(&s->mu);
    serve_cfg_unref(c);
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

int serve_history_start(struct serve *s, pthread_t *thread, struct arus_error *err)
{
    if (pthread_create(thread, NULL, history_main, s) != 0)
        return arus_error_set(err, ARUS_EINTERNAL, "cannot start the run history thread");
    return ARUS_OK;
}

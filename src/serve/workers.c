/* The worker pool of arus serve: serve.workers threads take queued runs and run them with the
 * engine entry point of `arus sync` (arus_sync_pipeline: same connections, same pipeline lock,
 * same retries), capturing each run's log lines, then record the outcome, update statistics,
 * queue dependent pipelines and hand events to the webhooks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/lease.h"
#include "serve/serve.h"
#include "serve/webhooks.h"

struct sink {
    struct serve *s;
    struct serve_run *run;
};

/* Watermarks that are times, per table, read from the destination after a run. */
struct wm_times {
    char **tables;
    double *at;
    size_t n;
};

static void read_watermarks(const struct arus_config *cfg, const char *name, struct wm_times *w)
{
    const struct arus_pipeline *p = arus_config_pipeline(cfg, name);
    struct arus_destination *dst = NULL;
    struct arus_arena *a = arus_arena_create(0);
    struct arus_error err;
    arus_error_clear(&err);
    const char **tables = NULL;
    struct arus_table_state *st = NULL;
    size_t n = 0;
    if (p &&
        arus_destination_create(arus_config_destination(cfg, p->destination), &dst, &err) ==
            ARUS_OK &&
        arus_destination_connect(dst, &err) == ARUS_OK &&
        arus_destination_list_state(dst, name, a, &tables, &st, &n, &err) == ARUS_OK) {
        w->tables = arus_xcalloc(n + 1, sizeof *w->tables);
        w->at = arus_xcalloc(n + 1, sizeof *w->at);
        for (size_t i = 0; i < n; i++) {
            int64_t us;
            if (!st[i].watermark ||
                !arus_parse_timestamp(st[i].watermark, strlen(st[i].watermark), &us))
                continue;
            w->tables[w->n] = arus_xstrdup(tables[i]);
            w->at[w->n++] = (double)us / 1e6;
        }
    }
    arus_destination_close(dst);
    arus_arena_destroy(a);
}

static void wm_times_cleanup(struct wm_times *w)
{
    for (size_t i = 0; i < w->n; i++)
        free(w->tables[i]);
    free(w->tables);
    free(w->at);
}

/* Log lines of the worker's thread go to its run (capped: the first SERVE_MAX_LOG bytes). */
static void log_sink(void *ctx, const char *line)
{
    struct sink *k = ctx;
    pthread_mutex_lock(&k->s->mu);
    if (k->run->log.len < SERVE_MAX_LOG) {
        arus_strbuf_puts(&k->run->log, line);
        arus_strbuf_putc(&k->run->log, '\n');
    }
    pthread_mutex_unlock(&k->s->mu);
}

static struct serve_table_stat *table_stat(struct serve_pstat *ps, const char *table)
{
    for (size_t i = 0; i < ps->ntables; i++)
        if (strcmp(ps->tables[i].table, table) == 0)
            return &ps->tables[i];
    ps->tables = realloc(ps->tables, (ps->ntables + 1) * sizeof *ps->tables);
    if (!ps->tables)
        abort();
    struct serve_table_stat *t = &ps->tables[ps->ntables++];
    memset(t, 0, sizeof *t);
    t->table = arus_xstrdup(table);
    return t;
}

static void account(struct serve *s, struct serve_run *run, bool ok, const struct wm_times *wm)
{
    struct serve_pstat *ps = serve_pstat(s, run->pipeline);
    double d = run->finished_at - run->started_at;
    size_t b = 0;
    while (b < SERVE_NBUCKETS - 1 && d > serve_duration_buckets[b])
        b++;
    ps->buckets[b]++;
    ps->duration_sum += d;
    ps->duration_count++;
    if (ok) {
        ps->runs_ok++;
        ps->last_success = run->finished_at;
    } else {
        ps->runs_failed++;
    }
    for (size_t i = 0; i < run->ntables; i++) {
        const struct arus_table_report *t = &run->tables[i];
        struct serve_table_stat *ts = table_stat(ps, t->table);
        ts->extracted += t->rows_extracted;
        ts->loaded += t->rows_loaded;
        ts->deleted += t->rows_deleted;
        ts->dead_lettered += t->rows_dead_lettered;
    }
    for (size_t i = 0; i < wm->n; i++)
        table_stat(ps, wm->tables[i])->watermark_at = wm->at[i];
    bool was_failing = ps->has_last && !ps->last_ok;
    ps->has_last = true;
    ps->last_ok = ok;
    snprintf(ps->last_run_id, sizeof ps->last_run_id, "%s", run->id);
    if (s->hooks)
        serve_webhooks_notify(
            s->hooks, run, ok ? (was_failing ? "run_recovered" : "run_succeeded") : "run_failed");
}

/* Run one pipeline (s->mu not held). Returns the engine's code. */
static int execute(struct serve *s, struct serve_cfg *c, struct serve_run *run,
                   const volatile sig_atomic_t *stop, struct arus_sync_report *report,
                   struct wm_times *wm, struct arus_error *err)
{
    struct sink k = {.s = s, .run = run};
    arus_log_set_thread_sink(log_sink, &k, ARUS_LOG_INFO);
    arus_log(ARUS_LOG_INFO, "serve", "pipeline \"%s\": run %s started (%s)", run->pipeline, run->id,
             run->trigger);
    struct arus_sync_options opt = {.run_id = run->id, .follow = stop != NULL, .stop = stop};
    int rc = arus_sync_pipeline(c->cfg, run->pipeline, &opt, report, err);
    if (rc != ARUS_EBUSY)
        read_watermarks(c->cfg, run->pipeline, wm);
    for (size_t i = 0; i < report->ntables; i++) {
        const struct arus_table_report *t = &report->tables[i];
        arus_log(ARUS_LOG_INFO, "serve",
                 "table \"%s\" %s: extracted=%lld loaded=%lld deleted=%lld dead_letters=%lld "
                 "%.2fs%s%s",
                 t->table, t->mode, (long long)t->rows_extracted, (long long)t->rows_loaded,
                 (long long)t->rows_deleted, (long long)t->rows_dead_lettered, t->seconds,
                 t->status ? " FAILED: " : "", t->status ? t->error : "");
    }
    if (rc)
        arus_log(ARUS_LOG_WARN, "serve", "pipeline \"%s\": run %s failed: %s", run->pipeline,
                 run->id, err->msg);
    else
        arus_log(ARUS_LOG_INFO, "serve", "pipeline \"%s\": run %s ok", run->pipeline, run->id);
    arus_log_set_thread_sink(NULL, NULL, ARUS_LOG_ERROR);
    return rc;
}

/* A finished run's status for the engine's code: ARUS_EBUSY means another process held the
 * pipeline lock, so the run did nothing. */
static const char *run_status(int rc)
{
    return rc == ARUS_OK ? "ok" : rc == ARUS_EBUSY ? "skipped" : "failed";
}

/* Record the outcome of run: status, tables, statistics, webhooks (s->mu held). */
static void record(struct serve *s, struct serve_run *run, int rc, struct arus_sync_report *r,
                   const struct wm_times *wm, const struct arus_error *err)
{
    run->finished_at = (double)s->now();
    run->tables = r->tables;
    run->ntables = r->ntables;
    r->tables = NULL;
    r->ntables = 0;
    run->status = run_status(rc);
    if (rc)
        snprintf(run->error, sizeof run->error, "%s", err->msg);
    int i = serve_sched_find(&s->sched, run->pipeline);
    if (rc == ARUS_EBUSY) {
        /* Another process (arus sync, or a serve of the group) holds the pipeline lock: the
         * tick is skipped, as when this process is still running it. */
        if (i >= 0)
            s->sched.jobs[i].skipped_ticks++;
    } else {
        account(s, run, rc == ARUS_OK, wm);
    }
}

int serve_run_pipeline(struct serve *s, struct serve_cfg *c, struct serve_run *run,
                       const volatile sig_atomic_t *stop)
{
    struct arus_sync_report report = {0};
    struct wm_times wm = {0};
    struct arus_error err;
    arus_error_clear(&err);
    int rc = execute(s, c, run, stop, &report, &wm, &err);
    if (s->lease && (run->tick || run->follow))
        serve_lease_release(s->lease, run, run_status(rc));
    pthread_mutex_lock(&s->mu);
    record(s, run, rc, &report, &wm, &err);
    arus_sync_report_cleanup(&report);
    wm_times_cleanup(&wm);
    return rc;
}

/* Queue what depends on the run that ended with rc (s->mu held). */
static void queue_dependents(struct serve *s, const struct serve_run *run, int rc)
{
    int i = serve_sched_find(&s->sched, run->pipeline);
    if (i < 0)
        return;
    size_t due[64];
    size_t n = serve_sched_finished(&s->sched, (size_t)i, rc == ARUS_OK, due, 64);
    for (size_t k = 0; k < n; k++)
        serve_enqueue(s, s->sched.jobs[due[k]].name, "dependency");
}

static void *worker_main(void *arg)
{
    struct serve *s = arg;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (!s->stopping && !s->queue)
            pthread_cond_wait(&s->work, &s->mu);
        if (s->stopping)
            break;
        struct serve_run *run = s->queue;
        s->queue = run->next;
        if (!s->queue)
            s->queue_tail = NULL;
        run->next = s->runs;
        s->runs = run;
        s->nruns++;
        struct serve_cfg *c = s->cfg;
        c->refs++;
        int i = serve_sched_find(&s->sched, run->pipeline);
        if (i >= 0)
            serve_sched_started(&s->sched, (size_t)i);
        run->status = "running";
        run->started_at = (double)s->now();
        s->in_flight++;
        pthread_mutex_unlock(&s->mu);

        int rc = serve_run_pipeline(s, c, run, NULL);
        queue_dependents(s, run, rc);
        serve_cfg_unref(c);
        s->in_flight--;
        pthread_cond_broadcast(&s->idle);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

int serve_workers_start(struct serve *s, int n, pthread_t **threads, struct arus_error *err)
{
    *threads = arus_xcalloc((size_t)n, sizeof **threads);
    for (int i = 0; i < n; i++) {
        if (pthread_create(&(*threads)[i], NULL, worker_main, s) == 0)
            continue;
        /* Stop and join the ones already running: the caller joins nothing. */
        pthread_mutex_lock(&s->mu);
        s->stopping = true;
        pthread_cond_broadcast(&s->work);
        pthread_mutex_unlock(&s->mu);
        for (int k = 0; k < i; k++)
            pthread_join((*threads)[k], NULL);
        free(*threads);
        *threads = NULL;
        return arus_error_set(err, ARUS_EINTERNAL, "cannot start worker thread %d", i + 1);
    }
    return ARUS_OK;
}

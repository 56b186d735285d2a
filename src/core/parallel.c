/* Work shared out among connection pairs: the calling thread and up to N-1 workers, each on its
 * own source and destination connection, take the next item from a shared counter. Used for
 * the tables of a pipeline (pipeline key `parallelism: N`) and for the key ranges of one split
 * table (src/core/ranges.c). The pipeline lock stays held once, by the caller's destination
 * connection. Each item keeps its own transactions and state rows, so the exactly-once contract
 * does not depend on the others; each worker streams through its own bounded queue, so at most
 * N x 3 batches are in memory. */
#include <pthread.h>
#include <stdlib.h>

#include "arus/arena.h"
#include "arus/log.h"
#include "core/sync_internal.h"

struct pair_run {
    pthread_mutex_t mu;
    size_t next, n;
    arus__pair_fn fn;
    void *ctx;
};

struct pair_worker {
    struct pair_run *run;
    size_t index;
    struct arus_source *src;
    struct arus_destination *dst;
    pthread_t tid;
    bool started;
};

static void *pair_work(void *arg)
{
    struct pair_worker *w = arg;
    struct pair_run *r = w->run;
    for (;;) {
        pthread_mutex_lock(&r->mu);
        size_t i = r->next < r->n ? r->next++ : r->n;
        pthread_mutex_unlock(&r->mu);
        if (i == r->n)
            return NULL;
        r->fn(r->ctx, w->src, w->dst, w->index, i);
    }
}

/* A worker's own connection pair. Opened here, on the calling thread, before any worker runs:
 * client libraries' one-time initialisation is not thread-safe. */
static bool pair_connect(struct pair_worker *w, const struct arus_source *src,
                         const struct arus_destination *dst)
{
    struct arus_error err;
    arus_error_clear(&err);
    int rc = arus_source_create(src->endpoint, &w->src, &err);
    if (rc == ARUS_OK)
        rc = arus_destination_create(dst->endpoint, &w->dst, &err);
    if (rc == ARUS_OK)
        rc = arus_source_connect(w->src, &err);
    if (rc == ARUS_OK)
        rc = arus_destination_connect(w->dst, &err);
    if (rc == ARUS_OK)
        return true;
    arus_log(ARUS_LOG_WARN, "sync", "parallelism: one connection pair fewer: %s", err.msg);
    arus_destination_close(w->dst);
    arus_source_close(w->src);
    w->src = NULL;
    w->dst = NULL;
    return false;
}

void arus__run_on_pairs(struct arus_source *src, struct arus_destination *dst, size_t npairs,
                        size_t n, arus__pair_fn fn, void *ctx)
{
    struct pair_run run = {.n = n, .fn = fn, .ctx = ctx};
    size_t nw = npairs < n ? npairs : n;
    struct pair_worker *w = arus_xcalloc(nw ? nw : 1, sizeof *w);
    pthread_mutex_init(&run.mu, NULL);
    /* Worker 0 is the calling thread on the caller's own pair. */
    w[0] = (struct pair_worker){.run = &run, .src = src, .dst = dst};
    bool *up = arus_xcalloc(nw ? nw : 1, sizeof *up);
    for (size_t i = 1; i < nw; i++) {
        w[i] = (struct pair_worker){.run = &run, .index = i};
        up[i] = pair_connect(&w[i], src, dst);
    }
    for (size_t i = 1; i < nw; i++)
        if (up[i])
            w[i].started = pthread_create(&w[i].tid, NULL, pair_work, &w[i]) == 0;
    free(up);
    pair_work(&w[0]);
    for (size_t i = 1; i < nw; i++) {
        if (w[i].started)
            pthread_join(w[i].tid, NULL);
        arus_destination_close(w[i].dst);
        arus_source_close(w[i].src);
    }
    pthread_mutex_destroy(&run.mu);
    free(w);
}

struct tables_run {
    const struct arus_pipeline *p;
    const struct arus_sync_options *opt;
    const char *run_id;
    const char *const *tables;
    struct arus_table_report *const *reps;
    bool *horizon_warned; /* one per worker */
    enum arus__pairs pairs; /* SHARED with more than one table: the pairs go to tables */
};

static void sync_one(void *ctx, struct arus_source *src, struct arus_destination *dst,
                     size_t worker, size_t i)
{
    struct tables_run *r = ctx;
    arus__sync_table(src, dst, r->p, r->opt, r->run_id, r->tables[i], &r->horizon_warned[worker],
                     r->pairs, r->reps[i]);
}

void arus__sync_tables_parallel(struct arus_source *src, struct arus_destination *dst,
                                const struct arus_pipeline *p, const struct arus_sync_options *opt,
                                const char *run_id, const char *const *tables,
                                struct arus_table_report *const *reps, size_t n,
                                bool *horizon_warned)
{
    size_t nw = (size_t)p->parallelism;
    struct tables_run run = {.p = p, .opt = opt, .run_id = run_id, .tables = tables, .reps = reps,
                             .horizon_warned = arus_xcalloc(nw, sizeof(bool)),
                             .pairs = n > 1 ? ARUS__PAIRS_SHARED : ARUS__PAIRS_PIPELINE};
    for (size_t i = 0; i < nw; i++)
        run.horizon_warned[i] = *horizon_warned;
    arus__run_on_pairs(src, dst, nw, n, sync_one, &run);
    for (size_t i = 0; i < nw; i++)
        *horizon_warned |= run.horizon_warned[i];
    free(run.horizon_warned);
}

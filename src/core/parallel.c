/* Tables of a pipeline synced concurrently (pipeline key `parallelism: N`): the calling thread
 * and up to N-1 workers, each on its own source and destination connection, take the next table
 * from a shared counter. The pipeline lock stays held once, by the caller's destination
 * connection. Each table keeps its own transactions and state row, so the exactly-once contract
 * of a table does not depend on the others; each worker streams through its own bounded queue,
 * so at most N x 3 batches are in memory. */
#include <pthread.h>
#include <stdlib.h>

#include "arus/arena.h"
#include "arus/log.h"
#include "core/sync_internal.h"

struct par_run {
    pthread_mutex_t mu;
    size_t next;
    const struct arus_pipeline *p;
    const struct arus_sync_options *opt;
    const char *run_id;
    const char *const *tables;
    struct arus_table_report *const *reps;
    size_t n;
};

struct par_worker {
    struct par_run *run;
    struct arus_source *src;
    struct arus_destination *dst;
    bool horizon_warned;
    pthread_t tid;
    bool started;
};

static void *par_work(void *arg)
{
    struct par_worker *w = arg;
    struct par_run *r = w->run;
    for (;;) {
        pthread_mutex_lock(&r->mu);
        size_t i = r->next < r->n ? r->next++ : r->n;
        pthread_mutex_unlock(&r->mu);
        if (i == r->n)
            return NULL;
        arus__sync_table(w->src, w->dst, r->p, r->opt, r->run_id, r->tables[i], &w->horizon_warned,
                         r->reps[i]);
    }
}

/* A worker's own connection pair. Opened here, on the calling thread, before any worker runs:
 * client libraries' one-time initialisation is not thread-safe. */
static bool par_connect(struct par_worker *w, const struct arus_source *src,
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

void arus__sync_tables_parallel(struct arus_source *src, struct arus_destination *dst,
                                const struct arus_pipeline *p, const struct arus_sync_options *opt,
                                const char *run_id, const char *const *tables,
                                struct arus_table_report *const *reps, size_t n,
                                bool *horizon_warned)
{
    struct par_run run = {
        .p = p, .opt = opt, .run_id = run_id, .tables = tables, .reps = reps, .n = n};
    size_t nw = (size_t)p->parallelism < n ? (size_t)p->parallelism : n;
    struct par_worker *w = arus_xcalloc(nw ? nw : 1, sizeof *w);
    pthread_mutex_init(&run.mu, NULL);
    /* Worker 0 is the calling thread on the pipeline's own pair. */
    w[0] =
        (struct par_worker){.run = &run, .src = src, .dst = dst, .horizon_warned = *horizon_warned};
    bool *up = arus_xcalloc(nw, sizeof *up);
    for (size_t i = 1; i < nw; i++) {
        w[i] = (struct par_worker){.run = &run, .horizon_warned = *horizon_warned};
        up[i] = par_connect(&w[i], src, dst);
    }
    for (size_t i = 1; i < nw; i++)
        if (up[i])
            w[i].started = pthread_create(&w[i].tid, NULL, par_work, &w[i]) == 0;
    free(up);
    par_work(&w[0]);
    for (size_t i = 1; i < nw; i++) {
        if (w[i].started)
            pthread_join(w[i].tid, NULL);
        arus_destination_close(w[i].dst);
        arus_source_close(w[i].src);
    }
    for (size_t i = 0; i < nw; i++)
        *horizon_warned |= w[i].horizon_warned;
    pthread_mutex_destroy(&run.mu);
    free(w);
}

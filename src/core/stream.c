/* Extract and load overlap: a producer thread runs the source's extract stream into a bounded
 * queue of batches while the caller loads them. At most NBATCHES batches exist, so memory
 * stays bounded by the batch size. The source is touched only by the producer while the stream
 * runs; the destination only by the caller. */
#include <pthread.h>
#include <string.h>

#include "arus/arena.h"
#include "core/sync_internal.h"

/* Batches in flight: one being filled, one being loaded, one waiting between them. */
#define NBATCHES 3

struct queue {
    pthread_mutex_t mu;
    pthread_cond_t changed;
    struct arus_batch *full[NBATCHES];
    size_t head, count;
    struct arus_batch *spare[NBATCHES];
    size_t nspare;
    bool producer_done;
    bool cancel;
    int rc;
    struct arus_error err;
    struct arus_source *src;
    const struct arus_extract_plan *plan;
};

static struct arus_batch *take_spare(struct queue *q)
{
    pthread_mutex_lock(&q->mu);
    while (q->nspare == 0 && !q->cancel)
        pthread_cond_wait(&q->changed, &q->mu);
    struct arus_batch *b = q->cancel ? NULL : q->spare[--q->nspare];
    pthread_mutex_unlock(&q->mu);
    return b;
}

static void give_spare(struct queue *q, struct arus_batch *b)
{
    pthread_mutex_lock(&q->mu);
    q->spare[q->nspare++] = b;
    pthread_cond_broadcast(&q->changed);
    pthread_mutex_unlock(&q->mu);
}

static void *produce(void *arg)
{
    struct queue *q = arg;
    struct arus_extract *x = NULL;
    struct arus_error err;
    arus_error_clear(&err);
    int rc = q->plan->rows == ARUS_ROWS_DELETED
                 ? arus_source_extract_soft_deletes(q->src, q->plan, &x, &err)
                 : arus_source_extract_open(q->src, q->plan, &x, &err);
    while (rc == ARUS_OK) {
        struct arus_batch *b = take_spare(q);
        if (!b)
            break;
        arus_batch_clear(b);
        rc = arus_source_extract_next(q->src, x, b, &err);
        if (rc != ARUS_OK || b->nrows == 0) {
            give_spare(q, b);
            break;
        }
        pthread_mutex_lock(&q->mu);
        q->full[(q->head + q->count++) % NBATCHES] = b;
        pthread_cond_broadcast(&q->changed);
        pthread_mutex_unlock(&q->mu);
    }
    arus_source_extract_close(q->src, x);
    pthread_mutex_lock(&q->mu);
    q->producer_done = true;
    q->rc = rc;
    q->err = err;
    pthread_cond_broadcast(&q->changed);
    pthread_mutex_unlock(&q->mu);
    return NULL;
}

int arus__stream(struct arus_source *src, const struct arus_extract_plan *plan,
                 arus__batch_fn fn, void *ctx, struct arus_error *err)
{
    struct queue q = {.src = src, .plan = plan};
    pthread_mutex_init(&q.mu, NULL);
    pthread_cond_init(&q.changed, NULL);
    for (size_t i = 0; i < NBATCHES; i++)
        q.spare[q.nspare++] = arus_batch_create(plan->table, plan->batch_size);
    pthread_t producer;
    int rc = ARUS_OK;
    if (pthread_create(&producer, NULL, produce, &q) != 0) {
        rc = arus_error_set(err, ARUS_EINTERNAL, "cannot start the extract thread");
        goto out;
    }
    for (;;) {
        pthread_mutex_lock(&q.mu);
        while (q.count == 0 && !q.producer_done)
            pthread_cond_wait(&q.changed, &q.mu);
        if (q.count == 0) {
            pthread_mutex_unlock(&q.mu);
            break;
        }
        struct arus_batch *b = q.full[q.head];
        q.head = (q.head + 1) % NBATCHES;
        q.count--;
        pthread_mutex_unlock(&q.mu);
        rc = fn(ctx, b, err);
        give_spare(&q, b);
        if (rc != ARUS_OK)
            break;
    }
    pthread_mutex_lock(&q.mu);
    q.cancel = true;
    pthread_cond_broadcast(&q.changed);
    pthread_mutex_unlock(&q.mu);
    pthread_join(producer, NULL);
    /* Batches still queued after a load failure go back to the pool. */
    while (q.count) {
        q.spare[q.nspare++] = q.full[q.head];
        q.head = (q.head + 1) % NBATCHES;
        q.count--;
    }
    if (rc == ARUS_OK && q.rc != ARUS_OK) {
        rc = q.rc;
        *err = q.err;
    }
out:
    for (size_t i = 0; i < q.nspare; i++)
        arus_batch_destroy(q.spare[i]);
    pthread_cond_destroy(&q.changed);
    pthread_mutex_destroy(&q.mu);
    return rc;
}

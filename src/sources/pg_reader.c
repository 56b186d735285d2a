/* Read-ahead thread for COPY TO STDOUT (see pg_reader.h). The thread owns the connection while
 * it runs: it alone calls PQgetCopyData/PQgetResult; the consumer only takes rows from the
 * queue, and stopping early uses PQcancel, which libpq allows from any thread. */
#include "sources/pg_reader.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "arus/arena.h"
#include "destinations/pg_conn.h"

struct pg_row {
    char *line;
    int len;
};

struct arus__pg_reader {
    PGconn *conn;
    char what[320];
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t can_take;   /* rows queued or stream ended */
    pthread_cond_t can_put;    /* room in the queue or stop requested */
    struct pg_row *ring;
    size_t cap, head, count, bytes, max_bytes;
    bool done;                 /* the thread has finished reading (rc/err final) */
    bool stop;
    bool taker_waits, putter_waits; /* signal only a side that sleeps: no wake-up per row */
    int rc;
    struct arus_error err;
};

/* After the last row (or a failure): collect the COPY's final results so the connection is
 * idle again. */
static int pg_reader_finish(struct arus__pg_reader *r, int len)
{
    PGresult *res;
    int rc = ARUS_OK;
    while ((res = PQgetResult(r->conn))) {
        if (rc == ARUS_OK && PQresultStatus(res) != PGRES_COMMAND_OK)
            rc = arus__pg_fail(r->conn, res, &r->err, r->what);
        PQclear(res);
    }
    if (rc == ARUS_OK && len == -2)
        rc = arus__pg_fail(r->conn, NULL, &r->err, r->what);
    return rc;
}

static void *pg_reader_main(void *arg)
{
    struct arus__pg_reader *r = arg;
    int len;
    for (;;) {
        char *line = NULL;
        len = PQgetCopyData(r->conn, &line, 0);
        if (len < 0)
            break;
        pthread_mutex_lock(&r->mu);
        while (!r->stop && r->count > 0 &&
               (r->count == r->cap || r->bytes >= r->max_bytes)) {
            r->putter_waits = true;
            pthread_cond_wait(&r->can_put, &r->mu);
            r->putter_waits = false;
        }
        if (r->stop) {
            pthread_mutex_unlock(&r->mu);
            PQfreemem(line);
            break;
        }
        r->ring[(r->head + r->count) % r->cap] = (struct pg_row){line, len};
        r->count++;
        r->bytes += (size_t)len;
        if (r->taker_waits)
            pthread_cond_signal(&r->can_take);
        pthread_mutex_unlock(&r->mu);
    }
    /* Stopped early: the COPY was cancelled; read it to its end so the connection is idle. */
    if (len >= 0) {
        char *line;
        while ((len = PQgetCopyData(r->conn, &line, 0)) >= 0)
            PQfreemem(line);
    }
    int rc = pg_reader_finish(r, len);
    pthread_mutex_lock(&r->mu);
    r->rc = rc;
    r->done = true;
    pthread_cond_signal(&r->can_take);
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

struct arus__pg_reader *arus__pg_reader_start(PGconn *conn, size_t max_lines, size_t max_bytes,
                                              const char *what)
{
    struct arus__pg_reader *r = arus_xcalloc(1, sizeof *r);
    r->conn = conn;
    snprintf(r->what, sizeof r->what, "%s", what);
    r->cap = max_lines ? max_lines : 1;
    r->max_bytes = max_bytes;
    r->ring = arus_xcalloc(r->cap, sizeof *r->ring);
    arus_error_clear(&r->err);
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->can_take, NULL);
    pthread_cond_init(&r->can_put, NULL);
    if (pthread_create(&r->thread, NULL, pg_reader_main, r) != 0)
        abort(); /* like out of memory: nothing sensible to continue with */
    return r;
}

int arus__pg_reader_next(struct arus__pg_reader *r, char **line, int *len,
                         struct arus_error *err)
{
    pthread_mutex_lock(&r->mu);
    while (r->count == 0 && !r->done) {
        r->taker_waits = true;
        pthread_cond_wait(&r->can_take, &r->mu);
        r->taker_waits = false;
    }
    int rc = 1;
    if (r->count > 0) {
        struct pg_row row = r->ring[r->head];
        r->head = (r->head + 1) % r->cap;
        r->count--;
        r->bytes -= (size_t)row.len;
        *line = row.line;
        *len = row.len;
        /* Wake the reader once half the queue is free rather than for every row. */
        if (r->putter_waits && r->count <= r->cap / 2 && r->bytes <= r->max_bytes / 2)
            pthread_cond_signal(&r->can_put);
    } else {
        rc = r->rc;
        if (rc != ARUS_OK && err)
            *err = r->err;
    }
    pthread_mutex_unlock(&r->mu);
    return rc;
}

void arus__pg_reader_stop(struct arus__pg_reader *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&r->mu);
    bool running = !r->done;
    r->stop = true;
    pthread_cond_signal(&r->can_put);
    pthread_mutex_unlock(&r->mu);
    if (running) {
        /* The thread may be blocked waiting for the server: make the server end the COPY. */
        PGcancel *cancel = PQgetCancel(r->conn);
        char buf[256];
        if (cancel) {
            PQcancel(cancel, buf, sizeof buf);
            PQfreeCancel(cancel);
        }
    }
    pthread_join(r->thread, NULL);
    for (; r->count > 0; r->count--, r->head = (r->head + 1) % r->cap)
        PQfreemem(r->ring[r->head].line);
    pthread_cond_destroy(&r->can_put);
    pthread_cond_destroy(&r->can_take);
    pthread_mutex_destroy(&r->mu);
    free(r->ring);
    free(r);
}

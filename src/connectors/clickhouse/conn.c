/* The ClickHouse destination's session with its server: statements over the shared HTTP
 * connection, the INSERT streams that carry a table's batches, the row versions of
 * ReplacingMergeTree, and the coalesced watermark that must be dropped when rows it would cover
 * were refused. Used by destination.c (tables, loads) and state.c (watermarks, run history). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arus/arena.h"
#include "arus/log.h"
#include "arus/util.h"
#include "connectors/clickhouse/conn.h"

/* ---- streamed INSERTs
 * Every INSERT costs ClickHouse (18.16) ~0.1 s and a part on disk, whatever its size, so the
 * rows of consecutive batches of a table go into one open INSERT per table kind (raw, typed),
 * finished after CH_STREAM_SECONDS or CH_STREAM_ROWS, before any other statement, and when a
 * commit stores state. Watermarks wait for that finish (see ch_commit): the stored watermark
 * never runs ahead of rows the server has accepted. */
#define CH_STREAM_SECONDS 1.0
#define CH_STREAM_ROWS    500000

void arus__ch_stream_forget(struct ch_insert_stream *is)
{
    free(is->stmt);
    free(is->what);
    is->stmt = is->what = NULL;
    is->rows = 0;
    is->due = false;
}

bool arus__ch_streams_open(const struct ch_dest *d)
{
    for (size_t i = 0; i < CH_NSTREAMS; i++)
        if (d->streams[i].stmt)
            return true;
    return false;
}

bool arus__ch_streams_due(const struct ch_dest *d)
{
    double now = arus_monotonic();
    for (size_t i = 0; i < CH_NSTREAMS; i++) {
        const struct ch_insert_stream *is = &d->streams[i];
        if (is->stmt &&
            (is->due || is->rows >= CH_STREAM_ROWS || now - is->opened_at >= CH_STREAM_SECONDS))
            return true;
    }
    return false;
}

int arus__ch_finish_streams(struct ch_dest *d, struct arus_error *err)
{
    int rc = ARUS_OK;
    for (size_t i = 0; i < CH_NSTREAMS; i++) {
        struct ch_insert_stream *is = &d->streams[i];
        if (!is->stmt)
            continue;
        struct arus_error e;
        arus_error_clear(&e);
        int r = arus__ch_stream_finish(&is->s, &e);
        if (r != ARUS_OK && rc == ARUS_OK) {
            arus_error_prefix(&e, "%s on clickhouse \"%s\"", is->what, d->name);
            rc = r;
            if (err)
                *err = e;
        }
        arus__ch_stream_forget(is);
    }
    if (rc != ARUS_OK)
        arus__ch_discard_state(d);
    return rc;
}

/* Append one batch's rows (body, TabSeparated for stmt) to the open INSERT of this kind,
 * opening one (after finishing a different one) as needed. */
int arus__ch_stream_rows(struct ch_dest *d, int kind, const char *stmt, const char *what,
                         const char *body, size_t len, const struct arus_batch *b,
                         struct arus_error *err)
{
    struct ch_insert_stream *is = &d->streams[kind];
    int rc = ARUS_OK;
    if (is->stmt && strcmp(is->stmt, stmt) != 0 && (rc = arus__ch_finish_streams(d, err)))
        return rc;
    if (!is->stmt) {
        arus_log(ARUS_LOG_TRACE, CH_COMPONENT, "%s", stmt);
        if ((rc = arus__ch_stream_open(&is->s, &d->opt, stmt, err))) {
            arus_error_prefix(err, "%s on clickhouse \"%s\"", what, d->name);
            return rc;
        }
        is->stmt = arus_xstrdup(stmt);
        is->what = arus_xstrdup(what);
        is->opened_at = arus_monotonic();
        /* A table's first batch goes alone, and so its watermark is stored right after it:
         * the engine takes a table without state for one never loaded (a first run skips soft
         * deletes), which a killed run's partly kept INSERT of many batches would belie
         * (it_fault_kills caught that). Also a refused INSERT (types, grants) fails at once.
         * Later requests span CH_STREAM_SECONDS. */
        is->due = !is->warm;
        is->warm = true;
    }
    if ((rc = arus__ch_stream_write(&is->s, body, len, err))) {
        arus_error_prefix(err, "%s on clickhouse \"%s\"", what, d->name);
        arus__ch_stream_forget(is);
        arus__ch_discard_state(d);
        return rc;
    }
    is->rows += (int64_t)b->nrows;
    /* a short batch is the source's last: no reason to keep the request open */
    is->due = is->due || b->nrows < b->capacity;
    d->loaded = true;
    return ARUS_OK;
}

int arus__ch_exec(struct ch_dest *d, const char *stmt, const char *body, size_t len,
                  struct arus_error *err, const char *what_fmt, ...)
{
    /* data first: whatever this statement is, the rows before it must be in */
    int rc = arus__ch_finish_streams(d, err);
    if (rc != ARUS_OK)
        return rc;
    arus_log(ARUS_LOG_TRACE, CH_COMPONENT, "%s", stmt);
    rc = arus__ch_http_exec(&d->http, stmt, body, len, err);
    if (rc != ARUS_OK) {
        char what[512];
        va_list ap;
        va_start(ap, what_fmt);
        vsnprintf(what, sizeof what, what_fmt, ap);
        va_end(ap);
        arus_error_prefix(err, "%s on clickhouse \"%s\"", what, d->name);
    }
    return rc;
}

uint64_t arus__ch_next_version(struct ch_dest *d)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t v = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
    if (v <= d->last_version)
        v = d->last_version + 1;
    d->last_version = v;
    return v;
}

void arus__ch_discard_state(struct ch_dest *d)
{
    for (size_t i = 0; i < sizeof d->pending / sizeof *d->pending; i++) {
        free(d->pending[i]);
        d->pending[i] = NULL;
    }
    d->state_pending = false;
}

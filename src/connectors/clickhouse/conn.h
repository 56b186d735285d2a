/* Private to the ClickHouse connector: the instance struct shared by destination.c (tables,
 * loads, lock) and state.c (watermarks and run history), and the session helpers of conn.c
 * that both use. */
#ifndef ARUS_CH_CONN_H
#define ARUS_CH_CONN_H

#include <stdbool.h>
#include <stdint.h>

#include "arus/destination.h"
#include "arus/state.h"
#include "arus/strbuf.h"
#include "connectors/clickhouse/http.h"

/* An INSERT kept open across batches (see arus__ch_stream_rows in conn.c). */
struct ch_insert_stream {
    struct ch_stream s;
    char *stmt; /* the open INSERT; NULL when none is open */
    char *what; /* "insert rows into ..." prefix for its errors */
    int64_t rows;
    double opened_at; /* arus_monotonic() */
    bool due;         /* finish at the next commit */
    bool warm;        /* this kind had a stream since the table's ensure_schema */
};

enum { CH_STREAM_RAW, CH_STREAM_TYPED, CH_NSTREAMS };

#define CH_COMPONENT "clickhouse" /* log component */

struct ch_dest {
    struct arus_destination base;
    const char *name; /* endpoint name, for messages */
    struct ch_http_options opt;
    struct ch_http http;
    bool http_ready;
    const char *raw_schema; /* configured defaults (databases) */
    const char *target_schema;
    const char *state_schema;
    int major, minor;           /* server version */
    bool has_ttl;               /* TTL clause (19.6+) */
    bool has_datetime64;        /* DateTime64 (20.1+) */
    bool has_add_if_not_exists; /* ALTER ... ADD COLUMN IF NOT EXISTS (19.3+) */
    bool ttl_noticed;
    uint64_t last_version;
    int lock_fd; /* -1 when not locked */
    /* Watermark writes are coalesced (see arus__ch_update_watermark): the newest state not yet
     * written, as heap strings in the watermarks table's column order, and when state was last
     * written (arus_monotonic). */
    bool state_pending;
    char *pending[ARUS_STATE_MAX_COLUMNS];
    double state_written_at;
    /* Open INSERTs of raw and typed rows, and whether the engine loaded rows since begin. */
    struct ch_insert_stream streams[CH_NSTREAMS];
    bool loaded;
    struct arus_strbuf sql;  /* scratch: statements */
    struct arus_strbuf body; /* scratch: request bodies (one batch) */
};

/* Run stmt (with an optional body); a failure is prefixed with "<what> on clickhouse \"name\"",
 * what formatted from what_fmt (e.g. "create table \"db\".\"t\""). The response stays in
 * d->http.resp. */
int arus__ch_exec(struct ch_dest *d, const char *stmt, const char *body, size_t len,
                  struct arus_error *err, const char *what_fmt, ...)
    __attribute__((format(printf, 6, 7)));
/* Finish every open INSERT stream and check the server's answers. On failure the pending
 * watermark is dropped: it may cover the refused rows. */
int arus__ch_finish_streams(struct ch_dest *d, struct arus_error *err);
/* Some INSERT stream is open (rows sent that the server has not answered for yet). */
bool arus__ch_streams_open(const struct ch_dest *d);
/* Some open INSERT has reached its time or row limit, or was marked to end at this commit. */
bool arus__ch_streams_due(const struct ch_dest *d);
/* Forget an INSERT stream's statement and counters (after it finished or failed). */
void arus__ch_stream_forget(struct ch_insert_stream *is);
/* Append one batch's rows (body, TabSeparated for stmt) to the open INSERT of kind
 * (CH_STREAM_RAW or CH_STREAM_TYPED), opening one (after finishing a different one) as needed;
 * what prefixes its errors. */
int arus__ch_stream_rows(struct ch_dest *d, int kind, const char *stmt, const char *what,
                         const char *body, size_t len, const struct arus_batch *b,
                         struct arus_error *err);

/* A strictly increasing version for ReplacingMergeTree rows: microseconds since the epoch,
 * bumped by one when the clock has not moved (or moved back) since the last call. */
uint64_t arus__ch_next_version(struct ch_dest *d);

/* Write a coalesced watermark now, if one is pending. Called before state is read, at the
 * end of a table (record_run), on unlock and close. */
int arus__ch_flush_state(struct ch_dest *d, struct arus_error *err);
/* Drop a pending watermark without writing it (close after a failed flush; refused rows). */
void arus__ch_discard_state(struct ch_dest *d);

/* Slots implemented in state.c. */
int arus__ch_ensure_state(struct arus_destination *dst, struct arus_error *err);
int arus__ch_update_watermark(struct arus_destination *dst, const struct arus_target *t,
                              const struct arus_table_state *st, struct arus_error *err);
int arus__ch_get_watermark(struct arus_destination *dst, const char *pipeline, const char *table,
                           struct arus_arena *a, struct arus_table_state *out,
                           struct arus_error *err);
int arus__ch_record_run(struct arus_destination *dst, const struct arus_run_record *r,
                        struct arus_error *err);
int arus__ch_list_runs(struct arus_destination *dst, const char *pipeline, size_t limit,
                       struct arus_arena *a, struct arus_run_record **out, size_t *n,
                       struct arus_error *err);
int arus__ch_list_state(struct arus_destination *dst, const char *pipeline, struct arus_arena *a,
                        const char ***tables, struct arus_table_state **states, size_t *n,
                        struct arus_error *err);
int arus__ch_forget_state(struct arus_destination *dst, const char *pipeline, const char *table,
                          int64_t *forgotten, struct arus_error *err);

#endif

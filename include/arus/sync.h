/* The sync engine: runs a pipeline (all selected tables, or one) from its source into its
 * destination under the correctness contract of docs/design.md. */
#ifndef ARUS_SYNC_H
#define ARUS_SYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arus/config.h"
#include "arus/destination.h"
#include "arus/error.h"
#include "arus/source.h"

struct arus_table_report {
    char table[256];
    const char *mode;          /* "incremental" | "full_refresh" (static string) */
    int64_t rows_extracted;
    int64_t rows_loaded;
    int64_t rows_deleted;
    int64_t rows_dead_lettered;  /* rows the destination refused, kept in _dead_letters */
    int64_t rows_estimate;     /* the source's row estimate (0 = unknown), for an ETA */
    double seconds;
    int status;                /* ARUS_OK or the failure code */
    char error[ARUS_ERROR_MSG_MAX];
};

/* Progress callback: called after every committed batch and once at the end of a table
 * (done = true). */
typedef void (*arus_progress_fn)(void *ctx, const struct arus_table_report *t, bool done);

struct arus_sync_options {
    const char *table;         /* only this table (NULL = the pipeline's selection) */
    bool full_refresh;         /* force full refresh for every selected table */
    arus_progress_fn progress;
    void *progress_ctx;
    const char *run_id;        /* the run's id (36-char UUID text) chosen by the caller, e.g.
                                  `arus serve` answering a trigger; NULL = a new random one */
};

struct arus_sync_report {
    char run_id[37];
    struct arus_table_report *tables; /* malloc'ed; freed by arus_sync_report_cleanup */
    size_t ntables;
    int64_t rows_total;
    int failed_tables;
    bool connected;            /* both connections were established during the run */
};

/* Run pipeline p with already-created, unconnected source and destination instances (the CLI
 * makes them from the config; tests pass fakes). Connects both, takes the pipeline lock,
 * syncs each selected table, records run history, releases the lock. Does not close the
 * instances. Returns ARUS_OK when every table synced; otherwise the first failure's code with
 * its message in err (and per-table outcomes in report). */
int arus_sync_run(struct arus_source *src, struct arus_destination *dst,
                  const struct arus_pipeline *p, const struct arus_sync_options *opt,
                  struct arus_sync_report *report, struct arus_error *err);
void arus_sync_report_cleanup(struct arus_sync_report *r);

/* Run pipeline `name` of cfg: create its source and destination from the config and call
 * arus_sync_run; when a run that had connected fails because a server went away
 * (ARUS_ECONNECT, ARUS_ETIMEOUT), close both, wait (initial_backoff doubling up to max_backoff)
 * and run again, at most max_retries times. A first attempt that cannot connect at all (wrong
 * password, unknown host) fails at once. Each retry resumes from the committed watermarks, so
 * nothing is lost or duplicated. The report is that of the last attempt. */
int arus_sync_pipeline(const struct arus_config *cfg, const char *name,
                       const struct arus_sync_options *opt, struct arus_sync_report *report,
                       struct arus_error *err);

#endif

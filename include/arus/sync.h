/* The sync engine: runs a pipeline (all selected tables, or one) from its source into its
 * destination under the correctness contract of docs/design.md. */
#ifndef ARUS_SYNC_H
#define ARUS_SYNC_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arus/config.h"
#include "arus/destination.h"
#include "arus/error.h"
#include "arus/source.h"

/* When a source cannot tell its commit horizon, incremental runs read this much further back
 * (docs/consistency.md). */
#define ARUS_HORIZON_FALLBACK_SECONDS 300.0
/* A run that reads this many rows with a NULL watermark warns (they are read on every run). */
#define ARUS_NULL_WATERMARK_WARN_ROWS 1000

struct arus_table_report {
    char table[256];
    const char *mode;          /* "incremental" | "full_refresh" | "cdc" | "reload" (static string):
                                  reload is a full refresh of an incremental table whose
                                  state no longer matched the destination (reload_reason) */
    char reload_reason[128];   /* why it reloads; empty unless mode is "reload" */
    char notes[512];           /* what the run changed besides rows ("; "-separated): the
                                  reload and its reason, schema changes applied (also in the
                                  run history's error column of an ok run) */
    int64_t rows_extracted;
    int64_t rows_loaded;
    int64_t rows_deleted;
    int64_t rows_dead_lettered;  /* rows the destination refused, kept in _dead_letters */
    int64_t rows_estimate;     /* the source's row estimate (0 = unknown), for an ETA */
    int64_t rows_null_watermark; /* rows read with a NULL watermark (read on every run) */
    char horizon[64];          /* the commit horizon of this run, "" when none was read */
    char delivered[64];        /* the newest watermark delivered when the horizon held the
                                  stored one below it, "" otherwise */
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
    const char *from;          /* backfill: incremental tables read from this watermark value
                                  (a timestamp, or the column's own type) instead of the stored
                                  one, which never moves back; NULL = stored watermark */
    arus_progress_fn progress;
    void *progress_ctx;
    bool follow;               /* cdc tables: keep streaming until *stop (else stop at the log
                                  end seen at start) */
    const volatile sig_atomic_t *stop; /* set by a signal handler: finish the source
                                          transaction in progress, commit, return ARUS_OK */
    const volatile sig_atomic_t *abandon; /* checked before each batch of a table's load: when
                                             set the load ends with ARUS_ESTOPPED, keeping what
                                             was committed (a CDC initial copy sets it to stop) */
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

/* What pipeline p does with one source table (arus discover SOURCE --pipeline P). */
struct arus_table_rules {
    bool selected;                 /* synced by p */
    char why[ARUS_ERROR_MSG_MAX];    /* why not (not in tables:, excluded, disabled), or the
                                      rule error when rc != ARUS_OK */
    const char *dest_table;        /* destination table name */
    enum arus_load_mode load_mode;
    const char **column_as;        /* per column of the table: its destination name, NULL when
                                      left out by columns/exclude_columns */
    bool *hashed;                  /* per column: loaded as HMAC-SHA256 hex */
};

/* Apply p's selection and column rules to table t (a discovered schema; a primary_key override
 * changes it in place), into out (arrays allocated in a). Returns ARUS_OK, or ARUS_ECONFIG when
 * a rule does not fit the table (message also in out->why). */
int arus_pipeline_table_rules(const struct arus_pipeline *p, struct arus_table_schema *t,
                              struct arus_arena *a, struct arus_table_rules *out,
                              struct arus_error *err);

/* What arus_dead_letters_replay did. */
struct arus_replay_report {
    int64_t replayed;      /* rows that loaded and left _dead_letters */
    int64_t still_refused; /* rows the destination refused again (kept) */
    char last_error[ARUS_ERROR_MSG_MAX];
};

/* Load the dead letters of pipeline p (of `table` only unless NULL) again, each in one
 * transaction with its deletion from _dead_letters: rows that now load leave the table, rows
 * still refused stay. dst must be connected; connects src (for the tables' columns) when there
 * is something to replay; holds the pipeline lock meanwhile; closes neither. Returns ARUS_OK when every row loaded (or there
 * were none), ARUS_EDATA when some were refused again (counts in rep), ARUS_ENOTSUP when the
 * destination cannot list or delete dead letters, or the failure that stopped it. */
int arus_dead_letters_replay(struct arus_source *src, struct arus_destination *dst,
                             const struct arus_pipeline *p, const char *table,
                             struct arus_replay_report *rep, struct arus_error *err);

#endif

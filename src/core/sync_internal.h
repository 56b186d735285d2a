/* Helpers of the sync engine that live in their own files: watermark arithmetic and ordering
 * (watermark.c) and table selection / key overrides (selection.c). */
#ifndef ARUS_SYNC_INTERNAL_H
#define ARUS_SYNC_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arus/config.h"
#include "arus/destination.h"
#include "arus/source.h"
#include "arus/strbuf.h"
#include "arus/types.h"

struct arus_arena;

/* Running maximum of one column over the batches of a full refresh (which streams in no
 * particular order). value is heap-allocated; the caller frees it. */
struct full_refresh_max {
    int column; /* -1: nothing to track */
    char *value;
};
void arus__track_max(struct full_refresh_max *m, const struct arus_batch *b);

/* Order two non-NULL canonical cells of logical type t: <0, 0, >0. */
int arus__cell_compare(enum arus_ltype t, const char *a, size_t an, const char *b, size_t bn);

/* The inclusive lower bound to extract from: wm minus lookback_seconds for time-typed
 * watermark columns (formatted into buf), wm itself otherwise; NULL when wm is NULL. */
const char *arus__lookback(const char *wm, const struct arus_column *col,
                           double lookback_seconds, char *buf, size_t n);

/* Replace the schema's primary key by the comma-separated column list `columns`. */
int arus__apply_primary_key(struct arus_table_schema *t, const char *columns,
                            struct arus_error *err);

/* Apply the pipeline's per-table overrides of `table` (primary key into schema, watermark,
 * deleted_at, sync mode) and the --full-refresh flag (full_refresh) on top of the detected mode
 * into *mode; *wm_index is the watermark column in schema, -1 if none. ARUS_ECONFIG when an
 * override names a column the table lacks. */
int arus__resolve_mode(struct arus_source *src, const struct arus_pipeline *p, const char *table,
                       bool full_refresh, struct arus_table_schema *schema,
                       struct arus_sync_mode *mode, int *wm_index, struct arus_error *err);

/* Create the (unconnected) source and destination pipeline p names in cfg into *src and *dst,
 * which the caller sets to NULL first and closes afterwards, also after a failure. */
int arus__pipeline_endpoints(const struct arus_config *cfg, const struct arus_pipeline *p,
                             struct arus_source **src, struct arus_destination **dst,
                             struct arus_error *err);

/* Release the lock of pipeline `pipeline` a run (sync, verify --repair, replay) took on dst at
 * its end. A failure is not reported: the run returns its own outcome. */
void arus__unlock_quietly(struct arus_destination *dst, const char *pipeline);

/* The tables a run covers: `only` (which must be selected by the pipeline) or every table the
 * pipeline selects (globs resolved by discover_tables). Names allocated in a. */
int arus__select_tables(struct arus_source *src, const struct arus_pipeline *p, const char *only,
                        struct arus_arena *a, const char ***out, size_t *n,
                        struct arus_error *err);

/* What one table moves (core/columns.c): the schema an extract reads (columns:, or without
 * exclude_columns:, primary-key override applied), the schema the destination gets (the same
 * columns in the same order, renamed, hashed ones as 64-character text), the hashed columns'
 * indexes, the destination table name (NULL: the source's) and the load mode. In an arena. */
struct arus__columns {
    struct arus_table_schema *extract;
    struct arus_table_schema *load;
    size_t *hashed;
    size_t nhashed;
    const char *key; /* the pipeline's hash_key */
    const char *dest_table;
    enum arus_load_mode load_mode;
};
/* The rules of p for table t (its source schema, changed in place by a primary_key override).
 * ARUS_ECONFIG naming the table when a rule names a column it lacks, leaves out a key column,
 * hashes a column it leaves out, or renames two columns alike. */
int arus__apply_column_rules(const struct arus_pipeline *p, struct arus_table_schema *t,
                             struct arus_arena *a, struct arus__columns *out,
                             struct arus_error *err);
/* get_table_columns of table, then arus__apply_column_rules. */
int arus__table_columns(struct arus_source *src, const struct arus_pipeline *p, const char *table,
                        struct arus_arena *a, struct arus__columns *out, struct arus_error *err);
/* Replace the hashed columns' cells of b by HMAC-SHA256(key, value) in hex (batch arena). */
void arus__hash_cells(const struct arus__columns *c, struct arus_batch *b);
/* The text a hashed value becomes: HMAC-SHA256(key, data[0..len)) in lower-case hex, into out
 * (ARUS__HMAC_HEX + 1 bytes, NUL-terminated). What arus__hash_cells writes, one cell. */
#define ARUS__HMAC_HEX 64
void arus__hmac_hex(const char *key, const char *data, size_t len, char *out);
/* Make c the destination's column of a hashed value (64-character text, "hmac-sha256"). */
void arus__hashed_column(struct arus_column *c);
/* p's rules for one column col of table that was not in the schema the rules were applied to
 * (a column the source added while change data capture runs): false when it does not move
 * (left out by columns: or exclude_columns:), else *as is its destination name (rename:) and
 * *hashed whether hash_columns names it. */
bool arus__column_rule(const struct arus_pipeline *p, const char *table,
                       const struct arus_column *col, const char **as, bool *hashed);

/* How a destination column of type have relates to the source's type want. */
enum arus__widening {
    ARUS__COVERED,      /* have holds every value of want: nothing to do */
    ARUS__WIDEN,        /* a safe widening: int -> bigint, varchar(n) -> longer, decimal
                           precision up, int -> decimal, float -> double, anything -> text */
    ARUS__INCOMPATIBLE, /* neither: left alone, rows that do not fit are refused */
};
/* Classify have -> want; for ARUS__WIDEN *to is the type to ALTER to (want, or a decimal wide
 * enough for both). */
enum arus__widening arus__type_widening(const struct arus_type *have, const struct arus_type *want,
                                        struct arus_type *to);

struct arus_strbuf;
/* schema_changes / dropped_columns (core/schema_evolve.c): compare t's typed table
 * (describe_table; nothing to do when it is missing or the destination cannot describe) with
 * c->load and apply p's policies: safe widenings are ALTERed (evolve), new columns leave c
 * (freeze), any change fails with ARUS_EINVAL naming it (fail). What was applied is appended
 * to notes ("; "-separated). *dropped lists the destination columns to set NULL after the run
 * (dropped_columns: null; in a). */
int arus__evolve_schema(struct arus_destination *dst, const struct arus_target *t,
                        const struct arus_pipeline *p, struct arus__columns *c,
                        struct arus_arena *a, struct arus_strbuf *notes, const char ***dropped,
                        size_t *ndropped, struct arus_error *err);

/* Run the extract stream of plan on a producer thread and call fn(ctx, batch) for each batch
 * in order on the calling thread (extract and load overlap). Stops at the first failure of
 * either side; returns it with its message in err. */
typedef int (*arus__batch_fn)(void *ctx, struct arus_batch *b, struct arus_error *err);
int arus__stream(struct arus_source *src, const struct arus_extract_plan *plan,
                 arus__batch_fn fn, void *ctx, struct arus_error *err);

/* Sync one table end to end (the engine's per-table job), filling rep; with opt->full_refresh
 * it reloads the table into a shadow and swaps it in (change data capture's initial copy).
 * horizon_warned (run-wide, may be NULL) keeps the missing-horizon warning to one per run.
 * pairs says which `parallelism` may split the table into key ranges (split.c). */
enum arus__pairs {
    ARUS__PAIRS_PIPELINE, /* the table alone: its own parallelism, else the pipeline's */
    ARUS__PAIRS_SHARED,   /* other tables run on the pipeline's other pairs meanwhile: only the
                             table's own parallelism (the pipeline's is spent on the tables) */
    ARUS__PAIRS_NONE,     /* one stream on this connection: it reads inside a snapshot no other
                             connection shares (change data capture's initial copy) */
};
struct arus_table_report;
struct arus_sync_options;
int arus__sync_table(struct arus_source *src, struct arus_destination *dst,
                     const struct arus_pipeline *p, const struct arus_sync_options *opt,
                     const char *run_id, const char *table, bool *horizon_warned,
                     enum arus__pairs pairs, struct arus_table_report *rep);

/* Split loads (core/ranges.c). Cut the integer keys [min, max] into at most k ranges of equal
 * width: writes the n - 1 inner cut points (ascending; range i is [cuts[i-1], cuts[i])) to cuts
 * (room for k - 1) and returns n (1 when max < min; fewer than k when the span is smaller). */
size_t arus__split_keys(int64_t min, int64_t max, size_t k, int64_t *cuts);
/* The text of a range's bounds into sb: "<lo> <hi>" with "-" for an open (NULL) end when
 * both are integers or open, else a JSON array of two strings or nulls (keys of any text). */
void arus__range_bounds_format(struct arus_strbuf *sb, const char *lo, const char *hi);
/* The inverse: *lo, *hi heap copies (NULL for an open end; caller frees). False when text is
 * neither two integers or "-" separated by one space nor such a JSON array. */
bool arus__range_bounds_parse(const char *text, char **lo, char **hi);

/* A key tuple of n values as one text (a range's bound or progress): the value itself for a
 * single-column key, else a JSON array of the n values as strings. */
void arus__key_tuple_text(struct arus_strbuf *sb, const char *const *vals, size_t n);
/* The inverse, values in a; NULL when text is not such a tuple of n values. */
const char **arus__key_tuple_values(const char *text, size_t n, struct arus_arena *a);

/* Call fn(ctx, src, dst, worker, i) once for each i in [0, n), on up to npairs connection
 * pairs at once: worker 0 is the calling thread on the caller's src/dst, workers 1.. run on
 * threads of their own on fresh pairs from the same endpoints (a pair that cannot connect is
 * skipped with a warning). Returns when every item is done; fn reports its own outcome. */
typedef void (*arus__pair_fn)(void *ctx, struct arus_source *src, struct arus_destination *dst,
                              size_t worker, size_t i);
void arus__run_on_pairs(struct arus_source *src, struct arus_destination *dst, size_t npairs,
                        size_t n, arus__pair_fn fn, void *ctx);

/* Sync the n tables concurrently on up to p->parallelism connection pairs: the caller's src/dst
 * (which hold the pipeline lock) and fresh pairs from the same endpoints; a pair that cannot
 * connect is skipped with a warning. Fills reps[i] like arus__sync_table; never stops the other
 * tables. horizon_warned as in arus__sync_table (each pair warns at most once). */
void arus__sync_tables_parallel(struct arus_source *src, struct arus_destination *dst,
                                const struct arus_pipeline *p, const struct arus_sync_options *opt,
                                const char *run_id, const char *const *tables,
                                struct arus_table_report *const *reps, size_t n,
                                bool *horizon_warned);

/* Upsert the run-history row of one table (best effort: a failure is logged as a warning). */
void arus__record_run(struct arus_destination *dst, const struct arus_pipeline *p,
                      const char *run_id, const char *table, const struct arus_table_report *rep,
                      const char *started_at, const char *status, const char *error);

/* Change data capture of `tables` (each sync_mode cdc) under the pipeline lock the caller
 * holds: initial copy where needed, then apply the change stream (src/core/cdc.c). reps[i]
 * is tables[i]'s report. Returns ARUS_OK or the first failure with its message in err. */
int arus__cdc_run(struct arus_source *src, struct arus_destination *dst,
                  const struct arus_pipeline *p, const struct arus_sync_options *opt,
                  const char *run_id, const char **tables, struct arus_table_report **reps,
                  size_t n, struct arus_error *err);

/* ---- One table's sync job (core/sync.c) and its split loads (core/split.c) */

/* Kinds of split load (the header row of arus/state.h). */
enum { SPLIT_NONE, SPLIT_REFRESH, SPLIT_FIRST };

/* One key range of a split load: its bounds, progress and newest watermark read. */
struct split_range {
    char *lo, *hi;               /* heap key tuple texts (arus__key_tuple_text); NULL = open */
    char *progress;              /* heap: NULL, the last key loaded, or ARUS_RANGE_DONE */
    struct full_refresh_max max; /* the newest watermark the range read */
};

struct split {
    int kind;
    size_t k;
    struct split_range *r;
    char *cap;   /* heap: the watermark cap taken before any range was read; NULL: none */
    size_t *key; /* heap: the key columns */
    size_t nkey;
};

struct table_job {
    struct arus_source *src;
    struct arus_destination *dst;
    const struct arus_pipeline *p;
    const struct arus_sync_options *opt;
    struct arus_table_report *rep;
    struct arus_arena *arena;
    struct arus_table_schema *schema; /* what the source reads (cols.extract) */
    struct arus__columns cols;        /* column rules: the destination's schema, hashing */
    struct arus_sync_mode mode;
    struct arus_target target;
    int wm_index;            /* watermark column in the schema, -1 if none */
    bool keyless;            /* no primary key: read each row once (extract_plan.c) */
    bool *horizon_warned;    /* run-wide: the unreadable-horizon warning was given */
    char *horizon;           /* this run's commit horizon (heap), NULL if none */
    const char *from;        /* --from: the main stream starts here (canonical, in arena) */
    char *watermark;         /* newest committed watermark (heap), NULL if none */
    char *deletes_watermark; /* heap: where the last completed run ended, NULL if none */
    struct arus_strbuf notes;   /* reload reason, schema changes: output and run history */
    const char **dropped;       /* dropped_columns: null: set NULL on the rows this run wrote */
    size_t ndropped;
    double started;
    char started_at[32]; /* wall clock, for run history */
    struct split *split; /* a split load's ranges (NULL: one stream) */
    size_t range;        /* range worker jobs: the range being loaded */
    int pending;         /* a split load left unfinished by an earlier run: SPLIT_* */
    long pending_k;      /* its ranges */
    const char *pending_cap; /* its watermark cap (arena) */
    const char *state_updated_at; /* when the table's state was last written (arena) */
    enum arus__pairs pairs; /* which parallelism may split it (arus__sync_table) */
    struct split *split_clear; /* store_state also marks this split finished (first load) */
};

/* Each stream's batches reach the table job through arus__stream with this context. */
struct stream_ctx {
    struct table_job *job;
    struct full_refresh_max *max; /* full refresh only */
};

/* Replace the heap string *slot by a copy of p[0, n) (NULL when p is NULL). */
void arus__set_heap_str(char **slot, const char *p, size_t n);
/* Roll back after a failure inside a transaction, keeping the first error. */
void arus__rollback_quietly(struct table_job *j);
/* Order two watermark texts of this table's watermark column. */
int arus__wm_compare(const struct table_job *j, const char *a, const char *b);
/* The state a committed batch carries: its range's row in a split load, else the table's. */
int arus__store_progress(struct table_job *j, struct arus_error *err);
/* The arus__batch_fn of the main stream (ctx a struct stream_ctx): loads each batch. */
int arus__on_batch(void *ctx, struct arus_batch *b, struct arus_error *err);

/* Split loads (core/split.c). Write the header row of a split load: "<kind> <k>" and the cap,
 * or NULL once finished. */
int arus__store_split_header(struct table_job *j, const struct split *s, bool finished,
                             struct arus_error *err);
/* Write range k's row: bounds, progress, newest watermark read. */
int arus__store_range(struct table_job *j, const struct split *s, size_t k, struct arus_error *err);
/* Free s and its ranges; NULL is a no-op. */
void arus__split_free(struct split *s);
/* Forget the state rows of a split load of k ranges (best effort); with the shadow of a
 * refresh when drop_shadow. */
void arus__split_forget(struct table_job *j, long k, bool drop_shadow);
/* Decide whether this full refresh (kind SPLIT_REFRESH: the shadow exists, empty) or first
 * load is split, and if so cut the key and store the header and range rows in one
 * transaction. *out NULL: load as one stream. */
int arus__split_prepare(struct table_job *j, int kind, struct split **out, struct arus_error *err);
/* Read back the split load an earlier run left unfinished (j->pending). *out NULL when its
 * rows do not hold a usable split (then they are forgotten, and a refresh's shadow dropped). */
int arus__split_resume(struct table_job *j, struct split **out, struct arus_error *err);
/* Load the unfinished ranges of s on up to the table's parallelism connection pairs, then set
 * the watermark the table may store (the newest one read, no later than the cap). */
int arus__run_split(struct table_job *j, struct split *s, struct arus_error *err);
/* The header row of a split load an earlier run left unfinished (arus/state.h) into
 * j->pending, pending_k, pending_cap; SPLIT_NONE when there is none or it is malformed. */
int arus__read_pending(struct table_job *j, struct arus_error *err);

#endif

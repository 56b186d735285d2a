/* Helpers of the sync engine that live in their own files: watermark arithmetic and ordering
 * (watermark.c) and table selection / key overrides (selection.c). */
#ifndef ARUS_SYNC_INTERNAL_H
#define ARUS_SYNC_INTERNAL_H

#include <stddef.h>

#include "arus/config.h"
#include "arus/source.h"
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

/* The tables a run covers: `only` (which must be selected by the pipeline) or every table the
 * pipeline selects (globs resolved by discover_tables). Names allocated in a. */
int arus__select_tables(struct arus_source *src, const struct arus_pipeline *p, const char *only,
                        struct arus_arena *a, const char ***out, size_t *n,
                        struct arus_error *err);

/* The columns table lands with in the destination: the source's columns with the pipeline's
 * primary-key override applied. Allocated in a. */
int arus__destination_schema(struct arus_source *src, const struct arus_pipeline *p,
                             const char *table, struct arus_arena *a,
                             struct arus_table_schema **out, struct arus_error *err);

/* Run the extract stream of plan on a producer thread and call fn(ctx, batch) for each batch
 * in order on the calling thread (extract and load overlap). Stops at the first failure of
 * either side; returns it with its message in err. */
typedef int (*arus__batch_fn)(void *ctx, struct arus_batch *b, struct arus_error *err);
int arus__stream(struct arus_source *src, const struct arus_extract_plan *plan,
                 arus__batch_fn fn, void *ctx, struct arus_error *err);

#endif

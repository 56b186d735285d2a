/* The extract plan builder: the one place where the engine turns a table, its sync mode and a
 * stored watermark into the struct arus_extract_plan (arus/source.h) that a source translates
 * into its query. Column lookups and their errors live here, not in the sources. */
#ifndef ARUS_EXTRACT_PLAN_H
#define ARUS_EXTRACT_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "arus/error.h"
#include "arus/source.h"
#include "arus/types.h"

struct arus_arena;

/* Which stream of a table sync a plan is for. */
enum arus__extract_kind {
    ARUS__EXTRACT_INCREMENTAL,  /* the main stream of an incremental run */
    ARUS__EXTRACT_SOFT_DELETES, /* the soft-delete stream of an incremental run */
    ARUS__EXTRACT_FULL_REFRESH, /* the whole table, into the shadow table */
    ARUS__EXTRACT_BY_KEY,       /* the whole table ordered by primary key (verify) */
};

/* True when t has no primary key: its rows cannot be merged, so a re-read would duplicate them
 * and its main stream is planned to read each row once (see extract_plan.c). */
bool arus__extract_keyless(const struct arus_table_schema *t);

/* Build the plan of one extract stream of table t synced by mode m into *out.
 *
 * watermark is the stored watermark the stream starts from (the table's watermark for the
 * main stream, its deletes watermark for the soft-delete stream; NULL on a first run, ignored
 * for a full refresh); lookback_seconds widens it backwards for time-typed watermark columns
 * (arus__lookback) except for a keyless table. horizon is the source's commit horizon (NULL
 * when unknown or switched off): the exclusive upper bound of a keyless table's main stream,
 * unused otherwise. The rules (incremental, soft deletes, full refresh) are written in
 * extract_plan.c and in arus/source.h.
 *
 * The key array and the lower-bound text are allocated in a; t and m are borrowed: all must
 * outlive the stream. Returns ARUS_OK, ARUS_ENOTFOUND when the watermark or deleted_at column
 * of m is not in t, ARUS_EINVAL for an incremental kind without watermark column or a
 * soft-delete stream without deleted_at column, ARUS_EINVAL for ARUS__EXTRACT_BY_KEY on a table
 * without primary key. *out is written only on success. */
int arus__extract_plan_build(struct arus_extract_plan *out, const struct arus_table_schema *t,
                             const struct arus_sync_mode *m, enum arus__extract_kind kind,
                             const char *watermark, const char *horizon,
                             double lookback_seconds, size_t batch_size, struct arus_arena *a,
                             struct arus_error *err);

/* The plan of one key range of a split load (src/core/ranges.c): the ARUS__EXTRACT_BY_KEY plan
 * of t (live rows, or all, ordered by the primary key) restricted to keys in [lower, upper),
 * lower exclusive when !lower_inclusive (a resumed range starts after the last key loaded).
 * lower and upper are NULL (unbounded) or hold one canonical text per primary-key column, in
 * key order; they and t, m are borrowed for the stream's life, the key array is allocated in a.
 * Errors as arus__extract_plan_build for ARUS__EXTRACT_BY_KEY. */
int arus__extract_plan_range(struct arus_extract_plan *out, const struct arus_table_schema *t,
                             const struct arus_sync_mode *m, const char *const *lower,
                             bool lower_inclusive, const char *const *upper, size_t batch_size,
                             struct arus_arena *a, struct arus_error *err);

#endif

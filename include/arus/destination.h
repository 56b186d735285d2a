/* The destination connector interface (the spec's BaseDestination) as an ops table, plus what
 * a C implementation needs around it: transactions, the pipeline lock, state and run history
 * kept in the destination, and the shadow-table swap for atomic full refreshes. */
#ifndef ARUS_DESTINATION_H
#define ARUS_DESTINATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arus/config.h"
#include "arus/error.h"
#include "arus/types.h"

#define ARUS_DESTINATION_ABI 2

struct arus_destination;

/* Where one table lands. raw_schema / target_schema are NULL for the destination's defaults
 * ("staging" / "analytics"). Tables: raw = <raw_schema>.<source_name>_<table>_raw,
 * normalized = <target_schema>.<table>; with shadow set, normalized writes go to the shadow
 * table that swap_shadow later puts in place. */
struct arus_target {
    const char *pipeline;
    const char *source_name;
    const char *table;
    const char *raw_schema;
    const char *target_schema;
    const char *run_id;        /* UUID text of the current run */
    bool shadow;
};

/* Per (pipeline, table) state in arus_state (layout: arus/state.h). Strings NULL when unset. */
struct arus_table_state {
    const char *watermark;          /* highest committed watermark (canonical text) */
    const char *deletes_watermark;  /* where the last completed run ended: soft deletes are
                                       applied up to here */
    const char *run_id;             /* run that wrote it */
    const char *updated_at;         /* UTC "YYYY-MM-DD HH:MM:SS" */
};

/* One row of run history (one per run and table; layout: arus/state.h). */
struct arus_run_record {
    const char *run_id;
    const char *pipeline;
    const char *table;
    const char *mode;          /* "incremental" | "full_refresh" */
    const char *status;        /* "running" | "ok" | "failed" | "aborted" (ARUS_RUN_*) */
    const char *started_at;    /* UTC "YYYY-MM-DD HH:MM:SS.ffffff" */
    const char *finished_at;   /* NULL while running */
    int64_t rows_extracted;
    int64_t rows_loaded;
    int64_t rows_deleted;
    int64_t rows_dead_lettered;
    const char *error;         /* NULL on success; never contains secrets */
};

/* Capability flags. */
#define ARUS_DST_TRANSACTIONS 0x1u /* begin/commit are real: batch + watermark commit together */

struct arus_destination_ops {
    int abi_version;
    const char *name;
    unsigned flags;

    /* Build an unconnected instance from the endpoint's config (see arus_source_ops.create). */
    int (*create)(const struct arus_endpoint *ep, struct arus_destination **out,
                  struct arus_error *err);
    int (*connect)(struct arus_destination *dst, struct arus_error *err);
    /* Called exactly once, also after a failed create/connect; releases the lock if held. */
    void (*close)(struct arus_destination *dst);
    int (*test_connection)(struct arus_destination *dst, struct arus_error *err);
    /* Create the arus_state tables (watermarks, runs; layout in arus/state.h) if missing.
     * Idempotent. Only the sync engine calls it: read-only verbs never create anything. */
    int (*ensure_state)(struct arus_destination *dst, struct arus_error *err);
    /* Take the per-pipeline run lock without waiting; ARUS_EBUSY with
     * "pipeline \"p\" is already running ..." when another process holds it. Held until
     * unlock or close (or process death). */
    int (*lock)(struct arus_destination *dst, const char *pipeline, struct arus_error *err);
    int (*unlock)(struct arus_destination *dst, const char *pipeline, struct arus_error *err);
    /* Create raw and normalized tables if missing (normalized: typed columns, PK from the
     * schema, plus _arus_run_id and _arus_synced_at); add columns the destination lacks
     * (schema drift). With t->shadow: (re)create an empty shadow table of the same shape. */
    int (*ensure_schema)(struct arus_destination *dst, const struct arus_target *t,
                         const struct arus_table_schema *schema, struct arus_error *err);
    /* Transaction around one batch and its watermark. No-ops where the engine has none. */
    int (*begin)(struct arus_destination *dst, struct arus_error *err);
    int (*commit)(struct arus_destination *dst, struct arus_error *err);
    int (*rollback)(struct arus_destination *dst, struct arus_error *err);
    /* Append the batch as JSON rows (arus_row_to_json) to the raw table. */
    int (*load_raw)(struct arus_destination *dst, const struct arus_target *t,
                    const struct arus_batch *b, int64_t *loaded, struct arus_error *err);
    /* Merge the batch into the normalized table by primary key (insert or update), append
     * when there is no key; bulk path, never row by row. *loaded counts rows inserted or
     * changed: a row equal to the stored one (the inclusive re-read at the watermark) should not
     * be rewritten or counted where the engine can tell, so a rerun without source changes
     * reports 0. */
    int (*load_normalized)(struct arus_destination *dst, const struct arus_target *t,
                           const struct arus_batch *b, int64_t *loaded, struct arus_error *err);
    /* Upsert the state of (t->pipeline, t->table), inside the current transaction. */
    int (*update_watermark)(struct arus_destination *dst, const struct arus_target *t,
                            const struct arus_table_state *st, struct arus_error *err);
    /* Read the state; fields NULL when nothing stored (also when the state tables do not
     * exist: reads never create them). Strings allocated in a. */
    int (*get_watermark)(struct arus_destination *dst, const char *pipeline, const char *table,
                         struct arus_arena *a, struct arus_table_state *out,
                         struct arus_error *err);
    /* Full refresh: replace the normalized table by the shadow table atomically (inside the
     * current transaction where the destination has them). */
    int (*swap_shadow)(struct arus_destination *dst, const struct arus_target *t,
                       struct arus_error *err);
    /* Drop the shadow table if it exists (failed refresh clean-up). */
    int (*drop_shadow)(struct arus_destination *dst, const struct arus_target *t,
                       struct arus_error *err);
    /* Upsert one run-history row keyed by (run_id, table). */
    int (*record_run)(struct arus_destination *dst, const struct arus_run_record *r,
                      struct arus_error *err);
    /* Newest-first run history of a pipeline (at most limit rows), allocated in a; none when
     * the state tables do not exist. */
    int (*list_runs)(struct arus_destination *dst, const char *pipeline, size_t limit,
                     struct arus_arena *a, struct arus_run_record **out, size_t *n,
                     struct arus_error *err);
    /* All table states of a pipeline; tables[i] pairs with states[i]. Allocated in a; none
     * when the state tables do not exist. */
    int (*list_state)(struct arus_destination *dst, const char *pipeline, struct arus_arena *a,
                      const char ***tables, struct arus_table_state **states, size_t *n,
                      struct arus_error *err);

    /* ---- optional slots (may be NULL) ---- */

    /* Delete the batch's rows from the normalized table by primary key, one statement per
     * batch (soft-delete propagation). */
    int (*delete_rows)(struct arus_destination *dst, const struct arus_target *t,
                       const struct arus_batch *b, int64_t *deleted, struct arus_error *err);
    /* Store one row the destination refused (load_* failed with ARUS_EDATA for it) in the dead
     * letter table <raw_schema>._dead_letters (created if missing; columns: source, table_name,
     * run_id, row_data (the row as JSON), error, created_at), inside the current transaction.
     * Without this slot a refused row fails the run. (ABI 2) */
    int (*write_dead_letter)(struct arus_destination *dst, const struct arus_target *t,
                             const char *row_json, const char *error, struct arus_error *err);
};

/* Base of every destination instance. */
struct arus_destination {
    const struct arus_destination_ops *ops;
    const struct arus_endpoint *endpoint;
};

/* Core wrappers: the only callers of the slots above (the engine, the CLI and host programs use
 * these). Each dispatches to the slot of the same name; a failure the connector left without a
 * message gets "<operation> on destination "<name>" (<type>) failed"; an optional slot that is
 * NULL yields ARUS_ENOTSUP naming the destination. Arguments and ownership as for the slots. */
int arus_destination_create(const struct arus_endpoint *ep, struct arus_destination **out,
                            struct arus_error *err);
void arus_destination_close(struct arus_destination *dst); /* NULL is a no-op */
int arus_destination_connect(struct arus_destination *dst, struct arus_error *err);
int arus_destination_test_connection(struct arus_destination *dst, struct arus_error *err);
int arus_destination_ensure_state(struct arus_destination *dst, struct arus_error *err);
int arus_destination_lock(struct arus_destination *dst, const char *pipeline,
                          struct arus_error *err);
int arus_destination_unlock(struct arus_destination *dst, const char *pipeline,
                            struct arus_error *err);
int arus_destination_ensure_schema(struct arus_destination *dst, const struct arus_target *t,
                                   const struct arus_table_schema *schema,
                                   struct arus_error *err);
int arus_destination_begin(struct arus_destination *dst, struct arus_error *err);
int arus_destination_commit(struct arus_destination *dst, struct arus_error *err);
int arus_destination_rollback(struct arus_destination *dst, struct arus_error *err);
int arus_destination_load_raw(struct arus_destination *dst, const struct arus_target *t,
                              const struct arus_batch *b, int64_t *loaded,
                              struct arus_error *err);
int arus_destination_load_normalized(struct arus_destination *dst, const struct arus_target *t,
                                     const struct arus_batch *b, int64_t *loaded,
                                     struct arus_error *err);
int arus_destination_update_watermark(struct arus_destination *dst, const struct arus_target *t,
                                      const struct arus_table_state *st,
                                      struct arus_error *err);
int arus_destination_get_watermark(struct arus_destination *dst, const char *pipeline,
                                   const char *table, struct arus_arena *a,
                                   struct arus_table_state *out, struct arus_error *err);
int arus_destination_swap_shadow(struct arus_destination *dst, const struct arus_target *t,
                                 struct arus_error *err);
int arus_destination_drop_shadow(struct arus_destination *dst, const struct arus_target *t,
                                 struct arus_error *err);
int arus_destination_record_run(struct arus_destination *dst, const struct arus_run_record *r,
                                struct arus_error *err);
int arus_destination_list_runs(struct arus_destination *dst, const char *pipeline, size_t limit,
                               struct arus_arena *a, struct arus_run_record **out, size_t *n,
                               struct arus_error *err);
int arus_destination_list_state(struct arus_destination *dst, const char *pipeline,
                                struct arus_arena *a, const char ***tables,
                                struct arus_table_state **states, size_t *n,
                                struct arus_error *err);
int arus_destination_delete_rows(struct arus_destination *dst, const struct arus_target *t,
                                 const struct arus_batch *b, int64_t *deleted,
                                 struct arus_error *err);
int arus_destination_write_dead_letter(struct arus_destination *dst, const struct arus_target *t,
                                       const char *row_json, const char *error,
                                       struct arus_error *err);
/* Capabilities: ARUS_DST_TRANSACTIONS is set, the optional slot is there. */
bool arus_destination_has_transactions(const struct arus_destination *dst);
bool arus_destination_can_delete_rows(const struct arus_destination *dst);
bool arus_destination_can_dead_letter(const struct arus_destination *dst);

/* The default schema names and the table-name rules every destination shares. */
#define ARUS_DEFAULT_RAW_SCHEMA "staging"
#define ARUS_DEFAULT_TARGET_SCHEMA "analytics"
/* "<source>_<table>_raw" into sb. */
struct arus_strbuf;
void arus_raw_table_name(struct arus_strbuf *sb, const struct arus_target *t);
/* "<table>" or "<table>__arus_shadow" into sb (suffixes: ARUS_SHADOW_SUFFIX, ARUS_OLD_SUFFIX in
 * arus/state.h). */
void arus_normalized_table_name(struct arus_strbuf *sb, const struct arus_target *t);

#endif

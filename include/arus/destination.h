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

/* The version of struct arus_destination_ops this header declares, and the oldest one the
 * registry still accepts (see arus_registry_check_destination). New slots are appended, so a
 * connector built against version v has every slot up to v's last; the core wrappers read a
 * slot added after ARUS_DESTINATION_ABI_MIN only when the connector's abi_version reaches the
 * slot's version (an older connector's table ends before it): an ABI 1 destination has no
 * write_dead_letter, an ABI 2 one no ABI 3 slot.
 * 3: read_rows (arus verify, delete_missing), truncate_table (change data capture),
 * table_rows, forget_state, list_dead_letters, delete_dead_letter, describe_table,
 * alter_column_type, null_columns (operator controls). */
#define ARUS_DESTINATION_ABI 3
#define ARUS_DESTINATION_ABI_MIN 1

/* ---- The destination protocol
 *
 * How the engine (src/core/sync.c) drives a destination, what a commit guarantees, and how a
 * destination without transactions keeps the same promises. tests/unit/test_engine.c checks
 * this order against golden call sequences, with a transactional and a buffering fake: change
 * the engine, this text and those sequences together.
 *
 * Order of calls. "tx{ a, b }" is begin, a, b, commit; when a call inside fails the engine
 * calls rollback instead of the remaining ones (rollback may thus come after a failed begin or
 * commit, with no transaction open, and must then succeed doing nothing). Transactions never
 * nest and never span batches or tables; every other call comes outside a transaction.
 *
 *   connect, ensure_state, lock(pipeline)
 *   list_runs(pipeline), then tx{ record_run(aborted), ... } for this pipeline's runs still
 *     "running": their process died, since this one holds the lock (arus/state.h; failures
 *     are only logged)
 *   per selected table, one after the other (a failure ends the table's calls but for the
 *   rollback, drop_shadow and record_run(failed) below; the run goes on with the next table):
 *     [describe_table, alter_column_type per safe widening]  (schema_changes; ABI 3 slots,
 *       skipped where missing)
 *     [table_rows(normalized), table_rows(raw)]  (the loaded ones; a stored watermark with a
 *       missing or empty typed table or a missing raw table, or typed rows without state, turn
 *       the table into a full refresh)
 *     ensure_schema(t), get_watermark, tx{ record_run(running) }
 *     incremental:
 *       per extracted batch:  tx{ load_raw, load_normalized, update_watermark }
 *         (load_raw only when the load mode has raw, load_normalized only when it has
 *         normalized). The batch failed with ARUS_EDATA and write_dead_letter exists:
 *         bisection. tx{ load_raw, load_normalized } of the whole batch again, then of its
 *         halves, down to single rows; a single row still refused:
 *         tx{ write_dead_letter }. Then tx{ update_watermark } for the whole batch.
 *       soft deletes, when the table has a deleted_at column, this is not its first run
 *       (no state stored) and both ends can (extract_soft_deletes, delete_rows):
 *         per batch of deleted rows:  tx{ delete_rows }
 *       when a watermark exists:  tx{ update_watermark }, the state-only commit that ends
 *         the table (deletes_watermark moves to where the main stream ended; written even
 *         when nothing changed)
 *       delete_missing on (arus/verify.h, docs/consistency.md): read_rows pages of the key
 *         columns, and per batch of keys the source no longer has:  tx{ delete_rows }
 *       dropped_columns: null and the destination lost columns:  tx{ null_columns }
 *     full refresh:
 *       ensure_schema(t with shadow)
 *       per extracted batch:  tx{ load_raw, load_normalized(shadow) }  (no watermark; raw rows
 *         go to the raw table; ARUS_EDATA bisects as above, without the watermark tx)
 *       tx{ swap_shadow, update_watermark }
 *       any failure from ensure_schema(shadow) on: drop_shadow, outside a transaction
 *     split loads (parallelism > 1, a large table; docs/consistency.md "Split loads"): the
 *       table's get_watermark is followed by get_watermark of its split header row; a new
 *       split writes tx{ update_watermark(header), update_watermark(range row) per range }
 *       (after ensure_schema(shadow) for a refresh), a resumed one reads each range row
 *       (get_watermark) and keeps the shadow. Each range then loads on one of N connection
 *       pairs (other instances: connect, then only the calls below): per batch
 *       tx{ load_raw, load_normalized, update_watermark(range row) }, at the range's end
 *       tx{ update_watermark(range row) }. Then on the table's own connection as above:
 *       refresh tx{ swap_shadow, update_watermark, update_watermark(header) }, first load
 *       the state-only commit tx{ update_watermark, update_watermark(header) }; then
 *       forget_state of each split row (best effort). A failed split keeps its shadow.
 *     tx{ record_run(ok | failed) }  (whenever the source's columns were read; a failure of
 *       record_run is only logged)
 *   unlock(pipeline)  (once lock succeeded, also after failures; its result is ignored)
 * The caller of arus_sync_run then calls close (arus_sync_pipeline does).
 *
 * What commit guarantees. With ARUS_DST_TRANSACTIONS (postgresql, mysql, sqlite) commit makes
 * everything since begin durable at once, or fails and keeps none of it, and rollback undoes
 * it all. The engine counts a batch whose commit succeeded as stored together with the
 * watermark that covers it; a failed commit ends the table and the next run re-reads from
 * the stored watermark (restart is inclusive, merge by key makes the re-read harmless). A
 * destination that buffers writes (clickhouse) may succeed a commit without having sent
 * anything, and fail a later commit (or any later call) for rows loaded in earlier
 * transactions that all returned OK; it must then lose the watermarks written since those
 * rows, never keep them.
 *
 * Calls that commit on their own (the engine keeps each in a transaction of its own, or
 * outside one, so nothing else is committed early):
 *   mysql: DDL commits implicitly. ensure_state and ensure_schema (CREATE, ALTER, DROP);
 *     swap_shadow (DROP, RENAME TABLE), which then reopens a transaction so that the
 *     update_watermark after it still commits with the engine's commit, as a second step;
 *     write_dead_letter (CREATE TABLE IF NOT EXISTS of _dead_letters). The loads' session
 *     temporary tables do not commit.
 *   postgresql, sqlite: none; their DDL is transactional (swap and the dead-letter table
 *     commit with the transaction). ensure_state and ensure_schema run outside transactions
 *     and commit as they go.
 *   clickhouse: everything; there are no transactions. Besides, every statement other than
 *     a streamed INSERT (DDL, delete_rows' tombstones, dead letters, watermark and run
 *     history writes, reads) first finishes the open INSERT streams, so nearly every call can
 *     make earlier rows durable, or fail for them.
 *
 * Without transactions (flags without ARUS_DST_TRANSACTIONS) the same guarantees hold when:
 *   - data is written before the watermark that covers it: the engine calls load_* before
 *     update_watermark; the destination never stores a watermark before the server has
 *     accepted the rows it covers (clickhouse holds it back until commit has finished the
 *     INSERT streams and drops it when they fail);
 *   - re-delivery is harmless: rows may arrive twice (rollback undoes nothing, bisection and
 *     the inclusive restart re-send them), so normalized rows merge by key (clickhouse:
 *     ReplacingMergeTree by key and _arus_version, soft deletes as newer tombstones); raw
 *     tables are append-only landing logs and may hold repeats (as everywhere);
 *   - the state-only commit that ends each table (and a commit of a transaction that loaded
 *     no rows in general) is where buffered writes must be shown to have arrived: it
 *     finishes them and fails if the server refused any, so the table fails instead of
 *     reporting rows that never arrived.
 * Known deviation: clickhouse coalesces watermark writes (at most one per second while no
 * INSERT is open), and its commit writes a held-back watermark only after finishing open
 * streams; with none open the watermark waits for the next get_watermark, record_run,
 * update_watermark a second later, unlock or close. After a successful commit the stored
 * watermark may therefore lag, never lead, and a late failure to write it is only logged
 * (the next run re-reads a little more). */

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
    const char *dest_table;    /* the destination's name of table (rename:), used by the
                                  table-name rules below; NULL = table. State, run history and
                                  dead letters keep table. */
};

/* Per (pipeline, table) state in arus_state (layout: arus/state.h). Strings NULL when unset. */
struct arus_table_state {
    const char *watermark;          /* highest committed watermark (canonical text) */
    const char *deletes_watermark;  /* where the last completed run ended: soft deletes are
                                       applied up to here */
    const char *run_id;             /* run that wrote it */
    const char *updated_at;         /* UTC "YYYY-MM-DD HH:MM:SS" */
    const char *held_from;          /* the newest watermark delivered when the commit horizon
                                       held `watermark` below it; NULL when it did not */
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

/* One row of the dead-letter table (<raw_schema>._dead_letters), as `arus dead-letters` lists
 * it. Strings allocated in the arena given to list_dead_letters. */
struct arus_dead_letter {
    const char *id;         /* the destination's handle of the row for delete_dead_letter
                               (rowid, ctid, _arus_id); NULL where it has none */
    const char *table;      /* table_name */
    const char *run_id;
    const char *row_data;   /* the row as JSON (arus_row_to_json) */
    const char *error;      /* why the destination refused it */
    const char *created_at;
};

/* Capability flags. ARUS_DST_TRANSACTIONS: begin/commit/rollback are real, so a batch and its
 * watermark commit together or not at all, and rollback undoes the batch. Without it the
 * destination keeps the protocol's non-transactional rules above. Only reported (`arus
 * connectors`), never branched on: the engine's order of calls is the same either way, as the
 * contract holds without transactions too (rows land before their watermark; what a failed batch
 * or dead-letter bisection step left behind is loaded again and merged by key). */
#define ARUS_DST_TRANSACTIONS 0x1u

struct arus_destination_ops {
    int abi_version; /* ARUS_DESTINATION_ABI of the header the connector was built with */
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
     * Idempotent. Called by the sync engine after connect, outside transactions (DDL may commit
     * on its own); read-only verbs never call it. */
    int (*ensure_state)(struct arus_destination *dst, struct arus_error *err);
    /* Take the per-pipeline run lock without waiting; ARUS_EBUSY with
     * "pipeline \"p\" is already running ..." when another process holds it. Held until
     * unlock or close (or process death). */
    int (*lock)(struct arus_destination *dst, const char *pipeline, struct arus_error *err);
    /* After the last table, also after failures; a destination that buffers writes sends what
     * is left first (clickhouse). */
    int (*unlock)(struct arus_destination *dst, const char *pipeline, struct arus_error *err);
    /* Create raw and normalized tables if missing (normalized: typed columns, PK from the
     * schema, plus _arus_run_id and _arus_synced_at); add columns the destination lacks
     * (schema drift). With t->shadow: (re)create an empty shadow table of the same shape.
     * Called outside transactions, first for every table and again with t->shadow before a
     * full refresh loads; DDL may commit on its own (mysql). */
    int (*ensure_schema)(struct arus_destination *dst, const struct arus_target *t,
                         const struct arus_table_schema *schema, struct arus_error *err);
    /* Transaction around one batch and its watermark (and around each state, run-history,
     * delete and dead-letter write); see the protocol above for what commit guarantees. Where
     * the engine has no transactions begin and rollback undo nothing and commit is where
     * buffered writes are sent (clickhouse: it finishes due INSERT streams, and all open ones
     * when the transaction loaded no rows, then writes the watermark held back for them). */
    int (*begin)(struct arus_destination *dst, struct arus_error *err);
    int (*commit)(struct arus_destination *dst, struct arus_error *err);
    int (*rollback)(struct arus_destination *dst, struct arus_error *err);
    /* Append the batch as JSON rows (arus_row_to_json) to the raw table (never the shadow),
     * inside the current transaction. Without transactions the rows may be buffered until a
     * later commit (so may load_normalized's). */
    int (*load_raw)(struct arus_destination *dst, const struct arus_target *t,
                    const struct arus_batch *b, int64_t *loaded, struct arus_error *err);
    /* Merge the batch into the normalized table by primary key (insert or update), append
     * when there is no key; bulk path, never row by row. *loaded counts rows inserted or
     * changed: a row equal to the stored one (the inclusive re-read at the watermark) should not
     * be rewritten or counted where the engine can tell, so a rerun without source changes
     * reports 0. */
    int (*load_normalized)(struct arus_destination *dst, const struct arus_target *t,
                           const struct arus_batch *b, int64_t *loaded, struct arus_error *err);
    /* Upsert the state of (t->pipeline, t->table), inside the current transaction, after the
     * loads it covers. Without transactions it must not be stored before the server has
     * accepted those rows (clickhouse holds it back until commit has sent them). */
    int (*update_watermark)(struct arus_destination *dst, const struct arus_target *t,
                            const struct arus_table_state *st, struct arus_error *err);
    /* Read the state; fields NULL when nothing stored (also when the state tables do not
     * exist: reads never create them). Strings allocated in a. Called outside transactions; a
     * destination that holds watermarks back writes them first. */
    int (*get_watermark)(struct arus_destination *dst, const char *pipeline, const char *table,
                         struct arus_arena *a, struct arus_table_state *out,
                         struct arus_error *err);
    /* Full refresh: replace the normalized table by the shadow table, atomically for readers,
     * inside the transaction begun for it; update_watermark and commit follow. Where the swap
     * is DDL that commits (mysql: RENAME TABLE) it commits by itself and leaves a transaction
     * open again for the watermark, which then commits as a second step. */
    int (*swap_shadow)(struct arus_destination *dst, const struct arus_target *t,
                       struct arus_error *err);
    /* Drop the shadow table if it exists (failed refresh clean-up): outside a transaction,
     * after a failure anywhere from ensure_schema(shadow) on, also after a swap. */
    int (*drop_shadow)(struct arus_destination *dst, const struct arus_target *t,
                       struct arus_error *err);
    /* Upsert one run-history row keyed by (run_id, table), in a transaction of its own when
     * a table starts ("running") and ends ("ok" | "failed"). A destination that holds
     * watermarks back writes the table's first (clickhouse). */
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
     * batch (soft-delete propagation), in a transaction of its own per batch. */
    int (*delete_rows)(struct arus_destination *dst, const struct arus_target *t,
                       const struct arus_batch *b, int64_t *deleted, struct arus_error *err);
    /* Store one row the destination refused (load_* failed with ARUS_EDATA for it) in the dead
     * letter table <raw_schema>._dead_letters (created if missing; columns: source, table_name,
     * run_id, row_data (the row as JSON), error, created_at), inside the current transaction,
     * which holds nothing else (mysql's CREATE commits implicitly). Without this slot a
     * refused row fails the run. (ABI 2) */
    int (*write_dead_letter)(struct arus_destination *dst, const struct arus_target *t,
                             const char *row_json, const char *error, struct arus_error *err);
    /* Read back one page of the normalized table (never the shadow; clickhouse: the collapsed
     * rows, FINAL WHERE _arus_deleted = 0, as the <table>_current view shows them) for arus
     * verify and delete_missing: the columns of b->schema, found by name, in that order, of at
     * most b->capacity rows whose primary key (the columns of b->schema with pk_ordinal, in
     * key order, at least one) is greater than `after` (NULL: from the first row; otherwise
     * one cell per key column, as an earlier page returned them), ordered by that key
     * ascending, strings and bytes in byte order. Cells are appended to b (which the caller
     * cleared) as canonical text (types.h) as far as the stored type allows: the caller
     * tolerates the spellings the storage cannot avoid (fraction zeros, "1"/"0" booleans,
     * reformatted JSON, see docs/consistency.md). Outside transactions; holds no cursor open
     * between calls, so the caller may write to the table between pages. A destination that
     * holds writes back sends them first. (ABI 3) */
    int (*read_rows)(struct arus_destination *dst, const struct arus_target *t,
                     const struct arus_cell *after, struct arus_batch *b,
                     struct arus_error *err);
    /* Remove every row of the normalized table (a TRUNCATE captured from the source), inside
     * the current transaction: destinations whose TRUNCATE commits by itself delete instead.
     * Change data capture also calls delete_rows and load_normalized inside one transaction
     * with other tables' changes and the position (ABI 3). */
    int (*truncate_table)(struct arus_destination *dst, const struct arus_target *t,
                          struct arus_error *err);
    /* Whether a table of t exists and holds rows: the raw table when raw, else the normalized
     * one (t->shadow is false). *rows: -1 missing, 0 empty, 1 at least one row (a probe like
     * SELECT 1 ... LIMIT 1, never a count). Called outside transactions, before ensure_schema,
     * so the engine can tell that the destination no longer matches the stored state; never
     * creates anything. (ABI 3) */
    int (*table_rows)(struct arus_destination *dst, const struct arus_target *t, bool raw,
                      int64_t *rows, struct arus_error *err);
    /* Delete the watermarks row of (pipeline, table), or every row of pipeline when table is
     * NULL, in a transaction of its own (arus reset). *forgotten: rows deleted. Run history
     * stays. (ABI 3) */
    int (*forget_state)(struct arus_destination *dst, const char *pipeline, const char *table,
                        int64_t *forgotten, struct arus_error *err);
    /* The dead letters of source t->source_name in t->raw_schema's _dead_letters (only those of
     * t->table unless it is NULL), oldest first, allocated in a; none when the table does not
     * exist (never creates it). Called outside transactions. (ABI 3) */
    int (*list_dead_letters)(struct arus_destination *dst, const struct arus_target *t,
                             struct arus_arena *a, struct arus_dead_letter **out, size_t *n,
                             struct arus_error *err);
    /* Delete one row list_dead_letters returned (a replayed row that now loads), inside the
     * current transaction, so it leaves the table together with the load. (ABI 3) */
    int (*delete_dead_letter)(struct arus_destination *dst, const struct arus_target *t,
                              const struct arus_dead_letter *dl, struct arus_error *err);
    /* The typed table of t as it is: its columns in table order (its own _arus_* ones too),
     * native types mapped back to logical types (length, precision, scale where the type has
     * them), allocated in a; *out NULL when the table does not exist. Called outside
     * transactions, before ensure_schema, for schema_changes. (ABI 3) */
    int (*describe_table)(struct arus_destination *dst, const struct arus_target *t,
                          struct arus_arena *a, struct arus_table_schema **out,
                          struct arus_error *err);
    /* Change the type of column c->name of t's typed table to c->type (a safe widening the
     * engine chose: int -> bigint, varchar(n) -> longer, decimal precision up, int ->
     * decimal, anything -> text), keeping its values. Outside transactions (DDL). (ABI 3) */
    int (*alter_column_type)(struct arus_destination *dst, const struct arus_target *t,
                             const struct arus_column *c, struct arus_error *err);
    /* dropped_columns: null. Set columns names[0..n) NULL in the rows of t's typed table this
     * run wrote (_arus_run_id = t->run_id), inside the current transaction; *changed: rows.
     * (ABI 3) */
    int (*null_columns)(struct arus_destination *dst, const struct arus_target *t,
                        const char *const *names, size_t n, int64_t *changed,
                        struct arus_error *err);
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
/* One page of the normalized table by key (the read_rows slot; ARUS_ENOTSUP without it). */
int arus_destination_read_rows(struct arus_destination *dst, const struct arus_target *t,
                               const struct arus_cell *after, struct arus_batch *b,
                               struct arus_error *err);
int arus_destination_truncate_table(struct arus_destination *dst, const struct arus_target *t,
                                    struct arus_error *err);
/* table_rows, forget_state, list_dead_letters, delete_dead_letter, describe_table,
 * alter_column_type, null_columns (ABI 3): ARUS_ENOTSUP naming the destination when the slot is
 * missing. */
int arus_destination_table_rows(struct arus_destination *dst, const struct arus_target *t,
                                bool raw, int64_t *rows, struct arus_error *err);
int arus_destination_forget_state(struct arus_destination *dst, const char *pipeline,
                                  const char *table, int64_t *forgotten, struct arus_error *err);
int arus_destination_list_dead_letters(struct arus_destination *dst, const struct arus_target *t,
                                       struct arus_arena *a, struct arus_dead_letter **out,
                                       size_t *n, struct arus_error *err);
int arus_destination_delete_dead_letter(struct arus_destination *dst, const struct arus_target *t,
                                        const struct arus_dead_letter *dl,
                                        struct arus_error *err);
int arus_destination_describe_table(struct arus_destination *dst, const struct arus_target *t,
                                    struct arus_arena *a, struct arus_table_schema **out,
                                    struct arus_error *err);
int arus_destination_alter_column_type(struct arus_destination *dst, const struct arus_target *t,
                                       const struct arus_column *c, struct arus_error *err);
int arus_destination_null_columns(struct arus_destination *dst, const struct arus_target *t,
                                  const char *const *names, size_t n, int64_t *changed,
                                  struct arus_error *err);
/* Capabilities: ARUS_DST_TRANSACTIONS is set, the optional slot is there (and within the
 * connector's ABI version). The _ops_ forms answer from the ops table alone (for
 * `arus connectors`, before any endpoint exists). */
bool arus_destination_has_transactions(const struct arus_destination *dst);
bool arus_destination_can_delete_rows(const struct arus_destination *dst);
bool arus_destination_can_dead_letter(const struct arus_destination *dst);
bool arus_destination_can_read_rows(const struct arus_destination *dst);
bool arus_destination_ops_has_transactions(const struct arus_destination_ops *ops);
bool arus_destination_ops_can_delete_rows(const struct arus_destination_ops *ops);
bool arus_destination_ops_can_dead_letter(const struct arus_destination_ops *ops);
bool arus_destination_ops_can_read_rows(const struct arus_destination_ops *ops);
bool arus_destination_can_null_columns(const struct arus_destination *dst);
bool arus_destination_can_delete_dead_letters(const struct arus_destination *dst);

/* The default schema names and the table-name rules every destination shares. */
#define ARUS_DEFAULT_RAW_SCHEMA "staging"
#define ARUS_DEFAULT_TARGET_SCHEMA "analytics"
/* "<source>_<table>_raw" into sb (<table>: dest_table when set). */
struct arus_strbuf;
void arus_raw_table_name(struct arus_strbuf *sb, const struct arus_target *t);
/* "<table>" or "<table>__arus_shadow" into sb (suffixes: ARUS_SHADOW_SUFFIX, ARUS_OLD_SUFFIX in
 * arus/state.h). */
void arus_normalized_table_name(struct arus_strbuf *sb, const struct arus_target *t);

#endif

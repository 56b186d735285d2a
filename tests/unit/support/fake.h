/* In-memory fake connectors for engine unit tests: a source holding one table of text cells and
 * two destinations with state, shadow tables and injectable failures: "fake", transactional,
 * and "fake_buffered", without transactions like ClickHouse. Registered by fake_register(). */
#ifndef ARUS_TEST_FAKE_H
#define ARUS_TEST_FAKE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "arus/arus.h"

#define FAKE_MAX_COLS 8
#define FAKE_MAX_ROWS 4096

/* A table: column 0 is the primary key (int64), the rest as declared. Cells are owned copies
 * (NULL = SQL NULL). */
struct fake_table {
    size_t ncols;
    char *col_names[FAKE_MAX_COLS];
    enum arus_ltype col_types[FAKE_MAX_COLS];
    size_t nrows;
    char *cells[FAKE_MAX_ROWS][FAKE_MAX_COLS];
};

/* The one source table and the destination's live table (what a reader of the destination
 * sees: for fake_buffered only what commits have sent), both process-wide. */
extern struct fake_table fake_source_table;
extern struct fake_table fake_dest_table;

/* The source's commit horizon (NULL: the slot fails as for a missing privilege) and whether
 * its table has no primary key (column 0 is then a plain column). Kept by fake_reset. */
extern const char *fake_horizon;
extern bool fake_keyless;

struct fake_dest_state {
    char *watermark;
    char *deletes_watermark;
    char *cdc_position; /* the ARUS_CDC_POSITION_ROW row's watermark */
    bool stored;        /* table t's row exists */
    char *held_from;
};
extern struct fake_dest_state fake_dest_state;

/* Failure injection: the Nth commit (1-based, counted from fake_reset) fails, 0 = never (fake:
 * its transaction is rolled back; fake_buffered: every write not sent yet is lost, those of
 * earlier transactions and their watermarks included); the Nth load into the shadow table
 * (counted within one full refresh) fails. */
extern int fake_fail_commit_at;
extern int fake_fail_shadow_load_at;
extern int fake_commits;
/* Rows the destination refused (column 1 == "BAD") and stored as dead letters. */
extern size_t fake_dead_letters;

/* table_rows answers (noted "table_rows", normalized table only: missing until ensure_schema
 * ran, else empty or not) only when set; otherwise it returns ARUS_ENOTSUP like a destination
 * that cannot tell, so the golden sequences stay without it. Cleared by fake_reset. */
extern bool fake_dest_probe;

/* Split loads (src/core/split.c): the source answers column_bounds and key ranges; the
 * destination keeps state rows of other names than "t" (a split's header and range rows) apart
 * from the table's, outside its transactions (a rollback keeps them). With fake_one_connection
 * a second destination instance cannot be created while one is open, so a parallel run stays
 * on the calling thread's pair (the fakes are not thread-safe) and reads its ranges in key
 * order. fake_extract_hook, when set, is called as each extract opens, before it reads
 * fake_source_table (a change that lands during a load). Both cleared by fake_reset. */
extern bool fake_one_connection;
struct arus_extract_plan;
extern void (*fake_extract_hook)(const struct arus_extract_plan *plan);

/* Someone dropped the destination's live table (keep_columns false) or deleted its rows. */
void fake_drop_dest_table(bool keep_columns);

/* Run history the destination keeps, oldest first (counts are not kept). */
#define FAKE_MAX_RUNS 64
struct fake_run {
    char *run_id, *pipeline, *table, *mode, *status, *started_at, *finished_at, *error;
};
extern struct fake_run fake_runs[FAKE_MAX_RUNS];
extern size_t fake_nruns;
/* Record a run-history row of pipeline "p" as record_run would. */
void fake_put_run(const char *run_id, const char *table, const char *status);
/* The history row of (run_id, table "t"), or NULL. */
const struct fake_run *fake_run(const char *run_id);

/* Register source "fake" and destinations "fake" and "fake_buffered".
 *
 * fake_buffered follows ClickHouse (src/connectors/clickhouse): no ARUS_DST_TRANSACTIONS;
 * begin and rollback do nothing (rollback undoes no write); loads, deletes and watermarks go
 * to pending copies of the tables and state, and a commit applies them, except that a
 * transaction that wrote rows is held back until three such are pending (an INSERT kept open
 * across batches); a commit of a transaction without rows always applies. Calls that are
 * statements of their own in ClickHouse (ensure_schema, get_watermark, swap_shadow,
 * drop_shadow, record_run, write_dead_letter, unlock) apply the pending writes first. */
void fake_register(void);
/* Destination type fake_sync uses: "fake" (the default) or "fake_buffered". Kept by
 * fake_reset. */
void fake_use_destination(const char *type);
/* Walk the destination types for tests that run against each: uses the next one (announced
 * as "-- destination TYPE" on stderr) and returns its name, NULL after the last.
 *   for (size_t i = 0; fake_each_destination(&i);) ... */
const char *fake_each_destination(size_t *i);
/* The destination calls made since fake_reset or fake_calls_clear, one per line, e.g.
 * "begin\nload_normalized(shadow)\nrecord_run(ok)\n" (the golden call sequences). */
const char *fake_calls(void);
void fake_calls_clear(void);
/* Clear both tables, state and counters. */
void fake_reset(void);
/* Define the source table's columns: names[i] with types[i]. */
void fake_define(size_t ncols, const char *const *names, const enum arus_ltype *types);
/* Add a column to the source table (schema drift); existing rows get NULL. */
void fake_add_column(const char *name, enum arus_ltype type);
/* Insert or replace (by column 0) a source row; values may contain NULL. */
void fake_put(const char *const *values);
/* The table the engine tests use, after fake_reset: t(id int64 pk, name string, updated_at
 * timestamp, deleted_at timestamp); and one row of it (updated_at, deleted_at may be NULL). */
void fake_reset_events(void);
void fake_put_event(int id, const char *name, const char *updated_at, const char *deleted_at);
/* Row of the destination whose key is id, or NULL. */
char **fake_dest_row(const char *id);
/* Index of a destination column by name, -1 if missing. */
int fake_dest_col(const char *name);
/* Number of destination rows sharing a key with another row (must stay 0). */
size_t fake_dest_duplicates(void);
/* A pipeline config for tests (source "src", destination "dst"), batch size given. */
void fake_pipeline(struct arus_pipeline *p, const char **tables, int64_t batch_size);
/* Insert or replace (by key) a row of the destination's live table, values in the source
 * table's column order (drift injected downstream); remove the row whose key is id. */
void fake_dest_put(const char *const *values);
void fake_dest_remove(const char *id);
/* Run arus_verify_run on the fakes and close the destination; returns its code. */
int fake_verify(const struct arus_pipeline *p, const struct arus_verify_options *opt,
                struct arus_verify_report *rep, struct arus_error *err);
/* Run one sync of table "t" and close the destination, as arus_sync_pipeline does; returns
 * the engine's code. */
int fake_sync(const struct arus_pipeline *p, bool full_refresh, struct arus_sync_report *rep,
              struct arus_error *err);
/* fake_sync that shows its error as "  (sync: MESSAGE)" on stderr. */
int fake_sync_noted(const struct arus_pipeline *p, bool full_refresh, struct arus_sync_report *rep);

/* Change data capture by the fake source: cdc_next hands out fake_cdc_events in order (table
 * "t", the current source columns), then ARUS_CDC_END, or with follow ARUS_CDC_IDLE after
 * setting *fake_cdc_stop. Every cdc_start starts again from the first event, as a server
 * resends what was never acknowledged. Positions are decimal numbers; the first start's is
 * fake_cdc_start_position. */
#define FAKE_MAX_EVENTS 256
struct fake_cdc_event {
    enum arus_cdc_kind kind;
    char op;                           /* ROW: 'i' 'u' 'd' */
    const char *position;              /* BEGIN, COMMIT */
    const char *values[FAKE_MAX_COLS]; /* ROW: the row (delete: key only) */
    const char *old[FAKE_MAX_COLS];    /* ROW 'u': the old row (key, or all with REPLICA
                                          IDENTITY FULL); none when old[0] is NULL */
    unsigned unchanged;                /* ROW: bit c = column c not sent (TOAST) */
};
extern struct fake_cdc_event fake_cdc_events[FAKE_MAX_EVENTS];
extern size_t fake_cdc_nevents;
extern const char *fake_cdc_start_position;
extern char fake_cdc_acked[64];           /* last position acknowledged */
extern int fake_cdc_starts_with_snapshot; /* cdc_start calls that made a new position */
extern volatile sig_atomic_t *fake_cdc_stop;
/* Append one event. */
void fake_cdc_push(struct fake_cdc_event ev);
/* Run one sync of pipeline p (tables in CDC mode) with follow and stop as given. */
int fake_cdc_sync(const struct arus_pipeline *p, bool follow, volatile sig_atomic_t *stop,
                  struct arus_sync_report *rep, struct arus_error *err);

#endif

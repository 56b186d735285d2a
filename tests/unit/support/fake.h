/* In-memory fake connectors for engine unit tests: a source holding one table of text cells and
 * two destinations with state, shadow tables and injectable failures: "fake", transactional,
 * and "fake_buffered", without transactions like ClickHouse. Registered by fake_register(). */
#ifndef ARUS_TEST_FAKE_H
#define ARUS_TEST_FAKE_H

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

struct fake_dest_state {
    char *watermark;
    char *deletes_watermark;
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
/* Row of the destination whose key is id, or NULL. */
char **fake_dest_row(const char *id);
/* Index of a destination column by name, -1 if missing. */
int fake_dest_col(const char *name);
/* Number of destination rows sharing a key with another row (must stay 0). */
size_t fake_dest_duplicates(void);
/* A pipeline config for tests (source "src", destination "dst"), batch size given. */
void fake_pipeline(struct arus_pipeline *p, const char **tables, int64_t batch_size);
/* Run one sync of table "t" and close the destination, as arus_sync_pipeline does; returns
 * the engine's code. */
int fake_sync(const struct arus_pipeline *p, bool full_refresh, struct arus_sync_report *rep,
              struct arus_error *err);

#endif

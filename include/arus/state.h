/* Watermarks and run history as every destination keeps them, defined once: the layout of the
 * two state tables (names, columns in order with logical types, primary keys), the run
 * statuses, the table-name suffixes of a full refresh, and the rules around them. Destinations
 * only turn this layout into their dialect's SQL, so adding a column means changing this header
 * and src/core/state.c. */
#ifndef ARUS_STATE_H
#define ARUS_STATE_H

#include <stdbool.h>
#include <stddef.h>

#include "arus/destination.h"

struct arus_arena;

/* The schema (database; SQLite: table-name prefix "arus_state__") holding the state tables. */
#define ARUS_STATE_SCHEMA "arus_state"

/* Run statuses. A run whose process died (killed, crashed) leaves its row "running"; it is
 * reported as "aborted" once nobody holds the pipeline lock, and rewritten to "aborted" by the
 * next run of the pipeline. */
#define ARUS_RUN_RUNNING       "running"
#define ARUS_RUN_OK            "ok"
#define ARUS_RUN_FAILED        "failed"
#define ARUS_RUN_ABORTED       "aborted"
#define ARUS_RUN_ABORTED_ERROR "process ended before the run finished"

/* Full refresh: rows load into "<table>__arus_shadow"; the swap renames the live table to
 * "<table>__arus_old" (where the destination needs a free name), the shadow to "<table>", and
 * drops the old one. */
#define ARUS_SHADOW_SUFFIX "__arus_shadow"
#define ARUS_OLD_SUFFIX    "__arus_old"

/* Logical types of state columns. Each destination maps them to its own column types (and
 * may keep a type the way its existing tables have it). */
enum arus_state_type {
    ARUS_STATE_NAME,  /* a pipeline or table name, part of a key: at most 255 characters */
    ARUS_STATE_WORD,  /* a mode or status word: at most 16 characters */
    ARUS_STATE_TEXT,  /* text of any length: watermarks, error messages */
    ARUS_STATE_UUID,  /* a run id (UUID text) */
    ARUS_STATE_STAMP, /* UTC time, read back to the second: "YYYY-MM-DD HH:MM:SS" */
    ARUS_STATE_TIME,  /* UTC time, read back to the microsecond: "YYYY-MM-DD HH:MM:SS.ffffff" */
    ARUS_STATE_COUNT, /* a row count (int64) */
};

struct arus_state_column {
    const char *name;
    enum arus_state_type type;
    bool not_null;
};

/* One state table. Its primary key is its first nkey columns; every row belongs to one
 * pipeline (column "pipeline"), and lists of rows are read in order_by order (column names,
 * valid SQL in every dialect). */
struct arus_state_table {
    const char *name; /* inside ARUS_STATE_SCHEMA */
    const struct arus_state_column *columns;
    size_t ncolumns;
    size_t nkey;
    const char *order_by;
    /* Columns [0, nfirst) every version of the table had; later ones were appended by newer
     * versions. ensure_state adds them to an existing table (nullable, ALTER TABLE ... ADD
     * COLUMN); a read of a table not migrated yet (the read-only verbs never migrate) selects
     * NULL in their place (arus_state_select_list) instead of failing. */
    size_t nfirst;
};

/* The watermarks row (its table_name) that holds a change-capture pipeline's log position: the
 * position of the last source transaction applied, written in the same transaction as its
 * changes (src/core/cdc.c). */
#define ARUS_CDC_POSITION_ROW "_arus_cdc_position"

/* Split loads (src/core/ranges.c, docs/consistency.md "Split loads"). A full refresh or first
 * load cut into K primary-key ranges keeps its progress as watermarks rows of the pipeline, so
 * every destination stores it with the batches it covers, in the same transaction:
 *   "<table>#arus_ranges"      the header. watermark: "<kind> <K>" (kind "refresh" or "first")
 *                              while the split load is under way, NULL once it finished (set
 *                              in the transaction that swaps the shadow or stores the
 *                              table's watermark); deletes_watermark: the watermark cap taken
 *                              before any range was read (NULL: the table has no watermark).
 *   "<table>#arus_range:<k>"   range k of K (k from 0). deletes_watermark: its bounds
 *                              "<lower> <upper>", lower inclusive, upper exclusive, decimal
 *                              key values, "-" for an open end; watermark: its progress, NULL
 *                              (nothing loaded), the last key a committed batch loaded, or
 *                              "done"; held_from: the newest watermark the range has read.
 * Rows of a finished split are deleted afterwards (forget_state, best effort); until then the
 * NULL header says they are void. arus_destination_list_state leaves these rows out. */
#define ARUS_RANGE_HEADER_SUFFIX "#arus_ranges"
#define ARUS_RANGE_ROW_INFIX     "#arus_range:"
#define ARUS_RANGE_DONE          "done"

/* The name of range k's row of table into buf (k < 0: the header's). */
void arus_state_range_name(char *buf, size_t n, const char *table, long k);
/* Whether a watermarks row's table_name is a split-load row (header or range). */
bool arus_state_is_range_row(const char *table_name);

#define ARUS_STATE_PIPELINE_COLUMN "pipeline"
#define ARUS_STATE_TABLE_COLUMN    "table_name" /* the synced table; part of both keys */

/* watermarks: pipeline, table_name | watermark, deletes_watermark, run_id, updated_at,
 *   held_from (added later: the newest watermark delivered when the commit horizon held the
 *   stored one below it, NULL otherwise).
 * runs: run_id, table_name | pipeline, mode, status, started_at, finished_at, rows_extracted,
 * rows_loaded, rows_deleted, rows_dead_lettered, error. */
extern const struct arus_state_table arus_state_watermarks;
extern const struct arus_state_table arus_state_runs;

struct arus_strbuf;
/* The names of columns [from, to) of t into sb, separated by ", ", each quoted with
 * arus_sql_quote_ident(quote). With set (two strings) each becomes
 * "name = <set[0]>name<set[1]>", an item of an upsert's SET list: {"EXCLUDED.", ""} gives
 * "a = EXCLUDED.a", {"VALUES(", ")"} gives "a = VALUES(a)". */
void arus_state_names(struct arus_strbuf *sb, const struct arus_state_table *t, size_t from,
                      size_t to, char quote, const char *const *set);

/* Append the select list of columns [0, t->ncolumns) of t to sb, as arus_state_names writes
 * names, each passed through wrap (NULL: the name itself): wrap(sb, column, quoted name) appends
 * the expression that reads it (a cast, a format). With old_layout, columns from t->nfirst on
 * are the literal NULL (the table predates them). */
typedef void (*arus_state_wrap_fn)(struct arus_strbuf *sb, const struct arus_state_column *c,
                                   const char *quoted);
void arus_state_select_list(struct arus_strbuf *sb, const struct arus_state_table *t, char quote,
                            bool old_layout, arus_state_wrap_fn wrap);

#define ARUS_STATE_MAX_COLUMNS 16

/* One row of a state table as text in column order, to bind as statement parameters:
 * value[i] is NULL for SQL NULL; counts are decimal text kept in num. Caller's storage;
 * the strings are borrowed from the record it was filled from (or from the row itself). */
struct arus_state_row {
    const char *value[ARUS_STATE_MAX_COLUMNS];
    char num[ARUS_STATE_MAX_COLUMNS][24];
    char now[32];
};

/* Fill row with the watermarks row of (t->pipeline, t->table) holding st. A state without
 * run_id takes t->run_id; one without updated_at gets the current UTC time. */
void arus_state_row_from_watermark(struct arus_state_row *row, const struct arus_target *t,
                                   const struct arus_table_state *st);
/* Fill row with the runs row of r: every column of the layout in order, counts as decimal text
 * in row's own buffers, NULL for a missing finished_at or error. r's strings are borrowed until
 * row is used. */
void arus_state_row_from_run(struct arus_state_row *row, const struct arus_run_record *r);

/* The inverse, for reads: v holds a row's values in column order as the destination read them
 * (NULL for SQL NULL; an empty run id counts as none); strings are copied into a. table may be
 * NULL when the caller does not need the table name. */
void arus_state_watermark_from_values(const char *const *v, struct arus_arena *a,
                                      const char **table, struct arus_table_state *st);
void arus_state_run_from_values(const char *const *v, struct arus_arena *a,
                                struct arus_run_record *r);

/* Report r as aborted: status "aborted", error ARUS_RUN_ABORTED_ERROR, finished_at as given
 * (NULL: unknown). Strings are static or borrowed from the caller. */
void arus_run_mark_aborted(struct arus_run_record *r, const char *finished_at);

/* How many of a pipeline's newest runs rows arus_state_abort_dead_runs looks at. The rows of a
 * dead run are the newest ones when the next run starts, so only older leftovers (rows of runs
 * killed before arus recorded aborted runs) can lie deeper; `arus runs` shows those as aborted
 * all the same. */
#define ARUS_STATE_ABORT_SCAN 100

/* Rewrite the pipeline's runs rows still "running" to aborted (finished now), in one
 * transaction. Only the holder of the pipeline lock may call this: then no live process owns
 * such a row. Returns ARUS_OK or the failure of list_runs / record_run / commit (rolled
 * back). */
int arus_state_abort_dead_runs(struct arus_destination *dst, const char *pipeline,
                               struct arus_error *err);

#endif

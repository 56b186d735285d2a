/* The source connector interface (the spec's BaseSource) as an ops table, plus the core
 * wrappers that everybody else calls. A connector exports one const struct arus_source_ops
 * and keeps everything else static; its instance struct embeds struct arus_source first. */
#ifndef ARUS_SOURCE_H
#define ARUS_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arus/config.h"
#include "arus/error.h"
#include "arus/types.h"

/* The version of struct arus_source_ops this header declares, and the oldest one the registry
 * still accepts (see arus_registry_check_source). New slots are appended, so a connector built
 * against version v has every slot up to v's last (a changed slot raises the minimum instead);
 * the core wrappers read a slot added after ARUS_SOURCE_ABI_MIN only when the connector's
 * abi_version reaches the slot's version: an older connector's table ends before it.
 * 2: extract_open and extract_soft_deletes take a struct arus_extract_plan (so the minimum
 * is 2). 3: the optional commit_horizon slot. 4: change data capture (cdc_start ... cdc_drop).
 * 5: the optional column_bounds slot; plans may carry a key range (key_range).
 * 6: the optional key_cuts slot (split loads of keys other than one integer column).
 */
#define ARUS_SOURCE_ABI 6
#define ARUS_SOURCE_ABI_MIN 2

struct arus_source;
struct arus_extract;
struct arus_arena;

/* ---- The extract plan
 *
 * The engine decides WHAT one extract stream reads (src/core/extract_plan.c builds every plan);
 * a source only translates the plan into its own query, the way postgres_fdw deparses a scan,
 * and never works the rules out again from the sync mode. A row qualifies when
 *
 *   rows filter      ARUS_ROWS_ALL: every row; LIVE: deleted_at IS NULL; DELETED: deleted_at IS
 *                    NOT NULL (for MongoDB "IS NULL" also means the field is missing)
 *   AND range        true when watermark < 0; otherwise
 *                      (wm IS NULL ? nulls == ARUS_NULLS_FIRST
 *                                  : lower <= (wm[, key]) AND (wm[, key]) < or <= upper)
 *                      OR (deleted_at_bounded AND deleted_at >= lower.watermark)
 *
 * where a bound whose watermark is NULL is absent (always true), and a bound whose key is NULL
 * compares the watermark alone. A bound with a key compares the tuple (wm, key[0], ...) in
 * lexicographic order: lower inclusive means wm > w OR (wm = w AND (k1, k2...) >= (a, b...)).
 * Each source may spell this as its dialect uses indexes best (a row comparison, an OR/AND
 * expansion behind a leading wm >= w, a $or), but must give exactly these rows. Bound values
 * are canonical cell text (types.h) of the column they are compared with; a source converts
 * them to that column's native type (casts, typed binds, BSON types), never splices them into
 * query text. With nulls == ARUS_NULLS_EXCLUDED and no bound, a source must still exclude rows
 * whose watermark is NULL.
 *
 * Order: when `ordered`, rows come by (watermark ascending with NULLs first, key[0], ...),
 * omitting the watermark when watermark < 0. When not ordered, in any order the server streams
 * fastest: no ORDER BY, no sort. A watermark column that is not nullable holds no NULL to place:
 * SQL sources then spell neither the NULL arm nor NULLS FIRST (arus/extract_sql.h), so an
 * ascending index on the column serves the range and the order.
 *
 * The plans the engine builds (so a source sees nothing else today):
 *   incremental run   LIVE (ALL without deleted_at), lower = stored watermark minus lookback,
 *                     inclusive, no key, no upper bound; NULL watermarks FIRST on every run;
 *                     ordered by (watermark, primary key).
 *   keyless table     (no primary key) lower = stored watermark, inclusive, upper = the commit
 *                     horizon, exclusive, so each row is read once; without a horizon lower is
 *                     exclusive and there is no upper bound. NULL watermarks FIRST on the first
 *                     run only (no key to merge a re-read on).
 *   soft deletes      DELETED, lower = the deletes watermark minus lookback, ordered likewise;
 *                     NULL watermarks FIRST on the first run only.
 *   full refresh      LIVE or ALL, watermark -1, no bound, not ordered.
 *   key range         (one range of a split full refresh or first load, src/core/ranges.c)
 *                     LIVE or ALL, watermark -1, ordered by the whole primary key, with
 *                     key_range set: rows whose key tuple lies in [lower, upper) (lower
 *                     exclusive when resuming after the last key a batch loaded). Keys
 *                     compare and sort in their columns' own collation here, as the bounds
 *                     (key_cuts) were chosen: the range then walks the key's index.
 *   by key            LIVE or ALL, watermark -1, no bound, ordered by the whole primary key
 *                     (arus verify and delete_missing merge it with the destination's rows
 *                     read by key; plan->table may then hold only the key columns and
 *                     deleted_at). String key columns must come in byte order of their
 *                     UTF-8 text (SQL sources: arus_sql_dialect.byte_order); verify stops
 *                     with an error when they do not.
 *
 * The soft-delete rule (the same for every source): the soft-delete stream reads rows with
 * deleted_at set whose watermark reached the lower bound, and, when deleted_at has the watermark
 * column's logical type (deleted_at_bounded), also those whose deleted_at did: a row soft-deleted
 * without touching its watermark column is still found. The bound value is the watermark
 * column's text, compared with deleted_at as deleted_at's own type. deleted_at_bounded is false
 * when deleted_at is itself the watermark column (the bound already is on it).
 *
 * SQL sources get the WHERE and ORDER BY of a plan from arus_extract_sql_clauses
 * (arus/extract_sql.h) and supply only their dialect.
 *
 * Ownership: the plan and everything it points to (table, key, bound texts) is the engine's,
 * borrowed by the source from extract_open until extract_close returns; a source may keep
 * pointers into it for the stream's life and copies nothing. */

/* Which rows by their deleted_at column. */
enum arus_extract_rows {
    ARUS_ROWS_ALL,     /* no filter (the table has no deleted_at column) */
    ARUS_ROWS_LIVE,    /* deleted_at IS NULL */
    ARUS_ROWS_DELETED, /* deleted_at IS NOT NULL: the soft-delete stream */
};

/* What happens to rows whose watermark is NULL. */
enum arus_extract_nulls {
    ARUS_NULLS_EXCLUDED, /* never read */
    ARUS_NULLS_FIRST,    /* read whatever the bounds are, and first when ordered */
};

/* One end of the range, on the watermark and optionally the key after it. */
struct arus_extract_bound {
    const char *watermark;  /* canonical text of the watermark column; NULL = no bound */
    const char *const *key; /* NULL, or plan->nkey texts (canonical, of key[i]'s column): the
                               bound is on the tuple (watermark, key...) */
    bool inclusive;         /* >= / <= rather than > / < */
};

/* A range of the primary key (plan->key, plan->nkey columns): rows whose key tuple k has
 * lower <= k (lower < k when !lower_inclusive) and k < upper, compared as tuples in
 * lexicographic order, each column as its own type. An absent end (NULL) is unbounded. Only in
 * plans with watermark -1; texts are canonical cell text of the key columns. */
struct arus_extract_key_range {
    const char *const *lower; /* NULL or plan->nkey texts */
    bool lower_inclusive;
    const char *const *upper; /* NULL or plan->nkey texts; always exclusive */
};

/* What one extract stream reads, resolved against the table (all column references are
 * indexes into table->columns). Built by the engine; see the rules above. */
struct arus_extract_plan {
    const struct arus_table_schema *table; /* columns to read, in batch order; names the
                                              relation (schema_name, name) */
    size_t batch_size;                     /* rows per extract_next call (cursor batch hint) */
    int watermark;                         /* column that bounds and orders; -1 = none */
    const size_t *key;                     /* primary-key columns in key order (never the
                                              watermark column): tie order and bound tail */
    size_t nkey;                           /* 0: order by the watermark alone */
    struct arus_extract_bound lower;       /* rows at or after (inclusive) / after it */
    struct arus_extract_bound upper;       /* rows before / at or before (inclusive) it */
    enum arus_extract_nulls nulls;
    enum arus_extract_rows rows;
    int deleted_at;          /* the deleted_at column when rows != ARUS_ROWS_ALL, else -1 */
    bool deleted_at_bounded; /* ARUS_ROWS_DELETED with a lower bound only: a row also
                                qualifies when deleted_at >= lower.watermark */
    bool ordered;            /* ORDER BY (watermark NULLS FIRST, key...) required */
    struct arus_extract_key_range key_range; /* AND the key lies in it (ABI 5) */
};

/* ---- Change data capture
 *
 * A source with the cdc_* slots turns its database's change log into a stream of events: for
 * each source transaction BEGIN, its row changes (and TRUNCATEs) in log order, COMMIT. A
 * transaction has a position (text in the source's own format, e.g. a PostgreSQL LSN "0/16B3748")
 * that grows with commit order; cdc_position_cmp orders two of them. The engine (src/core/cdc.c)
 * applies whole transactions in one destination transaction together with the position of the
 * last one, acknowledges (cdc_ack) only after that commit, and on a restart skips every
 * transaction at or below the stored position, so each change is applied exactly once.
 *
 * The first start (no stored position) makes a new log position with a snapshot; the engine
 * copies every table through the ordinary extract path inside it (see cdc_start), stores
 * out->position, and streams from there: nothing is missed and nothing applied twice. */

/* What to capture. Strings are borrowed from the caller for the call. */
struct arus_cdc_options {
    const char *pipeline;      /* the pipeline name: derived slot/publication names */
    const char *const *tables; /* the tables to capture, named as discover_tables names them */
    size_t ntables;
    const char *slot;          /* log reader name (PostgreSQL slot); NULL = derived */
    const char *publication;   /* PostgreSQL publication; NULL = derived */
    bool create;               /* create slot/publication when missing (false: DBA-made) */
    const char *position;      /* the stored position, NULL when none (first start) */
    int64_t warn_retained;     /* cdc_status warns past this many bytes of retained log */
    const char *position_kind; /* "gtid" | "file" (MySQL/MariaDB binlog); NULL = default */
    /* Whether column `column` of captured table `table` reaches the destination now (false:
     * the pipeline's column rules leave it out, or it was dropped from the source before the
     * run started), asked with column_ctx while streaming; NULL: every column does. A source
     * whose log carries DDL may follow a change of such a column that would stop it otherwise
     * (MariaDB: DROP COLUMN), and decode older changes that still carry it. Appended after
     * ABI 5; a connector that does not read it is unaffected. */
    bool (*column_moves)(void *column_ctx, const char *table, const char *column);
    void *column_ctx;
};

/* Room for a position text: MySQL GTID sets name one uuid (37 bytes + intervals) per server
 * that ever wrote to the source, so they grow with the topology; the engine itself holds
 * positions of any length. */
#define ARUS_CDC_POSITION_MAX 8192

struct arus_cdc_start {
    bool snapshot;        /* a new position: copy the tables now (extract reads the snapshot) */
    char position[ARUS_CDC_POSITION_MAX]; /* where streaming starts: the position the copy is
                                             consistent with */
};

enum arus_cdc_kind {
    ARUS_CDC_IDLE,     /* nothing arrived within the timeout */
    ARUS_CDC_BEGIN,    /* a source transaction starts; position = its commit position */
    ARUS_CDC_ROW,      /* one row change of table */
    ARUS_CDC_TRUNCATE, /* table emptied */
    ARUS_CDC_COMMIT,   /* the transaction begun by the last BEGIN ends; position as there */
    ARUS_CDC_END,      /* without follow: everything committed before cdc_start was sent */
};

/* One event. For ARUS_CDC_ROW: op is 'i' (insert), 'u' (update) or 'd' (delete); cells hold the
 * new row (insert, update) or the old one (delete: at least its key columns, the others may be
 * NULL); old_cells, when not NULL, hold the old key of an update (key columns set) that may
 * differ from the new key. unchanged, when not NULL, marks columns whose value the log does not
 * carry because it did not change (PostgreSQL TOAST): the destination keeps its value. schema
 * names the columns of cells as the log has them now; schema_version changes whenever they
 * change (a column added), so the engine can cache per version. */
struct arus_cdc_event {
    enum arus_cdc_kind kind;
    char op;
    const char *table;
    const struct arus_table_schema *schema;
    unsigned schema_version;
    const struct arus_cell *cells;
    const struct arus_cell *old_cells;
    const bool *unchanged;
    const char *position; /* BEGIN, COMMIT */
};

/* arus cdc status. Strings allocated in the caller's arena; -1 = unknown. */
struct arus_cdc_status {
    const char *slot;
    const char *publication;
    bool exists;              /* the slot exists */
    bool active;              /* a reader is attached now */
    const char *confirmed;    /* position the server knows as applied (NULL: none) */
    const char *current;      /* the log's current end */
    int64_t lag_bytes;        /* current - confirmed */
    double lag_seconds;       /* -1 from the source; `arus cdc status` shows the time since
                                 the destination last committed when the slot is behind */
    int64_t retained_bytes;   /* log kept for the slot */
    const char *warning;      /* NULL, or a line when retained_bytes passes warn_retained */
    /* Sources whose log is not WAL bytes (MariaDB) name their units; NULL: "bytes", "WAL". */
    const char *lag_unit;     /* what lag_bytes counts, e.g. "transactions" */
    const char *log_name;     /* the retained log, e.g. "binlog" */
};

struct arus_source_ops {
    int abi_version; /* ARUS_SOURCE_ABI of the header the connector was built with */
    const char *name;
    unsigned flags;  /* none defined yet (optional slots say what a source can do): 0 */

    /* Build an unconnected instance from the endpoint's config (validate keys here, with
     * file:line errors via the arus_cfg_* accessors). *out is written only on success. */
    int (*create)(const struct arus_endpoint *ep, struct arus_source **out,
                  struct arus_error *err);
    /* Open the connection (UTC session, timeouts). Error text names the endpoint and
     * host:port, never the password. */
    int (*connect)(struct arus_source *src, struct arus_error *err);
    /* Release everything; called exactly once, also after failed connect or create. */
    void (*close)(struct arus_source *src);
    /* A cheap round trip (SELECT 1 / ping). */
    int (*test_connection)(struct arus_source *src, struct arus_error *err);
    /* All tables (no views/system tables) with columns, PK and row estimate, allocated in a. */
    int (*discover_tables)(struct arus_source *src, struct arus_arena *a,
                           struct arus_table_schema **out, size_t *n, struct arus_error *err);
    /* One table's schema (columns in source order, types mapped to logical types, PK,
     * estimate) allocated in a. ARUS_ENOTFOUND with "table \"x\" not found in ..." if absent. */
    int (*get_table_columns)(struct arus_source *src, const char *table, struct arus_arena *a,
                             struct arus_table_schema **out, struct arus_error *err);
    /* Start a stream of the rows of plan (struct arus_extract_plan: translate it, decide
     * nothing), as ONE streamed query. Memory must stay bounded by the batch: use the driver's
     * streaming path, never buffer the whole result. Called with plan->rows != DELETED. */
    int (*extract_open)(struct arus_source *src, const struct arus_extract_plan *plan,
                        struct arus_extract **out, struct arus_error *err);
    /* Append rows to b until it is full or the stream ends. End of stream is reported by
     * returning ARUS_OK with no row appended. Cells are canonical text (types.h). */
    int (*extract_next)(struct arus_extract *x, struct arus_batch *b, struct arus_error *err);
    /* End the stream early or after its end; frees x. x may be NULL. */
    void (*extract_close)(struct arus_extract *x);

    /* ---- optional slots (may be NULL) ---- */

    /* The spec's extract_soft_deletes: like extract_open, for plans with rows ==
     * ARUS_ROWS_DELETED (may be the same function as extract_open). */
    int (*extract_soft_deletes)(struct arus_source *src, const struct arus_extract_plan *plan,
                                struct arus_extract **out, struct arus_error *err);
    /* Non-system schema names (PostgreSQL), allocated in a. */
    int (*discover_schemas)(struct arus_source *src, struct arus_arena *a, char ***out,
                            size_t *n, struct arus_error *err);

    /* ---- ABI 3 ---- */

    /* The commit horizon of table t's watermark column t->columns[watermark]: a value H of that
     * column such that no transaction still open, nor any later one, can commit a row whose
     * watermark the database stamps below H. *out is H as timestamp text that
     * arus_parse_timestamp reads, allocated in a; the wrapper turns it into the column's
     * canonical cell text. Called on the
     * connected source before each incremental extract of t, outside any transaction of the
     * source; the engine stores no watermark past H, so rows committed late are read again.
     * Called only for columns of logical type TIMESTAMP, TIMESTAMPTZ or DATE (the wrapper
     * answers ARUS_ENOTSUP for the others: no open transaction bounds a counter). The value
     * follows the column's own semantics: UTC for TIMESTAMPTZ, the writers' time zone for
     * zone-less types; the wrapper floors it to whole seconds (to the day for DATE). A failure,
     * such as a missing privilege, names what is missing (the engine then falls back to a
     * lookback and warns). */
    int (*commit_horizon)(struct arus_source *src, const struct arus_table_schema *t,
                          size_t watermark, struct arus_arena *a, const char **out,
                          struct arus_error *err);

    /* ---- change data capture (ABI 4; all seven or none; see "Change data capture" below) */

    /* Prepare capture for o (publication, slot, privileges, settings: each missing one fails
     * in one line) and fill *out. With out->snapshot the source made a new log position and
     * keeps its ordinary connection inside a snapshot of that position: every extract_open
     * until cdc_stream reads the tables as of out->position. */
    int (*cdc_start)(struct arus_source *src, const struct arus_cdc_options *o,
                     struct arus_cdc_start *out, struct arus_error *err);
    /* End the snapshot (if any) and start streaming from `from` (out->position of cdc_start or
     * the stored position). Without follow the stream ends (ARUS_CDC_END) after the last
     * transaction that committed before cdc_start. */
    int (*cdc_stream)(struct arus_source *src, const char *from, bool follow,
                      struct arus_error *err);
    /* The next event into *ev, waiting at most timeout seconds (then ARUS_CDC_IDLE). Event
     * memory is the source's, valid until the next cdc_next. Between events the source answers
     * the server's keepalives. */
    int (*cdc_next)(struct arus_source *src, struct arus_cdc_event *ev, double timeout,
                    struct arus_error *err);
    /* Everything up to and including the transaction at `position` is committed in the
     * destination: the server may discard the log before it. */
    int (*cdc_ack)(struct arus_source *src, const char *position, struct arus_error *err);
    /* Capture state for `arus cdc status` (strings allocated in a); no stream needed. */
    int (*cdc_status)(struct arus_source *src, const struct arus_cdc_options *o,
                      struct arus_arena *a, struct arus_cdc_status *out, struct arus_error *err);
    /* Drop what cdc_start created (slot, publication); absent ones are no error. */
    int (*cdc_drop)(struct arus_source *src, const struct arus_cdc_options *o,
                    struct arus_error *err);
    /* Order two positions: <0, 0, >0; a malformed position sorts before every valid one. */
    int (*cdc_position_cmp)(const char *a, const char *b);

    /* ---- ABI 5 ---- */

    /* The smallest and largest non-NULL value of column t->columns[column] in table t (live
     * and deleted rows alike), as text allocated in a: decimal digits for integer columns,
     * text arus_parse_timestamp reads for DATE/TIMESTAMP/TIMESTAMPTZ (UTC for TIMESTAMPTZ);
     * both NULL when the table holds no such value. One cheap query (an index's ends for a
     * key); called outside any transaction of the source, before a split load reads its
     * ranges (src/core/ranges.c). The wrapper answers ARUS_ENOTSUP for other column types. */
    int (*column_bounds)(struct arus_source *src, const struct arus_table_schema *t,
                         size_t column, struct arus_arena *a, const char **min,
                         const char **max, struct arus_error *err);

    /* ---- ABI 6 ---- */

    /* Keys of table t (its primary-key columns t->columns[key[0..nkey)], all NOT NULL) that
     * cut it into about k ranges of equal rows: at most k - 1 distinct key tuples, ascending
     * in the key's own order (its columns' collations: the order its index and its
     * comparisons use), nkey texts each, row-major in *cuts, as text the source's extract
     * compares the columns with (UTC for TIMESTAMPTZ), allocated in a; *n tuples (0 when the
     * table is too small to cut). A sample of the keys is enough: the cuts only balance the
     * ranges, any values make a correct split. Called like column_bounds, before a split load
     * reads its ranges. */
    int (*key_cuts)(struct arus_source *src, const struct arus_table_schema *t, const size_t *key,
                    size_t nkey, size_t k, struct arus_arena *a, const char ***cuts, size_t *n,
                    struct arus_error *err);
};

/* Base of every source instance: the connector's private struct embeds this first. */
struct arus_source {
    const struct arus_source_ops *ops;
    const struct arus_endpoint *endpoint; /* borrowed from the config */
};

/* Core wrappers: the only callers of the slots above (the engine, the CLI and host programs use
 * these). Each dispatches to the slot of the same name; a failure the connector left without a
 * message gets "<operation> on source "<name>" (<type>) failed"; an optional slot that is NULL
 * yields ARUS_ENOTSUP naming the source. arus_source_create looks the type up in the registry.
 * Arguments and ownership as for the slots. */
int arus_source_create(const struct arus_endpoint *ep, struct arus_source **out,
                       struct arus_error *err);
int arus_source_connect(struct arus_source *src, struct arus_error *err);
void arus_source_close(struct arus_source *src); /* NULL is a no-op */
int arus_source_test_connection(struct arus_source *src, struct arus_error *err);
int arus_source_discover_tables(struct arus_source *src, struct arus_arena *a,
                                struct arus_table_schema **out, size_t *n,
                                struct arus_error *err);
int arus_source_get_table_columns(struct arus_source *src, const char *table,
                                  struct arus_arena *a, struct arus_table_schema **out,
                                  struct arus_error *err);
/* The spec's detect_sync_mode: the shared rules of arus_detect_sync_mode. */
void arus_source_detect_sync_mode(struct arus_source *src, const struct arus_table_schema *t,
                                  struct arus_sync_mode *out);
/* extract_open of a plan with rows != ARUS_ROWS_DELETED (ARUS_EINVAL otherwise). */
int arus_source_extract_open(struct arus_source *src, const struct arus_extract_plan *plan,
                             struct arus_extract **out, struct arus_error *err);
int arus_source_extract_next(struct arus_source *src, struct arus_extract *x,
                             struct arus_batch *b, struct arus_error *err);
void arus_source_extract_close(struct arus_source *src, struct arus_extract *x);
/* The source has the optional extract_soft_deletes slot (without it the engine warns and skips
 * the soft-delete phase). */
bool arus_source_can_extract_soft_deletes(const struct arus_source *src);
/* extract_soft_deletes of a plan with rows == ARUS_ROWS_DELETED (ARUS_EINVAL otherwise;
 * ARUS_ENOTSUP when the source has no such slot). */
int arus_source_extract_soft_deletes(struct arus_source *src,
                                     const struct arus_extract_plan *plan,
                                     struct arus_extract **out, struct arus_error *err);
/* The spec's discover_schemas: the source's non-system schema names (all of them, whatever
 * schema_include selects for discovery), *out an array of *n strings allocated in a. ARUS_ENOTSUP
 * with "source "<name>" (<type>) has no schemas" for sources without namespaces. */
bool arus_source_can_discover_schemas(const struct arus_source *src);
int arus_source_discover_schemas(struct arus_source *src, struct arus_arena *a, char ***out,
                                 size_t *n, struct arus_error *err);
/* The commit horizon of t's watermark column (the commit_horizon slot): ARUS_ENOTSUP naming
 * the source when it has no such slot (or was built before ABI 3), or naming the column when
 * it is not a TIMESTAMP, TIMESTAMPTZ or DATE. */
int arus_source_commit_horizon(struct arus_source *src, const struct arus_table_schema *t,
                               size_t watermark, struct arus_arena *a, const char **out,
                               struct arus_error *err);
/* The column_bounds slot: *min / *max as canonical cell text of the column (allocated in a),
 * both NULL for an empty table. ARUS_ENOTSUP naming the source when it has no such slot, or
 * naming the column when it is not an integer, DATE, TIMESTAMP or TIMESTAMPTZ; ARUS_EDATA
 * when the source's text is not of the column's type. */
int arus_source_column_bounds(struct arus_source *src, const struct arus_table_schema *t,
                              size_t column, struct arus_arena *a, const char **min,
                              const char **max, struct arus_error *err);
/* For key_cuts slots: sample one row in every *returned* of a table of about rows rows (its
 * statistics; <= 0 unknown) to cut it into k ranges (1: read every row). */
int64_t arus_key_sample_every(int64_t rows, size_t k);
/* For key_cuts slots: of m sampled keys sorted in the key's order, the indexes of the at most
 * k - 1 evenly spaced among them, ascending and distinct, into at (room for k - 1); returns
 * how many. */
size_t arus_key_cuts_pick(size_t m, size_t k, size_t *at);
/* The key_cuts slot: ARUS_ENOTSUP naming the source when it has no such slot, or naming a
 * column whose type cannot be cut (bytes, floats, booleans, JSON); ARUS_EDATA when a cut is
 * NULL or not of its column's type. */
int arus_source_key_cuts(struct arus_source *src, const struct arus_table_schema *t,
                         const size_t *key, size_t nkey, size_t k, struct arus_arena *a,
                         const char ***cuts, size_t *n, struct arus_error *err);
/* Change data capture wrappers (the slots above; ARUS_ENOTSUP naming the source when it has
 * none). arus_source_can_cdc: all the cdc_* slots are there. */
bool arus_source_can_cdc(const struct arus_source *src);
bool arus_source_ops_can_cdc(const struct arus_source_ops *ops);
int arus_source_cdc_start(struct arus_source *src, const struct arus_cdc_options *o,
                          struct arus_cdc_start *out, struct arus_error *err);
int arus_source_cdc_stream(struct arus_source *src, const char *from, bool follow,
                           struct arus_error *err);
int arus_source_cdc_next(struct arus_source *src, struct arus_cdc_event *ev, double timeout,
                         struct arus_error *err);
int arus_source_cdc_ack(struct arus_source *src, const char *position, struct arus_error *err);
int arus_source_cdc_status(struct arus_source *src, const struct arus_cdc_options *o,
                           struct arus_arena *a, struct arus_cdc_status *out,
                           struct arus_error *err);
int arus_source_cdc_drop(struct arus_source *src, const struct arus_cdc_options *o,
                         struct arus_error *err);
/* Order two positions of the source's format: <0, 0, >0 (a malformed one sorts first). */
int arus_source_cdc_position_cmp(const struct arus_source *src, const char *a, const char *b);

/* What a source connector can do, from its ops table alone (for `arus connectors`, before any
 * endpoint exists): the optional slot is there. */
bool arus_source_ops_can_extract_soft_deletes(const struct arus_source_ops *ops);
bool arus_source_ops_can_discover_schemas(const struct arus_source_ops *ops);

#endif

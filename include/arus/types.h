/* The data model that crosses the connector interface: logical types, columns, table
 * schemas, sync modes and batches of rows.
 *
 * Every cell travels as bytes in a canonical text form for its logical type (below), so a
 * source only has to render its values once and every destination parses one format. */
#ifndef ARUS_TYPES_H
#define ARUS_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct arus_arena;
struct arus_strbuf;
struct arus_error;

/* Logical types and the canonical cell text of each (sources produce exactly this; destinations
 * accept exactly this):
 *   BOOL        "true" | "false"
 *   INT16/32/64 decimal integer, optional leading '-', no '+', no leading zeros
 *   UINT64      decimal integer 0..18446744073709551615
 *   DECIMAL     plain decimal, exact, no exponent: "-123.4500"; also "NaN" (PostgreSQL numeric)
 *   FLOAT32/64  shortest text that round-trips ("%.9g"/"%.17g" accepted), or "NaN", "Infinity",
 *               "-Infinity"
 *   STRING      UTF-8 text as-is (len authoritative; hostile data may hold NUL or invalid UTF-8)
 *   BYTES       raw bytes
 *   UUID        36-char lower-case "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"
 *   DATE        "YYYY-MM-DD"
 *   TIME        "HH:MM:SS[.ffffff]" (MySQL TIME may be negative or >= 24h: kept as the server
 *               prints it)
 *   TIMESTAMP   "YYYY-MM-DD HH:MM:SS[.ffffff]" wall-clock without zone
 *   TIMESTAMPTZ "YYYY-MM-DD HH:MM:SS[.ffffff]" normalised to UTC (no suffix)
 *               Fractions: 1-6 digits, trailing zeros trimmed, omitted when zero.
 *   JSON        JSON text (valid JSON)
 *   INTERVAL    PostgreSQL interval text in ISO-8601 form ("P1Y2M3DT4H5M6.5S")
 * NULL is a cell whose data pointer is NULL. */
enum arus_ltype {
    ARUS_T_BOOL = 0,
    ARUS_T_INT16,
    ARUS_T_INT32,
    ARUS_T_INT64,
    ARUS_T_UINT64,
    ARUS_T_DECIMAL,
    ARUS_T_FLOAT32,
    ARUS_T_FLOAT64,
    ARUS_T_STRING,
    ARUS_T_BYTES,
    ARUS_T_UUID,
    ARUS_T_DATE,
    ARUS_T_TIME,
    ARUS_T_TIMESTAMP,
    ARUS_T_TIMESTAMPTZ,
    ARUS_T_JSON,
    ARUS_T_INTERVAL,
    ARUS_T__COUNT
};

/* A logical type with its modifiers. length: max characters for bounded strings (0 = unbounded
 * TEXT); precision/scale: DECIMAL (precision 0 = unconstrained numeric). */
struct arus_type {
    enum arus_ltype ltype;
    int length;
    int precision;
    int scale;
};

/* A point in time: TIMESTAMP, TIMESTAMPTZ or DATE (what a lookback and a commit horizon can
 * bound). */
bool arus_ltype_is_time(enum arus_ltype t);
/* Lower-case name of a logical type ("int64", "timestamptz", ...). */
const char *arus_ltype_name(enum arus_ltype t);
/* Inverse of arus_ltype_name; returns -1 if unknown. */
int arus_ltype_parse(const char *name);

/* One column. Strings are owned by whoever owns the enclosing schema (an arena). */
struct arus_column {
    char *name;
    char *source_type;   /* the source's native type text, e.g. "numeric(38,10)", "tinyint(1)" */
    struct arus_type type;
    bool nullable;
    int pk_ordinal;      /* 0 = not in the primary key; 1.. = position within the key */
};

/* The spec's TableSchema. */
struct arus_table_schema {
    char *schema_name;   /* source namespace ("public", MySQL database, ...); may be NULL */
    char *name;
    struct arus_column *columns;
    size_t ncolumns;
    int64_t row_count_estimate;
};

enum arus_sync_kind { ARUS_SYNC_INCREMENTAL = 0, ARUS_SYNC_FULL_REFRESH = 1 };

/* The spec's SyncMode. Column names are borrowed from the table schema or config. */
struct arus_sync_mode {
    enum arus_sync_kind mode;
    const char *watermark_column;   /* NULL for full refresh */
    const char *deleted_at_column;  /* NULL when the table has none */
};

/* The spec's detection rules, shared by every source: watermark candidates in order
 * updated_at, modified_at, last_modified, updated, then created_at (case-insensitive name
 * match), else full refresh; a column named deleted_at is the soft-delete column. */
void arus_detect_sync_mode(const struct arus_table_schema *t, struct arus_sync_mode *out);

/* Index of column `name` in t, or -1. Exact match first, then case-insensitive. */
int arus_schema_find(const struct arus_table_schema *t, const char *name);
/* Number of primary-key columns, and their indexes in key order into idx (size ncolumns). */
size_t arus_schema_pk(const struct arus_table_schema *t, size_t *idx);
/* Deep copy of a schema into arena a. */
struct arus_table_schema *arus_schema_copy(struct arus_arena *a, const struct arus_table_schema *t);

/* One cell: data == NULL means SQL NULL; otherwise len bytes in canonical text, followed by a
 * NUL byte that is not counted (so C string functions are safe on non-hostile data). */
struct arus_cell {
    const char *data;
    size_t len;
};

/* A batch: rows x columns cells in row-major order. Core creates it; the source appends rows
 * (memory from batch->arena), the destination reads it during load_* only. The arena is reset
 * after every load, so nothing from a batch may be kept. */
struct arus_batch {
    struct arus_arena *arena;
    const struct arus_table_schema *schema; /* borrowed, the columns the cells follow */
    size_t ncolumns;
    size_t nrows;
    size_t capacity;                        /* rows; the batch size */
    struct arus_cell *cells;                /* capacity * ncolumns */
};

/* Create a batch for `schema` with room for capacity rows. Caller frees with
 * arus_batch_destroy. */
struct arus_batch *arus_batch_create(const struct arus_table_schema *schema, size_t capacity);
void arus_batch_destroy(struct arus_batch *b);
/* Drop all rows and reset the arena. */
void arus_batch_clear(struct arus_batch *b);
/* Start a new row; returns its cells (all NULL). Must not be called when full. */
struct arus_cell *arus_batch_add_row(struct arus_batch *b);
static inline bool arus_batch_full(const struct arus_batch *b) { return b->nrows >= b->capacity; }
static inline struct arus_cell *arus_batch_row(const struct arus_batch *b, size_t r)
{
    return b->cells + r * b->ncolumns;
}
/* Set a cell to a copy of n bytes (copied into the batch arena). */
void arus_cell_set(struct arus_batch *b, struct arus_cell *c, const void *p, size_t n);
/* Set a cell to borrowed bytes that already live in the batch arena (no copy). */
static inline void arus_cell_set_borrowed(struct arus_cell *c, const char *p, size_t n)
{
    c->data = p;
    c->len = n;
}

/* Append row r of b as a JSON object to sb, for the raw landing zone: keys are column names;
 * integers and decimals are JSON numbers written exactly (never through a double); NaN/Infinity,
 * dates, times, timestamps ("YYYY-MM-DDTHH:MM:SS.ffffffZ" for TIMESTAMPTZ), UUIDs and intervals
 * are strings; BYTES are base64 strings; JSON cells are embedded as JSON; BOOL as true/false. */
void arus_row_to_json(const struct arus_batch *b, size_t r, struct arus_strbuf *sb);

#endif

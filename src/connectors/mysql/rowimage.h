/* MySQL/MariaDB row-based binlog decoding: TABLE_MAP events (column types, metadata and the
 * binlog_row_metadata=FULL extras) and the row images of WRITE/UPDATE/DELETE_ROWS events, turned
 * into the canonical cells of arus/types.h exactly as the watermark extract renders them.
 * Pure code over byte buffers (no connection), so unit tests drive it from captured events. */
#ifndef ARUS_MY_ROWIMAGE_H
#define ARUS_MY_ROWIMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arus/types.h"

struct arus_arena;
struct arus_error;

/* Binlog column type codes (MySQL's enum_field_types as written into TABLE_MAP events). */
enum {
    MY_BT_DECIMAL = 0,
    MY_BT_TINY = 1,
    MY_BT_SHORT = 2,
    MY_BT_LONG = 3,
    MY_BT_FLOAT = 4,
    MY_BT_DOUBLE = 5,
    MY_BT_NULL = 6,
    MY_BT_TIMESTAMP = 7,
    MY_BT_LONGLONG = 8,
    MY_BT_INT24 = 9,
    MY_BT_DATE = 10,
    MY_BT_TIME = 11,
    MY_BT_DATETIME = 12,
    MY_BT_YEAR = 13,
    MY_BT_NEWDATE = 14,
    MY_BT_VARCHAR = 15,
    MY_BT_BIT = 16,
    MY_BT_TIMESTAMP2 = 17,
    MY_BT_DATETIME2 = 18,
    MY_BT_TIME2 = 19,
    MY_BT_JSON = 245,
    MY_BT_NEWDECIMAL = 246,
    MY_BT_ENUM = 247,
    MY_BT_SET = 248,
    MY_BT_TINY_BLOB = 249,
    MY_BT_MEDIUM_BLOB = 250,
    MY_BT_LONG_BLOB = 251,
    MY_BT_BLOB = 252,
    MY_BT_VAR_STRING = 253,
    MY_BT_STRING = 254,
    MY_BT_GEOMETRY = 255,
};

/* Little-endian unsigned integer of n <= 8 bytes (the binlog's byte order). */
static inline uint64_t arus__my_le(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = n; i-- > 0;)
        v = (v << 8) | p[i];
    return v;
}

/* The collation id of the binary pseudo-charset: such string columns are BYTES. */
#define MY_COLLATION_BINARY 63

/* Collation id -> character set name, as the server's information_schema.COLLATIONS lists it.
 * The decoder needs it to turn CHAR/VARCHAR/TEXT/ENUM/SET bytes of any charset into UTF-8.
 * Entries sorted by id. */
struct my_collation {
    uint32_t id;
    const char *charset; /* "utf8mb4", "latin1", "ucs2", "binary", ... */
};
struct my_collations {
    struct my_collation *v;
    size_t n;
};

/* Parse "ID CHARSET" lines (the output of SELECT ID, CHARACTER_SET_NAME FROM
 * information_schema.COLLATIONS) into out, allocated in a (names included). Lines in any order;
 * blank lines ignored. ARUS_EINVAL on a malformed line. */
int arus__my_collations_parse(const char *text, size_t len, struct arus_arena *a,
                              struct my_collations *out, struct arus_error *err);
/* Charset name of a collation id, or NULL when unknown. */
const char *arus__my_collation_charset(const struct my_collations *c, uint32_t id);

/* One column as the TABLE_MAP describes it. */
struct my_tm_column {
    uint8_t type;      /* MY_BT_* as logged (STRING for CHAR, BINARY, ENUM and SET) */
    uint8_t real_type; /* STRING's real type from its metadata: STRING, ENUM or SET */
    uint16_t meta;     /* type metadata (lengths, precision/scale, fsp, pack length) */
    uint32_t max_len;  /* CHAR/BINARY: field length in bytes (from meta) */
    bool nullable;
    bool is_unsigned;    /* from the SIGNEDNESS metadata (numeric columns only) */
    uint32_t collation;  /* character and ENUM/SET columns; 0 when unknown */
    const char *charset; /* charset name of collation, NULL when unknown */
    const char *name;    /* COLUMN_NAME metadata; NULL without binlog_row_metadata=FULL */
    int pk_ordinal;      /* 1.. from the primary-key metadata, 0 = not in the key */
    const char **labels; /* ENUM/SET member strings, already UTF-8 */
    size_t nlabels;
    /* The logical type the watermark path gives this column; the decoder derives it from the
     * binlog type, and arus__my_tablemap_bind_schema refines it (tinyint(1) -> BOOL, MariaDB's
     * JSON check -> JSON) from the table's schema. */
    enum arus_ltype ltype;
};

/* A decoded TABLE_MAP event. Memory (names, labels, columns) lives in the arena given to
 * arus__my_tablemap_parse. */
struct my_tablemap {
    uint64_t table_id;
    const char *database;
    const char *table;
    size_t ncolumns;
    struct my_tm_column *columns;
    bool has_names; /* binlog_row_metadata=FULL was on when the event was written */
    bool skip;      /* set by the stream's table-map callback: rows of this table are not
                       decoded and yield no changes (tables outside the pipeline, whose column
                       types the decoder may not even support) */
};

/* Parse the body of a TABLE_MAP event (after the 19-byte header, without the checksum) into
 * out, memory from a. collations resolves charsets (may be NULL: then only binary and utf8*
 * columns decode); mariadb says which server wrote it (their SIGNEDNESS bitmaps differ on
 * YEAR). ARUS_EDATA on a truncated or malformed event. */
int arus__my_tablemap_parse(const uint8_t *body, size_t len, const struct my_collations *coll,
                            bool mariadb, struct arus_arena *a, struct my_tablemap *out,
                            struct arus_error *err);

/* Refine each column's logical type from the table schema the watermark path reads
 * (information_schema), matching columns by name (by position when the event has no names):
 * BOOL for tinyint(1), JSON for MariaDB's JSON columns. Columns not found keep their type. */
void arus__my_tablemap_bind_schema(struct my_tablemap *tm, const struct arus_table_schema *t);

/* Rows event types: v1 as MariaDB writes them, v2 as MySQL 8 does (an extra-data block after
 * the flags), and MariaDB's compressed ones (log_bin_compress), which are refused. */
enum {
    MY_EV_WRITE_V1 = 23,
    MY_EV_UPDATE_V1 = 24,
    MY_EV_DELETE_V1 = 25,
    MY_EV_WRITE_V2 = 30,
    MY_EV_UPDATE_V2 = 31,
    MY_EV_DELETE_V2 = 32,
    MY_EV_WRITE_COMPRESSED_V1 = 166,
    MY_EV_DELETE_COMPRESSED = 171,
};

static inline bool arus__my_is_rows_event(uint8_t type)
{
    return (type >= MY_EV_WRITE_V1 && type <= MY_EV_DELETE_V1) ||
           (type >= MY_EV_WRITE_V2 && type <= MY_EV_DELETE_V2) ||
           (type >= MY_EV_WRITE_COMPRESSED_V1 && type <= MY_EV_DELETE_COMPRESSED);
}

/* Rows event kinds. */
enum my_rows_kind { MY_ROWS_WRITE, MY_ROWS_UPDATE, MY_ROWS_DELETE };

/* The fixed part of a WRITE/UPDATE/DELETE_ROWS event (v1 or v2); rows follow from `rows`. */
struct my_rows_event {
    enum my_rows_kind kind;
    uint64_t table_id;
    uint16_t flags; /* STMT_END_F = 1: last rows event of the statement */
    size_t ncolumns;
    const uint8_t *present;       /* columns present in the (before) image: bitmap */
    const uint8_t *present_after; /* UPDATE: columns present in the after image */
    const uint8_t *rows, *end;    /* row images, borrowed from the event */
};

/* Parse the fixed part of a rows event body (event type MY_EV_* in binlog.h, 23-25 or 30-32).
 * Pointers borrow from body. ARUS_EDATA on malformed input, ARUS_ENOTSUP for compressed rows
 * events. */
int arus__my_rows_parse(uint8_t event_type, const uint8_t *body, size_t len,
                        struct my_rows_event *out, struct arus_error *err);

/* One row image: a cell per TABLE_MAP column (cells[i].data == NULL is SQL NULL) and whether the
 * column is in the image at all (MINIMAL/NOBLOB images leave columns out; absent cells are
 * NULL and must not be applied). */
struct my_row_image {
    struct arus_cell *cells;
    bool *present;
    size_t ncolumns;
    size_t zero_dates; /* zero or zero-part dates rendered NULL in this image */
};

/* Decode the image at *p (bitmap = the event's present bitmap for this image) into out, cells
 * and their bytes allocated in a, and advance *p past it. Cells are the canonical text of each
 * column's ltype. ARUS_EDATA on truncated data or a value that does not fit its type,
 * ARUS_ENOTSUP for a type or charset the decoder does not handle (the message names the
 * column). */
int arus__my_row_decode(const struct my_tablemap *tm, const uint8_t *bitmap, const uint8_t **p,
                        const uint8_t *end, struct arus_arena *a, struct my_row_image *out,
                        struct arus_error *err);

/* DECIMAL(prec, scale)'s binary size (decimal2bin: 9 digits per 4 bytes, the rest in 1-4). */
size_t arus__my_decimal_size(unsigned prec, unsigned scale);
/* DECIMAL's binary form (size bytes, arus__my_decimal_size(prec, scale) of them; prec <= 65,
 * scale <= 30) appended to sb as the server prints it: scale fraction digits, "-" unless zero. */
void arus__my_decimal_text(const uint8_t *src, size_t size, unsigned prec, unsigned scale,
                           struct arus_strbuf *sb);
/* A MySQL binary JSON value (n bytes, a JSON column's cell in a rows event; json_binary.c)
 * appended to sb as the JSON text MySQL prints for it ({"a": 1, "b": [true, null]}; n == 0 is
 * null). ARUS_EDATA naming the fault for malformed input, never reading outside p[0..n). */
int arus__my_json_binary_text(const uint8_t *p, size_t n, struct arus_strbuf *sb,
                              struct arus_error *err);

#endif

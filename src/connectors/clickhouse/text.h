/* Text helpers of the ClickHouse destination that need no server: identifier and string-literal
 * quoting, TabSeparated escaping of canonical cells, spotting a server exception inside a
 * response body, and server version parsing. Kept apart from the HTTP code so unit tests can
 * exercise them without libcurl or a server. */
#ifndef ARUS_CH_TEXT_H
#define ARUS_CH_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "arus/types.h"

struct arus_strbuf;

/* "name" with " doubled and \ escaped, as ClickHouse reads double-quoted identifiers. */
void arus__ch_quote_ident(struct arus_strbuf *sb, const char *name);
/* "db"."table". */
void arus__ch_quote_table(struct arus_strbuf *sb, const char *db, const char *table);
/* A ClickHouse string literal for the C string s. */
void arus__ch_quote_string(struct arus_strbuf *sb, const char *s);
/* n bytes as one TabSeparated field (escapes \\ \t \n \r and NUL). */
void arus__ch_tsv_escape(struct arus_strbuf *sb, const char *p, size_t n);
/* Undo arus__ch_tsv_escape in place on one field; returns the new length. */
size_t arus__ch_tsv_unescape(char *p, size_t n);

/* Split the next TabSeparated row at *pos (up to end) in place: fields are unescaped and
 * NUL-terminated, "\N" becomes NULL. Writes at most max fields and returns how many the row
 * had (0 at the end of input); *pos moves past the row. */
size_t arus__ch_tsv_split_row(char **pos, char *end, char **fields, size_t max);

/* How one column's cells are written into the typed table's TabSeparated body. */
enum ch_value_kind {
    CH_V_TEXT = 0,   /* escaped as-is (String, integers, UUID, Decimal(P,S), DateTime64) */
    CH_V_BOOL,       /* "true"/"false" -> 1/0 */
    CH_V_FLOAT,      /* NaN/Infinity spelled the ClickHouse way */
    CH_V_DECIMAL,    /* Decimal(P,S): NaN has no representation -> error */
    CH_V_DATE,       /* Date: range-checked */
    CH_V_DATETIME64, /* DateTime64(6): range-checked */
};

struct ch_value_spec {
    enum ch_value_kind kind;
    int precision; /* CH_V_DECIMAL: total digits the column holds */
    int scale;     /* CH_V_DECIMAL: digits after the point; others must be zeros */
    bool nullable; /* false: a NULL cell is an error (key or NOT NULL column) */
};

/* The spec for a column of logical type t whose ClickHouse type text is ch_type (as produced
 * by arus__ch_type_to_native), so the DDL type decides how values are written. */
void arus__ch_value_spec_init(struct ch_value_spec *vs, const struct arus_type *t,
                              const char *ch_type);

/* Append one canonical cell as a TabSeparated field. Returns false with a static reason in
 * *why (e.g. "outside ClickHouse's Date range 1970-01-01..2105-12-31") when the value cannot be
 * stored; nothing is appended then. */
bool arus__ch_tsv_cell(struct arus_strbuf *sb, const struct ch_value_spec *vs,
                       const struct arus_cell *c, const char **why);

/* Find a server exception in a response body: a line starting with "Code: <digits>" followed
 * by ", e.displayText() = " (old servers) or ". DB::Exception" (new servers). ClickHouse
 * appends such a line to a 200 response when a query fails after streaming began; in
 * TabSeparated data a real newline only ends a row, so data cannot fake it at a line start
 * unless the first column holds it. On success *line and *len give the exception text without
 * the trailing ", e.what() = ..." and newline. */
bool arus__ch_find_exception(const char *body, size_t n, const char **line, size_t *len);

/* Parse "18.16.1" / "23.8.2.7": returns false if no major.minor prefix. */
bool arus__ch_parse_version(const char *s, int *major, int *minor);

#endif

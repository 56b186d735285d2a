/* The WHERE and ORDER BY clauses of an extract plan (arus/source.h) in SQL, for SQL sources:
 * the plan's rules are spelled once here, and a source supplies only its dialect (identifier
 * quoting, placeholders, how tuples compare and where NULLs sort). */
#ifndef ARUS_EXTRACT_SQL_H
#define ARUS_EXTRACT_SQL_H

#include <stdbool.h>
#include <stddef.h>

#include "arus/source.h"
#include "arus/strbuf.h"

/* How one SQL dialect spells the clauses. */
struct arus_sql_dialect {
    char quote;            /* identifier quote for arus_sql_quote_ident: '"' or '`' */
    bool row_values;       /* compare tuples as ("wm", "k") >= (x, y), which the dialect's planner
                              turns into an index range; false: expand into the equivalent
                              "wm" >= x AND ("wm" > x OR ("wm" = x AND "k" >= y)) */
    bool nulls_sort_first; /* ascending order already puts NULLs first (MySQL, SQLite); false:
                              write NULLS FIRST after a nullable watermark (PostgreSQL) */
    /* Prefix and suffix that make a string column sort in byte order of its UTF-8 text, for
     * plans ordered by the key alone (arus verify merges them with the destination's rows);
     * NULLs: the column's own order already is byte order. */
    const char *byte_order[2];
    /* Append to sql the placeholder of one bound value: text is the canonical text a bound
     * of the plan holds (a pointer into the plan, so equal pointers are the same value), to be
     * compared with column `column` of the plan's table as that column's type. Called once per
     * occurrence, in the order the placeholders appear in the text. */
    void (*param)(void *ctx, struct arus_strbuf *sql, size_t column, const char *text);
};

/* Append "SELECT c1, c2, ..." to sql: the plan's columns in batch order, quoted with quote. */
void arus_extract_sql_select(const struct arus_extract_plan *plan, char quote,
                             struct arus_strbuf *sql);

/* Append to sql, after "SELECT ... FROM ...", the clauses that select and order the plan's rows
 * exactly as arus/source.h defines them: " WHERE ..." when any row is filtered out, and
 * " ORDER BY ..." when the plan is ordered. Identifiers are quoted; values go only through
 * d->param (which gets ctx). Every condition on the watermark is a plain comparison of the column
 * (no function around it), so an index on it serves the range and the order. */
void arus_extract_sql_clauses(const struct arus_extract_plan *plan,
                              const struct arus_sql_dialect *d, void *ctx, struct arus_strbuf *sql);

/* ---- A destination's read-back page (the read_rows slot, arus verify)
 *
 * "SELECT c1, c2, ... FROM <from>[ WHERE (k1, k2) > (p1, p2)] ORDER BY k1, k2 LIMIT n": the
 * columns of a schema, the rows after a key, ordered by the schema's primary key. */
struct arus_sql_page_dialect {
    char quote;    /* identifier quote for arus_sql_quote_ident */
    bool tuple_fn; /* write tuple(a, b) (ClickHouse) instead of (a, b) */
    /* Append a quoted identifier when the dialect escapes more than the quote (ClickHouse's
     * backslashes); NULL: arus_sql_quote_ident with quote. */
    void (*ident)(struct arus_strbuf *sql, const char *name);
    /* Append key column c as it is compared and ordered (PostgreSQL adds COLLATE "C" to
     * strings); NULL: its quoted identifier. */
    void (*key)(struct arus_strbuf *sql, const struct arus_column *c);
    /* Append the placeholder of the i-th key value (0-based), compared with column c. */
    void (*param)(void *ctx, struct arus_strbuf *sql, size_t i, const struct arus_column *c);
};

/* Append the page query to sql. from is the quoted relation, possibly followed by a WHERE of
 * its own (where = true: the key condition is joined with AND); with after, rows whose key is
 * greater than the key values d->param spells; at most limit rows. */
void arus_sql_read_page(const struct arus_table_schema *s, const char *from, bool where,
                        bool after, size_t limit, const struct arus_sql_page_dialect *d,
                        void *ctx, struct arus_strbuf *sql);

#endif

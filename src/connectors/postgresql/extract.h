/* PostgreSQL translation of an extract plan (arus/source.h) into one COPY, apart from the
 * driver calls so that unit tests can compare it with golden text. */
#ifndef ARUS_PG_EXTRACT_H
#define ARUS_PG_EXTRACT_H

#include <stddef.h>

#include "arus/source.h"
#include "arus/strbuf.h"

/* The statements of one extract. COPY takes no bind parameters, so bound values travel as
 * session settings: `bind` (run first, with params as $1..$nparams) stores them with
 * set_config('arus.pN', $N, false), and `copy` reads current_setting('arus.pN') cast to the
 * type of the column each is compared with. */
struct pg_extract_sql {
    struct arus_strbuf copy; /* COPY (SELECT ...) TO STDOUT */
    struct arus_strbuf bind; /* SELECT set_config(...), ...; empty when nparams == 0 */
    const char **params;     /* heap array; the texts are borrowed from the plan */
    size_t nparams;
};

/* Write the statements of plan into *out (caller's storage, initialised here). The relation is
 * plan->table's, in default_schema (the source's `schema` key) when the table has no
 * schema_name; a table outside default_schema is named "schema.relation" by discovery, and
 * that prefix is taken off again. Columns of a JSON logical type that PostgreSQL does not
 * store as json (arrays) go through to_json(). Free with arus__pg_extract_sql_cleanup. */
void arus__pg_extract_sql(const struct arus_extract_plan *plan, const char *default_schema,
                          struct pg_extract_sql *out);
void arus__pg_extract_sql_cleanup(struct pg_extract_sql *q);
/* Append the quoted relation of table t (schema-qualified; default_schema for a plain name). */
void arus__pg_relation(struct arus_strbuf *sql, const struct arus_table_schema *t,
                       const char *default_schema);

/* Turn one field of column col, already unescaped text at p[0..n) in memory the caller owns
 * (writable, with room for a NUL at p[n]), into canonical cell text in place: booleans to
 * true/false, the "+00" of UTC timestamps dropped, bytea hex decoded; cell borrows p. The
 * COPY extract and change data capture both use it, so both give the same cells. ARUS_EDATA
 * with "<what>: column ..." on a malformed value. */
int arus__pg_canonical(const struct arus_column *col, const char *what, struct arus_cell *cell,
                       char *p, size_t n, struct arus_error *err);

#endif

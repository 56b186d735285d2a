/* SQLite translation of an extract plan (arus/source.h) into one SELECT, apart from the driver
 * calls so that unit tests can compare it with golden text. */
#ifndef ARUS_SQLITE_EXTRACT_H
#define ARUS_SQLITE_EXTRACT_H

#include <stddef.h>

#include "arus/source.h"
#include "arus/strbuf.h"

/* The statement of one extract and the texts to bind to ?1..?nparams. */
struct sqlite_extract_sql {
    struct arus_strbuf sql;
    const char **params; /* heap array; the texts are borrowed from the plan */
    size_t nparams;
};

/* Write the SELECT of plan into *out (caller's storage, initialised here): columns in batch
 * order from the table, the plan's WHERE and ORDER BY, every bound value a numbered parameter
 * bound as text (SQLite applies the column's affinity to it). Free with
 * arus__sqlite_extract_sql_cleanup. */
void arus__sqlite_extract_sql(const struct arus_extract_plan *plan, struct sqlite_extract_sql *out);
void arus__sqlite_extract_sql_cleanup(struct sqlite_extract_sql *q);

#endif

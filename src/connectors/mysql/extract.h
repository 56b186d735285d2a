/* MySQL/MariaDB translation of an extract plan (arus/source.h) into one prepared SELECT, apart
 * from the driver calls so that unit tests can compare it with golden text. */
#ifndef ARUS_MY_EXTRACT_H
#define ARUS_MY_EXTRACT_H

#include <stddef.h>

#include "arus/source.h"
#include "arus/strbuf.h"

/* One `?` of the statement: the canonical text to bind, as the type of the column it is
 * compared with. */
struct my_extract_param {
    size_t column;    /* index into the plan's table */
    const char *text; /* borrowed from the plan */
};

/* The statement of one extract and its parameters, one per `?` in order. */
struct my_extract_sql {
    struct arus_strbuf sql;
    struct my_extract_param *params; /* heap array */
    size_t nparams, cap;
};

/* Write the SELECT of plan on `database`.table into *out (caller's storage, initialised here).
 * Keyset bounds are expanded into OR/AND behind a leading comparison of the watermark, the form
 * MySQL turns into an index range; no ORDER BY unless the plan is ordered. Free with
 * arus__my_extract_sql_cleanup. */
void arus__my_extract_sql(const struct arus_extract_plan *plan, const char *database,
                          struct my_extract_sql *out);
void arus__my_extract_sql_cleanup(struct my_extract_sql *q);

#endif

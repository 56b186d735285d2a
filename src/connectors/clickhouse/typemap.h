/* Logical types -> ClickHouse column types (the ClickHouse connector is a destination only). */
#ifndef ARUS_CH_TYPEMAP_H
#define ARUS_CH_TYPEMAP_H

#include <stdbool.h>

#include "arus/types.h"

struct arus_strbuf;

/* Logical -> native DDL type, appended to sb. nullable wraps in Nullable(...); datetime64 selects
 * DateTime64(6) (servers >= 20.1) over DateTime. */
void arus__ch_type_to_native(const struct arus_type *t, bool nullable, bool datetime64,
                             struct arus_strbuf *sb);

/* ClickHouse column type -> logical type, for describe_table: Nullable(T) sets *nullable. */
void arus__ch_type_from_native(const char *native, struct arus_type *out, bool *nullable);

#endif

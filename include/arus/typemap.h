/* Type mapping in two steps: a source's native type text -> struct arus_type (logical), and a
 * logical type -> a destination's native DDL type. The spec's tables are the contract; where
 * they would lose data we keep it (DESIGN.md §2): tinyint(1)/bool -> BOOLEAN but wider tinyint
 * -> SMALLINT, DECIMAL stays exact with its precision/scale, timestamps keep microseconds.
 * Unknown native types map to STRING so nothing is lost. */
#ifndef ARUS_TYPEMAP_H
#define ARUS_TYPEMAP_H

#include <stdbool.h>

#include "arus/types.h"

struct arus_strbuf;

/* Native -> logical. native is the type text as the catalog prints it (PostgreSQL
 * format_type(), MySQL information_schema.COLUMN_TYPE, SQLite declared type). */
void arus_type_from_postgres(const char *native, struct arus_type *out);
void arus_type_from_mysql(const char *native, struct arus_type *out);
void arus_type_from_sqlite(const char *native, struct arus_type *out);

/* Logical -> native DDL type, appended to sb. */
void arus_type_to_postgres(const struct arus_type *t, struct arus_strbuf *sb);
void arus_type_to_mysql(const struct arus_type *t, struct arus_strbuf *sb);
/* nullable wraps in Nullable(...); datetime64 selects DateTime64(6) (servers >= 20.1) over
 * DateTime. */
void arus_type_to_clickhouse(const struct arus_type *t, bool nullable, bool datetime64,
                             struct arus_strbuf *sb);
void arus_type_to_sqlite(const struct arus_type *t, struct arus_strbuf *sb);

#endif

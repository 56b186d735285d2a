/* SQLite declared types <-> logical types. SQLite keeps a declared type as written, so arus
 * writes names that read back as the same logical type (DECIMAL_TEXT(p,s) keeps decimals exact
 * as text). */
#ifndef ARUS_SQLITE_TYPEMAP_H
#define ARUS_SQLITE_TYPEMAP_H

#include <stdbool.h>

#include "arus/types.h"

struct arus_strbuf;

/* Native -> logical; native is the declared type (pragma_table_info.type). */
void arus__sqlite_type_from_native(const char *native, struct arus_type *out);
/* Logical -> declared type, appended to sb. */
void arus__sqlite_type_to_native(const struct arus_type *t, struct arus_strbuf *sb);

#endif

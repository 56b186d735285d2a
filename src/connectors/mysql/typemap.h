/* MySQL/MariaDB native types <-> logical types: tinyint(1)/bool -> BOOLEAN but wider tinyint ->
 * SMALLINT, DECIMAL exact with precision/scale, DATETIME(6) keeps microseconds. Unknown types map
 * to STRING. */
#ifndef ARUS_MY_TYPEMAP_H
#define ARUS_MY_TYPEMAP_H

#include <stdbool.h>

#include "arus/types.h"

struct arus_strbuf;

/* Native -> logical; native is information_schema.COLUMNS.COLUMN_TYPE text. */
void arus__my_type_from_native(const char *native, struct arus_type *out);
/* Logical -> native DDL type, appended to sb. */
void arus__my_type_to_native(const struct arus_type *t, struct arus_strbuf *sb);

#endif

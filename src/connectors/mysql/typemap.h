/* MySQL/MariaDB native types <-> logical types: tinyint(1)/bool -> BOOLEAN but wider tinyint ->
 * SMALLINT, DECIMAL exact with precision/scale, DATETIME(6) keeps microseconds. Unknown types map
 * to STRING. */
#ifndef ARUS_MY_TYPEMAP_H
#define ARUS_MY_TYPEMAP_H

#include <stdbool.h>
#include <stddef.h>

#include <mysql.h>

#include "arus/types.h"

struct arus_strbuf;

/* Native -> logical; native is information_schema.COLUMNS.COLUMN_TYPE text. */
void arus__my_type_from_native(const char *native, struct arus_type *out);
/* Logical -> native DDL type, appended to sb. */
void arus__my_type_to_native(const struct arus_type *t, struct arus_strbuf *sb);

/* Canonical FLOAT32/FLOAT64 cell text of d into buf (n bytes): the shortest "%.*g" that reads
 * back to the same value, or NaN/Infinity/-Infinity. Shared by the extract path and the binlog
 * decoder so both render a value identically. Returns the length written. */
int arus__my_format_double(char *buf, size_t n, double d, bool is_float);

/* Canonical DATE/TIME/TIMESTAMP cell text of t for a column of the given type (MYSQL_TYPE_TIME:
 * signed hours past 24 kept; MYSQL_TYPE_DATE: date only; else date and time), fraction trimmed.
 * Returns the length written. */
int arus__my_format_time(char *buf, size_t n, const MYSQL_TIME *t, enum enum_field_types type);

#endif

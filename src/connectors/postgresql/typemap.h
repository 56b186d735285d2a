/* PostgreSQL native types <-> logical types (see docs/design.md, "Types"). The spec's table is
 * the contract; where it would lose data we keep it. Unknown types map to STRING. */
#ifndef ARUS_PG_TYPEMAP_H
#define ARUS_PG_TYPEMAP_H

#include <stdbool.h>

#include "arus/types.h"

struct arus_strbuf;

/* Native -> logical; native is format_type() text ("numeric(12,2)", "timestamp with time zone"). */
void arus__pg_type_from_native(const char *native, struct arus_type *out);
/* Logical -> native DDL type, appended to sb. */
void arus__pg_type_to_native(const struct arus_type *t, struct arus_strbuf *sb);

#endif

/* Internals of arus verify shared with the sync engine (delete_missing) and the unit tests:
 * the comparison form of a cell and the key-only compare that deletes vanished rows. */
#ifndef ARUS_VERIFY_INTERNAL_H
#define ARUS_VERIFY_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "arus/config.h"
#include "arus/destination.h"
#include "arus/source.h"
#include "arus/strbuf.h"
#include "arus/types.h"

/* Append to out the form in which verify compares a non-NULL cell of logical type t: the
 * canonical text (types.h) with the spellings a destination's storage cannot avoid folded
 * together: booleans "t"/"1" -> "true"; decimals without trailing fraction zeros; floats
 * re-printed from their binary value ("%.9g" / "%.17g"); times and timestamps with 'T', a UTC
 * suffix and fraction zeros removed; UUIDs in lower case; JSON re-serialised compactly with
 * object keys sorted (json-c). Anything else, and text that does not parse as its type, is
 * copied as it is. */
void arus__verify_canon(enum arus_ltype t, const char *p, size_t n, struct arus_strbuf *out);

struct arus__columns;

/* Whether delete_missing can run on a table of columns c (core/sync_internal.h: the extract
 * schema and the column rules) into dst, checked before its sync: ARUS_ECONFIG "delete_missing
 * needs a primary key ..." without a primary key or "delete_missing cannot compare keys when
 * primary key column ... is hashed" (the destination's keys would not come in the source's
 * order), ARUS_ENOTSUP when dst cannot read rows back or delete them. */
int arus__delete_missing_check(const struct arus_destination *dst, const struct arus__columns *c,
                               struct arus_error *err);

/* delete_missing for one table after its sync: compare the primary keys of the source's live
 * rows with the destination's (ordered streams, bounded memory) and delete the destination
 * rows whose key the source no longer has, one delete_rows transaction per batch. c (columns
 * and rules: keys read back under their destination names) and mode are the table's as the
 * sync resolved them; t is its target. *deleted counts the rows deleted. Fails as
 * arus__delete_missing_check does first. */
int arus__delete_missing(struct arus_source *src, struct arus_destination *dst,
                         const struct arus_pipeline *p, const struct arus_target *t,
                         const struct arus__columns *c, const struct arus_sync_mode *mode,
                         int64_t *deleted, struct arus_error *err);

#endif

/* BSON side of the MongoDB source, kept apart from the driver so it can be unit-tested with
 * libbson alone: schema inference over sampled documents (merge fields, widen types), BSON
 * value -> canonical cell text (types.h), and BSON -> JSON for json cells and the raw zone
 * (relaxed-canonical, but int64/Decimal128 exact and dates as ISO-8601 UTC strings). */
#ifndef ARUS_MONGO_BSON_H
#define ARUS_MONGO_BSON_H

#include <bson/bson.h>
#include <stdbool.h>

#include "arus/strbuf.h"
#include "arus/types.h"

struct arus_arena;

/* Name of the JSON column every inferred collection schema ends with. It holds, per document,
 * an object of the fields that have no column of their own (not in the sample) or whose value
 * does not fit the column's inferred type; NULL when there are none. So no field is ever
 * dropped, and the next run's re-inference turns newly seen fields into real columns. */
#define MONGO_EXTRA_COLUMN "_arus_extra"

/* Accumulates the field names and BSON types of sampled documents (top-level fields). */
struct mongo_infer;

/* Create an empty accumulator. Caller frees with arus__mongo_infer_destroy. */
struct mongo_infer *arus__mongo_infer_create(void);
void arus__mongo_infer_destroy(struct mongo_infer *inf);

/* Record the top-level fields of one sampled document (borrowed; nothing of it is kept). */
void arus__mongo_infer_add(struct mongo_infer *inf, const bson_t *doc);

/* Build the table schema for collection `name` from everything added so far, allocated in a.
 * Columns: `_id` first (the primary key, STRING; length 48 when every sampled _id is an
 * ObjectId, the spec's varchar(48)), then the other fields in first-seen order with their
 * widened types (all nullable: a sample proves nothing about later documents), then the JSON
 * column MONGO_EXTRA_COLUMN. source_type names the BSON types seen, e.g. "int32|double".
 * row_count_estimate is left at -1 for the caller. */
struct arus_table_schema *arus__mongo_infer_schema(const struct mongo_infer *inf,
                                                   struct arus_arena *a, const char *name);

/* Working memory of arus__mongo_doc_to_row, reused across documents (caller's storage). */
struct mongo_rowconv {
    struct arus_strbuf cell;
    struct arus_strbuf extra;
    size_t hint; /* column after the last matched one: documents mostly share field order */
};
void arus__mongo_rowconv_init(struct mongo_rowconv *rc);
void arus__mongo_rowconv_cleanup(struct mongo_rowconv *rc);

/* Append one document as a row of batch b (b must not be full), whose schema b->schema is an
 * inferred schema, possibly from an earlier run. Each field goes to the column of the same
 * name when its value converts to that column's logical type, otherwise into the
 * MONGO_EXTRA_COLUMN object (dropped only if the schema has no such column). Never fails:
 * every BSON value has a rendering. */
void arus__mongo_doc_to_row(const bson_t *doc, struct arus_batch *b, struct mongo_rowconv *rc);

/* Append the JSON rendering of the value at iter to sb: numbers exact (int32/int64 as
 * integers, Decimal128 as its exact decimal text, doubles shortest round-trip; non-finite as
 * strings "NaN"/"Infinity"/"-Infinity"), dates "YYYY-MM-DDTHH:MM:SS[.fff]Z", ObjectIds as
 * 24-hex strings, generic binary as base64, UUID binary as a UUID string, other binary
 * subtypes and the remaining BSON types as relaxed extended JSON v2 objects. */
void arus__mongo_value_to_json(const bson_iter_t *iter, struct arus_strbuf *sb);

/* Append the canonical cell text of the value at iter for logical type t to sb. Returns
 * false (sb unchanged) when the value does not convert to t, and for BSON null/undefined. */
bool arus__mongo_value_to_cell(const bson_iter_t *iter, enum arus_ltype t, struct arus_strbuf *sb);

/* Exact plain-decimal text (no exponent) of a Decimal128, or "NaN"; false for infinities. */
bool arus__mongo_decimal_to_text(const bson_decimal128_t *d, struct arus_strbuf *sb);

#endif

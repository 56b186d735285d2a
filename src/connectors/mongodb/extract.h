/* MongoDB translation of an extract plan (arus/source.h) into a find filter and sort, with
 * libbson alone, so that unit tests can compare them with golden JSON. */
#ifndef ARUS_MONGO_EXTRACT_H
#define ARUS_MONGO_EXTRACT_H

#include <bson/bson.h>

#include "arus/error.h"
#include "arus/source.h"

/* Append to filter (an empty document, caller's) the conditions of plan, and to sort (empty,
 * caller's) the plan's order; sort stays empty when the plan is not ordered. Bound values
 * become the BSON type of their column: dates (compared exactly at the millisecond precision
 * MongoDB stores), int64, double, Decimal128, ObjectId for an `_id` of ObjectIds, else
 * strings. {field: null} matches a missing field too, so "deleted_at IS NULL" includes
 * documents without the field. Returns ARUS_OK, ARUS_EINVAL for a bound column of a type
 * that has no order here, ARUS_EDATA for a bound text that is not of its column's type. */
int arus__mongo_extract_filter(const struct arus_extract_plan *plan, bson_t *filter, bson_t *sort,
                               struct arus_error *err);

#endif

/* What the extract translation tests of every source share: a table whose names hold both
 * identifier quote characters, keys and bound values, and the plan of a first incremental run
 * that each test varies field by field. */
#ifndef ARUS_TEST_EXTRACT_FIXTURE_H
#define ARUS_TEST_EXTRACT_FIXTURE_H

#include "arus/source.h"

/* or"d`ers(id bigint, re"gi`on text, updated_at timestamp NULL, deleted_at timestamp(3),
 * tags text[] as JSON) in schema "public", primary key (id, re"gi`on). */
extern const struct arus_table_schema fx_orders;
/* The same with updated_at NOT NULL. */
extern const struct arus_table_schema fx_orders_wm_not_null;
extern const size_t fx_key1[1], fx_key2[2];                  /* (id), (id, re"gi`on) */
extern const char *const fx_lowkey[2], *const fx_highkey[2]; /* ("7", "eu"), ("9", "us") */

/* The plan of a first incremental run over t (watermark column 2, deleted_at column 3): live
 * rows, no bound, NULL watermarks first, ordered by (watermark, key). */
struct arus_extract_plan fx_first_run(const struct arus_table_schema *t, const size_t *key,
                                      size_t nkey);

/* The plan of arus verify over fx_orders: live rows ordered by the key (id, re"gi`on) alone,
 * no watermark. */
struct arus_extract_plan fx_by_key(void);

#endif

/* The shared table and plan of the extract translation tests (see extract_fixture.h). */
#include "extract_fixture.h"

static const struct arus_column fx_columns[] = {
    {.name = "id", .source_type = "bigint", .type = {.ltype = ARUS_T_INT64}, .pk_ordinal = 1},
    {.name = "re\"gi`on", .source_type = "text", .type = {.ltype = ARUS_T_STRING}, .pk_ordinal = 2},
    {.name = "updated_at",
     .source_type = "timestamp without time zone",
     .type = {.ltype = ARUS_T_TIMESTAMP},
     .nullable = true},
    {.name = "deleted_at",
     .source_type = "timestamp(3) without time zone",
     .type = {.ltype = ARUS_T_TIMESTAMP}},
    {.name = "tags", .source_type = "text[]", .type = {.ltype = ARUS_T_JSON}},
};

const struct arus_table_schema fx_orders = {
    .schema_name = "public",
    .name = "or\"d`ers",
    .columns = (struct arus_column *)fx_columns,
    .ncolumns = sizeof fx_columns / sizeof *fx_columns,
};

static const struct arus_column fx_columns_wm_not_null[] = {
    {.name = "id", .source_type = "bigint", .type = {.ltype = ARUS_T_INT64}, .pk_ordinal = 1},
    {.name = "re\"gi`on", .source_type = "text", .type = {.ltype = ARUS_T_STRING}, .pk_ordinal = 2},
    {.name = "updated_at",
     .source_type = "timestamp without time zone",
     .type = {.ltype = ARUS_T_TIMESTAMP}},
    {.name = "deleted_at",
     .source_type = "timestamp(3) without time zone",
     .type = {.ltype = ARUS_T_TIMESTAMP}},
    {.name = "tags", .source_type = "text[]", .type = {.ltype = ARUS_T_JSON}},
};

const struct arus_table_schema fx_orders_wm_not_null = {
    .schema_name = "public",
    .name = "or\"d`ers",
    .columns = (struct arus_column *)fx_columns_wm_not_null,
    .ncolumns = sizeof fx_columns_wm_not_null / sizeof *fx_columns_wm_not_null,
};

const size_t fx_key1[1] = {0}, fx_key2[2] = {0, 1};
const char *const fx_lowkey[2] = {"7", "eu"}, *const fx_highkey[2] = {"9", "us"};

struct arus_extract_plan fx_first_run(const struct arus_table_schema *t, const size_t *key,
                                      size_t nkey)
{
    return (struct arus_extract_plan){
        .table = t,
        .batch_size = 100,
        .watermark = 2,
        .key = key,
        .nkey = nkey,
        .nulls = ARUS_NULLS_FIRST,
        .rows = ARUS_ROWS_LIVE,
        .deleted_at = 3,
        .ordered = true,
    };
}

struct arus_extract_plan fx_by_key(void)
{
    return (struct arus_extract_plan){.table = &fx_orders,
                                      .watermark = -1,
                                      .key = fx_key2,
                                      .nkey = 2,
                                      .deleted_at = 3,
                                      .rows = ARUS_ROWS_LIVE,
                                      .ordered = true};
}

/* Core wrappers around source ops: the only place that calls a source's slots, so validation,
 * the NULL-optional-slot rule and the fallback error text live once. */
#include "arus/source.h"

#include <string.h>

#include "arus/arena.h"
#include "arus/registry.h"
#include "arus/util.h"

int arus_source_create(const struct arus_endpoint *ep, struct arus_source **out,
                       struct arus_error *err)
{
    const struct arus_source_ops *ops = arus_registry_source(ep->type);
    if (!ops)
        return arus_error_set(err, ARUS_ECONFIG, "source \"%s\": unknown connector type \"%s\"",
                              ep->name, ep->type);
    struct arus_source *src = NULL;
    int rc = ops->create(ep, &src, err);
    if (rc != ARUS_OK)
        return rc;
    src->ops = ops;
    src->endpoint = ep;
    *out = src;
    return ARUS_OK;
}

/* Every slot's result passes through here: a failure the connector left without a message gets
 * one naming the operation and the source, so no caller ever prints an empty error. */
static int checked(const struct arus_source *src, const char *op, int rc, struct arus_error *err)
{
    if (rc != ARUS_OK && err && !err->msg[0])
        arus_error_set(err, rc, "%s on source \"%s\" (%s) failed", op, src->endpoint->name,
                       src->ops->name);
    return rc;
}

int arus_source_connect(struct arus_source *src, struct arus_error *err)
{
    return checked(src, "connect", src->ops->connect(src, err), err);
}

void arus_source_close(struct arus_source *src)
{
    if (src)
        src->ops->close(src);
}

int arus_source_test_connection(struct arus_source *src, struct arus_error *err)
{
    return checked(src, "test connection", src->ops->test_connection(src, err), err);
}

int arus_source_discover_tables(struct arus_source *src, struct arus_arena *a,
                                struct arus_table_schema **out, size_t *n,
                                struct arus_error *err)
{
    return checked(src, "discover tables", src->ops->discover_tables(src, a, out, n, err), err);
}

int arus_source_get_table_columns(struct arus_source *src, const char *table,
                                  struct arus_arena *a, struct arus_table_schema **out,
                                  struct arus_error *err)
{
    return checked(src, "read table columns",
                   src->ops->get_table_columns(src, table, a, out, err), err);
}

void arus_source_detect_sync_mode(struct arus_source *src, const struct arus_table_schema *t,
                                  struct arus_sync_mode *out)
{
    (void)src;
    arus_detect_sync_mode(t, out);
}

int arus_source_extract_open(struct arus_source *src, const struct arus_extract_plan *plan,
                             struct arus_extract **out, struct arus_error *err)
{
    if (plan->rows == ARUS_ROWS_DELETED)
        return arus_error_set(err, ARUS_EINVAL,
                              "extract \"%s\" from source \"%s\": a plan of soft-deleted rows "
                              "goes to arus_source_extract_soft_deletes",
                              plan->table->name, src->endpoint->name);
    return checked(src, "extract", src->ops->extract_open(src, plan, out, err), err);
}

int arus_source_extract_next(struct arus_source *src, struct arus_extract *x,
                             struct arus_batch *b, struct arus_error *err)
{
    return checked(src, "read rows", src->ops->extract_next(x, b, err), err);
}

void arus_source_extract_close(struct arus_source *src, struct arus_extract *x)
{
    if (x)
        src->ops->extract_close(x);
}

bool arus_source_ops_can_extract_soft_deletes(const struct arus_source_ops *ops)
{
    return ops->extract_soft_deletes != NULL;
}

bool arus_source_can_extract_soft_deletes(const struct arus_source *src)
{
    return arus_source_ops_can_extract_soft_deletes(src->ops);
}

int arus_source_extract_soft_deletes(struct arus_source *src,
                                     const struct arus_extract_plan *plan,
                                     struct arus_extract **out, struct arus_error *err)
{
    if (!arus_source_can_extract_soft_deletes(src))
        return arus_error_set(err, ARUS_ENOTSUP, "source \"%s\" (%s) cannot extract soft deletes",
                              src->endpoint->name, src->ops->name);
    if (plan->rows != ARUS_ROWS_DELETED)
        return arus_error_set(err, ARUS_EINVAL,
                              "extract soft deletes of \"%s\" from source \"%s\": the plan "
                              "reads other rows than soft-deleted ones",
                              plan->table->name, src->endpoint->name);
    return checked(src, "extract soft deletes",
                   src->ops->extract_soft_deletes(src, plan, out, err), err);
}

bool arus_source_ops_can_discover_schemas(const struct arus_source_ops *ops)
{
    return ops->discover_schemas != NULL;
}

bool arus_source_can_discover_schemas(const struct arus_source *src)
{
    return arus_source_ops_can_discover_schemas(src->ops);
}

int arus_source_discover_schemas(struct arus_source *src, struct arus_arena *a, char ***out,
                                 size_t *n, struct arus_error *err)
{
    if (!arus_source_can_discover_schemas(src))
        return arus_error_set(err, ARUS_ENOTSUP, "source \"%s\" (%s) has no schemas",
                              src->endpoint->name, src->ops->name);
    return checked(src, "discover schemas", src->ops->discover_schemas(src, a, out, n, err), err);
}

/* The first ABI whose ops table has the commit_horizon slot. */
#define ABI_COMMIT_HORIZON 3 /* older tables end before the slot: never read it there */

int arus_source_commit_horizon(struct arus_source *src, const struct arus_table_schema *t,
                               size_t watermark, struct arus_arena *a, const char **out,
                               struct arus_error *err)
{
    const struct arus_column *c = &t->columns[watermark];
    enum arus_ltype type = c->type.ltype;
    if (src->ops->abi_version < ABI_COMMIT_HORIZON || !src->ops->commit_horizon)
        return arus_error_set(err, ARUS_ENOTSUP, "source \"%s\" (%s) cannot tell a commit horizon",
                              src->endpoint->name, src->ops->name);
    /* Counters and strings are not clocks: no open transaction bounds what it will write. */
    if (!arus_ltype_is_time(type))
        return arus_error_set(err, ARUS_ENOTSUP,
                              "watermark column \"%s\" is %s, not a time: no commit horizon "
                              "bounds it",
                              c->name, arus_ltype_name(type));
    const char *h = NULL;
    int rc = checked(src, "read the commit horizon",
                     src->ops->commit_horizon(src, t, watermark, a, &h, err), err);
    if (rc != ARUS_OK)
        return rc;
    int64_t micros;
    char buf[64];
    if (!arus_parse_timestamp(h, strlen(h), &micros))
        return arus_error_set(err, ARUS_EDATA, "commit horizon \"%s\" of source \"%s\" is not a "
                              "timestamp", h, src->endpoint->name);
    /* Whole seconds: a column that keeps fewer digits than the clock (CURRENT_TIMESTAMP,
     * DATETIME(0), truncating) must not stamp a later write below the horizon. */
    micros -= ((micros % 1000000) + 1000000) % 1000000;
    arus_time_cell(type, micros, buf, sizeof buf);
    *out = arus_arena_strdup(a, buf);
    return ARUS_OK;
}

/* A value column_bounds or key_cuts read, as canonical cell text of the column: integers
 * checked, times rewritten by arus_time_cell, other text as the source gave it. */
static int bound_cell(const struct arus_source *src, const struct arus_column *c, const char *in,
                      struct arus_arena *a, const char **out, struct arus_error *err)
{
    enum arus_ltype type = c->type.ltype;
    int64_t micros;
    char buf[64];
    if (!in) {
        *out = NULL;
        return ARUS_OK;
    }
    if (!arus_ltype_is_time(type)) {
        if (type >= ARUS_T_INT16 && type <= ARUS_T_UINT64 && !arus_is_integer_text(in, strlen(in)))
            return arus_error_set(err, ARUS_EDATA, "bound \"%s\" of column \"%s\" from source "
                                  "\"%s\" is not an integer", in, c->name, src->endpoint->name);
        *out = in;
        return ARUS_OK;
    }
    if (!arus_parse_timestamp(in, strlen(in), &micros) ||
        !arus_time_cell(type, micros, buf, sizeof buf))
        return arus_error_set(err, ARUS_EDATA, "bound \"%s\" of column \"%s\" from source "
                              "\"%s\" is not a timestamp", in, c->name, src->endpoint->name);
    *out = arus_arena_strdup(a, buf);
    return ARUS_OK;
}

int arus_source_column_bounds(struct arus_source *src, const struct arus_table_schema *t,
                              size_t column, struct arus_arena *a, const char **min,
                              const char **max, struct arus_error *err)
{
    const struct arus_column *c = &t->columns[column];
    enum arus_ltype type = c->type.ltype;
    if (src->ops->abi_version < 5 || !src->ops->column_bounds)
        return arus_error_set(err, ARUS_ENOTSUP, "source \"%s\" (%s) cannot read a column's "
                              "bounds", src->endpoint->name, src->ops->name);
    bool integer = type >= ARUS_T_INT16 && type <= ARUS_T_UINT64;
    if (!integer && !arus_ltype_is_time(type))
        return arus_error_set(err, ARUS_ENOTSUP, "column \"%s\" is %s: no bounds read", c->name,
                              arus_ltype_name(type));
    const char *lo = NULL, *hi = NULL;
    int rc = checked(src, "read a column's bounds",
                     src->ops->column_bounds(src, t, column, a, &lo, &hi, err), err);
    if (rc == ARUS_OK && (rc = bound_cell(src, c, lo, a, &lo, err)) == ARUS_OK &&
        (rc = bound_cell(src, c, hi, a, &hi, err)) == ARUS_OK) {
        *min = lo;
        *max = hi;
    }
    return rc;
}

int arus_source_key_cuts(struct arus_source *src, const struct arus_table_schema *t,
                         const size_t *key, size_t nkey, size_t k, struct arus_arena *a,
                         const char ***cuts, size_t *n, struct arus_error *err)
{
    *cuts = NULL;
    *n = 0;
    if (src->ops->abi_version < 6 || !src->ops->key_cuts)
        return arus_error_set(err, ARUS_ENOTSUP, "source \"%s\" (%s) cannot cut a key into "
                              "ranges", src->endpoint->name, src->ops->name);
    for (size_t c = 0; c < nkey; c++) {
        enum arus_ltype type = t->columns[key[c]].type.ltype;
        if (type == ARUS_T_BOOL || type == ARUS_T_FLOAT32 || type == ARUS_T_FLOAT64 ||
            type == ARUS_T_BYTES || type == ARUS_T_JSON)
            return arus_error_set(err, ARUS_ENOTSUP, "column \"%s\" is %s: not cut into "
                                  "ranges", t->columns[key[c]].name, arus_ltype_name(type));
    }
    const char **got = NULL;
    size_t ngot = 0;
    int rc = checked(src, "cut a key into ranges",
                     src->ops->key_cuts(src, t, key, nkey, k, a, &got, &ngot, err), err);
    if (rc == ARUS_OK && ngot >= k)
        return arus_error_set(err, ARUS_EDATA, "source \"%s\" cut a key into more ranges than "
                              "asked", src->endpoint->name);
    for (size_t i = 0; rc == ARUS_OK && i < ngot * nkey; i++) {
        const struct arus_column *c = &t->columns[key[i % nkey]];
        if (!got[i])
            return arus_error_set(err, ARUS_EDATA, "source \"%s\" cut column \"%s\" into "
                                  "ranges at NULL", src->endpoint->name, c->name);
        rc = bound_cell(src, c, got[i], a, &got[i], err);
    }
    if (rc == ARUS_OK) {
        *cuts = got;
        *n = ngot;
    }
    return rc;
}

/* The cdc_* slots exist only in tables of ABI 4 and later: an older table ends before them. */
bool arus_source_ops_can_cdc(const struct arus_source_ops *ops)
{
    return ops->abi_version >= 4 && ops->cdc_start && ops->cdc_stream && ops->cdc_next &&
           ops->cdc_ack && ops->cdc_status && ops->cdc_drop && ops->cdc_position_cmp;
}

bool arus_source_can_cdc(const struct arus_source *src)
{
    return arus_source_ops_can_cdc(src->ops);
}

static int no_cdc(const struct arus_source *src, struct arus_error *err)
{
    return arus_error_set(err, ARUS_ENOTSUP,
                          "source \"%s\" (%s) cannot capture changes (sync_mode: cdc)",
                          src->endpoint->name, src->ops->name);
}

int arus_source_cdc_start(struct arus_source *src, const struct arus_cdc_options *o,
                          struct arus_cdc_start *out, struct arus_error *err)
{
    if (!arus_source_can_cdc(src))
        return no_cdc(src, err);
    return checked(src, "start change capture", src->ops->cdc_start(src, o, out, err), err);
}

int arus_source_cdc_stream(struct arus_source *src, const char *from, bool follow,
                           struct arus_error *err)
{
    if (!arus_source_can_cdc(src))
        return no_cdc(src, err);
    return checked(src, "stream changes", src->ops->cdc_stream(src, from, follow, err), err);
}

int arus_source_cdc_next(struct arus_source *src, struct arus_cdc_event *ev, double timeout,
                         struct arus_error *err)
{
    if (!arus_source_can_cdc(src))
        return no_cdc(src, err);
    return checked(src, "read changes", src->ops->cdc_next(src, ev, timeout, err), err);
}

int arus_source_cdc_ack(struct arus_source *src, const char *position, struct arus_error *err)
{
    if (!arus_source_can_cdc(src))
        return no_cdc(src, err);
    return checked(src, "acknowledge changes", src->ops->cdc_ack(src, position, err), err);
}

int arus_source_cdc_status(struct arus_source *src, const struct arus_cdc_options *o,
                           struct arus_arena *a, struct arus_cdc_status *out,
                           struct arus_error *err)
{
    if (!arus_source_can_cdc(src))
        return no_cdc(src, err);
    memset(out, 0, sizeof *out); /* fields a connector does not know stay NULL / 0 */
    return checked(src, "read change capture status", src->ops->cdc_status(src, o, a, out, err),
                   err);
}

int arus_source_cdc_drop(struct arus_source *src, const struct arus_cdc_options *o,
                         struct arus_error *err)
{
    if (!arus_source_can_cdc(src))
        return no_cdc(src, err);
    return checked(src, "drop change capture", src->ops->cdc_drop(src, o, err), err);
}

int arus_source_cdc_position_cmp(const struct arus_source *src, const char *a, const char *b)
{
    return src->ops->cdc_position_cmp(a, b);
}

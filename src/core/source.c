/* Core wrappers around source ops: the only place that calls ops slots, so validation, the
 * NULL-optional-slot rule and error context live once. */
#include "arus/source.h"

#include "arus/registry.h"

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

int arus_source_connect(struct arus_source *src, struct arus_error *err)
{
    return src->ops->connect(src, err);
}

void arus_source_close(struct arus_source *src)
{
    if (src)
        src->ops->close(src);
}

int arus_source_test_connection(struct arus_source *src, struct arus_error *err)
{
    return src->ops->test_connection(src, err);
}

int arus_source_discover_tables(struct arus_source *src, struct arus_arena *a,
                                struct arus_table_schema **out, size_t *n,
                                struct arus_error *err)
{
    return src->ops->discover_tables(src, a, out, n, err);
}

int arus_source_get_table_columns(struct arus_source *src, const char *table,
                                  struct arus_arena *a, struct arus_table_schema **out,
                                  struct arus_error *err)
{
    return src->ops->get_table_columns(src, table, a, out, err);
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
        return arus_error_set(err, ARUS_EINVAL, "extract_open: use extract_soft_deletes");
    return src->ops->extract_open(src, plan, out, err);
}

int arus_source_extract_next(struct arus_source *src, struct arus_extract *x,
                             struct arus_batch *b, struct arus_error *err)
{
    return src->ops->extract_next(x, b, err);
}

void arus_source_extract_close(struct arus_source *src, struct arus_extract *x)
{
    if (x)
        src->ops->extract_close(x);
}

bool arus_source_can_extract_soft_deletes(const struct arus_source *src)
{
    return src->ops->extract_soft_deletes != NULL;
}

int arus_source_extract_soft_deletes(struct arus_source *src,
                                     const struct arus_extract_plan *plan,
                                     struct arus_extract **out, struct arus_error *err)
{
    if (!src->ops->extract_soft_deletes)
        return arus_error_set(err, ARUS_ENOTSUP, "source \"%s\" (%s) cannot extract soft deletes",
                              src->endpoint->name, src->ops->name);
    if (plan->rows != ARUS_ROWS_DELETED)
        return arus_error_set(err, ARUS_EINVAL, "extract_soft_deletes: the plan reads live rows");
    return src->ops->extract_soft_deletes(src, plan, out, err);
}

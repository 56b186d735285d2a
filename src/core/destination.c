/* Core wrappers around destination ops that the CLI uses directly, and the table-name rules all
 * destinations share (raw = <source>_<table>_raw; shadow = <table>__arus_shadow). */
#include "arus/destination.h"

#include "arus/registry.h"
#include "arus/strbuf.h"

int arus_destination_create(const struct arus_endpoint *ep, struct arus_destination **out,
                            struct arus_error *err)
{
    const struct arus_destination_ops *ops = arus_registry_destination(ep->type);
    if (!ops)
        return arus_error_set(err, ARUS_ECONFIG,
                              "destination \"%s\": unknown connector type \"%s\"", ep->name,
                              ep->type);
    struct arus_destination *dst = NULL;
    int rc = ops->create(ep, &dst, err);
    if (rc != ARUS_OK)
        return rc;
    dst->ops = ops;
    dst->endpoint = ep;
    *out = dst;
    return ARUS_OK;
}

void arus_destination_close(struct arus_destination *dst)
{
    if (dst)
        dst->ops->close(dst);
}

int arus_destination_connect(struct arus_destination *dst, struct arus_error *err)
{
    return dst->ops->connect(dst, err);
}

int arus_destination_test_connection(struct arus_destination *dst, struct arus_error *err)
{
    return dst->ops->test_connection(dst, err);
}

void arus_raw_table_name(struct arus_strbuf *sb, const struct arus_target *t)
{
    arus_strbuf_appendf(sb, "%s_%s_raw", t->source_name, t->table);
}

void arus_normalized_table_name(struct arus_strbuf *sb, const struct arus_target *t)
{
    arus_strbuf_puts(sb, t->table);
    if (t->shadow)
        arus_strbuf_puts(sb, "__arus_shadow");
}

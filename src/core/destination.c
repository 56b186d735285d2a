/* Core wrappers around destination ops: the only place that calls a destination's slots, so the
 * NULL-optional-slot rule and the fallback error text live once. Also the table-name rules all
 * destinations share (raw = <source>_<table>_raw; shadow = <table>__arus_shadow). */
#include "arus/destination.h"

#include "arus/registry.h"
#include "arus/state.h"
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

/* Every slot's result passes through here: a failure the connector left without a message gets
 * one naming the operation and the destination, so no caller ever prints an empty error. */
static int checked(const struct arus_destination *dst, const char *op, int rc,
                   struct arus_error *err)
{
    if (rc != ARUS_OK && err && !err->msg[0])
        arus_error_set(err, rc, "%s on destination \"%s\" (%s) failed", op, dst->endpoint->name,
                       dst->ops->name);
    return rc;
}

static int unsupported(const struct arus_destination *dst, const char *op, struct arus_error *err)
{
    return arus_error_set(err, ARUS_ENOTSUP, "destination \"%s\" (%s) cannot %s",
                          dst->endpoint->name, dst->ops->name, op);
}

bool arus_destination_ops_has_transactions(const struct arus_destination_ops *ops)
{
    return (ops->flags & ARUS_DST_TRANSACTIONS) != 0;
}

bool arus_destination_has_transactions(const struct arus_destination *dst)
{
    return arus_destination_ops_has_transactions(dst->ops);
}

int arus_destination_connect(struct arus_destination *dst, struct arus_error *err)
{
    return checked(dst, "connect", dst->ops->connect(dst, err), err);
}

int arus_destination_test_connection(struct arus_destination *dst, struct arus_error *err)
{
    return checked(dst, "test connection", dst->ops->test_connection(dst, err), err);
}

int arus_destination_ensure_state(struct arus_destination *dst, struct arus_error *err)
{
    return checked(dst, "create state tables", dst->ops->ensure_state(dst, err), err);
}

int arus_destination_lock(struct arus_destination *dst, const char *pipeline,
                          struct arus_error *err)
{
    return checked(dst, "lock pipeline", dst->ops->lock(dst, pipeline, err), err);
}

int arus_destination_unlock(struct arus_destination *dst, const char *pipeline,
                            struct arus_error *err)
{
    return checked(dst, "unlock pipeline", dst->ops->unlock(dst, pipeline, err), err);
}

int arus_destination_ensure_schema(struct arus_destination *dst, const struct arus_target *t,
                                   const struct arus_table_schema *schema, struct arus_error *err)
{
    return checked(dst, "create tables", dst->ops->ensure_schema(dst, t, schema, err), err);
}

int arus_destination_begin(struct arus_destination *dst, struct arus_error *err)
{
    return checked(dst, "begin", dst->ops->begin(dst, err), err);
}

int arus_destination_commit(struct arus_destination *dst, struct arus_error *err)
{
    return checked(dst, "commit", dst->ops->commit(dst, err), err);
}

int arus_destination_rollback(struct arus_destination *dst, struct arus_error *err)
{
    return checked(dst, "rollback", dst->ops->rollback(dst, err), err);
}

int arus_destination_load_raw(struct arus_destination *dst, const struct arus_target *t,
                              const struct arus_batch *b, int64_t *loaded, struct arus_error *err)
{
    return checked(dst, "load raw rows", dst->ops->load_raw(dst, t, b, loaded, err), err);
}

int arus_destination_load_normalized(struct arus_destination *dst, const struct arus_target *t,
                                     const struct arus_batch *b, int64_t *loaded,
                                     struct arus_error *err)
{
    return checked(dst, "load rows", dst->ops->load_normalized(dst, t, b, loaded, err), err);
}

int arus_destination_update_watermark(struct arus_destination *dst, const struct arus_target *t,
                                      const struct arus_table_state *st, struct arus_error *err)
{
    return checked(dst, "store watermark", dst->ops->update_watermark(dst, t, st, err), err);
}

int arus_destination_get_watermark(struct arus_destination *dst, const char *pipeline,
                                   const char *table, struct arus_arena *a,
                                   struct arus_table_state *out, struct arus_error *err)
{
    return checked(dst, "read watermark",
                   dst->ops->get_watermark(dst, pipeline, table, a, out, err), err);
}

int arus_destination_swap_shadow(struct arus_destination *dst, const struct arus_target *t,
                                 struct arus_error *err)
{
    return checked(dst, "swap in the refreshed table", dst->ops->swap_shadow(dst, t, err), err);
}

int arus_destination_drop_shadow(struct arus_destination *dst, const struct arus_target *t,
                                 struct arus_error *err)
{
    return checked(dst, "drop the shadow table", dst->ops->drop_shadow(dst, t, err), err);
}

int arus_destination_record_run(struct arus_destination *dst, const struct arus_run_record *r,
                                struct arus_error *err)
{
    return checked(dst, "record run history", dst->ops->record_run(dst, r, err), err);
}

int arus_destination_list_runs(struct arus_destination *dst, const char *pipeline, size_t limit,
                               struct arus_arena *a, struct arus_run_record **out, size_t *n,
                               struct arus_error *err)
{
    return checked(dst, "read run history",
                   dst->ops->list_runs(dst, pipeline, limit, a, out, n, err), err);
}

int arus_destination_list_state(struct arus_destination *dst, const char *pipeline,
                                struct arus_arena *a, const char ***tables,
                                struct arus_table_state **states, size_t *n, struct arus_error *err)
{
    int rc = checked(dst, "read state",
                     dst->ops->list_state(dst, pipeline, a, tables, states, n, err), err);
    if (rc != ARUS_OK)
        return rc;
    /* split-load progress rows (arus/state.h) are the engine's, not tables */
    size_t kept = 0;
    for (size_t i = 0; i < *n; i++) {
        if (arus_state_is_range_row((*tables)[i]))
            continue;
        (*tables)[kept] = (*tables)[i];
        (*states)[kept++] = (*states)[i];
    }
    *n = kept;
    return ARUS_OK;
}

bool arus_destination_ops_can_delete_rows(const struct arus_destination_ops *ops)
{
    return ops->delete_rows != NULL;
}

bool arus_destination_can_delete_rows(const struct arus_destination *dst)
{
    return arus_destination_ops_can_delete_rows(dst->ops);
}

int arus_destination_delete_rows(struct arus_destination *dst, const struct arus_target *t,
                                 const struct arus_batch *b, int64_t *deleted,
                                 struct arus_error *err)
{
    if (!arus_destination_can_delete_rows(dst))
        return unsupported(dst, "delete rows", err);
    return checked(dst, "delete rows", dst->ops->delete_rows(dst, t, b, deleted, err), err);
}

/* The ABI version that appended write_dead_letter: an older connector's table ends before the
 * slot, so the field must not even be read there. */
#define ABI_WRITE_DEAD_LETTER 2

bool arus_destination_ops_can_dead_letter(const struct arus_destination_ops *ops)
{
    return ops->abi_version >= ABI_WRITE_DEAD_LETTER && ops->write_dead_letter != NULL;
}

bool arus_destination_can_dead_letter(const struct arus_destination *dst)
{
    return arus_destination_ops_can_dead_letter(dst->ops);
}

int arus_destination_write_dead_letter(struct arus_destination *dst, const struct arus_target *t,
                                       const char *row_json, const char *error,
                                       struct arus_error *err)
{
    if (!arus_destination_can_dead_letter(dst))
        return unsupported(dst, "keep refused rows", err);
    return checked(dst, "store a dead letter",
                   dst->ops->write_dead_letter(dst, t, row_json, error, err), err);
}

/* The ABI version that appended read_rows. */
#define ABI_READ_ROWS 3

bool arus_destination_ops_can_read_rows(const struct arus_destination_ops *ops)
{
    return ops->abi_version >= ABI_READ_ROWS && ops->read_rows != NULL;
}

bool arus_destination_can_read_rows(const struct arus_destination *dst)
{
    return arus_destination_ops_can_read_rows(dst->ops);
}

int arus_destination_read_rows(struct arus_destination *dst, const struct arus_target *t,
                               const struct arus_cell *after, struct arus_batch *b,
                               struct arus_error *err)
{
    if (!arus_destination_can_read_rows(dst))
        return unsupported(dst, "read rows back", err);
    return checked(dst, "read rows back", dst->ops->read_rows(dst, t, after, b, err), err);
}

/* The ABI version that appended table_rows, forget_state and the dead-letter slots. */
#define ABI_TABLE_ROWS 3

int arus_destination_table_rows(struct arus_destination *dst, const struct arus_target *t,
                                bool raw, int64_t *rows, struct arus_error *err)
{
    if (dst->ops->abi_version < ABI_TABLE_ROWS || !dst->ops->table_rows)
        return unsupported(dst, "tell whether a table holds rows", err);
    return checked(dst, "probe a table", dst->ops->table_rows(dst, t, raw, rows, err), err);
}

int arus_destination_forget_state(struct arus_destination *dst, const char *pipeline,
                                  const char *table, int64_t *forgotten, struct arus_error *err)
{
    if (dst->ops->abi_version < ABI_TABLE_ROWS || !dst->ops->forget_state)
        return unsupported(dst, "forget stored state", err);
    int rc = checked(dst, "forget state",
                     dst->ops->forget_state(dst, pipeline, table, forgotten, err), err);
    /* a table's unfinished split load goes with its state: without its header row the
     * range rows are void (arus/state.h) */
    if (rc == ARUS_OK && table && !arus_state_is_range_row(table)) {
        char header[512];
        int64_t n = 0;
        arus_state_range_name(header, sizeof header, table, -1);
        rc = checked(dst, "forget state", dst->ops->forget_state(dst, pipeline, header, &n, err),
                     err);
    }
    return rc;
}

int arus_destination_list_dead_letters(struct arus_destination *dst, const struct arus_target *t,
                                       struct arus_arena *a, struct arus_dead_letter **out,
                                       size_t *n, struct arus_error *err)
{
    if (dst->ops->abi_version < ABI_TABLE_ROWS || !dst->ops->list_dead_letters)
        return unsupported(dst, "list dead letters", err);
    return checked(dst, "list dead letters",
                   dst->ops->list_dead_letters(dst, t, a, out, n, err), err);
}

bool arus_destination_can_delete_dead_letters(const struct arus_destination *dst)
{
    return dst->ops->abi_version >= ABI_TABLE_ROWS && dst->ops->delete_dead_letter != NULL;
}

int arus_destination_delete_dead_letter(struct arus_destination *dst, const struct arus_target *t,
                                        const struct arus_dead_letter *dl, struct arus_error *err)
{
    if (!arus_destination_can_delete_dead_letters(dst))
        return unsupported(dst, "delete dead letters", err);
    return checked(dst, "delete a dead letter", dst->ops->delete_dead_letter(dst, t, dl, err),
                   err);
}

int arus_destination_describe_table(struct arus_destination *dst, const struct arus_target *t,
                                    struct arus_arena *a, struct arus_table_schema **out,
                                    struct arus_error *err)
{
    if (dst->ops->abi_version < ABI_TABLE_ROWS || !dst->ops->describe_table)
        return unsupported(dst, "describe its tables", err);
    return checked(dst, "describe a table", dst->ops->describe_table(dst, t, a, out, err), err);
}

int arus_destination_alter_column_type(struct arus_destination *dst, const struct arus_target *t,
                                       const struct arus_column *c, struct arus_error *err)
{
    if (dst->ops->abi_version < ABI_TABLE_ROWS || !dst->ops->alter_column_type)
        return unsupported(dst, "change column types", err);
    return checked(dst, "change a column type", dst->ops->alter_column_type(dst, t, c, err), err);
}

bool arus_destination_can_null_columns(const struct arus_destination *dst)
{
    return dst->ops->abi_version >= ABI_TABLE_ROWS && dst->ops->null_columns != NULL;
}

int arus_destination_null_columns(struct arus_destination *dst, const struct arus_target *t,
                                  const char *const *names, size_t n, int64_t *changed,
                                  struct arus_error *err)
{
    if (!arus_destination_can_null_columns(dst))
        return unsupported(dst, "set dropped columns NULL", err);
    return checked(dst, "set dropped columns NULL",
                   dst->ops->null_columns(dst, t, names, n, changed, err), err);
}

void arus_raw_table_name(struct arus_strbuf *sb, const struct arus_target *t)
{
    arus_strbuf_appendf(sb, "%s_%s_raw", t->source_name,
                        t->dest_table ? t->dest_table : t->table);
}

void arus_normalized_table_name(struct arus_strbuf *sb, const struct arus_target *t)
{
    arus_strbuf_puts(sb, t->dest_table ? t->dest_table : t->table);
    if (t->shadow)
        arus_strbuf_puts(sb, ARUS_SHADOW_SUFFIX);
}

/* The ABI version that appended truncate_table. */
#define ABI_TRUNCATE_TABLE 3

int arus_destination_truncate_table(struct arus_destination *dst, const struct arus_target *t,
                                    struct arus_error *err)
{
    if (dst->ops->abi_version < ABI_TRUNCATE_TABLE || !dst->ops->truncate_table)
        return unsupported(dst, "truncate tables", err);
    return checked(dst, "truncate table", dst->ops->truncate_table(dst, t, err), err);
}

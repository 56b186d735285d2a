/* schema_changes and dropped_columns: before a table loads, the destination's typed table (as
 * describe_table reads it back) is compared with the columns this run loads. New columns are
 * added by ensure_schema (evolve), left out (freeze) or stop the run (fail); a source type
 * wider than the destination's is applied as ALTER where it is a safe widening; destination
 * columns the source no longer has are kept, set NULL on the rows each run changes, or stop the
 * run. What was applied goes into the table's notes (output and run history). */
#include <stdio.h>
#include <string.h>

#include "arus/arena.h"
#include "arus/log.h"
#include "arus/strbuf.h"
#include "core/sync_internal.h"

static int int_rank(enum arus_ltype t)
{
    return t == ARUS_T_INT16 ? 1 : t == ARUS_T_INT32 ? 2 : t == ARUS_T_INT64 ? 3 : 0;
}

/* Decimal digits an integer type needs. */
static int int_digits(enum arus_ltype t)
{
    return t == ARUS_T_INT16 ? 5 : t == ARUS_T_INT32 ? 10 : 19;
}

static bool is_integer(enum arus_ltype t) { return int_rank(t) > 0 || t == ARUS_T_UINT64; }

static bool is_time(enum arus_ltype t) { return t == ARUS_T_TIMESTAMP || t == ARUS_T_TIMESTAMPTZ; }

/* Lengths: 0 is unbounded. */
static bool longer(int have, int want) { return have != 0 && (want == 0 || want > have); }

enum arus__widening arus__type_widening(const struct arus_type *have, const struct arus_type *want,
                                        struct arus_type *to)
{
    *to = *want;
    enum arus_ltype h = have->ltype, w = want->ltype;
    if (h == w || (is_time(h) && is_time(w))) {
        if (h == ARUS_T_BYTES || h == ARUS_T_STRING)
            return longer(have->length, want->length) ? ARUS__WIDEN : ARUS__COVERED;
        if (h != ARUS_T_DECIMAL || have->precision == 0)
            return ARUS__COVERED;
        if (want->precision == 0)
            return ARUS__WIDEN; /* unconstrained */
        int hi = have->precision - have->scale, wi = want->precision - want->scale;
        int scale = have->scale > want->scale ? have->scale : want->scale;
        int ints = hi > wi ? hi : wi;
        if (ints + scale <= have->precision && scale <= have->scale)
            return ARUS__COVERED;
        *to =
            (struct arus_type){.ltype = ARUS_T_DECIMAL, .precision = ints + scale, .scale = scale};
        return ARUS__WIDEN;
    }
    if (h == ARUS_T_STRING)
        return ARUS__COVERED; /* text holds every other type's canonical value */
    if (w == ARUS_T_STRING) {
        *to = (struct arus_type){.ltype = ARUS_T_STRING};
        return ARUS__WIDEN;
    }
    if (int_rank(h) && int_rank(w))
        return int_rank(w) > int_rank(h) ? ARUS__WIDEN : ARUS__COVERED;
    if (int_rank(h) && w == ARUS_T_DECIMAL) {
        int scale = want->precision ? want->scale : 0;
        int ints = want->precision ? want->precision - want->scale : 0;
        if (want->precision)
            *to = (struct arus_type){.ltype = ARUS_T_DECIMAL,
                                     .precision =
                                         (ints > int_digits(h) ? ints : int_digits(h)) + scale,
                                     .scale = scale};
        return ARUS__WIDEN;
    }
    if (h == ARUS_T_DECIMAL && is_integer(w))
        return ARUS__COVERED;
    if (h == ARUS_T_FLOAT64 && (w == ARUS_T_FLOAT32 || (int_rank(w) && int_rank(w) < 3)))
        return ARUS__COVERED;
    if (h == ARUS_T_FLOAT32 && w == ARUS_T_FLOAT64)
        return ARUS__WIDEN;
    if (h == ARUS_T_INT64 && (w == ARUS_T_BOOL || int_rank(w)))
        return ARUS__COVERED;
    return ARUS__INCOMPATIBLE;
}

/* A type as text for notes and messages: "int64", "decimal(12,2)", "string(40)". */
static const char *type_str(char *buf, size_t n, const struct arus_type *t)
{
    const char *name = arus_ltype_name(t->ltype);
    if (t->ltype == ARUS_T_DECIMAL && t->precision)
        snprintf(buf, n, "%s(%d,%d)", name, t->precision, t->scale);
    else if ((t->ltype == ARUS_T_STRING || t->ltype == ARUS_T_BYTES) && t->length)
        snprintf(buf, n, "%s(%d)", name, t->length);
    else
        snprintf(buf, n, "%s", name);
    return buf;
}

/* "; " between notes. */
static struct arus_strbuf *next_note(struct arus_strbuf *notes)
{
    if (notes->len)
        arus_strbuf_puts(notes, "; ");
    return notes;
}

/* freeze: column k leaves both schemas (the same index in each) and the hashed list. */
static void drop_column(struct arus__columns *c, size_t k)
{
    struct arus_table_schema *s[] = {c->extract, c->load};
    for (size_t i = 0; i < 2; i++) {
        memmove(&s[i]->columns[k], &s[i]->columns[k + 1],
                (s[i]->ncolumns - k - 1) * sizeof *s[i]->columns);
        s[i]->ncolumns--;
    }
    size_t n = 0;
    for (size_t i = 0; i < c->nhashed; i++)
        if (c->hashed[i] != k)
            c->hashed[n++] = c->hashed[i] > k ? c->hashed[i] - 1 : c->hashed[i];
    c->nhashed = n;
}

/* A new or changed column under the pipeline's policy. */
static int new_column(const struct arus_target *t, const struct arus_pipeline *p,
                      struct arus__columns *c, size_t k, struct arus_strbuf *notes, bool *dropped,
                      struct arus_error *err)
{
    const struct arus_column *col = &c->load->columns[k];
    char ty[64];
    *dropped = false;
    if (p->schema_changes == ARUS_SCHEMA_FAIL)
        return arus_error_set(err, ARUS_EINVAL,
                              "schema_changes: fail: the source has a new column \"%s\" (%s)",
                              col->name, type_str(ty, sizeof ty, &col->type));
    if (p->schema_changes == ARUS_SCHEMA_FREEZE) {
        arus_strbuf_appendf(next_note(notes), "new column \"%s\" ignored (schema_changes: freeze)",
                            col->name);
        arus_log(ARUS_LOG_WARN, "sync",
                 "table \"%s\": new column \"%s\" ignored (schema_changes: freeze)", t->table,
                 col->name);
        drop_column(c, k);
        *dropped = true;
        return ARUS_OK;
    }
    arus_strbuf_appendf(next_note(notes), "added column \"%s\" (%s)", col->name,
                        type_str(ty, sizeof ty, &col->type));
    return ARUS_OK;
}

static int changed_type(struct arus_destination *dst, const struct arus_target *t,
                        const struct arus_pipeline *p, const struct arus_column *have,
                        const struct arus_column *want, struct arus_strbuf *notes,
                        struct arus_error *err)
{
    struct arus_type to;
    enum arus__widening w = arus__type_widening(&have->type, &want->type, &to);
    if (w == ARUS__COVERED)
        return ARUS_OK;
    char a[64], b[64];
    type_str(a, sizeof a, &have->type);
    type_str(b, sizeof b, w == ARUS__WIDEN ? &to : &want->type);
    if (p->schema_changes == ARUS_SCHEMA_FAIL)
        return arus_error_set(err, ARUS_EINVAL,
                              "schema_changes: fail: column \"%s\" changed type from %s to %s",
                              want->name, a, b);
    if (w == ARUS__INCOMPATIBLE) {
        /* no safe ALTER: the rows that do not fit are refused (dead letters) */
        arus_log(ARUS_LOG_INFO, "sync",
                 "table \"%s\": column \"%s\" is %s in the destination, %s in the source: not "
                 "a safe widening, left as it is",
                 t->table, want->name, a, b);
        return ARUS_OK;
    }
    if (p->schema_changes == ARUS_SCHEMA_FREEZE) {
        arus_strbuf_appendf(next_note(notes),
                            "column \"%s\" widened in the source (%s -> %s), not applied "
                            "(schema_changes: freeze)",
                            want->name, a, b);
        return ARUS_OK;
    }
    struct arus_column c = *want;
    c.type = to;
    c.nullable = have->nullable; /* only the type changes */
    c.pk_ordinal = have->pk_ordinal;
    int rc = arus_destination_alter_column_type(dst, t, &c, err);
    if (rc == ARUS_ENOTSUP) {
        arus_error_clear(err);
        arus_strbuf_appendf(next_note(notes),
                            "column \"%s\" widened in the source (%s -> %s), kept: the "
                            "destination stores either",
                            want->name, a, b);
        return ARUS_OK;
    }
    if (rc == ARUS_OK)
        arus_strbuf_appendf(next_note(notes), "widened column \"%s\" from %s to %s", want->name, a,
                            b);
    return rc;
}

int arus__evolve_schema(struct arus_destination *dst, const struct arus_target *t,
                        const struct arus_pipeline *p, struct arus__columns *c,
                        struct arus_arena *a, struct arus_strbuf *notes, const char ***dropped,
                        size_t *ndropped, struct arus_error *err)
{
    struct arus_table_schema *have = NULL;
    *dropped = NULL;
    *ndropped = 0;
    int rc = arus_destination_describe_table(dst, t, a, &have, err);
    if (rc == ARUS_ENOTSUP) {
        arus_error_clear(err);
        return ARUS_OK; /* the destination cannot tell: ensure_schema adds columns as before */
    }
    if (rc || !have)
        return rc;
    for (size_t k = 0; k < c->load->ncolumns;) {
        int i = arus_schema_find(have, c->load->columns[k].name);
        bool gone = false;
        if (i < 0)
            rc = new_column(t, p, c, k, notes, &gone, err);
        else
            rc = changed_type(dst, t, p, &have->columns[i], &c->load->columns[k], notes, err);
        if (rc)
            return rc;
        k += !gone;
    }
    /* the destination's own columns (every destination's, see docs/design.md "Naming") */
    static const char *const meta[] = {"_arus_run_id", "_arus_synced_at", "_arus_version",
                                       "_arus_deleted"};
    *dropped = arus_arena_calloc(a, have->ncolumns + 1, sizeof **dropped);
    for (size_t i = 0; i < have->ncolumns; i++) {
        const char *name = have->columns[i].name;
        bool own = false;
        for (size_t m = 0; m < sizeof meta / sizeof *meta; m++)
            own |= strcmp(name, meta[m]) == 0;
        if (own || arus_schema_find(c->load, name) >= 0)
            continue;
        if (p->dropped_columns == ARUS_DROPPED_FAIL)
            return arus_error_set(err, ARUS_EINVAL,
                                  "dropped_columns: fail: column \"%s\" is no longer in the source",
                                  name);
        if (p->dropped_columns == ARUS_DROPPED_NULL)
            (*dropped)[(*ndropped)++] = name;
    }
    if (*ndropped && !arus_destination_can_null_columns(dst))
        return arus_error_set(err, ARUS_ENOTSUP,
                              "dropped_columns: null: destination \"%s\" (%s) cannot set "
                              "columns NULL",
                              dst->endpoint->name, dst->ops->name);
    return ARUS_OK;
}

/* The SQL spelling of an extract plan's row filter, range and order (arus/extract_sql.h), the
 * one place where the rules of arus/source.h become WHERE and ORDER BY text for every SQL
 * source. */
#include "arus/extract_sql.h"

#include <stdlib.h>

#include "arus/arena.h"

static void put_col(const struct arus_extract_plan *p, const struct arus_sql_dialect *d,
                    struct arus_strbuf *sql, size_t col)
{
    arus_sql_quote_ident(sql, p->table->columns[col].name, d->quote, false);
}

/* The columns of a compared tuple and the bound values they are compared with (pointers into
 * the plan). */
struct tuple {
    size_t n;
    size_t *cols;
    const char **vals;
};

static void tuple_init(struct tuple *t, size_t n)
{
    t->n = 0;
    t->cols = arus_xcalloc(n ? n : 1, sizeof *t->cols);
    t->vals = arus_xcalloc(n ? n : 1, sizeof *t->vals);
}

static void tuple_add(struct tuple *t, size_t col, const char *val)
{
    t->cols[t->n] = col;
    t->vals[t->n++] = val;
}

static void tuple_cleanup(struct tuple *t)
{
    free(t->cols);
    free(t->vals);
}

static void put_cmp(const struct arus_extract_plan *p, const struct arus_sql_dialect *d, void *ctx,
                    struct arus_strbuf *sql, const struct tuple *t, size_t i, const char *op)
{
    put_col(p, d, sql, t->cols[i]);
    arus_strbuf_puts(sql, op);
    d->param(ctx, sql, t->cols[i], t->vals[i]);
}

/* Tuple t against its values, from below (lower) or above. Returns whether the text is a
 * single comparison (no top-level AND). */
static bool put_tuple(const struct arus_extract_plan *p, const struct arus_sql_dialect *d,
                      void *ctx, struct arus_strbuf *sql, const struct tuple *t, bool lower,
                      bool inclusive)
{
    size_t n = t->n;
    const char *strict = lower ? " > " : " < ";
    const char *last = inclusive ? (lower ? " >= " : " <= ") : strict;
    if (n == 1) {
        put_cmp(p, d, ctx, sql, t, 0, last);
        return true;
    }
    if (d->row_values) {
        arus_strbuf_putc(sql, '(');
        for (size_t i = 0; i < n; i++) {
            arus_strbuf_puts(sql, i ? ", " : "");
            put_col(p, d, sql, t->cols[i]);
        }
        arus_strbuf_puts(sql, ")");
        arus_strbuf_puts(sql, last);
        arus_strbuf_putc(sql, '(');
        for (size_t i = 0; i < n; i++) {
            arus_strbuf_puts(sql, i ? ", " : "");
            d->param(ctx, sql, t->cols[i], t->vals[i]);
        }
        arus_strbuf_putc(sql, ')');
        return true;
    }
    /* The leading non-strict comparison gives the planner its index range; the nested
     * OR/AND decides the rows that share a watermark. */
    put_cmp(p, d, ctx, sql, t, 0, lower ? " >= " : " <= ");
    arus_strbuf_puts(sql, " AND ");
    for (size_t i = 0; i + 1 < n; i++) {
        arus_strbuf_putc(sql, '(');
        put_cmp(p, d, ctx, sql, t, i, strict);
        arus_strbuf_puts(sql, " OR (");
        put_cmp(p, d, ctx, sql, t, i, " = ");
        arus_strbuf_puts(sql, " AND ");
    }
    put_cmp(p, d, ctx, sql, t, n - 1, last);
    for (size_t i = 0; i + 1 < n; i++)
        arus_strbuf_puts(sql, "))");
    return false;
}

/* (watermark[, key...]) against bound b, from below (lower) or above; as put_tuple. */
static bool put_bound(const struct arus_extract_plan *p, const struct arus_sql_dialect *d,
                      void *ctx, struct arus_strbuf *sql, const struct arus_extract_bound *b,
                      bool lower)
{
    struct tuple t;
    tuple_init(&t, 1 + p->nkey);
    tuple_add(&t, (size_t)p->watermark, b->watermark);
    for (size_t i = 0; b->key && i < p->nkey; i++)
        tuple_add(&t, p->key[i], b->key[i]);
    bool simple = put_tuple(p, d, ctx, sql, &t, lower, b->inclusive);
    tuple_cleanup(&t);
    return simple;
}

/* The key range (arus_extract_key_range) into sql as conditions joined by AND; nothing when
 * both ends are open. */
static void put_key_range(const struct arus_extract_plan *p, const struct arus_sql_dialect *d,
                          void *ctx, struct arus_strbuf *sql)
{
    const struct arus_extract_key_range *r = &p->key_range;
    const char *const *ends[2] = {r->lower, r->upper};
    for (size_t e = 0; e < 2; e++) {
        if (!ends[e])
            continue;
        struct tuple t;
        tuple_init(&t, p->nkey);
        for (size_t i = 0; i < p->nkey; i++)
            tuple_add(&t, p->key[i], ends[e][i]);
        arus_strbuf_puts(sql, sql->len ? " AND " : "");
        put_tuple(p, d, ctx, sql, &t, e == 0, e == 0 && r->lower_inclusive);
        tuple_cleanup(&t);
    }
}

/* Whether the watermark column can hold NULL. A NOT NULL one needs no NULL arm and no NULLS
 * FIRST (same rows, same order): with them PostgreSQL cannot walk an ascending index on the
 * column and sorts the whole range instead (an external sort of the table on a first load). */
static bool wm_nullable(const struct arus_extract_plan *p)
{
    return p->watermark >= 0 && p->table->columns[p->watermark].nullable;
}

/* The range on the watermark (arus/source.h) into sql; nothing when every row qualifies. */
static void put_range(const struct arus_extract_plan *p, const struct arus_sql_dialect *d,
                      void *ctx, struct arus_strbuf *sql)
{
    struct arus_strbuf r;
    arus_strbuf_init(&r);
    size_t nparts = 0;
    bool simple = true;
    if (p->lower.watermark) {
        simple = put_bound(p, d, ctx, &r, &p->lower, true);
        nparts++;
    }
    if (p->upper.watermark) {
        arus_strbuf_puts(&r, nparts ? " AND " : "");
        simple = put_bound(p, d, ctx, &r, &p->upper, false) && nparts == 0;
        nparts++;
    }
    bool or_null = p->nulls == ARUS_NULLS_FIRST && nparts && wm_nullable(p);
    bool or_deleted = p->deleted_at_bounded && p->lower.watermark; /* meaningless without one */
    if (or_null || or_deleted)
        arus_strbuf_putc(sql, '(');
    if (or_null) {
        put_col(p, d, sql, (size_t)p->watermark);
        arus_strbuf_puts(sql, " IS NULL OR ");
    }
    if (nparts == 0 && p->nulls == ARUS_NULLS_EXCLUDED && wm_nullable(p)) {
        put_col(p, d, sql, (size_t)p->watermark);
        arus_strbuf_puts(sql, " IS NOT NULL");
    } else if (nparts) {
        bool paren = !simple && (or_null || or_deleted);
        arus_strbuf_puts(sql, paren ? "(" : "");
        arus_strbuf_append(sql, r.data, r.len);
        arus_strbuf_puts(sql, paren ? ")" : "");
    }
    if (or_deleted) {
        arus_strbuf_puts(sql, " OR ");
        put_col(p, d, sql, (size_t)p->deleted_at);
        arus_strbuf_puts(sql, " >= ");
        d->param(ctx, sql, (size_t)p->deleted_at, p->lower.watermark);
    }
    if (or_null || or_deleted)
        arus_strbuf_putc(sql, ')');
    arus_strbuf_cleanup(&r);
}

void arus_extract_sql_select(const struct arus_extract_plan *p, char quote, struct arus_strbuf *sql)
{
    arus_strbuf_puts(sql, "SELECT ");
    for (size_t i = 0; i < p->table->ncolumns; i++) {
        arus_strbuf_puts(sql, i ? ", " : "");
        arus_sql_quote_ident(sql, p->table->columns[i].name, quote, false);
    }
}

void arus_extract_sql_clauses(const struct arus_extract_plan *p, const struct arus_sql_dialect *d,
                              void *ctx, struct arus_strbuf *sql)
{
    /* Conditions are written apart and appended in the order written, which keeps positional
     * placeholders in the order d->param saw them. */
    struct arus_strbuf where, range;
    arus_strbuf_init(&where);
    arus_strbuf_init(&range);
    if (p->rows != ARUS_ROWS_ALL) {
        put_col(p, d, &where, (size_t)p->deleted_at);
        arus_strbuf_puts(&where, p->rows == ARUS_ROWS_DELETED ? " IS NOT NULL" : " IS NULL");
    }
    if (p->watermark >= 0)
        put_range(p, d, ctx, &range);
    put_key_range(p, d, ctx, &range);
    if (range.len) {
        arus_strbuf_puts(&where, where.len ? " AND " : "");
        arus_strbuf_append(&where, range.data, range.len);
    }
    if (where.len) {
        arus_strbuf_puts(sql, " WHERE ");
        arus_strbuf_append(sql, where.data, where.len);
    }
    arus_strbuf_cleanup(&range);
    arus_strbuf_cleanup(&where);
    if (!p->ordered || (p->watermark < 0 && p->nkey == 0))
        return;
    arus_strbuf_puts(sql, " ORDER BY ");
    if (p->watermark >= 0) {
        put_col(p, d, sql, (size_t)p->watermark);
        arus_strbuf_puts(sql, d->nulls_sort_first || !wm_nullable(p) ? "" : " NULLS FIRST");
    }
    for (size_t i = 0; i < p->nkey; i++) {
        /* Only without a watermark and without a key range: keyset bounds on (watermark,
         * key) and key ranges compare in the column's collation, and their order must stay
         * the same. */
        bool bytes = p->watermark < 0 && !p->key_range.lower && !p->key_range.upper &&
                     d->byte_order[0] && p->table->columns[p->key[i]].type.ltype == ARUS_T_STRING;
        arus_strbuf_puts(sql, i || p->watermark >= 0 ? ", " : "");
        arus_strbuf_puts(sql, bytes ? d->byte_order[0] : "");
        put_col(p, d, sql, p->key[i]);
        arus_strbuf_puts(sql, bytes ? d->byte_order[1] : "");
    }
}

static void page_ident(const struct arus_sql_page_dialect *d, struct arus_strbuf *sql,
                       const char *name)
{
    if (d->ident)
        d->ident(sql, name);
    else
        arus_sql_quote_ident(sql, name, d->quote, false);
}

/* k1, k2 as d compares them. */
static void page_keys(const struct arus_table_schema *s, const size_t *key, size_t nkey,
                      const struct arus_sql_page_dialect *d, struct arus_strbuf *sql)
{
    for (size_t i = 0; i < nkey; i++) {
        arus_strbuf_puts(sql, i ? ", " : "");
        if (d->key)
            d->key(sql, &s->columns[key[i]]);
        else
            page_ident(d, sql, s->columns[key[i]].name);
    }
}

void arus_sql_read_page(const struct arus_table_schema *s, const char *from, bool where,
                        bool after, size_t limit, const struct arus_sql_page_dialect *d,
                        void *ctx, struct arus_strbuf *sql)
{
    size_t *key = arus_xcalloc(s->ncolumns + 1, sizeof *key);
    size_t nkey = arus_schema_pk(s, key);
    const char *open = d->tuple_fn ? "tuple(" : "(";
    arus_strbuf_puts(sql, "SELECT ");
    for (size_t i = 0; i < s->ncolumns; i++) {
        arus_strbuf_puts(sql, i ? ", " : "");
        page_ident(d, sql, s->columns[i].name);
    }
    arus_strbuf_appendf(sql, " FROM %s", from);
    if (after) {
        arus_strbuf_appendf(sql, " %s %s", where ? "AND" : "WHERE", open);
        page_keys(s, key, nkey, d, sql);
        arus_strbuf_appendf(sql, ") > %s", open);
        for (size_t i = 0; i < nkey; i++) {
            arus_strbuf_puts(sql, i ? ", " : "");
            d->param(ctx, sql, i, &s->columns[key[i]]);
        }
        arus_strbuf_putc(sql, ')');
    }
    arus_strbuf_puts(sql, " ORDER BY ");
    page_keys(s, key, nkey, d, sql);
    arus_strbuf_appendf(sql, " LIMIT %zu", limit);
    free(key);
}

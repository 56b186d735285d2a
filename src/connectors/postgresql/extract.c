/* PostgreSQL translation of an extract plan: COPY (SELECT ...) TO STDOUT with the plan's
 * clauses (arus/extract_sql.h). Keyset bounds are row comparisons, which the planner turns into
 * index ranges; ORDER BY says NULLS FIRST; a full refresh has no ORDER BY, so the server
 * streams a plain sequential scan. */
#include "connectors/postgresql/extract.h"

#include <stdlib.h>
#include <string.h>

#include "arus/arena.h"
#include "arus/extract_sql.h"
#include "connectors/postgresql/conn.h"
#include "connectors/postgresql/typemap.h"

/* The relation name behind a table name produced by discovery ("schema.relation" outside the
 * configured schema). */
static const char *pg_relname(const char *default_schema, const struct arus_table_schema *t)
{
    size_t nl = t->schema_name ? strlen(t->schema_name) : 0;
    if (nl && strcmp(t->schema_name, default_schema) != 0 &&
        strncmp(t->name, t->schema_name, nl) == 0 && t->name[nl] == '.')
        return t->name + nl + 1;
    return t->name;
}

void arus__pg_relation(struct arus_strbuf *sql, const struct arus_table_schema *t,
                       const char *default_schema)
{
    arus__pg_qualified(sql, t->schema_name ? t->schema_name : default_schema,
                       pg_relname(default_schema, t));
}

static bool pg_is_json_type(const char *source_type)
{
    return source_type && (strcmp(source_type, "json") == 0 || strcmp(source_type, "jsonb") == 0);
}

struct pg_param_ctx {
    struct pg_extract_sql *q;
    const struct arus_table_schema *table;
};

/* current_setting('arus.pN')::<the column's type>, one setting per distinct value (the
 * soft-delete rule compares the lower bound twice, with two columns). */
static void pg_param(void *ctx, struct arus_strbuf *sql, size_t column, const char *text)
{
    struct pg_param_ctx *pc = ctx;
    struct pg_extract_sql *q = pc->q;
    const struct arus_column *c = &pc->table->columns[column];
    size_t n = 0;
    while (n < q->nparams && q->params[n] != text)
        n++;
    if (n == q->nparams) {
        q->params[q->nparams++] = text;
        arus_strbuf_puts(&q->bind, n ? ", " : "SELECT ");
        arus_strbuf_appendf(&q->bind, "set_config('arus.p%zu', $%zu, false)", n + 1, n + 1);
    }
    arus_strbuf_appendf(sql, "current_setting('arus.p%zu')::", n + 1);
    if (c->source_type && *c->source_type)
        arus_strbuf_puts(sql, c->source_type);
    else
        arus__pg_type_to_native(&c->type, sql);
}

static const struct arus_sql_dialect pg_dialect = {
    .quote = '"',
    .row_values = true,
    .nulls_sort_first = false,
    .byte_order = {"", " COLLATE \"C\""},
    .param = pg_param,
};

void arus__pg_extract_sql(const struct arus_extract_plan *plan, const char *default_schema,
                          struct pg_extract_sql *out)
{
    const struct arus_table_schema *t = plan->table;
    struct arus_strbuf *sql = &out->copy;
    arus_strbuf_init(&out->copy);
    arus_strbuf_init(&out->bind);
    /* at most a lower and an upper tuple */
    out->params = arus_xcalloc(2 * (plan->nkey + 1), sizeof *out->params);
    out->nparams = 0;
    arus_strbuf_puts(sql, "COPY (SELECT ");
    for (size_t i = 0; i < t->ncolumns; i++) {
        const struct arus_column *c = &t->columns[i];
        bool to_json = c->type.ltype == ARUS_T_JSON && !pg_is_json_type(c->source_type);
        arus_strbuf_puts(sql, i ? ", " : "");
        arus_strbuf_puts(sql, to_json ? "to_json(" : "");
        arus_sql_quote_ident(sql, c->name, '"', false);
        arus_strbuf_puts(sql, to_json ? ")" : "");
    }
    arus_strbuf_puts(sql, " FROM ");
    arus__pg_relation(sql, t, default_schema);
    struct pg_param_ctx pc = {.q = out, .table = t};
    arus_extract_sql_clauses(plan, &pg_dialect, &pc, sql);
    arus_strbuf_puts(sql, ") TO STDOUT");
}

void arus__pg_extract_sql_cleanup(struct pg_extract_sql *q)
{
    arus_strbuf_cleanup(&q->copy);
    arus_strbuf_cleanup(&q->bind);
    free(q->params);
}

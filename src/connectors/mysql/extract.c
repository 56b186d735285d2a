/* MySQL/MariaDB translation of an extract plan: SELECT with the plan's clauses
 * (arus/extract_sql.h), tuples expanded into OR/AND (MySQL's range optimizer handles that form
 * better than row constructors), NULLs first by default, one positional `?` per occurrence. */
#include "connectors/mysql/extract.h"

#include <stdlib.h>

#include "arus/arena.h"
#include "arus/extract_sql.h"

static void my_param(void *ctx, struct arus_strbuf *sql, size_t column, const char *text)
{
    struct my_extract_sql *q = ctx;
    if (q->nparams == q->cap) {
        q->cap = q->cap ? 2 * q->cap : 8;
        q->params = arus_xrealloc(q->params, q->cap * sizeof *q->params);
    }
    q->params[q->nparams++] = (struct my_extract_param){.column = column, .text = text};
    arus_strbuf_putc(sql, '?');
}

static const struct arus_sql_dialect my_dialect = {
    .quote = '`',
    .row_values = false,
    .nulls_sort_first = true,
    /* whatever the column's character set and collation (case-insensitive by default) */
    .byte_order = {"CONVERT(", " USING utf8mb4) COLLATE utf8mb4_bin"},
    .param = my_param,
};

void arus__my_extract_sql(const struct arus_extract_plan *plan, const char *database,
                          struct my_extract_sql *out)
{
    const struct arus_table_schema *t = plan->table;
    *out = (struct my_extract_sql){0};
    arus_strbuf_init(&out->sql);
    arus_extract_sql_select(plan, '`', &out->sql);
    arus_strbuf_puts(&out->sql, " FROM ");
    arus_sql_quote_ident(&out->sql, database, '`', false);
    arus_strbuf_putc(&out->sql, '.');
    arus_sql_quote_ident(&out->sql, t->name, '`', false);
    arus_extract_sql_clauses(plan, &my_dialect, out, &out->sql);
}

void arus__my_extract_sql_cleanup(struct my_extract_sql *q)
{
    arus_strbuf_cleanup(&q->sql);
    free(q->params);
}

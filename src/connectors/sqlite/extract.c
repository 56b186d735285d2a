/* SQLite translation of an extract plan: SELECT with the plan's clauses (arus/extract_sql.h),
 * row values for keyset bounds (SQLite turns them into index ranges), NULLs first by default,
 * and one numbered parameter per distinct bound value. */
#include "connectors/sqlite/extract.h"

#include <stdlib.h>

#include "arus/arena.h"
#include "arus/extract_sql.h"

/* ?N of text, the same N each time the same value is compared (the soft-delete rule compares
 * the lower bound twice). */
static void sqlite_param(void *ctx, struct arus_strbuf *sql, size_t column, const char *text)
{
    struct sqlite_extract_sql *q = ctx;
    (void)column;
    size_t n = 0;
    while (n < q->nparams && q->params[n] != text)
        n++;
    if (n == q->nparams)
        q->params[q->nparams++] = text;
    arus_strbuf_appendf(sql, "?%zu", n + 1);
}

static const struct arus_sql_dialect sqlite_dialect = {
    .quote = '"',
    .row_values = true,
    .nulls_sort_first = true,
    .param = sqlite_param,
};

void arus__sqlite_extract_sql(const struct arus_extract_plan *plan, struct sqlite_extract_sql *out)
{
    const struct arus_table_schema *t = plan->table;
    arus_strbuf_init(&out->sql);
    /* at most a lower and an upper tuple */
    out->params = arus_xcalloc(2 * (plan->nkey + 1), sizeof *out->params);
    out->nparams = 0;
    arus_extract_sql_select(plan, '"', &out->sql);
    arus_strbuf_puts(&out->sql, " FROM ");
    arus_sql_quote_ident(&out->sql, t->name, '"', false);
    arus_extract_sql_clauses(plan, &sqlite_dialect, out, &out->sql);
}

void arus__sqlite_extract_sql_cleanup(struct sqlite_extract_sql *q)
{
    arus_strbuf_cleanup(&q->sql);
    free(q->params);
}

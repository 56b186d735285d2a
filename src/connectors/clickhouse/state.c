/* Watermarks and run history of the ClickHouse destination, in <state_schema>.watermarks and
 * <state_schema>.runs (default database arus_state; layout in arus/state.h). Both are
 * ReplacingMergeTree tables ordered by their key with an increasing _arus_version, so an
 * "upsert" is an insert and reads use FINAL to see the newest row per key. Timestamps are
 * String to keep the engine's microsecond text exactly on every server version. */
#include <stdint.h>
#include <string.h>

#include "arus/arena.h"
#include "arus/state.h"
#include "arus/strbuf.h"
#include "arus/util.h"
#include "connectors/clickhouse/conn.h"
#include "connectors/clickhouse/text.h"

static struct ch_dest *ch_of(struct arus_destination *dst) { return (struct ch_dest *)dst; }

/* Counts are Int64, everything else String; Nullable where the layout allows NULL, except the
 * run id, which has always kept "" for none. */
static bool ch_state_nullable(const struct arus_state_column *c)
{
    return !c->not_null && c->type != ARUS_STATE_UUID;
}

/* ", "-separated quoted names of columns [from, to) of t. The layout's names are plain words,
 * so standard double quotes spell them as ClickHouse's own quoting (arus__ch_quote_ident) would. */
static void ch_state_names(struct arus_strbuf *sb, const struct arus_state_table *t, size_t from,
                           size_t to)
{
    arus_state_names(sb, t, from, to, '"', NULL);
}

/* One state column: counts are Int64, everything else String. */
static void ch_state_column(struct arus_strbuf *q, const struct arus_state_column *c)
{
    const char *type = c->type == ARUS_STATE_COUNT ? "Int64" : "String";
    arus__ch_quote_ident(q, c->name);
    arus_strbuf_appendf(q, ch_state_nullable(c) ? " Nullable(%s)" : " %s", type);
}

/* Add the columns newer versions appended to t (arus_state_table.nfirst) to a table an older
 * one made (checked in system.columns: old servers have no ADD COLUMN IF NOT EXISTS). */
static int ch_state_migrate(struct ch_dest *d, const struct arus_state_table *t,
                            struct arus_error *err)
{
    int rc = ARUS_OK;
    for (size_t i = t->nfirst; rc == ARUS_OK && i < t->ncolumns; i++) {
        struct arus_strbuf *q = &d->sql;
        arus_strbuf_reset(q);
        arus_strbuf_puts(q, "SELECT count() FROM system.columns WHERE database = ");
        arus__ch_quote_string(q, d->state_schema);
        arus_strbuf_puts(q, " AND table = ");
        arus__ch_quote_string(q, t->name);
        arus_strbuf_puts(q, " AND name = ");
        arus__ch_quote_string(q, t->columns[i].name);
        arus_strbuf_puts(q, " FORMAT TabSeparated");
        if ((rc = arus__ch_exec(d, q->data, NULL, 0, err, "read columns of state table \"%s\"",
                                t->name)) ||
            (d->http.resp.len && d->http.resp.data[0] != '0'))
            continue;
        arus_strbuf_reset(q);
        arus_strbuf_puts(q, "ALTER TABLE ");
        arus__ch_quote_table(q, d->state_schema, t->name);
        arus_strbuf_puts(q, " ADD COLUMN ");
        ch_state_column(q, &t->columns[i]);
        rc = arus__ch_exec(d, q->data, NULL, 0, err, "add column \"%s\" to state table \"%s\"",
                           t->columns[i].name, t->name);
    }
    return rc;
}

static int ch_state_create(struct ch_dest *d, const struct arus_state_table *t,
                           struct arus_error *err)
{
    struct arus_strbuf *q = &d->sql;
    arus_strbuf_reset(q);
    arus_strbuf_puts(q, "CREATE TABLE IF NOT EXISTS ");
    arus__ch_quote_table(q, d->state_schema, t->name);
    arus_strbuf_puts(q, " (");
    for (size_t i = 0; i < t->ncolumns; i++) {
        ch_state_column(q, &t->columns[i]);
        arus_strbuf_puts(q, ", ");
    }
    arus_strbuf_puts(q, "_arus_version UInt64) ENGINE = ReplacingMergeTree(_arus_version) "
                        "ORDER BY (");
    ch_state_names(q, t, 0, t->nkey);
    arus_strbuf_putc(q, ')');
    int rc = arus__ch_exec(d, q->data, NULL, 0, err, "create state table \"%s\".\"%s\"",
                           d->state_schema, t->name);
    return rc == ARUS_OK ? ch_state_migrate(d, t, err) : rc;
}

int arus__ch_ensure_state(struct arus_destination *dst, struct arus_error *err)
{
    struct ch_dest *d = ch_of(dst);
    struct arus_strbuf *q = &d->sql;
    arus_strbuf_reset(q);
    arus_strbuf_puts(q, "CREATE DATABASE IF NOT EXISTS ");
    arus__ch_quote_ident(q, d->state_schema);
    int rc = arus__ch_exec(d, q->data, NULL, 0, err, "create state database");
    if (rc == ARUS_OK)
        rc = ch_state_create(d, &arus_state_watermarks, err);
    if (rc == ARUS_OK)
        rc = ch_state_create(d, &arus_state_runs, err);
    return rc;
}

/* INSERT one row of state table t (NULL as \N where the column is Nullable, "" elsewhere). */
static int ch_state_insert(struct ch_dest *d, const struct arus_state_table *t,
                           const char *const *values, const char *what, struct arus_error *err)
{
    struct arus_strbuf *b = &d->body;
    arus_strbuf_reset(b);
    for (size_t i = 0; i < t->ncolumns; i++) {
        const char *v = values[i];
        if (!v && !ch_state_nullable(&t->columns[i]))
            v = "";
        if (v)
            arus__ch_tsv_escape(b, v, strlen(v));
        else
            arus_strbuf_append(b, "\\N", 2);
        arus_strbuf_putc(b, '\t');
    }
    arus_strbuf_appendf(b, "%llu\n", (unsigned long long)arus__ch_next_version(d));
    arus_strbuf_reset(&d->sql);
    arus_strbuf_puts(&d->sql, "INSERT INTO ");
    arus__ch_quote_table(&d->sql, d->state_schema, t->name);
    arus_strbuf_puts(&d->sql, " (");
    ch_state_names(&d->sql, t, 0, t->ncolumns);
    arus_strbuf_puts(&d->sql, ", _arus_version) FORMAT TabSeparated");
    return arus__ch_exec(d, d->sql.data, b->data, b->len, err, "%s", what);
}

int arus__ch_flush_state(struct ch_dest *d, struct arus_error *err)
{
    if (!d->state_pending)
        return ARUS_OK;
    int rc = ch_state_insert(d, &arus_state_watermarks, (const char *const *)d->pending,
                             "update watermark", err);
    if (rc == ARUS_OK) {
        d->state_written_at = arus_monotonic();
        arus__ch_discard_state(d);
    }
    return rc;
}

/* Every INSERT makes a part on disk, and one watermark row per batch cost as much server time
 * as a third of the data. So within CH_STATE_INTERVAL of the last state write the new state is
 * only remembered and written with the next one, or by arus__ch_flush_state. That keeps the order
 * that makes a crash harmless: the remembered state only covers data already inserted, so the
 * stored watermark can lag (a rerun re-reads a little more) but never run ahead of the data. */
#define CH_STATE_INTERVAL 1.0

int arus__ch_update_watermark(struct arus_destination *dst, const struct arus_target *t,
                              const struct arus_table_state *st, struct arus_error *err)
{
    struct ch_dest *d = ch_of(dst);
    const struct arus_state_table *wm = &arus_state_watermarks;
    struct arus_state_row row;
    arus_state_row_from_watermark(&row, t, st);
    /* another table's pending state goes first */
    bool same = d->state_pending;
    for (size_t i = 0; same && i < wm->nkey; i++)
        same = strcmp(d->pending[i], row.value[i]) == 0;
    if (d->state_pending && !same) {
        int rc = arus__ch_flush_state(d, err);
        if (rc != ARUS_OK)
            return rc;
    }
    arus__ch_discard_state(d);
    for (size_t i = 0; i < wm->ncolumns; i++)
        d->pending[i] = row.value[i] ? arus_xstrdup(row.value[i]) : NULL;
    d->state_pending = true;
    /* rows still streaming: ch_commit writes this once the server has accepted them */
    if (arus__ch_streams_open(d))
        return ARUS_OK;
    if (d->state_written_at > 0 && arus_monotonic() - d->state_written_at < CH_STATE_INTERVAL)
        return ARUS_OK;
    return arus__ch_flush_state(d, err);
}

/* SELECT the rows of state table t for pipeline (and table, unless NULL; at most limit) in the
 * layout's column order; *rows is how many lines the answer has (0 when the state tables do
 * not exist: reads never create them). The rows stay in d->http.resp. */
static int ch_state_select(struct ch_dest *d, const struct arus_state_table *t,
                           const char *pipeline, const char *table, size_t limit, size_t *rows,
                           const char *what, struct arus_error *err)
{
    struct arus_strbuf *q = &d->sql;
    *rows = 0;
    int rc;
    /* A table an older version made lacks the newer columns until a sync migrates it. */
    for (int old_layout = 0; old_layout < 2; old_layout++) {
        arus_strbuf_reset(q);
        arus_strbuf_puts(q, "SELECT ");
        arus_state_select_list(q, t, '"', old_layout, NULL);
        arus_strbuf_puts(q, " FROM ");
        arus__ch_quote_table(q, d->state_schema, t->name);
        arus_strbuf_puts(q, " FINAL WHERE " ARUS_STATE_PIPELINE_COLUMN " = ");
        arus__ch_quote_string(q, pipeline);
        if (table) {
            arus_strbuf_puts(q, " AND " ARUS_STATE_TABLE_COLUMN " = ");
            arus__ch_quote_string(q, table);
        }
        arus_strbuf_appendf(q, " ORDER BY %s", t->order_by);
        if (limit != SIZE_MAX)
            arus_strbuf_appendf(q, " LIMIT %zu", limit);
        arus_strbuf_puts(q, " FORMAT TabSeparated");
        rc = arus__ch_exec(d, q->data, NULL, 0, err, "%s", what);
        if (rc == ARUS_OK || !err || err->driver_code != 47) /* UNKNOWN_IDENTIFIER */
            break;
        arus_error_clear(err);
    }
    /* UNKNOWN_TABLE, UNKNOWN_DATABASE */
    if (rc == ARUS_ENOTFOUND && err && (err->driver_code == 60 || err->driver_code == 81)) {
        arus_error_clear(err);
        return ARUS_OK;
    }
    for (size_t i = 0; rc == ARUS_OK && i < d->http.resp.len; i++)
        *rows += d->http.resp.data[i] == '\n';
    return rc;
}

/* Split the next row of the last select's answer into v (t->ncolumns values); false at the
 * end. */
static bool ch_state_next(char **pos, char *end, const struct arus_state_table *t, char **v)
{
    return *pos && *pos < end && arus__ch_tsv_split_row(pos, end, v, t->ncolumns) == t->ncolumns;
}

int arus__ch_get_watermark(struct arus_destination *dst, const char *pipeline, const char *table,
                           struct arus_arena *a, struct arus_table_state *out,
                           struct arus_error *err)
{
    struct ch_dest *d = ch_of(dst);
    size_t rows = 0;
    int rc = arus__ch_flush_state(d, err);
    if (rc == ARUS_OK)
        rc = ch_state_select(d, &arus_state_watermarks, pipeline, table, SIZE_MAX, &rows,
                             "read watermarks", err);
    if (rc != ARUS_OK)
        return rc;
    struct arus_table_state st = {0};
    char *v[ARUS_STATE_MAX_COLUMNS];
    char *pos = d->http.resp.data, *end = pos + d->http.resp.len;
    if (rows && ch_state_next(&pos, end, &arus_state_watermarks, v))
        arus_state_watermark_from_values((const char *const *)v, a, NULL, &st);
    *out = st;
    return ARUS_OK;
}

int arus__ch_list_state(struct arus_destination *dst, const char *pipeline, struct arus_arena *a,
                        const char ***tables, struct arus_table_state **states, size_t *n,
                        struct arus_error *err)
{
    struct ch_dest *d = ch_of(dst);
    size_t rows = 0;
    int rc = arus__ch_flush_state(d, err);
    if (rc == ARUS_OK)
        rc = ch_state_select(d, &arus_state_watermarks, pipeline, NULL, SIZE_MAX, &rows,
                             "read watermarks", err);
    if (rc != ARUS_OK)
        return rc;
    const char **tv = arus_arena_calloc(a, rows + 1, sizeof *tv);
    struct arus_table_state *sv = arus_arena_calloc(a, rows + 1, sizeof *sv);
    size_t k = 0;
    char *v[ARUS_STATE_MAX_COLUMNS];
    char *pos = d->http.resp.data, *end = pos + d->http.resp.len;
    while (k < rows && ch_state_next(&pos, end, &arus_state_watermarks, v)) {
        arus_state_watermark_from_values((const char *const *)v, a, &tv[k], &sv[k]);
        k++;
    }
    *tables = tv;
    *states = sv;
    *n = k;
    return ARUS_OK;
}

int arus__ch_record_run(struct arus_destination *dst, const struct arus_run_record *r,
                        struct arus_error *err)
{
    struct ch_dest *d = ch_of(dst);
    /* the end of a table's run: its newest watermark is written before its history row */
    int rc = arus__ch_flush_state(d, err);
    if (rc != ARUS_OK)
        return rc;
    struct arus_state_row row;
    arus_state_row_from_run(&row, r);
    return ch_state_insert(d, &arus_state_runs, row.value, "record run", err);
}

int arus__ch_list_runs(struct arus_destination *dst, const char *pipeline, size_t limit,
                       struct arus_arena *a, struct arus_run_record **out, size_t *n,
                       struct arus_error *err)
{
    struct ch_dest *d = ch_of(dst);
    size_t rows = 0;
    /* run_id is the first column: an exception line in a 200 body is recognised at a line
     * start, and a UUID can never look like one (the error text comes last). */
    int rc = ch_state_select(d, &arus_state_runs, pipeline, NULL, limit, &rows,
                             "read run history", err);
    if (rc != ARUS_OK)
        return rc;
    struct arus_run_record *rv = arus_arena_calloc(a, rows + 1, sizeof *rv);
    size_t k = 0;
    char *v[ARUS_STATE_MAX_COLUMNS];
    char *pos = d->http.resp.data, *end = pos + d->http.resp.len;
    while (k < rows && ch_state_next(&pos, end, &arus_state_runs, v))
        arus_state_run_from_values((const char *const *)v, a, &rv[k++]);
    *out = rv;
    *n = k;
    return ARUS_OK;
}

/* Rows of a ReplacingMergeTree are not deleted in place (a mutation is asynchronous and heavy):
 * forgetting writes a newer row per key with both watermarks NULL, which reads as no state. */
int arus__ch_forget_state(struct arus_destination *dst, const char *pipeline, const char *table,
                          int64_t *forgotten, struct arus_error *err)
{
    struct ch_dest *d = ch_of(dst);
    const struct arus_state_table *wm = &arus_state_watermarks;
    size_t rows = 0;
    *forgotten = 0;
    int rc = arus__ch_flush_state(d, err);
    if (rc == ARUS_OK)
        rc = ch_state_select(d, wm, pipeline, table, SIZE_MAX, &rows, "read watermarks", err);
    if (rc != ARUS_OK || rows == 0)
        return rc;
    /* the answer is overwritten by each insert: keep the keys first */
    struct arus_arena *a = arus_arena_create(0);
    const char **tables = arus_arena_calloc(a, rows, sizeof *tables);
    struct arus_table_state st;
    size_t n = 0;
    char *v[ARUS_STATE_MAX_COLUMNS];
    char *pos = d->http.resp.data, *end = pos + d->http.resp.len;
    while (n < rows && ch_state_next(&pos, end, wm, v)) {
        arus_state_watermark_from_values((const char *const *)v, a, &tables[n], &st);
        if (st.watermark || st.deletes_watermark)
            n++;
    }
    for (size_t i = 0; rc == ARUS_OK && i < n; i++) {
        struct arus_target t = {.pipeline = pipeline, .table = tables[i]};
        struct arus_table_state none = {.run_id = ""};
        struct arus_state_row row;
        arus_state_row_from_watermark(&row, &t, &none);
        rc = ch_state_insert(d, wm, row.value, "forget state", err);
        if (rc == ARUS_OK)
            (*forgotten)++;
    }
    arus_arena_destroy(a);
    return rc;
}

/* SQLite source: discovery from sqlite_schema/pragma_table_info, and one stepped SELECT per
 * extract, translated from the plan in extract.c (sqlite3_step streams, so memory stays
 * bounded by the batch). Values are rendered to canonical text by the declared column type. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arus/arena.h"
#include "arus/source.h"
#include "arus/strbuf.h"
#include "arus/util.h"
#include "connectors/sqlite/conn.h"
#include "connectors/sqlite/extract.h"
#include "connectors/sqlite/typemap.h"

struct sqlite_source {
    struct arus_source base;
    const char *path;
    sqlite3 *db;
};

struct arus_extract {
    sqlite3_stmt *st;
    bool done; /* stepping a finished statement would silently restart it */
    const struct arus_table_schema *table;
    struct sqlite_source *src;
};

static int sqlite_create(const struct arus_endpoint *ep, struct arus_source **out,
                         struct arus_error *err)
{
    const char *path = NULL;
    int rc = arus__sqlite_config_path(ep, &path, err);
    if (rc)
        return rc;
    struct sqlite_source *s = arus_xcalloc(1, sizeof *s);
    s->path = path;
    *out = &s->base;
    return ARUS_OK;
}

static int sqlite_connect(struct arus_source *base, struct arus_error *err)
{
    struct sqlite_source *s = (struct sqlite_source *)base;
    return arus__sqlite_open(base->endpoint, s->path, false, &s->db, err);
}

static void sqlite_close(struct arus_source *base)
{
    struct sqlite_source *s = (struct sqlite_source *)base;
    sqlite3_close(s->db);
    free(s);
}

static int sqlite_test(struct arus_source *base, struct arus_error *err)
{
    struct sqlite_source *s = (struct sqlite_source *)base;
    return arus__sqlite_exec(s->db, "SELECT 1", NULL, 0, err);
}

static int sqlite_load_columns(struct sqlite_source *s, struct arus_arena *a,
                               struct arus_table_schema *t, struct arus_error *err)
{
    sqlite3_stmt *st = NULL;
    int rc = arus__sqlite_prepare(
        s->db, "SELECT name, type, \"notnull\", pk FROM pragma_table_info(?1)", &st, err);
    if (rc)
        return rc;
    sqlite3_bind_text(st, 1, t->name, -1, SQLITE_STATIC);
    size_t cap = 16;
    t->columns = arus_arena_calloc(a, cap, sizeof *t->columns);
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (t->ncolumns == cap) {
            struct arus_column *more = arus_arena_calloc(a, cap * 2, sizeof *more);
            memcpy(more, t->columns, cap * sizeof *more);
            t->columns = more;
            cap *= 2;
        }
        struct arus_column *c = &t->columns[t->ncolumns++];
        c->name = arus_arena_strdup(a, (const char *)sqlite3_column_text(st, 0));
        c->source_type = arus_arena_strdup(a, (const char *)sqlite3_column_text(st, 1));
        arus__sqlite_type_from_native(c->source_type, &c->type);
        c->pk_ordinal = sqlite3_column_int(st, 3);
        c->nullable = sqlite3_column_int(st, 2) == 0;
    }
    /* SQLite lets a PRIMARY KEY column hold NULL unless it is the rowid (a lone INTEGER key):
     * only that one is known not to, which lets the extract drop its NULL arm. */
    struct arus_column *key = NULL;
    size_t nkeys = 0;
    for (size_t i = 0; i < t->ncolumns; i++)
        if (t->columns[i].pk_ordinal > 0 && nkeys++ == 0)
            key = &t->columns[i];
    if (nkeys == 1 && sqlite3_stricmp(key->source_type, "INTEGER") == 0)
        key->nullable = false;
    if (step != SQLITE_DONE)
        rc = arus__sqlite_fail(s->db, ARUS_EQUERY, err, "read columns");
    sqlite3_finalize(st);
    return rc;
}

/* max(rowid) is an O(log n) stand-in for a row count: SQLite keeps no statistics by default. */
static int64_t sqlite_row_estimate(struct sqlite_source *s, const char *table)
{
    struct arus_strbuf sql;
    arus_strbuf_init(&sql);
    arus_strbuf_puts(&sql, "SELECT max(rowid) FROM ");
    arus_sql_quote_ident(&sql, table, '"', false);
    sqlite3_stmt *st = NULL;
    int64_t n = 0;
    if (sqlite3_prepare_v2(s->db, arus_strbuf_cstr(&sql), -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    arus_strbuf_cleanup(&sql);
    return n;
}

static int sqlite_get_table_columns(struct arus_source *base, const char *table,
                                    struct arus_arena *a, struct arus_table_schema **out,
                                    struct arus_error *err)
{
    struct sqlite_source *s = (struct sqlite_source *)base;
    struct arus_table_schema *t = arus_arena_calloc(a, 1, sizeof *t);
    t->schema_name = arus_arena_strdup(a, "main");
    t->name = arus_arena_strdup(a, table);
    int rc = sqlite_load_columns(s, a, t, err);
    if (rc)
        return rc;
    if (t->ncolumns == 0)
        return arus_error_set(err, ARUS_ENOTFOUND, "table \"%s\" not found in %s", table, s->path);
    t->row_count_estimate = sqlite_row_estimate(s, table);
    *out = t;
    return ARUS_OK;
}

static int sqlite_discover(struct arus_source *base, struct arus_arena *a,
                           struct arus_table_schema **out, size_t *n, struct arus_error *err)
{
    struct sqlite_source *s = (struct sqlite_source *)base;
    sqlite3_stmt *st = NULL;
    int rc = arus__sqlite_prepare(
        s->db,
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE "
        "'sqlite\\_%' ESCAPE '\\' ORDER BY name",
        &st, err);
    if (rc)
        return rc;
    size_t cap = 8, count = 0;
    struct arus_table_schema *tables = arus_arena_calloc(a, cap, sizeof *tables);
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (count == cap) {
            struct arus_table_schema *more = arus_arena_calloc(a, cap * 2, sizeof *more);
            memcpy(more, tables, cap * sizeof *more);
            tables = more;
            cap *= 2;
        }
        struct arus_table_schema *t = &tables[count++];
        t->schema_name = arus_arena_strdup(a, "main");
        t->name = arus_arena_strdup(a, (const char *)sqlite3_column_text(st, 0));
    }
    if (step != SQLITE_DONE)
        rc = arus__sqlite_fail(s->db, ARUS_EQUERY, err, "list tables");
    sqlite3_finalize(st);
    for (size_t i = 0; rc == ARUS_OK && i < count; i++) {
        rc = sqlite_load_columns(s, a, &tables[i], err);
        tables[i].row_count_estimate = sqlite_row_estimate(s, tables[i].name);
    }
    if (rc)
        return rc;
    *out = tables;
    *n = count;
    return ARUS_OK;
}

static int sqlite_extract_open(struct arus_source *base, const struct arus_extract_plan *plan,
                               struct arus_extract **out, struct arus_error *err)
{
    struct sqlite_source *s = (struct sqlite_source *)base;
    struct sqlite_extract_sql q;
    arus__sqlite_extract_sql(plan, &q);
    sqlite3_stmt *st = NULL;
    int rc = arus__sqlite_prepare(s->db, arus_strbuf_cstr(&q.sql), &st, err);
    for (size_t i = 0; rc == ARUS_OK && i < q.nparams; i++)
        sqlite3_bind_text(st, (int)i + 1, q.params[i], -1, SQLITE_TRANSIENT);
    arus__sqlite_extract_sql_cleanup(&q);
    if (rc)
        return arus_error_prefix(err, "extract \"%s\"", plan->table->name);
    struct arus_extract *x = arus_xcalloc(1, sizeof *x);
    x->st = st;
    x->table = plan->table;
    x->src = s;
    *out = x;
    return ARUS_OK;
}

static void sqlite_render_real(struct arus_batch *b, struct arus_cell *c, double v)
{
    char buf[40];
    if (isnan(v))
        snprintf(buf, sizeof buf, "NaN");
    else if (isinf(v))
        snprintf(buf, sizeof buf, "%s", v < 0 ? "-Infinity" : "Infinity");
    else if (v == trunc(v) && fabs(v) < 1e15 && v != 0)
        arus_format_integer(buf, (long long)v, false); /* what %.17g prints for it */
    else
        snprintf(buf, sizeof buf, "%.17g", v);
    arus_cell_set(b, c, buf, strlen(buf));
}

/* A DECIMAL column whose value SQLite stored as REAL (NUMERIC affinity): canonical decimal
 * text has no exponent, so print fixed-point at the column's scale. */
static void sqlite_render_decimal_real(struct arus_batch *b, struct arus_cell *c, double v,
                                       int scale)
{
    if (!isfinite(v)) {
        sqlite_render_real(b, c, v);
        return;
    }
    char buf[400];
    if (scale > 0)
        snprintf(buf, sizeof buf, "%.*f", scale > 30 ? 30 : scale, v);
    else if (v == (double)(long long)v && fabs(v) < 9e18)
        snprintf(buf, sizeof buf, "%lld", (long long)v);
    else
        snprintf(buf, sizeof buf, "%.17f", v);
    arus_cell_set(b, c, buf, strlen(buf));
}

/* Timestamps stored with offsets or 'T' separators are normalised to canonical text. */
static void sqlite_render_time_text(struct arus_batch *b, struct arus_cell *c, enum arus_ltype t,
                                    const char *p, size_t n)
{
    int64_t micros;
    if ((t == ARUS_T_TIMESTAMP || t == ARUS_T_TIMESTAMPTZ) && arus_parse_timestamp(p, n, &micros)) {
        char buf[40];
        arus_format_timestamp(micros, buf, sizeof buf);
        arus_cell_set(b, c, buf, strlen(buf));
    } else {
        arus_cell_set(b, c, p, n);
    }
}

void arus__sqlite_render_cell(struct arus_batch *b, struct arus_cell *c,
                              const struct arus_column *col, sqlite3_stmt *st, int i)
{
    switch (sqlite3_column_type(st, i)) {
    case SQLITE_NULL:
        return;
    case SQLITE_INTEGER: {
        sqlite3_int64 v = sqlite3_column_int64(st, i);
        if (col->type.ltype == ARUS_T_BOOL) {
            arus_cell_set(b, c, v ? "true" : "false", v ? 4 : 5);
        } else {
            char buf[24];
            int n = arus_format_integer(buf, (long long)v, false);
            arus_cell_set(b, c, buf, (size_t)n);
        }
        return;
    }
    case SQLITE_FLOAT:
        if (col->type.ltype == ARUS_T_DECIMAL)
            sqlite_render_decimal_real(b, c, sqlite3_column_double(st, i), col->type.scale);
        else
            sqlite_render_real(b, c, sqlite3_column_double(st, i));
        return;
    case SQLITE_BLOB: {
        const void *p = sqlite3_column_blob(st, i);
        arus_cell_set(b, c, p ? p : "", (size_t)sqlite3_column_bytes(st, i));
        return;
    }
    default: {
        const char *p = (const char *)sqlite3_column_text(st, i);
        size_t n = (size_t)sqlite3_column_bytes(st, i);
        if (col->type.ltype == ARUS_T_BOOL && n)
            arus_cell_set(b, c, (p[0] == 't' || p[0] == 'T' || p[0] == '1') ? "true" : "false",
                            (p[0] == 't' || p[0] == 'T' || p[0] == '1') ? 4 : 5);
        else
            sqlite_render_time_text(b, c, col->type.ltype, p, n);
        return;
    }
    }
}

static int sqlite_extract_next(struct arus_extract *x, struct arus_batch *b, struct arus_error *err)
{
    const struct arus_table_schema *t = x->table;
    while (!x->done && !arus_batch_full(b)) {
        int step = sqlite3_step(x->st);
        if (step == SQLITE_DONE) {
            x->done = true;
            return ARUS_OK;
        }
        if (step != SQLITE_ROW)
            return arus_error_prefix((arus__sqlite_fail(x->src->db, ARUS_EQUERY, err, "read"), err),
                                     "extract \"%s\"", t->name);
        struct arus_cell *row = arus_batch_add_row(b);
        for (size_t i = 0; i < t->ncolumns; i++)
            arus__sqlite_render_cell(b, &row[i], &t->columns[i], x->st, (int)i);
    }
    return ARUS_OK;
}

static void sqlite_extract_close(struct arus_extract *x)
{
    if (!x)
        return;
    sqlite3_finalize(x->st);
    free(x);
}

/* SQLite has one writer at a time, and a statement takes the write lock before it evaluates
 * 'now' (CURRENT_TIMESTAMP, datetime('now') in UTC): a writer still open holds stamps older
 * than the clock. BEGIN IMMEDIATE on a second, writable connection waits (busy timeout) until
 * no writer is open; any later writer stamps after the clock read under that lock. The lock
 * is released at once, nothing is written. Needs write access to the file (and its -wal). */
static int sqlite_commit_horizon(struct arus_source *base, const struct arus_table_schema *t,
                                 size_t watermark, struct arus_arena *a, const char **out,
                                 struct arus_error *err)
{
    struct sqlite_source *s = (struct sqlite_source *)base;
    (void)t; /* UTC text: the wrapper makes it the column's cell */
    (void)watermark;
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int rc = arus__sqlite_open(base->endpoint, s->path, true, &db, err);
    if (rc) {
        arus_error_prefix(err, "read the commit horizon (needs write access to wait out open "
                               "writers)");
        return rc;
    }
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
        rc = arus__sqlite_fail(db, ARUS_EQUERY, err,
                               "read the commit horizon: BEGIN IMMEDIATE (needs write access to "
                               "wait out open writers)");
        goto out;
    }
    if ((rc = arus__sqlite_prepare(db, "SELECT strftime('%Y-%m-%d %H:%M:%f', 'now')", &st, err)))
        goto out;
    if (sqlite3_step(st) != SQLITE_ROW) {
        rc = arus__sqlite_fail(db, ARUS_EQUERY, err, "read the commit horizon");
        goto out;
    }
    const char *now = (const char *)sqlite3_column_text(st, 0);
    *out = arus_arena_strdup(a, now ? now : "");
out:
    sqlite3_finalize(st);
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(db);
    return rc;
}

/* min and max of one column (an index's ends when it has one); the wrapper refuses values not
 * of the column's type (times stored as numbers, say), and the table is then not split. */
static int sqlite_column_bounds(struct arus_source *base, const struct arus_table_schema *t,
                                size_t column, struct arus_arena *a, const char **min,
                                const char **max, struct arus_error *err)
{
    struct sqlite_source *s = (struct sqlite_source *)base;
    struct arus_strbuf sql, col;
    arus_strbuf_init(&sql);
    arus_strbuf_init(&col);
    arus_sql_quote_ident(&col, t->columns[column].name, '"', false);
    arus_strbuf_appendf(&sql, "SELECT min(%s), max(%s) FROM ", arus_strbuf_cstr(&col),
                        arus_strbuf_cstr(&col));
    arus_sql_quote_ident(&sql, t->name, '"', false);
    sqlite3_stmt *st = NULL;
    int rc = arus__sqlite_prepare(s->db, arus_strbuf_cstr(&sql), &st, err);
    if (rc == ARUS_OK && sqlite3_step(st) != SQLITE_ROW)
        rc = arus__sqlite_fail(s->db, ARUS_EQUERY, err, "read column bounds");
    for (int i = 0; rc == ARUS_OK && i < 2; i++) {
        const char *v = (const char *)sqlite3_column_text(st, i);
        *(i ? max : min) = v ? arus_arena_strdup(a, v) : NULL;
    }
    sqlite3_finalize(st);
    arus_strbuf_cleanup(&col);
    arus_strbuf_cleanup(&sql);
    return rc;
}

/* A row sample of the key (one row in `every`, by random()), sorted in its columns'
 * collations, cut at its quantiles. */
static int sqlite_key_cuts(struct arus_source *base, const struct arus_table_schema *t,
                           const size_t *key, size_t nkey, size_t k, struct arus_arena *a,
                           const char ***cuts, size_t *n, struct arus_error *err)
{
    struct sqlite_source *s = (struct sqlite_source *)base;
    struct arus_strbuf sql, cols;
    arus_strbuf_init(&sql);
    arus_strbuf_init(&cols);
    for (size_t c = 0; c < nkey; c++) {
        arus_strbuf_puts(&cols, c ? ", " : "");
        arus_sql_quote_ident(&cols, t->columns[key[c]].name, '"', false);
    }
    arus_strbuf_appendf(&sql, "SELECT %s FROM ", arus_strbuf_cstr(&cols));
    arus_sql_quote_ident(&sql, t->name, '"', false);
    arus_strbuf_appendf(&sql, " WHERE random() %% ?1 = 0 ORDER BY %s", arus_strbuf_cstr(&cols));
    sqlite3_stmt *st = NULL;
    struct arus_strbuf sample; /* the sampled values, NUL-terminated, row after row */
    arus_strbuf_init(&sample);
    size_t m = 0;
    int rc = arus__sqlite_prepare(s->db, arus_strbuf_cstr(&sql), &st, err);
    if (rc == ARUS_OK)
        sqlite3_bind_int64(st, 1, arus_key_sample_every(t->row_count_estimate, k));
    int step;
    while (rc == ARUS_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
        for (size_t c = 0; c < nkey; c++) {
            const char *v = (const char *)sqlite3_column_text(st, (int)c);
            arus_strbuf_append(&sample, v ? v : "", v ? strlen(v) + 1 : 1);
        }
        m++;
    }
    if (rc == ARUS_OK && step != SQLITE_DONE)
        rc = arus__sqlite_fail(s->db, ARUS_EQUERY, err, "sample the key");
    if (rc == ARUS_OK) {
        const char **values = arus_arena_calloc(a, m * nkey + 1, sizeof *values);
        const char *p = arus_arena_memdup(a, sample.data, sample.len);
        for (size_t i = 0; i < m * nkey; p += strlen(p) + 1)
            values[i++] = p;
        size_t *at = arus_arena_calloc(a, k, sizeof *at);
        *n = arus_key_cuts_pick(m, k, at);
        *cuts = arus_arena_calloc(a, *n * nkey + 1, sizeof **cuts);
        for (size_t i = 0; i < *n * nkey; i++)
            (*cuts)[i] = values[at[i / nkey] * nkey + i % nkey];
    }
    sqlite3_finalize(st);
    arus_strbuf_cleanup(&sample);
    arus_strbuf_cleanup(&cols);
    arus_strbuf_cleanup(&sql);
    return rc;
}

const struct arus_source_ops arus_source_sqlite = {
    .abi_version = ARUS_SOURCE_ABI,
    .name = "sqlite",
    .create = sqlite_create,
    .connect = sqlite_connect,
    .close = sqlite_close,
    .test_connection = sqlite_test,
    .discover_tables = sqlite_discover,
    .get_table_columns = sqlite_get_table_columns,
    .extract_open = sqlite_extract_open,
    .extract_next = sqlite_extract_next,
    .extract_close = sqlite_extract_close,
    .extract_soft_deletes = sqlite_extract_open,
    .commit_horizon = sqlite_commit_horizon,
    .column_bounds = sqlite_column_bounds,
    .key_cuts = sqlite_key_cuts,
};

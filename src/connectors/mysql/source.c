/* MySQL/MariaDB source: discovery from information_schema and one streamed extract per call
 * (the plan's prepared statement, extract.c, read row by row without
 * mysql_stmt_store_result, so memory is bounded by the batch). Values come through the binary
 * protocol and are rendered in the canonical cell text of types.h; zero dates become NULL and
 * are counted per column. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arus/arena.h"
#include "arus/log.h"
#include "arus/source.h"
#include "arus/strbuf.h"
#include "arus/util.h"
#include "connectors/mysql/cdc.h"
#include "connectors/mysql/conn.h"
#include "connectors/mysql/extract.h"
#include "connectors/mysql/typemap.h"

/* Initial bind buffer for string/blob columns; longer values grow it (fetch_column). */
#define MY_STR_BUF 256
/* The server drops a streaming client that stalls longer than net_write_timeout; loading a
 * batch into a slow destination can take a while. */
#define MY_SRC_SESSION "SET SESSION net_write_timeout = 3600, SESSION net_read_timeout = 3600"

/* How one result column is fetched and rendered. */
enum my_render { MY_R_INT, MY_R_BOOL, MY_R_FLOAT, MY_R_DOUBLE, MY_R_TIME, MY_R_BIT, MY_R_TEXT };

struct my_col {
    enum my_render render;
    bool is_unsigned;
    bool is_date; /* DATE/DATETIME/TIMESTAMP: zero dates possible */
    const char *name;
    int64_t zero_dates;
    union {
        long long i;
        float f;
        double d;
        MYSQL_TIME t;
    } v;
    char *buf; /* MY_R_TEXT / MY_R_BIT */
    unsigned long cap;
    unsigned long len;
    my_bool is_null;
    my_bool error;
};

struct arus_extract {
    struct my_source *src;
    MYSQL_STMT *st;
    const char *table; /* borrowed from the plan's schema */
    size_t ncols;
    struct my_col *cols;
    MYSQL_BIND *bind;
    bool done;
};

static int my_src_create(const struct arus_endpoint *ep, struct arus_source **out,
                         struct arus_error *err)
{
    struct my_source *s = arus_xcalloc(1, sizeof *s);
    int rc = arus__my_cfg_init(&s->cfg, ep, err);
    if (rc == ARUS_OK && !s->cfg.database)
        rc = arus_cfg_fail(ep->node, "database", err, "is required (or a url with /database)");
    if (rc != ARUS_OK) {
        arus__my_cfg_cleanup(&s->cfg);
        free(s);
        return rc;
    }
    *out = &s->base;
    return ARUS_OK;
}

static int my_src_connect(struct arus_source *base, struct arus_error *err)
{
    struct my_source *s = (struct my_source *)base;
    int rc = arus__my_open(&s->cfg, false, &s->db, err);
    if (rc != ARUS_OK)
        return rc;
    s->mariadb = strstr(mysql_get_server_info(s->db), "MariaDB") != NULL;
    return arus__my_exec(s->db, MY_SRC_SESSION, err, "set session timeouts");
}

static void my_src_close(struct arus_source *base)
{
    struct my_source *s = (struct my_source *)base;
    if (!s)
        return;
    arus__my_cdc_destroy(s->cdc);
    if (s->db)
        mysql_close(s->db);
    arus__my_cfg_cleanup(&s->cfg);
    free(s);
}

static int my_src_test(struct arus_source *base, struct arus_error *err)
{
    struct my_source *s = (struct my_source *)base;
    if (mysql_ping(s->db) != 0)
        return arus__my_fail(s->db, ARUS_ECONNECT, err, "ping");
    return ARUS_OK;
}

/* Columns of one table. MariaDB stores JSON as LONGTEXT with a json_valid() check named after
 * the column: that check is what makes it JSON again. */
static const char *my_columns_sql(bool mariadb)
{
    return mariadb
               ? "SELECT c.COLUMN_NAME, IF(cc.CONSTRAINT_NAME IS NULL, c.COLUMN_TYPE, 'json'), "
                 "c.IS_NULLABLE, k.ORDINAL_POSITION FROM information_schema.COLUMNS c "
                 "LEFT JOIN information_schema.KEY_COLUMN_USAGE k ON k.TABLE_SCHEMA = "
                 "c.TABLE_SCHEMA AND k.TABLE_NAME = c.TABLE_NAME AND k.COLUMN_NAME = "
                 "c.COLUMN_NAME AND k.CONSTRAINT_NAME = 'PRIMARY' "
                 "LEFT JOIN information_schema.CHECK_CONSTRAINTS cc ON cc.CONSTRAINT_SCHEMA = "
                 "c.TABLE_SCHEMA AND cc.TABLE_NAME = c.TABLE_NAME AND cc.CONSTRAINT_NAME = "
                 "c.COLUMN_NAME AND cc.LEVEL = 'Column' AND cc.CHECK_CLAUSE LIKE 'json_valid(%' "
                 "WHERE c.TABLE_SCHEMA = ? AND c.TABLE_NAME = ? ORDER BY c.ORDINAL_POSITION"
               : "SELECT c.COLUMN_NAME, c.COLUMN_TYPE, c.IS_NULLABLE, k.ORDINAL_POSITION "
                 "FROM information_schema.COLUMNS c "
                 "LEFT JOIN information_schema.KEY_COLUMN_USAGE k ON k.TABLE_SCHEMA = "
                 "c.TABLE_SCHEMA AND k.TABLE_NAME = c.TABLE_NAME AND k.COLUMN_NAME = "
                 "c.COLUMN_NAME AND k.CONSTRAINT_NAME = 'PRIMARY' "
                 "WHERE c.TABLE_SCHEMA = ? AND c.TABLE_NAME = ? ORDER BY c.ORDINAL_POSITION";
}

static int my_src_columns(struct arus_source *base, const char *table, struct arus_arena *a,
                          struct arus_table_schema **out, struct arus_error *err)
{
    struct my_source *s = (struct my_source *)base;
    struct my_param p[2] = {my_str(s->cfg.database), my_str(table)};
    struct my_rows est, cols;
    int rc = arus__my_query(s->db,
                            "SELECT TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_SCHEMA "
                            "= ? AND TABLE_NAME = ? AND TABLE_TYPE = 'BASE TABLE'",
                            p, 2, a, &est, NULL, err, "read table list");
    if (rc != ARUS_OK)
        return rc;
    if (est.nrows == 0)
        return arus_error_set(err, ARUS_ENOTFOUND, "table \"%s\" not found in database \"%s\"",
                              table, s->cfg.database);
    rc = arus__my_query(s->db, my_columns_sql(s->mariadb), p, 2, a, &cols, NULL, err,
                        "read columns");
    if (rc != ARUS_OK)
        return rc;

    struct arus_table_schema *t = arus_arena_calloc(a, 1, sizeof *t);
    t->schema_name = arus_arena_strdup(a, s->cfg.database);
    t->name = arus_arena_strdup(a, table);
    t->row_count_estimate = est.cells[0] ? strtoll(est.cells[0], NULL, 10) : -1;
    t->ncolumns = cols.nrows;
    t->columns = arus_arena_calloc(a, cols.nrows ? cols.nrows : 1, sizeof *t->columns);
    for (size_t r = 0; r < cols.nrows; r++) {
        char **row = cols.cells + r * cols.ncols;
        struct arus_column *c = &t->columns[r];
        c->name = row[0];
        c->source_type = row[1];
        arus__my_type_from_native(row[1], &c->type);
        c->nullable = row[2] && strcmp(row[2], "YES") == 0;
        c->pk_ordinal = row[3] ? (int)strtol(row[3], NULL, 10) : 0;
    }
    *out = t;
    return ARUS_OK;
}

static int my_src_discover(struct arus_source *base, struct arus_arena *a,
                           struct arus_table_schema **out, size_t *n, struct arus_error *err)
{
    struct my_source *s = (struct my_source *)base;
    struct my_param p = my_str(s->cfg.database);
    struct my_rows names;
    int rc = arus__my_query(s->db,
                            "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA "
                            "= ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME",
                            &p, 1, a, &names, NULL, err, "list tables");
    if (rc != ARUS_OK)
        return rc;
    struct arus_table_schema *tables =
        arus_arena_calloc(a, names.nrows ? names.nrows : 1, sizeof *tables);
    for (size_t i = 0; i < names.nrows; i++) {
        struct arus_table_schema *t;
        if ((rc = my_src_columns(base, names.cells[i], a, &t, err)) != ARUS_OK)
            return rc;
        tables[i] = *t;
    }
    *out = tables;
    *n = names.nrows;
    return ARUS_OK;
}

/* ---- extract ---- */

static bool my_is_int_type(enum arus_ltype t)
{
    return t == ARUS_T_INT16 || t == ARUS_T_INT32 || t == ARUS_T_INT64 || t == ARUS_T_UINT64;
}

static void my_bind_column(struct my_col *c, MYSQL_BIND *b, const MYSQL_FIELD *f,
                           const struct arus_column *col)
{
    c->name = col->name;
    b->is_null = &c->is_null;
    b->error = &c->error;
    b->length = &c->len;
    c->is_unsigned = (f->flags & UNSIGNED_FLAG) != 0;
    switch (f->type) {
    case MYSQL_TYPE_TINY:
    case MYSQL_TYPE_SHORT:
    case MYSQL_TYPE_INT24:
    case MYSQL_TYPE_LONG:
    case MYSQL_TYPE_LONGLONG:
    case MYSQL_TYPE_YEAR:
        c->render = col->type.ltype == ARUS_T_BOOL ? MY_R_BOOL : MY_R_INT;
        b->buffer_type = MYSQL_TYPE_LONGLONG;
        b->buffer = &c->v.i;
        b->is_unsigned = c->is_unsigned;
        return;
    case MYSQL_TYPE_FLOAT:
        c->render = MY_R_FLOAT;
        b->buffer_type = MYSQL_TYPE_FLOAT;
        b->buffer = &c->v.f;
        return;
    case MYSQL_TYPE_DOUBLE:
        c->render = MY_R_DOUBLE;
        b->buffer_type = MYSQL_TYPE_DOUBLE;
        b->buffer = &c->v.d;
        return;
    case MYSQL_TYPE_DATE:
    case MYSQL_TYPE_DATETIME:
    case MYSQL_TYPE_TIMESTAMP:
    case MYSQL_TYPE_TIME:
        c->render = MY_R_TIME;
        c->is_date = f->type != MYSQL_TYPE_TIME;
        b->buffer_type = f->type;
        b->buffer = &c->v.t;
        return;
    default:
        c->render = f->type == MYSQL_TYPE_BIT ? MY_R_BIT : MY_R_TEXT;
        c->cap = MY_STR_BUF;
        c->buf = arus_xmalloc(c->cap);
        b->buffer_type = MYSQL_TYPE_STRING;
        b->buffer = c->buf;
        b->buffer_length = c->cap;
        return;
    }
}

/* Bind one bound value with its column's own type: integers as integers so comparisons stay
 * exact past 2^53, everything else (and integer text that does not parse) as text the server
 * converts. */
static void my_bind_param(const struct arus_table_schema *t, const struct my_extract_param *p,
                          MYSQL_BIND *b, long long *ival, unsigned long *len)
{
    const struct arus_column *col = &t->columns[p->column];
    const char *s = p->text;
    char *end = NULL;
    memset(b, 0, sizeof *b);
    if (my_is_int_type(col->type.ltype)) {
        errno = 0;
        if (col->type.ltype == ARUS_T_UINT64)
            *ival = (long long)strtoull(s, &end, 10);
        else
            *ival = strtoll(s, &end, 10);
        if (errno == 0 && end != s && *end == '\0') {
            b->buffer_type = MYSQL_TYPE_LONGLONG;
            b->is_unsigned = col->type.ltype == ARUS_T_UINT64;
            b->buffer = ival;
            return;
        }
    }
    *len = (unsigned long)strlen(s);
    b->buffer_type = MYSQL_TYPE_STRING;
    b->buffer = (void *)s;
    b->buffer_length = *len;
    b->length = len;
}

static void my_extract_free(struct arus_extract *x)
{
    if (x->st)
        mysql_stmt_close(x->st);
    for (size_t i = 0; i < x->ncols && x->cols; i++)
        free(x->cols[i].buf);
    free(x->cols);
    free(x->bind);
    free(x);
}

static int my_src_extract_open(struct arus_source *base, const struct arus_extract_plan *plan,
                               struct arus_extract **out, struct arus_error *err)
{
    struct my_source *s = (struct my_source *)base;
    const struct arus_table_schema *t = plan->table;
    struct arus_extract *x = arus_xcalloc(1, sizeof *x);
    struct my_extract_sql q;
    struct arus_strbuf what;
    MYSQL_RES *meta = NULL;
    int rc = ARUS_OK;

    arus_strbuf_init(&what);
    arus_strbuf_appendf(&what, "extract from `%s`.`%s`", s->cfg.database, t->name);
    arus__my_extract_sql(plan, s->cfg.database, &q);
    /* per `?`: the bind, and the integer or length it points to */
    MYSQL_BIND *pbind = arus_xcalloc(q.nparams + 1, sizeof *pbind);
    long long *pint = arus_xcalloc(q.nparams + 1, sizeof *pint);
    unsigned long *plen = arus_xcalloc(q.nparams + 1, sizeof *plen);
    x->src = s;
    x->table = t->name;
    x->ncols = t->ncolumns;
    x->st = mysql_stmt_init(s->db);
    if (!x->st) {
        rc = arus__my_fail(s->db, ARUS_EQUERY, err, arus_strbuf_cstr(&what));
        goto out;
    }
    if (mysql_stmt_prepare(x->st, q.sql.data, q.sql.len) != 0) {
        rc = arus__my_stmt_fail(x->st, err, arus_strbuf_cstr(&what));
        goto out;
    }
    for (size_t i = 0; i < q.nparams; i++)
        my_bind_param(t, &q.params[i], &pbind[i], &pint[i], &plen[i]);
    if (q.nparams && mysql_stmt_bind_param(x->st, pbind) != 0) {
        rc = arus__my_stmt_fail(x->st, err, arus_strbuf_cstr(&what));
        goto out;
    }
    if (mysql_stmt_execute(x->st) != 0) {
        rc = arus__my_stmt_fail(x->st, err, arus_strbuf_cstr(&what));
        goto out;
    }
    meta = mysql_stmt_result_metadata(x->st);
    if (!meta || mysql_num_fields(meta) != t->ncolumns) {
        rc = arus_error_set(err, ARUS_EQUERY, "%s: unexpected result shape",
                            arus_strbuf_cstr(&what));
        goto out;
    }
    MYSQL_FIELD *fields = mysql_fetch_fields(meta);
    x->cols = arus_xcalloc(t->ncolumns + 1, sizeof *x->cols);
    x->bind = arus_xcalloc(t->ncolumns + 1, sizeof *x->bind);
    for (size_t i = 0; i < t->ncolumns; i++)
        my_bind_column(&x->cols[i], &x->bind[i], &fields[i], &t->columns[i]);
    if (mysql_stmt_bind_result(x->st, x->bind) != 0)
        rc = arus__my_stmt_fail(x->st, err, arus_strbuf_cstr(&what));
out:
    if (meta)
        mysql_free_result(meta);
    free(plen);
    free(pint);
    free(pbind);
    arus__my_extract_sql_cleanup(&q);
    arus_strbuf_cleanup(&what);
    if (rc != ARUS_OK) {
        my_extract_free(x);
        return rc;
    }
    *out = x;
    return ARUS_OK;
}

/* Value longer than the bind buffer: grow it, read the rest of this row's value, and rebind
 * so later rows fit without another round. */
static int my_refetch(struct arus_extract *x, size_t i, struct arus_error *err)
{
    struct my_col *c = &x->cols[i];
    c->cap = c->len + 1;
    c->buf = arus_xrealloc(c->buf, c->cap);
    x->bind[i].buffer = c->buf;
    x->bind[i].buffer_length = c->cap;
    if (mysql_stmt_fetch_column(x->st, &x->bind[i], (unsigned)i, 0) != 0 ||
        mysql_stmt_bind_result(x->st, x->bind) != 0)
        return arus__my_stmt_fail(x->st, err, "read a long value");
    return ARUS_OK;
}

static int my_render_cell(struct arus_extract *x, size_t i, struct arus_batch *b,
                          struct arus_cell *cell, struct arus_error *err)
{
    struct my_col *c = &x->cols[i];
    char tmp[64];
    int n = 0;
    if (c->is_null)
        return ARUS_OK;
    switch (c->render) {
    case MY_R_INT:
        n = arus_format_integer(tmp, c->v.i, c->is_unsigned);
        break;
    case MY_R_BOOL:
        arus_cell_set(b, cell, c->v.i ? "true" : "false", c->v.i ? 4 : 5);
        return ARUS_OK;
    case MY_R_FLOAT:
        n = arus__my_format_double(tmp, sizeof tmp, c->v.f, true);
        break;
    case MY_R_DOUBLE:
        n = arus__my_format_double(tmp, sizeof tmp, c->v.d, false);
        break;
    case MY_R_TIME:
        if (c->is_date && (c->v.t.month == 0 || c->v.t.day == 0)) {
            c->zero_dates++; /* 0000-00-00 (or a zero part): no such day, so NULL */
            return ARUS_OK;
        }
        n = arus__my_format_time(tmp, sizeof tmp, &c->v.t, x->bind[i].buffer_type);
        break;
    case MY_R_BIT: {
        unsigned long long v = 0;
        for (unsigned long k = 0; k < c->len && k < c->cap; k++)
            v = (v << 8) | (unsigned char)c->buf[k];
        n = snprintf(tmp, sizeof tmp, "%llu", v);
        break;
    }
    case MY_R_TEXT:
        if (c->len > c->cap) {
            int rc = my_refetch(x, i, err);
            if (rc != ARUS_OK)
                return rc;
        }
        arus_cell_set(b, cell, c->buf, c->len);
        return ARUS_OK;
    }
    arus_cell_set(b, cell, tmp, (size_t)n);
    return ARUS_OK;
}

static int my_src_extract_next(struct arus_extract *x, struct arus_batch *b, struct arus_error *err)
{
    while (!x->done && !arus_batch_full(b)) {
        int f = mysql_stmt_fetch(x->st);
        if (f == MYSQL_NO_DATA) {
            x->done = true;
            break;
        }
        if (f == 1)
            return arus__my_stmt_fail(x->st, err, "read rows");
        struct arus_cell *row = arus_batch_add_row(b);
        for (size_t i = 0; i < x->ncols; i++) {
            int rc = my_render_cell(x, i, b, &row[i], err);
            if (rc != ARUS_OK)
                return arus_error_prefix(err, "table `%s` column `%s`", x->table, x->cols[i].name);
        }
    }
    return ARUS_OK;
}

static void my_src_extract_close(struct arus_extract *x)
{
    if (!x)
        return;
    for (size_t i = 0; i < x->ncols; i++)
        if (x->cols[i].zero_dates)
            arus_log(ARUS_LOG_WARN, "mysql",
                     "table \"%s\" column \"%s\": %lld zero dates read as NULL", x->table,
                     x->cols[i].name, (long long)x->cols[i].zero_dates);
    my_extract_free(x);
}

/* NOW() is the time its statement started, inside a transaction that InnoDB lists with its
 * start in information_schema.innodb_trx (which needs PROCESS): a row is stamped no earlier
 * than the oldest open transaction began. trx_started shows in the session's zone (UTC) and
 * has whole seconds, which only makes the horizon earlier. A DATETIME column holds the
 * writers' wall clock, which is @@global.time_zone unless they change it; a TIMESTAMP one is
 * an instant (read in UTC). */
static const char my_horizon_sql[] =
    "SELECT DATE_FORMAT(IF(?, h, CONVERT_TZ(h, '+00:00', @@global.time_zone)), "
    "'%Y-%m-%d %H:%i:%s.%f') FROM (SELECT LEAST(NOW(6), COALESCE((SELECT MIN(trx_started) "
    "FROM information_schema.innodb_trx WHERE trx_mysql_thread_id <> CONNECTION_ID()), NOW(6))) "
    "AS h) t";

static int my_src_commit_horizon(struct arus_source *base, const struct arus_table_schema *t,
                                 size_t watermark, struct arus_arena *a, const char **out,
                                 struct arus_error *err)
{
    struct my_source *s = (struct my_source *)base;
    enum arus_ltype type = t->columns[watermark].type.ltype;
    struct my_param p = my_int(type == ARUS_T_TIMESTAMPTZ);
    struct my_rows r;
    int rc = arus__my_query(s->db, my_horizon_sql, &p, 1, a, &r, NULL, err,
                            "read the commit horizon from information_schema.innodb_trx (needs "
                            "the PROCESS privilege)");
    if (rc != ARUS_OK)
        return rc;
    if (r.nrows != 1 || !r.cells[0])
        return arus_error_set(err, ARUS_EDATA,
                              "commit horizon: the server cannot convert to the global "
                              "time_zone (are its time zone tables loaded?)");
    *out = r.cells[0];
    return ARUS_OK;
}

/* MIN and MAX of one column: two ends of its index when it has one (TIMESTAMP in the session's
 * UTC). */
static int my_src_column_bounds(struct arus_source *base, const struct arus_table_schema *t,
                                size_t column, struct arus_arena *a, const char **min,
                                const char **max, struct arus_error *err)
{
    struct my_source *s = (struct my_source *)base;
    struct arus_strbuf sql, col;
    arus_strbuf_init(&sql);
    arus_strbuf_init(&col);
    arus_sql_quote_ident(&col, t->columns[column].name, '`', false);
    arus_strbuf_appendf(&sql, "SELECT MIN(%s), MAX(%s) FROM ", arus_strbuf_cstr(&col),
                        arus_strbuf_cstr(&col));
    arus_sql_quote_ident(&sql, s->cfg.database, '`', false);
    arus_strbuf_putc(&sql, '.');
    arus_sql_quote_ident(&sql, t->name, '`', false);
    struct my_rows r;
    int rc = arus__my_query(s->db, arus_strbuf_cstr(&sql), NULL, 0, a, &r, NULL, err,
                            "read column bounds");
    if (rc == ARUS_OK && r.nrows == 1) {
        *min = r.cells[0];
        *max = r.cells[1];
    } else if (rc == ARUS_OK) {
        *min = *max = NULL;
    }
    arus_strbuf_cleanup(&col);
    arus_strbuf_cleanup(&sql);
    return rc;
}

/* A row sample of the key (one row in `every`, chosen by RAND(): a scan of the key, which
 * MariaDB has no cheaper way to sample), sorted in its columns' collations, cut at its
 * quantiles. */
static int my_src_key_cuts(struct arus_source *base, const struct arus_table_schema *t,
                           const size_t *key, size_t nkey, size_t k, struct arus_arena *a,
                           const char ***cuts, size_t *n, struct arus_error *err)
{
    struct my_source *s = (struct my_source *)base;
    struct arus_strbuf sql, cols;
    arus_strbuf_init(&sql);
    arus_strbuf_init(&cols);
    for (size_t c = 0; c < nkey; c++) {
        arus_strbuf_puts(&cols, c ? ", " : "");
        arus_sql_quote_ident(&cols, t->columns[key[c]].name, '`', false);
    }
    arus_strbuf_appendf(&sql, "SELECT %s FROM ", arus_strbuf_cstr(&cols));
    arus_sql_quote_ident(&sql, s->cfg.database, '`', false);
    arus_strbuf_putc(&sql, '.');
    arus_sql_quote_ident(&sql, t->name, '`', false);
    arus_strbuf_appendf(&sql, " WHERE FLOOR(RAND() * ?) = 0 ORDER BY %s", arus_strbuf_cstr(&cols));
    struct my_param every = my_int(arus_key_sample_every(t->row_count_estimate, k));
    struct my_rows r;
    int rc = arus__my_query(s->db, arus_strbuf_cstr(&sql), &every, 1, a, &r, NULL, err,
                            "sample the key");
    if (rc == ARUS_OK) {
        size_t *at = arus_arena_calloc(a, k, sizeof *at);
        *n = arus_key_cuts_pick(r.nrows, k, at);
        *cuts = arus_arena_calloc(a, *n * nkey + 1, sizeof **cuts);
        for (size_t i = 0; i < *n * nkey; i++)
            (*cuts)[i] = r.cells[at[i / nkey] * nkey + i % nkey];
    }
    arus_strbuf_cleanup(&cols);
    arus_strbuf_cleanup(&sql);
    return rc;
}

const struct arus_source_ops arus_source_mysql = {
    .abi_version = ARUS_SOURCE_ABI,
    .name = "mysql",
    .create = my_src_create,
    .connect = my_src_connect,
    .close = my_src_close,
    .test_connection = my_src_test,
    .discover_tables = my_src_discover,
    .get_table_columns = my_src_columns,
    .extract_open = my_src_extract_open,
    .extract_next = my_src_extract_next,
    .extract_close = my_src_extract_close,
    .extract_soft_deletes = my_src_extract_open,
    .commit_horizon = my_src_commit_horizon,
    .cdc_start = arus__my_cdc_start,
    .cdc_stream = arus__my_cdc_stream,
    .cdc_next = arus__my_cdc_next,
    .cdc_ack = arus__my_cdc_ack,
    .cdc_status = arus__my_cdc_status,
    .cdc_drop = arus__my_cdc_drop,
    .cdc_position_cmp = arus__my_cdc_position_cmp,
    .column_bounds = my_src_column_bounds,
    .key_cuts = my_src_key_cuts,
};

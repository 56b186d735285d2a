/* PostgreSQL source (libpq): schema discovery from pg_catalog and streamed extraction.
 * Each extract is one `COPY (SELECT ...) TO STDOUT` translated from the plan (extract.c), read
 * row by row with PQgetCopyData, so memory stays bounded by the batch (the engine's extract
 * thread keeps the stream flowing while batches load). Cells become canonical text (types.h)
 * in place: booleans, UTC timestamps, bytea hex; arrays come out of to_json(). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arus/arena.h"
#include "arus/source.h"
#include "arus/strbuf.h"
#include "arus/util.h"
#include "connectors/postgresql/cdc.h"
#include "connectors/postgresql/conn.h"
#include "connectors/postgresql/extract.h"
#include "connectors/postgresql/typemap.h"

struct pg_extract {
    PGconn *conn;
    const struct arus_table_schema *table;
    char what[320]; /* "extract \"table\"" for messages */
    bool done;
};

static int pg_create(const struct arus_endpoint *ep, struct arus_source **out,
                     struct arus_error *err)
{
    struct pg_source *s = arus_xcalloc(1, sizeof *s);
    int rc;
    static const char *const keys[] = {"schema", "schema_include", NULL};
    s->schema = "public";
    if ((rc = arus__pg_check_keys(ep, keys, err)) ||
        (rc = arus__pg_settings_read(ep, &s->set, err)) ||
        (rc = arus_cfg_str(ep->node, "schema", &s->schema, err)))
        goto fail;
    const struct arus_cfg_node *inc = arus_cfg_get(ep->node, "schema_include");
    if (inc && inc->kind == ARUS_CFG_SCALAR) {
        s->include = arus_xcalloc(1, sizeof *s->include);
        s->include[s->ninclude++] = inc->scalar;
    } else if (inc && inc->kind == ARUS_CFG_LIST) {
        s->include = arus_xcalloc(inc->nchildren + 1, sizeof *s->include);
        for (size_t i = 0; i < inc->nchildren; i++) {
            if (inc->children[i]->kind != ARUS_CFG_SCALAR) {
                rc = arus_cfg_fail(inc, "schema_include", err, "expected a list of names");
                goto fail;
            }
            s->include[s->ninclude++] = inc->children[i]->scalar;
        }
    } else if (inc) {
        rc = arus_cfg_fail(inc, "schema_include", err, "expected a name or a list of names");
        goto fail;
    }
    s->base.endpoint = ep;
    *out = &s->base;
    return ARUS_OK;
fail:
    free(s->include);
    free(s);
    return rc;
}

static int pg_connect(struct arus_source *base, struct arus_error *err)
{
    struct pg_source *s = (struct pg_source *)base;
    return arus__pg_connect(&s->set, &s->conn, err);
}

static void pg_close(struct arus_source *base)
{
    struct pg_source *s = (struct pg_source *)base;
    if (!s)
        return;
    arus__pg_cdc_destroy(s->cdc);
    PQfinish(s->conn);
    free(s->include);
    free(s);
}

static int pg_test_connection(struct arus_source *base, struct arus_error *err)
{
    struct pg_source *s = (struct pg_source *)base;
    return arus__pg_exec(s->conn, "SELECT 1", "test connection", err);
}

static int pg_discover_schemas(struct arus_source *base, struct arus_arena *a, char ***out,
                               size_t *n, struct arus_error *err)
{
    struct pg_source *s = (struct pg_source *)base;
    PGresult *r;
    int rc = arus__pg_query(s->conn,
                            "SELECT nspname FROM pg_namespace WHERE nspname <> "
                            "'information_schema' AND nspname NOT LIKE 'pg\\_%' ORDER BY 1",
                            0, NULL, &r, "discover schemas", err);
    if (rc)
        return rc;
    int rows = PQntuples(r);
    char **names = arus_arena_calloc(a, (size_t)rows + 1, sizeof *names);
    for (int i = 0; i < rows; i++)
        names[i] = arus_arena_strdup(a, PQgetvalue(r, i, 0));
    PQclear(r);
    *out = names;
    *n = (size_t)rows;
    return ARUS_OK;
}

/* Columns in attnum order with format_type() text and the position in the primary key. */
static const char pg_columns_sql[] =
    "SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, "
    "COALESCE((SELECT k.n FROM unnest(i.indkey) WITH ORDINALITY AS k(att, n) "
    "WHERE k.att = a.attnum), 0) "
    "FROM pg_attribute a LEFT JOIN pg_index i ON i.indrelid = a.attrelid AND i.indisprimary "
    "WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum";

/* Tables outside the configured schema are named "schema.table" so that two schemas' tables
 * cannot land on the same destination table. */
int arus__pg_load_table(struct pg_source *s, const char *oid, const char *nsp, const char *rel,
                        const char *estimate, struct arus_arena *a, struct arus_table_schema *t,
                        struct arus_error *err)
{
    PGresult *r;
    const char *params[1] = {oid};
    char what[320];
    snprintf(what, sizeof what, "read columns of \"%s.%s\"", nsp, rel);
    int rc = arus__pg_query(s->conn, pg_columns_sql, 1, params, &r, what, err);
    if (rc)
        return rc;
    memset(t, 0, sizeof *t);
    t->schema_name = arus_arena_strdup(a, nsp);
    if (strcmp(nsp, s->schema) == 0) {
        t->name = arus_arena_strdup(a, rel);
    } else {
        size_t nl = strlen(nsp), rl = strlen(rel);
        t->name = arus_arena_alloc(a, nl + rl + 2);
        memcpy(t->name, nsp, nl);
        t->name[nl] = '.';
        memcpy(t->name + nl + 1, rel, rl + 1);
    }
    t->row_count_estimate = strtoll(estimate, NULL, 10);
    t->ncolumns = (size_t)PQntuples(r);
    t->columns = arus_arena_calloc(a, t->ncolumns ? t->ncolumns : 1, sizeof *t->columns);
    for (size_t i = 0; i < t->ncolumns; i++) {
        struct arus_column *c = &t->columns[i];
        c->name = arus_arena_strdup(a, PQgetvalue(r, (int)i, 0));
        c->source_type = arus_arena_strdup(a, PQgetvalue(r, (int)i, 1));
        arus__pg_type_from_native(c->source_type, &c->type);
        c->nullable = PQgetvalue(r, (int)i, 2)[0] != 't';
        c->pk_ordinal = (int)strtol(PQgetvalue(r, (int)i, 3), NULL, 10);
    }
    PQclear(r);
    return ARUS_OK;
}

static bool pg_schema_selected(const struct pg_source *s, const char *nsp)
{
    if (s->ninclude == 0)
        return strcmp(nsp, s->schema) == 0;
    for (size_t i = 0; i < s->ninclude; i++)
        if (arus_glob_match(s->include[i], nsp))
            return true;
    return false;
}

/* reltuples is -1 for never-analysed tables (PostgreSQL 14+): report 0 then. */
static const char pg_tables_sql[] =
    "SELECT c.oid, n.nspname, c.relname, GREATEST(c.reltuples, 0)::bigint "
    "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition "
    "AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%' ORDER BY 2, 3";

static int pg_discover_tables(struct arus_source *base, struct arus_arena *a,
                              struct arus_table_schema **out, size_t *n, struct arus_error *err)
{
    struct pg_source *s = (struct pg_source *)base;
    PGresult *r;
    int rc = arus__pg_query(s->conn, pg_tables_sql, 0, NULL, &r, "discover tables", err);
    if (rc)
        return rc;
    int rows = PQntuples(r);
    struct arus_table_schema *tables = arus_arena_calloc(a, (size_t)rows + 1, sizeof *tables);
    size_t count = 0;
    for (int i = 0; i < rows && rc == ARUS_OK; i++) {
        if (!pg_schema_selected(s, PQgetvalue(r, i, 1)))
            continue;
        rc = arus__pg_load_table(s, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2),
                                 PQgetvalue(r, i, 3), a, &tables[count++], err);
    }
    PQclear(r);
    if (rc)
        return rc;
    *out = tables;
    *n = count;
    return ARUS_OK;
}

/* "name" is a relation of the configured schema or "schema.relation"; the exact match in the
 * configured schema wins, so a table whose own name contains a dot still resolves. */
static const char pg_resolve_sql[] =
    "SELECT c.oid, n.nspname, c.relname, GREATEST(c.reltuples, 0)::bigint "
    "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') "
    "AND ((n.nspname = $1 AND c.relname = $2) OR n.nspname || '.' || c.relname = $2) "
    "ORDER BY (n.nspname = $1 AND c.relname = $2) DESC LIMIT 1";

static int pg_get_table_columns(struct arus_source *base, const char *table, struct arus_arena *a,
                                struct arus_table_schema **out, struct arus_error *err)
{
    struct pg_source *s = (struct pg_source *)base;
    const char *params[2] = {s->schema, table};
    PGresult *r;
    char what[320];
    snprintf(what, sizeof what, "look up table \"%s\"", table);
    int rc = arus__pg_query(s->conn, pg_resolve_sql, 2, params, &r, what, err);
    if (rc)
        return rc;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return arus_error_set(err, ARUS_ENOTFOUND, "table \"%s\" not found in schema \"%s\"", table,
                              s->schema);
    }
    struct arus_table_schema *t = arus_arena_calloc(a, 1, sizeof *t);
    rc = arus__pg_load_table(s, PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 2),
                             PQgetvalue(r, 0, 3), a, t, err);
    PQclear(r);
    if (rc == ARUS_OK)
        *out = t;
    return rc;
}

static int pg_extract_open(struct arus_source *base, const struct arus_extract_plan *plan,
                           struct arus_extract **out, struct arus_error *err)
{
    struct pg_source *s = (struct pg_source *)base;
    struct pg_extract_sql q;
    PGresult *r = NULL;
    int rc = ARUS_OK;
    char what[320];
    snprintf(what, sizeof what, "extract \"%s\"", plan->table->name);

    arus__pg_extract_sql(plan, s->schema, &q);
    if (q.nparams) {
        rc = arus__pg_query(s->conn, arus_strbuf_cstr(&q.bind), (int)q.nparams, q.params, &r,
                            "bind watermark", err);
        PQclear(r);
        if (rc)
            goto out;
    }
    r = PQexec(s->conn, arus_strbuf_cstr(&q.copy));
    if (PQresultStatus(r) != PGRES_COPY_OUT) {
        rc = arus__pg_fail(s->conn, r, err, what);
        PQclear(r);
        goto out;
    }
    PQclear(r);
    struct pg_extract *x = arus_xcalloc(1, sizeof *x);
    x->conn = s->conn;
    x->table = plan->table;
    snprintf(x->what, sizeof x->what, "%s", what);
    *out = (struct arus_extract *)x;
out:
    arus__pg_extract_sql_cleanup(&q);
    return rc;
}

/* Undo COPY text escaping of p[0..n) in place; returns the new length. */
static size_t pg_unescape(char *p, size_t n)
{
    /* Most fields have no escape at all: find the first one with memchr. */
    const char *bs = memchr(p, '\\', n);
    if (!bs)
        return n;
    size_t o = (size_t)(bs - p);
    for (size_t i = o; i < n; i++) {
        char c = p[i];
        if (c != '\\' || i + 1 == n) {
            p[o++] = c;
            continue;
        }
        c = p[++i];
        switch (c) {
        case 'b':
            p[o++] = '\b';
            break;
        case 'f':
            p[o++] = '\f';
            break;
        case 'n':
            p[o++] = '\n';
            break;
        case 'r':
            p[o++] = '\r';
            break;
        case 't':
            p[o++] = '\t';
            break;
        case 'v':
            p[o++] = '\v';
            break;
        default:
            if (c >= '0' && c <= '7') {
                int v = c - '0';
                for (int k = 0; k < 2 && i + 1 < n && p[i + 1] >= '0' && p[i + 1] <= '7'; k++)
                    v = v * 8 + (p[++i] - '0');
                p[o++] = (char)v;
            } else {
                p[o++] = c;
            }
        }
    }
    return o;
}

int arus__pg_canonical(const struct arus_column *col, const char *what, struct arus_cell *cell,
                       char *p, size_t n, struct arus_error *err)
{
    switch (col->type.ltype) {
    case ARUS_T_BOOL:
        if (n == 1 && (p[0] == 't' || p[0] == 'f')) {
            arus_cell_set_borrowed(cell, p[0] == 't' ? "true" : "false", p[0] == 't' ? 4 : 5);
            return ARUS_OK;
        }
        break;
    case ARUS_T_TIMESTAMPTZ:
        /* The session runs in UTC, so the offset is always "+00". */
        if (n > 3 && memcmp(p + n - 3, "+00", 3) == 0)
            n -= 3;
        break;
    case ARUS_T_BYTES:
        if (n >= 2 && p[0] == '\\' && p[1] == 'x' && n % 2 == 0) {
            size_t o = 0;
            for (size_t i = 2; i < n; i += 2) {
                int hi = arus_hex_value(p[i]), lo = arus_hex_value(p[i + 1]);
                if (hi < 0 || lo < 0)
                    return arus_error_set(err, ARUS_EDATA, "%s: column \"%s\": bad bytea text",
                                          what, col->name);
                p[o++] = (char)(hi << 4 | lo);
            }
            n = o;
        }
        break;
    default:
        break;
    }
    p[n] = '\0';
    arus_cell_set_borrowed(cell, p, n);
    return ARUS_OK;
}

/* Split one COPY text row (copied into the batch arena) into cells. */
static int pg_parse_row(struct pg_extract *x, struct arus_batch *b, const char *line, int len,
                        struct arus_error *err)
{
    if (len > 0 && line[len - 1] == '\n')
        len--;
    char *p = arus_arena_memdup(b->arena, line, (size_t)len);
    char *end = p + len;
    struct arus_cell *cells = arus_batch_add_row(b);
    size_t col = 0;
    /* Tabs inside values are escaped, so every raw tab separates fields. */
    for (char *f = p; col < b->ncolumns; col++) {
        char *tab = memchr(f, '\t', (size_t)(end - f));
        size_t n = (size_t)((tab ? tab : end) - f);
        if (!(n == 2 && f[0] == '\\' && f[1] == 'N')) {
            int rc = arus__pg_canonical(&x->table->columns[col], x->what, &cells[col], f,
                                        pg_unescape(f, n), err);
            if (rc)
                return rc;
        }
        if (!tab) {
            col++;
            break;
        }
        f = tab + 1;
    }
    if (col != b->ncolumns)
        return arus_error_set(err, ARUS_EINTERNAL, "%s: row has %zu fields, expected %zu", x->what,
                              col, b->ncolumns);
    return ARUS_OK;
}

/* After PQgetCopyData reports the end (len -1) or a failure (-2): collect the COPY's final
 * status so the connection is idle again. */
static int pg_finish(struct pg_extract *x, int len, struct arus_error *err)
{
    PGresult *r;
    int rc = ARUS_OK;
    x->done = true;
    while ((r = PQgetResult(x->conn))) {
        if (rc == ARUS_OK && PQresultStatus(r) != PGRES_COMMAND_OK)
            rc = arus__pg_fail(x->conn, r, err, x->what);
        PQclear(r);
    }
    if (rc == ARUS_OK && len == -2)
        rc = arus__pg_fail(x->conn, NULL, err, x->what);
    return rc;
}

static int pg_extract_next(struct arus_extract *xx, struct arus_batch *b, struct arus_error *err)
{
    struct pg_extract *x = (struct pg_extract *)xx;
    while (!x->done && !arus_batch_full(b)) {
        char *line = NULL;
        int len = PQgetCopyData(x->conn, &line, 0);
        if (len < 0)
            return pg_finish(x, len, err);
        int rc = pg_parse_row(x, b, line, len, err);
        PQfreemem(line);
        if (rc)
            return rc;
    }
    return ARUS_OK;
}

/* Closing mid-stream cancels the COPY and drains it so the connection is usable again. */
static void pg_extract_close(struct arus_extract *xx)
{
    struct pg_extract *x = (struct pg_extract *)xx;
    if (!x)
        return;
    if (!x->done) {
        PGcancel *cancel = PQgetCancel(x->conn);
        char buf[256];
        if (cancel) {
            PQcancel(cancel, buf, sizeof buf);
            PQfreeCancel(cancel);
        }
        char *line;
        int len;
        while ((len = PQgetCopyData(x->conn, &line, 0)) >= 0)
            PQfreemem(line);
        struct arus_error ignored;
        pg_finish(x, len, &ignored);
    }
    free(x);
}

/* ---- commit horizon */

/* The TimeZone a session gets by default, which writers stamp zone-less columns in (now()
 * into a timestamp column). Our own session is UTC from its startup options, so even RESET
 * would answer UTC: ask a second, short connection without that option, once. */
static int pg_writer_zone(struct pg_source *s, struct arus_error *err)
{
    static const char utc_option[] = "-c TimeZone=UTC ";
    if (s->writer_zone[0])
        return ARUS_OK;
    struct pg_settings set = s->set;
    char *at = strstr(set.options, utc_option);
    if (at)
        memmove(at, at + strlen(utc_option), strlen(at + strlen(utc_option)) + 1);
    PGconn *c = NULL;
    PGresult *r = NULL;
    int rc = arus__pg_connect(&set, &c, err);
    if (rc == ARUS_OK)
        rc = arus__pg_query(c, "SELECT current_setting('TimeZone')", 0, NULL, &r,
                            "read the default TimeZone", err);
    if (rc == ARUS_OK)
        snprintf(s->writer_zone, sizeof s->writer_zone, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    PQfinish(c);
    return rc;
}

/* now() is the start of its transaction, so a row is stamped no later than its transaction
 * began: the horizon is the oldest xact_start of the other sessions of this database (idle in
 * transaction too), or now. Autovacuum and WAL senders write no rows. Sessions of other roles
 * show no xact_start (nor backend_type) without pg_read_all_stats; they would make the minimum
 * wrong, so they fail the horizon. */
static const char pg_horizon_sql[] =
    "WITH o AS (SELECT xact_start, query FROM pg_stat_activity WHERE datname = "
    "current_database() AND pid <> pg_backend_pid() AND coalesce(backend_type, '') NOT IN "
    "('autovacuum worker', 'walsender')) "
    "SELECT to_char(least(now(), (SELECT min(xact_start) FROM o)) AT TIME ZONE $1, "
    "'YYYY-MM-DD HH24:MI:SS.US'), (SELECT count(*) FROM o WHERE query = "
    "'<insufficient privilege>'), current_user";

static int pg_commit_horizon(struct arus_source *base, const struct arus_table_schema *t,
                             size_t watermark, struct arus_arena *a, const char **out,
                             struct arus_error *err)
{
    struct pg_source *s = (struct pg_source *)base;
    enum arus_ltype type = t->columns[watermark].type.ltype;
    int rc = type == ARUS_T_TIMESTAMPTZ ? ARUS_OK : pg_writer_zone(s, err);
    if (rc)
        return rc;
    const char *zone = type == ARUS_T_TIMESTAMPTZ ? "UTC" : s->writer_zone;
    PGresult *r = NULL;
    if ((rc = arus__pg_query(s->conn, pg_horizon_sql, 1, &zone, &r, "read the commit horizon",
                             err)))
        return rc;
    if (strcmp(PQgetvalue(r, 0, 1), "0") != 0)
        rc = arus_error_set(err, ARUS_EQUERY,
                            "%s session(s) of other roles hide their transactions in "
                            "pg_stat_activity: role \"%s\" needs pg_read_all_stats (or "
                            "superuser) for a commit horizon",
                            PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 2));
    else
        *out = arus_arena_strdup(a, PQgetvalue(r, 0, 0));
    PQclear(r);
    return rc;
}

/* min and max of one column: two ends of its index when it has one. TIMESTAMPTZ as UTC text
 * without zone, the form arus_parse_timestamp reads. */
static int pg_column_bounds(struct arus_source *base, const struct arus_table_schema *t,
                            size_t column, struct arus_arena *a, const char **min,
                            const char **max, struct arus_error *err)
{
    struct pg_source *s = (struct pg_source *)base;
    const struct arus_column *c = &t->columns[column];
    bool tz = c->type.ltype == ARUS_T_TIMESTAMPTZ;
    struct arus_strbuf sql, col;
    arus_strbuf_init(&sql);
    arus_strbuf_init(&col);
    arus_sql_quote_ident(&col, c->name, '"', false);
    for (int i = 0; i < 2; i++)
        arus_strbuf_appendf(&sql, "%s%s(%s)%s::text", i ? ", " : "SELECT ", i ? "max" : "min",
                            arus_strbuf_cstr(&col), tz ? " AT TIME ZONE 'UTC'" : "");
    arus_strbuf_puts(&sql, " FROM ");
    arus__pg_relation(&sql, t, s->schema);
    PGresult *r = NULL;
    int rc = arus__pg_query(s->conn, arus_strbuf_cstr(&sql), 0, NULL, &r, "read column bounds",
                            err);
    if (rc == ARUS_OK) {
        *min = PQgetisnull(r, 0, 0) ? NULL : arus_arena_strdup(a, PQgetvalue(r, 0, 0));
        *max = PQgetisnull(r, 0, 1) ? NULL : arus_arena_strdup(a, PQgetvalue(r, 0, 1));
    }
    PQclear(r);
    arus_strbuf_cleanup(&col);
    arus_strbuf_cleanup(&sql);
    return rc;
}

/* A block sample of the key (TABLESAMPLE SYSTEM: a few pages read, not the table), sorted in
 * its columns' collations, cut at its quantiles. */
static int pg_key_cuts(struct arus_source *base, const struct arus_table_schema *t,
                       const size_t *key, size_t nkey, size_t k, struct arus_arena *a,
                       const char ***cuts, size_t *n, struct arus_error *err)
{
    struct pg_source *s = (struct pg_source *)base;
    struct arus_strbuf sql, cols;
    arus_strbuf_init(&sql);
    arus_strbuf_init(&cols);
    arus_strbuf_puts(&sql, "SELECT ");
    for (size_t c = 0; c < nkey; c++) {
        const struct arus_column *col = &t->columns[key[c]];
        /* qualified: a bare name in ORDER BY would name the text column of the output */
        arus_strbuf_puts(&cols, c ? ", s." : "s.");
        arus_sql_quote_ident(&cols, col->name, '"', false);
        arus_strbuf_puts(&sql, c ? ", (" : "(");
        arus_sql_quote_ident(&sql, col->name, '"', false);
        arus_strbuf_puts(&sql, col->type.ltype == ARUS_T_TIMESTAMPTZ ? " AT TIME ZONE 'UTC')::text"
                                                                     : ")::text");
    }
    arus_strbuf_puts(&sql, " FROM ");
    arus__pg_relation(&sql, t, s->schema);
    arus_strbuf_appendf(&sql, " AS s TABLESAMPLE SYSTEM (100.0 / $1) ORDER BY %s",
                        arus_strbuf_cstr(&cols));
    char every[32];
    snprintf(every, sizeof every, "%lld",
             (long long)arus_key_sample_every(t->row_count_estimate, k));
    const char *params[1] = {every};
    PGresult *r = NULL;
    int rc = arus__pg_query(s->conn, arus_strbuf_cstr(&sql), 1, params, &r, "sample the key",
                            err);
    if (rc == ARUS_OK) {
        size_t *at = arus_arena_calloc(a, k, sizeof *at);
        *n = arus_key_cuts_pick((size_t)PQntuples(r), k, at);
        *cuts = arus_arena_calloc(a, *n * nkey + 1, sizeof **cuts);
        for (size_t i = 0; i < *n * nkey; i++)
            (*cuts)[i] = arus_arena_strdup(a, PQgetvalue(r, (int)at[i / nkey], (int)(i % nkey)));
    }
    PQclear(r);
    arus_strbuf_cleanup(&cols);
    arus_strbuf_cleanup(&sql);
    return rc;
}

const struct arus_source_ops arus_source_postgresql = {
    .abi_version = ARUS_SOURCE_ABI,
    .name = "postgresql",
    .create = pg_create,
    .connect = pg_connect,
    .close = pg_close,
    .test_connection = pg_test_connection,
    .discover_tables = pg_discover_tables,
    .get_table_columns = pg_get_table_columns,
    .extract_open = pg_extract_open,
    .extract_next = pg_extract_next,
    .extract_close = pg_extract_close,
    .extract_soft_deletes = pg_extract_open,
    .discover_schemas = pg_discover_schemas,
    .commit_horizon = pg_commit_horizon,
    .cdc_start = arus__pg_cdc_start,
    .cdc_stream = arus__pg_cdc_stream,
    .cdc_next = arus__pg_cdc_next,
    .cdc_ack = arus__pg_cdc_ack,
    .cdc_status = arus__pg_cdc_status,
    .cdc_drop = arus__pg_cdc_drop,
    .cdc_position_cmp = arus__pg_cdc_position_cmp,
    .column_bounds = pg_column_bounds,
    .key_cuts = pg_key_cuts,
};

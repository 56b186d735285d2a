/* Test and debugging tool for the MySQL/MariaDB binlog decoder (src/connectors/mysql/binlog.h):
 *   capture GTID DB OUT.bin OUT.coll  raw events of DB's transactions after GTID to the binlog
 *                                   end, and the server's collations
 *   peek GTID [DB]                  decoded changes after GTID as JSON lines (rows of DB only)
 *   decode FILE.bin FILE.coll       the same from captured events (the unit tests' golden);
 *                                   decode-quiet only decodes (for bench/my_binlog_decode.sh)
 *   roundtrip GTID DB TABLE...      apply the decoded changes of each table to a model and
 *                                   compare it cell by cell with the watermark extract path
 *   heartbeat GTID                  follow (blocking) from GTID with 1 s heartbeats until the
 *                                   first heartbeat, printing the changes before it
 *   idle GTID                       the same with the server's heartbeats off and reads that
 *                                   wait at most 0.3 s: until the first read that times out
 *   follow GTID DB N                follow (blocking) until N inserts into DB were committed,
 *                                   resuming after the last committed transaction whenever the
 *                                   connection drops (what an apply loop does across a server
 *                                   restart); prints the count, distinct ids and the GTID state
 *   check                           the server settings and grants check of a CDC start
 *   snapcount DB TABLE N            consistent start: snapshot, N inserts on another session,
 *                                   then the snapshot's count plus the stream's inserts from
 *                                   its GTID must make exactly the table (no gap, no overlap)
 *   snapcount-locked DB TABLE N     the same through MySQL's snapshot (FLUSH TABLES WITH READ
 *                                   LOCK .. SHOW MASTER STATUS) and a stream from its binlog
 *                                   file and offset (the file-position mode)
 * The server comes from ARUS_MY_HOST/PORT/USER/PASSWORD (scripts/servers.sh env). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arus/arena.h"
#include "arus/config.h"
#include "arus/error.h"
#include "arus/source.h"
#include "arus/strbuf.h"
#include "connectors/mysql/binlog.h"
#include "connectors/mysql/conn.h"
#include "unit/support/read_file.h"

static const char *env_or(const char *name, const char *dflt)
{
    const char *v = getenv(name);
    return v && *v ? v : dflt;
}

static int tool_connect(MYSQL **db, struct arus_error *err)
{
    struct my_conn_cfg c = {0};
    c.endpoint = "binlog";
    c.host = (char *)env_or("ARUS_MY_HOST", "127.0.0.1");
    c.port = (unsigned)strtoul(env_or("ARUS_MY_PORT", "13306"), NULL, 10);
    c.user = (char *)env_or("ARUS_MY_USER", "root");
    c.password = (char *)getenv("ARUS_MY_PASSWORD");
    c.connect_timeout = 10;
    return arus__my_open(&c, false, db, err);
}

/* Stream changes after o->gtid to each() until the end (non-blocking), each() returning 1
 * (stop) or an error. The collations the reader read are handed to done() before closing. */
typedef int (*tool_each_fn)(void *ctx, const struct my_change *c, struct arus_error *err);

/* How long each read waits (idle: 0.3 s); negative: as long as it takes. */
static double tool_timeout = -1;

static int tool_stream(const struct my_binlog_opts *o, tool_each_fn each, void *ctx,
                       void (*done)(void *ctx, const struct my_collations *cl),
                       struct arus_error *err)
{
    struct my_binlog *b = NULL;
    struct arus_arena *a = arus_arena_create(0);
    MYSQL *db = NULL;
    int rc = tool_connect(&db, err);
    if (rc == ARUS_OK)
        rc = arus__my_binlog_open(db, o, &b, err);
    while (rc == ARUS_OK) {
        struct my_change c;
        arus__my_binlog_set_timeout(b, tool_timeout);
        rc = arus__my_binlog_next(b, a, &c, err);
        if (rc != ARUS_OK || c.kind == MY_CH_END)
            break;
        rc = each(ctx, &c, err);
        arus_arena_reset(a);
    }
    if (rc > 0)
        rc = ARUS_OK;
    if (rc == ARUS_OK && done)
        done(ctx, arus__my_binlog_collations(b));
    arus__my_binlog_close(b);
    arus_arena_destroy(a);
    return rc;
}

/* Commands that look at one database skip every other table at its TABLE_MAP, so concurrent
 * traffic on a shared server costs framing only. Their context structs start with the name. */
static int skip_other_db(void *ctx, struct my_tablemap *tm, struct arus_error *err)
{
    (void)err;
    const char *database = *(const char *const *)ctx;
    tm->skip = database && strcmp(tm->database, database) != 0;
    return ARUS_OK;
}

/* Capture keeps whole transactions of one database: events are held from a GTID event to the
 * next and written when a change of the group belongs to the database. */
struct capture {
    const char *database;
    FILE *out, *coll;
    struct arus_strbuf group;
    bool keep;
};

static void capture_flush(struct capture *cp)
{
    if (cp->keep && cp->group.len)
        fwrite(cp->group.data, 1, cp->group.len, cp->out);
    arus_strbuf_reset(&cp->group);
    cp->keep = false;
}

static void capture_event(void *ctx, const uint8_t *ev, size_t len)
{
    struct capture *cp = ctx;
    if (len > 4 && ev[4] == MY_EV_FORMAT_DESCRIPTION) { /* always: it sets the checksum */
        fwrite(ev, 1, len, cp->out);
        return;
    }
    if (len > 4 && (ev[4] == MY_EV_GTID || ev[4] == MY_EV_MYSQL_GTID))
        capture_flush(cp);
    arus_strbuf_append(&cp->group, ev, len);
}

static int capture_change(void *ctx, const struct my_change *c, struct arus_error *err)
{
    (void)err;
    struct capture *cp = ctx;
    if ((c->table && strcmp(c->table->database, cp->database) == 0) ||
        (c->kind == MY_CH_DDL && strcmp(c->database, cp->database) == 0))
        cp->keep = true;
    return ARUS_OK;
}

static void capture_done(void *ctx, const struct my_collations *cl)
{
    struct capture *cp = ctx;
    capture_flush(cp);
    for (size_t i = 0; i < cl->n; i++)
        fprintf(cp->coll, "%" PRIu32 " %s\n", cl->v[i].id, cl->v[i].charset);
}

static int cmd_capture(const char *gtid, const char *database, const char *bin, const char *coll,
                       struct arus_error *err)
{
    struct capture cp = {.database = database, .out = fopen(bin, "wb"), .coll = fopen(coll, "w")};
    arus_strbuf_init(&cp.group);
    struct my_binlog_opts o = {.gtid = gtid,
                               .non_block = true,
                               .on_tablemap = skip_other_db,
                               .ctx = &cp,
                               .on_event = capture_event};
    int rc = cp.out && cp.coll ? tool_stream(&o, capture_change, &cp, capture_done, err)
                               : arus_error_set(err, ARUS_EIO, "open %s or %s", bin, coll);
    if (cp.out)
        fclose(cp.out);
    if (cp.coll)
        fclose(cp.coll);
    arus_strbuf_cleanup(&cp.group);
    return rc;
}

static void print_change(const struct my_change *c)
{
    struct arus_strbuf sb;
    arus_strbuf_init(&sb);
    arus__my_change_to_json(c, &sb);
    printf("%s\n", sb.data);
    arus_strbuf_cleanup(&sb);
}

/* peek prints up to the binlog end (one database's rows, or all); following, it blocks and stops
 * after the first heartbeat. */
struct peek {
    const char *database; /* NULL: every table */
    bool follow;
};

static int peek_change(void *ctx, const struct my_change *c, struct arus_error *err)
{
    (void)err;
    const struct peek *pk = ctx;
    if (c->kind != MY_CH_ROTATE && (c->kind != MY_CH_HEARTBEAT || pk->follow))
        print_change(c);
    return c->kind == MY_CH_HEARTBEAT && pk->follow;
}

static int cmd_peek(const char *gtid, const char *database, bool follow, unsigned heartbeat,
                    struct arus_error *err)
{
    struct peek pk = {.database = database, .follow = follow};
    struct my_binlog_opts o = {.gtid = gtid,
                               .non_block = !follow,
                               .heartbeat_seconds = heartbeat,
                               .on_tablemap = skip_other_db,
                               .ctx = &pk};
    return tool_stream(&o, peek_change, &pk, NULL, err);
}

static int cmd_decode(const char *bin, const char *coll, bool quiet, struct arus_error *err)
{
    size_t blen, clen;
    char *events = test_read_file(bin, &blen), *colls = test_read_file(coll, &clen);
    struct arus_arena *keep = arus_arena_create(0);
    struct my_collations cl;
    struct arus_strbuf out;
    arus_strbuf_init(&out);
    int rc = events && colls ? arus__my_collations_parse(colls, clen, keep, &cl, err)
                             : arus_error_set(err, ARUS_EIO, "read %s or %s", bin, coll);
    if (rc == ARUS_OK)
        rc = arus__my_binlog_replay((const uint8_t *)events, blen, &cl, quiet ? NULL : &out, err);
    if (out.len)
        fwrite(out.data, 1, out.len, stdout);
    arus_strbuf_cleanup(&out);
    arus_arena_destroy(keep);
    free(events);
    free(colls);
    return rc;
}

/* ---- roundtrip: a model of each table built from the stream, against the extract */

struct model_row {
    struct arus_cell *cells; /* heap copies */
    bool live;
};

struct model {
    const char *database;
    const char *table;
    struct arus_table_schema *schema;
    size_t pk; /* the first primary-key column */
    struct model_row *rows;
    size_t nrows, cap;
    int problems;
};

struct roundtrip {
    struct model *m;
    size_t n;
};

static struct model *find_model(struct roundtrip *rt, const char *db, const char *table)
{
    for (size_t i = 0; i < rt->n; i++)
        if (strcmp(rt->m[i].database, db) == 0 && strcmp(rt->m[i].table, table) == 0)
            return &rt->m[i];
    return NULL;
}

static int bind_schema(void *ctx, struct my_tablemap *tm, struct arus_error *err)
{
    (void)err;
    struct model *m = find_model(ctx, tm->database, tm->table);
    if (m)
        arus__my_tablemap_bind_schema(tm, m->schema);
    tm->skip = !m;
    return ARUS_OK;
}

static bool cell_eq(const struct arus_cell *a, const struct arus_cell *b)
{
    if (!a->data || !b->data)
        return !a->data && !b->data;
    return a->len == b->len && memcmp(a->data, b->data, a->len) == 0;
}

static void cell_copy(struct arus_cell *dst, const struct arus_cell *src)
{
    free((void *)dst->data);
    dst->data = NULL;
    dst->len = src->len;
    if (src->data) {
        char *p = arus_xmalloc(src->len + 1);
        memcpy(p, src->data, src->len);
        p[src->len] = '\0';
        dst->data = p;
    }
}

static void show_cell(const char *what, const struct arus_cell *c)
{
    struct arus_strbuf sb;
    arus_strbuf_init(&sb);
    if (c->data)
        arus_json_quote(&sb, c->data, c->len);
    fprintf(stderr, "    %s: %s\n", what, c->data ? sb.data : "NULL");
    arus_strbuf_cleanup(&sb);
}

static struct model_row *model_find(struct model *m, const struct arus_cell *key)
{
    for (size_t i = 0; i < m->nrows; i++)
        if (m->rows[i].live && cell_eq(&m->rows[i].cells[m->pk], key))
            return &m->rows[i];
    return NULL;
}

/* The image's present cells must equal the model row (before images). */
static void model_check(struct model *m, const struct model_row *r, const struct my_row_image *img,
                        const char *what)
{
    for (size_t i = 0; i < img->ncolumns && i < m->schema->ncolumns; i++)
        if (img->present[i] && !cell_eq(&img->cells[i], &r->cells[i])) {
            fprintf(stderr, "%s.%s: %s image column %s differs from the model\n", m->database,
                    m->table, what, m->schema->columns[i].name);
            show_cell("model", &r->cells[i]);
            show_cell("binlog", &img->cells[i]);
            m->problems++;
        }
}

static void model_apply(struct model *m, const struct my_change *c)
{
    const struct my_row_image *key_img = c->kind == MY_CH_INSERT ? &c->after : &c->before;
    struct model_row *r = model_find(m, &key_img->cells[m->pk]);
    if (c->kind == MY_CH_INSERT) {
        if (m->nrows == m->cap) {
            m->cap = m->cap ? 2 * m->cap : 16;
            m->rows = arus_xrealloc(m->rows, m->cap * sizeof *m->rows);
        }
        r = &m->rows[m->nrows++];
        r->cells = arus_xcalloc(m->schema->ncolumns + 1, sizeof *r->cells);
        r->live = true;
    } else if (!r) {
        fprintf(stderr, "%s.%s: %s of a row the model does not have\n", m->database, m->table,
                c->kind == MY_CH_UPDATE ? "update" : "delete");
        m->problems++;
        return;
    } else {
        model_check(m, r, &c->before, "before");
    }
    if (c->kind == MY_CH_DELETE) {
        r->live = false;
        return;
    }
    for (size_t i = 0; i < c->after.ncolumns && i < m->schema->ncolumns; i++)
        if (c->after.present[i])
            cell_copy(&r->cells[i], &c->after.cells[i]);
}

/* Every live model row must be in the extract with equal cells, and vice versa. */
static void model_compare(struct model *m, struct arus_source *src, struct arus_error *err)
{
    struct arus_extract_plan plan = {.table = m->schema,
                                     .batch_size = 1000,
                                     .watermark = -1,
                                     .rows = ARUS_ROWS_ALL,
                                     .deleted_at = -1,
                                     .nulls = ARUS_NULLS_FIRST};
    struct arus_extract *x = NULL;
    struct arus_batch *b = arus_batch_create(m->schema, 1000);
    size_t seen = 0, live = 0;
    int rc = arus_source_extract_open(src, &plan, &x, err);
    while (rc == ARUS_OK) {
        arus_batch_clear(b);
        rc = arus_source_extract_next(src, x, b, err);
        if (rc != ARUS_OK || b->nrows == 0)
            break;
        for (size_t r = 0; r < b->nrows; r++) {
            struct arus_cell *row = arus_batch_row(b, r);
            struct model_row *mr = model_find(m, &row[m->pk]);
            seen++;
            if (!mr) {
                fprintf(stderr, "%s.%s: row %s in the table but not in the binlog model\n",
                        m->database, m->table, row[m->pk].data);
                m->problems++;
                continue;
            }
            for (size_t i = 0; i < m->schema->ncolumns; i++)
                if (!cell_eq(&row[i], &mr->cells[i])) {
                    fprintf(stderr, "%s.%s: row %s column %s (%s) differs\n", m->database, m->table,
                            row[m->pk].data, m->schema->columns[i].name,
                            m->schema->columns[i].source_type);
                    show_cell("extract", &row[i]);
                    show_cell("binlog ", &mr->cells[i]);
                    m->problems++;
                }
        }
    }
    arus_source_extract_close(src, x);
    arus_batch_destroy(b);
    if (rc != ARUS_OK) {
        fprintf(stderr, "extract %s: %s\n", m->table, err->msg);
        m->problems++;
    }
    for (size_t i = 0; i < m->nrows; i++)
        live += m->rows[i].live;
    if (live != seen) {
        fprintf(stderr, "%s.%s: %zu rows in the model, %zu in the table\n", m->database, m->table,
                live, seen);
        m->problems++;
    }
    printf("%s.%s: %zu rows compared, %d differences\n", m->database, m->table, seen, m->problems);
}

static int roundtrip_change(void *ctx, const struct my_change *c, struct arus_error *err)
{
    (void)err;
    struct model *m = c->table ? find_model(ctx, c->table->database, c->table->table) : NULL;
    if (m)
        model_apply(m, c);
    return ARUS_OK;
}

static int cmd_roundtrip(const char *gtid, const char *db, char **tables, size_t n,
                         struct arus_error *err)
{
    char yaml[1024];
    int len = snprintf(yaml, sizeof yaml,
                       "sources:\n  s: {type: mysql, host: \"%s\", port: %s, username: \"%s\", "
                       "password: \"${ARUS_MY_PASSWORD}\", database: \"%s\"}\n",
                       env_or("ARUS_MY_HOST", "127.0.0.1"), env_or("ARUS_MY_PORT", "13306"),
                       env_or("ARUS_MY_USER", "root"), db);
    struct arus_config *cfg = NULL;
    struct arus_source *src = NULL;
    struct arus_arena *keep = arus_arena_create(0);
    struct roundtrip rt = {.m = arus_xcalloc(n, sizeof *rt.m), .n = n};
    int rc = arus_config_load_string("roundtrip.yml", yaml, (size_t)len, &cfg, err);
    if (rc == ARUS_OK)
        rc = arus_source_create(arus_config_source(cfg, "s"), &src, err);
    if (rc == ARUS_OK)
        rc = arus_source_connect(src, err);
    for (size_t i = 0; i < n && rc == ARUS_OK; i++) {
        rt.m[i].database = db;
        rt.m[i].table = tables[i];
        rc = arus_source_get_table_columns(src, tables[i], keep, &rt.m[i].schema, err);
        size_t pk[64];
        if (rc == ARUS_OK && arus_schema_pk(rt.m[i].schema, pk) == 0)
            rc = arus_error_set(err, ARUS_EINVAL, "table %s has no primary key", tables[i]);
        if (rc == ARUS_OK)
            rt.m[i].pk = pk[0];
    }
    struct my_binlog_opts o = {
        .gtid = gtid, .non_block = true, .on_tablemap = bind_schema, .ctx = &rt};
    if (rc == ARUS_OK)
        rc = tool_stream(&o, roundtrip_change, &rt, NULL, err);
    int problems = 0;
    for (size_t i = 0; i < n && rc == ARUS_OK; i++) {
        model_compare(&rt.m[i], src, err);
        problems += rt.m[i].problems;
    }
    if (rc == ARUS_OK && problems)
        rc = arus_error_set(err, ARUS_EDATA, "%d differences between binlog and extract", problems);
    for (size_t i = 0; i < n; i++) {
        for (size_t r = 0; r < rt.m[i].nrows; r++) {
            for (size_t k = 0; rt.m[i].schema && k < rt.m[i].schema->ncolumns; k++)
                free((void *)rt.m[i].rows[r].cells[k].data);
            free(rt.m[i].rows[r].cells);
        }
        free(rt.m[i].rows);
    }
    free(rt.m);
    arus_source_close(src);
    arus_config_destroy(cfg);
    arus_arena_destroy(keep);
    return rc;
}

/* follow: inserts of the open transaction count only once it commits, and the resume position
 * is the GTID state after the last committed one, so a reconnect neither loses nor repeats. */
struct follow {
    const char *database;
    char state[512];
    long long want, committed, pending;
    bool *seen; /* ids 1..want */
    long long distinct;
    long long pending_ids[4096];
};

static int follow_change(void *ctx, const struct my_change *c, struct arus_error *err)
{
    struct follow *f = ctx;
    if (c->kind == MY_CH_BEGIN)
        f->pending = 0;
    else if (c->kind == MY_CH_INSERT && strcmp(c->table->database, f->database) == 0 &&
             c->after.cells[0].data && f->pending < 4096)
        f->pending_ids[f->pending++] = strtoll(c->after.cells[0].data, NULL, 10);
    if (c->kind != MY_CH_COMMIT && c->kind != MY_CH_DDL)
        return ARUS_OK;
    for (long long i = 0; i < f->pending; i++) {
        long long id = f->pending_ids[i];
        if (id >= 1 && id <= f->want && !f->seen[id]) {
            f->seen[id] = true;
            f->distinct++;
        }
    }
    f->committed += c->kind == MY_CH_COMMIT ? f->pending : 0;
    f->pending = 0;
    int rc = arus__my_gtid_state_merge(f->state, sizeof f->state, c->gtid, err);
    return rc != ARUS_OK ? rc : f->committed >= f->want;
}

static int cmd_follow(const char *gtid, const char *database, long long want,
                      struct arus_error *err)
{
    struct follow f = {.database = database, .want = want};
    f.seen = arus_xcalloc((size_t)want + 1, sizeof *f.seen);
    snprintf(f.state, sizeof f.state, "%s", gtid);
    int rc = ARUS_OK, reconnects = 0;
    while (f.committed < want) {
        struct my_binlog_opts o = {
            .gtid = f.state, .heartbeat_seconds = 1, .on_tablemap = skip_other_db, .ctx = &f};
        rc = tool_stream(&o, follow_change, &f, NULL, err);
        if (rc != ARUS_ECONNECT || ++reconnects > 120)
            break;
        f.pending = 0; /* the open transaction comes again after the reconnect */
        struct timespec pause = {0, 500000000};
        nanosleep(&pause, NULL);
    }
    if (rc == ARUS_OK)
        printf("%lld inserts, %lld distinct, %d reconnects, state %s\n", f.committed, f.distinct,
               reconnects, f.state);
    free(f.seen);
    return rc;
}

static int cmd_check(struct arus_error *err)
{
    MYSQL *db = NULL;
    struct arus_strbuf lines;
    arus_strbuf_init(&lines);
    int rc = tool_connect(&db, err);
    if (rc == ARUS_OK)
        rc = arus__my_cdc_check_server(db, true, &lines, err);
    if (rc == ARUS_OK)
        printf("server ready for binlog CDC\n");
    else if (lines.len)
        fprintf(stderr, "server not ready for binlog CDC:\n%s", lines.data);
    arus_strbuf_cleanup(&lines);
    if (db)
        mysql_close(db);
    return rc;
}

static int count_rows(MYSQL *db, const char *dbname, const char *table, long long *n,
                      struct arus_error *err)
{
    struct arus_strbuf sql;
    struct my_rows rows;
    struct arus_arena *a = arus_arena_create(0);
    arus_strbuf_init(&sql);
    arus_strbuf_puts(&sql, "SELECT COUNT(*) FROM ");
    arus_sql_quote_ident(&sql, dbname, '`', false);
    arus_strbuf_putc(&sql, '.');
    arus_sql_quote_ident(&sql, table, '`', false);
    int rc = arus__my_query(db, sql.data, NULL, 0, a, &rows, NULL, err, "count rows");
    if (rc == ARUS_OK)
        *n = strtoll(rows.cells[0], NULL, 10);
    arus_strbuf_cleanup(&sql);
    arus_arena_destroy(a);
    return rc;
}

struct snapcount {
    const char *database, *table;
    long long inserts;
};

static int snapcount_change(void *ctx, const struct my_change *c, struct arus_error *err)
{
    (void)err;
    struct snapcount *sc = ctx;
    if (c->kind == MY_CH_INSERT && strcmp(c->table->database, sc->database) == 0 &&
        strcmp(c->table->table, sc->table) == 0)
        sc->inserts++;
    return ARUS_OK;
}

static int cmd_snapcount(const char *dbname, const char *table, long long n, bool locked,
                         struct arus_error *err)
{
    MYSQL *snap = NULL, *writer = NULL;
    char gtid[256], file[256];
    uint64_t pos = 0;
    long long before = 0, after = 0, streamed = 0;
    int rc = tool_connect(&snap, err);
    if (rc == ARUS_OK)
        rc = tool_connect(&writer, err);
    if (rc == ARUS_OK)
        rc = (locked ? arus__my_cdc_snapshot_locked : arus__my_cdc_snapshot)(
            snap, gtid, sizeof gtid, file, sizeof file, &pos, err);
    struct arus_strbuf sql;
    arus_strbuf_init(&sql);
    arus_strbuf_puts(&sql, "INSERT INTO ");
    arus_sql_quote_ident(&sql, dbname, '`', false);
    arus_strbuf_putc(&sql, '.');
    arus_sql_quote_ident(&sql, table, '`', false);
    arus_strbuf_puts(&sql, " () VALUES ()");
    for (long long i = 0; i < n && rc == ARUS_OK; i++) /* commits after the snapshot */
        rc = arus__my_exec(writer, sql.data, err, "insert");
    arus_strbuf_cleanup(&sql);
    if (rc == ARUS_OK)
        rc = count_rows(snap, dbname, table, &before, err);
    if (rc == ARUS_OK)
        rc = arus__my_exec(snap, "COMMIT", err, "end the snapshot");
    if (rc == ARUS_OK)
        rc = count_rows(writer, dbname, table, &after, err);
    struct snapcount sc = {.database = dbname, .table = table};
    struct my_binlog_opts o = {.gtid = gtid,
                               .file = locked ? file : NULL,
                               .pos = pos,
                               .non_block = true,
                               .on_tablemap = skip_other_db,
                               .ctx = &sc};
    if (rc == ARUS_OK)
        rc = tool_stream(&o, snapcount_change, &sc, NULL, err);
    streamed = sc.inserts;
    if (rc == ARUS_OK)
        printf("snapshot at %s (%s:%" PRIu64 "): %lld rows, %lld streamed, %lld in the table\n",
               gtid, file, pos, before, streamed, after);
    if (rc == ARUS_OK && before + streamed != after)
        rc = arus_error_set(err, ARUS_EDATA, "gap or overlap: %lld + %lld != %lld", before,
                            streamed, after);
    if (snap)
        mysql_close(snap);
    if (writer)
        mysql_close(writer);
    return rc;
}

int main(int argc, char **argv)
{
    struct arus_error err;
    arus_error_clear(&err);
    int rc;
    if (argc == 6 && strcmp(argv[1], "capture") == 0)
        rc = cmd_capture(argv[2], argv[3], argv[4], argv[5], &err);
    else if (argc == 3 && strcmp(argv[1], "peek") == 0)
        rc = cmd_peek(argv[2], NULL, false, 0, &err);
    else if (argc == 4 && strcmp(argv[1], "peek") == 0)
        rc = cmd_peek(argv[2], argv[3], false, 0, &err);
    else if (argc == 3 && strcmp(argv[1], "heartbeat") == 0)
        rc = cmd_peek(argv[2], NULL, true, 1, &err);
    else if (argc == 3 && strcmp(argv[1], "idle") == 0) {
        tool_timeout = 0.3;
        rc = cmd_peek(argv[2], NULL, true, 0, &err);
    }
    else if (argc == 4 && strcmp(argv[1], "decode") == 0)
        rc = cmd_decode(argv[2], argv[3], false, &err);
    else if (argc == 4 && strcmp(argv[1], "decode-quiet") == 0)
        rc = cmd_decode(argv[2], argv[3], true, &err);
    else if (argc == 5 && strcmp(argv[1], "follow") == 0)
        rc = cmd_follow(argv[2], argv[3], strtoll(argv[4], NULL, 10), &err);
    else if (argc == 2 && strcmp(argv[1], "check") == 0)
        rc = cmd_check(&err);
    else if (argc == 5 && strcmp(argv[1], "snapcount") == 0)
        rc = cmd_snapcount(argv[2], argv[3], strtoll(argv[4], NULL, 10), false, &err);
    else if (argc == 5 && strcmp(argv[1], "snapcount-locked") == 0)
        rc = cmd_snapcount(argv[2], argv[3], strtoll(argv[4], NULL, 10), true, &err);
    else if (argc >= 5 && strcmp(argv[1], "roundtrip") == 0)
        rc = cmd_roundtrip(argv[2], argv[3], argv + 4, (size_t)(argc - 4), &err);
    else {
        fprintf(
            stderr,
            "usage: %s capture GTID DB OUT.bin OUT.coll | peek GTID [DB] | heartbeat GTID | "
            "idle GTID | decode FILE.bin "
            "FILE.coll | roundtrip GTID DB TABLE... | follow GTID DB N | check | snapcount[-locked] DB "
            "TABLE N\n",
            argv[0]);
        return 2;
    }
    if (rc != ARUS_OK) {
        fprintf(stderr, "error: %s\n", err.msg);
        return 1;
    }
    return 0;
}

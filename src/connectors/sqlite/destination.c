/* SQLite destination, the embedded default. SQLite has no schemas, so the spec's schemas become
 * table-name prefixes: <target_schema>__<table>, <raw_schema>__<source>_<table>_raw and
 * arus_state__watermarks / arus_state__runs. Every batch and its watermark commit in one
 * transaction; the pipeline lock is an flock(2) on "<path>.<pipeline>.arus-lock". The
 * connections of one run (`parallelism`) take turns on the file (turn.c). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "arus/arena.h"
#include "arus/destination.h"
#include "arus/extract_sql.h"
#include "arus/state.h"
#include "arus/strbuf.h"
#include "arus/util.h"
#include "connectors/sqlite/conn.h"
#include "connectors/sqlite/typemap.h"

struct sqlite_dest {
    struct arus_destination base;
    const char *path;
    const char *raw_schema;
    const char *target_schema;
    sqlite3 *db;
    int lock_fd;
    struct arus__sqlite_turn *turn; /* this file's turn among our connections, once open */
    unsigned depth;                 /* nested sqlite_enter calls */
    bool holding, in_tx;
};

static struct sqlite_dest *sqlite_of(struct arus_destination *d) { return (struct sqlite_dest *)d; }

static int sqlite_create(const struct arus_endpoint *ep, struct arus_destination **out,
                         struct arus_error *err)
{
    const char *path = NULL, *raw = ARUS_DEFAULT_RAW_SCHEMA, *target = ARUS_DEFAULT_TARGET_SCHEMA;
    int rc;
    if ((rc = arus__sqlite_config_path(ep, &path, err)) ||
        (rc = arus_cfg_str(ep->node, "raw_schema", &raw, err)) ||
        (rc = arus_cfg_str(ep->node, "target_schema", &target, err)))
        return rc;
    struct sqlite_dest *d = arus_xcalloc(1, sizeof *d);
    d->path = path;
    d->raw_schema = raw;
    d->target_schema = target;
    d->lock_fd = -1;
    *out = &d->base;
    return ARUS_OK;
}

/* Open the database file, creating it when missing. */
static int sqlite_open_db(struct sqlite_dest *d, struct arus_error *err)
{
    if (d->db)
        return ARUS_OK;
    int rc = arus__sqlite_open(d->base.endpoint, d->path, true, &d->db, err);
    if (rc == ARUS_OK)
        d->turn = arus__sqlite_turn_get(d->path);
    return rc;
}

/* Hold this connection's turn on the file (turn.c) around a slot that touches it, and from
 * begin to the end of the transaction; inner calls find it held. Connections of other threads
 * wait in line instead of polling SQLite's lock, so none starves. Without a file yet (the
 * first call opens it) there is nobody to wait for. */
static void sqlite_enter(struct sqlite_dest *d)
{
    if (d->depth++ == 0 && d->turn) {
        arus__sqlite_turn_take(d->turn);
        d->holding = true;
    }
}

static void sqlite_leave(struct sqlite_dest *d)
{
    if (--d->depth == 0 && d->holding) {
        d->holding = false;
        arus__sqlite_turn_give(d->turn);
    }
}

/* After COMMIT or ROLLBACK: once SQLite is back in autocommit the transaction's turn ends. */
static void sqlite_tx_ended(struct sqlite_dest *d)
{
    if (d->in_tx && sqlite3_get_autocommit(d->db)) {
        d->in_tx = false;
        sqlite_leave(d);
    }
}

/* A file that does not exist yet is only opened (and so created) by the first call that needs
 * it, ensure_state for a sync or test_connection: the read-only verbs (arus state, arus runs)
 * connect too, and must not leave a file behind. Their reads find no state then. */
static int sqlite_connect(struct arus_destination *base, struct arus_error *err)
{
    struct sqlite_dest *d = sqlite_of(base);
    if (access(d->path, F_OK) == 0 || errno != ENOENT)
        return sqlite_open_db(d, err);
    /* Missing: fail now, as opening would, where the file could not be created. */
    char *dir = arus_xstrdup(d->path);
    bool writable = access(dirname(dir), W_OK | X_OK) == 0;
    free(dir);
    if (!writable)
        return arus_error_set(err, ARUS_ECONNECT, "open \"%s\" at %s: %s", base->endpoint->name,
                              d->path, sqlite3_errstr(SQLITE_CANTOPEN));
    return ARUS_OK;
}

static void sqlite_close(struct arus_destination *base)
{
    struct sqlite_dest *d = sqlite_of(base);
    if (d->holding)
        arus__sqlite_turn_give(d->turn);
    arus__sqlite_turn_put(d->turn);
    sqlite3_close(d->db);
    if (d->lock_fd >= 0)
        close(d->lock_fd);
    free(d);
}

static int sqlite_test(struct arus_destination *base, struct arus_error *err)
{
    int rc = sqlite_open_db(sqlite_of(base), err);
    return rc ? rc : arus__sqlite_exec(sqlite_of(base)->db, "SELECT 1", NULL, 0, err);
}

/* "<prefix>__<name>" quoted. */
static void sqlite_prefixed(struct arus_strbuf *sql, const char *prefix, const char *name)
{
    struct arus_strbuf n;
    arus_strbuf_init(&n);
    arus_strbuf_appendf(&n, "%s__%s", prefix, name);
    arus_sql_quote_ident(sql, arus_strbuf_cstr(&n), '"', false);
    arus_strbuf_cleanup(&n);
}

static void sqlite_normalized_ident(struct arus_strbuf *sql, const struct sqlite_dest *d,
                                    const struct arus_target *t)
{
    struct arus_strbuf n;
    arus_strbuf_init(&n);
    arus_normalized_table_name(&n, t);
    sqlite_prefixed(sql, t->target_schema ? t->target_schema : d->target_schema,
                    arus_strbuf_cstr(&n));
    arus_strbuf_cleanup(&n);
}

static void sqlite_raw_ident(struct arus_strbuf *sql, const struct sqlite_dest *d,
                             const struct arus_target *t)
{
    struct arus_strbuf n;
    arus_strbuf_init(&n);
    arus_raw_table_name(&n, t);
    sqlite_prefixed(sql, t->raw_schema ? t->raw_schema : d->raw_schema, arus_strbuf_cstr(&n));
    arus_strbuf_cleanup(&n);
}

/* Run a statement built in sql, then reset sql. */
static int sqlite_run(struct sqlite_dest *d, struct arus_strbuf *sql, struct arus_error *err)
{
    int rc = arus__sqlite_exec(d->db, arus_strbuf_cstr(sql), NULL, 0, err);
    arus_strbuf_reset(sql);
    return rc;
}

/* ---- state and history: statements generated from the layout in arus/state.h */

/* Counts are INTEGER, everything else TEXT, as these tables have always had them. */
/* Whether table (unquoted name) has column. *out is written on success. */
static int sqlite_has_column(struct sqlite_dest *d, const char *table, const char *column,
                             bool *out, struct arus_error *err)
{
    sqlite3_stmt *st = NULL;
    int rc = arus__sqlite_prepare(d->db, "SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2",
                                  &st, err);
    if (rc)
        return rc;
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, column, -1, SQLITE_STATIC);
    *out = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return ARUS_OK;
}

/* One state column: counts are INTEGER, everything else TEXT. */
static void sqlite_state_column(struct arus_strbuf *sql, const struct arus_state_column *c)
{
    arus_sql_quote_ident(sql, c->name, '"', false);
    arus_strbuf_puts(sql, c->type == ARUS_STATE_COUNT ? " INTEGER" : " TEXT");
    arus_strbuf_puts(sql, c->not_null ? " NOT NULL" : "");
}

/* Create state table t if missing, and add the columns newer versions appended to it
 * (arus_state_table.nfirst) to a table an older one made. */
static int sqlite_state_create(struct sqlite_dest *d, const struct arus_state_table *t,
                               struct arus_strbuf *sql, struct arus_error *err)
{
    arus_strbuf_puts(sql, "CREATE TABLE IF NOT EXISTS ");
    sqlite_prefixed(sql, ARUS_STATE_SCHEMA, t->name);
    arus_strbuf_puts(sql, " (");
    for (size_t i = 0; i < t->ncolumns; i++) {
        sqlite_state_column(sql, &t->columns[i]);
        arus_strbuf_puts(sql, ", ");
    }
    arus_strbuf_puts(sql, "PRIMARY KEY (");
    arus_state_names(sql, t, 0, t->nkey, '"', NULL);
    arus_strbuf_putc(sql, ')');
    arus_strbuf_putc(sql, ')');
    int rc = sqlite_run(d, sql, err);
    char name[128];
    snprintf(name, sizeof name, "%s__%s", ARUS_STATE_SCHEMA, t->name);
    for (size_t i = t->nfirst; rc == ARUS_OK && i < t->ncolumns; i++) {
        bool have = false;
        if ((rc = sqlite_has_column(d, name, t->columns[i].name, &have, err)) || have)
            continue;
        arus_strbuf_puts(sql, "ALTER TABLE ");
        sqlite_prefixed(sql, ARUS_STATE_SCHEMA, t->name);
        arus_strbuf_puts(sql, " ADD COLUMN ");
        sqlite_state_column(sql, &t->columns[i]);
        rc = sqlite_run(d, sql, err);
    }
    return rc;
}

/* The first call of a sync: the database is opened (created) for writing here, so that the
 * read-only verbs, which never call this, change nothing in the file. */
static int sqlite_ensure_state(struct arus_destination *base, struct arus_error *err)
{
    struct sqlite_dest *d = sqlite_of(base);
    int rc = sqlite_open_db(d, err);
    if (rc)
        return rc;
    /* WAL lets readers query the warehouse while a sync writes to it (a persistent setting of
     * the file, so it is made here and not on connect). */
    sqlite3_exec(d->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
    struct arus_strbuf sql;
    arus_strbuf_init(&sql);
    rc = sqlite_state_create(d, &arus_state_watermarks, &sql, err);
    if (rc == ARUS_OK)
        rc = sqlite_state_create(sqlite_of(base), &arus_state_runs, &sql, err);
    arus_strbuf_cleanup(&sql);
    return rc ? arus_error_prefix(err, "create arus_state tables in %s", sqlite_of(base)->path)
              : rc;
}

/* Insert row into state table t, or update the row with the same key. */
static int sqlite_state_upsert(struct sqlite_dest *d, const struct arus_state_table *t,
                               const struct arus_state_row *row, const char *what,
                               struct arus_error *err)
{
    struct arus_strbuf sql;
    arus_strbuf_init(&sql);
    arus_strbuf_puts(&sql, "INSERT INTO ");
    sqlite_prefixed(&sql, ARUS_STATE_SCHEMA, t->name);
    arus_strbuf_puts(&sql, " (");
    arus_state_names(&sql, t, 0, t->ncolumns, '"', NULL);
    arus_strbuf_puts(&sql, ") VALUES (");
    for (size_t i = 0; i < t->ncolumns; i++)
        arus_strbuf_appendf(&sql, "%s?%zu", i ? ", " : "", i + 1);
    arus_strbuf_puts(&sql, ") ON CONFLICT (");
    arus_state_names(&sql, t, 0, t->nkey, '"', NULL);
    arus_strbuf_puts(&sql, ") DO UPDATE SET ");
    static const char *const set[2] = {"excluded.", ""};
    arus_state_names(&sql, t, t->nkey, t->ncolumns, '"', set);
    int rc = arus__sqlite_exec(d->db, arus_strbuf_cstr(&sql), row->value, (int)t->ncolumns, err);
    arus_strbuf_cleanup(&sql);
    return rc ? arus_error_prefix(err, "%s", what) : rc;
}

/* Called with each row a state select returns, values in the layout's column order. */
typedef void (*sqlite_state_fn)(void *ctx, const char *const *values);

/* Call fn for the rows of state table t for pipeline (and table, unless NULL; at most limit),
 * in the layout's order. No rows when the table does not exist: reads never create it. */
static int sqlite_state_select(struct sqlite_dest *d, const struct arus_state_table *t,
                               const char *pipeline, const char *table, size_t limit,
                               sqlite_state_fn fn, void *ctx, const char *what,
                               struct arus_error *err)
{
    if (!d->db)
        return ARUS_OK; /* no database file yet */
    struct arus_strbuf sql;
    arus_strbuf_init(&sql);
    arus_strbuf_appendf(&sql, "%s__%s", ARUS_STATE_SCHEMA, t->name);
    const char *name = arus_strbuf_cstr(&sql);
    sqlite3_stmt *st = NULL;
    int rc = arus__sqlite_prepare(d->db, "SELECT 1 FROM sqlite_schema WHERE name = ?1", &st, err);
    if (rc == ARUS_OK) {
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        int step = sqlite3_step(st);
        if (step != SQLITE_ROW && step != SQLITE_DONE)
            rc = arus__sqlite_fail(d->db, ARUS_EQUERY, err, what);
        sqlite3_finalize(st);
        st = NULL;
        if (step != SQLITE_ROW)
            goto out;
    }
    /* A table an older version made lacks the newer columns until a sync migrates it. */
    bool old_layout = false;
    for (size_t i = t->nfirst; rc == ARUS_OK && i < t->ncolumns && !old_layout; i++) {
        bool have = false;
        rc = sqlite_has_column(d, name, t->columns[i].name, &have, err);
        old_layout = !have;
    }
    arus_strbuf_reset(&sql);
    arus_strbuf_puts(&sql, "SELECT ");
    arus_state_select_list(&sql, t, '"', old_layout, NULL);
    arus_strbuf_puts(&sql, " FROM ");
    sqlite_prefixed(&sql, ARUS_STATE_SCHEMA, t->name);
    arus_strbuf_puts(&sql, " WHERE " ARUS_STATE_PIPELINE_COLUMN " = ?1");
    if (table)
        arus_strbuf_puts(&sql, " AND " ARUS_STATE_TABLE_COLUMN " = ?2");
    arus_strbuf_appendf(&sql, " ORDER BY %s", t->order_by);
    if (!table && limit != SIZE_MAX)
        arus_strbuf_puts(&sql, " LIMIT ?2");
    if (rc != ARUS_OK || (rc = arus__sqlite_prepare(d->db, arus_strbuf_cstr(&sql), &st, err)))
        goto out;
    sqlite3_bind_text(st, 1, pipeline, -1, SQLITE_STATIC);
    if (table)
        sqlite3_bind_text(st, 2, table, -1, SQLITE_STATIC);
    else if (limit != SIZE_MAX)
        sqlite3_bind_int64(st, 2, limit > INT64_MAX ? INT64_MAX : (sqlite3_int64)limit);
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *v[ARUS_STATE_MAX_COLUMNS];
        for (size_t i = 0; i < t->ncolumns; i++)
            v[i] = (const char *)sqlite3_column_text(st, (int)i);
        fn(ctx, v);
    }
    if (step != SQLITE_DONE)
        rc = arus__sqlite_fail(d->db, ARUS_EQUERY, err, what);
out:
    sqlite3_finalize(st);
    arus_strbuf_cleanup(&sql);
    return rc;
}

static int sqlite_lock(struct arus_destination *base, const char *pipeline, struct arus_error *err)
{
    struct sqlite_dest *d = sqlite_of(base);
    struct arus_strbuf p;
    arus_strbuf_init(&p);
    arus_strbuf_appendf(&p, "%s.", d->path);
    /* The pipeline name becomes part of a file name: keep it to safe characters. */
    for (const char *c = pipeline; *c; c++)
        arus_strbuf_putc(&p, (strchr("/\\ \t\n", *c) || *c == '\0') ? '_' : *c);
    arus_strbuf_puts(&p, ".arus-lock");
    int fd = open(arus_strbuf_cstr(&p), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    int rc = ARUS_OK;
    if (fd < 0)
        rc = arus_error_set(err, ARUS_EIO, "lock pipeline \"%s\": open %s: %s", pipeline,
                            arus_strbuf_cstr(&p), strerror(errno));
    else if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        rc = arus_error_set(err, ARUS_EBUSY,
                            "pipeline \"%s\" is already running (lock %s held by another run)",
                            pipeline, arus_strbuf_cstr(&p));
        close(fd);
    } else {
        d->lock_fd = fd;
    }
    arus_strbuf_cleanup(&p);
    return rc;
}

static int sqlite_unlock(struct arus_destination *base, const char *pipeline,
                         struct arus_error *err)
{
    (void)pipeline;
    (void)err;
    struct sqlite_dest *d = sqlite_of(base);
    if (d->lock_fd >= 0) {
        close(d->lock_fd);
        d->lock_fd = -1;
    }
    return ARUS_OK;
}

static void sqlite_column_def(struct arus_strbuf *sql, const struct arus_column *c,
                              bool allow_not_null)
{
    arus_sql_quote_ident(sql, c->name, '"', false);
    arus_strbuf_putc(sql, ' ');
    arus__sqlite_type_to_native(&c->type, sql);
    if (allow_not_null && !c->nullable)
        arus_strbuf_puts(sql, " NOT NULL");
}

static int sqlite_create_normalized(struct sqlite_dest *d, const struct arus_target *t,
                                    const struct arus_table_schema *s, struct arus_error *err)
{
    struct arus_strbuf sql;
    arus_strbuf_init(&sql);
    arus_strbuf_puts(&sql, "CREATE TABLE IF NOT EXISTS ");
    sqlite_normalized_ident(&sql, d, t);
    arus_strbuf_puts(&sql, " (");
    for (size_t i = 0; i < s->ncolumns; i++) {
        sqlite_column_def(&sql, &s->columns[i], true);
        arus_strbuf_puts(&sql, ", ");
    }
    arus_strbuf_puts(&sql, "\"_arus_run_id\" TEXT NOT NULL, \"_arus_synced_at\" TEXT NOT NULL");
    size_t pk[s->ncolumns ? s->ncolumns : 1];
    size_t npk = arus_schema_pk(s, pk);
    for (size_t i = 0; i < npk; i++) {
        arus_strbuf_puts(&sql, i ? ", " : ", PRIMARY KEY (");
        arus_sql_quote_ident(&sql, s->columns[pk[i]].name, '"', false);
    }
    arus_strbuf_puts(&sql, npk ? "))" : ")");
    int rc = sqlite_run(d, &sql, err);
    arus_strbuf_cleanup(&sql);
    return rc;
}

/* Schema drift: add the source columns the table lacks (nullable: old rows have no value). */
static int sqlite_add_missing_columns(struct sqlite_dest *d, const struct arus_target *t,
                                      const struct arus_table_schema *s, struct arus_error *err)
{
    struct arus_strbuf name, sql;
    arus_strbuf_init(&name);
    arus_strbuf_init(&sql);
    arus_strbuf_appendf(&name, "%s__", t->target_schema ? t->target_schema : d->target_schema);
    arus_normalized_table_name(&name, t);
    int rc = ARUS_OK;
    for (size_t i = 0; rc == ARUS_OK && i < s->ncolumns; i++) {
        bool exists = false;
        if ((rc = sqlite_has_column(d, arus_strbuf_cstr(&name), s->columns[i].name, &exists,
                                    err)) ||
            exists)
            continue;
        arus_strbuf_puts(&sql, "ALTER TABLE ");
        sqlite_normalized_ident(&sql, d, t);
        arus_strbuf_puts(&sql, " ADD COLUMN ");
        sqlite_column_def(&sql, &s->columns[i], false);
        rc = sqlite_run(d, &sql, err);
    }
    arus_strbuf_cleanup(&name);
    arus_strbuf_cleanup(&sql);
    return rc;
}

static int sqlite_ensure_schema(struct arus_destination *base, const struct arus_target *t,
                                const struct arus_table_schema *s, struct arus_error *err)
{
    struct sqlite_dest *d = sqlite_of(base);
    struct arus_strbuf sql;
    arus_strbuf_init(&sql);
    int rc = ARUS_OK;
    if (t->shadow) {
        arus_strbuf_puts(&sql, "DROP TABLE IF EXISTS ");
        sqlite_normalized_ident(&sql, d, t);
        rc = sqlite_run(d, &sql, err);
    } else {
        arus_strbuf_puts(&sql, "CREATE TABLE IF NOT EXISTS ");
        sqlite_raw_ident(&sql, d, t);
        arus_strbuf_puts(&sql, " (\"_arus_id\" INTEGER PRIMARY KEY AUTOINCREMENT,"
                               " \"_arus_run_id\" TEXT NOT NULL,"
                               " \"_arus_extracted\" TEXT NOT NULL DEFAULT"
                               " (strftime('%Y-%m-%d %H:%M:%f', 'now')),"
                               " \"_data\" TEXT NOT NULL)");
        rc = sqlite_run(d, &sql, err);
    }
    if (rc == ARUS_OK)
        rc = sqlite_create_normalized(d, t, s, err);
    if (rc == ARUS_OK && !t->shadow)
        rc = sqlite_add_missing_columns(d, t, s, err);
    arus_strbuf_cleanup(&sql);
    return rc ? arus_error_prefix(err, "create tables for \"%s\" in %s", t->table, d->path) : rc;
}

static int sqlite_begin(struct arus_destination *base, struct arus_error *err)
{
    struct sqlite_dest *d = sqlite_of(base);
    sqlite_enter(d);
    int rc = arus__sqlite_exec(d->db, "BEGIN IMMEDIATE", NULL, 0, err);
    if (rc == ARUS_OK)
        d->in_tx = true;
    else
        sqlite_leave(d);
    return rc;
}

static int sqlite_commit(struct arus_destination *base, struct arus_error *err)
{
    struct sqlite_dest *d = sqlite_of(base);
    int rc = arus__sqlite_exec(d->db, "COMMIT", NULL, 0, err);
    sqlite_tx_ended(d);
    return rc;
}

static int sqlite_rollback(struct arus_destination *base, struct arus_error *err)
{
    struct sqlite_dest *d = sqlite_of(base);
    int rc = ARUS_OK;
    if (!sqlite3_get_autocommit(d->db))
        rc = arus__sqlite_exec(d->db, "ROLLBACK", NULL, 0, err);
    sqlite_tx_ended(d);
    return rc;
}

static int sqlite_load_raw(struct arus_destination *base, const struct arus_target *t,
                           const struct arus_batch *b, int64_t *loaded, struct arus_error *err)
{
    struct sqlite_dest *d = sqlite_of(base);
    struct arus_strbuf sql, json;
    arus_strbuf_init(&sql);
    arus_strbuf_init(&json);
    arus_strbuf_puts(&sql, "INSERT INTO ");
    sqlite_raw_ident(&sql, d, t);
    arus_strbuf_puts(&sql, " (\"_arus_run_id\", \"_data\") VALUES (?1, ?2)");
    sqlite3_stmt *st = NULL;
    int rc = arus__sqlite_prepare(d->db, arus_strbuf_cstr(&sql), &st, err);
    for (size_t r = 0; rc == ARUS_OK && r < b->nrows; r++) {
        arus_strbuf_reset(&json);
        arus_row_to_json(b, r, &json);
        sqlite3_bind_text(st, 1, t->run_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, json.data, (int)json.len, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = arus__sqlite_fail(d->db, ARUS_EQUERY, err, "insert raw row");
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    arus_strbuf_cleanup(&sql);
    arus_strbuf_cleanup(&json);
    if (rc == ARUS_OK)
        *loaded = (int64_t)b->nrows;
    return rc;
}

/* Bind one canonical cell with the storage class that keeps it exact (see typemap.c). */
static void sqlite_bind_cell(sqlite3_stmt *st, int i, const struct arus_column *col,
                             const struct arus_cell *c)
{
    if (!c->data) {
        sqlite3_bind_null(st, i);
        return;
    }
    switch (col->type.ltype) {
    case ARUS_T_BOOL:
        sqlite3_bind_int(st, i, c->data[0] == 't' || c->data[0] == '1');
        return;
    case ARUS_T_INT16:
    case ARUS_T_INT32:
    case ARUS_T_INT64:
        sqlite3_bind_int64(st, i, strtoll(c->data, NULL, 10));
        return;
    case ARUS_T_FLOAT32:
    case ARUS_T_FLOAT64: {
        /* NaN has no REAL representation in SQLite (it becomes NULL): keep it as text. */
        double v = strtod(c->data, NULL);
        if (!isnan(v) && strcmp(c->data, "NaN") != 0)
            sqlite3_bind_double(st, i, v);
        else
            sqlite3_bind_text(st, i, "NaN", 3, SQLITE_STATIC);
        return;
    }
    case ARUS_T_BYTES:
        sqlite3_bind_blob(st, i, c->data, (int)c->len, SQLITE_STATIC);
        return;
    default:
        sqlite3_bind_text(st, i, c->data, (int)c->len, SQLITE_STATIC);
        return;
    }
}

static void sqlite_build_upsert(struct arus_strbuf *sql, const struct sqlite_dest *d,
                                const struct arus_target *t, const struct arus_table_schema *s)
{
    arus_strbuf_puts(sql, "INSERT INTO ");
    sqlite_normalized_ident(sql, d, t);
    arus_strbuf_puts(sql, " (");
    for (size_t i = 0; i < s->ncolumns; i++) {
        arus_sql_quote_ident(sql, s->columns[i].name, '"', false);
        arus_strbuf_puts(sql, ", ");
    }
    arus_strbuf_puts(sql, "\"_arus_run_id\", \"_arus_synced_at\") VALUES (");
    for (size_t i = 0; i < s->ncolumns + 2; i++)
        arus_strbuf_appendf(sql, i ? ", ?%zu" : "?%zu", i + 1);
    arus_strbuf_puts(sql, ")");
    size_t pk[s->ncolumns ? s->ncolumns : 1];
    size_t npk = arus_schema_pk(s, pk);
    if (npk == 0)
        return;
    arus_strbuf_puts(sql, " ON CONFLICT (");
    for (size_t i = 0; i < npk; i++) {
        if (i)
            arus_strbuf_puts(sql, ", ");
        arus_sql_quote_ident(sql, s->columns[pk[i]].name, '"', false);
    }
    arus_strbuf_puts(sql, ") DO UPDATE SET ");
    for (size_t i = 0; i < s->ncolumns; i++) {
        arus_sql_quote_ident(sql, s->columns[i].name, '"', false);
        arus_strbuf_puts(sql, " = excluded.");
        arus_sql_quote_ident(sql, s->columns[i].name, '"', false);
        arus_strbuf_puts(sql, ", ");
    }
    arus_strbuf_puts(sql, "\"_arus_run_id\" = excluded.\"_arus_run_id\","
                          " \"_arus_synced_at\" = excluded.\"_arus_synced_at\" WHERE ");
    /* Only rewrite rows whose data changed: re-read rows stay untouched and uncounted. */
    for (size_t i = 0; i < s->ncolumns; i++) {
        if (i)
            arus_strbuf_puts(sql, " OR ");
        arus_sql_quote_ident(sql, s->columns[i].name, '"', false);
        arus_strbuf_puts(sql, " IS NOT excluded.");
        arus_sql_quote_ident(sql, s->columns[i].name, '"', false);
    }
}

static int sqlite_load_normalized(struct arus_destination *base, const struct arus_target *t,
                                  const struct arus_batch *b, int64_t *loaded,
                                  struct arus_error *err)
{
    struct sqlite_dest *d = sqlite_of(base);
    const struct arus_table_schema *s = b->schema;
    struct arus_strbuf sql;
    arus_strbuf_init(&sql);
    sqlite_build_upsert(&sql, d, t, s);
    sqlite3_stmt *st = NULL;
    int rc = arus__sqlite_prepare(d->db, arus_strbuf_cstr(&sql), &st, err);
    arus_strbuf_cleanup(&sql);
    char now[32];
    arus_now_utc(now, sizeof now);
    int64_t changed = 0;
    for (size_t r = 0; rc == ARUS_OK && r < b->nrows; r++) {
        const struct arus_cell *row = arus_batch_row(b, r);
        for (size_t i = 0; i < s->ncolumns; i++)
            sqlite_bind_cell(st, (int)i + 1, &s->columns[i], &row[i]);
        sqlite3_bind_text(st, (int)s->ncolumns + 1, t->run_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, (int)s->ncolumns + 2, now, -1, SQLITE_STATIC);
        int step = sqlite3_step(st);
        if (step != SQLITE_DONE)
            rc = arus__sqlite_fail(d->db,
                                   (step & 0xff) == SQLITE_CONSTRAINT ? ARUS_EDATA : ARUS_EQUERY,
                                   err, "insert row");
        changed += sqlite3_changes(d->db);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    if (rc == ARUS_OK)
        *loaded = changed;
    return rc ? arus_error_prefix(err, "load \"%s\" into %s", t->table, d->path) : rc;
}

static int sqlite_delete_rows(struct arus_destination *base, const struct arus_target *t,
                              const struct arus_batch *b, int64_t *deleted, struct arus_error *err)
{
    struct sqlite_dest *d = sqlite_of(base);
    const struct arus_table_schema *s = b->schema;
    size_t pk[s->ncolumns ? s->ncolumns : 1];
    size_t npk = arus_schema_pk(s, pk);
    if (npk == 0)
        return arus_error_set(err, ARUS_ENOTSUP,
                              "cannot propagate deletes of \"%s\": it has no primary key",
                              t->table);
    struct arus_strbuf sql;
    arus_strbuf_init(&sql);
    arus_strbuf_puts(&sql, "DELETE FROM ");
    sqlite_normalized_ident(&sql, d, t);
    for (size_t i = 0; i < npk; i++) {
        arus_strbuf_puts(&sql, i ? " AND " : " WHERE ");
        arus_sql_quote_ident(&sql, s->columns[pk[i]].name, '"', false);
        arus_strbuf_appendf(&sql, " = ?%zu", i + 1);
    }
    sqlite3_stmt *st = NULL;
    int rc = arus__sqlite_prepare(d->db, arus_strbuf_cstr(&sql), &st, err);
    arus_strbuf_cleanup(&sql);
    int64_t n = 0;
    for (size_t r = 0; rc == ARUS_OK && r < b->nrows; r++) {
        const struct arus_cell *row = arus_batch_row(b, r);
        for (size_t i = 0; i < npk; i++)
            sqlite_bind_cell(st, (int)i + 1, &s->columns[pk[i]], &row[pk[i]]);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = arus__sqlite_fail(d->db, ARUS_EQUERY, err, "delete row");
        n += sqlite3_changes(d->db);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    if (rc == ARUS_OK)
        *deleted = n;
    return rc;
}

/* SQLite has no TRUNCATE; DELETE without WHERE empties the table inside the transaction. */
static int sqlite_truncate_table(struct arus_destination *base, const struct arus_target *t,
                                 struct arus_error *err)
{
    struct sqlite_dest *d = sqlite_of(base);
    struct arus_strbuf sql;
    arus_strbuf_init(&sql);
    arus_strbuf_puts(&sql, "DELETE FROM ");
    sqlite_normalized_ident(&sql, d, t);
    int rc = arus__sqlite_exec(d->db, arus_strbuf_cstr(&sql), NULL, 0, err);
    arus_strbuf_cleanup(&sql);
    return rc ? arus_error_prefix(err, "truncate \"%s\" in %s", t->table, d->path) : rc;
}

static int sqlite_update_watermark(struct arus_destination *base, const struct arus_target *t,
                                   const struct arus_table_state *st, struct arus_error *err)
{
    struct arus_state_row row;
    arus_state_row_from_watermark(&row, t, st);
    return sqlite_state_upsert(sqlite_of(base), &arus_state_watermarks, &row, "store watermark",
                               err);
}

/* Rows of a state select collected in an arena, growing as they come. */
struct sqlite_rows {
    struct arus_arena *a;
    size_t n, cap;
    const char **tables;             /* watermarks: table names */
    struct arus_table_state *states; /* watermarks */
    struct arus_run_record *runs;    /* runs */
};

static void *sqlite_grow(struct arus_arena *a, void *old, size_t n, size_t cap, size_t size)
{
    void *p = arus_arena_calloc(a, cap, size);
    if (old)
        memcpy(p, old, n * size);
    return p;
}

static void sqlite_add_state(void *ctx, const char *const *v)
{
    struct sqlite_rows *r = ctx;
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        r->tables = sqlite_grow(r->a, r->tables, r->n, cap, sizeof *r->tables);
        r->states = sqlite_grow(r->a, r->states, r->n, cap, sizeof *r->states);
        r->cap = cap;
    }
    arus_state_watermark_from_values(v, r->a, &r->tables[r->n], &r->states[r->n]);
    r->n++;
}

static void sqlite_add_run(void *ctx, const char *const *v)
{
    struct sqlite_rows *r = ctx;
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        r->runs = sqlite_grow(r->a, r->runs, r->n, cap, sizeof *r->runs);
        r->cap = cap;
    }
    arus_state_run_from_values(v, r->a, &r->runs[r->n++]);
}

static int sqlite_get_watermark(struct arus_destination *base, const char *pipeline,
                                const char *table, struct arus_arena *a,
                                struct arus_table_state *out, struct arus_error *err)
{
    struct sqlite_rows r = {.a = a};
    int rc = sqlite_state_select(sqlite_of(base), &arus_state_watermarks, pipeline, table, SIZE_MAX,
                                 sqlite_add_state, &r, "read watermark", err);
    if (rc == ARUS_OK && r.n)
        *out = r.states[0];
    else if (rc == ARUS_OK)
        memset(out, 0, sizeof *out);
    return rc;
}

static int sqlite_list_state(struct arus_destination *base, const char *pipeline,
                             struct arus_arena *a, const char ***tables,
                             struct arus_table_state **states, size_t *n, struct arus_error *err)
{
    struct sqlite_rows r = {.a = a};
    int rc = sqlite_state_select(sqlite_of(base), &arus_state_watermarks, pipeline, NULL, SIZE_MAX,
                                 sqlite_add_state, &r, "read state", err);
    if (rc != ARUS_OK)
        return rc;
    *tables = r.tables;
    *states = r.states;
    *n = r.n;
    return ARUS_OK;
}

static int sqlite_record_run(struct arus_destination *base, const struct arus_run_record *r,
                             struct arus_error *err)
{
    struct arus_state_row row;
    arus_state_row_from_run(&row, r);
    return sqlite_state_upsert(sqlite_of(base), &arus_state_runs, &row, "record run", err);
}

static int sqlite_list_runs(struct arus_destination *base, const char *pipeline, size_t limit,
                            struct arus_arena *a, struct arus_run_record **out, size_t *n,
                            struct arus_error *err)
{
    struct sqlite_rows r = {.a = a};
    int rc = sqlite_state_select(sqlite_of(base), &arus_state_runs, pipeline, NULL, limit,
                                 sqlite_add_run, &r, "read run history", err);
    if (rc != ARUS_OK)
        return rc;
    *out = r.runs;
    *n = r.n;
    return ARUS_OK;
}

static int sqlite_swap_shadow(struct arus_destination *base, const struct arus_target *t,
                              struct arus_error *err)
{
    struct sqlite_dest *d = sqlite_of(base);
    struct arus_target live = *t, shadow = *t;
    live.shadow = false;
    shadow.shadow = true;
    struct arus_strbuf sql, name;
    arus_strbuf_init(&sql);
    arus_strbuf_init(&name);
    arus_strbuf_puts(&sql, "DROP TABLE IF EXISTS ");
    sqlite_normalized_ident(&sql, d, &live);
    int rc = sqlite_run(d, &sql, err);
    if (rc == ARUS_OK) {
        arus_strbuf_appendf(&name, "%s__", t->target_schema ? t->target_schema : d->target_schema);
        arus_normalized_table_name(&name, &live);
        arus_strbuf_puts(&sql, "ALTER TABLE ");
        sqlite_normalized_ident(&sql, d, &shadow);
        arus_strbuf_puts(&sql, " RENAME TO ");
        arus_sql_quote_ident(&sql, arus_strbuf_cstr(&name), '"', false);
        rc = sqlite_run(d, &sql, err);
    }
    arus_strbuf_cleanup(&sql);
    arus_strbuf_cleanup(&name);
    return rc ? arus_error_prefix(err, "swap refreshed \"%s\" into place", t->table) : rc;
}

static int sqlite_drop_shadow(struct arus_destination *base, const struct arus_target *t,
                              struct arus_error *err)
{
    struct sqlite_dest *d = sqlite_of(base);
    struct arus_target shadow = *t;
    shadow.shadow = true;
    struct arus_strbuf sql;
    arus_strbuf_init(&sql);
    arus_strbuf_puts(&sql, "DROP TABLE IF EXISTS ");
    sqlite_normalized_ident(&sql, d, &shadow);
    int rc = sqlite_run(d, &sql, err);
    arus_strbuf_cleanup(&sql);
    return rc;
}

static int sqlite_write_dead_letter(struct arus_destination *base, const struct arus_target *t,
                                    const char *row_json, const char *error, struct arus_error *err)
{
    struct sqlite_dest *d = sqlite_of(base);
    const char *schema = t->raw_schema ? t->raw_schema : d->raw_schema;
    struct arus_strbuf sql;
    arus_strbuf_init(&sql);
    arus_strbuf_puts(&sql, "CREATE TABLE IF NOT EXISTS ");
    sqlite_prefixed(&sql, schema, "_dead_letters");
    arus_strbuf_puts(&sql, " (source TEXT NOT NULL, table_name TEXT NOT NULL, run_id TEXT NOT NULL,"
                           " row_data TEXT NOT NULL, error TEXT NOT NULL, created_at TEXT NOT NULL"
                           " DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')))");
    int rc = sqlite_run(d, &sql, err);
    if (rc == ARUS_OK) {
        arus_strbuf_puts(&sql, "INSERT INTO ");
        sqlite_prefixed(&sql, schema, "_dead_letters");
        arus_strbuf_puts(&sql, " (source, table_name, run_id, row_data, error)"
                               " VALUES (?1, ?2, ?3, ?4, ?5)");
        const char *params[] = {t->source_name, t->table, t->run_id, row_json, error};
        rc = arus__sqlite_exec(d->db, arus_strbuf_cstr(&sql), params, 5, err);
    }
    arus_strbuf_cleanup(&sql);
    return rc ? arus_error_prefix(err, "store refused row of \"%s\"", t->table) : rc;
}

/* ---- read back (arus verify) */

static void sqlite_page_param(void *ctx, struct arus_strbuf *sql, size_t i,
                              const struct arus_column *c)
{
    (void)ctx;
    (void)c;
    arus_strbuf_appendf(sql, "?%zu", i + 1);
}

/* Text keys compare with the BINARY collation, byte order. */
static const struct arus_sql_page_dialect sqlite_page = {.quote = '"',
                                                         .param = sqlite_page_param};

static int sqlite_read_rows(struct arus_destination *base, const struct arus_target *t,
                            const struct arus_cell *after, struct arus_batch *b,
                            struct arus_error *err)
{
    struct sqlite_dest *d = sqlite_of(base);
    const struct arus_table_schema *s = b->schema;
    if (!d->db) /* the file did not exist: nothing was ever synced into it */
        return arus_error_set(err, ARUS_ENOTFOUND, "read back \"%s\": %s does not exist",
                              t->table, d->path);
    struct arus_target live = *t;
    live.shadow = false;
    size_t pk[s->ncolumns ? s->ncolumns : 1];
    size_t npk = arus_schema_pk(s, pk);
    struct arus_strbuf sql, from;
    arus_strbuf_init(&sql);
    arus_strbuf_init(&from);
    sqlite_normalized_ident(&from, d, &live);
    arus_sql_read_page(s, arus_strbuf_cstr(&from), false, after != NULL, b->capacity,
                       &sqlite_page, NULL, &sql);
    sqlite3_stmt *st = NULL;
    int rc = arus__sqlite_prepare(d->db, arus_strbuf_cstr(&sql), &st, err);
    for (size_t i = 0; rc == ARUS_OK && after && i < npk; i++)
        sqlite_bind_cell(st, (int)i + 1, &s->columns[pk[i]], &after[i]);
    int step = SQLITE_DONE;
    while (rc == ARUS_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
        struct arus_cell *cells = arus_batch_add_row(b);
        for (size_t i = 0; i < s->ncolumns; i++)
            arus__sqlite_render_cell(b, &cells[i], &s->columns[i], st, (int)i);
    }
    if (rc == ARUS_OK && step != SQLITE_DONE)
        rc = arus__sqlite_fail(d->db, ARUS_EQUERY, err, "read back rows");
    sqlite3_finalize(st);
    arus_strbuf_cleanup(&from);
    arus_strbuf_cleanup(&sql);
    return rc;
}

/* Whether the raw or normalized table of t exists and holds a row. */
static int sqlite_table_rows(struct arus_destination *base, const struct arus_target *t, bool raw,
                             int64_t *rows, struct arus_error *err)
{
    struct sqlite_dest *d = sqlite_of(base);
    if (!d->db) {
        *rows = -1; /* no database file yet */
        return ARUS_OK;
    }
    struct arus_strbuf name, sql;
    arus_strbuf_init(&name);
    arus_strbuf_init(&sql);
    if (raw) {
        arus_strbuf_appendf(&name, "%s__", t->raw_schema ? t->raw_schema : d->raw_schema);
        arus_raw_table_name(&name, t);
    } else {
        arus_strbuf_appendf(&name, "%s__", t->target_schema ? t->target_schema : d->target_schema);
        arus_normalized_table_name(&name, t);
    }
    sqlite3_stmt *st = NULL;
    int64_t n = -1;
    int rc = arus__sqlite_prepare(d->db, "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND "
                                         "name = ?1", &st, err);
    if (rc == ARUS_OK) {
        sqlite3_bind_text(st, 1, arus_strbuf_cstr(&name), -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW)
            n = 0;
        sqlite3_finalize(st);
        st = NULL;
    }
    if (rc == ARUS_OK && n == 0) {
        arus_strbuf_puts(&sql, "SELECT 1 FROM ");
        arus_sql_quote_ident(&sql, arus_strbuf_cstr(&name), '"', false);
        arus_strbuf_puts(&sql, " LIMIT 1");
        if ((rc = arus__sqlite_prepare(d->db, arus_strbuf_cstr(&sql), &st, err)) == ARUS_OK) {
            int step = sqlite3_step(st);
            if (step == SQLITE_ROW)
                n = 1;
            else if (step != SQLITE_DONE)
                rc = arus__sqlite_fail(d->db, ARUS_EQUERY, err, "probe table");
        }
        sqlite3_finalize(st);
    }
    arus_strbuf_cleanup(&name);
    arus_strbuf_cleanup(&sql);
    if (rc == ARUS_OK)
        *rows = n;
    return rc;
}

static int sqlite_forget_state(struct arus_destination *base, const char *pipeline,
                               const char *table, int64_t *forgotten, struct arus_error *err)
{
    struct sqlite_dest *d = sqlite_of(base);
    *forgotten = 0;
    int64_t exists = 0;
    struct arus_strbuf sql;
    arus_strbuf_init(&sql);
    sqlite3_stmt *st = NULL;
    int rc = d->db ? arus__sqlite_prepare(d->db, "SELECT 1 FROM sqlite_schema WHERE name = ?1", &st,
                                          err)
                   : ARUS_OK;
    if (st) {
        sqlite3_bind_text(st, 1, ARUS_STATE_SCHEMA "__watermarks", -1, SQLITE_STATIC);
        exists = sqlite3_step(st) == SQLITE_ROW;
        sqlite3_finalize(st);
    }
    if (rc == ARUS_OK && exists) {
        arus_strbuf_puts(&sql, "DELETE FROM ");
        sqlite_prefixed(&sql, ARUS_STATE_SCHEMA, arus_state_watermarks.name);
        arus_strbuf_puts(&sql, " WHERE " ARUS_STATE_PIPELINE_COLUMN " = ?1");
        if (table)
            arus_strbuf_puts(&sql, " AND " ARUS_STATE_TABLE_COLUMN " = ?2");
        const char *params[] = {pipeline, table};
        rc = arus__sqlite_exec(d->db, arus_strbuf_cstr(&sql), params, table ? 2 : 1, err);
        if (rc == ARUS_OK)
            *forgotten = sqlite3_changes(d->db);
    }
    arus_strbuf_cleanup(&sql);
    return rc ? arus_error_prefix(err, "forget state of pipeline \"%s\"", pipeline) : rc;
}

static int sqlite_list_dead_letters(struct arus_destination *base, const struct arus_target *t,
                                    struct arus_arena *a, struct arus_dead_letter **out,
                                    size_t *n, struct arus_error *err)
{
    struct sqlite_dest *d = sqlite_of(base);
    *out = NULL;
    *n = 0;
    int64_t exists = -1;
    struct arus_strbuf sql;
    arus_strbuf_init(&sql);
    arus_strbuf_appendf(&sql, "%s___dead_letters", t->raw_schema ? t->raw_schema : d->raw_schema);
    sqlite3_stmt *st = NULL;
    int rc = d->db ? arus__sqlite_prepare(d->db, "SELECT 1 FROM sqlite_schema WHERE name = ?1",
                                          &st, err)
                   : ARUS_OK;
    if (st) {
        sqlite3_bind_text(st, 1, arus_strbuf_cstr(&sql), -1, SQLITE_TRANSIENT);
        exists = sqlite3_step(st) == SQLITE_ROW;
        sqlite3_finalize(st);
        st = NULL;
    }
    arus_strbuf_reset(&sql);
    if (rc != ARUS_OK || exists != 1)
        goto out;
    arus_strbuf_puts(&sql, "SELECT rowid, table_name, run_id, row_data, error, created_at FROM ");
    sqlite_prefixed(&sql, t->raw_schema ? t->raw_schema : d->raw_schema, "_dead_letters");
    arus_strbuf_puts(&sql, " WHERE source = ?1");
    if (t->table)
        arus_strbuf_puts(&sql, " AND table_name = ?2");
    arus_strbuf_puts(&sql, " ORDER BY created_at, rowid");
    if ((rc = arus__sqlite_prepare(d->db, arus_strbuf_cstr(&sql), &st, err)))
        goto out;
    sqlite3_bind_text(st, 1, t->source_name, -1, SQLITE_STATIC);
    if (t->table)
        sqlite3_bind_text(st, 2, t->table, -1, SQLITE_STATIC);
    size_t cap = 0;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            *out = sqlite_grow(a, *out, *n, cap, sizeof **out);
        }
        const char *v[6];
        for (int i = 0; i < 6; i++)
            v[i] = arus_arena_strdup(a, (const char *)sqlite3_column_text(st, i));
        (*out)[(*n)++] = (struct arus_dead_letter){.id = v[0], .table = v[1], .run_id = v[2],
                                                   .row_data = v[3], .error = v[4],
                                                   .created_at = v[5]};
    }
    if (step != SQLITE_DONE)
        rc = arus__sqlite_fail(d->db, ARUS_EQUERY, err, "read dead letters");
out:
    sqlite3_finalize(st);
    arus_strbuf_cleanup(&sql);
    return rc;
}

static int sqlite_delete_dead_letter(struct arus_destination *base, const struct arus_target *t,
                                     const struct arus_dead_letter *dl, struct arus_error *err)
{
    struct sqlite_dest *d = sqlite_of(base);
    struct arus_strbuf sql;
    arus_strbuf_init(&sql);
    arus_strbuf_puts(&sql, "DELETE FROM ");
    sqlite_prefixed(&sql, t->raw_schema ? t->raw_schema : d->raw_schema, "_dead_letters");
    arus_strbuf_puts(&sql, " WHERE rowid = CAST(?1 AS INTEGER)");
    const char *params[] = {dl->id};
    int rc = arus__sqlite_exec(d->db, arus_strbuf_cstr(&sql), params, 1, err);
    arus_strbuf_cleanup(&sql);
    return rc;
}

/* The typed table's declared columns (pragma_table_info), mapped back like a SQLite source's. */
static int sqlite_describe_table(struct arus_destination *base, const struct arus_target *t,
                                 struct arus_arena *a, struct arus_table_schema **out,
                                 struct arus_error *err)
{
    struct sqlite_dest *d = sqlite_of(base);
    *out = NULL;
    if (!d->db)
        return ARUS_OK;
    struct arus_strbuf name;
    arus_strbuf_init(&name);
    arus_strbuf_appendf(&name, "%s__", t->target_schema ? t->target_schema : d->target_schema);
    arus_normalized_table_name(&name, t);
    sqlite3_stmt *st = NULL;
    int rc = arus__sqlite_prepare(d->db, "SELECT name, type, \"notnull\", pk FROM "
                                         "pragma_table_info(?1) ORDER BY cid", &st, err);
    struct arus_table_schema *s = NULL;
    size_t cap = 0;
    int step = SQLITE_DONE;
    if (rc == ARUS_OK) {
        sqlite3_bind_text(st, 1, arus_strbuf_cstr(&name), -1, SQLITE_STATIC);
        while ((step = sqlite3_step(st)) == SQLITE_ROW) {
            if (!s)
                s = arus_arena_calloc(a, 1, sizeof *s);
            const char *col = (const char *)sqlite3_column_text(st, 0);
            if (s->ncolumns == cap) {
                cap = cap ? cap * 2 : 16;
                s->columns = sqlite_grow(a, s->columns, s->ncolumns, cap, sizeof *s->columns);
            }
            struct arus_column *c = &s->columns[s->ncolumns++];
            c->name = arus_arena_strdup(a, col);
            c->source_type = arus_arena_strdup(a, (const char *)sqlite3_column_text(st, 1));
            arus__sqlite_type_from_native(c->source_type, &c->type);
            c->nullable = sqlite3_column_int(st, 2) == 0;
            c->pk_ordinal = sqlite3_column_int(st, 3);
        }
        if (step != SQLITE_DONE)
            rc = arus__sqlite_fail(d->db, ARUS_EQUERY, err, "describe table");
    }
    sqlite3_finalize(st);
    if (s)
        s->name = arus_arena_strdup(a, arus_strbuf_cstr(&name));
    arus_strbuf_cleanup(&name);
    if (rc == ARUS_OK)
        *out = s;
    return rc;
}

/* SQLite keeps a column's declared type for good, but stores any value in any column: a wider
 * value needs no ALTER (alter_column_type is left out, the engine notes the widening). */
static int sqlite_null_columns(struct arus_destination *base, const struct arus_target *t,
                               const char *const *names, size_t n, int64_t *changed,
                               struct arus_error *err)
{
    struct sqlite_dest *d = sqlite_of(base);
    struct arus_strbuf sql;
    arus_strbuf_init(&sql);
    arus_strbuf_puts(&sql, "UPDATE ");
    sqlite_normalized_ident(&sql, d, t);
    for (size_t i = 0; i < n; i++) {
        arus_strbuf_puts(&sql, i ? ", " : " SET ");
        arus_sql_quote_ident(&sql, names[i], '"', false);
        arus_strbuf_puts(&sql, " = NULL");
    }
    arus_strbuf_puts(&sql, " WHERE \"_arus_run_id\" = ?1");
    const char *params[] = {t->run_id};
    int rc = arus__sqlite_exec(d->db, arus_strbuf_cstr(&sql), params, 1, err);
    arus_strbuf_cleanup(&sql);
    if (rc == ARUS_OK)
        *changed = sqlite3_changes(d->db);
    return rc;
}

/* Each slot that touches the file runs on this connection's turn (sqlite_enter). */
#define SQLITE_ON_TURN(slot, params, args)                                                         \
    static int slot##_on_turn params                                                               \
    {                                                                                              \
        struct sqlite_dest *d = sqlite_of(base);                                                   \
        sqlite_enter(d);                                                                           \
        int rc = slot args;                                                                        \
        sqlite_leave(d);                                                                           \
        return rc;                                                                                 \
    }
SQLITE_ON_TURN(sqlite_test, (struct arus_destination *base, struct arus_error *err), (base, err))
SQLITE_ON_TURN(sqlite_ensure_state, (struct arus_destination *base, struct arus_error *err),
               (base, err))
SQLITE_ON_TURN(sqlite_ensure_schema,
               (struct arus_destination *base, const struct arus_target *t,
                const struct arus_table_schema *s, struct arus_error *err),
               (base, t, s, err))
SQLITE_ON_TURN(sqlite_load_raw,
               (struct arus_destination *base, const struct arus_target *t,
                const struct arus_batch *b, int64_t *loaded, struct arus_error *err),
               (base, t, b, loaded, err))
SQLITE_ON_TURN(sqlite_load_normalized,
               (struct arus_destination *base, const struct arus_target *t,
                const struct arus_batch *b, int64_t *loaded, struct arus_error *err),
               (base, t, b, loaded, err))
SQLITE_ON_TURN(sqlite_update_watermark,
               (struct arus_destination *base, const struct arus_target *t,
                const struct arus_table_state *st, struct arus_error *err),
               (base, t, st, err))
SQLITE_ON_TURN(sqlite_get_watermark,
               (struct arus_destination *base, const char *pipeline, const char *table,
                struct arus_arena *a, struct arus_table_state *out, struct arus_error *err),
               (base, pipeline, table, a, out, err))
SQLITE_ON_TURN(sqlite_swap_shadow,
               (struct arus_destination *base, const struct arus_target *t,
                struct arus_error *err),
               (base, t, err))
SQLITE_ON_TURN(sqlite_drop_shadow,
               (struct arus_destination *base, const struct arus_target *t,
                struct arus_error *err),
               (base, t, err))
SQLITE_ON_TURN(sqlite_record_run,
               (struct arus_destination *base, const struct arus_run_record *r,
                struct arus_error *err),
               (base, r, err))
SQLITE_ON_TURN(sqlite_list_runs,
               (struct arus_destination *base, const char *pipeline, size_t limit,
                struct arus_arena *a, struct arus_run_record **out, size_t *n,
                struct arus_error *err),
               (base, pipeline, limit, a, out, n, err))
SQLITE_ON_TURN(sqlite_list_state,
               (struct arus_destination *base, const char *pipeline, struct arus_arena *a,
                const char ***tables, struct arus_table_state **states, size_t *n,
                struct arus_error *err),
               (base, pipeline, a, tables, states, n, err))
SQLITE_ON_TURN(sqlite_delete_rows,
               (struct arus_destination *base, const struct arus_target *t,
                const struct arus_batch *b, int64_t *deleted, struct arus_error *err),
               (base, t, b, deleted, err))
SQLITE_ON_TURN(sqlite_truncate_table,
               (struct arus_destination *base, const struct arus_target *t,
                struct arus_error *err),
               (base, t, err))
SQLITE_ON_TURN(sqlite_write_dead_letter,
               (struct arus_destination *base, const struct arus_target *t, const char *row_json,
                const char *error, struct arus_error *err),
               (base, t, row_json, error, err))
SQLITE_ON_TURN(sqlite_read_rows,
               (struct arus_destination *base, const struct arus_target *t,
                const struct arus_cell *after, struct arus_batch *b, struct arus_error *err),
               (base, t, after, b, err))
SQLITE_ON_TURN(sqlite_table_rows,
               (struct arus_destination *base, const struct arus_target *t, bool raw,
                int64_t *rows, struct arus_error *err),
               (base, t, raw, rows, err))
SQLITE_ON_TURN(sqlite_forget_state,
               (struct arus_destination *base, const char *pipeline, const char *table,
                int64_t *forgotten, struct arus_error *err),
               (base, pipeline, table, forgotten, err))
SQLITE_ON_TURN(sqlite_list_dead_letters,
               (struct arus_destination *base, const struct arus_target *t, struct arus_arena *a,
                struct arus_dead_letter **out, size_t *n, struct arus_error *err),
               (base, t, a, out, n, err))
SQLITE_ON_TURN(sqlite_delete_dead_letter,
               (struct arus_destination *base, const struct arus_target *t,
                const struct arus_dead_letter *dl, struct arus_error *err),
               (base, t, dl, err))
SQLITE_ON_TURN(sqlite_describe_table,
               (struct arus_destination *base, const struct arus_target *t, struct arus_arena *a,
                struct arus_table_schema **out, struct arus_error *err),
               (base, t, a, out, err))
SQLITE_ON_TURN(sqlite_null_columns,
               (struct arus_destination *base, const struct arus_target *t,
                const char *const *names, size_t n, int64_t *changed, struct arus_error *err),
               (base, t, names, n, changed, err))

const struct arus_destination_ops arus_destination_sqlite = {
    .abi_version = ARUS_DESTINATION_ABI,
    .name = "sqlite",
    .flags = ARUS_DST_TRANSACTIONS,
    .create = sqlite_create,
    .connect = sqlite_connect,
    .close = sqlite_close,
    .test_connection = sqlite_test_on_turn,
    .ensure_state = sqlite_ensure_state_on_turn,
    .lock = sqlite_lock,
    .unlock = sqlite_unlock,
    .ensure_schema = sqlite_ensure_schema_on_turn,
    .begin = sqlite_begin,
    .commit = sqlite_commit,
    .rollback = sqlite_rollback,
    .load_raw = sqlite_load_raw_on_turn,
    .load_normalized = sqlite_load_normalized_on_turn,
    .update_watermark = sqlite_update_watermark_on_turn,
    .get_watermark = sqlite_get_watermark_on_turn,
    .swap_shadow = sqlite_swap_shadow_on_turn,
    .drop_shadow = sqlite_drop_shadow_on_turn,
    .record_run = sqlite_record_run_on_turn,
    .list_runs = sqlite_list_runs_on_turn,
    .list_state = sqlite_list_state_on_turn,
    .delete_rows = sqlite_delete_rows_on_turn,
    .truncate_table = sqlite_truncate_table_on_turn,
    .write_dead_letter = sqlite_write_dead_letter_on_turn,
    .read_rows = sqlite_read_rows_on_turn,
    .table_rows = sqlite_table_rows_on_turn,
    .forget_state = sqlite_forget_state_on_turn,
    .list_dead_letters = sqlite_list_dead_letters_on_turn,
    .delete_dead_letter = sqlite_delete_dead_letter_on_turn,
    .describe_table = sqlite_describe_table_on_turn,
    .null_columns = sqlite_null_columns_on_turn,
};

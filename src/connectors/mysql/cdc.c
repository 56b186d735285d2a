/* MySQL/MariaDB change data capture: the cdc_* slots of the mysql source. The start checks the
 * server settings and opens a consistent snapshot on the source's ordinary connection (the
 * engine's initial copy reads inside it); the stream is the binlog from the snapshot's GTID,
 * its changes mapped to the engine's events. MariaDB keeps no slot: the position lives only in
 * the destination (arus_state), so ack and drop have nothing to tell the server. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arus/arena.h"
#include "arus/error.h"
#include "arus/log.h"
#include "arus/state.h"
#include "arus/strbuf.h"
#include "connectors/mysql/binlog.h"
#include "connectors/mysql/cdc.h"
#include "connectors/mysql/position.h"

/* In follow mode the server sends a heartbeat this often when idle, so an idle stream is not
 * taken for a dead one (cdc_next itself returns ARUS_CDC_IDLE after its timeout). */
#define MY_CDC_HEARTBEAT 1

/* A captured table: its columns as the current TABLE_MAP has them. */
struct my_cdc_table {
    char *name;
    struct arus_arena *arena;        /* schema below */
    struct arus_table_schema *info;  /* information_schema's columns (refreshed on need) */
    struct arus_table_schema schema; /* the TABLE_MAP's columns, resolved against info */
    unsigned version;
};

struct my_cdc {
    struct my_binlog *bl;
    bool snapshot; /* the ordinary connection is inside the start snapshot */
    bool follow;
    struct my_cdc_table *tables;
    size_t ntables;
    unsigned versions;
    struct arus_arena *ev; /* event memory, reset by every cdc_next */
    bool file_mode;        /* positions are "file:pos" (cdc.position: file), else GTIDs */
    char state[ARUS_CDC_POSITION_MAX]; /* the position after the last COMMIT handed out */
    char pos[ARUS_CDC_POSITION_MAX];   /* the current transaction's position */
    bool commit_next;      /* a DDL transaction's BEGIN went out: its COMMIT follows */
    bool (*column_moves)(void *, const char *, const char *); /* arus_cdc_options' */
    void *column_ctx;
    char acked[ARUS_CDC_POSITION_MAX];
    char lock[80]; /* the user lock held while streaming (my_cdc_lock_name) */
};

static struct my_source *my_src(struct arus_source *base) { return (struct my_source *)base; }
static const char *my_name(const struct my_source *s) { return s->base.endpoint->name; }

void arus__my_cdc_destroy(struct my_cdc *c)
{
    if (!c)
        return;
    arus__my_binlog_close(c->bl);
    for (size_t i = 0; i < c->ntables; i++) {
        free(c->tables[i].name);
        arus_arena_destroy(c->tables[i].arena);
    }
    free(c->tables);
    arus_arena_destroy(c->ev);
    free(c);
}

static struct my_cdc_table *my_cdc_find(struct my_cdc *c, const char *name)
{
    for (size_t i = 0; i < c->ntables; i++)
        if (strcmp(c->tables[i].name, name) == 0)
            return &c->tables[i];
    return NULL;
}

/* Whether the TABLE_MAP's columns are the ones t->schema describes (same names, same order). */
static bool my_cdc_same_columns(const struct my_cdc_table *t, const struct my_tablemap *tm)
{
    if (t->schema.ncolumns != tm->ncolumns)
        return false;
    for (size_t i = 0; i < tm->ncolumns; i++)
        if (strcmp(t->schema.columns[i].name, tm->columns[i].name) != 0)
            return false;
    return true;
}

/* Resolve the TABLE_MAP's columns against information_schema (read again when a column is
 * missing there, e.g. added since the last read): the event schema, a new version. A column
 * the table no longer has is an error, unless it does not reach the destination (the engine's
 * column_moves: left out by the pipeline, dropped since): its values, decoded by the
 * TABLE_MAP's types, go nowhere. */
static int my_cdc_resolve(struct my_source *s, struct my_cdc *c, struct my_cdc_table *t,
                          const struct my_tablemap *tm, struct arus_error *err)
{
    int rc;
    for (int attempt = 0; attempt < 2; attempt++) {
        if (!t->info || attempt) {
            arus_arena_destroy(t->arena);
            t->arena = arus_arena_create(0);
            if ((rc = arus_source_get_table_columns(&s->base, t->name, t->arena, &t->info, err)))
                return rc;
        }
        struct arus_column *cols = arus_arena_calloc(t->arena, tm->ncolumns + 1, sizeof *cols);
        size_t i = 0;
        for (; i < tm->ncolumns; i++) {
            int k = arus_schema_find(t->info, tm->columns[i].name);
            if (k >= 0) {
                cols[i] = t->info->columns[k];
            } else if (attempt && c->column_moves &&
                       !c->column_moves(c->column_ctx, t->name, tm->columns[i].name)) {
                cols[i] = (struct arus_column){
                    .name = arus_arena_strdup(t->arena, tm->columns[i].name),
                    .type = {.ltype = tm->columns[i].ltype},
                    .nullable = true,
                };
            } else {
                break;
            }
        }
        if (i < tm->ncolumns)
            continue;
        t->schema = *t->info;
        t->schema.columns = cols;
        t->schema.ncolumns = tm->ncolumns;
        t->version = ++c->versions;
        return ARUS_OK;
    }
    return arus_error_set(err, ARUS_EDATA,
                          "source \"%s\": table \"%s\" in the binlog has columns the table no "
                          "longer has (dropped or renamed since): take a new snapshot",
                          my_name(s), t->name);
}

/* The stream's table-map callback: tables outside the pipeline are skipped, captured ones get
 * their schema bound (BOOL/JSON columns) and a new version when their columns changed. */
static int my_cdc_on_tablemap(void *ctx, struct my_tablemap *tm, struct arus_error *err)
{
    struct my_source *s = ctx;
    struct my_cdc *c = s->cdc;
    struct my_cdc_table *t = NULL;
    if (strcmp(tm->database, s->cfg.database) == 0)
        t = my_cdc_find(c, tm->table);
    if (!t) {
        tm->skip = true;
        return ARUS_OK;
    }
    if (!tm->has_names)
        return arus_error_set(err, ARUS_ECONFIG,
                              "source \"%s\": table \"%s\": the binlog has no column names "
                              "(binlog_row_metadata must be FULL when the change is written)",
                              my_name(s), t->name);
    int rc;
    if (!my_cdc_same_columns(t, tm) && (rc = my_cdc_resolve(s, c, t, tm, err)))
        return rc;
    arus__my_tablemap_bind_schema(tm, &t->schema);
    return ARUS_OK;
}

/* The user lock a run holds on its ordinary connection while it streams pipeline's binlog, so
 * that `arus cdc status` tells an attached reader (MariaDB keeps no slot, and a dump
 * connection does not show which pipeline it reads): the database and the pipeline, hashed
 * when longer than the server's 64 characters for lock names. The server drops the lock with
 * the connection, also when the run is killed. */
static void my_cdc_lock_name(const struct my_source *s, const char *pipeline, char *out,
                             size_t n)
{
    int len = snprintf(out, n, "arus_cdc:%s:%s", s->cfg.database ? s->cfg.database : "",
                       pipeline ? pipeline : "");
    if (len <= 64)
        return;
    uint64_t h = 1469598103934665603ull;
    for (const char *p = out; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    snprintf(out, n, "arus_cdc:%016llx", (unsigned long long)h);
}

int arus__my_cdc_start(struct arus_source *base, const struct arus_cdc_options *o,
                       struct arus_cdc_start *out, struct arus_error *err)
{
    struct my_source *s = my_src(base);
    arus__my_cdc_destroy(s->cdc);
    struct my_cdc *c = s->cdc = arus_xcalloc(1, sizeof *c);
    c->ev = arus_arena_create(0);
    c->tables = arus_xcalloc(o->ntables + 1, sizeof *c->tables);
    for (size_t i = 0; i < o->ntables; i++)
        c->tables[c->ntables++].name = arus_xstrdup(o->tables[i]);
    c->column_moves = o->column_moves;
    c->column_ctx = o->column_ctx;
    my_cdc_lock_name(s, o->pipeline, c->lock, sizeof c->lock);
    memset(out, 0, sizeof *out);
    /* MariaDB resumes at a GTID by default; MySQL only by file/position (libmariadb cannot send
     * COM_BINLOG_DUMP_GTID, docs/cdc-mysql.md) */
    enum my_flavour fl = arus__my_flavour(mysql_get_server_info(s->db));
    const char *kind = o->position_kind ? o->position_kind
                       : fl == MY_FLAVOUR_MYSQL ? "file"
                                                : "gtid";
    c->file_mode = strcmp(kind, "file") == 0;
    int rc = arus__my_cdc_check_server(s->db, !c->file_mode, NULL, err);
    if (rc)
        return arus_error_prefix(err, "source \"%s\"", my_name(s));
    if (!c->file_mode && fl == MY_FLAVOUR_MYSQL)
        return arus_error_set(err, ARUS_ENOTSUP,
                              "source \"%s\": MySQL GTID positions are not supported (resuming "
                              "at a GTID set needs COM_BINLOG_DUMP_GTID, which libmariadb does "
                              "not send): use cdc.position: file",
                              my_name(s));
    if (o->position) {
        if ((arus__my_pos_kind(o->position) == MY_POS_FILE) != c->file_mode)
            return arus_error_set(err, ARUS_ECONFIG,
                                  "source \"%s\": the stored position %s is not a %s position "
                                  "(cdc.position: %s): changing it needs a new snapshot (delete "
                                  "the pipeline's %s state row)",
                                  my_name(s), o->position, kind, kind, ARUS_CDC_POSITION_ROW);
        snprintf(out->position, sizeof out->position, "%s", o->position);
        return ARUS_OK;
    }
    char file[512], gtid[ARUS_CDC_POSITION_MAX];
    uint64_t pos = 0;
    if ((rc = arus__my_cdc_snapshot(s->db, gtid, sizeof gtid, file, sizeof file, &pos, err)))
        return rc;
    if (c->file_mode)
        snprintf(out->position, sizeof out->position, "%s:%llu", file, (unsigned long long)pos);
    else
        snprintf(out->position, sizeof out->position, "%s", gtid);
    c->snapshot = out->snapshot = true;
    arus_log(ARUS_LOG_INFO, "cdc", "source \"%s\": snapshot at %s (%s:%llu, GTID %s)",
             my_name(s), out->position, file, (unsigned long long)pos, gtid);
    return ARUS_OK;
}

int arus__my_cdc_stream(struct arus_source *base, const char *from, bool follow,
                        struct arus_error *err)
{
    struct my_source *s = my_src(base);
    struct my_cdc *c = s->cdc;
    int rc;
    if (!c)
        return arus_error_set(err, ARUS_EINTERNAL, "cdc_stream before cdc_start");
    if (c->snapshot) {
        c->snapshot = false;
        if ((rc = arus__my_exec(s->db, "COMMIT", err, "end the snapshot")))
            return rc;
    }
    if (snprintf(c->state, sizeof c->state, "%s", from ? from : "") >= (int)sizeof c->state ||
        arus__my_cdc_position_cmp(c->state, "") < 0)
        return arus_error_set(err, ARUS_ECONFIG, "source \"%s\": bad stored position \"%s\"",
                              my_name(s), from ? from : "");
    c->follow = follow;
    MYSQL *db = NULL;
    if ((rc = arus__my_open(&s->cfg, false, &db, err)))
        return rc;
    struct my_filepos fp;
    if (c->file_mode && (rc = arus__my_filepos_parse(c->state, &fp, err)))
        return arus_error_prefix(err, "source \"%s\": stored position", my_name(s));
    struct my_binlog_opts bo = {
        .gtid = c->state,
        .file = c->file_mode ? fp.file : NULL,
        .pos = c->file_mode ? fp.pos : 0,
        .non_block = !follow,
        .heartbeat_seconds = follow ? MY_CDC_HEARTBEAT : 0,
        .on_tablemap = my_cdc_on_tablemap,
        .ctx = s,
    };
    if ((rc = arus__my_binlog_open(db, &bo, &c->bl, err)))
        return arus_error_prefix(err, "source \"%s\"", my_name(s));
    struct my_param lk = my_str(c->lock);
    struct my_rows got;
    if ((rc = arus__my_query(s->db, "SELECT GET_LOCK(?, 0)", &lk, 1, c->ev, &got, NULL, err,
                             "mark the pipeline as streaming")))
        return rc;
    if (!got.nrows || !got.cells[0] || strcmp(got.cells[0], "1") != 0)
        arus_log(ARUS_LOG_INFO, "cdc", "source \"%s\": another run streams this pipeline too",
                 my_name(s));
    arus_log(ARUS_LOG_INFO, "cdc", "source \"%s\": streaming the binlog from %s %s%s", my_name(s),
             c->file_mode ? "position" : "GTID", c->state[0] ? c->state : "(start)",
             follow ? "" : " to the current end");
    return ARUS_OK;
}

/* The position of the change's transaction into c->pos: the GTID state with its GTID merged
 * (GTID mode), or the binlog file and the offset just past the change's event (file mode: past
 * the transaction's first event for BEGIN, above every earlier transaction's COMMIT offset and
 * below its own). */
static int my_cdc_position(struct my_cdc *c, const struct my_change *ch, struct arus_error *err)
{
    if (c->file_mode) {
        snprintf(c->pos, sizeof c->pos, "%s:%llu", ch->file, (unsigned long long)ch->pos);
        return ARUS_OK;
    }
    snprintf(c->pos, sizeof c->pos, "%s", c->state);
    return arus__my_gtid_state_merge(c->pos, sizeof c->pos, ch->gtid, err);
}

/* Whether statement names the table as an identifier (bare or in backquotes, with or without
 * its database): a plain scan, enough to tell whether a DDL concerns a captured table. */
static bool my_cdc_mentions(const char *stmt, size_t n, const char *table)
{
    size_t tl = strlen(table);
    for (size_t i = 0; i + tl <= n; i++) {
        if (strncasecmp(stmt + i, table, tl) != 0)
            continue;
        char before = i ? stmt[i - 1] : ' ', after = i + tl < n ? stmt[i + tl] : ' ';
        bool edge_b = !(isalnum((unsigned char)before) || before == '_' || before == '$');
        bool edge_a = !(isalnum((unsigned char)after) || after == '_' || after == '$');
        if (edge_b && edge_a)
            return true;
    }
    return false;
}

/* Whether the clause at p (lower case, after squeezing) adds a column: "add [column] ...",
 * not an index, key or constraint. */
static bool my_cdc_add_clause(const char *p)
{
    static const char *const not_columns[] = {"index", "key", "constraint", "primary",
                                              "unique", "foreign", "fulltext", "spatial"};
    if (strncmp(p, "add ", 4) != 0)
        return false;
    p += 4;
    for (size_t i = 0; i < sizeof not_columns / sizeof *not_columns; i++) {
        size_t n = strlen(not_columns[i]);
        if (strncmp(p, not_columns[i], n) == 0 && (p[n] == ' ' || p[n] == '(' || !p[n]))
            return false;
    }
    return true;
}

/* Whether the clause at p (as for my_cdc_add_clause) drops a column that does not reach the
 * destination (column_moves; the name compared in lower case, as MySQL compares column
 * names): "drop [column] [if exists] name", bare or backquoted; not an index, key, constraint
 * or partition. Such a drop changes nothing downstream, so the stream follows it. */
static bool my_cdc_drop_left_out(const struct my_cdc *c, const char *table, const char *p)
{
    static const char *const not_columns[] = {"index",   "key",    "constraint", "primary",
                                              "foreign", "check",  "partition",  "unique",
                                              "period",  "system", "fulltext",   "spatial"};
    if (!c->column_moves || strncmp(p, "drop ", 5) != 0)
        return false;
    p += 5;
    if (strncmp(p, "column ", 7) == 0) {
        p += 7;
    } else {
        for (size_t i = 0; i < sizeof not_columns / sizeof *not_columns; i++) {
            size_t n = strlen(not_columns[i]);
            if (strncmp(p, not_columns[i], n) == 0 && strchr(" (,", p[n]))
                return false; /* also at p[n] == '\0' */
        }
    }
    if (strncmp(p, "if exists ", 10) == 0)
        p += 10;
    char name[256];
    size_t n = 0;
    if (*p == '`') {
        for (p++; *p && !(p[0] == '`' && p[1] != '`') && n < sizeof name - 1; p++) {
            p += p[0] == '`'; /* `` is one backquote */
            name[n++] = *p;
        }
        if (*p++ != '`')
            return false;
    } else {
        while (*p && *p != ' ' && *p != ',' && n < sizeof name - 1)
            name[n++] = *p++;
    }
    name[n] = '\0';
    p += *p == ' ';
    return n && (!*p || *p == ',') && !c->column_moves(c->column_ctx, table, name);
}

static bool my_cdc_clause(const struct my_cdc *c, const char *table, const char *p)
{
    return my_cdc_add_clause(p) || my_cdc_drop_left_out(c, table, p);
}

/* Whether the stream follows a DDL statement of table: one that only adds columns ("ALTER
 * TABLE t ADD [COLUMN] ..., ADD ...": the next TABLE_MAP of the table carries them and the
 * engine adds them downstream) or drops columns that do not reach the destination. The whole
 * statement is read, however long; clauses are split at commas outside quotes, backquotes and
 * parentheses (DECIMAL(10,2), ENUM('a','b'), COMMENT 'x, y'). */
static bool my_cdc_followed(const struct my_cdc *c, const char *table, const char *stmt, size_t n)
{
    /* squeezed (whitespace runs to one space) and lower-cased */
    char *buf = arus_xmalloc(n + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = (char)tolower((unsigned char)stmt[i]);
        if (isspace((unsigned char)ch)) {
            if (k && buf[k - 1] != ' ')
                buf[k++] = ' ';
        } else {
            buf[k++] = ch;
        }
    }
    buf[k] = '\0';
    bool ok = strncmp(buf, "alter table ", 12) == 0;
    const char *p = buf + (ok ? 12 : 0);
    /* past the table name, [db.]name with backquoted parts */
    for (char quote = 0; ok && *p && (quote || *p != ' '); p++)
        if (*p == '`')
            quote = quote ? 0 : '`';
    ok = ok && *p == ' ' && my_cdc_clause(c, table, p + 1);
    char quote = 0;
    int depth = 0;
    for (p++; ok && *p; p++) {
        if (quote) {
            if (*p == '\\' && quote != '`' && p[1])
                p++;
            else if (*p == quote)
                quote = 0;
        } else if (*p == '\'' || *p == '"' || *p == '`') {
            quote = *p;
        } else if (*p == '(') {
            depth++;
        } else if (*p == ')') {
            depth--;
        } else if (*p == ',' && depth == 0) {
            ok = my_cdc_clause(c, table, p + 1 + (p[1] == ' '));
        }
    }
    free(buf);
    return ok;
}

/* A DDL transaction: its BEGIN (the COMMIT follows on the next call) unless it changes a
 * captured table in a way the stream cannot follow: then a stop naming the statement. */
static int my_cdc_ddl(struct my_source *s, struct my_cdc *c, const struct my_change *ch,
                      struct arus_cdc_event *ev, struct arus_error *err)
{
    bool ours = ch->database && strcmp(ch->database, s->cfg.database) == 0;
    for (size_t i = 0; i < c->ntables; i++) {
        if (!my_cdc_mentions(ch->statement, ch->statement_len, c->tables[i].name))
            continue;
        if (!ours && !my_cdc_mentions(ch->statement, ch->statement_len, s->cfg.database))
            continue;
        if (my_cdc_followed(c, c->tables[i].name, ch->statement, ch->statement_len))
            break;
        /* a long statement shows its head and its tail, where a last clause often is */
        size_t n = ch->statement_len, head = n > 300 ? 200 : n, tail = n > 300 ? 100 : 0;
        return arus_error_set(err, ARUS_ENOTSUP,
                              "source \"%s\": table \"%s\": the binlog has DDL the stream cannot "
                              "apply at GTID %s: %.*s%s%.*s (only ALTER TABLE ... ADD COLUMN is "
                              "followed; take a new snapshot, see docs/cdc-mysql.md)",
                              my_name(s), c->tables[i].name, ch->gtid, (int)head, ch->statement,
                              tail ? " ... " : "", (int)tail, ch->statement + n - tail);
    }
    int rc = my_cdc_position(c, ch, err);
    if (rc)
        return rc;
    ev->kind = ARUS_CDC_BEGIN;
    ev->position = c->pos;
    c->commit_next = true;
    return ARUS_OK;
}

static int my_cdc_row(struct my_cdc *c, const struct my_change *ch, struct arus_cdc_event *ev)
{
    struct my_cdc_table *t = my_cdc_find(c, ch->table->table);
    ev->kind = ARUS_CDC_ROW;
    ev->table = t->name;
    ev->schema = &t->schema;
    ev->schema_version = t->version;
    if (ch->kind == MY_CH_INSERT) {
        ev->op = 'i';
        ev->cells = ch->after.cells;
    } else if (ch->kind == MY_CH_UPDATE) {
        ev->op = 'u';
        ev->cells = ch->after.cells;
        ev->old_cells = ch->before.cells;
        /* A MINIMAL or NOBLOB after image (a session may set binlog_row_image) leaves out
         * columns the update did not set: their value is the before image's when it has one
         * (the key, at least), else unknown and the destination keeps its value. */
        size_t n = ch->after.ncolumns;
        struct arus_cell *cells = NULL;
        bool *unchanged = NULL;
        for (size_t i = 0; i < n; i++) {
            if (ch->after.present[i])
                continue;
            if (!cells) {
                cells = arus_arena_calloc(c->ev, n + 1, sizeof *cells);
                memcpy(cells, ch->after.cells, n * sizeof *cells);
                unchanged = arus_arena_calloc(c->ev, n + 1, sizeof *unchanged);
            }
            if (ch->before.present[i])
                cells[i] = ch->before.cells[i];
            else
                unchanged[i] = true;
        }
        if (cells)
            ev->cells = cells;
        ev->unchanged = unchanged;
    } else {
        ev->op = 'd';
        ev->cells = ch->before.cells;
    }
    return ARUS_OK;
}

int arus__my_cdc_next(struct arus_source *base, struct arus_cdc_event *ev, double timeout,
                      struct arus_error *err)
{
    struct my_source *s = my_src(base);
    struct my_cdc *c = s->cdc;
    if (!c || !c->bl)
        return arus_error_set(err, ARUS_EINTERNAL, "cdc_next before cdc_stream");
    arus__my_binlog_set_timeout(c->bl, timeout);
    arus_arena_reset(c->ev);
    memset(ev, 0, sizeof *ev);
    if (c->commit_next) {
        c->commit_next = false;
        snprintf(c->state, sizeof c->state, "%s", c->pos);
        ev->kind = ARUS_CDC_COMMIT;
        ev->position = c->pos;
        return ARUS_OK;
    }
    for (;;) {
        struct my_change ch;
        int rc = arus__my_binlog_next(c->bl, c->ev, &ch, err);
        if (rc)
            return arus_error_prefix(err, "source \"%s\"", my_name(s));
        switch (ch.kind) {
        case MY_CH_BEGIN:
            if ((rc = my_cdc_position(c, &ch, err)))
                return rc;
            ev->kind = ARUS_CDC_BEGIN;
            ev->position = c->pos;
            return ARUS_OK;
        case MY_CH_INSERT:
        case MY_CH_UPDATE:
        case MY_CH_DELETE:
            return my_cdc_row(c, &ch, ev);
        case MY_CH_COMMIT:
            if (c->file_mode) /* the resume point: just past the commit */
                my_cdc_position(c, &ch, err);
            snprintf(c->state, sizeof c->state, "%s", c->pos);
            ev->kind = ARUS_CDC_COMMIT;
            ev->position = c->pos;
            return ARUS_OK;
        case MY_CH_DDL:
            return my_cdc_ddl(s, c, &ch, ev, err);
        case MY_CH_HEARTBEAT:
            ev->kind = ARUS_CDC_IDLE;
            return ARUS_OK;
        case MY_CH_END:
            ev->kind = ARUS_CDC_END;
            return ARUS_OK;
        default: /* rotations, nothing to apply */
            break;
        }
    }
}

int arus__my_cdc_ack(struct arus_source *base, const char *position, struct arus_error *err)
{
    (void)err;
    struct my_cdc *c = my_src(base)->cdc;
    if (c)
        snprintf(c->acked, sizeof c->acked, "%s", position ? position : "");
    return ARUS_OK;
}

/* ---- positions */

/* One "domain-server-seq" entry of a GTID state at *p, advancing past it and its comma. */
static bool my_gtid_entry(const char **p, unsigned long *domain, unsigned long long *seq)
{
    char *e;
    unsigned long d = strtoul(*p, &e, 10);
    if (e == *p || *e != '-')
        return false;
    const char *q = e + 1;
    strtoul(q, &e, 10);
    if (e == q || *e != '-')
        return false;
    q = e + 1;
    unsigned long long n = strtoull(q, &e, 10);
    if (e == q || (*e && *e != ','))
        return false;
    *domain = d;
    *seq = n;
    *p = *e ? e + 1 : e;
    return true;
}

/* The sequence of domain in state (0 when absent); false when state is malformed. */
static bool my_gtid_seq(const char *state, unsigned long domain, unsigned long long *seq)
{
    *seq = 0;
    const char *p = state;
    while (*p) {
        unsigned long d;
        unsigned long long n;
        if (!my_gtid_entry(&p, &d, &n))
            return false;
        if (d == domain)
            *seq = n;
    }
    return true;
}

/* The smallest domain of `of` in which a and b differ (sequences compared, a
 * missing domain counting as 0) into *d; false when none. */
static bool my_gtid_first_diff(const char *of, const char *a, const char *b, unsigned long *d)
{
    bool found = false;
    for (const char *p = of; *p;) {
        unsigned long dom;
        unsigned long long x, y, n;
        my_gtid_entry(&p, &dom, &n);
        my_gtid_seq(a, dom, &x);
        my_gtid_seq(b, dom, &y);
        if (x != y && (!found || dom < *d)) {
            *d = dom;
            found = true;
        }
    }
    return found;
}

int arus__my_cdc_position_cmp(const char *a, const char *b)
{
    enum my_pos_kind ka = arus__my_pos_kind(a), kb = arus__my_pos_kind(b);
    if (ka == MY_POS_FILE || kb == MY_POS_FILE || ka == MY_POS_MYSQL_GTIDS ||
        kb == MY_POS_MYSQL_GTIDS)
        return arus__my_pos_cmp(a, b); /* file positions, MySQL GTID sets */
    unsigned long long x, y;
    bool va = a && my_gtid_seq(a, (unsigned long)-1, &x);
    bool vb = b && my_gtid_seq(b, (unsigned long)-1, &y);
    if (!va || !vb)
        return va - vb;
    /* The sign at the smallest differing domain: a total order that agrees with "ahead in some
     * domain, behind in none" and orders diverged states the same way from both sides. */
    unsigned long da = 0, db = 0;
    bool fa = my_gtid_first_diff(a, a, b, &da), fb = my_gtid_first_diff(b, a, b, &db);
    if (!fa && !fb)
        return 0;
    unsigned long d = fa && (!fb || da < db) ? da : db;
    my_gtid_seq(a, d, &x);
    my_gtid_seq(b, d, &y);
    return x > y ? 1 : -1;
}

/* ---- status, drop */

/* Transactions in `current` past `stored`: the sequence differences of the domains where current
 * is ahead; -1 when either is not a GTID state. */
static int64_t my_gtid_behind(const char *current, const char *stored)
{
    unsigned long long x;
    if (!my_gtid_seq(current, (unsigned long)-1, &x) || !my_gtid_seq(stored, (unsigned long)-1, &x))
        return -1;
    int64_t n = 0;
    for (const char *p = current; *p;) {
        unsigned long d;
        unsigned long long cur, st;
        my_gtid_entry(&p, &d, &cur);
        my_gtid_seq(stored, d, &st);
        if (cur > st)
            n += (int64_t)(cur - st);
    }
    return n;
}

/* A file position's status: the binlog end as "file:size" and the bytes between the stored
 * position and it (the files after the stored one whole, the rest of the stored one). */
static void my_filepos_status(const struct my_rows *logs, const char *position,
                              struct arus_arena *a, struct arus_cdc_status *out)
{
    struct my_filepos at;
    struct arus_error ignored;
    arus_error_clear(&ignored);
    if (!logs->nrows || arus__my_filepos_parse(position, &at, &ignored) != ARUS_OK)
        return;
    char *const *last = &logs->cells[(logs->nrows - 1) * logs->ncols];
    struct arus_strbuf end;
    arus_strbuf_init(&end);
    arus_strbuf_appendf(&end, "%s:%s", last[0], last[1]);
    out->current = arus_arena_strdup(a, end.data);
    arus_strbuf_cleanup(&end);
    out->lag_unit = "bytes";
    int64_t behind = 0;
    for (size_t i = 0; i < logs->nrows; i++) {
        struct my_filepos f = {.pos = 0};
        snprintf(f.file, sizeof f.file, "%s", logs->cells[i * logs->ncols]);
        int64_t size = strtoll(logs->cells[i * logs->ncols + 1], NULL, 10);
        int c = arus__my_filepos_cmp(&f, &at);
        if (strcmp(f.file, at.file) == 0)
            behind += size > (int64_t)at.pos ? size - (int64_t)at.pos : 0;
        else if (c > 0)
            behind += size;
    }
    out->lag_bytes = behind;
}

int arus__my_cdc_status(struct arus_source *base, const struct arus_cdc_options *o,
                        struct arus_arena *a, struct arus_cdc_status *out, struct arus_error *err)
{
    struct my_source *s = my_src(base);
    memset(out, 0, sizeof *out);
    out->slot = "(none: MariaDB keeps no replication slot)";
    out->publication = "(none)";
    out->lag_unit = "transactions";
    out->log_name = "binlog";
    out->lag_bytes = out->retained_bytes = -1;
    out->lag_seconds = -1;
    char lock[80];
    my_cdc_lock_name(s, o->pipeline, lock, sizeof lock);
    struct my_param lk = my_str(lock);
    struct my_rows r, logs;
    /* MySQL has no gtid_binlog_pos: its executed GTID set stands for it */
    bool mysql = arus__my_flavour(mysql_get_server_info(s->db)) == MY_FLAVOUR_MYSQL;
    int rc = arus__my_query(s->db,
                            mysql ? "SELECT @@global.gtid_executed, IS_USED_LOCK(?)"
                                  : "SELECT @@global.gtid_binlog_pos, IS_USED_LOCK(?)",
                            &lk, 1, a, &r, NULL, err, "read the binlog position");
    if (rc == ARUS_OK)
        rc = arus__my_query(s->db, "SHOW BINARY LOGS", NULL, 0, a, &logs, NULL, err,
                            "list the binlogs");
    if (rc)
        return rc;
    out->exists = true;
    out->current = r.nrows ? r.cells[0] : NULL;
    out->active = r.nrows && r.cells[1];
    out->confirmed = o->position ? arus_arena_strdup(a, o->position) : NULL;
    if (o->position && arus__my_pos_kind(o->position) == MY_POS_FILE)
        my_filepos_status(&logs, o->position, a, out);
    else if (out->current && o->position)
        out->lag_bytes = my_gtid_behind(out->current, o->position);
    int64_t total = 0;
    for (size_t i = 0; i < logs.nrows; i++)
        total += strtoll(logs.cells[i * logs.ncols + 1], NULL, 10);
    out->retained_bytes = total;
    if (o->position && logs.nrows) {
        /* The stored GTID must be at or past the state at the start of the oldest binlog (a
         * file position: at or past the oldest file's start). */
        struct my_param p = my_str(logs.cells[0]);
        struct my_rows first = {0};
        bool file = arus__my_pos_kind(o->position) == MY_POS_FILE;
        if (!file && (rc = arus__my_query(s->db, "SELECT BINLOG_GTID_POS(?, 4)", &p, 1, a, &first,
                                          NULL, err, "read the oldest binlog's GTID")))
            return rc;
        char start[600];
        snprintf(start, sizeof start, "%s:4", logs.cells[0]);
        const char *oldest = file ? start : first.nrows && first.cells[0] ? first.cells[0] : "";
        if (arus__my_cdc_position_cmp(o->position, oldest) < 0) {
            struct arus_strbuf line;
            arus_strbuf_init(&line);
            arus_strbuf_appendf(&line,
                                "the stored %s %s is no longer in the server's binlogs (oldest "
                                "%s starts at %s): the next sync needs a new snapshot",
                                file ? "position" : "GTID", o->position, logs.cells[0], oldest);
            out->warning = arus_arena_strdup(a, line.data);
            arus_strbuf_cleanup(&line);
        }
    }
    return ARUS_OK;
}

int arus__my_cdc_drop(struct arus_source *base, const struct arus_cdc_options *o,
                      struct arus_error *err)
{
    (void)err;
    arus_log(ARUS_LOG_WARN, "cdc",
             "source \"%s\": MariaDB keeps no replication slot or publication for pipeline "
             "\"%s\": nothing to drop (the stored position lives in the destination)",
             my_name(my_src(base)), o->pipeline);
    return ARUS_OK;
}

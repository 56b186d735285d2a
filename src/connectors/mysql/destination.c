/* MySQL/MariaDB destination: raw JSON landing tables and typed tables in configurable
 * databases, state and run history in `arus_state`, a GET_LOCK pipeline lock, and the
 * shadow-table swap. Loading itself (LOAD DATA LOCAL from memory, merge, INSERT fallback) is
 * in load.c. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arus/arena.h"
#include "arus/destination.h"
#include "arus/extract_sql.h"
#include "arus/state.h"
#include "arus/strbuf.h"
#include "connectors/mysql/load.h"
#include "connectors/mysql/typemap.h"

/* An unbounded text/blob key column needs a length to be indexable (3072-byte key limit). */
#define MY_PK_STRING_ONE  "VARCHAR(768)"
#define MY_PK_STRING_MANY "VARCHAR(255)"
#define MY_PK_BYTES_ONE   "VARBINARY(3072)"
#define MY_PK_BYTES_MANY  "VARBINARY(255)"
#define MY_LOCK_NAME_MAX  64

struct my_dest {
    struct arus_destination base;
    struct my_conn_cfg cfg;
    struct my_loader ld;
    const char *raw_schema; /* borrowed from the config */
    const char *target_schema;
    struct arus_arena *scratch; /* per-call query results, reset by each user */
    char *fresh_table;          /* quoted normalized table found empty by ensure_schema */
};

static struct my_dest *my_d(struct arus_destination *b) { return (struct my_dest *)b; }

static int my_dst_create(const struct arus_endpoint *ep, struct arus_destination **out,
                         struct arus_error *err)
{
    struct my_dest *d = arus_xcalloc(1, sizeof *d);
    int rc;
    d->raw_schema = ARUS_DEFAULT_RAW_SCHEMA;
    d->target_schema = ARUS_DEFAULT_TARGET_SCHEMA;
    if ((rc = arus__my_cfg_init(&d->cfg, ep, err)) != ARUS_OK ||
        (rc = arus_cfg_str(ep->node, "raw_schema", &d->raw_schema, err)) != ARUS_OK ||
        (rc = arus_cfg_str(ep->node, "target_schema", &d->target_schema, err)) != ARUS_OK) {
        arus__my_cfg_cleanup(&d->cfg);
        free(d);
        return rc;
    }
    d->scratch = arus_arena_create(0);
    *out = &d->base;
    return ARUS_OK;
}

static int my_dst_connect(struct arus_destination *b, struct arus_error *err)
{
    struct my_dest *d = my_d(b);
    int rc = arus__my_open(&d->cfg, true, &d->ld.db, err);
    if (rc == ARUS_OK)
        arus__my_loader_init(&d->ld);
    return rc;
}

static void my_dst_close(struct arus_destination *b)
{
    struct my_dest *d = my_d(b);
    if (!d)
        return;
    /* closing the session releases GET_LOCK and drops temporary tables */
    arus__my_loader_cleanup(&d->ld);
    if (d->ld.db)
        mysql_close(d->ld.db);
    arus_arena_destroy(d->scratch);
    free(d->fresh_table);
    arus__my_cfg_cleanup(&d->cfg);
    free(d);
}

static int my_dst_test(struct arus_destination *b, struct arus_error *err)
{
    struct my_dest *d = my_d(b);
    if (mysql_ping(d->ld.db) != 0)
        return arus__my_fail(d->ld.db, ARUS_ECONNECT, err, "ping");
    return ARUS_OK;
}

/* Run DDL built into sb; what names the object. */
static int my_ddl(struct my_dest *d, struct arus_strbuf *sb, const char *what,
                  struct arus_error *err)
{
    int rc = arus__my_exec(d->ld.db, arus_strbuf_cstr(sb), err, what);
    arus_strbuf_reset(sb);
    return rc;
}

static int my_create_database(struct my_dest *d, const char *db, struct arus_error *err)
{
    struct arus_strbuf sb;
    arus_strbuf_init(&sb);
    arus_strbuf_puts(&sb, "CREATE DATABASE IF NOT EXISTS ");
    arus_sql_quote_ident(&sb, db, '`', false);
    arus_strbuf_puts(&sb, " CHARACTER SET utf8mb4");
    int rc = my_ddl(d, &sb, "create database", err);
    arus_strbuf_cleanup(&sb);
    if (rc != ARUS_OK)
        arus_error_prefix(err, "database \"%s\"", db);
    return rc;
}

/* "arus:<pipeline>". MySQL caps lock names at 64 characters: longer pipeline names keep a
 * prefix and get a hash of the whole name so distinct pipelines never share a lock. */
static void my_lock_name(const char *pipeline, struct arus_strbuf *sb)
{
    size_t n = strlen(pipeline);
    if (n <= MY_LOCK_NAME_MAX - 5) {
        arus_strbuf_appendf(sb, "arus:%s", pipeline);
        return;
    }
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)pipeline[i]) * 1099511628211ull;
    arus_strbuf_appendf(sb, "arus:%.40s:%016llx", pipeline, (unsigned long long)h);
}

static int my_lock_call(struct my_dest *d, const char *fn, const char *pipeline,
                        struct arus_error *err, bool *got)
{
    char sql[64];
    struct arus_strbuf name;
    struct my_rows r;
    arus_strbuf_init(&name);
    my_lock_name(pipeline, &name);
    snprintf(sql, sizeof sql, "SELECT %s(?%s)", fn, strcmp(fn, "GET_LOCK") == 0 ? ", 0" : "");
    struct my_param p = {.p = name.data, .n = name.len};
    int rc = arus__my_query(d->ld.db, sql, &p, 1, d->scratch, &r, NULL, err, "pipeline lock");
    arus_strbuf_cleanup(&name);
    if (rc == ARUS_OK)
        *got = r.nrows == 1 && r.cells[0] && strcmp(r.cells[0], "1") == 0;
    arus_arena_reset(d->scratch);
    return rc;
}

static int my_dst_lock(struct arus_destination *b, const char *pipeline, struct arus_error *err)
{
    bool got = false;
    int rc = my_lock_call(my_d(b), "GET_LOCK", pipeline, err, &got);
    if (rc == ARUS_OK && !got)
        return arus_error_set(err, ARUS_EBUSY,
                              "pipeline \"%s\" is already running (its GET_LOCK lock is held by "
                              "another session)",
                              pipeline);
    return rc;
}

static int my_dst_unlock(struct arus_destination *b, const char *pipeline, struct arus_error *err)
{
    bool got = false;
    return my_lock_call(my_d(b), "RELEASE_LOCK", pipeline, err, &got);
}

static const char *my_raw_db(const struct my_dest *d, const struct arus_target *t)
{
    return t->raw_schema ? t->raw_schema : d->raw_schema;
}

static const char *my_target_db(const struct my_dest *d, const struct arus_target *t)
{
    return t->target_schema ? t->target_schema : d->target_schema;
}

/* `db`.`name` into sb. */
static void my_qualified(struct arus_strbuf *sb, const char *db, const char *name)
{
    arus_sql_quote_ident(sb, db, '`', false);
    arus_strbuf_putc(sb, '.');
    arus_sql_quote_ident(sb, name, '`', false);
}

static void my_raw_ref(const struct my_dest *d, const struct arus_target *t, struct arus_strbuf *sb)
{
    struct arus_strbuf name;
    arus_strbuf_init(&name);
    arus_raw_table_name(&name, t);
    my_qualified(sb, my_raw_db(d, t), arus_strbuf_cstr(&name));
    arus_strbuf_cleanup(&name);
}

/* The normalized (or shadow, per t->shadow) table name, unquoted, into sb. */
static void my_norm_name(const struct arus_target *t, bool shadow, struct arus_strbuf *sb)
{
    struct arus_target copy = *t;
    copy.shadow = shadow;
    arus_normalized_table_name(sb, &copy);
}

static void my_norm_ref(const struct my_dest *d, const struct arus_target *t, bool shadow,
                        struct arus_strbuf *sb)
{
    struct arus_strbuf name;
    arus_strbuf_init(&name);
    my_norm_name(t, shadow, &name);
    my_qualified(sb, my_target_db(d, t), arus_strbuf_cstr(&name));
    arus_strbuf_cleanup(&name);
}

static bool my_is_lob(const struct arus_column *c)
{
    return (c->type.ltype == ARUS_T_STRING && (c->type.length == 0 || c->type.length > 255)) ||
           (c->type.ltype == ARUS_T_BYTES && (c->type.length == 0 || c->type.length > 255)) ||
           c->type.ltype == ARUS_T_JSON;
}

/* `name` TYPE [NOT NULL]; key columns get an indexable type. */
static void my_column_ddl(const struct arus_column *c, size_t npk, bool added,
                          struct arus_strbuf *sb)
{
    arus_sql_quote_ident(sb, c->name, '`', false);
    arus_strbuf_putc(sb, ' ');
    if (c->pk_ordinal > 0 && my_is_lob(c))
        arus_strbuf_puts(sb, c->type.ltype == ARUS_T_BYTES
                                 ? (npk == 1 ? MY_PK_BYTES_ONE : MY_PK_BYTES_MANY)
                                 : (npk == 1 ? MY_PK_STRING_ONE : MY_PK_STRING_MANY));
    else
        arus__my_type_to_native(&c->type, sb);
    /* columns added to a table with rows must accept NULL for the existing rows */
    if (!added && (!c->nullable || c->pk_ordinal > 0))
        arus_strbuf_puts(sb, " NOT NULL");
}

static void my_create_table_ddl(const struct my_dest *d, const struct arus_target *t,
                                const struct arus_table_schema *s, struct arus_strbuf *sb)
{
    size_t *pk = arus_xcalloc(s->ncolumns + 1, sizeof *pk);
    size_t npk = arus_schema_pk(s, pk);
    arus_strbuf_puts(sb, "CREATE TABLE ");
    my_norm_ref(d, t, t->shadow, sb);
    arus_strbuf_puts(sb, " (");
    for (size_t i = 0; i < s->ncolumns; i++) {
        my_column_ddl(&s->columns[i], npk, false, sb);
        arus_strbuf_puts(sb, ", ");
    }
    arus_strbuf_puts(sb, "`_arus_run_id` CHAR(36) NOT NULL, `_arus_synced_at` DATETIME(6) "
                         "NOT NULL DEFAULT CURRENT_TIMESTAMP(6)");
    if (npk) {
        arus_strbuf_puts(sb, ", PRIMARY KEY (");
        for (size_t i = 0; i < npk; i++) {
            if (i)
                arus_strbuf_puts(sb, ", ");
            arus_sql_quote_ident(sb, s->columns[pk[i]].name, '`', false);
        }
        arus_strbuf_putc(sb, ')');
    }
    /* binary, no-pad collation: keys that differ in case or trailing spaces stay distinct */
    arus_strbuf_appendf(sb, ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=%s",
                        d->ld.mariadb ? "utf8mb4_nopad_bin" : "utf8mb4_bin");
    free(pk);
}

static int my_ensure_raw(struct my_dest *d, const struct arus_target *t, struct arus_error *err)
{
    struct arus_strbuf sb;
    arus_strbuf_init(&sb);
    arus_strbuf_puts(&sb, "CREATE TABLE IF NOT EXISTS ");
    my_raw_ref(d, t, &sb);
    arus_strbuf_puts(&sb, " (`_arus_id` BIGINT AUTO_INCREMENT PRIMARY KEY, `_arus_run_id` "
                          "CHAR(36) NOT NULL, `_arus_extracted` DATETIME(6) NOT NULL DEFAULT "
                          "CURRENT_TIMESTAMP(6), `_data` JSON NOT NULL) ENGINE=InnoDB "
                          "DEFAULT CHARSET=utf8mb4");
    int rc = my_ddl(d, &sb, "create raw table", err);
    arus_strbuf_cleanup(&sb);
    return rc;
}

/* Existing column names of db.table (none when the table is absent), in d->scratch. */
static int my_existing_columns(struct my_dest *d, const char *db, const char *table,
                               struct my_rows *out, struct arus_error *err)
{
    struct my_param p[2] = {my_str(db), my_str(table)};
    return arus__my_query(d->ld.db,
                          "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE "
                          "TABLE_SCHEMA = ? AND TABLE_NAME = ?",
                          p, 2, d->scratch, out, NULL, err, "read destination columns");
}

static bool my_rows_has(const struct my_rows *r, const char *name)
{
    for (size_t i = 0; i < r->nrows; i++)
        if (r->cells[i] && strcasecmp(r->cells[i], name) == 0) /* MySQL names ignore case */
            return true;
    return false;
}

/* Remember (or forget) t's normalized table as empty at the start of this run. */
static int my_note_fresh(struct my_dest *d, const struct arus_target *t, bool created,
                         struct arus_error *err)
{
    struct arus_strbuf ref, sql;
    int rc = ARUS_OK;
    bool empty = created;
    arus_strbuf_init(&ref);
    arus_strbuf_init(&sql);
    my_norm_ref(d, t, false, &ref);
    if (!created) {
        arus_strbuf_appendf(&sql, "SELECT 1 FROM %s LIMIT 1", ref.data);
        if (mysql_real_query(d->ld.db, sql.data, sql.len) != 0) {
            rc = arus__my_fail(d->ld.db, ARUS_EQUERY, err, "check for rows");
        } else {
            MYSQL_RES *res = mysql_store_result(d->ld.db);
            empty = res && mysql_num_rows(res) == 0;
            if (res)
                mysql_free_result(res);
        }
    }
    free(d->fresh_table);
    d->fresh_table = rc == ARUS_OK && empty ? arus_strbuf_detach(&ref) : NULL;
    arus_strbuf_cleanup(&ref);
    arus_strbuf_cleanup(&sql);
    return rc;
}

/* Normalized table: create, or add the columns the source gained (schema drift). */
static int my_ensure_normalized(struct my_dest *d, const struct arus_target *t,
                                const struct arus_table_schema *s, struct arus_error *err)
{
    struct arus_strbuf sb, name;
    struct my_rows have;
    int rc;
    arus_strbuf_init(&sb);
    arus_strbuf_init(&name);
    my_norm_name(t, t->shadow, &name);
    if (t->shadow) {
        arus_strbuf_puts(&sb, "DROP TABLE IF EXISTS ");
        my_norm_ref(d, t, true, &sb);
        if ((rc = my_ddl(d, &sb, "drop shadow table", err)) != ARUS_OK)
            goto out;
        have.nrows = 0;
    } else if ((rc = my_existing_columns(d, my_target_db(d, t), name.data, &have, err)) !=
               ARUS_OK) {
        goto out;
    }
    if (have.nrows == 0) {
        my_create_table_ddl(d, t, s, &sb);
        if ((rc = my_ddl(d, &sb, "create table", err)) == ARUS_OK && !t->shadow)
            rc = my_note_fresh(d, t, true, err);
        goto out;
    }
    for (size_t i = 0; i < s->ncolumns && rc == ARUS_OK; i++) {
        if (my_rows_has(&have, s->columns[i].name))
            continue;
        arus_strbuf_puts(&sb, "ALTER TABLE ");
        my_norm_ref(d, t, false, &sb);
        arus_strbuf_puts(&sb, " ADD COLUMN ");
        my_column_ddl(&s->columns[i], 0, true, &sb);
        rc = my_ddl(d, &sb, "add column", err);
    }
    if (rc == ARUS_OK)
        rc = my_note_fresh(d, t, false, err);
out:
    if (rc != ARUS_OK)
        arus_error_prefix(err, "table `%s`.`%s`", my_target_db(d, t), arus_strbuf_cstr(&name));
    arus_arena_reset(d->scratch);
    arus_strbuf_cleanup(&sb);
    arus_strbuf_cleanup(&name);
    return rc;
}

static int my_dst_ensure_schema(struct arus_destination *b, const struct arus_target *t,
                                const struct arus_table_schema *s, struct arus_error *err)
{
    struct my_dest *d = my_d(b);
    int rc;
    if ((rc = my_create_database(d, my_raw_db(d, t), err)) != ARUS_OK ||
        (rc = my_create_database(d, my_target_db(d, t), err)) != ARUS_OK ||
        (rc = my_ensure_raw(d, t, err)) != ARUS_OK)
        return rc;
    return my_ensure_normalized(d, t, s, err);
}

static int my_dst_begin(struct arus_destination *b, struct arus_error *err)
{
    return arus__my_exec(my_d(b)->ld.db, "START TRANSACTION", err, "begin");
}

static int my_dst_commit(struct arus_destination *b, struct arus_error *err)
{
    return arus__my_exec(my_d(b)->ld.db, "COMMIT", err, "commit");
}

static int my_dst_rollback(struct arus_destination *b, struct arus_error *err)
{
    return arus__my_exec(my_d(b)->ld.db, "ROLLBACK", err, "rollback");
}

static int my_dst_load_raw(struct arus_destination *b, const struct arus_target *t,
                           const struct arus_batch *batch, int64_t *loaded, struct arus_error *err)
{
    struct my_dest *d = my_d(b);
    struct arus_strbuf ref;
    arus_strbuf_init(&ref);
    my_raw_ref(d, t, &ref);
    int rc = arus__my_load_raw(&d->ld, ref.data, batch, t->run_id, err);
    arus_strbuf_cleanup(&ref);
    if (rc == ARUS_OK)
        *loaded = (int64_t)batch->nrows;
    return rc;
}

static bool my_has_pk(const struct arus_table_schema *s)
{
    for (size_t i = 0; i < s->ncolumns; i++)
        if (s->columns[i].pk_ordinal > 0)
            return true;
    return false;
}

static int my_dst_load_normalized(struct arus_destination *b, const struct arus_target *t,
                                  const struct arus_batch *batch, int64_t *loaded,
                                  struct arus_error *err)
{
    struct my_dest *d = my_d(b);
    struct arus_strbuf ref, tmp;
    arus_strbuf_init(&ref);
    arus_strbuf_init(&tmp);
    my_norm_ref(d, t, t->shadow, &ref);
    my_norm_name(t, t->shadow, &tmp);
    arus_strbuf_puts(&tmp, "__arus_load");
    /* a fresh shadow table or a keyless table needs no merge: load straight in */
    bool merge = !t->shadow && my_has_pk(batch->schema);
    bool fresh = merge && d->fresh_table && strcmp(d->fresh_table, ref.data) == 0;
    struct my_load_target lt = {.table = ref.data,
                                .db = my_target_db(d, t),
                                .tmp_name = tmp.data,
                                .merge = merge,
                                .fresh = fresh};
    int rc = arus__my_load_rows(&d->ld, &lt, batch, t->run_id, err);
    arus_strbuf_cleanup(&ref);
    arus_strbuf_cleanup(&tmp);
    if (rc == ARUS_OK)
        *loaded = (int64_t)d->ld.written;
    return rc;
}

/* ---- state and history: statements generated from the layout in arus/state.h */

/* `arus_state`.`<t>` */
static void my_state_ref(struct arus_strbuf *sb, const struct arus_state_table *t)
{
    my_qualified(sb, ARUS_STATE_SCHEMA, t->name);
}

/* One state column as these tables have always had it. */
static void my_state_column(struct arus_strbuf *sb, const struct arus_state_column *c)
{
    static const char *const types[] = {
        [ARUS_STATE_NAME] = "VARCHAR(255)", [ARUS_STATE_WORD] = "VARCHAR(16)",
        [ARUS_STATE_TEXT] = "TEXT",         [ARUS_STATE_UUID] = "CHAR(36)",
        [ARUS_STATE_STAMP] = "DATETIME(6)", [ARUS_STATE_TIME] = "DATETIME(6)",
        [ARUS_STATE_COUNT] = "BIGINT"};
    arus_sql_quote_ident(sb, c->name, '`', false);
    arus_strbuf_appendf(sb, " %s %s", types[c->type], c->not_null ? "NOT NULL" : "NULL");
}

static void my_state_create(struct arus_strbuf *sb, const struct arus_state_table *t)
{
    arus_strbuf_puts(sb, "CREATE TABLE IF NOT EXISTS ");
    my_state_ref(sb, t);
    arus_strbuf_puts(sb, " (");
    for (size_t i = 0; i < t->ncolumns; i++) {
        my_state_column(sb, &t->columns[i]);
        arus_strbuf_puts(sb, ", ");
    }
    arus_strbuf_puts(sb, "PRIMARY KEY (");
    arus_state_names(sb, t, 0, t->nkey, '`', NULL);
    arus_strbuf_putc(sb, ')');
    if (t == &arus_state_runs) /* `arus runs` reads a pipeline's newest runs */
        arus_strbuf_puts(sb, ", KEY (pipeline, started_at)");
    arus_strbuf_puts(sb, ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin");
}

/* Add the columns newer versions appended to t (arus_state_table.nfirst) to a table an older
 * one made (MySQL has no ADD COLUMN IF NOT EXISTS). */
static int my_state_migrate(struct my_dest *d, const struct arus_state_table *t,
                            struct arus_error *err)
{
    if (t->nfirst == t->ncolumns)
        return ARUS_OK;
    struct my_rows have;
    struct arus_strbuf sb;
    arus_strbuf_init(&sb);
    int rc = my_existing_columns(d, ARUS_STATE_SCHEMA, t->name, &have, err);
    for (size_t i = t->nfirst; rc == ARUS_OK && i < t->ncolumns; i++) {
        if (my_rows_has(&have, t->columns[i].name))
            continue;
        arus_strbuf_puts(&sb, "ALTER TABLE ");
        my_state_ref(&sb, t);
        arus_strbuf_puts(&sb, " ADD COLUMN ");
        my_state_column(&sb, &t->columns[i]);
        rc = my_ddl(d, &sb, "add a state column", err);
    }
    arus_arena_reset(d->scratch);
    arus_strbuf_cleanup(&sb);
    return rc;
}

static int my_dst_ensure_state(struct arus_destination *b, struct arus_error *err)
{
    struct my_dest *d = my_d(b);
    const struct arus_state_table *tables[] = {&arus_state_watermarks, &arus_state_runs};
    int rc = my_create_database(d, ARUS_STATE_SCHEMA, err);
    struct arus_strbuf sb;
    arus_strbuf_init(&sb);
    for (size_t i = 0; rc == ARUS_OK && i < sizeof tables / sizeof *tables; i++) {
        char what[64];
        snprintf(what, sizeof what, "create `%s`.`%s`", ARUS_STATE_SCHEMA, tables[i]->name);
        my_state_create(&sb, tables[i]);
        if ((rc = my_ddl(d, &sb, what, err)) == ARUS_OK)
            rc = my_state_migrate(d, tables[i], err);
    }
    arus_strbuf_cleanup(&sb);
    return rc;
}

/* Insert row into state table t, or update the row with the same key. */
static int my_state_upsert(struct my_dest *d, const struct arus_state_table *t,
                           const struct arus_state_row *row, const char *what,
                           struct arus_error *err)
{
    struct my_param p[ARUS_STATE_MAX_COLUMNS];
    struct arus_strbuf sb;
    arus_strbuf_init(&sb);
    arus_strbuf_puts(&sb, "INSERT INTO ");
    my_state_ref(&sb, t);
    arus_strbuf_puts(&sb, " (");
    arus_state_names(&sb, t, 0, t->ncolumns, '`', NULL);
    arus_strbuf_puts(&sb, ") VALUES (");
    for (size_t i = 0; i < t->ncolumns; i++) {
        arus_strbuf_puts(&sb, i ? ", ?" : "?");
        p[i] = my_str(row->value[i]);
    }
    arus_strbuf_puts(&sb, ") ON DUPLICATE KEY UPDATE ");
    static const char *const set[2] = {"VALUES(", ")"};
    arus_state_names(&sb, t, t->nkey, t->ncolumns, '`', set);
    int rc = arus__my_query(d->ld.db, arus_strbuf_cstr(&sb), p, t->ncolumns, NULL, NULL, NULL,
                            err, what);
    arus_strbuf_cleanup(&sb);
    return rc;
}

/* The rows of state table t for pipeline (and table, unless NULL; at most limit), in the
 * layout's order, each column as its canonical text, into r (allocated in a). No rows when
 * the state tables do not exist: reads never create them. */
/* How a state column is read back as its canonical text. */
static void my_state_read(struct arus_strbuf *sb, const struct arus_state_column *c,
                          const char *quoted)
{
    const char *fmt = c->type == ARUS_STATE_STAMP  ? "'%Y-%m-%d %H:%i:%s'"
                      : c->type == ARUS_STATE_TIME ? "'%Y-%m-%d %H:%i:%s.%f'"
                                                   : NULL;
    if (fmt)
        arus_strbuf_appendf(sb, "DATE_FORMAT(%s, %s)", quoted, fmt);
    else
        arus_strbuf_puts(sb, quoted);
}

static int my_state_select(struct my_dest *d, const struct arus_state_table *t,
                           const char *pipeline, const char *table, size_t limit,
                           struct arus_arena *a, struct my_rows *r, const char *what,
                           struct arus_error *err)
{
    struct arus_strbuf sb;
    arus_strbuf_init(&sb);
    int rc;
    /* A table an older version made lacks the newer columns until a sync migrates it. */
    for (int old_layout = 0; old_layout < 2; old_layout++) {
        arus_strbuf_reset(&sb);
        arus_strbuf_puts(&sb, "SELECT ");
        arus_state_select_list(&sb, t, '`', old_layout, my_state_read);
        arus_strbuf_puts(&sb, " FROM ");
        my_state_ref(&sb, t);
        arus_strbuf_puts(&sb, " WHERE " ARUS_STATE_PIPELINE_COLUMN " = ?");
        struct my_param p[2] = {my_str(pipeline),
                                table ? my_str(table) : my_int((long long)limit)};
        if (table)
            arus_strbuf_puts(&sb, " AND " ARUS_STATE_TABLE_COLUMN " = ?");
        arus_strbuf_appendf(&sb, " ORDER BY %s", t->order_by);
        bool limited = !table && limit != SIZE_MAX;
        if (limited)
            arus_strbuf_puts(&sb, " LIMIT ?");
        rc = arus__my_query(d->ld.db, arus_strbuf_cstr(&sb), p, table || limited ? 2 : 1, a, r,
                            NULL, err, what);
        if (rc == ARUS_OK || !err || err->driver_code != 1054) /* ER_BAD_FIELD_ERROR */
            break;
        arus_error_clear(err);
    }
    arus_strbuf_cleanup(&sb);
    /* ER_BAD_DB_ERROR, ER_NO_SUCH_TABLE */
    if (rc != ARUS_OK && err && (err->driver_code == 1049 || err->driver_code == 1146)) {
        arus_error_clear(err);
        memset(r, 0, sizeof *r);
        return ARUS_OK;
    }
    return rc;
}

static int my_dst_update_watermark(struct arus_destination *b, const struct arus_target *t,
                                   const struct arus_table_state *st, struct arus_error *err)
{
    struct arus_state_row row;
    arus_state_row_from_watermark(&row, t, st);
    return my_state_upsert(my_d(b), &arus_state_watermarks, &row, "update watermark", err);
}

static int my_dst_get_watermark(struct arus_destination *b, const char *pipeline, const char *table,
                                struct arus_arena *a, struct arus_table_state *out,
                                struct arus_error *err)
{
    struct my_rows r;
    int rc = my_state_select(my_d(b), &arus_state_watermarks, pipeline, table, SIZE_MAX, a, &r,
                             "read watermark", err);
    if (rc != ARUS_OK)
        return rc;
    memset(out, 0, sizeof *out);
    if (r.nrows)
        arus_state_watermark_from_values((const char *const *)r.cells, a, NULL, out);
    return ARUS_OK;
}

static int my_dst_list_state(struct arus_destination *b, const char *pipeline, struct arus_arena *a,
                             const char ***tables, struct arus_table_state **states, size_t *n,
                             struct arus_error *err)
{
    struct my_rows r;
    int rc = my_state_select(my_d(b), &arus_state_watermarks, pipeline, NULL, SIZE_MAX, a, &r,
                             "read state", err);
    if (rc != ARUS_OK)
        return rc;
    const char **names = arus_arena_calloc(a, r.nrows + 1, sizeof *names);
    struct arus_table_state *st = arus_arena_calloc(a, r.nrows + 1, sizeof *st);
    for (size_t i = 0; i < r.nrows; i++)
        arus_state_watermark_from_values((const char *const *)r.cells + i * r.ncols, a,
                                         &names[i], &st[i]);
    *tables = names;
    *states = st;
    *n = r.nrows;
    return ARUS_OK;
}

static int my_table_exists(struct my_dest *d, const char *db, const char *name, bool *exists,
                           struct arus_error *err)
{
    struct my_param p[2] = {my_str(db), my_str(name)};
    struct my_rows r;
    int rc = arus__my_query(d->ld.db,
                            "SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND "
                            "TABLE_NAME = ?",
                            p, 2, d->scratch, &r, NULL, err, "look up table");
    if (rc == ARUS_OK)
        *exists = r.nrows > 0;
    arus_arena_reset(d->scratch);
    return rc;
}

/* RENAME TABLE commits implicitly, so the swap cannot share a transaction with the watermark.
 * Order: drop a stale old table, one atomic RENAME (readers see old or new, never neither),
 * drop old, then reopen the transaction the engine began so the watermark commits right
 * after. A crash in between only makes the next run refresh again. */
static int my_dst_swap_shadow(struct arus_destination *b, const struct arus_target *t,
                              struct arus_error *err)
{
    struct my_dest *d = my_d(b);
    struct arus_strbuf sb, name, old;
    bool exists = false;
    int rc;
    arus_strbuf_init(&sb);
    arus_strbuf_init(&name);
    arus_strbuf_init(&old);
    my_norm_name(t, false, &name);
    arus_strbuf_appendf(&old, "%s" ARUS_OLD_SUFFIX, name.data);

    arus_strbuf_puts(&sb, "DROP TABLE IF EXISTS ");
    my_qualified(&sb, my_target_db(d, t), old.data);
    if ((rc = my_ddl(d, &sb, "drop old table", err)) != ARUS_OK ||
        (rc = my_table_exists(d, my_target_db(d, t), name.data, &exists, err)) != ARUS_OK)
        goto out;
    arus_strbuf_puts(&sb, "RENAME TABLE ");
    if (exists) {
        my_norm_ref(d, t, false, &sb);
        arus_strbuf_puts(&sb, " TO ");
        my_qualified(&sb, my_target_db(d, t), old.data);
        arus_strbuf_puts(&sb, ", ");
    }
    my_norm_ref(d, t, true, &sb);
    arus_strbuf_puts(&sb, " TO ");
    my_norm_ref(d, t, false, &sb);
    if ((rc = my_ddl(d, &sb, "swap shadow table", err)) != ARUS_OK)
        goto out;
    arus_strbuf_puts(&sb, "DROP TABLE IF EXISTS ");
    my_qualified(&sb, my_target_db(d, t), old.data);
    if ((rc = my_ddl(d, &sb, "drop old table", err)) != ARUS_OK)
        goto out;
    rc = arus__my_exec(d->ld.db, "START TRANSACTION", err, "begin");
out:
    if (rc != ARUS_OK)
        arus_error_prefix(err, "table `%s`.`%s`", my_target_db(d, t), name.data);
    arus_strbuf_cleanup(&sb);
    arus_strbuf_cleanup(&name);
    arus_strbuf_cleanup(&old);
    return rc;
}

static int my_dst_drop_shadow(struct arus_destination *b, const struct arus_target *t,
                              struct arus_error *err)
{
    struct my_dest *d = my_d(b);
    struct arus_strbuf sb;
    arus_strbuf_init(&sb);
    arus_strbuf_puts(&sb, "DROP TABLE IF EXISTS ");
    my_norm_ref(d, t, true, &sb);
    int rc = my_ddl(d, &sb, "drop shadow table", err);
    arus_strbuf_cleanup(&sb);
    return rc;
}

static int my_dst_record_run(struct arus_destination *b, const struct arus_run_record *r,
                             struct arus_error *err)
{
    struct arus_state_row row;
    arus_state_row_from_run(&row, r);
    return my_state_upsert(my_d(b), &arus_state_runs, &row, "record run", err);
}

static int my_dst_list_runs(struct arus_destination *b, const char *pipeline, size_t limit,
                            struct arus_arena *a, struct arus_run_record **out, size_t *n,
                            struct arus_error *err)
{
    struct my_rows r;
    int rc = my_state_select(my_d(b), &arus_state_runs, pipeline, NULL, limit, a, &r,
                             "read run history", err);
    if (rc != ARUS_OK)
        return rc;
    struct arus_run_record *runs = arus_arena_calloc(a, r.nrows + 1, sizeof *runs);
    for (size_t i = 0; i < r.nrows; i++)
        arus_state_run_from_values((const char *const *)r.cells + i * r.ncols, a, &runs[i]);
    *out = runs;
    *n = r.nrows;
    return ARUS_OK;
}

static int my_dst_delete_rows(struct arus_destination *b, const struct arus_target *t,
                              const struct arus_batch *batch, int64_t *deleted,
                              struct arus_error *err)
{
    struct my_dest *d = my_d(b);
    struct arus_strbuf ref;
    uint64_t n = 0;
    arus_strbuf_init(&ref);
    my_norm_ref(d, t, false, &ref);
    int rc = arus__my_delete_keys(&d->ld, ref.data, batch, &n, err);
    arus_strbuf_cleanup(&ref);
    if (rc == ARUS_OK)
        *deleted = (int64_t)n;
    return rc;
}

/* TRUNCATE TABLE would commit the transaction by itself: DELETE keeps it inside. */
static int my_dst_truncate_table(struct arus_destination *b, const struct arus_target *t,
                                 struct arus_error *err)
{
    struct my_dest *d = my_d(b);
    struct arus_strbuf sb;
    arus_strbuf_init(&sb);
    arus_strbuf_puts(&sb, "DELETE FROM ");
    my_norm_ref(d, t, false, &sb);
    int rc = arus__my_exec(d->ld.db, arus_strbuf_cstr(&sb), err, "truncate table");
    arus_strbuf_cleanup(&sb);
    return rc;
}

/* Refused rows land in <raw db>._dead_letters. The row is kept as text, not JSON, so that
 * storing it can never be refused in turn. (The CREATE commits implicitly; the engine writes
 * dead letters in a transaction of their own, so nothing else is affected.) */
static int my_dst_write_dead_letter(struct arus_destination *b, const struct arus_target *t,
                                    const char *row_json, const char *error, struct arus_error *err)
{
    struct my_dest *d = my_d(b);
    struct arus_strbuf sb;
    arus_strbuf_init(&sb);
    arus_strbuf_puts(&sb, "CREATE TABLE IF NOT EXISTS ");
    my_qualified(&sb, my_raw_db(d, t), "_dead_letters");
    arus_strbuf_puts(&sb, " (`_arus_id` BIGINT AUTO_INCREMENT PRIMARY KEY, `source` VARCHAR(255) "
                          "NOT NULL, `table_name` VARCHAR(255) NOT NULL, `run_id` CHAR(36) NOT "
                          "NULL, `row_data` LONGTEXT NOT NULL, `error` TEXT NOT NULL, "
                          "`created_at` DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)) "
                          "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4");
    int rc = my_ddl(d, &sb, "create dead-letter table", err);
    if (rc == ARUS_OK) {
        arus_strbuf_puts(&sb, "INSERT INTO ");
        my_qualified(&sb, my_raw_db(d, t), "_dead_letters");
        arus_strbuf_puts(&sb, " (`source`, `table_name`, `run_id`, `row_data`, `error`) VALUES "
                              "(?, ?, ?, ?, ?)");
        struct my_param p[5] = {my_str(t->source_name), my_str(t->table), my_str(t->run_id),
                                my_str(row_json), my_str(error)};
        rc = arus__my_query(d->ld.db, arus_strbuf_cstr(&sb), p, 5, NULL, NULL, NULL, err,
                            "store refused row");
    }
    arus_strbuf_cleanup(&sb);
    return rc;
}

static void my_page_param(void *ctx, struct arus_strbuf *sql, size_t i, const struct arus_column *c)
{
    (void)ctx;
    (void)i;
    (void)c;
    arus_strbuf_putc(sql, '?');
}

/* Key columns have a binary collation (my_create_table_ddl), so ORDER BY is byte order. */
static const struct arus_sql_page_dialect my_page = {.quote = '`', .param = my_page_param};

/* arus verify: one page of the normalized table by key. */
static int my_dst_read_rows(struct arus_destination *b, const struct arus_target *t,
                            const struct arus_cell *after, struct arus_batch *batch,
                            struct arus_error *err)
{
    struct my_dest *d = my_d(b);
    const struct arus_table_schema *s = batch->schema;
    size_t *pk = arus_xcalloc(s->ncolumns + 1, sizeof *pk);
    size_t npk = arus_schema_pk(s, pk);
    struct my_param *params = arus_xcalloc(npk + 1, sizeof *params);
    for (size_t i = 0; after && i < npk; i++)
        params[i] = (struct my_param){.p = after[i].data, .n = after[i].len};
    struct arus_strbuf sql, from;
    arus_strbuf_init(&sql);
    arus_strbuf_init(&from);
    my_norm_ref(d, t, false, &from);
    arus_sql_read_page(s, arus_strbuf_cstr(&from), false, after != NULL, batch->capacity,
                       &my_page, NULL, &sql);
    struct my_rows r = {0};
    arus_arena_reset(d->scratch);
    int rc = arus__my_query(d->ld.db, arus_strbuf_cstr(&sql), params, after ? npk : 0, d->scratch,
                            &r, NULL, err, "read back rows");
    for (size_t row = 0; rc == ARUS_OK && row < r.nrows; row++) {
        struct arus_cell *cells = arus_batch_add_row(batch);
        for (size_t i = 0; i < s->ncolumns && i < r.ncols; i++)
            if (r.cells[row * r.ncols + i])
                arus_cell_set(batch, &cells[i], r.cells[row * r.ncols + i],
                              r.lens[row * r.ncols + i]);
    }
    arus_strbuf_cleanup(&from);
    arus_strbuf_cleanup(&sql);
    free(params);
    free(pk);
    return rc;
}

/* Whether the raw or normalized table of t exists and holds a row. */
static int my_dst_table_rows(struct arus_destination *b, const struct arus_target *t, bool raw,
                             int64_t *rows, struct arus_error *err)
{
    struct my_dest *d = my_d(b);
    struct arus_strbuf name, sb;
    arus_strbuf_init(&name);
    arus_strbuf_init(&sb);
    if (raw)
        arus_raw_table_name(&name, t);
    else
        my_norm_name(t, false, &name);
    const char *db = raw ? my_raw_db(d, t) : my_target_db(d, t);
    bool exists = false;
    int64_t found = -1;
    int rc = my_table_exists(d, db, arus_strbuf_cstr(&name), &exists, err);
    if (rc == ARUS_OK && exists) {
        struct my_rows r;
        arus_strbuf_puts(&sb, "SELECT 1 FROM ");
        my_qualified(&sb, db, arus_strbuf_cstr(&name));
        arus_strbuf_puts(&sb, " LIMIT 1");
        rc = arus__my_query(d->ld.db, arus_strbuf_cstr(&sb), NULL, 0, d->scratch, &r, NULL, err,
                            "probe table");
        if (rc == ARUS_OK)
            found = r.nrows > 0;
        arus_arena_reset(d->scratch);
    }
    arus_strbuf_cleanup(&name);
    arus_strbuf_cleanup(&sb);
    if (rc == ARUS_OK)
        *rows = found;
    return rc;
}

static int my_dst_forget_state(struct arus_destination *b, const char *pipeline,
                               const char *table, int64_t *forgotten, struct arus_error *err)
{
    struct arus_strbuf sb;
    arus_strbuf_init(&sb);
    arus_strbuf_puts(&sb, "DELETE FROM ");
    my_state_ref(&sb, &arus_state_watermarks);
    arus_strbuf_puts(&sb, " WHERE " ARUS_STATE_PIPELINE_COLUMN " = ?");
    if (table)
        arus_strbuf_puts(&sb, " AND " ARUS_STATE_TABLE_COLUMN " = ?");
    struct my_param p[2] = {my_str(pipeline), my_str(table)};
    uint64_t n = 0;
    int rc = arus__my_query(my_d(b)->ld.db, arus_strbuf_cstr(&sb), p, table ? 2 : 1, NULL, NULL,
                            &n, err, "forget state");
    arus_strbuf_cleanup(&sb);
    /* ER_BAD_DB_ERROR, ER_NO_SUCH_TABLE: nothing stored, nothing to forget */
    if (rc != ARUS_OK && (err->driver_code == 1049 || err->driver_code == 1146)) {
        arus_error_clear(err);
        rc = ARUS_OK;
    }
    *forgotten = (int64_t)n;
    return rc;
}

static int my_dst_list_dead_letters(struct arus_destination *b, const struct arus_target *t,
                                    struct arus_arena *a, struct arus_dead_letter **out,
                                    size_t *n, struct arus_error *err)
{
    struct my_dest *d = my_d(b);
    struct arus_strbuf sb;
    arus_strbuf_init(&sb);
    arus_strbuf_puts(&sb, "SELECT CAST(`_arus_id` AS CHAR), `table_name`, `run_id`, `row_data`, "
                          "`error`, DATE_FORMAT(`created_at`, '%Y-%m-%d %H:%i:%s.%f') FROM ");
    my_qualified(&sb, my_raw_db(d, t), "_dead_letters");
    arus_strbuf_puts(&sb, " WHERE `source` = ?");
    if (t->table)
        arus_strbuf_puts(&sb, " AND `table_name` = ?");
    arus_strbuf_puts(&sb, " ORDER BY `_arus_id`");
    struct my_param p[2] = {my_str(t->source_name), my_str(t->table)};
    struct my_rows r;
    memset(&r, 0, sizeof r);
    int rc = arus__my_query(d->ld.db, arus_strbuf_cstr(&sb), p, t->table ? 2 : 1, a, &r, NULL, err,
                            "read dead letters");
    arus_strbuf_cleanup(&sb);
    /* ER_BAD_DB_ERROR, ER_NO_SUCH_TABLE: none */
    if (rc != ARUS_OK && (err->driver_code == 1049 || err->driver_code == 1146)) {
        arus_error_clear(err);
        memset(&r, 0, sizeof r);
        rc = ARUS_OK;
    }
    if (rc != ARUS_OK)
        return rc;
    *out = arus_arena_calloc(a, r.nrows + 1, sizeof **out);
    for (size_t i = 0; i < r.nrows; i++) {
        char **v = r.cells + i * r.ncols;
        (*out)[i] = (struct arus_dead_letter){.id = v[0], .table = v[1], .run_id = v[2],
                                              .row_data = v[3], .error = v[4], .created_at = v[5]};
    }
    *n = r.nrows;
    return ARUS_OK;
}

static int my_dst_delete_dead_letter(struct arus_destination *b, const struct arus_target *t,
                                     const struct arus_dead_letter *dl, struct arus_error *err)
{
    struct my_dest *d = my_d(b);
    struct arus_strbuf sb;
    arus_strbuf_init(&sb);
    arus_strbuf_puts(&sb, "DELETE FROM ");
    my_qualified(&sb, my_raw_db(d, t), "_dead_letters");
    arus_strbuf_puts(&sb, " WHERE `_arus_id` = ?");
    struct my_param p[1] = {my_int(strtoll(dl->id, NULL, 10))};
    int rc = arus__my_query(d->ld.db, arus_strbuf_cstr(&sb), p, 1, NULL, NULL, NULL, err,
                            "delete dead letter");
    arus_strbuf_cleanup(&sb);
    return rc;
}

/* The typed table's columns with COLUMN_TYPE mapped back like a MySQL source's. */
static int my_dst_describe_table(struct arus_destination *b, const struct arus_target *t,
                                 struct arus_arena *a, struct arus_table_schema **out,
                                 struct arus_error *err)
{
    struct my_dest *d = my_d(b);
    struct arus_strbuf name;
    arus_strbuf_init(&name);
    my_norm_name(t, false, &name);
    struct my_param p[2] = {my_str(my_target_db(d, t)), my_str(arus_strbuf_cstr(&name))};
    struct my_rows r;
    int rc = arus__my_query(d->ld.db,
                            "SELECT COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_KEY FROM "
                            "information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? "
                            "ORDER BY ORDINAL_POSITION",
                            p, 2, a, &r, NULL, err, "describe table");
    *out = NULL;
    if (rc == ARUS_OK && r.nrows) {
        struct arus_table_schema *s = arus_arena_calloc(a, 1, sizeof *s);
        s->name = arus_arena_strdup(a, arus_strbuf_cstr(&name));
        s->columns = arus_arena_calloc(a, r.nrows, sizeof *s->columns);
        for (size_t i = 0; i < r.nrows; i++) {
            char **v = r.cells + i * r.ncols;
            struct arus_column *c = &s->columns[s->ncolumns++];
            c->name = v[0];
            c->source_type = v[1];
            arus__my_type_from_native(v[1], &c->type);
            c->nullable = strcmp(v[2], "YES") == 0;
            c->pk_ordinal = strcmp(v[3], "PRI") == 0;
        }
        *out = s;
    }
    arus_strbuf_cleanup(&name);
    return rc;
}

/* MODIFY COLUMN keeps the values (each widening arus chooses converts them exactly); DDL
 * commits by itself. */
static int my_dst_alter_column_type(struct arus_destination *b, const struct arus_target *t,
                                    const struct arus_column *c, struct arus_error *err)
{
    struct my_dest *d = my_d(b);
    struct arus_strbuf sb;
    arus_strbuf_init(&sb);
    arus_strbuf_puts(&sb, "ALTER TABLE ");
    my_norm_ref(d, t, false, &sb);
    arus_strbuf_puts(&sb, " MODIFY COLUMN ");
    my_column_ddl(c, 1, false, &sb);
    int rc = my_ddl(d, &sb, "widen column", err);
    arus_strbuf_cleanup(&sb);
    return rc;
}

static int my_dst_null_columns(struct arus_destination *b, const struct arus_target *t,
                               const char *const *names, size_t n, int64_t *changed,
                               struct arus_error *err)
{
    struct my_dest *d = my_d(b);
    struct arus_strbuf sb;
    arus_strbuf_init(&sb);
    arus_strbuf_puts(&sb, "UPDATE ");
    my_norm_ref(d, t, false, &sb);
    for (size_t i = 0; i < n; i++) {
        arus_strbuf_puts(&sb, i ? ", " : " SET ");
        arus_sql_quote_ident(&sb, names[i], '`', false);
        arus_strbuf_puts(&sb, " = NULL");
    }
    arus_strbuf_puts(&sb, " WHERE `_arus_run_id` = ?");
    struct my_param p[1] = {my_str(t->run_id)};
    uint64_t affected = 0;
    int rc = arus__my_query(d->ld.db, arus_strbuf_cstr(&sb), p, 1, NULL, NULL, &affected, err,
                            "set dropped columns NULL");
    arus_strbuf_cleanup(&sb);
    if (rc == ARUS_OK)
        *changed = (int64_t)affected;
    return rc;
}

const struct arus_destination_ops arus_destination_mysql = {
    .abi_version = ARUS_DESTINATION_ABI,
    .name = "mysql",
    .flags = ARUS_DST_TRANSACTIONS,
    .create = my_dst_create,
    .connect = my_dst_connect,
    .close = my_dst_close,
    .test_connection = my_dst_test,
    .ensure_state = my_dst_ensure_state,
    .lock = my_dst_lock,
    .unlock = my_dst_unlock,
    .ensure_schema = my_dst_ensure_schema,
    .begin = my_dst_begin,
    .commit = my_dst_commit,
    .rollback = my_dst_rollback,
    .load_raw = my_dst_load_raw,
    .load_normalized = my_dst_load_normalized,
    .update_watermark = my_dst_update_watermark,
    .get_watermark = my_dst_get_watermark,
    .swap_shadow = my_dst_swap_shadow,
    .drop_shadow = my_dst_drop_shadow,
    .record_run = my_dst_record_run,
    .list_runs = my_dst_list_runs,
    .list_state = my_dst_list_state,
    .delete_rows = my_dst_delete_rows,
    .truncate_table = my_dst_truncate_table,
    .write_dead_letter = my_dst_write_dead_letter,
    .read_rows = my_dst_read_rows,
    .table_rows = my_dst_table_rows,
    .forget_state = my_dst_forget_state,
    .list_dead_letters = my_dst_list_dead_letters,
    .delete_dead_letter = my_dst_delete_dead_letter,
    .describe_table = my_dst_describe_table,
    .alter_column_type = my_dst_alter_column_type,
    .null_columns = my_dst_null_columns,
};

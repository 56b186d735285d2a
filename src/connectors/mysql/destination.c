/* MySQL/MariaDB destination: raw JSON landing tables and typed tables in configurable
 * databases, state and run history in `arus_state`, a GET_LOCK pipeline lock, and the
 * shadow-table swap. Loading itself (LOAD DATA LOCAL from memory, merge, INSERT fallback) is
 * in load.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arus/arena.h"
#include "arus/destination.h"
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

static int my_dst_ensure_state(struct arus_destination *b, struct arus_error *err)
{
    struct my_dest *d = my_d(b);
    int rc = my_create_database(d, ARUS_STATE_SCHEMA, err);
    if (rc == ARUS_OK)
        rc = arus__my_exec(d->ld.db,
                           "CREATE TABLE IF NOT EXISTS `arus_state`.`watermarks` ("
                           "pipeline VARCHAR(255) NOT NULL, table_name VARCHAR(255) NOT NULL, "
                           "watermark TEXT NULL, deletes_watermark TEXT NULL, run_id CHAR(36) "
                           "NULL, updated_at DATETIME(6) NOT NULL, "
                           "PRIMARY KEY (pipeline, table_name)) ENGINE=InnoDB "
                           "DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
                           err, "create `arus_state`.`watermarks`");
    if (rc == ARUS_OK)
        rc = arus__my_exec(d->ld.db,
                           "CREATE TABLE IF NOT EXISTS `arus_state`.`runs` ("
                           "run_id CHAR(36) NOT NULL, table_name VARCHAR(255) NOT NULL, "
                           "pipeline VARCHAR(255) NOT NULL, mode VARCHAR(16) NOT NULL, "
                           "status VARCHAR(16) NOT NULL, started_at DATETIME(6) NOT NULL, "
                           "finished_at DATETIME(6) NULL, rows_extracted BIGINT NOT NULL, "
                           "rows_loaded BIGINT NOT NULL, rows_deleted BIGINT NOT NULL, "
                           "rows_dead_lettered BIGINT NOT NULL, error TEXT NULL, "
                           "PRIMARY KEY (run_id, table_name), KEY (pipeline, started_at)) "
                           "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
                           err, "create `arus_state`.`runs`");
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

static int my_dst_update_watermark(struct arus_destination *b, const struct arus_target *t,
                                   const struct arus_table_state *st, struct arus_error *err)
{
    struct my_dest *d = my_d(b);
    struct my_param p[6] = {my_str(t->pipeline),   my_str(t->table),
                            my_str(st->watermark), my_str(st->deletes_watermark),
                            my_str(st->run_id),    my_str(st->updated_at)};
    return arus__my_query(d->ld.db,
                          "INSERT INTO `arus_state`.`watermarks` (pipeline, table_name, "
                          "watermark, deletes_watermark, run_id, updated_at) VALUES "
                          "(?, ?, ?, ?, ?, COALESCE(?, UTC_TIMESTAMP(6))) ON DUPLICATE KEY "
                          "UPDATE watermark = VALUES(watermark), deletes_watermark = "
                          "VALUES(deletes_watermark), run_id = VALUES(run_id), updated_at = "
                          "VALUES(updated_at)",
                          p, 6, NULL, NULL, NULL, err, "update watermark");
}

#define MY_STATE_COLS                                                                              \
    "watermark, deletes_watermark, run_id, DATE_FORMAT(updated_at, '%Y-%m-%d %H:%i:%s')"

static void my_state_from_row(char **row, struct arus_table_state *st)
{
    st->watermark = row[0];
    st->deletes_watermark = row[1];
    st->run_id = row[2];
    st->updated_at = row[3];
}

static int my_dst_get_watermark(struct arus_destination *b, const char *pipeline, const char *table,
                                struct arus_arena *a, struct arus_table_state *out,
                                struct arus_error *err)
{
    struct my_dest *d = my_d(b);
    struct my_param p[2] = {my_str(pipeline), my_str(table)};
    struct my_rows r;
    int rc = arus__my_query(d->ld.db,
                            "SELECT " MY_STATE_COLS " FROM `arus_state`.`watermarks` "
                            "WHERE pipeline = ? AND table_name = ?",
                            p, 2, a, &r, NULL, err, "read watermark");
    if (rc != ARUS_OK)
        return rc;
    memset(out, 0, sizeof *out);
    if (r.nrows)
        my_state_from_row(r.cells, out);
    return ARUS_OK;
}

static int my_dst_list_state(struct arus_destination *b, const char *pipeline, struct arus_arena *a,
                             const char ***tables, struct arus_table_state **states, size_t *n,
                             struct arus_error *err)
{
    struct my_dest *d = my_d(b);
    struct my_param p = my_str(pipeline);
    struct my_rows r;
    int rc = arus__my_query(d->ld.db,
                            "SELECT table_name, " MY_STATE_COLS " FROM `arus_state`.`watermarks` "
                            "WHERE pipeline = ? ORDER BY table_name",
                            &p, 1, a, &r, NULL, err, "read state");
    if (rc != ARUS_OK)
        return rc;
    const char **names = arus_arena_calloc(a, r.nrows + 1, sizeof *names);
    struct arus_table_state *st = arus_arena_calloc(a, r.nrows + 1, sizeof *st);
    for (size_t i = 0; i < r.nrows; i++) {
        names[i] = r.cells[i * r.ncols];
        my_state_from_row(r.cells + i * r.ncols + 1, &st[i]);
    }
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
    arus_strbuf_appendf(&old, "%s__arus_old", name.data);

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
    struct my_dest *d = my_d(b);
    struct my_param p[12] = {my_str(r->run_id),
                             my_str(r->table),
                             my_str(r->pipeline),
                             my_str(r->mode),
                             my_str(r->status),
                             my_str(r->started_at),
                             my_str(r->finished_at),
                             my_int(r->rows_extracted),
                             my_int(r->rows_loaded),
                             my_int(r->rows_deleted),
                             my_int(r->rows_dead_lettered),
                             my_str(r->error)};
    return arus__my_query(
        d->ld.db,
        "INSERT INTO `arus_state`.`runs` (run_id, table_name, pipeline, mode, status, "
        "started_at, finished_at, rows_extracted, rows_loaded, rows_deleted, "
        "rows_dead_lettered, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON DUPLICATE KEY UPDATE pipeline = VALUES(pipeline), mode = VALUES(mode), "
        "status = VALUES(status), started_at = VALUES(started_at), finished_at = "
        "VALUES(finished_at), rows_extracted = VALUES(rows_extracted), rows_loaded = "
        "VALUES(rows_loaded), rows_deleted = VALUES(rows_deleted), rows_dead_lettered = "
        "VALUES(rows_dead_lettered), error = VALUES(error)",
        p, 12, NULL, NULL, NULL, err, "record run");
}

static int64_t my_i64(const char *s) { return s ? strtoll(s, NULL, 10) : 0; }

static int my_dst_list_runs(struct arus_destination *b, const char *pipeline, size_t limit,
                            struct arus_arena *a, struct arus_run_record **out, size_t *n,
                            struct arus_error *err)
{
    struct my_dest *d = my_d(b);
    struct my_param p[2] = {my_str(pipeline), my_int((long long)limit)};
    struct my_rows r;
    int rc = arus__my_query(
        d->ld.db,
        "SELECT run_id, pipeline, table_name, mode, status, "
        "DATE_FORMAT(started_at, '%Y-%m-%d %H:%i:%s.%f'), "
        "DATE_FORMAT(finished_at, '%Y-%m-%d %H:%i:%s.%f'), rows_extracted, rows_loaded, "
        "rows_deleted, rows_dead_lettered, error FROM `arus_state`.`runs` WHERE pipeline = ? "
        "ORDER BY started_at DESC, table_name LIMIT ?",
        p, 2, a, &r, NULL, err, "read run history");
    if (rc != ARUS_OK)
        return rc;
    struct arus_run_record *runs = arus_arena_calloc(a, r.nrows + 1, sizeof *runs);
    for (size_t i = 0; i < r.nrows; i++) {
        char **c = r.cells + i * r.ncols;
        runs[i] = (struct arus_run_record){.run_id = c[0],
                                           .pipeline = c[1],
                                           .table = c[2],
                                           .mode = c[3],
                                           .status = c[4],
                                           .started_at = c[5],
                                           .finished_at = c[6],
                                           .rows_extracted = my_i64(c[7]),
                                           .rows_loaded = my_i64(c[8]),
                                           .rows_deleted = my_i64(c[9]),
                                           .rows_dead_lettered = my_i64(c[10]),
                                           .error = c[11]};
    }
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
    .write_dead_letter = my_dst_write_dead_letter,
};

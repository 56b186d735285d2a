/* PostgreSQL destination (libpq): raw JSONB landing tables and typed tables loaded with
 * COPY FROM STDIN (binary format where every column's type allows it, else text). Tables with
 * a primary key take a plain COPY until a batch meets an existing key, then merge: COPY into a
 * temporary table, INSERT ... ON CONFLICT (pk) DO UPDATE. Tables without a key and the empty
 * shadow table of a full refresh are appended. State, run history, dead letters and the
 * pipeline's advisory lock live in the same database, so a batch and its watermark commit
 * together. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arus/arena.h"
#include "arus/destination.h"
#include "arus/extract_sql.h"
#include "arus/state.h"
#include "arus/strbuf.h"
#include "connectors/postgresql/conn.h"
#include "connectors/postgresql/copybin.h"
#include "connectors/postgresql/typemap.h"

#define PG_MAX_IDENT 63 /* NAMEDATALEN - 1: longer names would be truncated silently */

struct pg_dest {
    struct arus_destination base;
    struct pg_settings set;
    PGconn *conn;
    const char *raw_schema;
    const char *target_schema;
    struct arus_strbuf sql;             /* statement text, reused */
    struct arus_strbuf data;            /* COPY payload of one batch, reused */
    char merging[2 * PG_MAX_IDENT + 2]; /* "schema.table" whose direct COPY hit an existing key */
    /* Whether a table ("schema.table", "" = unused slot) of the columns schema takes binary
     * COPY; a few tables remembered (change capture alternates between tables), all forgotten
     * by every statement that may change column types. */
    struct {
        char key[2 * PG_MAX_IDENT + 2];
        const struct arus_table_schema *schema;
        bool ok;
    } bin[8];
    size_t bin_next; /* slot the next table takes */
};

static int pg_create(const struct arus_endpoint *ep, struct arus_destination **out,
                     struct arus_error *err)
{
    struct pg_dest *d = arus_xcalloc(1, sizeof *d);
    int rc;
    d->raw_schema = ARUS_DEFAULT_RAW_SCHEMA;
    d->target_schema = ARUS_DEFAULT_TARGET_SCHEMA;
    static const char *const keys[] = {"raw_schema", "target_schema", NULL};
    if ((rc = arus__pg_check_keys(ep, keys, err)) ||
        (rc = arus__pg_settings_read(ep, &d->set, err)) ||
        (rc = arus_cfg_str(ep->node, "raw_schema", &d->raw_schema, err)) ||
        (rc = arus_cfg_str(ep->node, "target_schema", &d->target_schema, err))) {
        free(d);
        return rc;
    }
    arus_strbuf_init(&d->sql);
    arus_strbuf_init(&d->data);
    d->base.endpoint = ep;
    *out = &d->base;
    return ARUS_OK;
}

/* synchronous_commit off: a batch and its watermark still commit atomically, and a server
 * crash can only lose the newest commits as a whole, which the next run re-reads; in exchange
 * no batch waits for a WAL flush. */
static int pg_connect(struct arus_destination *base, struct arus_error *err)
{
    struct pg_dest *d = (struct pg_dest *)base;
    int rc = arus__pg_connect(&d->set, &d->conn, err);
    if (rc == ARUS_OK)
        rc = arus__pg_exec(d->conn, "SET synchronous_commit = off", "configure session", err);
    return rc;
}

/* Closing the session also releases the advisory lock and drops temporary tables. */
static void pg_close(struct arus_destination *base)
{
    struct pg_dest *d = (struct pg_dest *)base;
    if (!d)
        return;
    PQfinish(d->conn);
    arus_strbuf_cleanup(&d->sql);
    arus_strbuf_cleanup(&d->data);
    free(d);
}

static int pg_test_connection(struct arus_destination *base, struct arus_error *err)
{
    struct pg_dest *d = (struct pg_dest *)base;
    return arus__pg_exec(d->conn, "SELECT 1", "test connection", err);
}

/* ---- names */

static const char *pg_raw_schema(const struct pg_dest *d, const struct arus_target *t)
{
    return t->raw_schema ? t->raw_schema : d->raw_schema;
}

static const char *pg_target_schema(const struct pg_dest *d, const struct arus_target *t)
{
    return t->target_schema ? t->target_schema : d->target_schema;
}

static int pg_check_ident(const char *name, struct arus_error *err)
{
    if (strlen(name) > PG_MAX_IDENT)
        return arus_error_set(err, ARUS_EINVAL,
                              "name \"%s\" is longer than postgresql's %d-byte identifier limit",
                              name, PG_MAX_IDENT);
    return ARUS_OK;
}

/* Table names of one target: raw, normalized (or shadow), the live normalized name, and the
 * primary-key constraint names. Constraint names are fixed so that a swapped-in shadow can
 * take the live table's name without colliding with the next refresh's shadow. */
struct pg_names {
    char raw[PG_MAX_IDENT + 1];
    char table[PG_MAX_IDENT + 1]; /* where normalized writes go */
    char live[PG_MAX_IDENT + 1];  /* normalized name without the shadow suffix */
    char shadow[PG_MAX_IDENT + 1];
    char pk[PG_MAX_IDENT + 1]; /* constraint of `table` */
    char live_pk[PG_MAX_IDENT + 1];
    char shadow_pk[PG_MAX_IDENT + 1];
};

static unsigned pg_hash(const char *s)
{
    unsigned h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* "<table>_pkey" as PostgreSQL would name it, or a hashed name when that would not fit. */
static void pg_pk_name(char *out, const char *table, const char *suffix)
{
    if (strlen(table) + 5 <= PG_MAX_IDENT)
        snprintf(out, PG_MAX_IDENT + 1, "%s_pkey", table);
    else
        snprintf(out, PG_MAX_IDENT + 1, "_arus_pk_%08x%s", pg_hash(table), suffix);
}

static int pg_names(const struct arus_target *t, struct pg_names *n, struct arus_error *err)
{
    struct arus_strbuf sb;
    struct arus_target live = *t, shadow = *t;
    int rc;
    live.shadow = false;
    shadow.shadow = true;
    arus_strbuf_init(&sb);
    const struct {
        char *dst;
        const struct arus_target *tt;
        void (*fn)(struct arus_strbuf *, const struct arus_target *);
    } parts[] = {{n->raw, t, arus_raw_table_name},
                 {n->live, &live, arus_normalized_table_name},
                 {n->shadow, &shadow, arus_normalized_table_name}};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        arus_strbuf_reset(&sb);
        parts[i].fn(&sb, parts[i].tt);
        if ((rc = pg_check_ident(arus_strbuf_cstr(&sb), err)))
            goto out;
        snprintf(parts[i].dst, PG_MAX_IDENT + 1, "%s", arus_strbuf_cstr(&sb));
    }
    snprintf(n->table, sizeof n->table, "%s", t->shadow ? n->shadow : n->live);
    pg_pk_name(n->live_pk, n->live, "");
    pg_pk_name(n->shadow_pk, n->shadow, "_shadow");
    snprintf(n->pk, sizeof n->pk, "%s", t->shadow ? n->shadow_pk : n->live_pk);
out:
    arus_strbuf_cleanup(&sb);
    return rc;
}

static void pg_ident(struct arus_strbuf *sb, const char *name)
{
    arus_sql_quote_ident(sb, name, '"', false);
}

/* A source column named like one of our metadata columns (the source is itself an arus
 * destination, e.g. a chained pipeline) is dropped: the typed table's own _arus_run_id and
 * _arus_synced_at describe this load. */
static bool pg_is_meta(const struct arus_column *c)
{
    return strcmp(c->name, "_arus_run_id") == 0 || strcmp(c->name, "_arus_synced_at") == 0;
}

enum pg_cols { PG_ALL, PG_KEY, PG_NONKEY };

/* "c1", "c2", ... of the schema's columns (all, key only or non-key only), each prefixed. */
static void pg_column_list(struct arus_strbuf *sb, const struct arus_table_schema *s,
                           enum pg_cols which, const char *prefix)
{
    const char *sep = "";
    for (size_t i = 0; i < s->ncolumns; i++) {
        bool key = s->columns[i].pk_ordinal > 0;
        if ((which == PG_KEY && !key) || (which == PG_NONKEY && key) || pg_is_meta(&s->columns[i]))
            continue;
        arus_strbuf_puts(sb, sep);
        if (prefix)
            arus_strbuf_puts(sb, prefix);
        pg_ident(sb, s->columns[i].name);
        sep = ", ";
    }
}

/* Key columns in key order. */
static void pg_pk_list(struct arus_strbuf *sb, const struct arus_table_schema *s)
{
    size_t *idx = arus_xcalloc(s->ncolumns + 1, sizeof *idx);
    size_t n = arus_schema_pk(s, idx);
    for (size_t i = 0; i < n; i++) {
        if (i)
            arus_strbuf_puts(sb, ", ");
        pg_ident(sb, s->columns[idx[i]].name);
    }
    free(idx);
}

static size_t pg_pk_count(const struct arus_table_schema *s)
{
    size_t n = 0;
    for (size_t i = 0; i < s->ncolumns; i++)
        n += s->columns[i].pk_ordinal > 0;
    return n;
}

static size_t pg_nonkey_count(const struct arus_table_schema *s)
{
    size_t n = 0;
    for (size_t i = 0; i < s->ncolumns; i++)
        n += s->columns[i].pk_ordinal == 0 && !pg_is_meta(&s->columns[i]);
    return n;
}

/* ---- transactions */

static int pg_begin(struct arus_destination *base, struct arus_error *err)
{
    struct pg_dest *d = (struct pg_dest *)base;
    return arus__pg_exec(d->conn, "BEGIN", "begin transaction", err);
}

/* COMMIT of a failed transaction "succeeds" with the tag ROLLBACK: report that as a failure
 * so the engine never believes a rolled-back batch is stored. */
static int pg_commit(struct arus_destination *base, struct arus_error *err)
{
    struct pg_dest *d = (struct pg_dest *)base;
    PGresult *r = PQexec(d->conn, "COMMIT");
    int rc = ARUS_OK;
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        rc = arus__pg_fail(d->conn, r, err, "commit");
    else if (strcmp(PQcmdStatus(r), "ROLLBACK") == 0)
        rc = arus_error_set(err, ARUS_EQUERY, "commit: the transaction was rolled back");
    PQclear(r);
    return rc;
}

static int pg_rollback(struct arus_destination *base, struct arus_error *err)
{
    struct pg_dest *d = (struct pg_dest *)base;
    if (PQtransactionStatus(d->conn) == PQTRANS_IDLE)
        return ARUS_OK;
    return arus__pg_exec(d->conn, "ROLLBACK", "rollback", err);
}

/* Loads use ON COMMIT DROP temporary tables, so they need a transaction; open one when the
 * caller has not. */
static int pg_tx_enter(struct pg_dest *d, bool *own, struct arus_error *err)
{
    *own = PQtransactionStatus(d->conn) == PQTRANS_IDLE;
    return *own ? pg_begin(&d->base, err) : ARUS_OK;
}

static int pg_tx_leave(struct pg_dest *d, bool own, int rc, struct arus_error *err)
{
    if (!own)
        return rc;
    if (rc == ARUS_OK)
        return pg_commit(&d->base, err);
    struct arus_error ignored;
    pg_rollback(&d->base, &ignored);
    return rc;
}

/* ---- state, lock */

/* State column types as these tables have always had them, defaults included. */
static void pg_state_column(struct arus_strbuf *sb, const struct arus_state_column *c)
{
    static const char *const types[] = {
        [ARUS_STATE_NAME] = "TEXT",         [ARUS_STATE_WORD] = "TEXT",
        [ARUS_STATE_TEXT] = "TEXT",         [ARUS_STATE_UUID] = "UUID",
        [ARUS_STATE_STAMP] = "TIMESTAMPTZ", [ARUS_STATE_TIME] = "TIMESTAMPTZ",
        [ARUS_STATE_COUNT] = "BIGINT"};
    arus_sql_quote_ident(sb, c->name, '"', false);
    arus_strbuf_appendf(sb, " %s%s", types[c->type], c->not_null ? " NOT NULL" : "");
    if (c->not_null && c->type == ARUS_STATE_STAMP)
        arus_strbuf_puts(sb, " DEFAULT now()");
    else if (c->not_null && c->type == ARUS_STATE_COUNT)
        arus_strbuf_puts(sb, " DEFAULT 0");
}

static void pg_state_create(struct arus_strbuf *sb, const struct arus_state_table *t)
{
    arus_strbuf_puts(sb, "CREATE TABLE IF NOT EXISTS ");
    arus__pg_qualified(sb, ARUS_STATE_SCHEMA, t->name);
    arus_strbuf_puts(sb, " (");
    for (size_t i = 0; i < t->ncolumns; i++) {
        pg_state_column(sb, &t->columns[i]);
        arus_strbuf_puts(sb, ", ");
    }
    arus_strbuf_puts(sb, "PRIMARY KEY (");
    arus_state_names(sb, t, 0, t->nkey, '"', NULL);
    arus_strbuf_puts(sb, "));");
}

/* Columns newer versions appended to t (arus_state_table.nfirst), added to a table made by an
 * older one. ALTER TABLE takes an ACCESS EXCLUSIVE lock even when the column exists (IF NOT
 * EXISTS), which would queue every sync start behind the open batch transactions of the
 * pipelines running meanwhile: only a table that lacks the column is altered. The names are
 * arus's own constants (state.h), never user input. */
static void pg_state_migrate(struct arus_strbuf *sb, const struct arus_state_table *t)
{
    for (size_t i = t->nfirst; i < t->ncolumns; i++) {
        arus_strbuf_puts(sb, ";DO $arus$BEGIN IF NOT EXISTS (SELECT 1 FROM pg_attribute WHERE "
                             "attrelid = '");
        arus__pg_qualified(sb, ARUS_STATE_SCHEMA, t->name);
        arus_strbuf_appendf(sb, "'::regclass AND attname = '%s' AND NOT attisdropped) THEN "
                                "ALTER TABLE ",
                            t->columns[i].name);
        arus__pg_qualified(sb, ARUS_STATE_SCHEMA, t->name);
        arus_strbuf_puts(sb, " ADD COLUMN ");
        pg_state_column(sb, &t->columns[i]);
        arus_strbuf_puts(sb, "; END IF; END$arus$");
    }
}

/* Run the DDL string sql (one implicit transaction) while holding the session-level lock
 * arus:ddl: concurrent first runs would race on the catalog (CREATE ... IF NOT EXISTS is not safe
 * against a concurrent CREATE of the same name), so their CREATEs take turns. The lock is taken
 * in a transaction of its own: the DDL's transaction then starts after the other session's
 * commit and sees it (with the lock taken inside the same transaction, a schema this session
 * had looked up before, e.g. by to_regclass, would still look missing to it). */
static int pg_exec_ddl(struct pg_dest *d, const char *sql, const char *what, struct arus_error *err)
{
    int rc = arus__pg_exec(d->conn, "SELECT pg_advisory_lock(hashtext('arus:ddl'))",
                           "take the DDL lock", err);
    if (rc)
        return rc;
    rc = arus__pg_exec(d->conn, sql, what, err);
    struct arus_error ignored;
    arus_error_clear(&ignored);
    int urc = arus__pg_exec(d->conn, "SELECT pg_advisory_unlock(hashtext('arus:ddl'))",
                            "release the DDL lock", rc ? &ignored : err);
    return rc ? rc : urc;
}

static int pg_ensure_state(struct arus_destination *base, struct arus_error *err)
{
    struct pg_dest *d = (struct pg_dest *)base;
    struct arus_strbuf *sql = &d->sql;
    arus_strbuf_reset(sql);
    arus_strbuf_puts(sql, "CREATE SCHEMA IF NOT EXISTS ");
    arus_sql_quote_ident(sql, ARUS_STATE_SCHEMA, '"', false);
    arus_strbuf_putc(sql, ';');
    pg_state_create(sql, &arus_state_watermarks);
    pg_state_create(sql, &arus_state_runs);
    /* `arus runs` reads a pipeline's newest runs */
    arus_strbuf_puts(sql, "CREATE INDEX IF NOT EXISTS runs_pipeline_started ON ");
    arus__pg_qualified(sql, ARUS_STATE_SCHEMA, arus_state_runs.name);
    arus_strbuf_puts(sql, " (pipeline, started_at DESC)");
    pg_state_migrate(sql, &arus_state_watermarks);
    pg_state_migrate(sql, &arus_state_runs);
    return pg_exec_ddl(d, arus_strbuf_cstr(sql), "create arus_state tables", err);
}

static int pg_lock(struct arus_destination *base, const char *pipeline, struct arus_error *err)
{
    struct pg_dest *d = (struct pg_dest *)base;
    const char *params[1] = {pipeline};
    PGresult *r;
    int rc = arus__pg_query(d->conn, "SELECT pg_try_advisory_lock(hashtext('arus:' || $1))", 1,
                            params, &r, "take pipeline lock", err);
    if (rc)
        return rc;
    if (PQgetvalue(r, 0, 0)[0] != 't')
        rc = arus_error_set(err, ARUS_EBUSY,
                            "pipeline \"%s\" is already running (advisory lock held on %s)",
                            pipeline, d->set.endpoint);
    PQclear(r);
    return rc;
}

static int pg_unlock(struct arus_destination *base, const char *pipeline, struct arus_error *err)
{
    struct pg_dest *d = (struct pg_dest *)base;
    const char *params[1] = {pipeline};
    PGresult *r;
    int rc = arus__pg_query(d->conn, "SELECT pg_advisory_unlock(hashtext('arus:' || $1))", 1,
                            params, &r, "release pipeline lock", err);
    if (rc == ARUS_OK)
        PQclear(r);
    return rc;
}

/* ---- DDL */

/* Column definitions of the typed table: source columns, NOT NULL where the source has it,
 * the arus columns and the key under a fixed constraint name. */
static void pg_create_sql(struct arus_strbuf *sql, const char *schema, const struct pg_names *n,
                          const struct arus_table_schema *s, bool if_not_exists)
{
    arus_strbuf_puts(sql, if_not_exists ? "CREATE TABLE IF NOT EXISTS " : "CREATE TABLE ");
    arus__pg_qualified(sql, schema, n->table);
    arus_strbuf_puts(sql, " (");
    for (size_t i = 0; i < s->ncolumns; i++) {
        if (pg_is_meta(&s->columns[i]))
            continue;
        pg_ident(sql, s->columns[i].name);
        arus_strbuf_putc(sql, ' ');
        arus__pg_type_to_native(&s->columns[i].type, sql);
        if (!s->columns[i].nullable)
            arus_strbuf_puts(sql, " NOT NULL");
        arus_strbuf_puts(sql, ", ");
    }
    arus_strbuf_puts(sql, "\"_arus_run_id\" UUID NOT NULL, "
                          "\"_arus_synced_at\" TIMESTAMPTZ NOT NULL DEFAULT now()");
    if (pg_pk_count(s)) {
        arus_strbuf_puts(sql, ", CONSTRAINT ");
        pg_ident(sql, n->pk);
        arus_strbuf_puts(sql, " PRIMARY KEY (");
        pg_pk_list(sql, s);
        arus_strbuf_putc(sql, ')');
    }
    arus_strbuf_puts(sql, ");");
}

/* The live columns of schema.table as rows (name, type oid); the caller PQclear's *out. */
static int pg_table_columns(struct pg_dest *d, const char *schema, const char *table,
                            PGresult **out, struct arus_error *err)
{
    const char *params[2] = {schema, table};
    return arus__pg_query(
        d->conn,
        "SELECT a.attname, a.atttypid::int8 FROM pg_attribute a JOIN pg_class c ON "
        "c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 "
        "AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
        2, params, out, "read destination columns", err);
}

/* Schema drift: add the source columns the table lacks (nullable: old rows have no value). */
static int pg_add_missing_columns(struct pg_dest *d, const char *schema, const char *table,
                                  const struct arus_table_schema *s, struct arus_error *err)
{
    PGresult *r;
    int rc = pg_table_columns(d, schema, table, &r, err);
    if (rc)
        return rc;
    struct arus_strbuf *sql = &d->sql;
    arus_strbuf_reset(sql);
    arus_strbuf_puts(sql, "ALTER TABLE ");
    arus__pg_qualified(sql, schema, table);
    size_t prefix = sql->len;
    for (size_t i = 0; i < s->ncolumns; i++) {
        bool have = false;
        for (int k = 0; k < PQntuples(r) && !have; k++)
            have = strcmp(PQgetvalue(r, k, 0), s->columns[i].name) == 0;
        if (have)
            continue;
        arus_strbuf_puts(sql, sql->len > prefix ? ", ADD COLUMN IF NOT EXISTS "
                                                : " ADD COLUMN IF NOT EXISTS ");
        pg_ident(sql, s->columns[i].name);
        arus_strbuf_putc(sql, ' ');
        arus__pg_type_to_native(&s->columns[i].type, sql);
    }
    PQclear(r);
    if (sql->len == prefix)
        return ARUS_OK;
    char what[400];
    snprintf(what, sizeof what, "add new columns to \"%s.%s\"", schema, table);
    return arus__pg_exec(d->conn, arus_strbuf_cstr(sql), what, err);
}

/* The raw table's _arus_id sequence hands each session blocks of PG_RAW_ID_CACHE numbers
 * instead of one per nextval (which locks the sequence's buffer for every row): 10% of the
 * server's CPU on a raw load (measured: binary COPY of 300k raw documents, 1.73-1.93 s ->
 * 1.50-1.71 s). The ids stay unique and increasing per session; a session's unused rest
 * of a block is skipped, as after any rollback. Set once (the table keeps it), and only
 * where arus may: a raw table made by another role keeps its sequence as it is. */
#define PG_RAW_ID_CACHE "1000"
static int pg_raw_id_cache(struct pg_dest *d, const char *schema, const char *table,
                           struct arus_error *err)
{
    struct arus_strbuf qualified;
    arus_strbuf_init(&qualified);
    arus__pg_qualified(&qualified, schema, table);
    const char *params[1] = {arus_strbuf_cstr(&qualified)};
    PGresult *r;
    int rc = arus__pg_query(d->conn,
                            "SELECT n.nspname, c.relname FROM pg_sequence s JOIN pg_class c ON "
                            "c.oid = s.seqrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
                            "WHERE s.seqrelid = pg_get_serial_sequence($1, '_arus_id')::regclass "
                            "AND s.seqcache < " PG_RAW_ID_CACHE " AND pg_has_role(c.relowner, 'USAGE')",
                            1, params, &r, "read the raw table's id sequence", err);
    arus_strbuf_cleanup(&qualified);
    if (rc || PQntuples(r) == 0) {
        if (!rc)
            PQclear(r);
        return rc;
    }
    struct arus_strbuf *sql = &d->sql;
    arus_strbuf_reset(sql);
    arus_strbuf_puts(sql, "ALTER SEQUENCE ");
    arus__pg_qualified(sql, PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1));
    arus_strbuf_puts(sql, " CACHE " PG_RAW_ID_CACHE);
    PQclear(r);
    return arus__pg_exec(d->conn, arus_strbuf_cstr(sql), "set the raw table's id sequence cache",
                         err);
}

static int pg_ensure_schema(struct arus_destination *base, const struct arus_target *t,
                            const struct arus_table_schema *s, struct arus_error *err)
{
    struct pg_dest *d = (struct pg_dest *)base;
    memset(d->bin, 0, sizeof d->bin); /* column types may change */
    const char *raw_schema = pg_raw_schema(d, t), *target_schema = pg_target_schema(d, t);
    struct pg_names n;
    struct arus_strbuf *sql = &d->sql;
    char what[400];
    int rc;

    if ((rc = pg_names(t, &n, err)) || (rc = pg_check_ident(raw_schema, err)) ||
        (rc = pg_check_ident(target_schema, err)))
        return rc;
    arus_strbuf_reset(sql);
    arus_strbuf_puts(sql, "CREATE SCHEMA IF NOT EXISTS ");
    pg_ident(sql, raw_schema);
    arus_strbuf_puts(sql, ";CREATE SCHEMA IF NOT EXISTS ");
    pg_ident(sql, target_schema);
    arus_strbuf_puts(sql, ";CREATE TABLE IF NOT EXISTS ");
    arus__pg_qualified(sql, raw_schema, n.raw);
    arus_strbuf_puts(sql, " (_arus_id BIGSERIAL PRIMARY KEY, _arus_run_id UUID NOT NULL, "
                          "_arus_extracted TIMESTAMPTZ NOT NULL DEFAULT NOW(), "
                          "_data JSONB NOT NULL);");
    if (t->shadow) {
        arus_strbuf_puts(sql, "DROP TABLE IF EXISTS ");
        arus__pg_qualified(sql, target_schema, n.shadow);
        arus_strbuf_putc(sql, ';');
    }
    pg_create_sql(sql, target_schema, &n, s, !t->shadow);
    snprintf(what, sizeof what, "create tables for \"%s\" in \"%s\"", t->table, target_schema);
    if ((rc = pg_exec_ddl(d, arus_strbuf_cstr(sql), what, err)) ||
        (rc = pg_raw_id_cache(d, raw_schema, n.raw, err)))
        return rc;
    return t->shadow ? ARUS_OK : pg_add_missing_columns(d, target_schema, n.table, s, err);
}

/* ---- COPY payloads */

static const char pg_hexdigits[] = "0123456789abcdef";

/* What each byte becomes in COPY text: 0 = itself, else the letter after a backslash; NUL
 * (PG_NUL) cannot be stored at all. */
#define PG_NUL 1
static const char pg_copy_escape[256] = {
    [0] = PG_NUL, ['\\'] = '\\', ['\t'] = 't', ['\n'] = 'n', ['\r'] = 'r',
};

/* Append n bytes as one COPY text field. Returns false, leaving sb partly written, when the
 * bytes hold a NUL. */
static bool pg_copy_text(struct arus_strbuf *sb, const char *p, size_t n)
{
    size_t start = 0;
    arus_strbuf_reserve(sb, n + 8);
    for (size_t i = 0; i < n; i++) {
        char e = pg_copy_escape[(unsigned char)p[i]];
        if (!e)
            continue;
        if (e == PG_NUL)
            return false;
        arus_strbuf_append(sb, p + start, i - start);
        arus_strbuf_putc(sb, '\\');
        arus_strbuf_putc(sb, e);
        start = i + 1;
    }
    arus_strbuf_append(sb, p + start, n - start);
    return true;
}

/* bytea in COPY text: "\\x" then hex (the backslash itself escaped for COPY). */
static void pg_copy_bytea(struct arus_strbuf *sb, const unsigned char *p, size_t n)
{
    arus_strbuf_reserve(sb, 3 + 2 * n);
    arus_strbuf_puts(sb, "\\\\x");
    char *o = sb->data + sb->len;
    for (size_t i = 0; i < n; i++) {
        *o++ = pg_hexdigits[p[i] >> 4];
        *o++ = pg_hexdigits[p[i] & 15];
    }
    sb->len += 2 * n;
    sb->data[sb->len] = '\0';
}

/* PostgreSQL text cannot hold NUL: refuse the batch with a message naming the value's place. */
static int pg_nul_error(const char *what, const struct arus_batch *b, size_t r, size_t c,
                        struct arus_error *err)
{
    return arus_error_set(err, ARUS_EDATA,
                          "%s: column \"%s\" (batch row %zu) contains a NUL byte, which "
                          "postgresql text cannot store",
                          what, b->schema->columns[c].name, r + 1);
}

/* A decimal with a nonzero digit beyond the column's scale: numeric(p,s) would round it
 * silently, so the row is refused instead (as MySQL does). */
static bool pg_decimal_rounds(const struct arus_cell *c, int scale)
{
    const char *dot = memchr(c->data, '.', c->len);
    if (!dot)
        return false;
    for (size_t i = (size_t)(dot - c->data) + 1 + (size_t)scale; i < c->len; i++)
        if (c->data[i] != '0')
            return true;
    return false;
}

enum { PG_COPY_TEXT = 1, PG_COPY_BYTEA, PG_COPY_SCALED };

/* How a column's cells go into COPY; PG_COPY_SCALED is a numeric(p,s) column (the bounds of
 * arus__pg_type_to_native), whose cells are checked with pg_decimal_rounds. */
static unsigned char pg_copy_kind(const struct arus_type *t)
{
    if (t->ltype == ARUS_T_BYTES)
        return PG_COPY_BYTEA;
    if (t->ltype == ARUS_T_DECIMAL && t->precision > 0 && t->precision <= 1000 && t->scale >= 0 &&
        t->scale <= t->precision)
        return PG_COPY_SCALED;
    return PG_COPY_TEXT;
}

/* The batch as COPY text rows: each column (or only the key columns), then the run id when
 * run_id is set. */
static int pg_copy_rows(const char *what, const struct arus_batch *b, bool pk_only,
                        const char *run_id, struct arus_strbuf *sb, struct arus_error *err)
{
    const struct arus_table_schema *s = b->schema;
    /* Per column: 0 = skipped, else its PG_COPY_* kind (decided once, not per cell). */
    unsigned char *kind = arus_xcalloc(b->ncolumns + 1, 1);
    for (size_t c = 0; c < b->ncolumns; c++)
        if (!(pk_only && s->columns[c].pk_ordinal == 0) && !pg_is_meta(&s->columns[c]))
            kind[c] = pg_copy_kind(&s->columns[c].type);
    int rc = ARUS_OK;
    arus_strbuf_reset(sb);
    for (size_t r = 0; r < b->nrows && rc == ARUS_OK; r++) {
        const struct arus_cell *row = arus_batch_row(b, r);
        const char *sep = "";
        for (size_t c = 0; c < b->ncolumns; c++) {
            if (!kind[c])
                continue;
            arus_strbuf_puts(sb, sep);
            sep = "\t";
            if (!row[c].data) {
                arus_strbuf_puts(sb, "\\N");
            } else if (kind[c] == PG_COPY_BYTEA) {
                pg_copy_bytea(sb, (const unsigned char *)row[c].data, row[c].len);
            } else if (kind[c] == PG_COPY_SCALED &&
                       pg_decimal_rounds(&row[c], s->columns[c].type.scale)) {
                rc = arus_error_set(err, ARUS_EDATA,
                                    "%s: column \"%s\" (batch row %zu): value has more fraction "
                                    "digits than numeric(%d,%d) keeps",
                                    what, s->columns[c].name, r + 1, s->columns[c].type.precision,
                                    s->columns[c].type.scale);
                break;
            } else if (!pg_copy_text(sb, row[c].data, row[c].len)) {
                rc = pg_nul_error(what, b, r, c, err);
                break;
            }
        }
        if (run_id) {
            arus_strbuf_puts(sb, sep);
            arus_strbuf_puts(sb, run_id);
        }
        arus_strbuf_putc(sb, '\n');
    }
    free(kind);
    return rc;
}

/* Whether schema.table takes binary COPY of the columns s: every column present with the type
 * OID its binary encoding is for (a table made elsewhere or altered may differ), and the run
 * id a uuid. Asked once per table and column set, then remembered. */
static int pg_bin_ready(struct pg_dest *d, const char *schema, const char *table,
                        const struct arus_table_schema *s, bool *ok, struct arus_error *err)
{
    char key[sizeof d->bin[0].key];
    snprintf(key, sizeof key, "%s.%s", schema, table);
    for (size_t i = 0; i < sizeof d->bin / sizeof d->bin[0]; i++)
        if (d->bin[i].schema == s && strcmp(d->bin[i].key, key) == 0) {
            *ok = d->bin[i].ok;
            return ARUS_OK;
        }
    PGresult *r;
    int rc = pg_table_columns(d, schema, table, &r, err);
    if (rc)
        return rc;
    static const struct arus_type uuid = {.ltype = ARUS_T_UUID};
    bool all = true;
    for (size_t i = 0; i <= s->ncolumns && all; i++) {
        if (i < s->ncolumns && pg_is_meta(&s->columns[i]))
            continue;
        const char *name = i < s->ncolumns ? s->columns[i].name : "_arus_run_id";
        const struct arus_type *type = i < s->ncolumns ? &s->columns[i].type : &uuid;
        bool fits = false;
        for (int k = 0; k < PQntuples(r); k++)
            if (strcmp(PQgetvalue(r, k, 0), name) == 0)
                fits = arus__pg_bin_fits(type, (uint32_t)strtoll(PQgetvalue(r, k, 1), NULL, 10));
        all = fits;
    }
    PQclear(r);
    size_t slot = d->bin_next++ % (sizeof d->bin / sizeof d->bin[0]);
    snprintf(d->bin[slot].key, sizeof d->bin[slot].key, "%s", key);
    d->bin[slot].schema = s;
    *ok = d->bin[slot].ok = all;
    return ARUS_OK;
}

/* The batch as binary COPY (columns as pg_copy_rows). Returns false when a cell is not in the
 * form the binary encoder takes, or a decimal would round: the caller then encodes the batch
 * as text, which reports or lets the server judge the value exactly as before. */
static bool pg_bin_rows(const struct arus_batch *b, bool pk_only, const char *run_id,
                        struct arus_strbuf *sb)
{
    const struct arus_table_schema *s = b->schema;
    unsigned char *kind = arus_xcalloc(b->ncolumns + 1, 1);
    int fields = run_id != NULL;
    for (size_t c = 0; c < b->ncolumns; c++)
        if (!(pk_only && s->columns[c].pk_ordinal == 0) && !pg_is_meta(&s->columns[c])) {
            kind[c] = pg_copy_kind(&s->columns[c].type);
            fields++;
        }
    struct arus_strbuf rid;
    arus_strbuf_init(&rid);
    static const struct arus_type uuid = {.ltype = ARUS_T_UUID};
    bool ok = !run_id || arus__pg_bin_cell(&rid, &uuid, run_id, strlen(run_id));
    arus_strbuf_reset(sb);
    arus__pg_bin_header(sb);
    for (size_t r = 0; r < b->nrows && ok; r++) {
        const struct arus_cell *row = arus_batch_row(b, r);
        arus__pg_bin_row(sb, fields);
        for (size_t c = 0; c < b->ncolumns && ok; c++) {
            if (!kind[c])
                continue;
            ok = !(row[c].data && kind[c] == PG_COPY_SCALED &&
                   pg_decimal_rounds(&row[c], s->columns[c].type.scale)) &&
                 arus__pg_bin_cell(sb, &s->columns[c].type, row[c].data, row[c].len);
        }
        if (run_id)
            arus_strbuf_append(sb, rid.data, rid.len);
    }
    arus__pg_bin_trailer(sb);
    arus_strbuf_cleanup(&rid);
    free(kind);
    return ok;
}

/* Encode the batch for a COPY into schema.table: binary when the table and every cell allow
 * it (*binary set), else text. */
static int pg_encode(struct pg_dest *d, const char *schema, const char *table, const char *what,
                     const struct arus_batch *b, bool pk_only, const char *run_id, bool *binary,
                     struct arus_error *err)
{
    int rc = pg_bin_ready(d, schema, table, b->schema, binary, err);
    if (rc)
        return rc;
    if (*binary && pg_bin_rows(b, pk_only, run_id, &d->data))
        return ARUS_OK;
    *binary = false;
    return pg_copy_rows(what, b, pk_only, run_id, &d->data, err);
}

/* ---- loads */

/* The raw table's document column, for asking whether it takes binary COPY (jsonb). */
static struct arus_column pg_raw_data_column = {.name = "_data", .type = {.ltype = ARUS_T_JSON}};
static const struct arus_table_schema pg_raw_columns = {.columns = &pg_raw_data_column,
                                                         .ncolumns = 1};

/* Check a batch for the raw table: a NUL byte in a text cell cannot be stored at all (an
 * error naming the cell); text that is not well-formed UTF-8 makes *binary false, so that
 * batch goes as COPY text and the server judges it exactly as before. The JSON of a row is
 * its column names and text cells plus ASCII (escapes, numbers, base64 of bytes). */
static int pg_raw_check(const char *what, const struct arus_batch *b, bool *binary,
                        struct arus_error *err)
{
    for (size_t c = 0; c < b->ncolumns && *binary; c++)
        *binary = arus__pg_text_ok(b->schema->columns[c].name,
                                   strlen(b->schema->columns[c].name));
    for (size_t r = 0; r < b->nrows; r++)
        for (size_t c = 0; c < b->ncolumns; c++) {
            const struct arus_cell *cell = &arus_batch_row(b, r)[c];
            if (!cell->data || b->schema->columns[c].type.ltype == ARUS_T_BYTES)
                continue;
            if (memchr(cell->data, '\0', cell->len))
                return pg_nul_error(what, b, r, c, err);
            if (*binary)
                *binary = arus__pg_text_ok(cell->data, cell->len);
        }
    return ARUS_OK;
}

/* Rows of b as JSON documents into the raw table, streamed: each piece of about
 * PG_RAW_PIECE bytes is sent while the next is encoded, so the server's jsonb parsing (most
 * of a raw load's cost) overlaps arus's encoding. Binary COPY when the table has the spec's
 * types: the server skips COPY text parsing and the run id's uuid text (measured 15-20% of
 * its CPU on a raw load). */
#define PG_RAW_PIECE (256u << 10)
static int pg_load_raw(struct arus_destination *base, const struct arus_target *t,
                       const struct arus_batch *b, int64_t *loaded, struct arus_error *err)
{
    struct pg_dest *d = (struct pg_dest *)base;
    const char *schema = pg_raw_schema(d, t);
    struct pg_names n;
    char what[400];
    bool binary = true;
    int rc;

    if ((rc = pg_names(t, &n, err)))
        return rc;
    snprintf(what, sizeof what, "load \"%s.%s\"", schema, n.raw);
    if ((rc = pg_raw_check(what, b, &binary, err)) ||
        (binary && (rc = pg_bin_ready(d, schema, n.raw, &pg_raw_columns, &binary, err))))
        return rc;
    arus_strbuf_reset(&d->sql);
    arus_strbuf_puts(&d->sql, "COPY ");
    arus__pg_qualified(&d->sql, schema, n.raw);
    arus_strbuf_puts(&d->sql, binary ? " (_arus_run_id, _data) FROM STDIN WITH (FORMAT binary)"
                                     : " (_arus_run_id, _data) FROM STDIN");
    if ((rc = arus__pg_copy_start(d->conn, arus_strbuf_cstr(&d->sql), what, err)))
        return rc;
    static const struct arus_type uuid = {.ltype = ARUS_T_UUID}, json_type = {.ltype = ARUS_T_JSON};
    struct arus_strbuf json, rid;
    arus_strbuf_init(&json);
    arus_strbuf_init(&rid);
    bool ok = !binary || arus__pg_bin_cell(&rid, &uuid, t->run_id, strlen(t->run_id));
    arus_strbuf_reset(&d->data);
    if (binary)
        arus__pg_bin_header(&d->data);
    for (size_t r = 0; r < b->nrows && ok; r++) {
        arus_strbuf_reset(&json);
        arus_row_to_json(b, r, &json);
        if (binary) {
            arus__pg_bin_row(&d->data, 2);
            arus_strbuf_append(&d->data, rid.data, rid.len);
            ok = arus__pg_bin_cell(&d->data, &json_type, json.data, json.len);
        } else {
            arus_strbuf_puts(&d->data, t->run_id);
            arus_strbuf_putc(&d->data, '\t');
            pg_copy_text(&d->data, json.data, json.len);
            arus_strbuf_putc(&d->data, '\n');
        }
        if (ok && d->data.len >= PG_RAW_PIECE)
            ok = arus__pg_copy_send(d->conn, &d->data);
    }
    if (ok && binary)
        arus__pg_bin_trailer(&d->data);
    ok = ok && arus__pg_copy_send(d->conn, &d->data);
    arus_strbuf_cleanup(&json);
    arus_strbuf_cleanup(&rid);
    if ((rc = arus__pg_copy_end(d->conn, ok, what, err)))
        return rc;
    *loaded = (int64_t)b->nrows;
    return ARUS_OK;
}

/* Stage the batch (or its keys) in an ON COMMIT DROP temporary table shaped like the target's
 * columns. */
static int pg_stage(struct pg_dest *d, const char *schema, const char *table,
                    const struct arus_batch *b, bool pk_only, const char *what,
                    struct arus_error *err)
{
    bool binary;
    int rc = pg_encode(d, schema, table, what, b, pk_only, NULL, &binary, err);
    if (rc)
        return rc;
    struct arus_strbuf *sql = &d->sql;
    arus_strbuf_reset(sql);
    arus_strbuf_puts(sql, "DROP TABLE IF EXISTS pg_temp._arus_stage;"
                          "CREATE TEMP TABLE _arus_stage ON COMMIT DROP AS SELECT ");
    pg_column_list(sql, b->schema, pk_only ? PG_KEY : PG_ALL, NULL);
    arus_strbuf_puts(sql, " FROM ");
    arus__pg_qualified(sql, schema, table);
    arus_strbuf_puts(sql, " WITH NO DATA");
    if ((rc = arus__pg_exec(d->conn, arus_strbuf_cstr(sql), what, err)))
        return rc;
    arus_strbuf_reset(sql);
    arus_strbuf_puts(sql, "COPY pg_temp._arus_stage (");
    pg_column_list(sql, b->schema, pk_only ? PG_KEY : PG_ALL, NULL);
    arus_strbuf_puts(sql, binary ? ") FROM STDIN WITH (FORMAT binary)" : ") FROM STDIN");
    return arus__pg_copy_in(d->conn, arus_strbuf_cstr(sql), &d->data, what, err);
}

static int pg_merge(struct pg_dest *d, const struct arus_target *t, const char *schema,
                    const struct pg_names *n, const struct arus_batch *b, int64_t *loaded,
                    const char *what, struct arus_error *err)
{
    int rc = pg_stage(d, schema, n->table, b, false, what, err);
    if (rc)
        return rc;
    struct arus_strbuf *sql = &d->sql;
    arus_strbuf_reset(sql);
    arus_strbuf_puts(sql, "INSERT INTO ");
    arus__pg_qualified(sql, schema, n->table);
    arus_strbuf_puts(sql, " AS t (");
    pg_column_list(sql, b->schema, PG_ALL, NULL);
    arus_strbuf_puts(sql, ", \"_arus_run_id\", \"_arus_synced_at\") SELECT ");
    pg_column_list(sql, b->schema, PG_ALL, NULL);
    arus_strbuf_puts(sql, ", $1::uuid, now() FROM pg_temp._arus_stage ON CONFLICT (");
    pg_pk_list(sql, b->schema);
    /* A key-only table has nothing to update. */
    if (pg_nonkey_count(b->schema) == 0) {
        arus_strbuf_puts(sql, ") DO NOTHING");
    } else {
        arus_strbuf_puts(sql, ") DO UPDATE SET ");
        for (size_t i = 0; i < b->ncolumns; i++) {
            if (b->schema->columns[i].pk_ordinal > 0 || pg_is_meta(&b->schema->columns[i]))
                continue;
            pg_ident(sql, b->schema->columns[i].name);
            arus_strbuf_puts(sql, " = EXCLUDED.");
            pg_ident(sql, b->schema->columns[i].name);
            arus_strbuf_puts(sql, ", ");
        }
        /* Rows re-read from the inclusive watermark are usually unchanged: skipping them
         * keeps reruns from rewriting (and bloating) the table, and "rows loaded" then counts
         * changes only. */
        arus_strbuf_puts(sql, "\"_arus_run_id\" = EXCLUDED.\"_arus_run_id\", "
                              "\"_arus_synced_at\" = EXCLUDED.\"_arus_synced_at\" WHERE (");
        pg_column_list(sql, b->schema, PG_NONKEY, "t.");
        arus_strbuf_puts(sql, ") IS DISTINCT FROM (");
        pg_column_list(sql, b->schema, PG_NONKEY, "EXCLUDED.");
        arus_strbuf_putc(sql, ')');
    }
    const char *params[1] = {t->run_id};
    PGresult *r;
    if ((rc = arus__pg_query(d->conn, arus_strbuf_cstr(sql), 1, params, &r, what, err)))
        return rc;
    *loaded = strtoll(PQcmdTuples(r), NULL, 10);
    PQclear(r);
    return ARUS_OK;
}

/* Append straight into the table: no key to merge on, or the empty shadow of a refresh. */
static int pg_append(struct pg_dest *d, const struct arus_target *t, const char *schema,
                     const struct pg_names *n, const struct arus_batch *b, int64_t *loaded,
                     const char *what, struct arus_error *err)
{
    bool binary;
    int rc = pg_encode(d, schema, n->table, what, b, false, t->run_id, &binary, err);
    if (rc)
        return rc;
    struct arus_strbuf *sql = &d->sql;
    arus_strbuf_reset(sql);
    arus_strbuf_puts(sql, "COPY ");
    arus__pg_qualified(sql, schema, n->table);
    arus_strbuf_puts(sql, " (");
    pg_column_list(sql, b->schema, PG_ALL, NULL);
    arus_strbuf_puts(sql, binary ? ", \"_arus_run_id\") FROM STDIN WITH (FORMAT binary)"
                                 : ", \"_arus_run_id\") FROM STDIN");
    if ((rc = arus__pg_copy_in(d->conn, arus_strbuf_cstr(sql), &d->data, what, err)))
        return rc;
    *loaded = (int64_t)b->nrows;
    return ARUS_OK;
}

/* Tables with a key: while no batch has met an existing key (a first load), a plain COPY
 * under a savepoint is the fast path; the first unique violation rolls it back, merges that
 * batch, and makes every later batch of the table merge. */
static int pg_upsert(struct pg_dest *d, const struct arus_target *t, const char *schema,
                     const struct pg_names *n, const struct arus_batch *b, int64_t *loaded,
                     const char *what, struct arus_error *err)
{
    char key[sizeof d->merging];
    snprintf(key, sizeof key, "%s.%s", schema, n->table);
    if (strcmp(d->merging, key) == 0)
        return pg_merge(d, t, schema, n, b, loaded, what, err);
    struct arus_error copy_err;
    arus_error_clear(&copy_err);
    int rc = arus__pg_exec(d->conn, "SAVEPOINT arus_copy", what, err);
    if (rc)
        return rc;
    rc = pg_append(d, t, schema, n, b, loaded, what, &copy_err);
    if (rc != ARUS_OK && strcmp(copy_err.sqlstate, "23505") != 0) {
        if (err)
            *err = copy_err;
        return rc;
    }
    if (rc == ARUS_OK)
        return ARUS_OK;
    snprintf(d->merging, sizeof d->merging, "%s", key);
    if ((rc = arus__pg_exec(d->conn, "ROLLBACK TO SAVEPOINT arus_copy", what, err)))
        return rc;
    return pg_merge(d, t, schema, n, b, loaded, what, err);
}

static int pg_load_normalized(struct arus_destination *base, const struct arus_target *t,
                              const struct arus_batch *b, int64_t *loaded, struct arus_error *err)
{
    struct pg_dest *d = (struct pg_dest *)base;
    const char *schema = pg_target_schema(d, t);
    struct pg_names n;
    char what[400];
    bool own;
    int rc;

    if ((rc = pg_names(t, &n, err)))
        return rc;
    snprintf(what, sizeof what, "load \"%s.%s\"", schema, n.table);
    if (t->shadow || !pg_pk_count(b->schema))
        return pg_append(d, t, schema, &n, b, loaded, what, err);
    if ((rc = pg_tx_enter(d, &own, err)))
        return rc;
    rc = pg_upsert(d, t, schema, &n, b, loaded, what, err);
    return pg_tx_leave(d, own, rc, err);
}

static int pg_delete_rows(struct arus_destination *base, const struct arus_target *t,
                          const struct arus_batch *b, int64_t *deleted, struct arus_error *err)
{
    struct pg_dest *d = (struct pg_dest *)base;
    const char *schema = pg_target_schema(d, t);
    struct pg_names n;
    char what[400];
    bool own;
    int rc;

    if ((rc = pg_names(t, &n, err)))
        return rc;
    snprintf(what, sizeof what, "delete from \"%s.%s\"", schema, n.table);
    if (!pg_pk_count(b->schema))
        return arus_error_set(err, ARUS_EINVAL, "%s: table has no primary key", what);
    if ((rc = pg_tx_enter(d, &own, err)))
        return rc;
    if ((rc = pg_stage(d, schema, n.table, b, true, what, err)))
        return pg_tx_leave(d, own, rc, err);
    struct arus_strbuf *sql = &d->sql;
    arus_strbuf_reset(sql);
    arus_strbuf_puts(sql, "DELETE FROM ");
    arus__pg_qualified(sql, schema, n.table);
    arus_strbuf_puts(sql, " AS t USING pg_temp._arus_stage AS s WHERE ");
    const char *glue = "";
    for (size_t i = 0; i < b->ncolumns; i++) {
        if (b->schema->columns[i].pk_ordinal == 0)
            continue;
        arus_strbuf_puts(sql, glue);
        arus_strbuf_puts(sql, "t.");
        pg_ident(sql, b->schema->columns[i].name);
        arus_strbuf_puts(sql, " = s.");
        pg_ident(sql, b->schema->columns[i].name);
        glue = " AND ";
    }
    PGresult *r;
    if ((rc = arus__pg_query(d->conn, arus_strbuf_cstr(sql), 0, NULL, &r, what, err)) == 0) {
        *deleted = strtoll(PQcmdTuples(r), NULL, 10);
        PQclear(r);
    }
    return pg_tx_leave(d, own, rc, err);
}

/* TRUNCATE is transactional in PostgreSQL: it commits or rolls back with the changes around it. */
static int pg_truncate_table(struct arus_destination *base, const struct arus_target *t,
                             struct arus_error *err)
{
    struct pg_dest *d = (struct pg_dest *)base;
    const char *schema = pg_target_schema(d, t);
    struct pg_names n;
    char what[400];
    int rc = pg_names(t, &n, err);
    if (rc)
        return rc;
    snprintf(what, sizeof what, "truncate \"%s.%s\"", schema, n.table);
    arus_strbuf_reset(&d->sql);
    arus_strbuf_puts(&d->sql, "TRUNCATE ");
    arus__pg_qualified(&d->sql, schema, n.table);
    return arus__pg_exec(d->conn, arus_strbuf_cstr(&d->sql), what, err);
}

/* ---- full refresh */

/* The old table is dropped and the shadow renamed inside the caller's transaction, so readers
 * see either the old or the new table; the key constraint takes the live name so the next
 * refresh can create its shadow again. */
static int pg_swap_shadow(struct arus_destination *base, const struct arus_target *t,
                          struct arus_error *err)
{
    struct pg_dest *d = (struct pg_dest *)base;
    memset(d->bin, 0, sizeof d->bin); /* column types may change */
    const char *schema = pg_target_schema(d, t);
    struct pg_names n;
    struct arus_strbuf *sql = &d->sql;
    char what[400];
    int rc;

    if ((rc = pg_names(t, &n, err)))
        return rc;
    arus_strbuf_reset(sql);
    arus_strbuf_puts(sql, "DROP TABLE IF EXISTS ");
    arus__pg_qualified(sql, schema, n.live);
    arus_strbuf_puts(sql, ";ALTER TABLE ");
    arus__pg_qualified(sql, schema, n.shadow);
    arus_strbuf_puts(sql, " RENAME TO ");
    pg_ident(sql, n.live);
    arus_strbuf_puts(sql, ";ALTER INDEX IF EXISTS ");
    arus__pg_qualified(sql, schema, n.shadow_pk);
    arus_strbuf_puts(sql, " RENAME TO ");
    pg_ident(sql, n.live_pk);
    snprintf(what, sizeof what, "swap in refreshed \"%s.%s\"", schema, n.live);
    return arus__pg_exec(d->conn, arus_strbuf_cstr(sql), what, err);
}

static int pg_drop_shadow(struct arus_destination *base, const struct arus_target *t,
                          struct arus_error *err)
{
    struct pg_dest *d = (struct pg_dest *)base;
    memset(d->bin, 0, sizeof d->bin); /* column types may change */
    struct pg_names n;
    int rc;
    if ((rc = pg_names(t, &n, err)))
        return rc;
    arus_strbuf_reset(&d->sql);
    arus_strbuf_puts(&d->sql, "DROP TABLE IF EXISTS ");
    arus__pg_qualified(&d->sql, pg_target_schema(d, t), n.shadow);
    return arus__pg_exec(d->conn, arus_strbuf_cstr(&d->sql), "drop shadow table", err);
}

/* ---- dead letters */

/* row_data is json, not jsonb: a row refused for a NUL byte holds "\u0000", which jsonb
 * rejects. Runs inside the caller's transaction. */
static int pg_write_dead_letter(struct arus_destination *base, const struct arus_target *t,
                                const char *row_json, const char *error, struct arus_error *err)
{
    struct pg_dest *d = (struct pg_dest *)base;
    struct arus_strbuf *sql = &d->sql;
    const char *schema = pg_raw_schema(d, t);
    char what[400];
    int rc;

    snprintf(what, sizeof what, "store refused row of \"%s\"", t->table);
    arus_strbuf_reset(sql);
    arus_strbuf_puts(sql, "SELECT pg_advisory_xact_lock(hashtext('arus:ddl'));"
                          "CREATE TABLE IF NOT EXISTS ");
    arus__pg_qualified(sql, schema, "_dead_letters");
    arus_strbuf_puts(sql, " (source TEXT NOT NULL, table_name TEXT NOT NULL, run_id UUID NOT NULL,"
                          " row_data JSON NOT NULL, error TEXT NOT NULL,"
                          " created_at TIMESTAMPTZ NOT NULL DEFAULT now())");
    if ((rc = arus__pg_exec(d->conn, arus_strbuf_cstr(sql), what, err)))
        return rc;
    arus_strbuf_reset(sql);
    arus_strbuf_puts(sql, "INSERT INTO ");
    arus__pg_qualified(sql, schema, "_dead_letters");
    arus_strbuf_puts(sql, " (source, table_name, run_id, row_data, error)"
                          " VALUES ($1, $2, $3::uuid, $4::json, $5)");
    const char *params[5] = {t->source_name, t->table, t->run_id, row_json, error};
    PGresult *r;
    if ((rc = arus__pg_query(d->conn, arus_strbuf_cstr(sql), 5, params, &r, what, err)) == 0)
        PQclear(r);
    return rc;
}

/* ---- state and history: statements generated from the layout in arus/state.h */

/* Insert row into state table t, or update the row with the same key. */
static int pg_state_upsert(struct pg_dest *d, const struct arus_state_table *t,
                           const struct arus_state_row *row, const char *what,
                           struct arus_error *err)
{
    static const char *const casts[] = {
        [ARUS_STATE_NAME] = "",  [ARUS_STATE_WORD] = "", [ARUS_STATE_TEXT] = "",
        [ARUS_STATE_UUID] = "::uuid", [ARUS_STATE_STAMP] = "::timestamptz",
        [ARUS_STATE_TIME] = "::timestamptz", [ARUS_STATE_COUNT] = "::bigint"};
    struct arus_strbuf *sql = &d->sql;
    arus_strbuf_reset(sql);
    arus_strbuf_puts(sql, "INSERT INTO ");
    arus__pg_qualified(sql, ARUS_STATE_SCHEMA, t->name);
    arus_strbuf_puts(sql, " (");
    arus_state_names(sql, t, 0, t->ncolumns, '"', NULL);
    arus_strbuf_puts(sql, ") VALUES (");
    for (size_t i = 0; i < t->ncolumns; i++)
        arus_strbuf_appendf(sql, "%s$%zu%s", i ? ", " : "", i + 1, casts[t->columns[i].type]);
    arus_strbuf_puts(sql, ") ON CONFLICT (");
    arus_state_names(sql, t, 0, t->nkey, '"', NULL);
    arus_strbuf_puts(sql, ") DO UPDATE SET ");
    static const char *const set[2] = {"EXCLUDED.", ""};
    arus_state_names(sql, t, t->nkey, t->ncolumns, '"', set);
    PGresult *r;
    int rc = arus__pg_query(d->conn, arus_strbuf_cstr(sql), (int)t->ncolumns, row->value, &r,
                            what, err);
    if (rc == ARUS_OK)
        PQclear(r);
    return rc;
}

/* The rows of state table t for pipeline (and table, unless NULL; at most limit), in
 * the layout's order, each column as its canonical text. *out is NULL when the state tables
 * do not exist (nothing was ever synced here): reads never create them. */
/* How a state column is read back as its canonical text. */
static void pg_state_read(struct arus_strbuf *sb, const struct arus_state_column *c,
                          const char *quoted)
{
    const char *fmt = c->type == ARUS_STATE_STAMP  ? "'YYYY-MM-DD HH24:MI:SS'"
                      : c->type == ARUS_STATE_TIME ? "'YYYY-MM-DD HH24:MI:SS.US'"
                                                   : NULL;
    if (fmt)
        arus_strbuf_appendf(sb, "to_char(%s, %s)", quoted, fmt);
    else
        arus_strbuf_appendf(sb, "%s%s", quoted, c->type == ARUS_STATE_UUID ? "::text" : "");
}

static int pg_state_select(struct pg_dest *d, const struct arus_state_table *t,
                           const char *pipeline, const char *table, size_t limit, PGresult **out,
                           const char *what, struct arus_error *err)
{
    struct arus_strbuf *sql = &d->sql;
    int rc;
    /* A table an older version made lacks the newer columns until a sync migrates it. */
    for (int old_layout = 0; old_layout < 2; old_layout++) {
        arus_strbuf_reset(sql);
        arus_strbuf_puts(sql, "SELECT ");
        arus_state_select_list(sql, t, '"', old_layout, pg_state_read);
        arus_strbuf_puts(sql, " FROM ");
        arus__pg_qualified(sql, ARUS_STATE_SCHEMA, t->name);
        arus_strbuf_puts(sql, " WHERE " ARUS_STATE_PIPELINE_COLUMN " = $1");
        char lim[24];
        snprintf(lim, sizeof lim, "%zu", limit);
        const char *params[2] = {pipeline, table ? table : lim};
        if (table)
            arus_strbuf_puts(sql, " AND " ARUS_STATE_TABLE_COLUMN " = $2");
        arus_strbuf_appendf(sql, " ORDER BY %s", t->order_by);
        bool limited = !table && limit != SIZE_MAX;
        if (limited)
            arus_strbuf_puts(sql, " LIMIT $2::bigint");
        rc = arus__pg_query(d->conn, arus_strbuf_cstr(sql), table || limited ? 2 : 1, params,
                            out, what, err);
        if (rc == ARUS_OK || !err || strcmp(err->sqlstate, "42703") != 0) /* undefined_column */
            break;
        arus_error_clear(err);
    }
    if (rc != ARUS_OK && err && strcmp(err->sqlstate, "42P01") == 0) {
        arus_error_clear(err); /* undefined_table */
        *out = NULL;
        return ARUS_OK;
    }
    return rc;
}

/* Row i of r as a value array for arus_state_*_from_values. */
static void pg_state_values(const PGresult *r, int row, const char **v)
{
    for (int c = 0; c < PQnfields(r) && c < ARUS_STATE_MAX_COLUMNS; c++)
        v[c] = PQgetisnull(r, row, c) ? NULL : PQgetvalue(r, row, c);
}

static int pg_update_watermark(struct arus_destination *base, const struct arus_target *t,
                               const struct arus_table_state *st, struct arus_error *err)
{
    struct arus_state_row row;
    arus_state_row_from_watermark(&row, t, st);
    return pg_state_upsert((struct pg_dest *)base, &arus_state_watermarks, &row,
                           "store watermark", err);
}

static int pg_get_watermark(struct arus_destination *base, const char *pipeline, const char *table,
                            struct arus_arena *a, struct arus_table_state *out,
                            struct arus_error *err)
{
    PGresult *r;
    int rc = pg_state_select((struct pg_dest *)base, &arus_state_watermarks, pipeline, table,
                             SIZE_MAX, &r, "read watermark", err);
    if (rc)
        return rc;
    memset(out, 0, sizeof *out);
    if (r && PQntuples(r) > 0) {
        const char *v[ARUS_STATE_MAX_COLUMNS];
        pg_state_values(r, 0, v);
        arus_state_watermark_from_values(v, a, NULL, out);
    }
    PQclear(r);
    return ARUS_OK;
}

static int pg_list_state(struct arus_destination *base, const char *pipeline, struct arus_arena *a,
                         const char ***tables, struct arus_table_state **states, size_t *n,
                         struct arus_error *err)
{
    PGresult *r;
    int rc = pg_state_select((struct pg_dest *)base, &arus_state_watermarks, pipeline, NULL,
                             SIZE_MAX, &r, "read state", err);
    if (rc)
        return rc;
    size_t rows = r ? (size_t)PQntuples(r) : 0;
    const char **names = arus_arena_calloc(a, rows + 1, sizeof *names);
    struct arus_table_state *st = arus_arena_calloc(a, rows + 1, sizeof *st);
    for (size_t i = 0; i < rows; i++) {
        const char *v[ARUS_STATE_MAX_COLUMNS];
        pg_state_values(r, (int)i, v);
        arus_state_watermark_from_values(v, a, &names[i], &st[i]);
    }
    PQclear(r);
    *tables = names;
    *states = st;
    *n = rows;
    return ARUS_OK;
}

static int pg_record_run(struct arus_destination *base, const struct arus_run_record *rec,
                         struct arus_error *err)
{
    struct arus_state_row row;
    arus_state_row_from_run(&row, rec);
    return pg_state_upsert((struct pg_dest *)base, &arus_state_runs, &row, "record run", err);
}

static int pg_list_runs(struct arus_destination *base, const char *pipeline, size_t limit,
                        struct arus_arena *a, struct arus_run_record **out, size_t *n,
                        struct arus_error *err)
{
    PGresult *r;
    int rc = pg_state_select((struct pg_dest *)base, &arus_state_runs, pipeline, NULL, limit,
                             &r, "read run history", err);
    if (rc)
        return rc;
    size_t rows = r ? (size_t)PQntuples(r) : 0;
    struct arus_run_record *recs = arus_arena_calloc(a, rows + 1, sizeof *recs);
    for (size_t i = 0; i < rows; i++) {
        const char *v[ARUS_STATE_MAX_COLUMNS];
        pg_state_values(r, (int)i, v);
        arus_state_run_from_values(v, a, &recs[i]);
    }
    PQclear(r);
    *out = recs;
    *n = rows;
    return ARUS_OK;
}

/* ---- read back (arus verify) */

/* Key columns as read_rows compares and orders them: strings in byte order. */
static void pg_page_key(struct arus_strbuf *sql, const struct arus_column *c)
{
    pg_ident(sql, c->name);
    if (c->type.ltype == ARUS_T_STRING)
        arus_strbuf_puts(sql, " COLLATE \"C\"");
}

/* $N cast to the typed column's type. */
static void pg_page_param(void *ctx, struct arus_strbuf *sql, size_t i, const struct arus_column *c)
{
    (void)ctx;
    arus_strbuf_appendf(sql, "$%zu::", i + 1);
    arus__pg_type_to_native(&c->type, sql);
}

static const struct arus_sql_page_dialect pg_page = {
    .quote = '"', .key = pg_page_key, .param = pg_page_param};

/* bytea arrives as "\x<hex>" (text results): back to raw bytes, in place. */
static size_t pg_unhex_bytea(char *p, size_t n)
{
    if (n < 2 || p[0] != '\\' || p[1] != 'x')
        return n;
    size_t o = 0;
    for (size_t i = 2; i + 1 < n; i += 2) {
        char h[3] = {p[i], p[i + 1], 0};
        p[o++] = (char)strtol(h, NULL, 16);
    }
    return o;
}

static int pg_read_rows(struct arus_destination *base, const struct arus_target *t,
                        const struct arus_cell *after, struct arus_batch *b,
                        struct arus_error *err)
{
    struct pg_dest *d = (struct pg_dest *)base;
    const struct arus_table_schema *s = b->schema;
    const char *schema = pg_target_schema(d, t);
    struct arus_target live = *t;
    struct pg_names n;
    char what[400];
    live.shadow = false;
    int rc = pg_names(&live, &n, err);
    if (rc)
        return rc;
    snprintf(what, sizeof what, "read back \"%s.%s\"", schema, n.table);
    size_t *key = arus_xcalloc(s->ncolumns + 1, sizeof *key);
    size_t nkey = arus_schema_pk(s, key);
    const char **params = arus_xcalloc(nkey + 1, sizeof *params);
    struct arus_strbuf *hex = arus_xcalloc(nkey + 1, sizeof *hex);
    for (size_t i = 0; after && i < nkey; i++) {
        arus_strbuf_init(&hex[i]);
        params[i] = after[i].data;
        if (s->columns[key[i]].type.ltype == ARUS_T_BYTES && after[i].data) {
            /* bytea parameters are text too: the hex form */
            arus_strbuf_puts(&hex[i], "\\x");
            for (size_t k = 0; k < after[i].len; k++)
                arus_strbuf_appendf(&hex[i], "%02x", (unsigned char)after[i].data[k]);
            params[i] = arus_strbuf_cstr(&hex[i]);
        }
    }
    struct arus_strbuf from;
    arus_strbuf_init(&from);
    arus__pg_qualified(&from, schema, n.table);
    arus_strbuf_reset(&d->sql);
    arus_sql_read_page(s, arus_strbuf_cstr(&from), false, after != NULL, b->capacity, &pg_page,
                       NULL, &d->sql);
    PGresult *r = NULL;
    rc = arus__pg_query(d->conn, arus_strbuf_cstr(&d->sql), after ? (int)nkey : 0, params, &r,
                        what, err);
    for (int row = 0; rc == ARUS_OK && row < PQntuples(r); row++) {
        struct arus_cell *cells = arus_batch_add_row(b);
        for (size_t i = 0; i < s->ncolumns; i++) {
            if (PQgetisnull(r, row, (int)i))
                continue;
            arus_cell_set(b, &cells[i], PQgetvalue(r, row, (int)i),
                          (size_t)PQgetlength(r, row, (int)i));
            if (s->columns[i].type.ltype == ARUS_T_BYTES) {
                char *p = (char *)cells[i].data;
                cells[i].len = pg_unhex_bytea(p, cells[i].len);
                p[cells[i].len] = '\0';
            }
        }
    }
    PQclear(r);
    arus_strbuf_cleanup(&from);
    for (size_t i = 0; after && i < nkey; i++)
        arus_strbuf_cleanup(&hex[i]);
    free(hex);
    free(params);
    free(key);
    return rc;
}

/* Whether the raw or normalized table of t exists (to_regclass) and holds a row. */
static int pg_table_rows(struct arus_destination *base, const struct arus_target *t, bool raw,
                         int64_t *rows, struct arus_error *err)
{
    struct pg_dest *d = (struct pg_dest *)base;
    struct pg_names n;
    int rc = pg_names(t, &n, err);
    if (rc)
        return rc;
    struct arus_strbuf *sql = &d->sql;
    arus_strbuf_reset(sql);
    arus__pg_qualified(sql, raw ? pg_raw_schema(d, t) : pg_target_schema(d, t),
                       raw ? n.raw : n.live);
    char *qualified = arus_xstrdup(arus_strbuf_cstr(sql));
    const char *params[] = {qualified};
    PGresult *r = NULL;
    rc = arus__pg_query(d->conn, "SELECT to_regclass($1) IS NOT NULL", 1, params, &r,
                        "look up table", err);
    bool exists = rc == ARUS_OK && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    PQclear(r);
    r = NULL;
    int64_t found = -1;
    if (rc == ARUS_OK && exists) {
        arus_strbuf_reset(sql);
        arus_strbuf_appendf(sql, "SELECT 1 FROM %s LIMIT 1", qualified);
        rc = arus__pg_query(d->conn, arus_strbuf_cstr(sql), 0, NULL, &r, "probe table", err);
        if (rc == ARUS_OK)
            found = PQntuples(r) > 0;
        PQclear(r);
    }
    free(qualified);
    if (rc == ARUS_OK)
        *rows = found;
    return rc;
}

static int pg_forget_state(struct arus_destination *base, const char *pipeline, const char *table,
                           int64_t *forgotten, struct arus_error *err)
{
    struct pg_dest *d = (struct pg_dest *)base;
    struct arus_strbuf *sql = &d->sql;
    arus_strbuf_reset(sql);
    arus_strbuf_puts(sql, "DELETE FROM ");
    arus__pg_qualified(sql, ARUS_STATE_SCHEMA, arus_state_watermarks.name);
    arus_strbuf_puts(sql, " WHERE " ARUS_STATE_PIPELINE_COLUMN " = $1");
    if (table)
        arus_strbuf_puts(sql, " AND " ARUS_STATE_TABLE_COLUMN " = $2");
    const char *params[] = {pipeline, table};
    PGresult *r = NULL;
    *forgotten = 0;
    int rc = arus__pg_query(d->conn, arus_strbuf_cstr(sql), table ? 2 : 1, params, &r,
                            "forget state", err);
    if (rc == ARUS_OK)
        *forgotten = strtoll(PQcmdTuples(r), NULL, 10);
    PQclear(r);
    if (rc != ARUS_OK && strcmp(err->sqlstate, "42P01") == 0) {
        arus_error_clear(err); /* no state tables: nothing to forget */
        return ARUS_OK;
    }
    return rc;
}

/* ctid identifies a row until it is updated, which nothing does to dead letters. */
static int pg_list_dead_letters(struct arus_destination *base, const struct arus_target *t,
                                struct arus_arena *a, struct arus_dead_letter **out, size_t *n,
                                struct arus_error *err)
{
    struct pg_dest *d = (struct pg_dest *)base;
    struct arus_strbuf *sql = &d->sql;
    arus_strbuf_reset(sql);
    arus_strbuf_puts(sql, "SELECT ctid::text, table_name, run_id::text, row_data::text, error, "
                          "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') FROM ");
    arus__pg_qualified(sql, pg_raw_schema(d, t), "_dead_letters");
    arus_strbuf_puts(sql, " WHERE source = $1");
    if (t->table)
        arus_strbuf_puts(sql, " AND table_name = $2");
    arus_strbuf_puts(sql, " ORDER BY created_at, ctid");
    const char *params[] = {t->source_name, t->table};
    PGresult *r = NULL;
    *out = NULL;
    *n = 0;
    int rc = arus__pg_query(d->conn, arus_strbuf_cstr(sql), t->table ? 2 : 1, params, &r,
                            "read dead letters", err);
    if (rc != ARUS_OK) {
        if (strcmp(err->sqlstate, "42P01") != 0 && strcmp(err->sqlstate, "3F000") != 0)
            return rc;
        arus_error_clear(err); /* no dead-letter table (or schema): none */
        return ARUS_OK;
    }
    int rows = PQntuples(r);
    *out = arus_arena_calloc(a, (size_t)rows + 1, sizeof **out);
    for (int i = 0; i < rows; i++) {
        const char *v[6];
        for (int c = 0; c < 6; c++)
            v[c] = arus_arena_strdup(a, PQgetvalue(r, i, c));
        (*out)[i] = (struct arus_dead_letter){.id = v[0], .table = v[1], .run_id = v[2],
                                              .row_data = v[3], .error = v[4], .created_at = v[5]};
    }
    *n = (size_t)rows;
    PQclear(r);
    return ARUS_OK;
}

static int pg_delete_dead_letter(struct arus_destination *base, const struct arus_target *t,
                                 const struct arus_dead_letter *dl, struct arus_error *err)
{
    struct pg_dest *d = (struct pg_dest *)base;
    struct arus_strbuf *sql = &d->sql;
    arus_strbuf_reset(sql);
    arus_strbuf_puts(sql, "DELETE FROM ");
    arus__pg_qualified(sql, pg_raw_schema(d, t), "_dead_letters");
    arus_strbuf_puts(sql, " WHERE ctid = $1::tid");
    const char *params[] = {dl->id};
    PGresult *r = NULL;
    int rc = arus__pg_query(d->conn, arus_strbuf_cstr(sql), 1, params, &r, "delete dead letter",
                            err);
    PQclear(r);
    return rc;
}

/* The typed table's columns with format_type() mapped back like a PostgreSQL source's. */
static int pg_describe_table(struct arus_destination *base, const struct arus_target *t,
                             struct arus_arena *a, struct arus_table_schema **out,
                             struct arus_error *err)
{
    struct pg_dest *d = (struct pg_dest *)base;
    struct pg_names n;
    int rc = pg_names(t, &n, err);
    if (rc)
        return rc;
    const char *params[2] = {pg_target_schema(d, t), n.live};
    PGresult *r = NULL;
    rc = arus__pg_query(d->conn,
                        "SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull "
                        "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
                        "JOIN pg_namespace ns ON ns.oid = c.relnamespace WHERE ns.nspname = $1 "
                        "AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped "
                        "ORDER BY a.attnum",
                        2, params, &r, "describe table", err);
    *out = NULL;
    if (rc)
        return rc;
    int rows = PQntuples(r);
    if (rows > 0) {
        struct arus_table_schema *s = arus_arena_calloc(a, 1, sizeof *s);
        s->name = arus_arena_strdup(a, n.live);
        s->columns = arus_arena_calloc(a, (size_t)rows, sizeof *s->columns);
        for (int i = 0; i < rows; i++) {
            struct arus_column *c = &s->columns[s->ncolumns++];
            c->name = arus_arena_strdup(a, PQgetvalue(r, i, 0));
            c->source_type = arus_arena_strdup(a, PQgetvalue(r, i, 1));
            arus__pg_type_from_native(c->source_type, &c->type);
            c->nullable = strcmp(PQgetvalue(r, i, 2), "t") != 0;
        }
        *out = s;
    }
    PQclear(r);
    return ARUS_OK;
}

/* d->sql = "<verb> <target_schema>.<live typed table of t>", names in n. */
static int pg_live_statement(struct pg_dest *d, const struct arus_target *t, const char *verb,
                             struct pg_names *n, struct arus_error *err)
{
    int rc = pg_names(t, n, err);
    if (rc)
        return rc;
    arus_strbuf_reset(&d->sql);
    arus_strbuf_appendf(&d->sql, "%s ", verb);
    arus__pg_qualified(&d->sql, pg_target_schema(d, t), n->live);
    return ARUS_OK;
}

static int pg_alter_column_type(struct arus_destination *base, const struct arus_target *t,
                                const struct arus_column *c, struct arus_error *err)
{
    struct pg_dest *d = (struct pg_dest *)base;
    memset(d->bin, 0, sizeof d->bin); /* column types may change */
    struct pg_names n;
    int rc = pg_live_statement(d, t, "ALTER TABLE", &n, err);
    if (rc)
        return rc;
    struct arus_strbuf *sql = &d->sql;
    arus_strbuf_puts(sql, " ALTER COLUMN ");
    pg_ident(sql, c->name);
    arus_strbuf_puts(sql, " TYPE ");
    size_t type_at = sql->len;
    arus__pg_type_to_native(&c->type, sql);
    /* USING <column>::<type>: every widening arus chooses has a cast */
    char *type = arus_xstrdup(sql->data + type_at);
    arus_strbuf_puts(sql, " USING ");
    pg_ident(sql, c->name);
    arus_strbuf_appendf(sql, "::%s", type);
    free(type);
    char what[400];
    snprintf(what, sizeof what, "widen column \"%s\" of \"%s\"", c->name, n.live);
    return arus__pg_exec(d->conn, arus_strbuf_cstr(sql), what, err);
}

static int pg_null_columns(struct arus_destination *base, const struct arus_target *t,
                           const char *const *names, size_t count, int64_t *changed,
                           struct arus_error *err)
{
    struct pg_dest *d = (struct pg_dest *)base;
    struct pg_names n;
    int rc = pg_live_statement(d, t, "UPDATE", &n, err);
    if (rc)
        return rc;
    struct arus_strbuf *sql = &d->sql;
    for (size_t i = 0; i < count; i++) {
        arus_strbuf_puts(sql, i ? ", " : " SET ");
        pg_ident(sql, names[i]);
        arus_strbuf_puts(sql, " = NULL");
    }
    arus_strbuf_puts(sql, " WHERE \"_arus_run_id\" = $1::uuid");
    const char *params[] = {t->run_id};
    PGresult *r = NULL;
    rc = arus__pg_query(d->conn, arus_strbuf_cstr(sql), 1, params, &r, "set dropped columns NULL",
                        err);
    if (rc == ARUS_OK)
        *changed = strtoll(PQcmdTuples(r), NULL, 10);
    PQclear(r);
    return rc;
}

const struct arus_destination_ops arus_destination_postgresql = {
    .abi_version = ARUS_DESTINATION_ABI,
    .name = "postgresql",
    .flags = ARUS_DST_TRANSACTIONS,
    .create = pg_create,
    .connect = pg_connect,
    .close = pg_close,
    .test_connection = pg_test_connection,
    .ensure_state = pg_ensure_state,
    .lock = pg_lock,
    .unlock = pg_unlock,
    .ensure_schema = pg_ensure_schema,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .load_raw = pg_load_raw,
    .load_normalized = pg_load_normalized,
    .update_watermark = pg_update_watermark,
    .get_watermark = pg_get_watermark,
    .swap_shadow = pg_swap_shadow,
    .drop_shadow = pg_drop_shadow,
    .record_run = pg_record_run,
    .list_runs = pg_list_runs,
    .list_state = pg_list_state,
    .delete_rows = pg_delete_rows,
    .truncate_table = pg_truncate_table,
    .write_dead_letter = pg_write_dead_letter,
    .read_rows = pg_read_rows,
    .table_rows = pg_table_rows,
    .forget_state = pg_forget_state,
    .list_dead_letters = pg_list_dead_letters,
    .delete_dead_letter = pg_delete_dead_letter,
    .describe_table = pg_describe_table,
    .alter_column_type = pg_alter_column_type,
    .null_columns = pg_null_columns,
};

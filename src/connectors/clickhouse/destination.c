/* ClickHouse destination over HTTP (libcurl): raw JSON landing tables (MergeTree, TTL where the
 * server has it), typed tables as ReplacingMergeTree(_arus_version) ordered by the source key
 * with an _arus_deleted tombstone flag, TabSeparated bulk inserts, schema drift through
 * system.columns, shadow-table swaps, and a local flock(2) pipeline lock. ClickHouse has no
 * transactions: writes go data first, watermark second, and re-delivery collapses by key. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "arus/arena.h"
#include "arus/config.h"
#include "arus/destination.h"
#include "arus/extract_sql.h"
#include "arus/log.h"
#include "arus/state.h"
#include "arus/strbuf.h"
#include "arus/util.h"
#include "connectors/clickhouse/conn.h"
#include "connectors/clickhouse/text.h"
#include "connectors/clickhouse/typemap.h"

static struct ch_dest *ch_of(struct arus_destination *dst) { return (struct ch_dest *)dst; }

/* ---- create / connect / close */

static int ch_read_config(struct ch_dest *d, const struct arus_cfg_node *n, struct arus_error *err)
{
    int64_t port = 8123;
    const char *compression = "none";
    d->opt.host = "127.0.0.1";
    d->opt.username = "default";
    d->opt.database = "default";
    d->opt.connect_timeout = 10;
    d->opt.timeout = 300;
    d->raw_schema = ARUS_DEFAULT_RAW_SCHEMA;
    d->target_schema = ARUS_DEFAULT_TARGET_SCHEMA;
    d->state_schema = ARUS_STATE_SCHEMA;
    int rc;
    if ((rc = arus_cfg_str(n, "host", &d->opt.host, err)) ||
        (rc = arus_cfg_int(n, "port", &port, err)) ||
        (rc = arus_cfg_str(n, "username", &d->opt.username, err)) ||
        (rc = arus_cfg_str(n, "password", &d->opt.password, err)) ||
        (rc = arus_cfg_str(n, "database", &d->opt.database, err)) ||
        (rc = arus_cfg_bool(n, "secure", &d->opt.secure, err)) ||
        (rc = arus_cfg_str(n, "ca_file", &d->opt.ca_file, err)) ||
        (rc = arus_cfg_str(n, "compression", &compression, err)) ||
        (rc = arus_cfg_seconds(n, "connect_timeout", &d->opt.connect_timeout, err)) ||
        (rc = arus_cfg_seconds(n, "timeout", &d->opt.timeout, err)) ||
        (rc = arus_cfg_str(n, "raw_schema", &d->raw_schema, err)) ||
        (rc = arus_cfg_str(n, "target_schema", &d->target_schema, err)) ||
        (rc = arus_cfg_str(n, "state_schema", &d->state_schema, err)))
        return rc;
    if (port <= 0 || port > 65535)
        return arus_cfg_fail(arus_cfg_get(n, "port"), "port", err, "expected 1..65535");
    if (port == 9000) {
        /* 9000 is the native protocol; the spec converts it to the HTTP port. */
        arus_log(ARUS_LOG_INFO, CH_COMPONENT,
                 "destination \"%s\": port 9000 is ClickHouse's native protocol, using HTTP "
                 "port 8123",
                 d->name);
        port = 8123;
    }
    d->opt.port = (int)port;
    if (strcmp(compression, "gzip") == 0)
        d->opt.gzip = true;
    else if (strcmp(compression, "none") != 0)
        return arus_cfg_fail(arus_cfg_get(n, "compression"), "compression", err,
                             "expected gzip or none");
    return ARUS_OK;
}

static int ch_create(const struct arus_endpoint *ep, struct arus_destination **out,
                     struct arus_error *err)
{
    struct ch_dest *d = arus_xcalloc(1, sizeof *d);
    d->base.endpoint = ep;
    d->name = ep->name;
    d->lock_fd = -1;
    arus_strbuf_init(&d->sql);
    arus_strbuf_init(&d->body);
    int rc = ch_read_config(d, ep->node, err);
    if (rc != ARUS_OK) {
        arus_strbuf_cleanup(&d->sql);
        arus_strbuf_cleanup(&d->body);
        free(d);
        return rc;
    }
    *out = &d->base;
    return ARUS_OK;
}

static bool ch_at_least(const struct ch_dest *d, int major, int minor)
{
    return d->major > major || (d->major == major && d->minor >= minor);
}

static int ch_connect(struct arus_destination *dst, struct arus_error *err)
{
    struct ch_dest *d = ch_of(dst);
    int rc = ARUS_OK;
    if (!d->http_ready) {
        rc = arus__ch_http_init(&d->http, &d->opt, err);
        if (rc != ARUS_OK)
            goto out;
        d->http_ready = true;
    }
    /* The TCP connect alone is bounded by CURLOPT_CONNECTTIMEOUT: a server that accepts and
     * never answers must also fail within connect_timeout, not the (long) query timeout. */
    arus__ch_http_set_timeout(&d->http, d->opt.connect_timeout);
    rc = arus__ch_http_exec(&d->http, "SELECT version()", NULL, 0, err);
    arus__ch_http_set_timeout(&d->http, d->opt.timeout);
    if (rc != ARUS_OK) {
        /* Every failure here (refused, auth, unknown database) means "cannot connect". */
        if (rc != ARUS_ETIMEOUT)
            rc = ARUS_ECONNECT;
        if (err)
            err->code = rc;
        goto out;
    }
    if (!arus__ch_parse_version(arus_strbuf_cstr(&d->http.resp), &d->major, &d->minor)) {
        rc = arus_error_set(err, ARUS_ECONNECT, "unexpected reply to SELECT version(): %.60s",
                            arus_strbuf_cstr(&d->http.resp));
        goto out;
    }
    d->has_ttl = ch_at_least(d, 19, 6);
    d->has_datetime64 = ch_at_least(d, 20, 1);
    d->has_add_if_not_exists = ch_at_least(d, 19, 3);
    arus_log(ARUS_LOG_DEBUG, CH_COMPONENT, "destination \"%s\": server %d.%d", d->name, d->major,
             d->minor);
    if (!d->has_datetime64)
        arus_log(ARUS_LOG_INFO, CH_COMPONENT,
                 "destination \"%s\": server %d.%d has no DateTime64; timestamps are stored as "
                 "String \"YYYY-MM-DD HH:MM:SS[.ffffff]\" (UTC) to keep microseconds",
                 d->name, d->major, d->minor);
out:
    if (rc != ARUS_OK)
        arus_error_prefix(err, "connect to \"%s\" at %s:%d", d->name, d->opt.host, d->opt.port);
    return rc;
}

static int ch_unlock(struct arus_destination *dst, const char *pipeline, struct arus_error *err)
{
    (void)pipeline;
    struct ch_dest *d = ch_of(dst);
    /* the run's last rows and watermark go out while the lock still keeps other runs away */
    int rc = arus__ch_finish_streams(d, err);
    if (rc == ARUS_OK)
        rc = arus__ch_flush_state(d, err);
    if (d->lock_fd >= 0) {
        /* The file stays: unlinking a lock file races with a process that just opened it. */
        close(d->lock_fd);
        d->lock_fd = -1;
    }
    return rc;
}

static void ch_close(struct arus_destination *dst)
{
    if (!dst)
        return;
    struct ch_dest *d = ch_of(dst);
    struct arus_error e;
    arus_error_clear(&e);
    if (ch_unlock(dst, NULL, &e) != ARUS_OK)
        arus_log(ARUS_LOG_WARN, CH_COMPONENT,
                 "destination \"%s\": last watermark not stored (the next run re-reads from "
                 "the previous one): %s",
                 d->name, e.msg);
    arus__ch_discard_state(d);
    if (d->http_ready) {
        long requests = d->http.requests;
        double seconds = d->http.seconds, bytes = d->http.bytes_sent;
        for (size_t i = 0; i < CH_NSTREAMS; i++) {
            requests += d->streams[i].s.http.requests;
            seconds += d->streams[i].s.http.seconds;
            bytes += d->streams[i].s.http.bytes_sent;
            arus__ch_stream_cleanup(&d->streams[i].s);
            arus__ch_stream_forget(&d->streams[i]);
        }
        arus_log(ARUS_LOG_DEBUG, CH_COMPONENT,
                 "destination \"%s\": %ld requests, %.3f s waiting for the server, %.1f MB sent",
                 d->name, requests, seconds, bytes / 1e6);
        arus__ch_http_cleanup(&d->http);
    }
    arus_strbuf_cleanup(&d->sql);
    arus_strbuf_cleanup(&d->body);
    free(d);
}

static int ch_test_connection(struct arus_destination *dst, struct arus_error *err)
{
    return arus__ch_exec(ch_of(dst), "SELECT 1", NULL, 0, err, "select 1");
}

/* ---- lock */

/* File-name-safe copy of s into sb: bytes outside [A-Za-z0-9._-] become '_'. */
static void ch_lock_part(struct arus_strbuf *sb, const char *s)
{
    for (const char *p = s; *p; p++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
        arus_strbuf_putc(sb, ok ? c : '_');
    }
}

/* ClickHouse has no advisory locks, so the pipeline lock is a flock(2) on a local file named
 * after server, state database and pipeline: it keeps two runs on this machine apart (runs on
 * different machines are not serialised; ReplacingMergeTree still keeps the data correct). */
static int ch_lock(struct arus_destination *dst, const char *pipeline, struct arus_error *err)
{
    struct ch_dest *d = ch_of(dst);
    if (d->lock_fd >= 0)
        return ARUS_OK;
    const char *tmp = getenv("TMPDIR");
    struct arus_strbuf path;
    arus_strbuf_init(&path);
    arus_strbuf_appendf(&path, "%s/arus-ch-", tmp && *tmp ? tmp : "/tmp");
    ch_lock_part(&path, d->opt.host);
    arus_strbuf_appendf(&path, "-%d-", d->opt.port);
    ch_lock_part(&path, d->state_schema);
    arus_strbuf_putc(&path, '-');
    ch_lock_part(&path, pipeline);
    arus_strbuf_puts(&path, ".lock");
    int rc = ARUS_OK;
    int fd = open(path.data, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        rc = arus_error_set(err, ARUS_EIO, "lock pipeline \"%s\": open %s: %s", pipeline, path.data,
                            strerror(errno));
        goto out;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        close(fd);
        if (e == EWOULDBLOCK)
            rc = arus_error_set(err, ARUS_EBUSY,
                                "pipeline \"%s\" is already running (lock %s is held by another "
                                "process)",
                                pipeline, path.data);
        else
            rc = arus_error_set(err, ARUS_EIO, "lock pipeline \"%s\": flock %s: %s", pipeline,
                                path.data, strerror(e));
        goto out;
    }
    d->lock_fd = fd;
out:
    arus_strbuf_cleanup(&path);
    return rc;
}

/* ---- tables */

static const char *ch_raw_db(const struct ch_dest *d, const struct arus_target *t)
{
    return t->raw_schema ? t->raw_schema : d->raw_schema;
}

static const char *ch_target_db(const struct ch_dest *d, const struct arus_target *t)
{
    return t->target_schema ? t->target_schema : d->target_schema;
}

/* The normalized table's name into sb; main = false follows t->shadow. */
static void ch_norm_name(struct arus_strbuf *sb, const struct arus_target *t, bool main)
{
    struct arus_target m = *t;
    if (main)
        m.shadow = false;
    arus_normalized_table_name(sb, &m);
}

static int ch_create_database(struct ch_dest *d, const char *db, struct arus_error *err)
{
    arus_strbuf_reset(&d->sql);
    arus_strbuf_puts(&d->sql, "CREATE DATABASE IF NOT EXISTS ");
    arus__ch_quote_ident(&d->sql, db);
    return arus__ch_exec(d, d->sql.data, NULL, 0, err, "create database \"%s\"", db);
}

static int ch_ensure_raw(struct ch_dest *d, const struct arus_target *t, struct arus_error *err)
{
    struct arus_strbuf name;
    arus_strbuf_init(&name);
    arus_raw_table_name(&name, t);
    arus_strbuf_reset(&d->sql);
    arus_strbuf_puts(&d->sql, "CREATE TABLE IF NOT EXISTS ");
    arus__ch_quote_table(&d->sql, ch_raw_db(d, t), name.data);
    arus_strbuf_puts(&d->sql, " (_arus_id UUID DEFAULT generateUUIDv4(), _arus_run_id String, "
                              "_data String, _arus_synced_at DateTime DEFAULT now()) "
                              "ENGINE = MergeTree() "
                              "ORDER BY (toStartOfHour(_arus_synced_at), _arus_id)");
    if (d->has_ttl) {
        arus_strbuf_puts(&d->sql, " TTL toStartOfHour(_arus_synced_at) + INTERVAL 7 DAY DELETE");
    } else if (!d->ttl_noticed) {
        d->ttl_noticed = true;
        arus_log(ARUS_LOG_INFO, CH_COMPONENT,
                 "destination \"%s\": server %d.%d has no TTL; raw tables keep their rows "
                 "(no 7-day expiry)",
                 d->name, d->major, d->minor);
    }
    int rc = arus__ch_exec(d, d->sql.data, NULL, 0, err, "create table \"%s\".\"%s\"",
                           ch_raw_db(d, t), name.data);
    arus_strbuf_cleanup(&name);
    return rc;
}

/* Column type of c in ClickHouse: key columns are never Nullable (ORDER BY needs values). */
static void ch_column_type(const struct ch_dest *d, const struct arus_column *c,
                           struct arus_strbuf *sb)
{
    arus__ch_type_to_native(&c->type, c->nullable && c->pk_ordinal == 0, d->has_datetime64, sb);
}

static void ch_table_ddl(struct ch_dest *d, const char *db, const char *table,
                         const struct arus_table_schema *s, bool if_not_exists)
{
    struct arus_strbuf *q = &d->sql;
    arus_strbuf_reset(q);
    arus_strbuf_puts(q, if_not_exists ? "CREATE TABLE IF NOT EXISTS " : "CREATE TABLE ");
    arus__ch_quote_table(q, db, table);
    arus_strbuf_puts(q, " (");
    for (size_t i = 0; i < s->ncolumns; i++) {
        arus__ch_quote_ident(q, s->columns[i].name);
        arus_strbuf_putc(q, ' ');
        ch_column_type(d, &s->columns[i], q);
        arus_strbuf_puts(q, ", ");
    }
    arus_strbuf_puts(q, "_arus_run_id String, _arus_synced_at DateTime DEFAULT now(), "
                        "_arus_version UInt64, _arus_deleted UInt8) ENGINE = ");
    size_t *pk = arus_xmalloc((s->ncolumns + 1) * sizeof *pk);
    size_t npk = arus_schema_pk(s, pk);
    if (npk == 0) {
        arus_strbuf_puts(q, "MergeTree() ORDER BY tuple()");
    } else {
        arus_strbuf_puts(q, "ReplacingMergeTree(_arus_version) ORDER BY (");
        for (size_t i = 0; i < npk; i++) {
            if (i)
                arus_strbuf_puts(q, ", ");
            arus__ch_quote_ident(q, s->columns[pk[i]].name);
        }
        arus_strbuf_putc(q, ')');
    }
    free(pk);
}

/* (Re)create "<table>_current": the source's state, i.e. newest version of each key that is
 * not a tombstone. Views expand SELECT * when created, so this runs again after drift and
 * swaps. Tables without a key are plain MergeTree, where FINAL is not allowed. */
static int ch_recreate_view(struct ch_dest *d, const char *db, const char *table,
                            struct arus_error *err)
{
    arus_strbuf_reset(&d->sql);
    arus_strbuf_puts(&d->sql, "SELECT 1 FROM system.tables WHERE database = ");
    arus__ch_quote_string(&d->sql, db);
    arus_strbuf_puts(&d->sql, " AND name = ");
    arus__ch_quote_string(&d->sql, table);
    arus_strbuf_puts(&d->sql, " AND engine = 'ReplacingMergeTree' FORMAT TabSeparated");
    int rc = arus__ch_exec(d, d->sql.data, NULL, 0, err, "inspect table \"%s\".\"%s\"", db, table);
    if (rc != ARUS_OK)
        return rc;
    bool replacing = d->http.resp.len > 0;
    struct arus_strbuf view;
    arus_strbuf_init(&view);
    arus_strbuf_appendf(&view, "%s_current", table);
    arus_strbuf_reset(&d->sql);
    arus_strbuf_puts(&d->sql, "DROP TABLE IF EXISTS ");
    arus__ch_quote_table(&d->sql, db, view.data);
    rc = arus__ch_exec(d, d->sql.data, NULL, 0, err, "drop view \"%s\".\"%s\"", db, view.data);
    if (rc == ARUS_OK) {
        arus_strbuf_reset(&d->sql);
        arus_strbuf_puts(&d->sql, "CREATE VIEW ");
        arus__ch_quote_table(&d->sql, db, view.data);
        arus_strbuf_puts(&d->sql, " AS SELECT * FROM ");
        arus__ch_quote_table(&d->sql, db, table);
        arus_strbuf_puts(&d->sql,
                         replacing ? " FINAL WHERE _arus_deleted = 0" : " WHERE _arus_deleted = 0");
        rc =
            arus__ch_exec(d, d->sql.data, NULL, 0, err, "create view \"%s\".\"%s\"", db, view.data);
    }
    arus_strbuf_cleanup(&view);
    return rc;
}

/* "SELECT <what> FROM system.columns" of table db.table as TabSeparated, into d->sql. */
static void ch_columns_query(struct ch_dest *d, const char *what, const char *db, const char *table)
{
    arus_strbuf_reset(&d->sql);
    arus_strbuf_puts(&d->sql, "SELECT ");
    arus_strbuf_puts(&d->sql, what);
    arus_strbuf_puts(&d->sql, " FROM system.columns WHERE database = ");
    arus__ch_quote_string(&d->sql, db);
    arus_strbuf_puts(&d->sql, " AND table = ");
    arus__ch_quote_string(&d->sql, table);
    arus_strbuf_puts(&d->sql, " FORMAT TabSeparated");
}

/* "ALTER TABLE db.table <clause> <column> <its type>" into d->sql. */
static void ch_alter_column_query(struct ch_dest *d, const char *db, const char *table,
                                  const char *clause, const struct arus_column *c)
{
    arus_strbuf_reset(&d->sql);
    arus_strbuf_puts(&d->sql, "ALTER TABLE ");
    arus__ch_quote_table(&d->sql, db, table);
    arus_strbuf_puts(&d->sql, clause);
    arus__ch_quote_ident(&d->sql, c->name);
    arus_strbuf_putc(&d->sql, ' ');
    ch_column_type(d, c, &d->sql);
}

/* Add the schema's columns the table lacks (checked in system.columns, since old servers
 * have no ADD COLUMN IF NOT EXISTS). Sets *added when it changed the table. */
static int ch_add_missing_columns(struct ch_dest *d, const char *db, const char *table,
                                  const struct arus_table_schema *s, bool *added,
                                  struct arus_error *err)
{
    ch_columns_query(d, "name", db, table);
    int rc =
        arus__ch_exec(d, d->sql.data, NULL, 0, err, "read columns of \"%s\".\"%s\"", db, table);
    if (rc != ARUS_OK)
        return rc;
    /* Keep the names: the next statements reuse the response buffer. */
    struct arus_strbuf have;
    arus_strbuf_init(&have);
    arus_strbuf_append(&have, d->http.resp.data ? d->http.resp.data : "", d->http.resp.len);
    size_t nhave = 0;
    for (size_t i = 0; i < have.len; i++)
        nhave += have.data[i] == '\n';
    char **names = arus_xcalloc(nhave + 1, sizeof *names);
    char *pos = have.data, *end = have.data + have.len;
    size_t k = 0;
    while (k < nhave && arus__ch_tsv_split_row(&pos, end, &names[k], 1) > 0)
        k++;
    for (size_t i = 0; i < s->ncolumns && rc == ARUS_OK; i++) {
        bool found = false;
        for (size_t j = 0; j < k && !found; j++)
            found = names[j] && strcmp(names[j], s->columns[i].name) == 0;
        if (found)
            continue;
        ch_alter_column_query(
            d, db, table, d->has_add_if_not_exists ? " ADD COLUMN IF NOT EXISTS " : " ADD COLUMN ",
            &s->columns[i]);
        rc = arus__ch_exec(d, d->sql.data, NULL, 0, err, "add column \"%s\" to \"%s\".\"%s\"",
                           s->columns[i].name, db, table);
        if (rc == ARUS_OK) {
            *added = true;
            arus_log(ARUS_LOG_INFO, CH_COMPONENT, "added column \"%s\" to \"%s\".\"%s\"",
                     s->columns[i].name, db, table);
        }
    }
    free(names);
    arus_strbuf_cleanup(&have);
    return rc;
}

static int ch_ensure_schema(struct arus_destination *dst, const struct arus_target *t,
                            const struct arus_table_schema *schema, struct arus_error *err)
{
    struct ch_dest *d = ch_of(dst);
    const char *tdb = ch_target_db(d, t);
    for (size_t i = 0; i < CH_NSTREAMS; i++)
        d->streams[i].warm = false;
    struct arus_strbuf main, shadow;
    arus_strbuf_init(&main);
    arus_strbuf_init(&shadow);
    ch_norm_name(&main, t, true);
    int rc = ch_create_database(d, ch_raw_db(d, t), err);
    if (rc == ARUS_OK)
        rc = ch_create_database(d, tdb, err);
    if (rc == ARUS_OK)
        rc = ch_ensure_raw(d, t, err);
    size_t exists = 0;
    if (rc == ARUS_OK) {
        arus_strbuf_reset(&d->sql);
        arus_strbuf_puts(&d->sql, "EXISTS TABLE ");
        arus__ch_quote_table(&d->sql, tdb, main.data);
        arus_strbuf_puts(&d->sql, " FORMAT TabSeparated");
        rc = arus__ch_exec(d, d->sql.data, NULL, 0, err, "check table \"%s\".\"%s\"", tdb,
                           main.data);
        exists = rc == ARUS_OK && d->http.resp.data && d->http.resp.data[0] == '1';
    }
    bool changed = !exists;
    if (rc == ARUS_OK && !exists) {
        ch_table_ddl(d, tdb, main.data, schema, true);
        rc = arus__ch_exec(d, d->sql.data, NULL, 0, err, "create table \"%s\".\"%s\"", tdb,
                           main.data);
    } else if (rc == ARUS_OK) {
        rc = ch_add_missing_columns(d, tdb, main.data, schema, &changed, err);
    }
    if (rc == ARUS_OK && changed)
        rc = ch_recreate_view(d, tdb, main.data, err);
    if (rc == ARUS_OK && t->shadow) {
        ch_norm_name(&shadow, t, false);
        arus_strbuf_reset(&d->sql);
        arus_strbuf_puts(&d->sql, "DROP TABLE IF EXISTS ");
        arus__ch_quote_table(&d->sql, tdb, shadow.data);
        rc = arus__ch_exec(d, d->sql.data, NULL, 0, err, "drop table \"%s\".\"%s\"", tdb,
                           shadow.data);
        if (rc == ARUS_OK) {
            ch_table_ddl(d, tdb, shadow.data, schema, false);
            rc = arus__ch_exec(d, d->sql.data, NULL, 0, err, "create table \"%s\".\"%s\"", tdb,
                               shadow.data);
        }
    }
    arus_strbuf_cleanup(&main);
    arus_strbuf_cleanup(&shadow);
    return rc;
}

/* No transactions in ClickHouse: the engine's order (data, then watermark) plus merge by key
 * makes a crash between the two re-deliver rows, never lose them. */
static int ch_noop(struct arus_destination *dst, struct arus_error *err)
{
    (void)dst;
    (void)err;
    return ARUS_OK;
}

static int ch_begin(struct arus_destination *dst, struct arus_error *err)
{
    (void)err;
    ch_of(dst)->loaded = false;
    return ARUS_OK;
}

/* The point where open INSERTs end: when one is due, or when this transaction loaded no rows
 * (the engine storing state after the last batch, e.g. the deletes watermark). Finishing
 * fails this commit, and so the batch, if the server refused rows; only after the server
 * accepted them is the watermark that arus__ch_update_watermark held back written. */
static int ch_commit(struct arus_destination *dst, struct arus_error *err)
{
    struct ch_dest *d = ch_of(dst);
    bool loaded = d->loaded;
    d->loaded = false;
    if (!arus__ch_streams_open(d) || (loaded && !arus__ch_streams_due(d)))
        return ARUS_OK;
    int rc = arus__ch_finish_streams(d, err);
    if (rc == ARUS_OK)
        rc = arus__ch_flush_state(d, err);
    return rc;
}

/* ---- loads */

static int ch_load_raw(struct arus_destination *dst, const struct arus_target *t,
                       const struct arus_batch *b, int64_t *loaded, struct arus_error *err)
{
    struct ch_dest *d = ch_of(dst);
    struct arus_strbuf name, json;
    arus_strbuf_init(&name);
    arus_strbuf_init(&json);
    arus_raw_table_name(&name, t);
    arus_strbuf_reset(&d->body);
    for (size_t r = 0; r < b->nrows; r++) {
        arus_strbuf_reset(&json);
        arus_row_to_json(b, r, &json);
        arus__ch_tsv_escape(&d->body, t->run_id, strlen(t->run_id));
        arus_strbuf_putc(&d->body, '\t');
        arus__ch_tsv_escape(&d->body, json.data, json.len);
        arus_strbuf_putc(&d->body, '\n');
    }
    arus_strbuf_reset(&d->sql);
    arus_strbuf_puts(&d->sql, "INSERT INTO ");
    arus__ch_quote_table(&d->sql, ch_raw_db(d, t), name.data);
    arus_strbuf_puts(&d->sql, " (_arus_run_id, _data) FORMAT TabSeparated");
    int rc = ARUS_OK;
    if (b->nrows) {
        char what[512];
        snprintf(what, sizeof what, "insert into \"%s\".\"%s\"", ch_raw_db(d, t), name.data);
        rc = arus__ch_stream_rows(d, CH_STREAM_RAW, d->sql.data, what, d->body.data, d->body.len, b,
                                  err);
    }
    if (rc == ARUS_OK)
        *loaded = (int64_t)b->nrows;
    arus_strbuf_cleanup(&name);
    arus_strbuf_cleanup(&json);
    return rc;
}

/* Insert the batch as one TabSeparated block into db.table with the given tombstone flag and
 * one fresh version: ReplacingMergeTree keeps the highest version per key, so this is both the
 * upsert (deleted = 0, streamed with the table's other batches) and the soft delete
 * (deleted = 1, its own INSERT). A tombstone leaves out the non-key columns that no row of
 * the batch has (a captured delete carries only its key): they take the column's default. */
static int ch_insert_versioned(struct ch_dest *d, const struct arus_target *t, const char *db,
                               const char *table, const struct arus_batch *b, bool deleted,
                               struct arus_error *err)
{
    const struct arus_table_schema *s = b->schema;
    struct ch_value_spec *vs = arus_xcalloc(b->ncolumns + 1, sizeof *vs);
    bool *use = arus_xcalloc(b->ncolumns + 1, sizeof *use);
    struct arus_strbuf type;
    arus_strbuf_init(&type);
    arus_strbuf_reset(&d->sql);
    arus_strbuf_puts(&d->sql, "INSERT INTO ");
    arus__ch_quote_table(&d->sql, db, table);
    arus_strbuf_puts(&d->sql, " (");
    for (size_t i = 0; i < b->ncolumns; i++) {
        use[i] = !deleted || s->columns[i].pk_ordinal > 0;
        for (size_t r = 0; r < b->nrows && !use[i]; r++)
            use[i] = arus_batch_row(b, r)[i].data != NULL;
        if (!use[i])
            continue;
        arus_strbuf_reset(&type);
        ch_column_type(d, &s->columns[i], &type);
        arus__ch_value_spec_init(&vs[i], &s->columns[i].type, type.data);
        arus__ch_quote_ident(&d->sql, s->columns[i].name);
        arus_strbuf_puts(&d->sql, ", ");
    }
    arus_strbuf_puts(&d->sql, "_arus_run_id, _arus_version, _arus_deleted) FORMAT TabSeparated");

    /* every row ends with the same run id, version and flag: escaped once per batch */
    struct arus_strbuf tail;
    arus_strbuf_init(&tail);
    arus__ch_tsv_escape(&tail, t->run_id, strlen(t->run_id));
    arus_strbuf_appendf(&tail, "\t%llu\t%c\n", (unsigned long long)arus__ch_next_version(d),
                        deleted ? '1' : '0');
    int rc = ARUS_OK;
    arus_strbuf_reset(&d->body);
    for (size_t r = 0; r < b->nrows && rc == ARUS_OK; r++) {
        const struct arus_cell *row = arus_batch_row(b, r);
        for (size_t i = 0; i < b->ncolumns; i++) {
            const char *why = NULL;
            if (!use[i])
                continue;
            if (!arus__ch_tsv_cell(&d->body, &vs[i], &row[i], &why)) {
                /* escaped and cut, so the message stays one short line */
                const struct arus_cell *c = &row[i];
                arus_strbuf_reset(&type);
                if (c->data)
                    arus__ch_tsv_escape(&type, c->data, c->len > 64 ? 64 : c->len);
                rc = arus_error_set(
                    err, ARUS_EDATA, "table \"%s\".\"%s\" column \"%s\": value %s%s%s %s", db,
                    table, s->columns[i].name, c->data ? "\"" : "",
                    c->data ? arus_strbuf_cstr(&type) : "NULL", c->data ? "\"" : "", why);
                break;
            }
            arus_strbuf_putc(&d->body, '\t');
        }
        arus_strbuf_append(&d->body, tail.data, tail.len);
    }
    if (rc == ARUS_OK && b->nrows && deleted) {
        rc = arus__ch_exec(d, d->sql.data, d->body.data, d->body.len, err,
                           "insert tombstones into \"%s\".\"%s\"", db, table);
    } else if (rc == ARUS_OK && b->nrows) {
        char what[512];
        snprintf(what, sizeof what, "insert rows into \"%s\".\"%s\"", db, table);
        rc = arus__ch_stream_rows(d, CH_STREAM_TYPED, d->sql.data, what, d->body.data, d->body.len,
                                  b, err);
    }
    arus_strbuf_cleanup(&type);
    arus_strbuf_cleanup(&tail);
    free(vs);
    free(use);
    return rc;
}

static int ch_load_normalized(struct arus_destination *dst, const struct arus_target *t,
                              const struct arus_batch *b, int64_t *loaded, struct arus_error *err)
{
    struct ch_dest *d = ch_of(dst);
    struct arus_strbuf name;
    arus_strbuf_init(&name);
    ch_norm_name(&name, t, false);
    int rc = ch_insert_versioned(d, t, ch_target_db(d, t), name.data, b, false, err);
    if (rc == ARUS_OK)
        *loaded = (int64_t)b->nrows;
    arus_strbuf_cleanup(&name);
    return rc;
}

/* Soft deletes become tombstones (the row with _arus_deleted = 1 and a newer version), so
 * "SELECT ... FINAL WHERE _arus_deleted = 0" (the <table>_current view) shows the source's
 * state. A table without a key cannot address rows: nothing is deleted there. */
static int ch_delete_rows(struct arus_destination *dst, const struct arus_target *t,
                          const struct arus_batch *b, int64_t *deleted, struct arus_error *err)
{
    struct ch_dest *d = ch_of(dst);
    size_t *pk = arus_xmalloc((b->schema->ncolumns + 1) * sizeof *pk);
    size_t npk = arus_schema_pk(b->schema, pk);
    free(pk);
    *deleted = 0;
    if (npk == 0)
        return ARUS_OK;
    struct arus_strbuf name;
    arus_strbuf_init(&name);
    ch_norm_name(&name, t, true);
    int rc = ch_insert_versioned(d, t, ch_target_db(d, t), name.data, b, true, err);
    if (rc == ARUS_OK)
        *deleted = (int64_t)b->nrows;
    arus_strbuf_cleanup(&name);
    return rc;
}

/* ClickHouse has no transactions: the table is emptied at once (state is written after). */
static int ch_truncate_table(struct arus_destination *dst, const struct arus_target *t,
                             struct arus_error *err)
{
    struct ch_dest *d = ch_of(dst);
    struct arus_strbuf name;
    arus_strbuf_init(&name);
    ch_norm_name(&name, t, true);
    arus_strbuf_reset(&d->sql);
    arus_strbuf_puts(&d->sql, "TRUNCATE TABLE ");
    arus__ch_quote_table(&d->sql, ch_target_db(d, t), name.data);
    int rc = arus__ch_exec(d, d->sql.data, NULL, 0, err, "truncate \"%s\"", name.data);
    arus_strbuf_cleanup(&name);
    return rc;
}

/* A refused row (see arus__ch_tsv_cell) kept as JSON with the reason, next to the raw tables. */
static int ch_write_dead_letter(struct arus_destination *dst, const struct arus_target *t,
                                const char *row_json, const char *error, struct arus_error *err)
{
    struct ch_dest *d = ch_of(dst);
    const char *db = ch_raw_db(d, t);
    arus_strbuf_reset(&d->sql);
    arus_strbuf_puts(&d->sql, "CREATE TABLE IF NOT EXISTS ");
    arus__ch_quote_table(&d->sql, db, "_dead_letters");
    arus_strbuf_puts(&d->sql, " (source String, table_name String, run_id String, "
                              "row_data String, error String, created_at DateTime DEFAULT now()) "
                              "ENGINE = MergeTree() ORDER BY (table_name, created_at)");
    int rc =
        arus__ch_exec(d, d->sql.data, NULL, 0, err, "create table \"%s\".\"_dead_letters\"", db);
    if (rc != ARUS_OK)
        return rc;
    const char *fields[] = {t->source_name, t->table, t->run_id, row_json, error};
    arus_strbuf_reset(&d->body);
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
        const char *f = fields[i] ? fields[i] : "";
        arus__ch_tsv_escape(&d->body, f, strlen(f));
        arus_strbuf_putc(&d->body, i + 1 < sizeof fields / sizeof *fields ? '\t' : '\n');
    }
    arus_strbuf_reset(&d->sql);
    arus_strbuf_puts(&d->sql, "INSERT INTO ");
    arus__ch_quote_table(&d->sql, db, "_dead_letters");
    arus_strbuf_puts(&d->sql, " (source, table_name, run_id, row_data, error) FORMAT TabSeparated");
    return arus__ch_exec(d, d->sql.data, d->body.data, d->body.len, err,
                         "insert into \"%s\".\"_dead_letters\"", db);
}

/* ---- full refresh */

static int ch_drop_table(struct ch_dest *d, const char *db, const char *table,
                         struct arus_error *err)
{
    arus_strbuf_reset(&d->sql);
    arus_strbuf_puts(&d->sql, "DROP TABLE IF EXISTS ");
    arus__ch_quote_table(&d->sql, db, table);
    return arus__ch_exec(d, d->sql.data, NULL, 0, err, "drop table \"%s\".\"%s\"", db, table);
}

/* RENAME of two tables in one statement: readers see the old or the new table, never none.
 * (Servers with Atomic databases also have EXCHANGE TABLES; RENAME works on every version.) */
static int ch_swap_shadow(struct arus_destination *dst, const struct arus_target *t,
                          struct arus_error *err)
{
    struct ch_dest *d = ch_of(dst);
    const char *db = ch_target_db(d, t);
    struct arus_strbuf main, shadow, old;
    arus_strbuf_init(&main);
    arus_strbuf_init(&shadow);
    arus_strbuf_init(&old);
    ch_norm_name(&main, t, true);
    ch_norm_name(&shadow, t, false);
    arus_strbuf_appendf(&old, "%s" ARUS_OLD_SUFFIX, main.data);
    int rc = ch_drop_table(d, db, old.data, err); /* left over by a crash mid-swap */
    if (rc == ARUS_OK) {
        arus_strbuf_reset(&d->sql);
        arus_strbuf_puts(&d->sql, "RENAME TABLE ");
        arus__ch_quote_table(&d->sql, db, main.data);
        arus_strbuf_puts(&d->sql, " TO ");
        arus__ch_quote_table(&d->sql, db, old.data);
        arus_strbuf_puts(&d->sql, ", ");
        arus__ch_quote_table(&d->sql, db, shadow.data);
        arus_strbuf_puts(&d->sql, " TO ");
        arus__ch_quote_table(&d->sql, db, main.data);
        rc = arus__ch_exec(d, d->sql.data, NULL, 0, err, "swap \"%s\".\"%s\" with its shadow", db,
                           main.data);
    }
    if (rc == ARUS_OK)
        rc = ch_drop_table(d, db, old.data, err);
    if (rc == ARUS_OK)
        rc = ch_recreate_view(d, db, main.data, err);
    arus_strbuf_cleanup(&main);
    arus_strbuf_cleanup(&shadow);
    arus_strbuf_cleanup(&old);
    return rc;
}

static int ch_drop_shadow(struct arus_destination *dst, const struct arus_target *t,
                          struct arus_error *err)
{
    struct ch_dest *d = ch_of(dst);
    struct arus_strbuf shadow;
    arus_strbuf_init(&shadow);
    struct arus_target s = *t;
    s.shadow = true;
    arus_normalized_table_name(&shadow, &s);
    int rc = ch_drop_table(d, ch_target_db(d, t), shadow.data, err);
    arus_strbuf_cleanup(&shadow);
    return rc;
}

/* The i-th value of the page's lower key as a literal of its column's type (the state reads
 * quote their literals the same way). */
struct ch_page_ctx {
    struct ch_dest *d;
    const struct arus_cell *after;
};

static void ch_page_param(void *ctx, struct arus_strbuf *sql, size_t i, const struct arus_column *c)
{
    struct ch_page_ctx *pc = ctx;
    struct arus_strbuf type;
    arus_strbuf_init(&type);
    ch_column_type(pc->d, c, &type);
    arus_strbuf_puts(sql, "CAST(");
    arus__ch_quote_string(sql, pc->after[i].data ? pc->after[i].data : "");
    arus_strbuf_appendf(sql, " AS %s)", arus_strbuf_cstr(&type));
    arus_strbuf_cleanup(&type);
}

static const struct arus_sql_page_dialect ch_page = {
    .quote = '"', .tuple_fn = true, .ident = arus__ch_quote_ident, .param = ch_page_param};

/* arus verify: one page of the collapsed typed table (what the <table>_current view shows) by
 * key. */
static int ch_read_rows(struct arus_destination *dst, const struct arus_target *t,
                        const struct arus_cell *after, struct arus_batch *b,
                        struct arus_error *err)
{
    struct ch_dest *d = ch_of(dst);
    const struct arus_table_schema *s = b->schema;
    struct arus_strbuf name, from;
    arus_strbuf_init(&name);
    arus_strbuf_init(&from);
    ch_norm_name(&name, t, true);
    arus__ch_quote_table(&from, ch_target_db(d, t), name.data);
    arus_strbuf_puts(&from, " FINAL WHERE _arus_deleted = 0");
    struct ch_page_ctx pc = {.d = d, .after = after};
    arus_strbuf_reset(&d->sql);
    arus_sql_read_page(s, arus_strbuf_cstr(&from), true, after != NULL, b->capacity, &ch_page,
                       &pc, &d->sql);
    arus_strbuf_puts(&d->sql, " FORMAT TabSeparated");
    int rc = arus__ch_exec(d, d->sql.data, NULL, 0, err, "read back \"%s\".\"%s\"",
                           ch_target_db(d, t), name.data);
    /* Split by hand rather than with arus__ch_tsv_split_row: the lengths must survive
     * unescaping, a String may hold NUL bytes. */
    char *pos = d->http.resp.data, *end = pos + d->http.resp.len;
    while (rc == ARUS_OK && pos && pos < end) {
        struct arus_cell *cells = arus_batch_add_row(b);
        for (size_t i = 0; i < s->ncolumns; i++) {
            char *f = pos;
            while (pos < end && *pos != '\t' && *pos != '\n')
                pos++;
            size_t n = (size_t)(pos - f);
            bool last = pos >= end || *pos == '\n';
            pos += pos < end;
            if (!(n == 2 && f[0] == '\\' && f[1] == 'N'))
                arus_cell_set(b, &cells[i], f, arus__ch_tsv_unescape(f, n));
            if (last != (i + 1 == s->ncolumns)) {
                rc = arus_error_set(err, ARUS_EQUERY, "read back \"%s\".\"%s\": malformed row",
                                    ch_target_db(d, t), name.data);
                break;
            }
        }
    }
    arus_strbuf_cleanup(&from);
    arus_strbuf_cleanup(&name);
    return rc;
}

/* Whether the raw or normalized table of t exists and holds a row (its newest version may be a
 * soft-delete tombstone: rows all the same). */
static int ch_table_rows(struct arus_destination *dst, const struct arus_target *t, bool raw,
                         int64_t *rows, struct arus_error *err)
{
    struct ch_dest *d = ch_of(dst);
    struct arus_strbuf name;
    arus_strbuf_init(&name);
    if (raw)
        arus_raw_table_name(&name, t);
    else
        ch_norm_name(&name, t, true);
    const char *db = raw ? ch_raw_db(d, t) : ch_target_db(d, t);
    arus_strbuf_reset(&d->sql);
    arus_strbuf_puts(&d->sql, "SELECT count() FROM system.tables WHERE database = ");
    arus__ch_quote_string(&d->sql, db);
    arus_strbuf_puts(&d->sql, " AND name = ");
    arus__ch_quote_string(&d->sql, name.data);
    arus_strbuf_puts(&d->sql, " FORMAT TabSeparated");
    int rc = arus__ch_exec(d, d->sql.data, NULL, 0, err, "look up table \"%s\".\"%s\"", db,
                           name.data);
    int64_t found = -1;
    if (rc == ARUS_OK && d->http.resp.len && d->http.resp.data[0] != '0') {
        arus_strbuf_reset(&d->sql);
        arus_strbuf_puts(&d->sql, "SELECT 1 FROM ");
        arus__ch_quote_table(&d->sql, db, name.data);
        arus_strbuf_puts(&d->sql, " LIMIT 1 FORMAT TabSeparated");
        rc = arus__ch_exec(d, d->sql.data, NULL, 0, err, "probe table \"%s\".\"%s\"", db,
                           name.data);
        if (rc == ARUS_OK)
            found = d->http.resp.len > 0;
    }
    arus_strbuf_cleanup(&name);
    if (rc == ARUS_OK)
        *rows = found;
    return rc;
}

/* Listing only: a MergeTree row is deleted by an asynchronous mutation, so replay (which must
 * remove the rows that load) is not offered here. */
static int ch_list_dead_letters(struct arus_destination *dst, const struct arus_target *t,
                                struct arus_arena *a, struct arus_dead_letter **out, size_t *n,
                                struct arus_error *err)
{
    struct ch_dest *d = ch_of(dst);
    const char *db = ch_raw_db(d, t);
    arus_strbuf_reset(&d->sql);
    arus_strbuf_puts(&d->sql, "SELECT table_name, run_id, row_data, error, toString(created_at) "
                              "FROM ");
    arus__ch_quote_table(&d->sql, db, "_dead_letters");
    arus_strbuf_puts(&d->sql, " WHERE source = ");
    arus__ch_quote_string(&d->sql, t->source_name);
    if (t->table) {
        arus_strbuf_puts(&d->sql, " AND table_name = ");
        arus__ch_quote_string(&d->sql, t->table);
    }
    arus_strbuf_puts(&d->sql, " ORDER BY created_at FORMAT TabSeparated");
    *out = NULL;
    *n = 0;
    int rc = arus__ch_exec(d, d->sql.data, NULL, 0, err, "read \"%s\".\"_dead_letters\"", db);
    /* UNKNOWN_TABLE, UNKNOWN_DATABASE: none */
    if (rc == ARUS_ENOTFOUND && (err->driver_code == 60 || err->driver_code == 81)) {
        arus_error_clear(err);
        return ARUS_OK;
    }
    if (rc != ARUS_OK)
        return rc;
    size_t rows = 0;
    for (size_t i = 0; i < d->http.resp.len; i++)
        rows += d->http.resp.data[i] == '\n';
    *out = arus_arena_calloc(a, rows + 1, sizeof **out);
    char *pos = d->http.resp.data, *end = pos + d->http.resp.len;
    char *v[5];
    while (*n < rows && pos < end && arus__ch_tsv_split_row(&pos, end, v, 5) == 5)
        (*out)[(*n)++] = (struct arus_dead_letter){.table = arus_arena_strdup(a, v[0]),
                                                   .run_id = arus_arena_strdup(a, v[1]),
                                                   .row_data = arus_arena_strdup(a, v[2]),
                                                   .error = arus_arena_strdup(a, v[3]),
                                                   .created_at = arus_arena_strdup(a, v[4])};
    return ARUS_OK;
}

static int ch_describe_table(struct arus_destination *dst, const struct arus_target *t,
                             struct arus_arena *a, struct arus_table_schema **out,
                             struct arus_error *err)
{
    struct ch_dest *d = ch_of(dst);
    const char *db = ch_target_db(d, t);
    struct arus_strbuf name;
    arus_strbuf_init(&name);
    ch_norm_name(&name, t, true);
    ch_columns_query(d, "name, type, is_in_primary_key", db, name.data);
    int rc = arus__ch_exec(d, d->sql.data, NULL, 0, err, "describe \"%s\".\"%s\"", db,
                           name.data);
    *out = NULL;
    size_t rows = 0;
    for (size_t i = 0; rc == ARUS_OK && i < d->http.resp.len; i++)
        rows += d->http.resp.data[i] == '\n';
    if (rows) {
        struct arus_table_schema *s = arus_arena_calloc(a, 1, sizeof *s);
        s->name = arus_arena_strdup(a, name.data);
        s->columns = arus_arena_calloc(a, rows, sizeof *s->columns);
        char *pos = d->http.resp.data, *end = pos + d->http.resp.len, *v[3];
        while (s->ncolumns < rows && arus__ch_tsv_split_row(&pos, end, v, 3) == 3) {
            struct arus_column *c = &s->columns[s->ncolumns++];
            c->name = arus_arena_strdup(a, v[0]);
            c->source_type = arus_arena_strdup(a, v[1]);
            arus__ch_type_from_native(v[1], &c->type, &c->nullable);
            c->pk_ordinal = strcmp(v[2], "1") == 0;
        }
        *out = s;
    }
    arus_strbuf_cleanup(&name);
    return rc;
}

/* MODIFY COLUMN converts the stored values; the _current view is made again over the new
 * type. Key columns cannot change in ClickHouse (the server says so). */
static int ch_alter_column_type(struct arus_destination *dst, const struct arus_target *t,
                                const struct arus_column *c, struct arus_error *err)
{
    struct ch_dest *d = ch_of(dst);
    const char *db = ch_target_db(d, t);
    struct arus_strbuf name;
    arus_strbuf_init(&name);
    ch_norm_name(&name, t, true);
    ch_alter_column_query(d, db, name.data, " MODIFY COLUMN ", c);
    int rc = arus__ch_exec(d, d->sql.data, NULL, 0, err, "widen column \"%s\" of \"%s\".\"%s\"",
                           c->name, db, name.data);
    if (rc == ARUS_OK)
        rc = ch_recreate_view(d, db, name.data, err);
    arus_strbuf_cleanup(&name);
    return rc;
}

const struct arus_destination_ops arus_destination_clickhouse = {
    .abi_version = ARUS_DESTINATION_ABI,
    .name = "clickhouse",
    .flags = 0, /* no ARUS_DST_TRANSACTIONS: rollback undoes nothing, ch_commit sends */
    .create = ch_create,
    .connect = ch_connect,
    .close = ch_close,
    .test_connection = ch_test_connection,
    .ensure_state = arus__ch_ensure_state,
    .lock = ch_lock,
    .unlock = ch_unlock,
    .ensure_schema = ch_ensure_schema,
    .begin = ch_begin,
    .commit = ch_commit,
    .rollback = ch_noop,
    .load_raw = ch_load_raw,
    .load_normalized = ch_load_normalized,
    .update_watermark = arus__ch_update_watermark,
    .get_watermark = arus__ch_get_watermark,
    .swap_shadow = ch_swap_shadow,
    .drop_shadow = ch_drop_shadow,
    .record_run = arus__ch_record_run,
    .list_runs = arus__ch_list_runs,
    .list_state = arus__ch_list_state,
    .delete_rows = ch_delete_rows,
    .truncate_table = ch_truncate_table,
    .write_dead_letter = ch_write_dead_letter,
    .read_rows = ch_read_rows,
    .table_rows = ch_table_rows,
    .forget_state = arus__ch_forget_state,
    .list_dead_letters = ch_list_dead_letters,
    .describe_table = ch_describe_table,
    .alter_column_type = ch_alter_column_type,
};

/* libpq helpers shared by the PostgreSQL source and destination (see conn.h): endpoint
 * settings, connecting through PQconnectdbParams, and one-line errors from libpq results.
 * Lives with the destination because core must not include driver headers. */
#include "connectors/postgresql/conn.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "arus/log.h"
#include "arus/strbuf.h"

static const char *const pg_conn_keys[] = {
    "type",
    "url",
    "host",
    "port",
    "username",
    "password",
    "database",
    "sslmode",
    "sslrootcert",
    "connect_timeout",
    "statement_timeout",
    "work_mem",
    NULL,
};

/* A PostgreSQL memory size as the server takes it: digits and an optional kB/MB/GB unit. */
static bool pg_memory_size(const char *v)
{
    size_t n = strspn(v, "0123456789");
    return n > 0 && n < 10 &&
           (v[n] == '\0' || strcmp(v + n, "kB") == 0 || strcmp(v + n, "MB") == 0 ||
            strcmp(v + n, "GB") == 0);
}

static bool pg_key_in(const char *key, const char *const *list)
{
    for (; list && *list; list++)
        if (strcmp(key, *list) == 0)
            return true;
    return false;
}

int arus__pg_check_keys(const struct arus_endpoint *ep, const char *const *extra,
                        struct arus_error *err)
{
    const struct arus_cfg_node *m = ep->node;
    for (size_t i = 0; m && i < m->nchildren; i++) {
        const char *key = m->children[i]->key;
        if (pg_key_in(key, pg_conn_keys) || pg_key_in(key, extra))
            continue;
        struct arus_strbuf why;
        arus_strbuf_init(&why);
        arus_strbuf_puts(&why, "unknown key (known: ");
        for (size_t k = 1; pg_conn_keys[k]; k++)
            arus_strbuf_appendf(&why, "%s, ", pg_conn_keys[k]);
        for (size_t k = 0; extra && extra[k]; k++)
            arus_strbuf_appendf(&why, "%s, ", extra[k]);
        why.len -= 2;
        arus_strbuf_puts(&why, ")");
        int rc = arus_cfg_fail(m->children[i], key, err, arus_strbuf_cstr(&why));
        arus_strbuf_cleanup(&why);
        return rc;
    }
    return ARUS_OK;
}

/* Values already validated by the config accessors; only the numeric ones need formatting. */
int arus__pg_settings_read(const struct arus_endpoint *ep, struct pg_settings *s,
                           struct arus_error *err)
{
    const struct arus_cfg_node *m = ep->node;
    int64_t port = 0;
    double connect_timeout = 10, statement_timeout = 0;
    /* The ordered extract sorts the table by watermark; the server's 4 MB default spills a
     * sort of a million rows to disk (measured: first loads 0.71x -> ~0.84x of a COPY pipe). */
    const char *work_mem = "256MB";
    int rc;

    memset(s, 0, sizeof *s);
    s->endpoint = ep->name;
    if ((rc = arus_cfg_str(m, "url", &s->url, err)) ||
        (rc = arus_cfg_str(m, "host", &s->host, err)) ||
        (rc = arus_cfg_int(m, "port", &port, err)) ||
        (rc = arus_cfg_str(m, "username", &s->user, err)) ||
        (rc = arus_cfg_str(m, "password", &s->password, err)) ||
        (rc = arus_cfg_str(m, "database", &s->dbname, err)) ||
        (rc = arus_cfg_str(m, "sslmode", &s->sslmode, err)) ||
        (rc = arus_cfg_str(m, "sslrootcert", &s->sslrootcert, err)) ||
        (rc = arus_cfg_seconds(m, "connect_timeout", &connect_timeout, err)) ||
        (rc = arus_cfg_seconds(m, "statement_timeout", &statement_timeout, err)) ||
        (rc = arus_cfg_str(m, "work_mem", &work_mem, err)))
        return rc;
    if (!pg_memory_size(work_mem))
        return arus_cfg_fail(arus_cfg_get(m, "work_mem"), "work_mem", err,
                             "expected a size such as 64MB, 1GB or 65536 (kB)");
    if (port < 0 || port > 65535)
        return arus_cfg_fail(arus_cfg_get(m, "port"), "port", err, "expected 1..65535");
    if (port > 0)
        snprintf(s->port, sizeof s->port, "%d", (int)port);
    /* libpq treats 0 as "wait forever" and rounds up values below 2 s. */
    snprintf(s->connect_timeout, sizeof s->connect_timeout, "%d",
             connect_timeout < 1 ? 1 : (int)connect_timeout);
    snprintf(s->options, sizeof s->options,
             "-c TimeZone=UTC -c DateStyle=ISO -c IntervalStyle=iso_8601 "
             "-c statement_timeout=%lld -c work_mem=%s",
             (long long)(statement_timeout * 1000), work_mem);

    /* For messages: host and port come from the keys, else from the URL, else libpq's
     * defaults. PQconninfoParse never contacts anything. */
    const char *host = s->host, *port_txt = s->port[0] ? s->port : NULL;
    PQconninfoOption *opts = s->url ? PQconninfoParse(s->url, NULL) : NULL;
    for (PQconninfoOption *o = opts; o && o->keyword; o++) {
        if (!host && o->val && strcmp(o->keyword, "host") == 0)
            host = o->val;
        else if (!port_txt && o->val && strcmp(o->keyword, "port") == 0)
            port_txt = o->val;
    }
    snprintf(s->where, sizeof s->where, "%s:%s", host ? host : "localhost",
             port_txt ? port_txt : "5432");
    PQconninfoFree(opts);
    return ARUS_OK;
}

static void pg_notice(void *arg, const char *message)
{
    (void)arg;
    arus_log(ARUS_LOG_DEBUG, "postgresql", "%s", message);
}

/* libpq's connect failures read 'connection to server at "h" (ip), port p failed: FATAL:  why';
 * our message already names the server, so keep only the reason's first line. */
static const char *pg_connect_reason(const char *msg, size_t *len)
{
    const char *p;
    if (strncmp(msg, "connection to server", 20) == 0 && (p = strstr(msg, " failed: ")))
        msg = p + 9;
    if (strncmp(msg, "FATAL:  ", 8) == 0)
        msg += 8;
    *len = strcspn(msg, "\n");
    return msg;
}

static int pg_connect_as(const struct pg_settings *s, bool replication, PGconn **out,
                         struct arus_error *err)
{
    /* dbname comes first so that expand_dbname unpacks the URL and the explicit keys after it
     * override the URL's parts. */
    const char *keys[16], *vals[16];
    int n = 0;
#define PG_KV(k, v)                                                                                \
    do {                                                                                           \
        if ((v) && *(v)) {                                                                         \
            keys[n] = (k);                                                                         \
            vals[n++] = (v);                                                                       \
        }                                                                                          \
    } while (0)
    PG_KV("dbname", s->url);
    PG_KV("dbname", s->dbname);
    PG_KV("host", s->host);
    PG_KV("port", s->port);
    PG_KV("user", s->user);
    PG_KV("password", s->password);
    PG_KV("sslmode", s->sslmode);
    PG_KV("sslrootcert", s->sslrootcert);
    PG_KV("connect_timeout", s->connect_timeout);
    PG_KV("application_name", "arus");
    PG_KV("client_encoding", "UTF8");
    PG_KV("options", s->options);
    PG_KV("replication", replication ? "database" : NULL);
#undef PG_KV
    keys[n] = vals[n] = NULL;

    PGconn *c = PQconnectdbParams(keys, vals, 1);
    if (PQstatus(c) != CONNECTION_OK) {
        size_t len;
        const char *why = pg_connect_reason(PQerrorMessage(c), &len);
        int rc = arus_error_set(err, ARUS_ECONNECT, "connect to \"%s\" at %s: %.*s", s->endpoint,
                                s->where, (int)len, why);
        PQfinish(c);
        return rc;
    }
    PQsetNoticeProcessor(c, pg_notice, NULL);
    *out = c;
    return ARUS_OK;
}

int arus__pg_connect(const struct pg_settings *s, PGconn **out, struct arus_error *err)
{
    return pg_connect_as(s, false, out, err);
}

int arus__pg_connect_replication(const struct pg_settings *s, PGconn **out,
                                 struct arus_error *err)
{
    return pg_connect_as(s, true, out, err);
}

/* A server shutting down ends its sessions with 57P01..57P03 (or a class 08 error) while the
 * connection can still look OK: those are lost connections (retried), not query errors. */
static bool pg_state_lost(const char *state)
{
    return state && (strncmp(state, "08", 2) == 0 || strcmp(state, "57P01") == 0 ||
                     strcmp(state, "57P02") == 0 || strcmp(state, "57P03") == 0);
}

int arus__pg_fail(PGconn *c, const PGresult *r, struct arus_error *err, const char *what)
{
    const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    int code = ARUS_EQUERY;
    if (!msg)
        msg = PQerrorMessage(c);
    if (PQstatus(c) != CONNECTION_OK || pg_state_lost(state))
        code = ARUS_ECONNECT;
    else if (state && strcmp(state, "57014") == 0)
        code = ARUS_ETIMEOUT;
    else if (state && (strncmp(state, "22", 2) == 0 || strncmp(state, "23", 2) == 0))
        code = ARUS_EDATA; /* data exception / integrity violation: the row is at fault */
    size_t len = strcspn(msg, "\n");
    arus_error_set(err, code, "%s: %.*s", what, (int)len, msg);
    if (err && state)
        snprintf(err->sqlstate, sizeof err->sqlstate, "%s", state);
    return code;
}

static int pg_check(PGconn *c, PGresult *r, const char *what, struct arus_error *err)
{
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
        return ARUS_OK;
    return arus__pg_fail(c, r, err, what);
}

int arus__pg_exec(PGconn *c, const char *sql, const char *what, struct arus_error *err)
{
    PGresult *r = PQexec(c, sql);
    int rc = pg_check(c, r, what, err);
    PQclear(r);
    return rc;
}

int arus__pg_query(PGconn *c, const char *sql, int n, const char *const *values, PGresult **out,
                   const char *what, struct arus_error *err)
{
    PGresult *r = PQexecParams(c, sql, n, NULL, values, NULL, NULL, 0);
    int rc = pg_check(c, r, what, err);
    if (rc)
        PQclear(r);
    else
        *out = r;
    return rc;
}

int arus__pg_copy_start(PGconn *c, const char *sql, const char *what, struct arus_error *err)
{
    PGresult *r = PQexec(c, sql);
    int rc = PQresultStatus(r) == PGRES_COPY_IN ? ARUS_OK : arus__pg_fail(c, r, err, what);
    PQclear(r);
    return rc;
}

bool arus__pg_copy_send(PGconn *c, struct arus_strbuf *data)
{
    /* libpq buffers what it cannot send yet; big pieces avoid per-call overhead while the
     * blocking connection keeps the socket full. */
    const size_t piece = 1u << 20;
    bool ok = true;
    for (size_t off = 0; ok && off < data->len; off += piece) {
        size_t n = data->len - off < piece ? data->len - off : piece;
        ok = PQputCopyData(c, data->data + off, (int)n) == 1;
    }
    arus_strbuf_reset(data);
    return ok;
}

int arus__pg_copy_end(PGconn *c, bool ok, const char *what, struct arus_error *err)
{
    ok = PQputCopyEnd(c, ok ? NULL : "arus: send failed") == 1 && ok;
    int rc = ARUS_OK;
    PGresult *r;
    while ((r = PQgetResult(c))) {
        if (rc == ARUS_OK && PQresultStatus(r) != PGRES_COMMAND_OK)
            rc = arus__pg_fail(c, r, err, what);
        PQclear(r);
    }
    if (rc == ARUS_OK && !ok)
        rc = arus__pg_fail(c, NULL, err, what);
    return rc;
}

int arus__pg_copy_in(PGconn *c, const char *sql, struct arus_strbuf *data, const char *what,
                     struct arus_error *err)
{
    int rc = arus__pg_copy_start(c, sql, what, err);
    return rc ? rc : arus__pg_copy_end(c, arus__pg_copy_send(c, data), what, err);
}

void arus__pg_qualified(struct arus_strbuf *sb, const char *schema, const char *table)
{
    arus_sql_quote_ident(sb, schema, '"', false);
    arus_strbuf_putc(sb, '.');
    arus_sql_quote_ident(sb, table, '"', false);
}

/* Shared MySQL/MariaDB plumbing for the source and the destination: endpoint settings, a
 * UTC/utf8mb4/strict session, driver error text, and prepared statements whose values are
 * always bound parameters (results fetched as text). */
#include "connectors/mysql/conn.h"

#include <errmsg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arus/arena.h"

#define MY_DEFAULT_PORT            3306
#define MY_DEFAULT_CONNECT_TIMEOUT 10
/* Strict so bad values fail instead of being coerced; no NO_BACKSLASH_ESCAPES because LOAD DATA
 * payloads use backslash escapes. A 256 MB sort buffer keeps the ordered extract's filesort in
 * memory (MySQL -> PostgreSQL first load measured 0.96x -> 1.01-1.10x of the engines' pipe). */
#define MY_SESSION_INIT                                                                            \
    "SET time_zone = '+00:00', sql_mode = 'STRICT_ALL_TABLES,ERROR_FOR_DIVISION_BY_ZERO,"          \
    "NO_ENGINE_SUBSTITUTION,NO_AUTO_VALUE_ON_ZERO', sort_buffer_size = 268435456"

static char *my_dup_or_null(const char *s) { return s ? arus_xstrdup(s) : NULL; }

/* Percent-decoding of n bytes of a URL part into a heap string. */
static char *my_url_decode(const char *s, size_t n)
{
    char *out = arus_xmalloc(n + 1);
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n) {
            char hex[3] = {s[i + 1], s[i + 2], 0};
            char *end;
            long v = strtol(hex, &end, 16);
            if (end == hex + 2) {
                out[j++] = (char)v;
                i += 2;
                continue;
            }
        }
        out[j++] = s[i];
    }
    out[j] = '\0';
    return out;
}

/* mysql://user[:pass]@host[:port][/db][?...] (mariadb:// too). */
static int my_parse_url(struct my_conn_cfg *c, const struct arus_endpoint *ep, const char *url,
                        struct arus_error *err)
{
    const char *p = strstr(url, "://");
    const struct arus_cfg_node *node = arus_cfg_get(ep->node, "url");
    if (!p || (strncmp(url, "mysql", 5) != 0 && strncmp(url, "mariadb", 7) != 0))
        return arus_cfg_fail(node, "url", err, "expected mysql://user:pass@host:port/database");
    p += 3;
    const char *at = strrchr(p, '@');
    const char *slash;
    if (at) {
        const char *colon = memchr(p, ':', (size_t)(at - p));
        free(c->user);
        c->user = my_url_decode(p, (size_t)((colon ? colon : at) - p));
        if (colon) {
            free(c->password);
            c->password = my_url_decode(colon + 1, (size_t)(at - colon - 1));
        }
        p = at + 1;
    }
    slash = p + strcspn(p, "/?");
    const char *port = memchr(p, ':', (size_t)(slash - p));
    if (slash > p) {
        free(c->host);
        c->host = my_url_decode(p, (size_t)((port ? port : slash) - p));
    }
    if (port) {
        char *end;
        long v = strtol(port + 1, &end, 10);
        if (end != slash || v <= 0 || v > 65535)
            return arus_cfg_fail(node, "url", err, "expected a port number after ':'");
        c->port = (unsigned)v;
    }
    if (*slash == '/' && slash[1] && slash[1] != '?') {
        free(c->database);
        c->database = my_url_decode(slash + 1, strcspn(slash + 1, "?"));
    }
    return ARUS_OK;
}

static int my_cfg_timeout(const struct arus_cfg_node *n, const char *key, unsigned *out,
                          struct arus_error *err)
{
    double v = *out;
    int rc = arus_cfg_seconds(n, key, &v, err);
    if (rc != ARUS_OK)
        return rc;
    if (v < 0 || v > 86400)
        return arus_cfg_fail(arus_cfg_get(n, key), key, err, "expected 0 to 86400 seconds");
    *out = (unsigned)(v + 0.999);
    return ARUS_OK;
}

int arus__my_cfg_init(struct my_conn_cfg *c, const struct arus_endpoint *ep, struct arus_error *err)
{
    static const char *const ssl_modes[] = {"disabled",  "preferred",       "required",
                                            "verify_ca", "verify_identity", NULL};
    const struct arus_cfg_node *n = ep->node;
    const char *url = NULL, *host = "127.0.0.1", *user = NULL, *password = NULL, *db = NULL;
    const char *ssl_mode = NULL, *ssl_ca = NULL;
    int64_t port = MY_DEFAULT_PORT;
    int rc;

    c->endpoint = ep->name;
    c->connect_timeout = MY_DEFAULT_CONNECT_TIMEOUT;
    if ((rc = arus_cfg_str(n, "url", &url, err)) || (rc = arus_cfg_str(n, "host", &host, err)) ||
        (rc = arus_cfg_int(n, "port", &port, err)) ||
        (rc = arus_cfg_str(n, "username", &user, err)) ||
        (rc = arus_cfg_str(n, "password", &password, err)) ||
        (rc = arus_cfg_str(n, "database", &db, err)) ||
        (rc = arus_cfg_str(n, "ssl_mode", &ssl_mode, err)) ||
        (rc = arus_cfg_str(n, "ssl_ca", &ssl_ca, err)) ||
        (rc = my_cfg_timeout(n, "connect_timeout", &c->connect_timeout, err)) ||
        (rc = my_cfg_timeout(n, "read_timeout", &c->read_timeout, err)) ||
        (rc = my_cfg_timeout(n, "write_timeout", &c->write_timeout, err)))
        return rc;
    if (port <= 0 || port > 65535)
        return arus_cfg_fail(arus_cfg_get(n, "port"), "port", err, "expected 1 to 65535");
    c->host = arus_xstrdup(host);
    c->port = (unsigned)port;
    c->user = my_dup_or_null(user);
    c->password = my_dup_or_null(password);
    c->database = my_dup_or_null(db);
    if (ssl_mode) {
        size_t i = 0;
        /* any case: MySQL's own tools spell these VERIFY_IDENTITY etc. */
        while (ssl_modes[i] && strcasecmp(ssl_modes[i], ssl_mode) != 0)
            i++;
        if (!ssl_modes[i])
            return arus_cfg_fail(arus_cfg_get(n, "ssl_mode"), "ssl_mode", err,
                                 "expected disabled, preferred, required, verify_ca or "
                                 "verify_identity");
        c->ssl_mode = arus_xstrdup(ssl_modes[i]);
    }
    c->ssl_ca = my_dup_or_null(ssl_ca);
    /* url wins over the discrete keys it sets */
    if (url && (rc = my_parse_url(c, ep, url, err)) != ARUS_OK)
        return rc;
    return ARUS_OK;
}

void arus__my_cfg_cleanup(struct my_conn_cfg *c)
{
    free(c->host);
    free(c->user);
    free(c->password);
    free(c->database);
    free(c->ssl_mode);
    free(c->ssl_ca);
    memset(c, 0, sizeof *c);
}

static void my_set_tls(MYSQL *db, const struct my_conn_cfg *c)
{
    my_bool on = 1;
    /* before any TLS option: setting ssl_ca alone already makes the driver use TLS */
    if (c->ssl_mode && strcmp(c->ssl_mode, "disabled") == 0)
        return;
    if (c->ssl_ca)
        mysql_optionsv(db, MYSQL_OPT_SSL_CA, c->ssl_ca);
    if (!c->ssl_mode)
        return;
    if (strcmp(c->ssl_mode, "required") == 0 || strncmp(c->ssl_mode, "verify", 6) == 0)
        mysql_optionsv(db, MYSQL_OPT_SSL_ENFORCE, &on);
    if (strncmp(c->ssl_mode, "verify", 6) == 0)
        mysql_optionsv(db, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &on);
}

int arus__my_open(const struct my_conn_cfg *c, bool local_infile, MYSQL **out,
                  struct arus_error *err)
{
    MYSQL *db = mysql_init(NULL);
    if (!db)
        return arus_error_set(err, ARUS_ECONNECT, "connect to \"%s\" at %s:%u: out of memory",
                              c->endpoint, c->host, c->port);
    unsigned ct = c->connect_timeout, rt = c->read_timeout, wt = c->write_timeout;
    unsigned infile = local_infile ? 1 : 0;
    /* always TCP: the driver would take host "localhost" to mean its default unix socket,
     * ignoring the configured port (and TLS) */
    unsigned proto = MYSQL_PROTOCOL_TCP;
    mysql_optionsv(db, MYSQL_OPT_PROTOCOL, &proto);
    mysql_optionsv(db, MYSQL_OPT_CONNECT_TIMEOUT, &ct);
    if (rt)
        mysql_optionsv(db, MYSQL_OPT_READ_TIMEOUT, &rt);
    if (wt)
        mysql_optionsv(db, MYSQL_OPT_WRITE_TIMEOUT, &wt);
    mysql_optionsv(db, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    mysql_optionsv(db, MYSQL_INIT_COMMAND, MY_SESSION_INIT);
    mysql_optionsv(db, MYSQL_OPT_LOCAL_INFILE, &infile);
    my_set_tls(db, c);
    if (!mysql_real_connect(db, c->host, c->user, c->password, c->database, c->port, NULL, 0)) {
        arus_error_set(err, ARUS_ECONNECT, "connect to \"%s\" at %s:%u: %s", c->endpoint, c->host,
                       c->port, mysql_error(db));
        err->driver_code = (int)mysql_errno(db);
        mysql_close(db);
        return ARUS_ECONNECT;
    }
    *out = db;
    return ARUS_OK;
}

static int my_code_for(unsigned no, const char *sqlstate, int code)
{
    if (no == CR_SERVER_GONE_ERROR || no == CR_SERVER_LOST || no == CR_CONN_HOST_ERROR ||
        no == CR_CONNECTION_ERROR)
        return ARUS_ECONNECT;
    /* Data exception / integrity violation: the row is at fault (dead-letter candidate). */
    if (sqlstate && (strncmp(sqlstate, "22", 2) == 0 || strncmp(sqlstate, "23", 2) == 0))
        return ARUS_EDATA;
    return code;
}

int arus__my_fail(MYSQL *db, int code, struct arus_error *err, const char *what)
{
    unsigned no = mysql_errno(db);
    code = my_code_for(no, mysql_sqlstate(db), code);
    arus_error_set(err, code, "%s: %s", what, mysql_error(db));
    if (err) {
        err->driver_code = (int)no;
        snprintf(err->sqlstate, sizeof err->sqlstate, "%s", mysql_sqlstate(db));
    }
    return code;
}

int arus__my_stmt_fail(MYSQL_STMT *st, struct arus_error *err, const char *what)
{
    unsigned no = mysql_stmt_errno(st);
    /* a connection lost mid-statement is recorded on the connection, not the statement */
    if (no == 0 && st->mysql && mysql_errno(st->mysql) != 0)
        return arus__my_fail(st->mysql, ARUS_EQUERY, err, what);
    int code = my_code_for(no, mysql_stmt_sqlstate(st), ARUS_EQUERY);
    arus_error_set(err, code, "%s: %s", what, mysql_stmt_error(st));
    if (err) {
        err->driver_code = (int)no;
        snprintf(err->sqlstate, sizeof err->sqlstate, "%s", mysql_stmt_sqlstate(st));
    }
    return code;
}

int arus__my_exec(MYSQL *db, const char *sql, struct arus_error *err, const char *what)
{
    if (mysql_real_query(db, sql, strlen(sql)) != 0)
        return arus__my_fail(db, ARUS_EQUERY, err, what);
    /* drain every result so the connection is ready for the next statement */
    int more;
    do {
        MYSQL_RES *res = mysql_store_result(db);
        if (res)
            mysql_free_result(res);
        else if (mysql_field_count(db) != 0)
            return arus__my_fail(db, ARUS_EQUERY, err, what);
        more = mysql_next_result(db);
        if (more > 0)
            return arus__my_fail(db, ARUS_EQUERY, err, what);
    } while (more == 0);
    return ARUS_OK;
}

/* Fetch every row of an executed statement as text. Buffers start from the column's
 * max_length (STMT_ATTR_UPDATE_MAX_LENGTH) so truncation cannot happen. */
static int my_fetch_all(MYSQL_STMT *st, struct arus_arena *a, struct my_rows *out,
                        struct arus_error *err, const char *what)
{
    my_bool update_max = 1;
    mysql_stmt_attr_set(st, STMT_ATTR_UPDATE_MAX_LENGTH, &update_max);
    if (mysql_stmt_store_result(st) != 0)
        return arus__my_stmt_fail(st, err, what);
    MYSQL_RES *meta = mysql_stmt_result_metadata(st);
    size_t ncols = meta ? mysql_num_fields(meta) : 0;
    size_t nrows = (size_t)mysql_stmt_num_rows(st);
    MYSQL_FIELD *fields = meta ? mysql_fetch_fields(meta) : NULL;
    MYSQL_BIND *bind = arus_arena_calloc(a, ncols ? ncols : 1, sizeof *bind);
    unsigned long *lens = arus_arena_calloc(a, ncols ? ncols : 1, sizeof *lens);
    my_bool *nulls = arus_arena_calloc(a, ncols ? ncols : 1, sizeof *nulls);
    int rc = ARUS_OK;

    out->nrows = 0;
    out->ncols = ncols;
    out->cells = arus_arena_calloc(a, nrows * ncols + 1, sizeof *out->cells);
    out->lens = arus_arena_calloc(a, nrows * ncols + 1, sizeof *out->lens);
    for (size_t c = 0; c < ncols; c++) {
        /* numbers and dates report their display width, strings their longest value */
        unsigned long cap = fields[c].max_length > 64 ? fields[c].max_length : 64;
        bind[c].buffer_type = MYSQL_TYPE_STRING;
        bind[c].buffer_length = cap + 1;
        bind[c].length = &lens[c];
        bind[c].is_null = &nulls[c];
    }
    for (size_t r = 0; r < nrows && ncols; r++) {
        for (size_t c = 0; c < ncols; c++)
            bind[c].buffer = arus_arena_alloc(a, bind[c].buffer_length);
        if (mysql_stmt_bind_result(st, bind) != 0) {
            rc = arus__my_stmt_fail(st, err, what);
            break;
        }
        int f = mysql_stmt_fetch(st);
        if (f == MYSQL_NO_DATA)
            break;
        if (f == 1) {
            rc = arus__my_stmt_fail(st, err, what);
            break;
        }
        for (size_t c = 0; c < ncols; c++) {
            size_t i = out->nrows * ncols + c;
            if (nulls[c])
                continue;
            if (lens[c] >= bind[c].buffer_length) { /* defensive: refetch at full size */
                MYSQL_BIND b1 = bind[c];
                b1.buffer = arus_arena_alloc(a, lens[c] + 1);
                b1.buffer_length = lens[c] + 1;
                if (mysql_stmt_fetch_column(st, &b1, (unsigned)c, 0) != 0) {
                    rc = arus__my_stmt_fail(st, err, what);
                    goto out;
                }
                bind[c].buffer = b1.buffer;
            }
            ((char *)bind[c].buffer)[lens[c]] = '\0';
            out->cells[i] = bind[c].buffer;
            out->lens[i] = lens[c];
        }
        out->nrows++;
    }
out:
    if (meta)
        mysql_free_result(meta);
    return rc;
}

int arus__my_query(MYSQL *db, const char *sql, const struct my_param *params, size_t nparams,
                   struct arus_arena *a, struct my_rows *out, uint64_t *affected,
                   struct arus_error *err, const char *what)
{
    MYSQL_STMT *st = mysql_stmt_init(db);
    MYSQL_BIND *bind = NULL;
    my_bool *nulls = NULL;
    int rc = ARUS_OK;

    if (!st)
        return arus__my_fail(db, ARUS_EQUERY, err, what);
    if (mysql_stmt_prepare(st, sql, strlen(sql)) != 0) {
        rc = arus__my_stmt_fail(st, err, what);
        goto out;
    }
    if (nparams) {
        bind = arus_xcalloc(nparams, sizeof *bind);
        nulls = arus_xcalloc(nparams, sizeof *nulls);
        for (size_t i = 0; i < nparams; i++) {
            if (params[i].is_int) {
                bind[i].buffer_type = MYSQL_TYPE_LONGLONG;
                bind[i].buffer = (void *)&params[i].i;
                continue;
            }
            nulls[i] = params[i].p == NULL;
            bind[i].buffer_type = MYSQL_TYPE_STRING;
            bind[i].buffer = (void *)(params[i].p ? params[i].p : "");
            bind[i].buffer_length = (unsigned long)params[i].n;
            bind[i].is_null = &nulls[i];
        }
        if (mysql_stmt_bind_param(st, bind) != 0) {
            rc = arus__my_stmt_fail(st, err, what);
            goto out;
        }
    }
    if (mysql_stmt_execute(st) != 0) {
        rc = arus__my_stmt_fail(st, err, what);
        goto out;
    }
    if (affected)
        *affected = (uint64_t)mysql_stmt_affected_rows(st);
    if (out)
        rc = my_fetch_all(st, a, out, err, what);
out:
    free(bind);
    free(nulls);
    mysql_stmt_close(st);
    return rc;
}

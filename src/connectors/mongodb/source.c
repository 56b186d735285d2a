/* MongoDB source over libmongoc: connect by URI or host fields, list collections, infer each
 * collection's schema from N sampled documents, and stream documents through one cursor per
 * extract, filtered and sorted as the plan says (extract.c; batchSize = the batch size, so
 * memory stays bounded by the batch).
 * BSON -> cell/JSON conversion lives in bson.c. */
#include <mongoc/mongoc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "arus/arena.h"
#include "arus/log.h"
#include "arus/source.h"
#include "arus/util.h"
#include "connectors/mongodb/bson.h"
#include "connectors/mongodb/extract.h"

struct mongo_source {
    struct arus_source base;
    mongoc_uri_t *uri;
    mongoc_client_t *client;
    char *dbname;
    char *where; /* first host:port, for messages */
    int64_t sample_size;
};

struct arus_extract {
    mongoc_collection_t *coll;
    mongoc_cursor_t *cursor;
    struct mongo_rowconv rc;
    char *ns;
    bool done; /* the cursor reported its end; libmongoc refuses to advance it again */
};

static pthread_once_t mongo_once = PTHREAD_ONCE_INIT;

/* Debian's libmongoc initialises itself when the library loads, in every arus process, and keeps
 * its performance counters in /dev/shm/mongoc-<pid>, a file it never removes: each run would
 * leave one behind (and a later process with the same pid warns about it). The mapping stays
 * valid once the name is gone. Runs after the library's own constructor. */
__attribute__((constructor)) static void mongo_unlink_counters(void)
{
    char name[32];
    snprintf(name, sizeof name, "/mongoc-%u", (unsigned)getpid());
    shm_unlink(name);
}

static void mongo_global_init(void)
{
    mongoc_init();
    atexit(mongoc_cleanup);
}

/* Driver failures: unreachable hosts and failed logins are connection errors, the rest
 * query errors. */
static int mongo_code(const bson_error_t *e)
{
    if (e->domain == MONGOC_ERROR_SERVER_SELECTION || e->domain == MONGOC_ERROR_STREAM ||
        (e->domain == MONGOC_ERROR_CLIENT && e->code == MONGOC_ERROR_CLIENT_AUTHENTICATE))
        return ARUS_ECONNECT;
    return ARUS_EQUERY;
}

/* ---- create / connect / close */

/* The original Arus's spelling of a key (uri for url, ssl for tls) is accepted as well; *key
 * is whichever the endpoint uses (the canonical one when neither), both at once is an error. */
static int mongo_cfg_synonym(const struct arus_cfg_node *n, const char *canonical,
                             const char *alias, const char **key, struct arus_error *err)
{
    *key = canonical;
    if (!arus_cfg_get(n, alias))
        return ARUS_OK;
    if (arus_cfg_get(n, canonical)) {
        char why[96];
        snprintf(why, sizeof why, "is a synonym of %s: set only one of them", canonical);
        return arus_cfg_fail(arus_cfg_get(n, alias), alias, err, why);
    }
    *key = alias;
    return ARUS_OK;
}

static int mongo_cfg_uri(struct mongo_source *s, const struct arus_cfg_node *n,
                         struct arus_error *err)
{
    const char *url = NULL, *host = "127.0.0.1", *user = NULL, *pass = NULL, *authsrc = NULL;
    const char *url_key;
    int64_t port = 27017;
    int rc;
    if ((rc = mongo_cfg_synonym(n, "url", "uri", &url_key, err)) ||
        (rc = arus_cfg_str(n, url_key, &url, err)))
        return rc;
    if (url) {
        static const char *const excl[] = {"host", "port", "username", "password"};
        char excl_why[64];
        snprintf(excl_why, sizeof excl_why, "not allowed together with %s", url_key);
        for (size_t i = 0; i < sizeof excl / sizeof *excl; i++)
            if (arus_cfg_get(n, excl[i]))
                return arus_cfg_fail(arus_cfg_get(n, excl[i]), excl[i], err, excl_why);
        bson_error_t e;
        s->uri = mongoc_uri_new_with_error(url, &e);
        if (!s->uri) {
            char *why = arus_redact(e.message);
            arus_cfg_fail(arus_cfg_get(n, url_key), url_key, err, why);
            free(why);
            return ARUS_ECONFIG;
        }
    } else {
        if ((rc = arus_cfg_str(n, "host", &host, err)) ||
            (rc = arus_cfg_int(n, "port", &port, err)) ||
            (rc = arus_cfg_str(n, "username", &user, err)) ||
            (rc = arus_cfg_str(n, "password", &pass, err)))
            return rc;
        if (port < 1 || port > 65535)
            return arus_cfg_fail(arus_cfg_get(n, "port"), "port", err, "expected 1..65535");
        s->uri = mongoc_uri_new_for_host_port(host, (uint16_t)port);
        if (!s->uri)
            return arus_cfg_fail(arus_cfg_get(n, "host"), "host", err, "invalid host name");
        if (user)
            mongoc_uri_set_username(s->uri, user);
        if (pass)
            mongoc_uri_set_password(s->uri, pass);
    }
    if ((rc = arus_cfg_str(n, "auth_source", &authsrc, err)))
        return rc;
    /* As pymongo: credentials without an authentication database are checked against admin
     * (or the database the URI names), never against the `database:` synced from. */
    if (!authsrc && mongoc_uri_get_username(s->uri) &&
        !bson_has_field(mongoc_uri_get_credentials(s->uri), MONGOC_URI_AUTHSOURCE) &&
        !mongoc_uri_get_database(s->uri))
        authsrc = "admin";
    if (authsrc)
        mongoc_uri_set_auth_source(s->uri, authsrc);
    return ARUS_OK;
}

static int mongo_cfg_options(struct mongo_source *s, const struct arus_cfg_node *n,
                             struct arus_error *err)
{
    const char *db = mongoc_uri_get_database(s->uri), *ca = NULL, *tls_key;
    bool tls = false, tls_any_host = false;
    double timeout = 10;
    int rc;
    if ((rc = arus_cfg_str(n, "database", &db, err)) ||
        (rc = mongo_cfg_synonym(n, "tls", "ssl", &tls_key, err)) ||
        (rc = arus_cfg_bool(n, tls_key, &tls, err)) ||
        (rc = arus_cfg_str(n, "tls_ca_file", &ca, err)) ||
        (rc = arus_cfg_bool(n, "tls_allow_invalid_hostnames", &tls_any_host, err)) ||
        (rc = arus_cfg_int(n, "sample_size", &s->sample_size, err)) ||
        (rc = arus_cfg_seconds(n, "connect_timeout", &timeout, err)))
        return rc;
    if (!db || !*db)
        return arus_cfg_fail(n, "database", err, "missing (set it, or a database in url)");
    if (s->sample_size < 1)
        return arus_cfg_fail(arus_cfg_get(n, "sample_size"), "sample_size", err,
                             "expected a positive integer");
    if (timeout <= 0 || timeout > 86400)
        return arus_cfg_fail(arus_cfg_get(n, "connect_timeout"), "connect_timeout", err,
                             "expected 0 < seconds <= 86400");
    s->dbname = arus_xstrdup(db);
    /* Any TLS key turns TLS on; timeouts and the app name only fill in what the URI lacks. */
    if (tls || ca || tls_any_host)
        mongoc_uri_set_option_as_bool(s->uri, MONGOC_URI_TLS, true);
    if (ca)
        mongoc_uri_set_option_as_utf8(s->uri, MONGOC_URI_TLSCAFILE, ca);
    if (tls_any_host)
        mongoc_uri_set_option_as_bool(s->uri, MONGOC_URI_TLSALLOWINVALIDHOSTNAMES, true);
    int32_t ms = (int32_t)(timeout * 1000);
    if (!mongoc_uri_has_option(s->uri, MONGOC_URI_CONNECTTIMEOUTMS))
        mongoc_uri_set_option_as_int32(s->uri, MONGOC_URI_CONNECTTIMEOUTMS, ms);
    if (!mongoc_uri_has_option(s->uri, MONGOC_URI_SERVERSELECTIONTIMEOUTMS))
        mongoc_uri_set_option_as_int32(s->uri, MONGOC_URI_SERVERSELECTIONTIMEOUTMS, ms);
    if (!mongoc_uri_has_option(s->uri, MONGOC_URI_APPNAME))
        mongoc_uri_set_appname(s->uri, "arus");
    const mongoc_host_list_t *h = mongoc_uri_get_hosts(s->uri);
    s->where = arus_xstrdup(h ? h->host_and_port : "(srv)");
    return ARUS_OK;
}

static void mongo_close(struct arus_source *base)
{
    struct mongo_source *s = (struct mongo_source *)base;
    if (!s)
        return;
    mongoc_client_destroy(s->client);
    mongoc_uri_destroy(s->uri);
    free(s->dbname);
    free(s->where);
    free(s);
}

static int mongo_create(const struct arus_endpoint *ep, struct arus_source **out,
                        struct arus_error *err)
{
    pthread_once(&mongo_once, mongo_global_init);
    struct mongo_source *s = arus_xcalloc(1, sizeof *s);
    s->base.endpoint = ep;
    s->sample_size = 1000;
    int rc = mongo_cfg_uri(s, ep->node, err);
    if (!rc)
        rc = mongo_cfg_options(s, ep->node, err);
    if (rc) {
        mongo_close(&s->base);
        return rc;
    }
    *out = &s->base;
    return ARUS_OK;
}

/* Connection problems surface here: libmongoc connects lazily, on the first command. */
static int mongo_ping(struct mongo_source *s, struct arus_error *err)
{
    bson_t *cmd = BCON_NEW("ping", BCON_INT32(1));
    bson_error_t e;
    bool ok = mongoc_client_command_simple(s->client, "admin", cmd, NULL, NULL, &e);
    bson_destroy(cmd);
    if (ok)
        return ARUS_OK;
    arus_error_set(err, ARUS_ECONNECT, "connect to \"%s\" at %s: %s", s->base.endpoint->name,
                   s->where, e.message);
    if (err)
        err->driver_code = (int)e.code;
    return ARUS_ECONNECT;
}

static int mongo_connect(struct arus_source *base, struct arus_error *err)
{
    struct mongo_source *s = (struct mongo_source *)base;
    bson_error_t e;
    if (arus_log_get_level() >= ARUS_LOG_DEBUG) {
        char *red = arus_redact(mongoc_uri_get_string(s->uri));
        const char *user = mongoc_uri_get_username(s->uri);
        arus_log(ARUS_LOG_DEBUG, "mongodb", "connecting to %s%s%s", red,
                 user ? ", authenticating against " : "",
                 user ? mongoc_uri_get_auth_source(s->uri) : "");
        free(red);
    }
    s->client = mongoc_client_new_from_uri_with_error(s->uri, &e);
    if (!s->client)
        return arus_error_set(err, ARUS_ECONNECT, "connect to \"%s\" at %s: %s",
                              base->endpoint->name, s->where, e.message);
    mongoc_client_set_error_api(s->client, MONGOC_ERROR_API_VERSION_2);
    return mongo_ping(s, err);
}

static int mongo_test_connection(struct arus_source *base, struct arus_error *err)
{
    return mongo_ping((struct mongo_source *)base, err);
}

/* ---- discovery and inference */

/* Names of the database's real collections (no views, no system.*), or of just `only` when
 * given. Caller frees the array and its strings. */
static int mongo_list_collections(struct mongo_source *s, const char *only, char ***names,
                                  size_t *n, struct arus_error *err)
{
    mongoc_database_t *db = mongoc_client_get_database(s->client, s->dbname);
    bson_t *opts = only ? BCON_NEW("filter", "{", "name", BCON_UTF8(only), "}") : bson_new();
    mongoc_cursor_t *cur = mongoc_database_find_collections_with_opts(db, opts);
    const bson_t *doc;
    size_t cap = 0;
    *names = NULL;
    *n = 0;
    while (mongoc_cursor_next(cur, &doc)) {
        bson_iter_t it;
        const char *name = bson_iter_init_find(&it, doc, "name") && BSON_ITER_HOLDS_UTF8(&it)
                               ? bson_iter_utf8(&it, NULL)
                               : NULL;
        const char *type = bson_iter_init_find(&it, doc, "type") && BSON_ITER_HOLDS_UTF8(&it)
                               ? bson_iter_utf8(&it, NULL)
                               : "collection";
        if (!name || strcmp(type, "collection") != 0 || strncmp(name, "system.", 7) == 0 ||
            (only && strcmp(name, only) != 0))
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            *names = arus_xrealloc(*names, cap * sizeof **names);
        }
        (*names)[(*n)++] = arus_xstrdup(name);
    }
    bson_error_t e;
    int rc = ARUS_OK;
    if (mongoc_cursor_error(cur, &e))
        rc = arus_error_set(err, mongo_code(&e), "list collections of database \"%s\": %s",
                            s->dbname, e.message);
    mongoc_cursor_destroy(cur);
    bson_destroy(opts);
    mongoc_database_destroy(db);
    return rc;
}

static void mongo_free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* Feed the documents of a cursor into inf; false with e set on a cursor error. */
static bool mongo_feed(mongoc_cursor_t *cur, struct mongo_infer *inf, int64_t *seen,
                       bson_error_t *e)
{
    const bson_t *doc;
    while (mongoc_cursor_next(cur, &doc)) {
        arus__mongo_infer_add(inf, doc);
        (*seen)++;
    }
    bool failed = mongoc_cursor_error(cur, e);
    mongoc_cursor_destroy(cur);
    return !failed;
}

/* Feed up to sample_size documents into inf. A collection that small is read whole (exact,
 * and deterministic); a bigger one is sampled at random with $sample, or, where the server
 * lacks it, by its first documents in natural order. */
static int mongo_sample(struct mongo_source *s, mongoc_collection_t *coll, int64_t estimate,
                        struct mongo_infer *inf, struct arus_error *err)
{
    bson_error_t e;
    int64_t seen = 0;
    bool ok = false, sampled = false;
    if (estimate < 0 || estimate > s->sample_size) {
        bson_t *pipeline = BCON_NEW("pipeline", "[", "{", "$sample", "{", "size",
                                    BCON_INT64(s->sample_size), "}", "}", "]");
        ok = mongo_feed(mongoc_collection_aggregate(coll, MONGOC_QUERY_NONE, pipeline, NULL, NULL),
                        inf, &seen, &e);
        bson_destroy(pipeline);
        sampled = ok || seen > 0 || mongo_code(&e) == ARUS_ECONNECT;
        if (!sampled)
            arus_log(ARUS_LOG_DEBUG, "mongodb",
                     "$sample on \"%s\" failed (%s), reading the "
                     "first documents instead",
                     mongoc_collection_get_name(coll), e.message);
    }
    if (!sampled) {
        bson_t filter = BSON_INITIALIZER;
        bson_t *opts = BCON_NEW("limit", BCON_INT64(s->sample_size));
        ok =
            mongo_feed(mongoc_collection_find_with_opts(coll, &filter, opts, NULL), inf, &seen, &e);
        bson_destroy(opts);
        bson_destroy(&filter);
    }
    if (!ok)
        return arus_error_set(err, mongo_code(&e), "sample collection \"%s.%s\": %s", s->dbname,
                              mongoc_collection_get_name(coll), e.message);
    return ARUS_OK;
}

static int mongo_infer_collection(struct mongo_source *s, const char *name, struct arus_arena *a,
                                  struct arus_table_schema **out, struct arus_error *err)
{
    mongoc_collection_t *coll = mongoc_client_get_collection(s->client, s->dbname, name);
    struct mongo_infer *inf = arus__mongo_infer_create();
    bson_error_t e;
    /* -1 when the server cannot say; only an estimate, so a failure is not an error */
    int64_t estimate = mongoc_collection_estimated_document_count(coll, NULL, NULL, NULL, &e);
    int rc = mongo_sample(s, coll, estimate, inf, err);
    if (rc == ARUS_OK) {
        struct arus_table_schema *t = arus__mongo_infer_schema(inf, a, name);
        t->schema_name = arus_arena_strdup(a, s->dbname);
        t->row_count_estimate = estimate;
        *out = t;
    }
    arus__mongo_infer_destroy(inf);
    mongoc_collection_destroy(coll);
    return rc;
}

static int mongo_get_table_columns(struct arus_source *base, const char *table,
                                   struct arus_arena *a, struct arus_table_schema **out,
                                   struct arus_error *err)
{
    struct mongo_source *s = (struct mongo_source *)base;
    char **names;
    size_t n;
    int rc = mongo_list_collections(s, table, &names, &n, err);
    if (rc)
        return rc;
    mongo_free_names(names, n);
    if (n == 0)
        return arus_error_set(err, ARUS_ENOTFOUND, "table \"%s\" not found in database \"%s\"",
                              table, s->dbname);
    return mongo_infer_collection(s, table, a, out, err);
}

static int mongo_cmp_names(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

static int mongo_discover_tables(struct arus_source *base, struct arus_arena *a,
                                 struct arus_table_schema **out, size_t *n, struct arus_error *err)
{
    struct mongo_source *s = (struct mongo_source *)base;
    char **names;
    size_t count;
    int rc = mongo_list_collections(s, NULL, &names, &count, err);
    if (rc)
        return rc;
    if (count > 1)
        qsort(names, count, sizeof *names, mongo_cmp_names);
    struct arus_table_schema *tables = arus_arena_calloc(a, count ? count : 1, sizeof *tables);
    for (size_t i = 0; i < count && rc == ARUS_OK; i++) {
        struct arus_table_schema *t;
        rc = mongo_infer_collection(s, names[i], a, &t, err);
        if (rc == ARUS_OK)
            tables[i] = *t;
    }
    mongo_free_names(names, count);
    if (rc)
        return rc;
    *out = tables;
    *n = count;
    return ARUS_OK;
}

/* ---- extract */

static void mongo_extract_close(struct arus_extract *x)
{
    if (!x)
        return;
    mongoc_cursor_destroy(x->cursor);
    mongoc_collection_destroy(x->coll);
    arus__mongo_rowconv_cleanup(&x->rc);
    free(x->ns);
    free(x);
}

/* One find with the plan's filter and sort (extract.c), batchSize = the batch size. */
static int mongo_extract_open(struct arus_source *base, const struct arus_extract_plan *plan,
                              struct arus_extract **out, struct arus_error *err)
{
    struct mongo_source *s = (struct mongo_source *)base;
    bson_t filter = BSON_INITIALIZER, sort = BSON_INITIALIZER, opts = BSON_INITIALIZER;
    int rc = arus__mongo_extract_filter(plan, &filter, &sort, err);
    if (rc == ARUS_OK) {
        if (!bson_empty(&sort))
            BSON_APPEND_DOCUMENT(&opts, "sort", &sort);
        size_t bs = plan->batch_size ? plan->batch_size : 1000;
        BSON_APPEND_INT64(&opts, "batchSize", (int64_t)(bs > INT32_MAX ? INT32_MAX : bs));
        struct arus_extract *x = arus_xcalloc(1, sizeof *x);
        x->coll = mongoc_client_get_collection(s->client, s->dbname, plan->table->name);
        x->cursor = mongoc_collection_find_with_opts(x->coll, &filter, &opts, NULL);
        size_t n = strlen(s->dbname) + strlen(plan->table->name) + 2;
        x->ns = arus_xmalloc(n);
        snprintf(x->ns, n, "%s.%s", s->dbname, plan->table->name);
        arus__mongo_rowconv_init(&x->rc);
        *out = x;
    }
    bson_destroy(&opts);
    bson_destroy(&sort);
    bson_destroy(&filter);
    return rc;
}

static int mongo_extract_next(struct arus_extract *x, struct arus_batch *b, struct arus_error *err)
{
    const bson_t *doc;
    while (!x->done && !arus_batch_full(b)) {
        if (mongoc_cursor_next(x->cursor, &doc))
            arus__mongo_doc_to_row(doc, b, &x->rc);
        else
            x->done = true;
    }
    bson_error_t e;
    if (mongoc_cursor_error(x->cursor, &e))
        return arus_error_set(err, mongo_code(&e), "read collection \"%s\": %s", x->ns, e.message);
    return ARUS_OK;
}

/* A write touches one document and is visible once applied: no transaction holds a stamp back
 * for long (multi-document transactions are outside this rule; docs/consistency.md). A stamp
 * the server takes ($currentDate) or a client takes just before sending may still be in
 * flight while we read, so the horizon is the server's clock minus
 * MONGO_HORIZON_MARGIN_MS. The server's clock comes from `hello` (localTime). */
#define MONGO_HORIZON_MARGIN_MS 1000

static int mongo_commit_horizon(struct arus_source *base, const struct arus_table_schema *t,
                                size_t watermark, struct arus_arena *a, const char **out,
                                struct arus_error *err)
{
    struct mongo_source *s = (struct mongo_source *)base;
    (void)t; /* dates are instants: UTC text, which the wrapper makes the column's cell */
    (void)watermark;
    bson_t *cmd = BCON_NEW("hello", BCON_INT32(1));
    bson_t reply;
    bson_error_t e;
    bson_iter_t it;
    char buf[64];
    int rc = ARUS_OK;
    if (!mongoc_client_command_simple(s->client, "admin", cmd, NULL, &reply, &e)) {
        rc = arus_error_set(err, mongo_code(&e), "read the commit horizon (hello): %s", e.message);
    } else if (!bson_iter_init_find(&it, &reply, "localTime") || !BSON_ITER_HOLDS_DATE_TIME(&it)) {
        rc = arus_error_set(err, ARUS_ENOTSUP,
                            "read the commit horizon: the server reports no localTime in hello");
    } else {
        arus_format_timestamp((bson_iter_date_time(&it) - MONGO_HORIZON_MARGIN_MS) * 1000, buf,
                              sizeof buf);
        *out = arus_arena_strdup(a, buf);
    }
    bson_destroy(&reply);
    bson_destroy(cmd);
    return rc;
}

const struct arus_source_ops arus_source_mongodb = {
    .abi_version = ARUS_SOURCE_ABI,
    .name = "mongodb",
    .create = mongo_create,
    .connect = mongo_connect,
    .close = mongo_close,
    .test_connection = mongo_test_connection,
    .discover_tables = mongo_discover_tables,
    .get_table_columns = mongo_get_table_columns,
    .extract_open = mongo_extract_open,
    .extract_next = mongo_extract_next,
    .extract_close = mongo_extract_close,
    .extract_soft_deletes = mongo_extract_open,
    .commit_horizon = mongo_commit_horizon,
};

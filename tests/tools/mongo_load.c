/* mongo_load: test/bench helper that writes to MongoDB through libmongoc, so integration tests
 * and benches need no MongoDB shell or npm driver.
 *   mongo_load URI DB insert COLL     insert one extended-JSON document per stdin line (bulk)
 *   mongo_load URI DB command JSON    run a database command, print the reply as JSON
 *   mongo_load URI DB gen COLL N [T]  insert N generated bench documents (updated_at = T ms)
 *   mongo_load URI DB read COLL B     read COLL sorted by (updated_at, _id) in batches of B and
 *                                     print the count: the server's side of an arus extract
 * Exits 0 on success, 1 with one line on stderr otherwise. */
#include <inttypes.h>
#include <mongoc/mongoc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOAD_BULK 1000

static int fail(const char *what, const bson_error_t *e)
{
    fprintf(stderr, "mongo_load: %s: %s\n", what, e ? e->message : "failed");
    return 1;
}

/* Insert documents in unordered bulks of LOAD_BULK; next() yields them until false. */
static int bulk_insert(mongoc_collection_t *coll, bool (*next)(void *, bson_t *, int *), void *ctx)
{
    mongoc_bulk_operation_t *bulk = NULL;
    bson_error_t e;
    int n = 0, bad = 0;
    bson_t doc;
    for (;;) {
        bson_init(&doc);
        bool more = next(ctx, &doc, &bad);
        if (bad) {
            bson_destroy(&doc);
            mongoc_bulk_operation_destroy(bulk);
            return 1;
        }
        if (more) {
            if (!bulk)
                bulk = mongoc_collection_create_bulk_operation_with_opts(coll, NULL);
            mongoc_bulk_operation_insert(bulk, &doc);
            n++;
        }
        bson_destroy(&doc);
        if (bulk && (n == LOAD_BULK || !more)) {
            bool ok = mongoc_bulk_operation_execute(bulk, NULL, &e);
            mongoc_bulk_operation_destroy(bulk);
            bulk = NULL;
            n = 0;
            if (!ok)
                return fail("insert", &e);
        }
        if (!more)
            return 0;
    }
}

struct line {
    char *buf;
    size_t cap;
};

static bool next_stdin_line(void *ctx, bson_t *doc, int *bad)
{
    struct line *l = ctx;
    ssize_t len;
    while ((len = getline(&l->buf, &l->cap, stdin)) > 0) {
        if (len <= 1)
            continue;
        bson_error_t e;
        if (!bson_init_from_json(doc, l->buf, len, &e)) {
            *bad = fail("parse document", &e);
            return false;
        }
        return true;
    }
    return false;
}

struct gen {
    int64_t i, n, updated_at;
};

/* Bench rows: a few typical columns; numbers chosen so the test server keeps their types. */
static bool next_generated(void *ctx, bson_t *doc, int *bad)
{
    (void)bad;
    struct gen *g = ctx;
    if (g->i >= g->n)
        return false;
    char name[32];
    snprintf(name, sizeof name, "customer %" PRId64, g->i);
    BSON_APPEND_INT32(doc, "seq", (int32_t)g->i);
    BSON_APPEND_UTF8(doc, "name", name);
    BSON_APPEND_DOUBLE(doc, "amount", (double)g->i + 0.25);
    BSON_APPEND_BOOL(doc, "active", g->i % 3 != 0);
    BSON_APPEND_DATE_TIME(doc, "created_at", g->updated_at - g->i);
    BSON_APPEND_DATE_TIME(doc, "updated_at", g->updated_at + g->i);
    bson_t tags;
    BSON_APPEND_ARRAY_BEGIN(doc, "tags", &tags);
    BSON_APPEND_UTF8(&tags, "0", g->i % 2 ? "odd" : "even");
    bson_append_array_end(doc, &tags);
    g->i++;
    return true;
}

static int read_all(mongoc_collection_t *coll, int64_t batch)
{
    bson_t filter = BSON_INITIALIZER;
    bson_t *opts = BCON_NEW("sort", "{", "updated_at", BCON_INT32(1), "_id", BCON_INT32(1), "}",
                            "batchSize", BCON_INT64(batch));
    mongoc_cursor_t *cur = mongoc_collection_find_with_opts(coll, &filter, opts, NULL);
    const bson_t *doc;
    int64_t n = 0;
    while (mongoc_cursor_next(cur, &doc))
        n++;
    bson_error_t e;
    int rc = mongoc_cursor_error(cur, &e) ? fail("read", &e) : 0;
    if (rc == 0)
        printf("%" PRId64 "\n", n);
    mongoc_cursor_destroy(cur);
    bson_destroy(opts);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: mongo_load URI DB insert COLL | command JSON | gen COLL N [T] | "
                        "read COLL B\n");
        return 2;
    }
    mongoc_init();
    int rc = 1;
    bson_error_t e;
    mongoc_client_t *client = mongoc_client_new(argv[1]);
    if (!client) {
        fprintf(stderr, "mongo_load: invalid URI\n");
        goto out;
    }
    mongoc_client_set_error_api(client, MONGOC_ERROR_API_VERSION_2);
    if (strcmp(argv[3], "command") == 0) {
        bson_t cmd, reply;
        if (!bson_init_from_json(&cmd, argv[4], -1, &e)) {
            rc = fail("parse command", &e);
            goto out;
        }
        bool ok = mongoc_client_command_simple(client, argv[2], &cmd, NULL, &reply, &e);
        if (ok) {
            char *s = bson_as_relaxed_extended_json(&reply, NULL);
            printf("%s\n", s);
            bson_free(s);
        }
        bson_destroy(&reply);
        bson_destroy(&cmd);
        rc = ok ? 0 : fail("command", &e);
    } else if (strcmp(argv[3], "insert") == 0) {
        mongoc_collection_t *coll = mongoc_client_get_collection(client, argv[2], argv[4]);
        struct line l = {0};
        rc = bulk_insert(coll, next_stdin_line, &l);
        free(l.buf);
        mongoc_collection_destroy(coll);
    } else if (strcmp(argv[3], "gen") == 0 && argc >= 6) {
        mongoc_collection_t *coll = mongoc_client_get_collection(client, argv[2], argv[4]);
        struct gen g = {.n = strtoll(argv[5], NULL, 10),
                        .updated_at =
                            argc > 6 ? strtoll(argv[6], NULL, 10) : INT64_C(1700000000000)};
        rc = bulk_insert(coll, next_generated, &g);
        mongoc_collection_destroy(coll);
    } else if (strcmp(argv[3], "read") == 0 && argc >= 6) {
        mongoc_collection_t *coll = mongoc_client_get_collection(client, argv[2], argv[4]);
        rc = read_all(coll, strtoll(argv[5], NULL, 10));
        mongoc_collection_destroy(coll);
    } else {
        fprintf(stderr, "mongo_load: unknown action %s\n", argv[3]);
        rc = 2;
    }
out:
    mongoc_client_destroy(client);
    mongoc_cleanup();
    return rc;
}

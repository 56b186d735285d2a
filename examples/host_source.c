/* A host program that brings its own source connector: an in-memory "countries" table (id, name,
 * updated_at) registered as connector type "countries" through the public API (include/arus/
 * only), then synced incrementally into a SQLite file with arus_sync_pipeline.
 *   example_host_source WAREHOUSE.db [ROWS]
 * ROWS (default: all) is how many countries the source holds, so a later run with more rows
 * shows an incremental load. See docs/connectors.md for the rules this file follows. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arus/arus.h"

/* The table, sorted by (updated_at, id): the order an incremental extract must deliver. Two
 * rows share a watermark on purpose; the keyset on (watermark, key) keeps them apart. */
static const struct country {
    int64_t id;
    const char *name;
    const char *updated_at; /* canonical TIMESTAMPTZ text (include/arus/types.h) */
} countries[] = {
    {1, "Andorra", "2024-01-01 08:00:00"},    {2, "Belgium", "2024-01-01 09:00:00"},
    {3, "Chile", "2024-01-02 10:30:00"},      {4, "Denmark", "2024-01-02 10:30:00"},
    {5, "Estonia", "2024-01-03 07:15:00.25"}, {6, "Finland", "2024-01-04 12:00:00"},
    {7, "Ghana", "2024-01-05 18:45:00"},      {8, "Hungary", "2024-01-06 06:00:00"},
    {9, "Iceland", "2024-02-01 00:00:00"},    {10, "Japan", "2024-02-02 00:00:00"},
    {11, "Kenya", "2024-02-03 00:00:00"},     {12, "Luxembourg", "2024-02-04 00:00:00"},
};
#define NCOUNTRIES (sizeof countries / sizeof countries[0])

/* The instance: struct arus_source first, so core can treat it as one. */
struct countries_source {
    struct arus_source base;
    size_t nrows; /* the first nrows countries exist */
};

static struct countries_source *countries_of(struct arus_source *src)
{
    return (struct countries_source *)src;
}

/* ---------------------------------------------------------------- instance and schema */

/* Read the endpoint's own key (`rows`) through the config accessors, so a bad value is reported
 * as "FILE:LINE: rows: ...". */
static int countries_create(const struct arus_endpoint *ep, struct arus_source **out,
                            struct arus_error *err)
{
    int64_t rows = (int64_t)NCOUNTRIES;
    int rc = arus_cfg_int(ep->node, "rows", &rows, err);
    if (rc != ARUS_OK)
        return rc;
    if (rows < 0 || rows > (int64_t)NCOUNTRIES) {
        char why[64];
        snprintf(why, sizeof why, "expected 0 to %zu", NCOUNTRIES);
        return arus_cfg_fail(arus_cfg_get(ep->node, "rows"), "rows", err, why);
    }
    struct countries_source *s = arus_xcalloc(1, sizeof *s);
    s->nrows = (size_t)rows;
    *out = &s->base;
    return ARUS_OK;
}

/* Nothing to connect to: connect and test_connection always succeed. */
static int countries_connect(struct arus_source *src, struct arus_error *err)
{
    (void)src;
    (void)err;
    return ARUS_OK;
}

/* Called exactly once per instance. */
static void countries_close(struct arus_source *src) { free(countries_of(src)); }

/* The schema lives in the caller's arena: names are copied there, nothing points at statics
 * the caller could not keep. */
static struct arus_table_schema *countries_schema(const struct countries_source *s,
                                                  struct arus_arena *a)
{
    static const struct {
        const char *name, *source_type;
        enum arus_ltype ltype;
    } cols[] = {
        {"id", "int64", ARUS_T_INT64},
        {"name", "text", ARUS_T_STRING},
        {"updated_at", "timestamptz", ARUS_T_TIMESTAMPTZ},
    };
    struct arus_table_schema *t = arus_arena_calloc(a, 1, sizeof *t);
    t->name = arus_arena_strdup(a, "countries");
    t->ncolumns = sizeof cols / sizeof cols[0];
    t->columns = arus_arena_calloc(a, t->ncolumns, sizeof *t->columns);
    for (size_t c = 0; c < t->ncolumns; c++) {
        t->columns[c].name = arus_arena_strdup(a, cols[c].name);
        t->columns[c].source_type = arus_arena_strdup(a, cols[c].source_type);
        t->columns[c].type.ltype = cols[c].ltype;
        t->columns[c].nullable = c != 0;
        t->columns[c].pk_ordinal = c == 0 ? 1 : 0;
    }
    t->row_count_estimate = (int64_t)s->nrows;
    return t;
}

static int countries_get_table_columns(struct arus_source *src, const char *table,
                                       struct arus_arena *a, struct arus_table_schema **out,
                                       struct arus_error *err)
{
    if (strcmp(table, "countries") != 0)
        return arus_error_set(err, ARUS_ENOTFOUND, "table \"%s\" not found in source \"%s\"", table,
                              src->endpoint->name);
    *out = countries_schema(countries_of(src), a);
    return ARUS_OK;
}

static int countries_discover_tables(struct arus_source *src, struct arus_arena *a,
                                     struct arus_table_schema **out, size_t *n,
                                     struct arus_error *err)
{
    (void)err;
    *out = countries_schema(countries_of(src), a);
    *n = 1;
    return ARUS_OK;
}

/* ---------------------------------------------------------------- extract stream */

/* One open stream: rows [next, end) of the table, in (updated_at, id) order. */
struct arus_extract {
    size_t next, end;
};

/* Order of row c against a plan bound on (updated_at[, id]). Canonical timestamps of this table
 * compare correctly as text; a real source compares in its query instead. */
static int compare_to_bound(const struct country *c, const struct arus_extract_bound *bound)
{
    int order = strcmp(c->updated_at, bound->watermark);
    if (order == 0 && bound->key) {
        int64_t key = strtoll(bound->key[0], NULL, 10);
        order = c->id < key ? -1 : c->id > key;
    }
    return order;
}

/* The plan's rows: from its lower bound up to its upper bound (both optional, each inclusive or
 * not). The table is stored in (updated_at, id) order and has neither NULL watermarks nor a
 * deleted_at column, so the order, NULL and soft-delete parts of the plan need nothing here. The
 * batch columns are the schema's, in order, so cells are filled by position. */
static int countries_extract_open(struct arus_source *src, const struct arus_extract_plan *plan,
                                  struct arus_extract **out, struct arus_error *err)
{
    (void)err;
    struct arus_extract *x = arus_xcalloc(1, sizeof *x);
    x->end = countries_of(src)->nrows;
    const struct arus_extract_bound *lo = &plan->lower, *hi = &plan->upper;
    while (lo->watermark && x->next < x->end) {
        int order = compare_to_bound(&countries[x->next], lo);
        if (order > 0 || (order == 0 && lo->inclusive))
            break;
        x->next++;
    }
    while (hi->watermark && x->end > x->next) {
        int order = compare_to_bound(&countries[x->end - 1], hi);
        if (order < 0 || (order == 0 && hi->inclusive))
            break;
        x->end--;
    }
    *out = x;
    return ARUS_OK;
}

/* Fill b until it is full or the table ends; an empty batch ends the stream. */
static int countries_extract_next(struct arus_extract *x, struct arus_batch *b,
                                  struct arus_error *err)
{
    (void)err;
    while (x->next < x->end && !arus_batch_full(b)) {
        const struct country *c = &countries[x->next++];
        char id[24];
        int n = snprintf(id, sizeof id, "%" PRId64, c->id);
        struct arus_cell *row = arus_batch_add_row(b);
        arus_cell_set(b, &row[0], id, (size_t)n);
        arus_cell_set(b, &row[1], c->name, strlen(c->name));
        arus_cell_set(b, &row[2], c->updated_at, strlen(c->updated_at));
    }
    return ARUS_OK;
}

static void countries_extract_close(struct arus_extract *x) { free(x); }

/* ---------------------------------------------------------------- ops table and main */

/* Required slots only: no soft deletes (the table has no deleted_at), no schemas. */
static const struct arus_source_ops countries_ops = {
    .abi_version = ARUS_SOURCE_ABI,
    .name = "countries",
    .create = countries_create,
    .connect = countries_connect,
    .close = countries_close,
    .test_connection = countries_connect,
    .discover_tables = countries_discover_tables,
    .get_table_columns = countries_get_table_columns,
    .extract_open = countries_extract_open,
    .extract_next = countries_extract_next,
    .extract_close = countries_extract_close,
};

/* The warehouse path reaches the YAML through ${EXAMPLE_WAREHOUSE}, so no path is ever spliced
 * into YAML text. Small batches make the run use several of them. */
static const char config_fmt[] = "sources:\n"
                                 "  geo:\n"
                                 "    type: countries\n"
                                 "    rows: %lu\n"
                                 "destinations:\n"
                                 "  warehouse:\n"
                                 "    type: sqlite\n"
                                 "    path: ${EXAMPLE_WAREHOUSE}\n"
                                 "pipelines:\n"
                                 "  geo:\n"
                                 "    source: geo\n"
                                 "    destination: warehouse\n"
                                 "    tables: [countries]\n"
                                 "    batch_size: 5\n";

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s WAREHOUSE.db [ROWS]\n", argv[0]);
        return 2;
    }
    unsigned long rows = NCOUNTRIES;
    if (argc == 3) {
        char *end;
        rows = strtoul(argv[2], &end, 10);
        if (*end || end == argv[2]) {
            fprintf(stderr, "ROWS must be a number, not \"%s\"\n", argv[2]);
            return 2;
        }
    }
    /* Register before loading the config: the loader checks every endpoint's type. */
    if (arus_registry_add_source("countries", &countries_ops) != ARUS_OK) {
        fprintf(stderr, "cannot register the countries source (ABI mismatch)\n");
        return 1;
    }
    setenv("EXAMPLE_WAREHOUSE", argv[1], 1);
    char yaml[sizeof config_fmt + 32];
    int n = snprintf(yaml, sizeof yaml, config_fmt, rows);

    struct arus_error err;
    arus_error_clear(&err);
    struct arus_config *cfg = NULL;
    struct arus_sync_report rep;
    memset(&rep, 0, sizeof rep);
    int rc = arus_config_load_string("example.yml", yaml, (size_t)n, &cfg, &err);
    if (rc == ARUS_OK)
        rc = arus_sync_pipeline(cfg, "geo", NULL, &rep, &err);
    for (size_t i = 0; i < rep.ntables; i++) {
        const struct arus_table_report *t = &rep.tables[i];
        printf("%s: %s extracted=%" PRId64 " loaded=%" PRId64 "\n", t->table, t->mode,
               t->rows_extracted, t->rows_loaded);
    }
    if (rc != ARUS_OK)
        fprintf(stderr, "sync failed: %s\n", err.msg);
    arus_sync_report_cleanup(&rep);
    arus_config_destroy(cfg);
    return rc == ARUS_OK ? 0 : 1;
}

/* Change data capture: the apply loop (docs/cdc.md). Source transactions arrive as events from
 * the source's cdc_* slots; many small ones are grouped into one destination transaction (by
 * batch_size rows or max_latency seconds), a huge one is flushed in batch_size pieces into the
 * still-open destination transaction, and the position of the last whole source transaction is
 * stored in arus_state in that same transaction. The server hears of it (cdc_ack) only after
 * the commit; on restart every transaction at or below the stored position is skipped. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arus/arena.h"
#include "arus/log.h"
#include "arus/state.h"
#include "arus/sync.h"
#include "arus/util.h"
#include "core/sync_internal.h"

/* Seconds without a new event after which waiting whole transactions are committed. */
#define CDC_PAUSE 0.01

/* A change waiting for the next flush: the newest image of one key. */
enum cdc_op { CDC_UPSERT, CDC_DELETE };

struct cdc_table {
    const char *name;
    struct arus_target target;
    struct arus_table_report *rep;
    struct arus__columns cols;        /* the table's column rules, applied at the start */
    struct arus_table_schema *schema; /* destination columns (grows when the log adds some) */
    struct arus_table_schema *src;    /* the same columns under their source names */
    struct arus_table_schema *dest;   /* the destination's table at the start (describe_table;
                                         NULL: it cannot tell) */
    bool *hashed;                     /* per column of schema: loaded as its HMAC */
    char *hex;                        /* 2 x ncolumns HMAC texts: scratch of hash_row */
    size_t *pk;                       /* key columns of schema */
    size_t npk;
    const struct arus_table_schema *seen; /* event schema the map was built for */
    unsigned seen_version;
    bool mapped;
    size_t *map; /* event column -> schema column, SIZE_MAX: left out by the column rules */
    size_t nmap;
    /* pending changes, one row per key */
    struct arus_batch *rows;
    enum cdc_op *ops;
    bool *unchanged; /* rows->capacity x ncolumns: keep the destination's value */
    size_t *index;   /* open addressing: row + 1, 0 = empty; 2 x capacity slots */
    size_t nindex;
    /* raw landing: every change as it came, with _arus_op and _arus_position */
    struct arus_table_schema raw_schema;
    struct arus_batch *raw;
};

struct cdc_run {
    struct arus_source *src;
    struct arus_destination *dst;
    const struct arus_pipeline *p;
    const struct arus_sync_options *opt;
    const char *run_id;
    struct arus_arena *arena;
    struct cdc_table *tables;
    size_t ntables;
    struct cdc_table *last; /* the table of the previous event */
    char stored[ARUS_CDC_POSITION_MAX];  /* position committed in the destination ("" = none) */
    char pending[ARUS_CDC_POSITION_MAX]; /* the newest whole transaction not yet committed */
    char current[ARUS_CDC_POSITION_MAX]; /* position of the transaction being read */
    bool open;              /* a destination transaction is open */
    size_t npending;        /* changes held or flushed since the last commit */
    double since;           /* when the oldest uncommitted whole transaction ended */
};

/* Positions come from the source and from arus_state: one that does not fit is refused, never
 * cut short (a shortened position would resume at the wrong place). */
static int copy_pos(char *dst, const char *pos, struct arus_error *err)
{
    if (snprintf(dst, ARUS_CDC_POSITION_MAX, "%s", pos ? pos : "") >= ARUS_CDC_POSITION_MAX)
        return arus_error_set(err, ARUS_EDATA, "cdc position longer than %d bytes: %.64s...",
                              ARUS_CDC_POSITION_MAX - 1, pos);
    return ARUS_OK;
}

static void rollback_quietly(struct cdc_run *r)
{
    struct arus_error ignored;
    arus_error_clear(&ignored);
    arus_destination_rollback(r->dst, &ignored);
    r->open = false;
}

static int ensure_open(struct cdc_run *r, struct arus_error *err)
{
    if (r->open)
        return ARUS_OK;
    int rc = arus_destination_begin(r->dst, err);
    r->open = rc == ARUS_OK;
    return rc;
}

/* ---- pending changes of one table */

static uint64_t key_hash(const struct cdc_table *t, const struct arus_cell *row)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t k = 0; k < t->npk; k++) {
        const struct arus_cell *c = &row[t->pk[k]];
        for (size_t i = 0; c->data && i < c->len; i++)
            h = (h ^ (unsigned char)c->data[i]) * 1099511628211ull;
        h = (h ^ (c->data ? 0xff : 0xfe)) * 1099511628211ull;
    }
    return h;
}

static bool key_equal(const struct cdc_table *t, const struct arus_cell *a,
                      const struct arus_cell *b)
{
    for (size_t k = 0; k < t->npk; k++) {
        const struct arus_cell *x = &a[t->pk[k]], *y = &b[t->pk[k]];
        if (!x->data != !y->data || x->len != y->len ||
            (x->data && memcmp(x->data, y->data, x->len) != 0))
            return false;
    }
    return true;
}

/* The index slot of key (a row in schema order): the row's slot or the empty one to use. */
static size_t *key_slot(struct cdc_table *t, const struct arus_cell *key)
{
    size_t i = (size_t)(key_hash(t, key) % t->nindex);
    while (t->index[i] && !key_equal(t, arus_batch_row(t->rows, t->index[i] - 1), key))
        i = (i + 1) % t->nindex;
    return &t->index[i];
}

static void pending_reset(struct cdc_table *t)
{
    arus_batch_clear(t->rows);
    memset(t->index, 0, t->nindex * sizeof *t->index);
    if (t->raw)
        arus_batch_clear(t->raw);
}

static void pending_free(struct cdc_table *t)
{
    arus_batch_destroy(t->rows);
    arus_batch_destroy(t->raw);
    free(t->ops);
    free(t->unchanged);
    free(t->index);
    free(t->hex);
    t->hex = NULL;
    t->rows = t->raw = NULL;
    t->ops = NULL;
    t->unchanged = NULL;
    t->index = NULL;
}

/* (Re)build the pending buffers for the table's current schema. */
static void pending_init(struct cdc_run *r, struct cdc_table *t)
{
    size_t cap = (size_t)r->p->batch_size, nc = t->schema->ncolumns;
    pending_free(t);
    t->rows = arus_batch_create(t->schema, cap);
    t->ops = arus_xcalloc(cap, sizeof *t->ops);
    t->unchanged = arus_xcalloc(cap * (nc ? nc : 1), sizeof *t->unchanged);
    t->nindex = 2 * cap + 1;
    t->index = arus_xcalloc(t->nindex, sizeof *t->index);
    t->hex = arus_xcalloc(2 * (nc ? nc : 1), ARUS__HMAC_HEX + 1);
    free(t->pk);
    t->pk = arus_xcalloc(nc ? nc : 1, sizeof *t->pk);
    t->npk = arus_schema_pk(t->schema, t->pk);
    if (r->p->load_mode & ARUS_LOAD_RAW) {
        t->raw_schema = *t->schema;
        t->raw_schema.ncolumns = nc + 2;
        t->raw_schema.columns = arus_arena_calloc(r->arena, nc + 2, sizeof *t->raw_schema.columns);
        memcpy(t->raw_schema.columns, t->schema->columns, nc * sizeof *t->schema->columns);
        static const char *const extra[2] = {"_arus_op", "_arus_position"};
        for (size_t i = 0; i < 2; i++) {
            struct arus_column *c = &t->raw_schema.columns[nc + i];
            c->name = (char *)extra[i];
            c->type.ltype = ARUS_T_STRING;
            c->nullable = false;
        }
        t->raw = arus_batch_create(&t->raw_schema, cap);
    }
}

/* Rows of t->rows selected by want into batch out (cells borrowed), with schema s. */
static void gather(const struct cdc_table *t, struct arus_batch *out, enum cdc_op op,
                   const bool *mask)
{
    size_t nc = t->schema->ncolumns;
    out->nrows = 0;
    for (size_t i = 0; i < t->rows->nrows; i++) {
        const bool *u = &t->unchanged[i * nc];
        if (t->ops[i] != op || (mask && memcmp(u, mask, nc * sizeof *u) != 0))
            continue;
        if (op == CDC_UPSERT && !mask) {
            bool any = false;
            for (size_t c = 0; c < nc && !any; c++)
                any = u[c];
            if (any)
                continue;
        }
        const struct arus_cell *src = arus_batch_row(t->rows, i);
        struct arus_cell *dst = arus_batch_add_row(out);
        size_t k = 0;
        for (size_t c = 0; c < nc; c++)
            if (!mask || !mask[c])
                dst[k++] = src[c];
    }
}

static int load_upserts(struct cdc_run *r, struct cdc_table *t, const struct arus_batch *b,
                        struct arus_error *err)
{
    int64_t loaded = 0;
    if (b->nrows == 0)
        return ARUS_OK;
    int rc = arus_destination_load_normalized(r->dst, &t->target, b, &loaded, err);
    t->rep->rows_loaded += loaded;
    return rc;
}

/* Rows that leave some columns out (unchanged TOASTed values) merge with a narrower schema, one
 * group per set of missing columns, so the destination keeps its values there. */
static int flush_partial(struct cdc_run *r, struct cdc_table *t, struct arus_error *err)
{
    size_t nc = t->schema->ncolumns;
    bool *done = arus_xcalloc(t->rows->nrows + 1, sizeof *done);
    int rc = ARUS_OK;
    for (size_t i = 0; i < t->rows->nrows && rc == ARUS_OK; i++) {
        const bool *mask = &t->unchanged[i * nc];
        bool any = false;
        for (size_t c = 0; c < nc; c++)
            any |= mask[c];
        if (done[i] || t->ops[i] != CDC_UPSERT || !any)
            continue;
        struct arus_table_schema narrow = *t->schema;
        struct arus_column *cols = arus_xcalloc(nc, sizeof *cols);
        narrow.columns = cols;
        narrow.ncolumns = 0;
        for (size_t c = 0; c < nc; c++)
            if (!mask[c])
                cols[narrow.ncolumns++] = t->schema->columns[c];
        struct arus_batch *b = arus_batch_create(&narrow, t->rows->nrows);
        gather(t, b, CDC_UPSERT, mask);
        for (size_t j = i; j < t->rows->nrows; j++)
            done[j] |= t->ops[j] == CDC_UPSERT &&
                       memcmp(&t->unchanged[j * nc], mask, nc * sizeof *mask) == 0;
        rc = load_upserts(r, t, b, err);
        arus_batch_destroy(b);
        free(cols);
    }
    free(done);
    return rc;
}

/* Write the table's pending changes into the open destination transaction: deletes, then
 * whole-row upserts, then partial ones (every key appears once, so the order across keys is
 * free), then the raw documents. */
static int flush_table(struct cdc_run *r, struct cdc_table *t, struct arus_error *err)
{
    int rc;
    if (t->rows->nrows == 0 && (!t->raw || t->raw->nrows == 0))
        return ARUS_OK;
    if ((rc = ensure_open(r, err)))
        return rc;
    if (t->rows->nrows && (r->p->load_mode & ARUS_LOAD_NORMALIZED)) {
        struct arus_batch *b = arus_batch_create(t->schema, t->rows->nrows);
        int64_t deleted = 0;
        gather(t, b, CDC_DELETE, NULL);
        rc = b->nrows ? arus_destination_delete_rows(r->dst, &t->target, b, &deleted, err) : 0;
        t->rep->rows_deleted += deleted;
        if (rc == ARUS_OK) {
            gather(t, b, CDC_UPSERT, NULL);
            rc = load_upserts(r, t, b, err);
        }
        arus_batch_destroy(b);
        if (rc == ARUS_OK)
            rc = flush_partial(r, t, err);
        if (rc)
            return arus_error_prefix(err, "table \"%s\"", t->name);
    }
    if (t->raw && t->raw->nrows) {
        struct arus_target raw = t->target;
        int64_t loaded = 0;
        if ((rc = arus_destination_load_raw(r->dst, &raw, t->raw, &loaded, err)))
            return arus_error_prefix(err, "table \"%s\"", t->name);
        if (!(r->p->load_mode & ARUS_LOAD_NORMALIZED))
            t->rep->rows_loaded += loaded;
    }
    pending_reset(t);
    return ARUS_OK;
}

/* Commit everything up to the newest whole transaction with its position, then tell the
 * source (never before: a crash in between only makes the server send it again). */
static int commit_point(struct cdc_run *r, struct arus_error *err)
{
    int rc = ARUS_OK;
    if (!r->pending[0])
        return ARUS_OK;
    for (size_t i = 0; i < r->ntables && rc == ARUS_OK; i++)
        rc = flush_table(r, &r->tables[i], err);
    char now[32];
    arus_now_utc(now, sizeof now);
    struct arus_target st = {.pipeline = r->p->name,
                             .source_name = r->src->endpoint->name,
                             .table = ARUS_CDC_POSITION_ROW,
                             .run_id = r->run_id};
    struct arus_table_state state = {
        .watermark = r->pending, .run_id = r->run_id, .updated_at = now};
    if (rc == ARUS_OK)
        rc = ensure_open(r, err);
    if (rc == ARUS_OK)
        rc = arus_destination_update_watermark(r->dst, &st, &state, err);
    if (rc == ARUS_OK && arus_fault("cdc_before_commit"))
        rc = arus_error_set(err, ARUS_EFAULT, "injected fault at cdc_before_commit");
    if (rc == ARUS_OK)
        rc = arus_destination_commit(r->dst, err);
    if (rc) {
        rollback_quietly(r);
        return rc;
    }
    r->open = false;
    memcpy(r->stored, r->pending, sizeof r->stored);
    r->pending[0] = '\0';
    r->npending = 0;
    arus_log(ARUS_LOG_DEBUG, "cdc", "pipeline \"%s\": committed up to %s", r->p->name, r->stored);
    for (size_t i = 0; i < r->ntables; i++)
        if (r->opt && r->opt->progress)
            r->opt->progress(r->opt->progress_ctx, r->tables[i].rep, false);
    return arus_source_cdc_ack(r->src, r->stored, err);
}

/* ---- events */

/* A copy of t's schema s with room for n more columns (arena). */
static struct arus_table_schema *schema_room(struct cdc_run *r, const struct arus_table_schema *s,
                                             size_t n)
{
    struct arus_table_schema *g = arus_arena_calloc(r->arena, 1, sizeof *g);
    *g = *s;
    g->columns = arus_arena_calloc(r->arena, s->ncolumns + n, sizeof *g->columns);
    memcpy(g->columns, s->columns, s->ncolumns * sizeof *g->columns);
    return g;
}

/* Add the event's columns named in as (their destination names; NULL: not added) to the
 * destination's table, and to t's schemas. */
static int grow(struct cdc_run *r, struct cdc_table *t, const struct arus_table_schema *es,
                const char *const *as, const bool *hashed, size_t added, struct arus_error *err)
{
    /* Pending rows follow the old columns: write them first. */
    int rc = flush_table(r, t, err);
    if (rc)
        return rc;
    struct arus_table_schema *grown = schema_room(r, t->schema, added);
    struct arus_table_schema *src = schema_room(r, t->src, added);
    bool *h = arus_arena_calloc(r->arena, t->schema->ncolumns + added, sizeof *h);
    memcpy(h, t->hashed, t->schema->ncolumns * sizeof *h);
    for (size_t i = 0; i < es->ncolumns; i++) {
        if (!as[i])
            continue;
        struct arus_column *c = &grown->columns[grown->ncolumns];
        *c = es->columns[i];
        c->name = arus_arena_strdup(r->arena, as[i]);
        c->source_type = c->source_type ? arus_arena_strdup(r->arena, c->source_type) : NULL;
        c->pk_ordinal = 0;
        c->nullable = true;
        src->columns[src->ncolumns] = *c;
        src->columns[src->ncolumns++].name = arus_arena_strdup(r->arena, es->columns[i].name);
        if (hashed[i])
            arus__hashed_column(c);
        h[grown->ncolumns++] = hashed[i];
    }
    arus_log(ARUS_LOG_INFO, "cdc", "table \"%s\": %zu new column(s)", t->name, added);
    if ((rc = ensure_open(r, err)) ||
        (rc = arus_destination_ensure_schema(r->dst, &t->target, grown, err)))
        return rc;
    t->schema = grown;
    t->src = src;
    t->hashed = h;
    pending_init(r, t);
    return ARUS_OK;
}

/* Whether column col of the source, which t's changes do not carry now (not in t->src),
 * reaches the destination: the rules keep it and the destination's table has it under its
 * destination name (or cannot tell). A left-out column does not, nor one dropped from the
 * source before the start that never got downstream. */
static bool reaches(const struct cdc_run *r, const struct cdc_table *t,
                    const struct arus_column *col)
{
    const char *as;
    bool hashed;
    return arus__column_rule(r->p, t->name, col, &as, &hashed) &&
           (!t->dest || arus_schema_find(t->dest, as) >= 0);
}

/* Of the event's new columns (as[i] set), forget those the table no longer has (the log is
 * behind: they were dropped since) and the destination never got: their values of older
 * changes go nowhere, whatever the rules say now (a left-out column whose rule went with its
 * drop must not come back). */
static int drop_gone(struct cdc_run *r, struct cdc_table *t, const struct arus_table_schema *es,
                     const char **as, size_t *added, struct arus_error *err)
{
    struct arus_arena *a = arus_arena_create(0);
    struct arus_table_schema *now = NULL;
    int rc = arus_source_get_table_columns(r->src, t->name, a, &now, err);
    for (size_t i = 0; rc == ARUS_OK && i < es->ncolumns; i++)
        if (as[i] && arus_schema_find(now, es->columns[i].name) < 0 &&
            !reaches(r, t, &es->columns[i])) {
            arus_log(ARUS_LOG_INFO, "cdc",
                     "table \"%s\": column \"%s\" of older changes was dropped since: not "
                     "added",
                     t->name, es->columns[i].name);
            as[i] = NULL;
            (*added)--;
        }
    arus_arena_destroy(a);
    return rc ? arus_error_prefix(err, "table \"%s\"", t->name) : ARUS_OK;
}

/* Map the event's columns onto the destination's; columns the log has and the destination
 * lacks are added (ADD COLUMN through ensure_schema, as in watermark mode) when the column rules
 * keep them, under their destination names (hashed ones as text); the others are left out. */
static int remap(struct cdc_run *r, struct cdc_table *t, const struct arus_cdc_event *ev,
                 struct arus_error *err)
{
    const struct arus_table_schema *es = ev->schema;
    const char **as = arus_xcalloc(es->ncolumns + 1, sizeof *as); /* new kept: its name */
    bool *hashed = arus_xcalloc(es->ncolumns + 1, sizeof *hashed);
    size_t added = 0;
    int rc = ARUS_OK;
    for (size_t i = 0; i < es->ncolumns; i++) {
        if (arus_schema_find(t->src, es->columns[i].name) >= 0 ||
            !arus__column_rule(r->p, t->name, &es->columns[i], &as[i], &hashed[i]))
            as[i] = NULL;
        else
            added++;
    }
    if (added)
        rc = drop_gone(r, t, es, as, &added, err);
    for (size_t i = 0; i < es->ncolumns && rc == ARUS_OK; i++)
        if (as[i] && arus_schema_find(t->schema, as[i]) >= 0)
            rc = arus_error_set(err, ARUS_ECONFIG,
                                "table \"%s\": new column \"%s\" would land as \"%s\", which "
                                "the destination already has (rename)",
                                t->name, es->columns[i].name, as[i]);
    if (rc == ARUS_OK && added)
        rc = grow(r, t, es, as, hashed, added, err);
    free(as);
    free(hashed);
    if (rc)
        return rc;
    free(t->map);
    t->map = arus_xcalloc(es->ncolumns + 1, sizeof *t->map);
    t->nmap = es->ncolumns;
    for (size_t i = 0; i < es->ncolumns; i++) {
        int k = arus_schema_find(t->src, es->columns[i].name);
        t->map[i] = k >= 0 ? (size_t)k : SIZE_MAX;
    }
    t->seen = es;
    t->seen_version = ev->schema_version;
    t->mapped = true;
    return ARUS_OK;
}

/* cells (event order) into a scratch row in schema order; absent columns are unchanged. */
static void to_schema(const struct cdc_table *t, const struct arus_cell *cells,
                      const bool *unchanged, struct arus_cell *row, bool *mask)
{
    size_t nc = t->schema->ncolumns;
    for (size_t c = 0; c < nc; c++) {
        row[c] = (struct arus_cell){0};
        mask[c] = true;
    }
    for (size_t i = 0; i < t->nmap; i++) {
        if (t->map[i] == SIZE_MAX)
            continue;
        row[t->map[i]] = cells[i];
        mask[t->map[i]] = unchanged && unchanged[i];
    }
}

/* Replace the hashed columns' values of row by their HMAC (the same text the watermark path
 * writes), into scratch texts `which` (0 or 1) of t. */
static void hash_row(const struct cdc_table *t, struct arus_cell *row, int which)
{
    size_t nc = t->schema->ncolumns;
    for (size_t c = 0; c < nc; c++) {
        if (!t->hashed[c] || !row[c].data)
            continue; /* NULL stays NULL */
        char *text = &t->hex[((size_t)which * nc + c) * (ARUS__HMAC_HEX + 1)];
        arus__hmac_hex(t->cols.key, row[c].data, row[c].len, text);
        row[c] = (struct arus_cell){.data = text, .len = ARUS__HMAC_HEX};
    }
}

static int make_room(struct cdc_run *r, struct cdc_table *t, struct arus_error *err)
{
    if (!arus_batch_full(t->rows))
        return ARUS_OK;
    /* A huge transaction: write what is held into the open transaction, keep reading. */
    return flush_table(r, t, err);
}

/* Record the newest image of a key (mask: columns the change does not carry). */
static int pend(struct cdc_run *r, struct cdc_table *t, enum cdc_op op, const struct arus_cell *row,
                const bool *mask, struct arus_error *err)
{
    size_t nc = t->schema->ncolumns;
    size_t *slot = key_slot(t, row);
    if (!*slot) {
        int rc = make_room(r, t, err);
        if (rc)
            return rc;
        if (t->rows->nrows == 0)
            slot = key_slot(t, row); /* the index was emptied */
        struct arus_cell *dst = arus_batch_add_row(t->rows);
        size_t i = t->rows->nrows - 1;
        *slot = i + 1;
        t->ops[i] = op;
        for (size_t c = 0; c < nc; c++) {
            bool keep = op == CDC_UPSERT ? mask[c] : false;
            t->unchanged[i * nc + c] = keep;
            if (row[c].data && (op == CDC_UPSERT || t->schema->columns[c].pk_ordinal) && !keep)
                arus_cell_set(t->rows, &dst[c], row[c].data, row[c].len);
        }
        return ARUS_OK;
    }
    size_t i = *slot - 1;
    struct arus_cell *dst = arus_batch_row(t->rows, i);
    bool was_delete = t->ops[i] == CDC_DELETE;
    t->ops[i] = op;
    if (op == CDC_DELETE) {
        /* A delete carries its key only, whatever an earlier change of the key had. */
        for (size_t c = 0; c < nc; c++)
            if (!t->schema->columns[c].pk_ordinal)
                dst[c] = (struct arus_cell){0};
        return ARUS_OK;
    }
    for (size_t c = 0; c < nc; c++) {
        /* A column the change leaves out keeps what an earlier change of the key set. */
        if (mask[c] && !was_delete)
            continue;
        t->unchanged[i * nc + c] = mask[c];
        dst[c] = (struct arus_cell){0};
        if (row[c].data && !mask[c])
            arus_cell_set(t->rows, &dst[c], row[c].data, row[c].len);
    }
    return ARUS_OK;
}

static void pend_raw(struct cdc_run *r, struct cdc_table *t, char op, const struct arus_cell *row,
                     const bool *mask)
{
    (void)r;
    size_t nc = t->schema->ncolumns;
    struct arus_cell *dst = arus_batch_add_row(t->raw);
    for (size_t c = 0; c < nc; c++)
        if (row[c].data && !mask[c])
            arus_cell_set(t->raw, &dst[c], row[c].data, row[c].len);
    char ops[2] = {op, '\0'};
    arus_cell_set(t->raw, &dst[nc], ops, 1);
    arus_cell_set(t->raw, &dst[nc + 1], r->current, strlen(r->current));
}

static struct cdc_table *find_table(struct cdc_run *r, const char *name)
{
    if (r->last && strcmp(r->last->name, name) == 0)
        return r->last;
    for (size_t i = 0; i < r->ntables; i++)
        if (strcmp(r->tables[i].name, name) == 0)
            return r->last = &r->tables[i];
    return NULL;
}

static int apply_row(struct cdc_run *r, const struct arus_cdc_event *ev, struct arus_error *err)
{
    struct cdc_table *t = find_table(r, ev->table);
    int rc = ARUS_OK;
    if (!t)
        return ARUS_OK; /* a table of the publication this pipeline does not sync */
    if ((!t->mapped || t->seen != ev->schema || t->seen_version != ev->schema_version) &&
        (rc = remap(r, t, ev, err)))
        return rc;
    size_t nc = t->schema->ncolumns;
    struct arus_cell *row = arus_xcalloc(nc + 1, sizeof *row);
    bool *mask = arus_xcalloc(nc + 1, sizeof *mask);
    bool normalized = r->p->load_mode & ARUS_LOAD_NORMALIZED;
    t->rep->rows_extracted++;
    r->npending++;
    if (t->raw && arus_batch_full(t->raw))
        rc = flush_table(r, t, err);
    if (rc == ARUS_OK && ev->op == 'u' && ev->old_cells && normalized) {
        /* The key changed: the old key goes away. */
        struct arus_cell *old = arus_xcalloc(nc + 1, sizeof *old);
        bool *omask = arus_xcalloc(nc + 1, sizeof *omask);
        to_schema(t, ev->old_cells, NULL, old, omask);
        to_schema(t, ev->cells, ev->unchanged, row, mask);
        hash_row(t, old, 0);
        hash_row(t, row, 1);
        if (!key_equal(t, old, row))
            rc = pend(r, t, CDC_DELETE, old, omask, err);
        free(old);
        free(omask);
    }
    if (rc == ARUS_OK) {
        to_schema(t, ev->cells, ev->op == 'd' ? NULL : ev->unchanged, row, mask);
        /* An unchanged value the old row carries (REPLICA IDENTITY FULL) is written as is:
         * destinations without transactions cannot merge a row without it. */
        for (size_t i = 0; ev->op == 'u' && ev->unchanged && ev->old_cells && i < t->nmap; i++)
            if (t->map[i] != SIZE_MAX && ev->unchanged[i] && ev->old_cells[i].data) {
                row[t->map[i]] = ev->old_cells[i];
                mask[t->map[i]] = false;
            }
        hash_row(t, row, 1);
        for (size_t k = 0; normalized && k < t->npk && rc == ARUS_OK; k++)
            if (!row[t->pk[k]].data)
                rc = arus_error_set(err, ARUS_EDATA,
                                    "table \"%s\": a change without its key column \"%s\" "
                                    "(check REPLICA IDENTITY)",
                                    t->name, t->schema->columns[t->pk[k]].name);
    }
    if (rc == ARUS_OK && t->raw)
        pend_raw(r, t, ev->op, row, mask);
    if (rc == ARUS_OK && normalized)
        rc = pend(r, t, ev->op == 'd' ? CDC_DELETE : CDC_UPSERT, row, mask, err);
    free(row);
    free(mask);
    return rc;
}

/* TRUNCATE: what is pending for the table is void; the table empties inside the transaction. */
static int apply_truncate(struct cdc_run *r, const struct arus_cdc_event *ev,
                          struct arus_error *err)
{
    struct cdc_table *t = find_table(r, ev->table);
    int rc;
    if (!t)
        return ARUS_OK;
    if (t->raw) {
        /* Raw landing keeps the history: earlier documents stay, a 't' document marks it. */
        if ((rc = flush_table(r, t, err)))
            return rc;
        size_t nc = t->schema->ncolumns;
        struct arus_cell *row = arus_xcalloc(nc + 1, sizeof *row);
        bool *mask = arus_xcalloc(nc + 1, sizeof *mask);
        pend_raw(r, t, 't', row, mask);
        free(row);
        free(mask);
    }
    arus_batch_clear(t->rows);
    memset(t->index, 0, t->nindex * sizeof *t->index);
    r->npending++;
    if (!(r->p->load_mode & ARUS_LOAD_NORMALIZED))
        return ARUS_OK;
    if ((rc = ensure_open(r, err)) ||
        (rc = arus_destination_truncate_table(r->dst, &t->target, err)))
        return arus_error_prefix(err, "table \"%s\"", t->name);
    return ARUS_OK;
}

static bool stopping(const struct cdc_run *r) { return r->opt && r->opt->stop && *r->opt->stop; }

/* Read and apply events until the stream ends (sync) or a stop is asked for (--follow). */
static int stream(struct cdc_run *r, struct arus_error *err)
{
    bool in_txn = false, skip = false;
    double latency = r->p->cdc_max_latency > 0 ? r->p->cdc_max_latency : 0.5;
    for (;;) {
        if (!in_txn && stopping(r))
            return commit_point(r, err);
        struct arus_cdc_event ev;
        /* With whole transactions waiting, a stream that pauses (light load) commits them at
         * once; a busy one groups them up to batch_size or max_latency. A stop asked
         * mid-transaction waits for its commit. */
        double wait = r->pending[0] ? CDC_PAUSE : 0.2;
        memset(&ev, 0, sizeof ev);
        int rc = arus_source_cdc_next(r->src, &ev, wait, err);
        if (rc)
            return rc;
        switch (ev.kind) {
        case ARUS_CDC_BEGIN:
            in_txn = true;
            if ((rc = copy_pos(r->current, ev.position, err)))
                return rc;
            skip =
                r->stored[0] && arus_source_cdc_position_cmp(r->src, ev.position, r->stored) <= 0;
            break;
        case ARUS_CDC_ROW:
            if (!skip && (rc = apply_row(r, &ev, err)))
                return rc;
            break;
        case ARUS_CDC_TRUNCATE:
            if (!skip && (rc = apply_truncate(r, &ev, err)))
                return rc;
            break;
        case ARUS_CDC_COMMIT:
            in_txn = false;
            if (skip)
                break;
            if (!r->pending[0])
                r->since = arus_monotonic();
            if ((rc = copy_pos(r->pending, ev.position, err)))
                return rc;
            if (r->npending >= (size_t)r->p->batch_size || arus_monotonic() - r->since >= latency)
                if ((rc = commit_point(r, err)))
                    return rc;
            break;
        case ARUS_CDC_IDLE:
            if (!in_txn && r->pending[0] && (rc = commit_point(r, err)))
                return rc;
            break;
        case ARUS_CDC_END:
            return commit_point(r, err);
        }
    }
}

/* ---- start */

static int store_position(struct cdc_run *r, const char *pos, struct arus_error *err)
{
    int rc = copy_pos(r->pending, pos, err);
    return rc ? rc : commit_point(r, err);
}

/* The destination's table for t (columns from the source through the pipeline's column rules,
 * key from the pipeline), checked to have a key: changes are applied by key. */
static int table_init(struct cdc_run *r, struct cdc_table *t, struct arus_error *err)
{
    int rc = arus__table_columns(r->src, r->p, t->name, r->arena, &t->cols, err);
    if (rc)
        return arus_error_prefix(err, "table \"%s\"", t->name);
    t->schema = t->cols.load;
    t->src = t->cols.extract;
    t->target.dest_table = t->cols.dest_table;
    t->hashed = arus_arena_calloc(r->arena, t->schema->ncolumns + 1, sizeof *t->hashed);
    for (size_t i = 0; i < t->cols.nhashed; i++)
        t->hashed[t->cols.hashed[i]] = true;
    t->dest = NULL;
    rc = arus_destination_describe_table(r->dst, &t->target, r->arena, &t->dest, err);
    if (rc == ARUS_ENOTSUP)
        arus_error_clear(err); /* it cannot tell: columns reach it as the rules say */
    else if (rc)
        return arus_error_prefix(err, "table \"%s\"", t->name);
    size_t *pk = arus_xcalloc(t->schema->ncolumns + 1, sizeof *pk);
    size_t npk = arus_schema_pk(t->schema, pk);
    free(pk);
    if (npk == 0 && (r->p->load_mode & ARUS_LOAD_NORMALIZED))
        return arus_error_set(err, ARUS_ECONFIG,
                              "table \"%s\": sync_mode cdc needs a primary key (or primary_key "
                              "in the pipeline's table settings)",
                              t->name);
    pending_init(r, t);
    return ARUS_OK;
}

/* Tables whose copy is not in the destination yet: none of their state. */
static int needs_copy(struct cdc_run *r, const struct cdc_table *t, bool *out,
                      struct arus_error *err)
{
    struct arus_table_state st;
    memset(&st, 0, sizeof st);
    int rc = arus_destination_get_watermark(r->dst, r->p->name, t->name, r->arena, &st, err);
    if (rc == ARUS_OK)
        *out = st.run_id == NULL && st.updated_at == NULL;
    return rc;
}

static int copy_table(struct cdc_run *r, struct cdc_table *t, struct arus_error *err)
{
    struct arus_sync_options opt = {.full_refresh = true};
    if (r->opt) {
        opt.progress = r->opt->progress;
        opt.progress_ctx = r->opt->progress_ctx;
        opt.abandon = r->opt->stop; /* a long copy ends at the next batch, not at its end */
    }
    struct arus_table_report rep;
    memset(&rep, 0, sizeof rep);
    arus_log(ARUS_LOG_INFO, "cdc", "table \"%s\": initial copy", t->name);
    int rc = arus__sync_table(r->src, r->dst, r->p, &opt, r->run_id, t->name, NULL, ARUS__PAIRS_NONE,
                              &rep);
    t->rep->rows_extracted += rep.rows_extracted;
    t->rep->rows_loaded += rep.rows_loaded;
    if (rc)
        return arus_error_set(err, rc, "%s", rep.error);
    return ARUS_OK;
}

/* arus_cdc_options.column_moves: whether a column of a captured table reaches the destination:
 * one the table's changes carry, or one the destination has (see reaches). */
static bool column_moves(void *ctx, const char *table, const char *column)
{
    struct cdc_table *t = find_table(ctx, table);
    const struct arus_column c = {.name = (char *)column};
    return !t || !t->src || arus_schema_find(t->src, column) >= 0 || reaches(ctx, t, &c);
}

static int run(struct cdc_run *r, struct arus_error *err)
{
    struct arus_table_state st;
    memset(&st, 0, sizeof st);
    int rc = arus_destination_get_watermark(r->dst, r->p->name, ARUS_CDC_POSITION_ROW, r->arena,
                                            &st, err);
    if (rc)
        return rc;
    if ((rc = copy_pos(r->stored, st.watermark, err)))
        return rc;
    const char **names = arus_arena_calloc(r->arena, r->ntables + 1, sizeof *names);
    for (size_t i = 0; i < r->ntables; i++)
        names[i] = r->tables[i].name;
    struct arus_cdc_options o = {
        .pipeline = r->p->name,
        .tables = names,
        .ntables = r->ntables,
        .slot = r->p->cdc_slot,
        .publication = r->p->cdc_publication,
        .create = r->p->cdc_create,
        .position = r->stored[0] ? r->stored : NULL,
        .warn_retained = r->p->cdc_warn_retained,
        .position_kind = r->p->cdc_position,
        .column_moves = column_moves,
        .column_ctx = r,
    };
    struct arus_cdc_start start;
    memset(&start, 0, sizeof start);
    if ((rc = arus_source_cdc_start(r->src, &o, &start, err)))
        return rc;
    /* A new position (or none stored) means nothing in the destination follows the log yet:
     * every table is copied, inside the snapshot when the source made one. */
    bool all = start.snapshot || !r->stored[0];
    for (size_t i = 0; i < r->ntables; i++) {
        struct cdc_table *t = &r->tables[i];
        bool copy = all;
        if (!copy && (rc = needs_copy(r, t, &copy, err)))
            return rc;
        if (copy && (rc = copy_table(r, t, err)))
            return rc;
        if ((rc = table_init(r, t, err)))
            return rc;
        if (!copy && (rc = arus_destination_ensure_schema(r->dst, &t->target, t->schema, err)))
            return rc;
    }
    const char *from = r->stored[0] && !start.snapshot ? r->stored : start.position;
    if (all) {
        r->stored[0] = '\0';
        if ((rc = store_position(r, start.position, err)))
            return rc;
    }
    if ((rc = arus_source_cdc_stream(r->src, from, r->opt && r->opt->follow, err)))
        return rc;
    return stream(r, err);
}

int arus__cdc_run(struct arus_source *src, struct arus_destination *dst,
                  const struct arus_pipeline *p, const struct arus_sync_options *opt,
                  const char *run_id, const char **tables, struct arus_table_report **reps,
                  size_t n, struct arus_error *err)
{
    struct cdc_run r = {
        .src = src,
        .dst = dst,
        .p = p,
        .opt = opt,
        .run_id = run_id,
        .arena = arus_arena_create(0),
        .ntables = n,
    };
    char started_at[32];
    arus_now_utc(started_at, sizeof started_at);
    double t0 = arus_monotonic();
    r.tables = arus_xcalloc(n + 1, sizeof *r.tables);
    for (size_t i = 0; i < n; i++) {
        struct cdc_table *t = &r.tables[i];
        t->name = tables[i];
        t->rep = reps[i];
        snprintf(t->rep->table, sizeof t->rep->table, "%s", tables[i]);
        t->rep->mode = "cdc";
        t->target = (struct arus_target){.pipeline = p->name,
                                         .source_name = src->endpoint->name,
                                         .table = tables[i],
                                         .raw_schema = p->raw_schema,
                                         .target_schema = p->target_schema,
                                         .run_id = run_id};
        arus__record_run(dst, p, run_id, tables[i], t->rep, started_at, ARUS_RUN_RUNNING, NULL);
    }
    int rc = run(&r, err);
    if (rc != ARUS_OK && r.open)
        rollback_quietly(&r);
    /* Stopped during the initial copy: no position is stored, so the next run copies again;
     * the run is recorded as aborted and ends like any stopped follow (ARUS_OK). */
    bool stopped = rc == ARUS_ESTOPPED;
    if (stopped)
        arus_log(ARUS_LOG_WARN, "cdc", "pipeline \"%s\": %s; the next run copies again",
                 p->name, err->msg);
    for (size_t i = 0; i < n; i++) {
        struct cdc_table *t = &r.tables[i];
        t->rep->status = stopped ? ARUS_OK : rc;
        t->rep->seconds = arus_monotonic() - t0;
        if (rc && !stopped)
            snprintf(t->rep->error, sizeof t->rep->error, "%s", err->msg);
        arus__record_run(dst, p, run_id, t->name, t->rep, started_at,
                         stopped ? ARUS_RUN_ABORTED : rc ? ARUS_RUN_FAILED : ARUS_RUN_OK,
                         rc ? err->msg : NULL);
        if (opt && opt->progress)
            opt->progress(opt->progress_ctx, t->rep, true);
        pending_free(t);
        free(t->pk);
        free(t->map);
    }
    free(r.tables);
    arus_arena_destroy(r.arena);
    if (stopped)
        arus_error_clear(err);
    return stopped ? ARUS_OK : rc;
}

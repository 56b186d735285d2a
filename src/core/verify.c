/* arus verify and delete_missing: the source's rows ordered by primary key (one extract stream)
 * merged with the destination's typed rows read back by key in pages, comparing the
 * comparison form of every cell (arus__verify_canon, verify_canon.c) through 64-bit row hashes.
 * Streaming both sides through arus instead of checksumming inside each database avoids asking four
 * SQL dialects to print every type identically (docs/consistency.md explains the choice). */
#include "arus/verify.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arus/arena.h"
#include "arus/log.h"
#include "arus/strbuf.h"
#include "arus/util.h"
#include "core/extract_plan.h"
#include "core/sync_internal.h"
#include "core/verify_internal.h"

/* ---- Row hashes */

#define HASH_SEED 0xcbf29ce484222325ULL
#define HASH_MUL  0x9e3779b97f4a7c15ULL

/* Eight bytes at a time: each step (h ^ w) * odd, xorshift is a bijection of h for a given w,
 * so distinct inputs of one length collide only by chance (1 in 2^64). Not cryptographic. */
static uint64_t hash_bytes(uint64_t h, const void *p, size_t n)
{
    const unsigned char *s = p;
    uint64_t w;
    for (; n >= 8; s += 8, n -= 8) {
        memcpy(&w, s, 8);
        h = (h ^ w) * HASH_MUL;
        h ^= h >> 29;
    }
    w = 0;
    memcpy(&w, s, n);
    h = (h ^ w ^ ((uint64_t)n << 56)) * HASH_MUL;
    return h ^ (h >> 29);
}

/* splitmix64's finaliser: spreads the bits so that sums of row hashes stay well mixed. */
static uint64_t mix(uint64_t x)
{
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/* ---- One table's comparison */

/* A copy of one row's key cells that outlives its batch. */
struct keycopy {
    struct arus_strbuf *text; /* per key column */
    struct arus_cell *cells;
    bool set;
};

/* The newest two keys of one side in comparison form: k[cur] is the current row's. */
struct keypair {
    struct keycopy k[2];
    int cur;
};

struct vjob {
    struct arus_source *src;
    struct arus_destination *dst;
    const struct arus_pipeline *p;
    const struct arus_target *target;
    const struct arus_table_schema *schema; /* source columns; the destination reads the
                                               first ncmp of them */
    struct arus_table_schema dschema;       /* what read_rows reads: the same columns under
                                               their destination names and types, which are
                                               the ones compared */
    const struct arus__columns *cols;       /* column rules: hashing (NULL: none) */
    size_t *key;                            /* key columns in key order */
    size_t nkey;
    size_t ncmp; /* columns compared (and hashed): all, or only the key */
    bool repair; /* re-copy missing/changed rows (false: only delete extra ones) */
    bool delete_extra;
    size_t max_keys;
    struct arus_verify_table *rep;

    struct arus_batch *page; /* current destination page */
    size_t pos;              /* next row of page */
    bool dst_end;
    struct keycopy after;          /* last key of the previous page, as the destination gave it */
    bool dst_keyed;                /* page row pos has been pushed to dkeys */
    struct keypair skeys;          /* keys of the current source row and the one before */
    struct keypair dkeys;          /* keys of the current destination row and the one before */
    struct arus_batch *fix;        /* source rows to re-copy */
    struct arus_batch *gone;       /* destination keys to delete */
    struct arus_strbuf a;          /* scratch */
    struct arus_verify_range mark; /* the report's totals where the current range began */
    int64_t mark_drift;
};

static void keycopy_init(struct keycopy *k, size_t n)
{
    k->text = arus_xcalloc(n, sizeof *k->text);
    k->cells = arus_xcalloc(n, sizeof *k->cells);
    for (size_t i = 0; i < n; i++)
        arus_strbuf_init(&k->text[i]);
    k->set = false;
}

static void keycopy_cleanup(struct keycopy *k, size_t n)
{
    for (size_t i = 0; k->text && i < n; i++)
        arus_strbuf_cleanup(&k->text[i]);
    free(k->text);
    free(k->cells);
}

/* Copy the key of row (canonicalised when canon) into k. */
static void keycopy_set(const struct vjob *v, struct keycopy *k, const struct arus_cell *row,
                        bool canon)
{
    for (size_t i = 0; i < v->nkey; i++) {
        const struct arus_cell *c = &row[v->key[i]];
        arus_strbuf_reset(&k->text[i]);
        if (c->data && canon)
            arus__verify_canon(v->dschema.columns[v->key[i]].type.ltype, c->data, c->len,
                               &k->text[i]);
        else if (c->data)
            arus_strbuf_append(&k->text[i], c->data, c->len);
        k->cells[i].data = c->data ? arus_strbuf_cstr(&k->text[i]) : NULL;
        k->cells[i].len = k->text[i].len;
    }
    k->set = true;
}

/* Order of two keys given as cells in comparison form (a NULL key part sorts first). */
static int key_compare_canon(const struct vjob *v, const struct arus_cell *a,
                             const struct arus_cell *b)
{
    for (size_t i = 0; i < v->nkey; i++) {
        if (!a[i].data || !b[i].data) {
            if (a[i].data != b[i].data)
                return a[i].data ? 1 : -1;
            continue;
        }
        int c = arus__cell_compare(v->dschema.columns[v->key[i]].type.ltype, a[i].data, a[i].len,
                                   b[i].data, b[i].len);
        if (c)
            return c;
    }
    return 0;
}

/* The hash of one non-NULL cell in comparison form. Floats hash their binary value (what
 * "%.17g" would print, without printing it); types whose canonical text is already the
 * comparison form hash the text as it is; the rest go through arus__verify_canon. */
static uint64_t cell_hash(struct vjob *v, enum arus_ltype t, const struct arus_cell *c)
{
    uint64_t h = HASH_SEED;
    char buf[64];
    switch (t) {
    case ARUS_T_FLOAT32:
    case ARUS_T_FLOAT64:
        if (c->len && c->len < sizeof buf) {
            memcpy(buf, c->data, c->len);
            buf[c->len] = '\0';
            char *end;
            double d = t == ARUS_T_FLOAT32 ? (double)strtof(buf, &end) : strtod(buf, &end);
            if (!*end) {
                if (isnan(d))
                    d = NAN; /* one NaN whatever its payload or sign */
                return hash_bytes(h ^ 1, &d, sizeof d);
            }
        }
        break;
    case ARUS_T_STRING:
    case ARUS_T_BYTES:
    case ARUS_T_DATE:
    case ARUS_T_INTERVAL:
        return hash_bytes(h, c->data, c->len);
    case ARUS_T_INT16:
    case ARUS_T_INT32:
    case ARUS_T_INT64:
    case ARUS_T_UINT64:
        if (c->len && c->data[0] != '+')
            return hash_bytes(h, c->data, c->len);
        break;
    default:
        break;
    }
    arus_strbuf_reset(&v->a);
    arus__verify_canon(t, c->data, c->len, &v->a);
    return hash_bytes(h, v->a.data ? v->a.data : "", v->a.len);
}

/* The hash of a row's compared columns in comparison form. */
static uint64_t row_hash(struct vjob *v, const struct arus_cell *row)
{
    uint64_t h = HASH_SEED;
    for (size_t i = 0; i < v->ncmp; i++) {
        uint64_t ch = row[i].data ? cell_hash(v, v->dschema.columns[i].type.ltype, &row[i]) : 0;
        h = hash_bytes(h, &ch, sizeof ch);
    }
    return mix(h);
}

static void keypair_init(struct keypair *kp, size_t n)
{
    keycopy_init(&kp->k[0], n);
    keycopy_init(&kp->k[1], n);
    kp->cur = 0;
}

static void keypair_cleanup(struct keypair *kp, size_t n)
{
    keycopy_cleanup(&kp->k[0], n);
    keycopy_cleanup(&kp->k[1], n);
}

/* Make row's key the side's current one. Keys must come strictly ascending in our order, or
 * the merge would report false drift: a collation that is not byte order (MySQL's
 * case-insensitive default, PostgreSQL's locale-aware ones) sorts string keys differently. */
static int keypair_push(const struct vjob *v, struct keypair *kp, const struct arus_cell *row,
                        const char *side, struct arus_error *err)
{
    struct keycopy *prev = &kp->k[kp->cur], *cur = &kp->k[!kp->cur];
    keycopy_set(v, cur, row, true);
    kp->cur = !kp->cur;
    if (prev->set && key_compare_canon(v, prev->cells, cur->cells) >= 0)
        return arus_error_set(err, ARUS_EDATA,
                              "%s rows do not come in byte order of the primary key (key \"%s\" "
                              "after \"%s\"): verify needs a binary collation on string keys",
                              side, cur->cells[0].data ? cur->cells[0].data : "NULL",
                              prev->cells[0].data ? prev->cells[0].data : "NULL");
    return ARUS_OK;
}

static const struct arus_cell *keypair_top(const struct keypair *kp)
{
    return kp->k[kp->cur].cells;
}

/* "1" or "1, abc": the key of row in comparison form, heap. */
static char *key_text(struct vjob *v, const struct arus_cell *row)
{
    struct arus_strbuf sb;
    arus_strbuf_init(&sb);
    for (size_t i = 0; i < v->nkey; i++) {
        const struct arus_cell *c = &row[v->key[i]];
        arus_strbuf_puts(&sb, i ? ", " : "");
        if (c->data)
            arus__verify_canon(v->dschema.columns[v->key[i]].type.ltype, c->data, c->len, &sb);
        else
            arus_strbuf_puts(&sb, "NULL");
    }
    arus_strbuf_cstr(&sb);
    return arus_strbuf_detach(&sb);
}

/* The same for a key already in comparison form (a keypair's cells). */
static char *key_text_canon(const struct vjob *v, const struct arus_cell *key)
{
    struct arus_strbuf sb;
    arus_strbuf_init(&sb);
    for (size_t i = 0; i < v->nkey; i++) {
        arus_strbuf_puts(&sb, i ? ", " : "");
        if (key[i].data)
            arus_strbuf_append(&sb, key[i].data, key[i].len);
        else
            arus_strbuf_puts(&sb, "NULL");
    }
    arus_strbuf_cstr(&sb);
    return arus_strbuf_detach(&sb);
}

static void note(struct vjob *v, enum arus_verify_kind k, const struct arus_cell *row)
{
    struct arus_verify_table *r = v->rep;
    r->count[k]++;
    if (r->nkeys[k] >= v->max_keys)
        return;
    r->keys[k] = arus_xrealloc(r->keys[k], (r->nkeys[k] + 1) * sizeof *r->keys[k]);
    r->keys[k][r->nkeys[k]++] = key_text(v, row);
}

static void rollback_quietly(struct arus_destination *dst)
{
    struct arus_error ignored;
    arus_error_clear(&ignored);
    arus_destination_rollback(dst, &ignored);
}

/* Re-copy the collected source rows through the normal load path, in one transaction. */
static int flush_fix(struct vjob *v, struct arus_error *err)
{
    if (!v->fix || v->fix->nrows == 0)
        return ARUS_OK;
    int64_t loaded = 0;
    struct arus_target raw = *v->target;
    raw.shadow = false;
    int rc = arus_destination_begin(v->dst, err);
    if (rc == ARUS_OK && (v->p->load_mode & ARUS_LOAD_RAW))
        rc = arus_destination_load_raw(v->dst, &raw, v->fix, &loaded, err);
    if (rc == ARUS_OK)
        rc = arus_destination_load_normalized(v->dst, v->target, v->fix, &loaded, err);
    if (rc == ARUS_OK)
        rc = arus_destination_commit(v->dst, err);
    if (rc != ARUS_OK) {
        rollback_quietly(v->dst);
        return rc;
    }
    v->rep->rows_repaired += (int64_t)v->fix->nrows;
    arus_batch_clear(v->fix);
    return ARUS_OK;
}

/* Delete the collected destination keys (delete_rows, one transaction). */
static int flush_gone(struct vjob *v, struct arus_error *err)
{
    if (!v->gone || v->gone->nrows == 0)
        return ARUS_OK;
    int64_t deleted = 0;
    int rc = arus_destination_begin(v->dst, err);
    if (rc == ARUS_OK)
        rc = arus_destination_delete_rows(v->dst, v->target, v->gone, &deleted, err);
    if (rc == ARUS_OK)
        rc = arus_destination_commit(v->dst, err);
    if (rc != ARUS_OK) {
        rollback_quietly(v->dst);
        return rc;
    }
    v->rep->rows_deleted += deleted;
    arus_batch_clear(v->gone);
    return ARUS_OK;
}

/* Queue a source row for re-copying. */
static int queue_fix(struct vjob *v, const struct arus_batch *b, const struct arus_cell *row,
                     struct arus_error *err)
{
    if (!v->fix)
        return ARUS_OK;
    struct arus_cell *to = arus_batch_add_row(v->fix);
    for (size_t i = 0; i < b->ncolumns; i++)
        if (row[i].data)
            arus_cell_set(v->fix, &to[i], row[i].data, row[i].len);
    return arus_batch_full(v->fix) ? flush_fix(v, err) : ARUS_OK;
}

/* Queue a destination row for deletion, its cells in comparison form (which is canonical
 * text, as delete_rows expects). */
static int queue_gone(struct vjob *v, const struct arus_cell *row, struct arus_error *err)
{
    if (!v->gone)
        return ARUS_OK;
    struct arus_cell *to = arus_batch_add_row(v->gone);
    for (size_t i = 0; i < v->dschema.ncolumns; i++) {
        if (!row[i].data)
            continue;
        arus_strbuf_reset(&v->a);
        arus__verify_canon(v->dschema.columns[i].type.ltype, row[i].data, row[i].len, &v->a);
        arus_cell_set(v->gone, &to[i], v->a.data ? v->a.data : "", v->a.len);
    }
    return arus_batch_full(v->gone) ? flush_gone(v, err) : ARUS_OK;
}

/* The next destination row, reading the next page when this one is used up; NULL at the end. */
static int dst_row(struct vjob *v, const struct arus_cell **out, struct arus_error *err)
{
    *out = NULL;
    if (v->pos < v->page->nrows) {
        *out = arus_batch_row(v->page, v->pos);
        if (v->dst_keyed)
            return ARUS_OK;
        v->dst_keyed = true;
        return keypair_push(v, &v->dkeys, *out, "destination", err);
    }
    if (v->dst_end)
        return ARUS_OK;
    if (v->page->nrows)
        keycopy_set(v, &v->after, arus_batch_row(v->page, v->page->nrows - 1), false);
    arus_batch_clear(v->page);
    v->pos = 0;
    int rc = arus_destination_read_rows(v->dst, v->target, v->after.set ? v->after.cells : NULL,
                                        v->page, err);
    if (rc != ARUS_OK)
        return rc;
    if (v->page->nrows == 0) {
        v->dst_end = true;
        return ARUS_OK;
    }
    return dst_row(v, out, err);
}

/* Consume the current destination row: count it and return its hash. */
static uint64_t dst_take(struct vjob *v, const struct arus_cell *row)
{
    uint64_t h = row_hash(v, row);
    v->rep->destination_rows++;
    v->rep->destination_checksum += h;
    v->pos++;
    v->dst_keyed = false;
    return h;
}

static int extra_row(struct vjob *v, const struct arus_cell *drow, struct arus_error *err)
{
    dst_take(v, drow);
    note(v, ARUS_VERIFY_EXTRA, drow);
    return v->delete_extra ? queue_gone(v, drow, err) : ARUS_OK;
}

/* With -vv, for the changed rows whose keys are listed: the columns that differ, both sides in
 * comparison form (cut to 100 bytes), so a report of changed rows can be checked. */
static void log_changed(struct vjob *v, const struct arus_cell *srow, const struct arus_cell *drow)
{
    if (arus_log_get_level() < ARUS_LOG_DEBUG || v->rep->nkeys[ARUS_VERIFY_CHANGED] >= v->max_keys)
        return;
    struct arus_strbuf a, b;
    arus_strbuf_init(&a);
    arus_strbuf_init(&b);
    char *key = key_text(v, srow);
    for (size_t i = 0; i < v->ncmp; i++) {
        enum arus_ltype t = v->dschema.columns[i].type.ltype;
        const char *name = v->dschema.columns[i].name, *from = v->schema->columns[i].name;
        arus_strbuf_reset(&a);
        arus_strbuf_reset(&b);
        if (srow[i].data)
            arus__verify_canon(t, srow[i].data, srow[i].len, &a);
        if (drow[i].data)
            arus__verify_canon(t, drow[i].data, drow[i].len, &b);
        if (!srow[i].data == !drow[i].data && a.len == b.len &&
            (a.len == 0 || memcmp(a.data, b.data, a.len) == 0))
            continue;
        arus_log(ARUS_LOG_DEBUG, "verify",
                 "table \"%s\" key [%s] column \"%s\"%s%s%s: source %s%.100s%s, "
                 "destination %s%.100s%s",
                 v->target->table, key, name, strcmp(name, from) ? " (source \"" : "",
                 strcmp(name, from) ? from : "", strcmp(name, from) ? "\")" : "",
                 srow[i].data ? "\"" : "", srow[i].data ? arus_strbuf_cstr(&a) : "NULL",
                 srow[i].data ? "\"" : "", drow[i].data ? "\"" : "",
                 drow[i].data ? arus_strbuf_cstr(&b) : "NULL", drow[i].data ? "\"" : "");
    }
    free(key);
    arus_strbuf_cleanup(&a);
    arus_strbuf_cleanup(&b);
}

static int64_t drift_rows(const struct arus_verify_table *r)
{
    return r->count[ARUS_VERIFY_MISSING] + r->count[ARUS_VERIFY_EXTRA] +
           r->count[ARUS_VERIFY_CHANGED];
}

/* Start a key range: remember the totals so far. */
static void range_begin(struct vjob *v)
{
    const struct arus_verify_table *r = v->rep;
    v->mark = (struct arus_verify_range){
        .source_rows = r->source_rows,
        .destination_rows = r->destination_rows,
        .source_checksum = r->source_checksum,
        .destination_checksum = r->destination_checksum,
    };
    v->mark_drift = drift_rows(r);
}

/* End the range begun last: count it, and keep it (first/last: heap key texts, taken over or
 * freed) among the first max_keys differing ones when any of its rows differ. */
static void range_end(struct vjob *v, char *first, char *last)
{
    struct arus_verify_table *r = v->rep;
    r->ranges++;
    bool differs = drift_rows(r) != v->mark_drift;
    r->ranges_differing += differs;
    if (!differs || r->nrange >= v->max_keys) {
        free(first);
        free(last);
        return;
    }
    r->range = arus_xrealloc(r->range, (r->nrange + 1) * sizeof *r->range);
    r->range[r->nrange++] = (struct arus_verify_range){
        .first = first,
        .last = last,
        .source_rows = r->source_rows - v->mark.source_rows,
        .destination_rows = r->destination_rows - v->mark.destination_rows,
        .source_checksum = r->source_checksum - v->mark.source_checksum,
        .destination_checksum = r->destination_checksum - v->mark.destination_checksum,
    };
}

static int on_source_batch(void *ctx, struct arus_batch *b, struct arus_error *err)
{
    struct vjob *v = ctx;
    int rc = ARUS_OK;
    if (v->cols)
        arus__hash_cells(v->cols, b); /* what the sync writes, so what the destination holds */
    range_begin(v);
    for (size_t r = 0; r < b->nrows && rc == ARUS_OK; r++) {
        const struct arus_cell *srow = arus_batch_row(b, r);
        uint64_t sh = row_hash(v, srow);
        v->rep->source_rows++;
        v->rep->source_checksum += sh;
        if ((rc = keypair_push(v, &v->skeys, srow, "source", err)))
            break;
        for (;;) {
            const struct arus_cell *drow;
            if ((rc = dst_row(v, &drow, err)))
                break;
            int c =
                drow ? key_compare_canon(v, keypair_top(&v->skeys), keypair_top(&v->dkeys)) : -1;
            if (c > 0) {
                if ((rc = extra_row(v, drow, err)))
                    break;
                continue;
            }
            if (c == 0) {
                if (dst_take(v, drow) == sh) {
                    v->rep->rows_matched++;
                    break;
                }
                log_changed(v, srow, drow);
                note(v, ARUS_VERIFY_CHANGED, srow);
            } else {
                note(v, ARUS_VERIFY_MISSING, srow);
            }
            if (v->repair)
                rc = queue_fix(v, b, srow, err);
            break;
        }
    }
    if (rc == ARUS_OK && b->nrows)
        range_end(v, key_text(v, arus_batch_row(b, 0)),
                  key_text(v, arus_batch_row(b, b->nrows - 1)));
    return rc;
}

/* Merge the whole table: the source stream, then the destination rows left over. */
static int compare_table(struct vjob *v, const struct arus_sync_mode *mode, struct arus_error *err)
{
    struct arus_arena *a = arus_arena_create(0);
    struct arus_extract_plan plan;
    size_t batch = (size_t)v->p->batch_size;
    v->page = arus_batch_create(&v->dschema, batch);
    if (v->repair)
        v->fix = arus_batch_create(&v->dschema, batch);
    if (v->delete_extra)
        v->gone = arus_batch_create(&v->dschema, batch);
    keycopy_init(&v->after, v->nkey);
    keypair_init(&v->skeys, v->nkey);
    keypair_init(&v->dkeys, v->nkey);
    arus_strbuf_init(&v->a);
    int rc = arus__extract_plan_build(&plan, v->schema, mode, ARUS__EXTRACT_BY_KEY, NULL, NULL, 0,
                                      batch, a, err);
    if (rc == ARUS_OK)
        rc = arus__stream(v->src, &plan, on_source_batch, v, err);
    range_begin(v);
    int64_t before = v->rep->destination_rows;
    while (rc == ARUS_OK) {
        const struct arus_cell *drow;
        if ((rc = dst_row(v, &drow, err)) || !drow)
            break;
        rc = extra_row(v, drow, err);
    }
    if (rc == ARUS_OK && v->rep->destination_rows > before)
        range_end(v,
                  v->skeys.k[v->skeys.cur].set ? key_text_canon(v, keypair_top(&v->skeys)) : NULL,
                  NULL);
    if (rc == ARUS_OK)
        rc = flush_fix(v, err);
    if (rc == ARUS_OK)
        rc = flush_gone(v, err);
    arus_strbuf_cleanup(&v->a);
    keycopy_cleanup(&v->after, v->nkey);
    keypair_cleanup(&v->skeys, v->nkey);
    keypair_cleanup(&v->dkeys, v->nkey);
    arus_batch_destroy(v->gone);
    arus_batch_destroy(v->fix);
    arus_batch_destroy(v->page);
    arus_arena_destroy(a);
    return rc;
}

/* A comparison of every column of schema on key columns key[0..nkey) (indexes into schema),
 * reporting into rep, that neither repairs nor deletes. */
static struct vjob vjob_make(struct arus_source *src, struct arus_destination *dst,
                             const struct arus_pipeline *p, const struct arus_target *t,
                             const struct arus_table_schema *schema, size_t *key, size_t nkey,
                             struct arus_verify_table *rep)
{
    return (struct vjob){
        .src = src,
        .dst = dst,
        .p = p,
        .target = t,
        .schema = schema,
        .dschema = *schema,
        .key = key,
        .nkey = nkey,
        .ncmp = schema->ncolumns,
        .rep = rep,
    };
}

/* Free what a table's report owns. */
static void table_report_cleanup(struct arus_verify_table *t)
{
    for (int k = 0; k < ARUS_VERIFY__KINDS; k++) {
        for (size_t j = 0; j < t->nkeys[k]; j++)
            free(t->keys[k][j]);
        free(t->keys[k]);
    }
    for (size_t j = 0; j < t->nrange; j++) {
        free(t->range[j].first);
        free(t->range[j].last);
    }
    free(t->range);
}

/* The key columns of t (in key order, renumbered 1..n) followed by its deleted_at column (the
 * source filters on it), allocated in a: what delete_missing reads. *mode is adjusted to it. */
static struct arus_table_schema *key_schema(struct arus_arena *a, const struct arus_table_schema *t,
                                            const size_t *key, size_t nkey,
                                            const struct arus_sync_mode *mode)
{
    struct arus_table_schema *k = arus_arena_calloc(a, 1, sizeof *k);
    *k = *t;
    k->columns = arus_arena_calloc(a, nkey + 1, sizeof *k->columns);
    for (size_t i = 0; i < nkey; i++) {
        k->columns[i] = t->columns[key[i]];
        k->columns[i].pk_ordinal = (int)i + 1;
    }
    k->ncolumns = nkey;
    int d = mode->deleted_at_column ? arus_schema_find(t, mode->deleted_at_column) : -1;
    if (d >= 0 && t->columns[d].pk_ordinal == 0) {
        k->columns[nkey] = t->columns[d];
        k->ncolumns++;
    }
    return k;
}

/* The destination's rows follow its key order: a hashed key column would not come in the
 * source's, and the merge needs one order on both sides. what: "verify cannot compare a table
 * whose" or "delete_missing cannot compare keys when". */
static int check_hashed_key(const struct arus__columns *c, int code, const char *what,
                            struct arus_error *err)
{
    for (size_t h = 0; h < c->nhashed; h++)
        if (c->extract->columns[c->hashed[h]].pk_ordinal)
            return arus_error_set(err, code,
                                  "%s primary key column \"%s\" is hashed (hash_columns): the "
                                  "destination's rows do not come in the source's key order",
                                  what, c->extract->columns[c->hashed[h]].name);
    return ARUS_OK;
}

int arus__delete_missing_check(const struct arus_destination *dst, const struct arus__columns *c,
                               struct arus_error *err)
{
    bool keyed = false;
    for (size_t i = 0; i < c->extract->ncolumns; i++)
        keyed |= c->extract->columns[i].pk_ordinal > 0;
    if (!keyed)
        return arus_error_set(err, ARUS_ECONFIG,
                              "delete_missing needs a primary key (set primary_key for the table)");
    int rc = check_hashed_key(c, ARUS_ECONFIG, "delete_missing cannot compare keys when", err);
    if (rc)
        return rc;
    if (!arus_destination_can_read_rows(dst) || !arus_destination_can_delete_rows(dst))
        return arus_error_set(err, ARUS_ENOTSUP,
                              "delete_missing: destination \"%s\" (%s) cannot read rows back or "
                              "delete them",
                              dst->endpoint->name, dst->ops->name);
    return ARUS_OK;
}

int arus__delete_missing(struct arus_source *src, struct arus_destination *dst,
                         const struct arus_pipeline *p, const struct arus_target *t,
                         const struct arus__columns *c, const struct arus_sync_mode *mode,
                         int64_t *deleted, struct arus_error *err)
{
    const struct arus_table_schema *schema = c->extract;
    size_t *key = arus_xcalloc(schema->ncolumns + 1, sizeof *key);
    size_t nkey = arus_schema_pk(schema, key);
    struct arus_arena *a = arus_arena_create(0);
    struct arus_verify_table rep;
    memset(&rep, 0, sizeof rep);
    int rc = arus__delete_missing_check(dst, c, err);
    if (rc == ARUS_OK) {
        struct arus_table_schema *ks = key_schema(a, schema, key, nkey, mode);
        struct vjob v = vjob_make(src, dst, p, t, ks, key, nkey, &rep);
        v.ncmp = nkey;
        v.delete_extra = true;
        /* the destination's key columns under their own names (rename) */
        v.dschema.columns = arus_arena_calloc(a, nkey + 1, sizeof *v.dschema.columns);
        v.dschema.ncolumns = nkey;
        for (size_t i = 0; i < nkey; i++) {
            v.dschema.columns[i] = ks->columns[i];
            v.dschema.columns[i].name = c->load->columns[key[i]].name;
            key[i] = i;
        }
        rc = compare_table(&v, mode, err);
    }
    if (rc == ARUS_OK)
        *deleted = rep.rows_deleted;
    table_report_cleanup(&rep);
    arus_arena_destroy(a);
    free(key);
    return rc;
}

/* ---- arus verify */

const char *arus_verify_kind_name(enum arus_verify_kind k)
{
    static const char *const names[] = {"missing", "extra", "changed"};
    return k < ARUS_VERIFY__KINDS ? names[k] : "?";
}

/* Whether name is one of the metadata columns every typed table gets from its own load
 * (_arus_run_id, _arus_synced_at), which a source that is itself an arus destination (a chained
 * pipeline) has too: they differ by design, verify does not compare them. */
static bool own_metadata(const char *name)
{
    return strcmp(name, "_arus_run_id") == 0 || strcmp(name, "_arus_synced_at") == 0;
}

/* The columns verify compares: c (the table's column rules) without the metadata columns, the
 * extract and load schemas and the hashed indexes kept in step (allocated in a). */
static void compared_columns(struct arus_arena *a, struct arus__columns *c)
{
    struct arus_table_schema *x = arus_schema_copy(a, c->extract);
    struct arus_table_schema *l = arus_schema_copy(a, c->load);
    size_t *hashed = arus_arena_calloc(a, x->ncolumns + 1, sizeof *hashed);
    size_t n = 0, nhashed = 0;
    for (size_t i = 0; i < x->ncolumns; i++) {
        if (own_metadata(x->columns[i].name))
            continue;
        for (size_t h = 0; h < c->nhashed; h++)
            if (c->hashed[h] == i)
                hashed[nhashed++] = n;
        x->columns[n] = x->columns[i];
        l->columns[n++] = l->columns[i];
    }
    x->ncolumns = l->ncolumns = n;
    c->extract = x;
    c->load = l;
    c->hashed = hashed;
    c->nhashed = nhashed;
}

/* Compare one table as its column rules say the destination holds it: the kept columns, hashed
 * ones as their HMAC, under their destination names, in the renamed table. */
static int verify_table(struct arus_source *src, struct arus_destination *dst,
                        const struct arus_pipeline *p, const struct arus_verify_options *opt,
                        const struct arus_target *t, struct arus_verify_table *rep,
                        struct arus_error *err)
{
    struct arus_arena *a = arus_arena_create(0);
    struct arus__columns cols;
    struct arus_sync_mode mode;
    struct arus_target dt = *t;
    int wm = -1;
    size_t *key = NULL;
    int rc = arus__table_columns(src, p, t->table, a, &cols, err);
    if (rc == ARUS_OK)
        rc = arus__resolve_mode(src, p, t->table, false, cols.extract, &mode, &wm, err);
    if (rc == ARUS_OK) {
        compared_columns(a, &cols);
        dt.dest_table = cols.dest_table;
        key = arus_xcalloc(cols.extract->ncolumns + 1, sizeof *key);
        size_t nkey = arus_schema_pk(cols.extract, key);
        if (nkey == 0) {
            /* Rows without a key cannot be matched one to one; docs/consistency.md. */
            rep->skipped = true;
            arus_log(ARUS_LOG_WARN, "verify",
                     "table \"%s\": no primary key, not verified (set primary_key for it)",
                     t->table);
        } else if ((rc = check_hashed_key(&cols, ARUS_ENOTSUP,
                                          "verify cannot compare a table whose", err)) == ARUS_OK) {
            struct vjob v = vjob_make(src, dst, p, &dt, cols.extract, key, nkey, rep);
            v.dschema = *cols.load;
            v.cols = &cols;
            v.repair = v.delete_extra = opt->repair;
            v.max_keys = opt->max_keys ? opt->max_keys : 10;
            rc = compare_table(&v, &mode, err);
        }
    }
    free(key);
    arus_arena_destroy(a);
    return rc;
}

int arus_verify_run(struct arus_source *src, struct arus_destination *dst,
                    const struct arus_pipeline *p, const struct arus_verify_options *opt,
                    struct arus_verify_report *report, struct arus_error *err)
{
    memset(report, 0, sizeof *report);
    struct arus_arena *a = arus_arena_create(0);
    const char **tables = NULL;
    size_t ntables = 0;
    bool locked = false;
    char run_id[37];
    arus_uuid_v4(run_id);
    int rc = ARUS_OK;
    if (!(p->load_mode & ARUS_LOAD_NORMALIZED)) {
        rc = arus_error_set(err, ARUS_ENOTSUP,
                            "pipeline \"%s\" loads raw tables only: there are no typed tables to "
                            "verify",
                            p->name);
        goto out;
    }
    if ((rc = arus_source_connect(src, err)) || (rc = arus_destination_connect(dst, err)))
        goto out;
    if (!arus_destination_can_read_rows(dst)) {
        rc = arus_error_set(err, ARUS_ENOTSUP, "destination \"%s\" (%s) cannot read rows back",
                            dst->endpoint->name, dst->ops->name);
        goto out;
    }
    if (opt->repair) {
        if ((rc = arus_destination_ensure_state(dst, err)) ||
            (rc = arus_destination_lock(dst, p->name, err)))
            goto out;
        locked = true;
    }
    if ((rc = arus__select_tables(src, p, opt->table, a, &tables, &ntables, err)))
        goto out;
    report->tables = arus_xcalloc(ntables ? ntables : 1, sizeof *report->tables);
    report->ntables = ntables;
    for (size_t i = 0; i < ntables; i++) {
        struct arus_verify_table *r = &report->tables[i];
        struct arus_target t = {
            .pipeline = p->name,
            .source_name = src->endpoint->name,
            .table = tables[i],
            .raw_schema = p->raw_schema,
            .target_schema = p->target_schema,
            .run_id = run_id,
        };
        struct arus_error terr;
        arus_error_clear(&terr);
        double started = arus_monotonic();
        snprintf(r->table, sizeof r->table, "%s", tables[i]);
        r->status = verify_table(src, dst, p, opt, &t, r, &terr);
        r->seconds = arus_monotonic() - started;
        if (r->status != ARUS_OK) {
            arus_error_prefix(&terr, "table \"%s\"", tables[i]);
            snprintf(r->error, sizeof r->error, "%s", terr.msg);
            if (report->failed++ == 0) {
                rc = r->status;
                arus_error_set(err, rc, "%s", terr.msg);
            }
        } else if (drift_rows(r) > 0) {
            report->drifted++;
        }
    }
out:
    if (locked)
        arus__unlock_quietly(dst, p->name);
    arus_arena_destroy(a);
    return rc;
}

int arus_verify_pipeline(const struct arus_config *cfg, const char *name,
                         const struct arus_verify_options *opt, struct arus_verify_report *report,
                         struct arus_error *err)
{
    const struct arus_pipeline *p = arus_config_pipeline(cfg, name);
    memset(report, 0, sizeof *report);
    if (!p)
        return arus_error_set(err, ARUS_ECONFIG, "%s: no pipeline named \"%s\"", cfg->path, name);
    struct arus_source *src = NULL;
    struct arus_destination *dst = NULL;
    int rc = arus__pipeline_endpoints(cfg, p, &src, &dst, err);
    if (rc == ARUS_OK)
        rc = arus_verify_run(src, dst, p, opt, report, err);
    arus_destination_close(dst);
    arus_source_close(src);
    return rc;
}

void arus_verify_report_cleanup(struct arus_verify_report *r)
{
    for (size_t i = 0; i < r->ntables; i++)
        table_report_cleanup(&r->tables[i]);
    free(r->tables);
    memset(r, 0, sizeof *r);
}

/* MongoDB translation of an extract plan: the rows filter, the range on the watermark (a
 * keyset bound as $or of its tie-breaks behind a leading $gte/$lte that an index serves) and
 * the sort document. Conditions are built as separate documents and joined with $and/$or. */
#include "connectors/mongodb/extract.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "arus/arena.h"
#include "arus/util.h"

/* The conditions one $and or $or joins (a plan has at most a handful). */
#define MONGO_MAX_CONDS 4

struct mongo_conds {
    bson_t doc[MONGO_MAX_CONDS];
    size_t n;
};

static bson_t *mongo_cond(struct mongo_conds *c)
{
    assert(c->n < MONGO_MAX_CONDS);
    bson_init(&c->doc[c->n]);
    return &c->doc[c->n++];
}

static void mongo_conds_cleanup(struct mongo_conds *c)
{
    for (size_t i = 0; i < c->n; i++)
        bson_destroy(&c->doc[i]);
    c->n = 0;
}

/* Append to out the join of the conditions with op ($and/$or); a lone condition of an $and
 * is merged as is. The conditions are destroyed. */
static void mongo_join(bson_t *out, const char *op, struct mongo_conds *c)
{
    if (c->n == 1 && strcmp(op, "$and") == 0) {
        bson_concat(out, &c->doc[0]);
    } else if (c->n) {
        bson_t arr;
        bson_append_array_begin(out, op, -1, &arr);
        for (size_t i = 0; i < c->n; i++) {
            char buf[16];
            const char *key;
            bson_uint32_to_string((uint32_t)i, &key, buf, sizeof buf);
            bson_append_document(&arr, key, -1, &c->doc[i]);
        }
        bson_append_array_end(out, &arr);
    }
    mongo_conds_cleanup(c);
}

static const char *mongo_name(const struct arus_extract_plan *p, size_t col)
{
    return p->table->columns[col].name;
}

/* {name: {op: v}} into doc. */
static void mongo_op(bson_t *doc, const char *name, const char *op, const bson_value_t *v)
{
    bson_t sub;
    bson_append_document_begin(doc, name, -1, &sub);
    bson_append_value(&sub, op, -1, v);
    bson_append_document_end(doc, &sub);
}

/* text as column col's BSON value (v borrows text). A date between two milliseconds cannot
 * equal a stored one: *exact says so, and v is the next millisecond up (lower bounds) or down
 * (upper bounds), which keeps the same documents. */
static int mongo_value(const struct arus_extract_plan *p, size_t col, const char *text, bool lower,
                       bson_value_t *v, bool *exact, struct arus_error *err)
{
    const struct arus_column *c = &p->table->columns[col];
    size_t len = strlen(text);
    int64_t us;
    char *end;
    bool ok = true;
    memset(v, 0, sizeof *v);
    *exact = true;
    switch (c->type.ltype) {
    case ARUS_T_TIMESTAMPTZ:
        ok = arus_parse_timestamp(text, len, &us);
        *exact = !ok || us % 1000 == 0;
        v->value_type = BSON_TYPE_DATE_TIME;
        v->value.v_datetime = ok ? us / 1000 - (us % 1000 < 0) + (!*exact && lower) : 0;
        break;
    case ARUS_T_INT64:
        v->value_type = BSON_TYPE_INT64;
        v->value.v_int64 = strtoll(text, &end, 10);
        ok = len > 0 && *end == '\0';
        break;
    case ARUS_T_FLOAT64:
        v->value_type = BSON_TYPE_DOUBLE;
        v->value.v_double = strtod(text, &end);
        ok = len > 0 && *end == '\0';
        break;
    case ARUS_T_DECIMAL:
        v->value_type = BSON_TYPE_DECIMAL128;
        ok = bson_decimal128_from_string(text, &v->value.v_decimal128);
        break;
    case ARUS_T_STRING:
        if (c->source_type && strcmp(c->source_type, "objectId") == 0 && len == 24 &&
            bson_oid_is_valid(text, len)) {
            v->value_type = BSON_TYPE_OID;
            bson_oid_init_from_string(&v->value.v_oid, text);
        } else {
            v->value_type = BSON_TYPE_UTF8;
            v->value.v_utf8.str = (char *)text;
            v->value.v_utf8.len = (uint32_t)len;
        }
        break;
    default:
        return arus_error_set(err, ARUS_EINVAL,
                              "watermark column \"%s\" of \"%s\": type %s cannot be a watermark",
                              c->name, p->table->name, arus_ltype_name(c->type.ltype));
    }
    if (!ok)
        return arus_error_set(err, ARUS_EDATA,
                              "watermark \"%s\" for column \"%s\" of \"%s\" is "
                              "not a valid %s",
                              text, c->name, p->table->name, arus_ltype_name(c->type.ltype));
    return ARUS_OK;
}

/* Position i of a bound's tuple: 0 is the watermark, then the key columns. */
static size_t mongo_tuple_col(const struct arus_extract_plan *p, size_t i)
{
    return i == 0 ? (size_t)p->watermark : p->key[i - 1];
}

/* The condition of bound b into doc: {wm: {$gte: w}} or, with a key,
 * {wm: {$gte: w}, $or: [{wm: {$gt: w}}, {wm: w, k: {$gte: k}}]}. */
static int mongo_bound(const struct arus_extract_plan *p, const struct arus_extract_bound *b,
                       bool lower, bson_t *doc, struct arus_error *err)
{
    size_t n = b->key ? 1 + p->nkey : 1;
    bson_value_t *v = arus_xcalloc(n, sizeof *v);
    bool exact = true, inclusive = b->inclusive;
    int rc = ARUS_OK;
    for (size_t i = 0; i < n && rc == ARUS_OK; i++) {
        bool e;
        rc = mongo_value(p, mongo_tuple_col(p, i), i ? b->key[i - 1] : b->watermark, lower, &v[i],
                         &e, err);
        exact = exact && (i > 0 || e);
    }
    if (rc != ARUS_OK)
        goto out;
    if (!exact) { /* no document has this watermark, so the key cannot break a tie */
        n = 1;
        inclusive = true;
    }
    const char *strict = lower ? "$gt" : "$lt";
    const char *last = inclusive ? (lower ? "$gte" : "$lte") : strict;
    if (n == 1) {
        mongo_op(doc, mongo_name(p, (size_t)p->watermark), last, &v[0]);
        goto out;
    }
    mongo_op(doc, mongo_name(p, (size_t)p->watermark), lower ? "$gte" : "$lte", &v[0]);
    bson_t alts;
    bson_append_array_begin(doc, "$or", -1, &alts);
    for (size_t i = 0; i < n; i++) {
        char buf[16];
        const char *key;
        bson_t alt;
        bson_uint32_to_string((uint32_t)i, &key, buf, sizeof buf);
        bson_append_document_begin(&alts, key, -1, &alt);
        for (size_t j = 0; j < i; j++)
            bson_append_value(&alt, mongo_name(p, mongo_tuple_col(p, j)), -1, &v[j]);
        mongo_op(&alt, mongo_name(p, mongo_tuple_col(p, i)), i + 1 == n ? last : strict, &v[i]);
        bson_append_document_end(&alts, &alt);
    }
    bson_append_array_end(doc, &alts);
out:
    free(v);
    return rc;
}

/* The range on the watermark (arus/source.h) as one condition in out; none when every
 * document qualifies. */
static int mongo_range(const struct arus_extract_plan *p, struct mongo_conds *out,
                       struct arus_error *err)
{
    const char *wm = mongo_name(p, (size_t)p->watermark);
    struct mongo_conds bounds = {.n = 0}, alts = {.n = 0};
    int rc = ARUS_OK;
    if (p->lower.watermark)
        rc = mongo_bound(p, &p->lower, true, mongo_cond(&bounds), err);
    if (rc == ARUS_OK && p->upper.watermark)
        rc = mongo_bound(p, &p->upper, false, mongo_cond(&bounds), err);
    if (rc == ARUS_OK && p->nulls == ARUS_NULLS_FIRST && bounds.n)
        BSON_APPEND_NULL(mongo_cond(&alts), wm);
    if (rc == ARUS_OK && bounds.n)
        mongo_join(mongo_cond(&alts), "$and", &bounds);
    else if (rc == ARUS_OK && p->nulls == ARUS_NULLS_EXCLUDED)
        BCON_APPEND(mongo_cond(&alts), wm, "{", "$ne", BCON_NULL, "}");
    if (rc == ARUS_OK && p->deleted_at_bounded && p->lower.watermark) {
        bson_value_t v;
        bool exact;
        rc = mongo_value(p, (size_t)p->deleted_at, p->lower.watermark, true, &v, &exact, err);
        if (rc == ARUS_OK)
            mongo_op(mongo_cond(&alts), mongo_name(p, (size_t)p->deleted_at), "$gte", &v);
    }
    if (rc == ARUS_OK && alts.n == 1)
        mongo_join(mongo_cond(out), "$and", &alts);
    else if (rc == ARUS_OK && alts.n)
        mongo_join(mongo_cond(out), "$or", &alts);
    mongo_conds_cleanup(&bounds); /* what a failure left */
    mongo_conds_cleanup(&alts);
    return rc;
}

/* The key range (arus_extract_key_range) as one condition per end in out: {k: {$gte: lo}},
 * {k: {$lt: hi}}. A key here is one field (MongoDB's _id). */
static int mongo_key_range(const struct arus_extract_plan *p, struct mongo_conds *out,
                           struct arus_error *err)
{
    const struct arus_extract_key_range *r = &p->key_range;
    const char *const *ends[2] = {r->lower, r->upper};
    if (!r->lower && !r->upper)
        return ARUS_OK;
    if (p->nkey != 1)
        return arus_error_set(err, ARUS_EINVAL,
                              "key range of \"%s\" over %zu key fields: MongoDB ranges take one",
                              p->table->name, p->nkey);
    for (size_t e = 0; e < 2; e++) {
        if (!ends[e])
            continue;
        bson_value_t v;
        bool exact;
        int rc = mongo_value(p, p->key[0], ends[e][0], e == 0, &v, &exact, err);
        if (rc != ARUS_OK)
            return rc;
        /* a value no document can hold was moved inside the range (mongo_value) */
        bool inclusive = (e == 0 && r->lower_inclusive) || !exact;
        const char *op = e == 0 ? (inclusive ? "$gte" : "$gt") : (inclusive ? "$lte" : "$lt");
        mongo_op(mongo_cond(out), mongo_name(p, p->key[0]), op, &v);
    }
    return ARUS_OK;
}

int arus__mongo_extract_filter(const struct arus_extract_plan *p, bson_t *filter, bson_t *sort,
                               struct arus_error *err)
{
    struct mongo_conds conds = {.n = 0};
    int rc = ARUS_OK;
    if (p->rows == ARUS_ROWS_LIVE)
        BSON_APPEND_NULL(mongo_cond(&conds), mongo_name(p, (size_t)p->deleted_at));
    else if (p->rows == ARUS_ROWS_DELETED)
        BCON_APPEND(mongo_cond(&conds), mongo_name(p, (size_t)p->deleted_at), "{", "$ne", BCON_NULL,
                    "}");
    if (p->watermark >= 0)
        rc = mongo_range(p, &conds, err);
    if (rc == ARUS_OK)
        rc = mongo_key_range(p, &conds, err);
    if (rc == ARUS_OK)
        mongo_join(filter, "$and", &conds);
    mongo_conds_cleanup(&conds);
    if (rc != ARUS_OK || !p->ordered)
        return rc;
    if (p->watermark >= 0)
        BSON_APPEND_INT32(sort, mongo_name(p, (size_t)p->watermark), 1);
    for (size_t i = 0; i < p->nkey; i++)
        BSON_APPEND_INT32(sort, mongo_name(p, p->key[i]), 1);
    return ARUS_OK;
}

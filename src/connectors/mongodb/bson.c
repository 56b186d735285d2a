/* BSON inference and conversion for the MongoDB source (see bson.h). Types are tracked
 * per field as a bit mask of the BSON type codes seen, so widening is a pure function of the
 * mask, and the same rules decide at extract time whether a value fits its column. */
#include "connectors/mongodb/bson.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arus/arena.h"
#include "arus/util.h"

/* ---- type masks: bit = BSON type code (0x01..0x13), maxKey/minKey on bits 20/21 */

#define TB(t)      (1u << (t))
#define TB_MAXKEY  (1u << 20)
#define TB_MINKEY  (1u << 21)
#define TB_NULLISH (TB(BSON_TYPE_NULL) | TB(BSON_TYPE_UNDEFINED))
#define TB_INTS    (TB(BSON_TYPE_INT32) | TB(BSON_TYPE_INT64))
/* Types that map to text on their own ("other -> text"); mixing them still gives text. */
#define TB_TEXTLIKE                                                                                \
    (TB(BSON_TYPE_UTF8) | TB(BSON_TYPE_OID) | TB(BSON_TYPE_REGEX) | TB(BSON_TYPE_DBPOINTER) |      \
     TB(BSON_TYPE_CODE) | TB(BSON_TYPE_SYMBOL) | TB(BSON_TYPE_CODEWSCOPE) |                        \
     TB(BSON_TYPE_TIMESTAMP) | TB_MAXKEY | TB_MINKEY)

static uint32_t mongo_type_bit(bson_type_t t)
{
    if (t == BSON_TYPE_MAXKEY)
        return TB_MAXKEY;
    if (t == BSON_TYPE_MINKEY)
        return TB_MINKEY;
    return (unsigned)t <= 0x13 ? TB(t) : 0;
}

/* Names as MongoDB's $type operator spells them, indexed by bit. */
static const char *const mongo_type_names[22] = {
    [BSON_TYPE_DOUBLE] = "double",
    [BSON_TYPE_UTF8] = "string",
    [BSON_TYPE_DOCUMENT] = "object",
    [BSON_TYPE_ARRAY] = "array",
    [BSON_TYPE_BINARY] = "binData",
    [BSON_TYPE_UNDEFINED] = "undefined",
    [BSON_TYPE_OID] = "objectId",
    [BSON_TYPE_BOOL] = "bool",
    [BSON_TYPE_DATE_TIME] = "date",
    [BSON_TYPE_NULL] = "null",
    [BSON_TYPE_REGEX] = "regex",
    [BSON_TYPE_DBPOINTER] = "dbPointer",
    [BSON_TYPE_CODE] = "javascript",
    [BSON_TYPE_SYMBOL] = "symbol",
    [BSON_TYPE_CODEWSCOPE] = "javascriptWithScope",
    [BSON_TYPE_INT32] = "int",
    [BSON_TYPE_TIMESTAMP] = "timestamp",
    [BSON_TYPE_INT64] = "long",
    [BSON_TYPE_DECIMAL128] = "decimal",
    [20] = "maxKey",
    [21] = "minKey",
};

/* The widening rules of issue 4: one type maps by the spec's table; int32+int64 -> int64,
 * ints+double -> double, ints+decimal -> decimal, anything with a string (or only text-like
 * types) -> text, document+array -> json, any other mix -> json. Null alone -> text. */
static struct arus_type mongo_mask_type(uint32_t mask)
{
    struct arus_type t = {.ltype = ARUS_T_STRING};
    uint32_t m = mask & ~TB_NULLISH;
    if (m == 0)
        return t;
    if ((m & ~TB_INTS) == 0)
        t.ltype = ARUS_T_INT64;
    else if ((m & ~(TB_INTS | TB(BSON_TYPE_DOUBLE))) == 0)
        t.ltype = ARUS_T_FLOAT64;
    else if ((m & ~(TB_INTS | TB(BSON_TYPE_DECIMAL128))) == 0)
        t.ltype = ARUS_T_DECIMAL;
    else if (m == TB(BSON_TYPE_BOOL))
        t.ltype = ARUS_T_BOOL;
    else if (m == TB(BSON_TYPE_DATE_TIME))
        t.ltype = ARUS_T_TIMESTAMPTZ;
    else if (m == TB(BSON_TYPE_BINARY))
        t.ltype = ARUS_T_BYTES;
    else if (m == TB(BSON_TYPE_OID))
        t.length = 48;
    else if ((m & TB(BSON_TYPE_UTF8)) || (m & ~TB_TEXTLIKE) == 0)
        t.ltype = ARUS_T_STRING;
    else
        t.ltype = ARUS_T_JSON;
    return t;
}

static char *mongo_mask_name(uint32_t mask, struct arus_arena *a)
{
    struct arus_strbuf sb;
    arus_strbuf_init(&sb);
    for (unsigned bit = 0; bit < 22; bit++) {
        if (!(mask & (1u << bit)) || !mongo_type_names[bit])
            continue;
        if (sb.len)
            arus_strbuf_putc(&sb, '|');
        arus_strbuf_puts(&sb, mongo_type_names[bit]);
    }
    char *s = arus_arena_strdup(a, sb.len ? sb.data : "null");
    arus_strbuf_cleanup(&sb);
    return s;
}

/* ---- inference */

struct mongo_field {
    char *name;
    uint32_t mask;
};

struct mongo_infer {
    struct mongo_field *f; /* f[0] is always _id */
    size_t n, cap;
    size_t hint;
};

struct mongo_infer *arus__mongo_infer_create(void)
{
    struct mongo_infer *inf = arus_xcalloc(1, sizeof *inf);
    inf->cap = 16;
    inf->f = arus_xcalloc(inf->cap, sizeof *inf->f);
    inf->f[0].name = arus_xstrdup("_id");
    inf->n = 1;
    return inf;
}

void arus__mongo_infer_destroy(struct mongo_infer *inf)
{
    if (!inf)
        return;
    for (size_t i = 0; i < inf->n; i++)
        free(inf->f[i].name);
    free(inf->f);
    free(inf);
}

static struct mongo_field *mongo_infer_field(struct mongo_infer *inf, const char *key)
{
    if (inf->hint < inf->n && strcmp(inf->f[inf->hint].name, key) == 0)
        return &inf->f[inf->hint++];
    for (size_t i = 0; i < inf->n; i++) {
        if (strcmp(inf->f[i].name, key) == 0) {
            inf->hint = i + 1;
            return &inf->f[i];
        }
    }
    if (inf->n == inf->cap) {
        inf->cap *= 2;
        inf->f = arus_xrealloc(inf->f, inf->cap * sizeof *inf->f);
    }
    inf->f[inf->n] = (struct mongo_field){.name = arus_xstrdup(key)};
    inf->hint = inf->n + 1;
    return &inf->f[inf->n++];
}

/* A field gets a column unless its name cannot be one: empty, or our own extra column. */
static bool mongo_column_name_ok(const char *key)
{
    return key[0] != '\0' && strcmp(key, MONGO_EXTRA_COLUMN) != 0;
}

void arus__mongo_infer_add(struct mongo_infer *inf, const bson_t *doc)
{
    bson_iter_t it;
    if (!bson_iter_init(&it, doc))
        return;
    inf->hint = 0;
    while (bson_iter_next(&it)) {
        const char *key = bson_iter_key(&it);
        if (mongo_column_name_ok(key))
            mongo_infer_field(inf, key)->mask |= mongo_type_bit(bson_iter_type(&it));
    }
}

struct arus_table_schema *arus__mongo_infer_schema(const struct mongo_infer *inf,
                                                   struct arus_arena *a, const char *name)
{
    struct arus_table_schema *t = arus_arena_calloc(a, 1, sizeof *t);
    t->name = arus_arena_strdup(a, name);
    t->row_count_estimate = -1;
    t->ncolumns = inf->n + 1;
    t->columns = arus_arena_calloc(a, t->ncolumns, sizeof *t->columns);
    for (size_t i = 0; i < inf->n; i++) {
        struct arus_column *c = &t->columns[i];
        c->name = arus_arena_strdup(a, inf->f[i].name);
        c->source_type = mongo_mask_name(inf->f[i].mask, a);
        c->type = mongo_mask_type(inf->f[i].mask);
        c->nullable = true;
    }
    /* _id is the key and must be one comparable type in every destination: text. */
    struct arus_column *id = &t->columns[0];
    uint32_t idmask = inf->f[0].mask & ~TB_NULLISH;
    id->type = (struct arus_type){.ltype = ARUS_T_STRING,
                                  .length = (idmask & ~TB(BSON_TYPE_OID)) == 0 ? 48 : 0};
    if (idmask == 0)
        id->source_type = arus_arena_strdup(a, "objectId");
    id->nullable = false;
    id->pk_ordinal = 1;
    struct arus_column *x = &t->columns[inf->n];
    x->name = arus_arena_strdup(a, MONGO_EXTRA_COLUMN);
    x->source_type = arus_arena_strdup(a, "object");
    x->type.ltype = ARUS_T_JSON;
    x->nullable = true;
    return t;
}

/* ---- scalar renderings */

static void mongo_put_double(double d, struct arus_strbuf *sb)
{
    char buf[32];
    if (isnan(d)) {
        arus_strbuf_puts(sb, "NaN");
        return;
    }
    if (isinf(d)) {
        arus_strbuf_puts(sb, d < 0 ? "-Infinity" : "Infinity");
        return;
    }
    /* Shortest of 15..17 significant digits that reads back as the same double. */
    arus_strbuf_append(sb, buf, (size_t)arus_format_double(buf, sizeof buf, d));
}

/* BSON datetimes outside years 1..9999 have no canonical timestamp text. */
#define MONGO_MIN_MS INT64_C(-62135596800000)
#define MONGO_MAX_MS INT64_C(253402300799999)

static bool mongo_put_date(int64_t ms, bool iso, struct arus_strbuf *sb)
{
    if (ms < MONGO_MIN_MS || ms > MONGO_MAX_MS)
        return false;
    char buf[40];
    arus_format_timestamp(ms * 1000, buf, sizeof buf);
    if (iso) {
        char *sp = strchr(buf, ' ');
        if (sp)
            *sp = 'T';
    }
    arus_strbuf_puts(sb, buf);
    if (iso)
        arus_strbuf_putc(sb, 'Z');
    return true;
}

static void mongo_put_oid(const bson_oid_t *oid, struct arus_strbuf *sb)
{
    char hex[25];
    bson_oid_to_string(oid, hex);
    arus_strbuf_append(sb, hex, 24);
}

static void mongo_put_uuid(const uint8_t *p, struct arus_strbuf *sb)
{
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            arus_strbuf_putc(sb, '-');
        arus_strbuf_appendf(sb, "%02x", p[i]);
    }
}

static bool mongo_is_uuid(bson_subtype_t st, uint32_t len)
{
    return (st == BSON_SUBTYPE_UUID || st == BSON_SUBTYPE_UUID_DEPRECATED) && len == 16;
}

bool arus__mongo_decimal_to_text(const bson_decimal128_t *d, struct arus_strbuf *sb)
{
    char s[BSON_DECIMAL128_STRING];
    bson_decimal128_to_string(d, s);
    if (strcmp(s, "NaN") == 0) {
        arus_strbuf_puts(sb, "NaN");
        return true;
    }
    if (strstr(s, "Inf"))
        return false;
    /* libbson prints [-]digits[.digits][E[+-]exp]; rewrite without the exponent, keeping
     * every digit (trailing zeros carry the scale). */
    const char *p = s;
    bool neg = *p == '-';
    if (neg)
        p++;
    char digits[BSON_DECIMAL128_STRING];
    size_t nd = 0;
    long frac = 0;
    bool dot = false;
    for (; *p && *p != 'E'; p++) {
        if (*p == '.') {
            dot = true;
            continue;
        }
        digits[nd++] = *p;
        frac += dot;
    }
    long exp = *p == 'E' ? strtol(p + 1, NULL, 10) : 0;
    long scale = frac - exp; /* digits after the point in the plain form */
    if (neg)
        arus_strbuf_putc(sb, '-');
    if (scale <= 0) {
        size_t skip = 0;
        while (skip + 1 < nd && digits[skip] == '0')
            skip++;
        arus_strbuf_append(sb, digits + skip, nd - skip);
        if (!(nd - skip == 1 && digits[skip] == '0'))
            for (long i = 0; i < -scale; i++)
                arus_strbuf_putc(sb, '0');
        return true;
    }
    if ((long)nd > scale) {
        size_t ip = nd - (size_t)scale, skip = 0;
        while (skip + 1 < ip && digits[skip] == '0')
            skip++;
        arus_strbuf_append(sb, digits + skip, ip - skip);
        arus_strbuf_putc(sb, '.');
        arus_strbuf_append(sb, digits + ip, (size_t)scale);
    } else {
        arus_strbuf_puts(sb, "0.");
        for (long i = 0; i < scale - (long)nd; i++)
            arus_strbuf_putc(sb, '0');
        arus_strbuf_append(sb, digits, nd);
    }
    return true;
}

/* ---- JSON */

/* Members of a document or array; it is positioned before the first member. */
static void mongo_members_to_json(bson_iter_t *it, bool array, struct arus_strbuf *sb)
{
    arus_strbuf_putc(sb, array ? '[' : '{');
    bool first = true;
    while (bson_iter_next(it)) {
        if (!first)
            arus_strbuf_putc(sb, ',');
        first = false;
        if (!array) {
            arus_json_quote(sb, bson_iter_key(it), bson_iter_key_len(it));
            arus_strbuf_putc(sb, ':');
        }
        arus__mongo_value_to_json(it, sb);
    }
    arus_strbuf_putc(sb, array ? ']' : '}');
}

static void mongo_doc_to_json(const bson_iter_t *parent, bool array, struct arus_strbuf *sb)
{
    bson_iter_t it;
    if (bson_iter_recurse(parent, &it))
        mongo_members_to_json(&it, array, sb);
    else
        arus_strbuf_puts(sb, array ? "[]" : "{}");
}

static void mongo_binary_to_json(const bson_iter_t *it, struct arus_strbuf *sb)
{
    bson_subtype_t st;
    uint32_t len;
    const uint8_t *p;
    bson_iter_binary(it, &st, &len, &p);
    if (mongo_is_uuid(st, len)) {
        arus_strbuf_putc(sb, '"');
        mongo_put_uuid(p, sb);
        arus_strbuf_putc(sb, '"');
        return;
    }
    if (st == BSON_SUBTYPE_BINARY) {
        arus_strbuf_putc(sb, '"');
        arus_base64_append(sb, p, len);
        arus_strbuf_putc(sb, '"');
        return;
    }
    arus_strbuf_puts(sb, "{\"$binary\":{\"base64\":\"");
    arus_base64_append(sb, p, len);
    arus_strbuf_appendf(sb, "\",\"subType\":\"%02x\"}}", (unsigned)st);
}

static void mongo_json_string(const char *s, uint32_t len, struct arus_strbuf *sb)
{
    arus_json_quote(sb, s, len);
}

/* {"<key>":"<s as a JSON string>"}: extended JSON's form of a BSON string with a type tag. */
static void mongo_json_wrapped_string(const char *key, const char *s, uint32_t len,
                                      struct arus_strbuf *sb)
{
    arus_strbuf_appendf(sb, "{\"%s\":", key);
    mongo_json_string(s, len, sb);
    arus_strbuf_putc(sb, '}');
}

void arus__mongo_value_to_json(const bson_iter_t *it, struct arus_strbuf *sb)
{
    uint32_t len;
    const char *s;
    switch (bson_iter_type(it)) {
    case BSON_TYPE_DOUBLE: {
        double d = bson_iter_double(it);
        bool finite = isfinite(d);
        if (!finite)
            arus_strbuf_putc(sb, '"');
        mongo_put_double(d, sb);
        if (!finite)
            arus_strbuf_putc(sb, '"');
        break;
    }
    case BSON_TYPE_UTF8:
        s = bson_iter_utf8(it, &len);
        mongo_json_string(s, len, sb);
        break;
    case BSON_TYPE_DOCUMENT:
        mongo_doc_to_json(it, false, sb);
        break;
    case BSON_TYPE_ARRAY:
        mongo_doc_to_json(it, true, sb);
        break;
    case BSON_TYPE_BINARY:
        mongo_binary_to_json(it, sb);
        break;
    case BSON_TYPE_OID:
        arus_strbuf_putc(sb, '"');
        mongo_put_oid(bson_iter_oid(it), sb);
        arus_strbuf_putc(sb, '"');
        break;
    case BSON_TYPE_BOOL:
        arus_strbuf_puts(sb, bson_iter_bool(it) ? "true" : "false");
        break;
    case BSON_TYPE_DATE_TIME: {
        int64_t ms = bson_iter_date_time(it);
        if (ms < MONGO_MIN_MS || ms > MONGO_MAX_MS) {
            /* No ISO text outside years 1..9999: extended JSON's numeric form. */
            arus_strbuf_appendf(sb, "{\"$date\":{\"$numberLong\":\"%" PRId64 "\"}}", ms);
            break;
        }
        arus_strbuf_putc(sb, '"');
        mongo_put_date(ms, true, sb);
        arus_strbuf_putc(sb, '"');
        break;
    }
    case BSON_TYPE_REGEX: {
        const char *opts;
        const char *re = bson_iter_regex(it, &opts);
        arus_strbuf_puts(sb, "{\"$regularExpression\":{\"pattern\":");
        mongo_json_string(re, (uint32_t)strlen(re), sb);
        arus_strbuf_puts(sb, ",\"options\":");
        mongo_json_string(opts, (uint32_t)strlen(opts), sb);
        arus_strbuf_puts(sb, "}}");
        break;
    }
    case BSON_TYPE_DBPOINTER: {
        const bson_oid_t *oid;
        bson_iter_dbpointer(it, &len, &s, &oid);
        arus_strbuf_puts(sb, "{\"$dbPointer\":{\"$ref\":");
        mongo_json_string(s, len, sb);
        arus_strbuf_puts(sb, ",\"$id\":{\"$oid\":\"");
        mongo_put_oid(oid, sb);
        arus_strbuf_puts(sb, "\"}}}");
        break;
    }
    case BSON_TYPE_CODE:
        s = bson_iter_code(it, &len);
        mongo_json_wrapped_string("$code", s, len, sb);
        break;
    case BSON_TYPE_SYMBOL:
        s = bson_iter_symbol(it, &len);
        mongo_json_wrapped_string("$symbol", s, len, sb);
        break;
    case BSON_TYPE_CODEWSCOPE: {
        uint32_t slen;
        const uint8_t *scope;
        bson_t sc;
        s = bson_iter_codewscope(it, &len, &slen, &scope);
        arus_strbuf_puts(sb, "{\"$code\":");
        mongo_json_string(s, len, sb);
        arus_strbuf_puts(sb, ",\"$scope\":");
        bson_iter_t sit;
        if (bson_init_static(&sc, scope, slen) && bson_iter_init(&sit, &sc))
            mongo_members_to_json(&sit, false, sb);
        else
            arus_strbuf_puts(sb, "{}");
        arus_strbuf_putc(sb, '}');
        break;
    }
    case BSON_TYPE_INT32:
        arus_strbuf_appendf(sb, "%" PRId32, bson_iter_int32(it));
        break;
    case BSON_TYPE_TIMESTAMP: {
        uint32_t t, i;
        bson_iter_timestamp(it, &t, &i);
        arus_strbuf_appendf(sb, "{\"$timestamp\":{\"t\":%" PRIu32 ",\"i\":%" PRIu32 "}}", t, i);
        break;
    }
    case BSON_TYPE_INT64:
        arus_strbuf_appendf(sb, "%" PRId64, bson_iter_int64(it));
        break;
    case BSON_TYPE_DECIMAL128: {
        bson_decimal128_t d;
        char txt[BSON_DECIMAL128_STRING];
        bson_iter_decimal128(it, &d);
        bson_decimal128_to_string(&d, txt);
        /* libbson's finite form is a valid JSON number; NaN/Infinity are not. */
        bool finite = strcmp(txt, "NaN") != 0 && !strstr(txt, "Inf");
        if (!finite)
            arus_strbuf_putc(sb, '"');
        arus_strbuf_puts(sb, txt);
        if (!finite)
            arus_strbuf_putc(sb, '"');
        break;
    }
    case BSON_TYPE_MAXKEY:
        arus_strbuf_puts(sb, "{\"$maxKey\":1}");
        break;
    case BSON_TYPE_MINKEY:
        arus_strbuf_puts(sb, "{\"$minKey\":1}");
        break;
    case BSON_TYPE_NULL:
    case BSON_TYPE_UNDEFINED:
    default:
        arus_strbuf_puts(sb, "null");
        break;
    }
}

/* ---- cells */

/* Text of any value for a STRING column: strings as-is, scalars in their natural text,
 * structures as JSON. */
static void mongo_value_to_text(const bson_iter_t *it, struct arus_strbuf *sb)
{
    uint32_t len;
    const char *s;
    switch (bson_iter_type(it)) {
    case BSON_TYPE_UTF8:
        s = bson_iter_utf8(it, &len);
        arus_strbuf_append(sb, s, len);
        return;
    case BSON_TYPE_SYMBOL:
        s = bson_iter_symbol(it, &len);
        arus_strbuf_append(sb, s, len);
        return;
    case BSON_TYPE_CODE:
        s = bson_iter_code(it, &len);
        arus_strbuf_append(sb, s, len);
        return;
    case BSON_TYPE_OID:
        mongo_put_oid(bson_iter_oid(it), sb);
        return;
    case BSON_TYPE_DOUBLE:
        mongo_put_double(bson_iter_double(it), sb);
        return;
    case BSON_TYPE_DATE_TIME:
        if (mongo_put_date(bson_iter_date_time(it), false, sb))
            return;
        break;
    case BSON_TYPE_DECIMAL128: {
        bson_decimal128_t d;
        char txt[BSON_DECIMAL128_STRING];
        bson_iter_decimal128(it, &d);
        bson_decimal128_to_string(&d, txt);
        arus_strbuf_puts(sb, txt);
        return;
    }
    case BSON_TYPE_BINARY: {
        bson_subtype_t st;
        const uint8_t *p;
        bson_iter_binary(it, &st, &len, &p);
        if (mongo_is_uuid(st, len))
            mongo_put_uuid(p, sb);
        else
            arus_base64_append(sb, p, len);
        return;
    }
    default:
        break;
    }
    arus__mongo_value_to_json(it, sb);
}

bool arus__mongo_value_to_cell(const bson_iter_t *it, enum arus_ltype t, struct arus_strbuf *sb)
{
    bson_type_t bt = bson_iter_type(it);
    if (bt == BSON_TYPE_NULL || bt == BSON_TYPE_UNDEFINED)
        return false;
    bool is_int = bt == BSON_TYPE_INT32 || bt == BSON_TYPE_INT64;
    switch (t) {
    case ARUS_T_STRING:
        mongo_value_to_text(it, sb);
        return true;
    case ARUS_T_JSON:
        arus__mongo_value_to_json(it, sb);
        return true;
    case ARUS_T_BOOL:
        if (bt != BSON_TYPE_BOOL)
            return false;
        arus_strbuf_puts(sb, bson_iter_bool(it) ? "true" : "false");
        return true;
    case ARUS_T_INT64:
    case ARUS_T_FLOAT64:
    case ARUS_T_DECIMAL:
        if (is_int) {
            arus_strbuf_appendf(sb, "%" PRId64, bson_iter_as_int64(it));
            return true;
        }
        if (t == ARUS_T_FLOAT64 && bt == BSON_TYPE_DOUBLE) {
            mongo_put_double(bson_iter_double(it), sb);
            return true;
        }
        if (t == ARUS_T_DECIMAL && bt == BSON_TYPE_DECIMAL128) {
            bson_decimal128_t d;
            bson_iter_decimal128(it, &d);
            return arus__mongo_decimal_to_text(&d, sb);
        }
        return false;
    case ARUS_T_TIMESTAMPTZ:
        return bt == BSON_TYPE_DATE_TIME && mongo_put_date(bson_iter_date_time(it), false, sb);
    case ARUS_T_BYTES: {
        if (bt != BSON_TYPE_BINARY)
            return false;
        bson_subtype_t st;
        uint32_t len;
        const uint8_t *p;
        bson_iter_binary(it, &st, &len, &p);
        arus_strbuf_append(sb, p, len);
        return true;
    }
    default:
        return false; /* inference never produces other types */
    }
}

/* ---- rows */

void arus__mongo_rowconv_init(struct mongo_rowconv *rc)
{
    arus_strbuf_init(&rc->cell);
    arus_strbuf_init(&rc->extra);
    rc->hint = 0;
}

void arus__mongo_rowconv_cleanup(struct mongo_rowconv *rc)
{
    arus_strbuf_cleanup(&rc->cell);
    arus_strbuf_cleanup(&rc->extra);
}

static long mongo_find_column(const struct arus_table_schema *t, const char *key, size_t *hint)
{
    if (*hint < t->ncolumns && strcmp(t->columns[*hint].name, key) == 0)
        return (long)(*hint)++;
    for (size_t i = 0; i < t->ncolumns; i++) {
        if (strcmp(t->columns[i].name, key) == 0) {
            *hint = i + 1;
            return (long)i;
        }
    }
    return -1;
}

void arus__mongo_doc_to_row(const bson_t *doc, struct arus_batch *b, struct mongo_rowconv *rc)
{
    const struct arus_table_schema *t = b->schema;
    struct arus_cell *row = arus_batch_add_row(b);
    size_t xcol = t->ncolumns;
    for (size_t i = t->ncolumns; i-- > 0;) {
        if (strcmp(t->columns[i].name, MONGO_EXTRA_COLUMN) == 0) {
            xcol = i;
            break;
        }
    }
    arus_strbuf_reset(&rc->extra);
    rc->hint = 0;
    bson_iter_t it;
    if (!bson_iter_init(&it, doc))
        return;
    while (bson_iter_next(&it)) {
        const char *key = bson_iter_key(&it);
        long j = mongo_column_name_ok(key) ? mongo_find_column(t, key, &rc->hint) : -1;
        if (j >= 0 && (size_t)j != xcol && !row[j].data) {
            bson_type_t bt = bson_iter_type(&it);
            if (bt == BSON_TYPE_NULL || bt == BSON_TYPE_UNDEFINED)
                continue;
            arus_strbuf_reset(&rc->cell);
            if (arus__mongo_value_to_cell(&it, t->columns[j].type.ltype, &rc->cell)) {
                arus_cell_set(b, &row[j], arus_strbuf_cstr(&rc->cell), rc->cell.len);
                continue;
            }
        }
        arus_strbuf_putc(&rc->extra, rc->extra.len ? ',' : '{');
        arus_json_quote(&rc->extra, key, bson_iter_key_len(&it));
        arus_strbuf_putc(&rc->extra, ':');
        arus__mongo_value_to_json(&it, &rc->extra);
    }
    if (rc->extra.len && xcol < t->ncolumns) {
        arus_strbuf_putc(&rc->extra, '}');
        arus_cell_set(b, &row[xcol], rc->extra.data, rc->extra.len);
    }
}

/* MongoDB source, BSON side, with libbson alone (no server): every BSON type through schema
 * inference, type widening and value conversion to canonical cells and JSON; int64 above
 * 2^53, Decimal128, dates before 1970, nested documents/arrays, binary subtypes, missing
 * fields, and the _arus_extra column that keeps unmapped fields. */
#include <math.h>
#include <stdlib.h>

#include "arus/arena.h"
#include "arus/strbuf.h"
#include "check.h"
#include "connectors/mongodb/bson.h"

/* ---- helpers */

static const uint8_t uuid_bytes[16] = {0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0,
                                       0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};

/* The value of `key` in doc rendered by the function under test. */
static const char *json_of(const bson_t *doc, const char *key, struct arus_strbuf *sb)
{
    bson_iter_t it;
    arus_strbuf_reset(sb);
    if (!bson_iter_init_find(&it, doc, key))
        return "(missing)";
    arus__mongo_value_to_json(&it, sb);
    return arus_strbuf_cstr(sb);
}

static const char *cell_of(const bson_t *doc, const char *key, enum arus_ltype t,
                           struct arus_strbuf *sb)
{
    bson_iter_t it;
    arus_strbuf_reset(sb);
    if (!bson_iter_init_find(&it, doc, key))
        return "(missing)";
    if (!arus__mongo_value_to_cell(&it, t, sb))
        return "(no)";
    return arus_strbuf_cstr(sb);
}

static struct arus_table_schema *infer(struct arus_arena *a, const bson_t **docs, size_t n)
{
    struct mongo_infer *inf = arus__mongo_infer_create();
    for (size_t i = 0; i < n; i++)
        arus__mongo_infer_add(inf, docs[i]);
    struct arus_table_schema *t = arus__mongo_infer_schema(inf, a, "coll");
    arus__mongo_infer_destroy(inf);
    return t;
}

static const struct arus_column *col(const struct arus_table_schema *t, const char *name)
{
    for (size_t i = 0; i < t->ncolumns; i++)
        if (strcmp(t->columns[i].name, name) == 0)
            return &t->columns[i];
    return NULL;
}

static void add_decimal(bson_t *d, const char *key, const char *text)
{
    bson_decimal128_t dec;
    bson_decimal128_from_string(text, &dec);
    BSON_APPEND_DECIMAL128(d, key, &dec);
}

/* One document holding every BSON type. */
static bson_t *every_type_doc(void)
{
    bson_t *d = bson_new();
    bson_oid_t oid;
    bson_oid_init_from_string(&oid, "5f1d7a3b9c8e4d2a1b0c9f8e");
    BSON_APPEND_OID(d, "_id", &oid);
    BSON_APPEND_DOUBLE(d, "dbl", 2.5);
    BSON_APPEND_UTF8(d, "str", "héllo");
    bson_t sub;
    BSON_APPEND_DOCUMENT_BEGIN(d, "doc", &sub);
    BSON_APPEND_INT32(&sub, "x", 1);
    bson_append_document_end(d, &sub);
    BSON_APPEND_ARRAY_BEGIN(d, "arr", &sub);
    BSON_APPEND_INT32(&sub, "0", 1);
    BSON_APPEND_UTF8(&sub, "1", "two");
    bson_append_array_end(d, &sub);
    BSON_APPEND_BINARY(d, "bin", BSON_SUBTYPE_BINARY, (const uint8_t *)"\x00\x01\xff", 3);
    BSON_APPEND_UNDEFINED(d, "undef");
    BSON_APPEND_OID(d, "oid", &oid);
    BSON_APPEND_BOOL(d, "flag", true);
    BSON_APPEND_DATE_TIME(d, "date", INT64_C(1234567890123));
    BSON_APPEND_NULL(d, "nul");
    BSON_APPEND_REGEX(d, "re", "^a.*b$", "i");
    BSON_APPEND_DBPOINTER(d, "dbp", "db.c", &oid);
    BSON_APPEND_CODE(d, "code", "function(){return 1}");
    BSON_APPEND_SYMBOL(d, "sym", "sym1");
    bson_t *scope = BCON_NEW("k", BCON_INT32(7));
    BSON_APPEND_CODE_WITH_SCOPE(d, "cws", "f(k)", scope);
    bson_destroy(scope);
    BSON_APPEND_INT32(d, "i32", -42);
    BSON_APPEND_TIMESTAMP(d, "ts", 1700000000, 3);
    BSON_APPEND_INT64(d, "i64", INT64_C(9007199254740993));
    add_decimal(d, "dec", "1234567890123456789012345678901.234");
    BSON_APPEND_MAXKEY(d, "maxk");
    BSON_APPEND_MINKEY(d, "mink");
    return d;
}

/* ---- inference */

static void test_infer_every_type(void)
{
    struct arus_arena *a = arus_arena_create(0);
    bson_t *d = every_type_doc();
    const bson_t *docs[] = {d};
    struct arus_table_schema *t = infer(a, docs, 1);
    REQUIRE(t->ncolumns == 23);
    CHECK_STR(t->columns[0].name, "_id");
    CHECK_INT(t->columns[0].pk_ordinal, 1);
    CHECK(!t->columns[0].nullable);
    CHECK_INT(t->columns[0].type.ltype, ARUS_T_STRING);
    CHECK_INT(t->columns[0].type.length, 48);
    CHECK_STR(t->columns[t->ncolumns - 1].name, MONGO_EXTRA_COLUMN);
    CHECK_INT(t->columns[t->ncolumns - 1].type.ltype, ARUS_T_JSON);
    CHECK_STR(t->name, "coll");
    CHECK_INT(t->row_count_estimate, -1);
    static const struct {
        const char *name;
        enum arus_ltype lt;
        const char *src;
    } want[] = {
        {"dbl", ARUS_T_FLOAT64, "double"},
        {"str", ARUS_T_STRING, "string"},
        {"doc", ARUS_T_JSON, "object"},
        {"arr", ARUS_T_JSON, "array"},
        {"bin", ARUS_T_BYTES, "binData"},
        {"undef", ARUS_T_STRING, "undefined"},
        {"oid", ARUS_T_STRING, "objectId"},
        {"flag", ARUS_T_BOOL, "bool"},
        {"date", ARUS_T_TIMESTAMPTZ, "date"},
        {"nul", ARUS_T_STRING, "null"},
        {"re", ARUS_T_STRING, "regex"},
        {"dbp", ARUS_T_STRING, "dbPointer"},
        {"code", ARUS_T_STRING, "javascript"},
        {"sym", ARUS_T_STRING, "symbol"},
        {"cws", ARUS_T_STRING, "javascriptWithScope"},
        {"i32", ARUS_T_INT64, "int"},
        {"ts", ARUS_T_STRING, "timestamp"},
        {"i64", ARUS_T_INT64, "long"},
        {"dec", ARUS_T_DECIMAL, "decimal"},
        {"maxk", ARUS_T_STRING, "maxKey"},
        {"mink", ARUS_T_STRING, "minKey"},
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        const struct arus_column *c = col(t, want[i].name);
        REQUIRE(c);
        CHECK_INT(c->type.ltype, want[i].lt);
        CHECK_STR(c->source_type, want[i].src);
        CHECK(c->nullable);
        CHECK_INT(c->pk_ordinal, 0);
    }
    CHECK_INT(col(t, "oid")->type.length, 48);
    CHECK_STR(t->columns[1].name, "dbl"); /* document order kept */
    bson_destroy(d);
    arus_arena_destroy(a);
}

static void test_infer_widening(void)
{
    struct arus_arena *a = arus_arena_create(0);
    bson_t *d1 = BCON_NEW("ii", BCON_INT32(1), "id", BCON_INT32(1), "idec", BCON_INT32(1), "is",
                          BCON_INT32(1), "bi", BCON_BOOL(true), "da", "{", "}", "dn",
                          BCON_DATE_TIME(0), "os", BCON_UTF8("x"), "rs", BCON_SYMBOL("s"), "dd",
                          BCON_DOUBLE(1.5), "nn", BCON_NULL);
    bson_t *d2 = BCON_NEW("ii", BCON_INT64(INT64_C(1) << 40), "id", BCON_DOUBLE(0.5), "is",
                          BCON_UTF8("one"), "bi", BCON_INT32(0), "da", "[", "]", "dn", BCON_NULL,
                          "rs", BCON_REGEX("a", ""), "nn", BCON_UNDEFINED);
    add_decimal(d2, "idec", "2.50");
    add_decimal(d2, "dd", "1.5");
    bson_oid_t oid;
    bson_oid_init_from_string(&oid, "5f1d7a3b9c8e4d2a1b0c9f8e");
    BSON_APPEND_OID(d2, "os", &oid);
    const bson_t *docs[] = {d1, d2};
    struct arus_table_schema *t = infer(a, docs, 2);
    CHECK_INT(col(t, "ii")->type.ltype, ARUS_T_INT64); /* int32 + int64 */
    CHECK_STR(col(t, "ii")->source_type, "int|long");
    CHECK_INT(col(t, "id")->type.ltype, ARUS_T_FLOAT64);     /* int + double */
    CHECK_INT(col(t, "idec")->type.ltype, ARUS_T_DECIMAL);   /* int + decimal */
    CHECK_INT(col(t, "is")->type.ltype, ARUS_T_STRING);      /* anything + string */
    CHECK_INT(col(t, "bi")->type.ltype, ARUS_T_JSON);        /* mixed */
    CHECK_INT(col(t, "da")->type.ltype, ARUS_T_JSON);        /* document + array */
    CHECK_INT(col(t, "dn")->type.ltype, ARUS_T_TIMESTAMPTZ); /* null does not widen */
    CHECK_INT(col(t, "os")->type.ltype, ARUS_T_STRING);      /* ObjectId + string */
    CHECK_INT(col(t, "os")->type.length, 0);
    CHECK_INT(col(t, "rs")->type.ltype, ARUS_T_STRING); /* text-like others */
    CHECK_INT(col(t, "dd")->type.ltype, ARUS_T_JSON);   /* double + decimal */
    CHECK_INT(col(t, "nn")->type.ltype, ARUS_T_STRING); /* null only -> text nullable */
    CHECK(col(t, "nn")->nullable);
    /* _id never sampled: assumed ObjectId text */
    CHECK_INT(t->columns[0].type.length, 48);
    CHECK_STR(t->columns[0].source_type, "objectId");
    bson_destroy(d1);
    bson_destroy(d2);
    arus_arena_destroy(a);
}

static void test_infer_missing_fields_and_ids(void)
{
    struct arus_arena *a = arus_arena_create(0);
    bson_t *d1 = BCON_NEW("_id", BCON_UTF8("k1"), "a", BCON_INT32(1));
    bson_t *d2 = BCON_NEW("b", BCON_UTF8("x"), "_id", BCON_INT32(2), "a", BCON_INT32(3));
    bson_t *d3 = BCON_NEW("", BCON_INT32(1), MONGO_EXTRA_COLUMN, BCON_INT32(2));
    const bson_t *docs[] = {d1, d2, d3};
    struct arus_table_schema *t = infer(a, docs, 3);
    REQUIRE(t->ncolumns == 4); /* _id a b _arus_extra: no column for "" or our own name */
    CHECK_STR(t->columns[1].name, "a");
    CHECK_STR(t->columns[2].name, "b");
    CHECK_INT(t->columns[0].type.ltype, ARUS_T_STRING);
    CHECK_INT(t->columns[0].type.length, 0); /* not all ObjectIds: unbounded text */
    CHECK_STR(t->columns[0].source_type, "string|int");
    bson_destroy(d1);
    bson_destroy(d2);
    bson_destroy(d3);
    arus_arena_destroy(a);
}

/* ---- values */

static void test_numbers(void)
{
    struct arus_strbuf sb;
    arus_strbuf_init(&sb);
    bson_t *d =
        BCON_NEW("big", BCON_INT64(INT64_C(9007199254740993)), "min", BCON_INT64(INT64_MIN), "i32",
                 BCON_INT32(-7), "tenth", BCON_DOUBLE(0.1), "third", BCON_DOUBLE(1.0 / 3), "whole",
                 BCON_DOUBLE(3.0), "huge", BCON_DOUBLE(1e300), "nan", BCON_DOUBLE(NAN), "inf",
                 BCON_DOUBLE(-INFINITY));
    CHECK_STR(cell_of(d, "big", ARUS_T_INT64, &sb), "9007199254740993");
    CHECK_STR(json_of(d, "big", &sb), "9007199254740993");
    CHECK_STR(cell_of(d, "min", ARUS_T_INT64, &sb), "-9223372036854775808");
    CHECK_STR(cell_of(d, "i32", ARUS_T_INT64, &sb), "-7");
    CHECK_STR(cell_of(d, "big", ARUS_T_FLOAT64, &sb), "9007199254740993");
    CHECK_STR(cell_of(d, "i32", ARUS_T_DECIMAL, &sb), "-7");
    CHECK_STR(cell_of(d, "tenth", ARUS_T_FLOAT64, &sb), "0.1");
    CHECK_STR(cell_of(d, "third", ARUS_T_FLOAT64, &sb), "0.3333333333333333");
    CHECK(strtod(cell_of(d, "third", ARUS_T_FLOAT64, &sb), NULL) == 1.0 / 3);
    CHECK_STR(cell_of(d, "whole", ARUS_T_FLOAT64, &sb), "3");
    CHECK_STR(cell_of(d, "huge", ARUS_T_FLOAT64, &sb), "1e+300");
    CHECK_STR(cell_of(d, "nan", ARUS_T_FLOAT64, &sb), "NaN");
    CHECK_STR(cell_of(d, "inf", ARUS_T_FLOAT64, &sb), "-Infinity");
    CHECK_STR(json_of(d, "nan", &sb), "\"NaN\"");
    CHECK_STR(json_of(d, "inf", &sb), "\"-Infinity\"");
    CHECK_STR(json_of(d, "tenth", &sb), "0.1");
    /* a double does not fit an integer column; an int does not fit a bool column */
    CHECK_STR(cell_of(d, "tenth", ARUS_T_INT64, &sb), "(no)");
    CHECK_STR(cell_of(d, "i32", ARUS_T_BOOL, &sb), "(no)");
    CHECK_STR(cell_of(d, "i32", ARUS_T_STRING, &sb), "-7");
    bson_destroy(d);
    arus_strbuf_cleanup(&sb);
}

static void test_decimal128(void)
{
    static const struct {
        const char *in, *cell, *json;
    } cases[] = {
        {"1.10", "1.10", "1.10"},
        {"-0.000000015", "-0.000000015", "-1.5E-8"},
        {"1.23E+5", "123000", "1.23E+5"},
        {"0E+3", "0", "0E+3"},
        {"0.00", "0.00", "0.00"},
        {"1234567890123456789012345678901.234", "1234567890123456789012345678901.234",
         "1234567890123456789012345678901.234"},
        {"9999999999999999999999999999999999", "9999999999999999999999999999999999",
         "9999999999999999999999999999999999"},
        {"12E-2", "0.12", "0.12"},
        {"NaN", "NaN", "\"NaN\""},
    };
    struct arus_strbuf sb;
    arus_strbuf_init(&sb);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        bson_t *d = bson_new();
        add_decimal(d, "v", cases[i].in);
        CHECK_STR(cell_of(d, "v", ARUS_T_DECIMAL, &sb), cases[i].cell);
        CHECK_STR(json_of(d, "v", &sb), cases[i].json);
        bson_destroy(d);
    }
    bson_t *d = bson_new();
    add_decimal(d, "v", "-Infinity");
    CHECK_STR(cell_of(d, "v", ARUS_T_DECIMAL, &sb), "(no)"); /* no canonical text */
    CHECK_STR(json_of(d, "v", &sb), "\"-Infinity\"");
    CHECK_STR(cell_of(d, "v", ARUS_T_FLOAT64, &sb), "(no)");
    bson_destroy(d);
    arus_strbuf_cleanup(&sb);
}

static void test_dates(void)
{
    struct arus_strbuf sb;
    arus_strbuf_init(&sb);
    bson_t *d = BCON_NEW("epoch", BCON_DATE_TIME(0), "before", BCON_DATE_TIME(-1), "ms",
                         BCON_DATE_TIME(INT64_C(1234567890123)), "old",
                         BCON_DATE_TIME(INT64_C(-2208988800000)), /* 1900-01-01 */
                         "first", BCON_DATE_TIME(INT64_C(-62135596800000)), "last",
                         BCON_DATE_TIME(INT64_C(253402300799999)), "far",
                         BCON_DATE_TIME(INT64_C(-62135596800001)));
    CHECK_STR(cell_of(d, "epoch", ARUS_T_TIMESTAMPTZ, &sb), "1970-01-01 00:00:00");
    CHECK_STR(cell_of(d, "before", ARUS_T_TIMESTAMPTZ, &sb), "1969-12-31 23:59:59.999");
    CHECK_STR(cell_of(d, "ms", ARUS_T_TIMESTAMPTZ, &sb), "2009-02-13 23:31:30.123");
    CHECK_STR(cell_of(d, "old", ARUS_T_TIMESTAMPTZ, &sb), "1900-01-01 00:00:00");
    CHECK_STR(cell_of(d, "first", ARUS_T_TIMESTAMPTZ, &sb), "0001-01-01 00:00:00");
    CHECK_STR(cell_of(d, "last", ARUS_T_TIMESTAMPTZ, &sb), "9999-12-31 23:59:59.999");
    CHECK_STR(cell_of(d, "far", ARUS_T_TIMESTAMPTZ, &sb), "(no)");
    CHECK_STR(json_of(d, "before", &sb), "\"1969-12-31T23:59:59.999Z\"");
    CHECK_STR(json_of(d, "epoch", &sb), "\"1970-01-01T00:00:00Z\"");
    CHECK_STR(json_of(d, "far", &sb), "{\"$date\":{\"$numberLong\":\"-62135596800001\"}}");
    CHECK_STR(cell_of(d, "ms", ARUS_T_STRING, &sb), "2009-02-13 23:31:30.123");
    CHECK_STR(cell_of(d, "ms", ARUS_T_INT64, &sb), "(no)");
    bson_destroy(d);
    arus_strbuf_cleanup(&sb);
}

static void test_nested(void)
{
    struct arus_strbuf sb;
    arus_strbuf_init(&sb);
    bson_t *d = BCON_NEW("n", "{", "b", "[", BCON_INT32(1), "{", "c", BCON_UTF8("x\"y"), "}",
                         BCON_INT64(INT64_C(-9007199254740993)), "]", "d", BCON_NULL, "e",
                         BCON_DATE_TIME(-1000), "f", BCON_BOOL(false), "}", "empty", "[", "]");
    CHECK_STR(json_of(d, "n", &sb), "{\"b\":[1,{\"c\":\"x\\\"y\"},-9007199254740993],\"d\":null,"
                                    "\"e\":\"1969-12-31T23:59:59Z\",\"f\":false}");
    CHECK_STR(json_of(d, "empty", &sb), "[]");
    CHECK_STR(cell_of(d, "n", ARUS_T_JSON, &sb),
              "{\"b\":[1,{\"c\":\"x\\\"y\"},-9007199254740993],\"d\":null,"
              "\"e\":\"1969-12-31T23:59:59Z\",\"f\":false}");
    /* a document in a text column is its JSON */
    CHECK_STR(cell_of(d, "empty", ARUS_T_STRING, &sb), "[]");
    CHECK_STR(cell_of(d, "n", ARUS_T_INT64, &sb), "(no)");
    bson_destroy(d);
    arus_strbuf_cleanup(&sb);
}

static void test_binary_subtypes(void)
{
    struct arus_strbuf sb;
    arus_strbuf_init(&sb);
    bson_t *d = bson_new();
    BSON_APPEND_BINARY(d, "gen", BSON_SUBTYPE_BINARY, (const uint8_t *)"\x00\x01\xfe\xff", 4);
    BSON_APPEND_BINARY(d, "uuid", BSON_SUBTYPE_UUID, uuid_bytes, 16);
    BSON_APPEND_BINARY(d, "olduuid", BSON_SUBTYPE_UUID_DEPRECATED, uuid_bytes, 16);
    BSON_APPEND_BINARY(d, "md5", BSON_SUBTYPE_MD5, uuid_bytes, 16);
    BSON_APPEND_BINARY(d, "user", BSON_SUBTYPE_USER, (const uint8_t *)"ab", 2);
    BSON_APPEND_BINARY(d, "empty", BSON_SUBTYPE_BINARY, NULL, 0);
    const char *raw = cell_of(d, "gen", ARUS_T_BYTES, &sb);
    CHECK_INT(sb.len, 4);
    CHECK(memcmp(raw, "\x00\x01\xfe\xff", 4) == 0);
    cell_of(d, "md5", ARUS_T_BYTES, &sb);
    CHECK_INT(sb.len, 16);
    CHECK(memcmp(sb.data, uuid_bytes, 16) == 0);
    cell_of(d, "empty", ARUS_T_BYTES, &sb);
    CHECK_INT(sb.len, 0);
    CHECK_STR(json_of(d, "gen", &sb), "\"AAH+/w==\"");
    CHECK_STR(json_of(d, "uuid", &sb), "\"12345678-9abc-def0-0123-456789abcdef\"");
    CHECK_STR(json_of(d, "olduuid", &sb), "\"12345678-9abc-def0-0123-456789abcdef\"");
    CHECK_STR(json_of(d, "md5", &sb),
              "{\"$binary\":{\"base64\":\"EjRWeJq83vABI0VniavN7w==\",\"subType\":\"05\"}}");
    CHECK_STR(json_of(d, "user", &sb), "{\"$binary\":{\"base64\":\"YWI=\",\"subType\":\"80\"}}");
    CHECK_STR(cell_of(d, "uuid", ARUS_T_STRING, &sb), "12345678-9abc-def0-0123-456789abcdef");
    CHECK_STR(cell_of(d, "gen", ARUS_T_STRING, &sb), "AAH+/w==");
    CHECK_STR(cell_of(d, "gen", ARUS_T_JSON, &sb), "\"AAH+/w==\"");
    bson_destroy(d);
    arus_strbuf_cleanup(&sb);
}

static void test_other_types(void)
{
    struct arus_strbuf sb;
    arus_strbuf_init(&sb);
    bson_t *d = every_type_doc();
    CHECK_STR(cell_of(d, "_id", ARUS_T_STRING, &sb), "5f1d7a3b9c8e4d2a1b0c9f8e");
    CHECK_STR(json_of(d, "oid", &sb), "\"5f1d7a3b9c8e4d2a1b0c9f8e\"");
    CHECK_STR(cell_of(d, "str", ARUS_T_STRING, &sb), "héllo");
    CHECK_STR(cell_of(d, "flag", ARUS_T_BOOL, &sb), "true");
    CHECK_STR(cell_of(d, "re", ARUS_T_STRING, &sb),
              "{\"$regularExpression\":{\"pattern\":\"^a.*b$\",\"options\":\"i\"}}");
    CHECK_STR(
        cell_of(d, "dbp", ARUS_T_STRING, &sb),
        "{\"$dbPointer\":{\"$ref\":\"db.c\",\"$id\":{\"$oid\":\"5f1d7a3b9c8e4d2a1b0c9f8e\"}}}");
    CHECK_STR(cell_of(d, "code", ARUS_T_STRING, &sb), "function(){return 1}");
    CHECK_STR(json_of(d, "code", &sb), "{\"$code\":\"function(){return 1}\"}");
    CHECK_STR(cell_of(d, "sym", ARUS_T_STRING, &sb), "sym1");
    CHECK_STR(json_of(d, "sym", &sb), "{\"$symbol\":\"sym1\"}");
    CHECK_STR(cell_of(d, "cws", ARUS_T_STRING, &sb), "{\"$code\":\"f(k)\",\"$scope\":{\"k\":7}}");
    CHECK_STR(cell_of(d, "ts", ARUS_T_STRING, &sb), "{\"$timestamp\":{\"t\":1700000000,\"i\":3}}");
    CHECK_STR(cell_of(d, "maxk", ARUS_T_STRING, &sb), "{\"$maxKey\":1}");
    CHECK_STR(cell_of(d, "mink", ARUS_T_JSON, &sb), "{\"$minKey\":1}");
    CHECK_STR(cell_of(d, "nul", ARUS_T_STRING, &sb), "(no)"); /* NULL cell */
    CHECK_STR(cell_of(d, "undef", ARUS_T_JSON, &sb), "(no)");
    CHECK_STR(json_of(d, "undef", &sb), "null");
    CHECK_STR(cell_of(d, "dec", ARUS_T_STRING, &sb), "1234567890123456789012345678901.234");
    bson_destroy(d);
    arus_strbuf_cleanup(&sb);
}

/* Hostile strings: NUL bytes and invalid UTF-8 reach text cells byte for byte and are
 * escaped/replaced in JSON. */
static void test_hostile_strings(void)
{
    struct arus_strbuf sb;
    arus_strbuf_init(&sb);
    bson_t *d = bson_new();
    bson_append_utf8(d, "s", 1, "a\0b\xff", 4);
    cell_of(d, "s", ARUS_T_STRING, &sb);
    CHECK_INT(sb.len, 4);
    CHECK(memcmp(sb.data, "a\0b\xff", 4) == 0);
    CHECK_STR(json_of(d, "s", &sb), "\"a\\u0000b\xef\xbf\xbd\"");
    bson_destroy(d);
    arus_strbuf_cleanup(&sb);
}

/* ---- rows */

static const char *cell_text(const struct arus_batch *b, size_t r, const char *name)
{
    int i = -1;
    for (size_t c = 0; c < b->ncolumns; c++)
        if (strcmp(b->schema->columns[c].name, name) == 0)
            i = (int)c;
    if (i < 0)
        return "(no column)";
    const struct arus_cell *cell = &arus_batch_row(b, r)[i];
    return cell->data ? cell->data : "(null)";
}

static void test_doc_to_row(void)
{
    struct arus_arena *a = arus_arena_create(0);
    bson_oid_t oid;
    bson_oid_init_from_string(&oid, "5f1d7a3b9c8e4d2a1b0c9f8e");
    bson_t *d1 = BCON_NEW("_id", BCON_OID(&oid), "n", BCON_INT32(5), "when", BCON_DATE_TIME(-1),
                          "tags", "[", BCON_UTF8("a"), "]");
    bson_t *d2 = BCON_NEW("_id", BCON_OID(&oid), "s", BCON_UTF8("x"));
    const bson_t *docs[] = {d1, d2};
    struct arus_table_schema *t = infer(a, docs, 2);
    REQUIRE(t->ncolumns == 6); /* _id n when tags s _arus_extra */

    /* Later documents: fields in another order, a missing field, a field that was not in the
     * sample, a value that does not fit its column's type, an explicit null, and int64 above
     * 2^53 in an int column. */
    bson_t *r1 = BCON_NEW("s", BCON_UTF8("y"), "_id", BCON_OID(&oid), "n",
                          BCON_INT64(INT64_C(9007199254740993)), "newf", "{", "k", BCON_INT32(1),
                          "}", "when", BCON_NULL);
    bson_t *r2 = BCON_NEW("_id", BCON_OID(&oid), "n", BCON_UTF8("not a number"), "when",
                          BCON_DATE_TIME(INT64_C(1234567890123)), "tags", BCON_INT32(3));
    bson_t *r3 = BCON_NEW("_id", BCON_OID(&oid));
    struct arus_batch *b = arus_batch_create(t, 4);
    struct mongo_rowconv rc;
    arus__mongo_rowconv_init(&rc);
    arus__mongo_doc_to_row(r1, b, &rc);
    arus__mongo_doc_to_row(r2, b, &rc);
    arus__mongo_doc_to_row(r3, b, &rc);
    REQUIRE(b->nrows == 3);
    CHECK_STR(cell_text(b, 0, "_id"), "5f1d7a3b9c8e4d2a1b0c9f8e");
    CHECK_STR(cell_text(b, 0, "n"), "9007199254740993");
    CHECK_STR(cell_text(b, 0, "when"), "(null)");
    CHECK_STR(cell_text(b, 0, "tags"), "(null)");
    CHECK_STR(cell_text(b, 0, "s"), "y");
    CHECK_STR(cell_text(b, 0, MONGO_EXTRA_COLUMN), "{\"newf\":{\"k\":1}}");
    CHECK_STR(cell_text(b, 1, "n"), "(null)");
    CHECK_STR(cell_text(b, 1, "when"), "2009-02-13 23:31:30.123");
    CHECK_STR(cell_text(b, 1, "tags"), "3"); /* a JSON column takes any value */
    CHECK_STR(cell_text(b, 1, MONGO_EXTRA_COLUMN), "{\"n\":\"not a number\"}");
    CHECK_STR(cell_text(b, 2, "n"), "(null)");
    CHECK_STR(cell_text(b, 2, MONGO_EXTRA_COLUMN), "(null)");

    /* The raw JSON of a row (built by core from the columns) holds every field. */
    struct arus_strbuf sb;
    arus_strbuf_init(&sb);
    arus_row_to_json(b, 0, &sb);
    CHECK(strstr(arus_strbuf_cstr(&sb), "\"newf\":{\"k\":1}") != NULL);
    CHECK(strstr(arus_strbuf_cstr(&sb), "9007199254740993") != NULL);
    arus_strbuf_cleanup(&sb);

    arus__mongo_rowconv_cleanup(&rc);
    arus_batch_destroy(b);
    bson_destroy(d1);
    bson_destroy(d2);
    bson_destroy(r1);
    bson_destroy(r2);
    bson_destroy(r3);
    arus_arena_destroy(a);
}

int main(void)
{
    RUN(test_infer_every_type);
    RUN(test_infer_widening);
    RUN(test_infer_missing_fields_and_ids);
    RUN(test_numbers);
    RUN(test_decimal128);
    RUN(test_dates);
    RUN(test_nested);
    RUN(test_binary_subtypes);
    RUN(test_other_types);
    RUN(test_hostile_strings);
    RUN(test_doc_to_row);
    return check_exit();
}

/* MySQL binary JSON (json_binary.c) from byte fixtures built here per the format of
 * mysql-server's sql/json_binary.h: every value type, small and large objects and arrays,
 * nesting, string escaping and variable-length sizes, opaque DECIMAL and temporals, and
 * malformed input refused (every truncation, bad offsets, unknown types, depth); and a JSON
 * cell inside a MySQL-style transaction (GTID 33, QUERY BEGIN, TABLE_MAP, WRITE_ROWS v2, XID)
 * through the stream decoder. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arus/error.h"
#include "arus/strbuf.h"
#include "check.h"
#include "connectors/mysql/binlog.h"
#include "connectors/mysql/rowimage.h"

#include <zlib.h>

/* The text of a value, or "ERR: message". Caller frees. */
static char *jtext(const uint8_t *p, size_t n)
{
    struct arus_strbuf sb;
    struct arus_error err;
    arus_strbuf_init(&sb);
    arus_error_clear(&err);
    int rc = arus__my_json_binary_text(p, n, &sb, &err);
    char *out;
    if (rc != ARUS_OK) {
        size_t m = strlen(err.msg) + 6;
        out = malloc(m);
        snprintf(out, m, "ERR: %s", err.msg);
    } else {
        out = strdup(sb.data ? sb.data : "");
    }
    arus_strbuf_cleanup(&sb);
    return out;
}

#define CHECK_JSON(bytes, want)                                                                    \
    do {                                                                                           \
        static const uint8_t b_[] = bytes;                                                         \
        char *t_ = jtext(b_, sizeof b_);                                                           \
        CHECK_STR(t_, want);                                                                       \
        free(t_);                                                                                  \
    } while (0)
#define B(...)                                                                                     \
    {                                                                                              \
        __VA_ARGS__                                                                                \
    }

static void put_le(uint8_t *p, uint64_t v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void test_scalars(void)
{
    CHECK_JSON(B(0x04, 0x00), "null");
    CHECK_JSON(B(0x04, 0x01), "true");
    CHECK_JSON(B(0x04, 0x02), "false");
    CHECK_JSON(B(0x05, 0xfe, 0xff), "-2");
    CHECK_JSON(B(0x06, 0xff, 0xff), "65535");
    CHECK_JSON(B(0x07, 0x00, 0x00, 0x00, 0x80), "-2147483648");
    CHECK_JSON(B(0x08, 0xff, 0xff, 0xff, 0xff), "4294967295");
    CHECK_JSON(B(0x09, 0, 0, 0, 0, 0, 0, 0, 0x80), "-9223372036854775808");
    CHECK_JSON(B(0x09, 0x2a, 0, 0, 0, 0, 0, 0, 0), "42");
    CHECK_JSON(B(0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), "18446744073709551615");
    CHECK_JSON(B(0x0b, 0, 0, 0, 0, 0, 0, 0xf8, 0x3f), "1.5");   /* 1.5 */
    CHECK_JSON(B(0x0b, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f), "1.0");   /* whole: MySQL's 1.0 */
    CHECK_JSON(B(0x0b, 0, 0, 0, 0, 0, 0, 0xd0, 0xbf), "-0.25"); /* -0.25 */
    CHECK_JSON(B(0x0b, 0x9a, 0x99, 0x99, 0x99, 0x99, 0x99, 0xb9, 0x3f), "0.1");
    CHECK_JSON(B(0x0b, 0x9c, 0x75, 0x00, 0x88, 0x3c, 0xe4, 0x37, 0x7e), "1e300");
    CHECK_JSON(B(0x0b, 0x48, 0xaf, 0xbc, 0x9a, 0xf2, 0xd7, 0x7a, 0x3e), "1e-7");
    CHECK_JSON(B(0x0b, 0, 0, 0, 0, 0, 0, 0, 0x80), "-0.0");
    /* an empty value: MySQL's JSON null */
    char *t = jtext(NULL, 0);
    CHECK_STR(t, "null");
    free(t);
}

static void test_strings(void)
{
    CHECK_JSON(B(0x0c, 0x00), "\"\"");
    CHECK_JSON(B(0x0c, 0x03, 'a', '"', 'b'), "\"a\\\"b\"");
    CHECK_JSON(B(0x0c, 0x07, '\\', '\n', '\t', 0x01, 0x1f, '\b', '/'),
               "\"\\\\\\n\\t\\u0001\\u001f\\b/\"");
    /* UTF-8 kept as is: é, €, 😀 */
    CHECK_JSON(B(0x0c, 0x09, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80),
               "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");
    /* a 300-byte string: its size takes two bytes (0xac 0x02) */
    uint8_t b[303];
    b[0] = 0x0c;
    b[1] = 0xac;
    b[2] = 0x02;
    memset(b + 3, 'x', 300);
    char *t = jtext(b, sizeof b);
    REQUIRE(t[0] == '"' && strlen(t) == 302 && t[301] == '"' && strspn(t + 1, "x") == 300);
    free(t);
    t = jtext(b, sizeof b - 1); /* one byte short */
    CHECK_STR(t, "ERR: MySQL binary JSON: truncated string");
    free(t);
}

/* {"a": 1, "b": [true, "x"]} as a small object */
static const uint8_t small_object[] = {
    0x00, /* small object */
    0x02,
    0x00,
    0x20,
    0x00, /* 2 members, 32 bytes */
    0x12,
    0x00,
    0x01,
    0x00, /* key "a" at 18, 1 byte */
    0x13,
    0x00,
    0x01,
    0x00, /* key "b" at 19 */
    0x05,
    0x01,
    0x00, /* int16 1, inlined */
    0x02,
    0x14,
    0x00, /* small array at 20 */
    'a',
    'b',
    /* the array: 2 elements, 12 bytes */
    0x02,
    0x00,
    0x0c,
    0x00,
    0x04,
    0x01,
    0x00, /* true, inlined */
    0x0c,
    0x0a,
    0x00, /* string at 10 of the array */
    0x01,
    'x',
};

static void test_containers(void)
{
    char *t = jtext(small_object, sizeof small_object);
    CHECK_STR(t, "{\"a\": 1, \"b\": [true, \"x\"]}");
    free(t);
    CHECK_JSON(B(0x00, 0x00, 0x00, 0x04, 0x00), "{}");
    CHECK_JSON(B(0x02, 0x00, 0x00, 0x04, 0x00), "[]");
    CHECK_JSON(B(0x03, 0, 0, 0, 0, 0x08, 0, 0, 0), "[]");
    /* large object {"k": 70000, "big": 5000000000, "s": "v\u00e9"}: int32 inlined in large
     * containers; int64 and string at offsets */
    uint8_t lo[128] = {0x01};
    uint8_t *o = lo + 1;
    size_t keys = 8, vals = keys + 3 * 6, data = vals + 3 * 5;
    put_le(o, 3, 4);
    size_t koff = data;
    const char *names[] = {"k", "big", "s"};
    for (int i = 0; i < 3; i++) {
        size_t kl = strlen(names[i]);
        put_le(o + keys + 6 * (size_t)i, koff, 4);
        put_le(o + keys + 6 * (size_t)i + 4, kl, 2);
        memcpy(o + koff, names[i], kl);
        koff += kl;
    }
    o[vals] = 0x07;
    put_le(o + vals + 1, 70000, 4);
    o[vals + 5] = 0x09;
    put_le(o + vals + 6, koff, 4);
    put_le(o + koff, 5000000000ULL, 8);
    koff += 8;
    o[vals + 10] = 0x0c;
    put_le(o + vals + 11, koff, 4);
    memcpy(o + koff, "\x03v\xc3\xa9", 4);
    koff += 4;
    put_le(o + 4, koff, 4);
    t = jtext(lo, 1 + koff);
    CHECK_STR(t, "{\"k\": 70000, \"big\": 5000000000, \"s\": \"v\xc3\xa9\"}");
    free(t);
    /* a large array of 70000 null literals (more than a small one's 16-bit sizes hold) */
    size_t n = 70000, size = 8 + 5 * n;
    uint8_t *la = calloc(1, 1 + size);
    la[0] = 0x03;
    put_le(la + 1, n, 4);
    put_le(la + 5, size, 4);
    for (size_t i = 0; i < n; i++)
        la[1 + 8 + 5 * i] = 0x04; /* literal null, inlined (value byte 0) */
    t = jtext(la, 1 + size);
    REQUIRE(t && strncmp(t, "[null, null", 11) == 0 && strlen(t) == 2 + 4 * n + 2 * (n - 1));
    free(t);
    free(la);
}

static void test_nesting(void)
{
    /* [[[...[1]...]]] 100 deep is fine, 101 is refused (MySQL's limit) */
    for (int depth = 100; depth <= 102; depth++) {
        size_t n = (size_t)depth;
        uint8_t *b = calloc(1, 1 + 7 * n);
        b[0] = 0x02;
        for (size_t i = 0; i < n; i++) {
            uint8_t *a = b + 1 + 7 * i;
            size_t size = 7 * (n - i);
            put_le(a, 1, 2);
            put_le(a + 2, size, 2);
            if (i + 1 < n) {
                a[4] = 0x02; /* the next array right after this entry */
                put_le(a + 5, 7, 2);
            } else {
                a[4] = 0x05; /* int16 1 */
                put_le(a + 5, 1, 2);
            }
        }
        char *t = jtext(b, 1 + 7 * n);
        if (depth <= 101)
            CHECK(t[0] == '[' && t[strlen(t) - 1] == ']' && strstr(t, "[1]"));
        else
            CHECK_STR(t, "ERR: MySQL binary JSON: nested deeper than 100 levels");
        free(t);
        free(b);
    }
}

static void test_opaque(void)
{
    CHECK_JSON(B(0x0f, 246, 0x04, 3, 2, 0x83, 0x0e), "3.14");
    CHECK_JSON(B(0x0f, 246, 0x04, 3, 2, 0x7c, 0xf1), "-3.14");
    CHECK_JSON(B(0x0f, 252, 0x02, 'a', 'b'), "\"base64:type252:YWI=\"");
    uint64_t ymd = ((2015ULL * 13 + 1) << 5) | 15, hms = (23ULL << 12) | (24 << 6) | 25;
    uint8_t b[11] = {0x0f, 12, 0x08};
    put_le(b + 3, ((ymd << 17 | hms) << 24) | 500000, 8);
    char *t = jtext(b, sizeof b);
    CHECK_STR(t, "\"2015-01-15 23:24:25.500000\"");
    free(t);
    b[1] = 7; /* TIMESTAMP prints the same */
    t = jtext(b, sizeof b);
    CHECK_STR(t, "\"2015-01-15 23:24:25.500000\"");
    free(t);
    b[1] = 10;
    put_le(b + 3, (ymd << 17) << 24, 8);
    t = jtext(b, sizeof b);
    CHECK_STR(t, "\"2015-01-15\"");
    free(t);
    b[1] = 11;
    put_le(b + 3, (uint64_t) - (int64_t)((((838ULL << 12) | (59 << 6) | 59) << 24) | 1), 8);
    t = jtext(b, sizeof b);
    CHECK_STR(t, "\"-838:59:59.000001\"");
    free(t);
    CHECK_JSON(B(0x0f, 10, 0x04, 0, 0, 0, 0),
               "ERR: MySQL binary JSON: temporal value shorter than 8 bytes");
    CHECK_JSON(B(0x0f, 246, 0x04, 70, 2, 0x83, 0x0e),
               "ERR: MySQL binary JSON: bad decimal precision or scale");
    CHECK_JSON(B(0x0f, 246, 0x03, 3, 2, 0x83), "ERR: MySQL binary JSON: truncated decimal");
}

static void test_malformed(void)
{
    /* every truncation of a document is refused, never read past */
    for (size_t n = 1; n < sizeof small_object; n++) {
        uint8_t *b = malloc(n);
        memcpy(b, small_object, n);
        char *t = jtext(b, n);
        CHECK(strncmp(t, "ERR: MySQL binary JSON: ", 24) == 0);
        free(t);
        free(b);
    }
    CHECK_JSON(B(0x0d, 0x00), "ERR: MySQL binary JSON: unknown value type 0x0d");
    CHECK_JSON(B(0x04, 0x03), "ERR: MySQL binary JSON: bad literal");
    CHECK_JSON(B(0x05, 0x01), "ERR: MySQL binary JSON: truncated number");
    CHECK_JSON(B(0x0c, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01),
               "ERR: MySQL binary JSON: truncated string");
    /* a value offset into the entries themselves, and past the container */
    CHECK_JSON(B(0x02, 0x01, 0x00, 0x07, 0x00, 0x0c, 0x02, 0x00),
               "ERR: MySQL binary JSON: value offset outside its object or array");
    CHECK_JSON(B(0x02, 0x01, 0x00, 0x07, 0x00, 0x0c, 0x09, 0x00),
               "ERR: MySQL binary JSON: value offset outside its object or array");
    /* more elements than the size holds; a key past the end */
    CHECK_JSON(B(0x02, 0xff, 0x00, 0x07, 0x00, 0x04, 0x00, 0x00),
               "ERR: MySQL binary JSON: element count past the end of the value");
    CHECK_JSON(B(0x00, 0x01, 0x00, 0x0b, 0x00, 0x0a, 0x00, 0x05, 0x00, 0x04, 0x00, 0x00),
               "ERR: MySQL binary JSON: object key past the end of the value");
}

/* One event (header, body, CRC32) appended at buf + *off; log_pos is the end offset. */
static void add_event(uint8_t *buf, size_t *off, uint8_t type, const uint8_t *body, size_t n)
{
    uint8_t *e = buf + *off;
    size_t size = 19 + n + 4;
    put_le(e, 1700000000, 4);
    e[4] = type;
    put_le(e + 5, 1, 4);
    put_le(e + 9, size, 4);
    put_le(e + 13, *off + size, 4);
    put_le(e + 17, 0, 2);
    memcpy(e + 19, body, n);
    put_le(e + 19 + n, crc32(0, e, (uInt)(19 + n)), 4);
    *off += size;
}

static void test_rows_event(void)
{
    static uint8_t buf[1024];
    size_t off = 0;
    uint8_t gtid[42] = {0x01};
    for (int i = 0; i < 16; i++)
        gtid[1 + i] = (uint8_t)(0x10 + i);
    gtid[17] = 9; /* transaction 9 */
    add_event(buf, &off, 33, gtid, sizeof gtid);
    /* QUERY: thread, exec time, db length, error, status length, db, NUL, statement */
    uint8_t q[64] = {0};
    q[8] = 2;
    memcpy(q + 13, "db\0BEGIN", 8);
    add_event(buf, &off, 2, q, 13 + 8);
    /* TABLE_MAP: id 5, db.t, columns INT and JSON (metadata: 4-byte length), nullable */
    static const uint8_t tm[] = {5, 0, 0,   0, 0, 0, 1,   0, 2, 'd', 'b',
                                 0, 1, 't', 0, 2, 3, 245, 1, 4, 3};
    add_event(buf, &off, 19, tm, sizeof tm);
    /* WRITE_ROWS v2: id 5, flags, extra length 2, 2 columns, both present; one row: no NULLs,
     * INT 7, JSON of 4-byte length + the small object */
    uint8_t rows[128] = {5, 0, 0, 0, 0, 0, 0, 0, 2, 0, 2, 0x03, 0x00, 7, 0, 0, 0};
    size_t rn = 17;
    put_le(rows + rn, sizeof small_object, 4);
    memcpy(rows + rn + 4, small_object, sizeof small_object);
    rn += 4 + sizeof small_object;
    add_event(buf, &off, 30, rows, rn);
    static const uint8_t xid[8] = {1};
    add_event(buf, &off, 16, xid, sizeof xid);

    struct arus_strbuf out;
    struct arus_error err;
    arus_strbuf_init(&out);
    int rc = arus__my_binlog_replay(buf, off, NULL, &out, &err);
    if (rc != ARUS_OK)
        fprintf(stderr, "replay: %s\n", err.msg);
    CHECK_INT(rc, ARUS_OK);
    /* the BEGIN comes from the QUERY (MySQL), positions are the offsets past each event */
    CHECK_STR(
        out.data,
        "{\"kind\":\"begin\",\"gtid\":\"10111213-1415-1617-1819-1a1b1c1d1e1f:9\",\"pos\":109}\n"
        "{\"kind\":\"insert\",\"gtid\":\"10111213-1415-1617-1819-1a1b1c1d1e1f:9\",\"pos\":230,"
        "\"table\":\"db.t\",\"after\":{\"#1\":\"7\",\"#2\":\"{\\\"a\\\": 1, \\\"b\\\": [true, "
        "\\\"x\\\"]}\"}}\n"
        "{\"kind\":\"commit\",\"gtid\":\"10111213-1415-1617-1819-1a1b1c1d1e1f:9\",\"pos\":261}\n");
    arus_strbuf_cleanup(&out);
}

int main(void)
{
    RUN(test_scalars);
    RUN(test_strings);
    RUN(test_containers);
    RUN(test_nesting);
    RUN(test_opaque);
    RUN(test_malformed);
    RUN(test_rows_event);
    return check_exit();
}

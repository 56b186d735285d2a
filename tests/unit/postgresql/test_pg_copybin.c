/* Binary COPY fields against what PostgreSQL's own *_send functions produce for the same
 * values (the expected hex was taken from a server: `SELECT encode(numeric_send(...), 'hex')`),
 * NULL, the header and trailer, the type OIDs each logical type fits, and the texts the
 * encoder leaves to a text COPY. */
#include <stdio.h>
#include <string.h>

#include "arus/strbuf.h"
#include "check.h"
#include "connectors/postgresql/copybin.h"

/* Hex of the encoded field (length word included), or "text" when the encoder declines. */
static const char *enc(enum arus_ltype lt, const char *v)
{
    static char hex[512];
    struct arus_type t = {.ltype = lt};
    struct arus_strbuf sb;
    arus_strbuf_init(&sb);
    if (!arus__pg_bin_cell(&sb, &t, v, v ? strlen(v) : 0)) {
        arus_strbuf_cleanup(&sb);
        return "text";
    }
    size_t o = 0;
    for (size_t i = 0; i < sb.len && o + 3 < sizeof hex; i++)
        o += (size_t)snprintf(hex + o, sizeof hex - o, "%02x", (unsigned char)sb.data[i]);
    hex[o] = '\0';
    arus_strbuf_cleanup(&sb);
    return hex;
}

static void test_values(void)
{
    CHECK_STR(enc(ARUS_T_STRING, NULL), "ffffffff");
    CHECK_STR(enc(ARUS_T_BOOL, "true"), "0000000101");
    CHECK_STR(enc(ARUS_T_BOOL, "false"), "0000000100");
    CHECK_STR(enc(ARUS_T_INT16, "1"), "000000020001");
    CHECK_STR(enc(ARUS_T_INT16, "-32768"), "000000028000");
    CHECK_STR(enc(ARUS_T_INT32, "-1"), "00000004ffffffff");
    CHECK_STR(enc(ARUS_T_INT64, "-9223372036854775808"), "000000088000000000000000");
    CHECK_STR(enc(ARUS_T_INT64, "9223372036854775807"), "000000087fffffffffffffff");
    CHECK_STR(enc(ARUS_T_DECIMAL, "12345.6789"), "0000000e0003000100000004000109291a85");
    CHECK_STR(enc(ARUS_T_DECIMAL, "-0.00001"), "0000000a0001fffe4000000503e8");
    CHECK_STR(enc(ARUS_T_DECIMAL, "0.00"), "000000080000000000000002");
    CHECK_STR(enc(ARUS_T_DECIMAL, "-0.00"), "000000080000000000000002");
    CHECK_STR(enc(ARUS_T_DECIMAL, "-12.30"), "0000000c0002000040000002000c0bb8");
    CHECK_STR(enc(ARUS_T_DECIMAL, "100000000"), "0000000a00010002000000000001");
    CHECK_STR(enc(ARUS_T_DECIMAL, "000100000000"), "0000000a00010002000000000001");
    CHECK_STR(enc(ARUS_T_UINT64, "18446744073709551615"),
              "00000012000500040000000007341a5802e103bb064f");
    CHECK_STR(enc(ARUS_T_FLOAT64, "1.5"), "000000083ff8000000000000");
    CHECK_STR(enc(ARUS_T_FLOAT32, "0.25"), "000000043e800000");
    CHECK_STR(enc(ARUS_T_DATE, "2024-02-29"), "0000000400002279");
    CHECK_STR(enc(ARUS_T_DATE, "0001-01-01"), "00000004fff4dbf9");
    CHECK_STR(enc(ARUS_T_TIMESTAMP, "1999-12-31 23:59:59.5"), "00000008fffffffffff85ee0");
    CHECK_STR(enc(ARUS_T_TIMESTAMP, "9999-12-31 23:59:59.999999"), "000000080380e70b913b7fff");
    CHECK_STR(enc(ARUS_T_TIMESTAMPTZ, "2000-01-01 00:00:01.000001"), "0000000800000000000f4241");
    CHECK_STR(enc(ARUS_T_UUID, "0c8f6e0e-1d0f-4d5e-9f5e-2c8b1a8f0e11"),
              "000000100c8f6e0e1d0f4d5e9f5e2c8b1a8f0e11");
    CHECK_STR(enc(ARUS_T_JSON, "{\"a\": 1}"), "00000009017b2261223a20317d");
    CHECK_STR(enc(ARUS_T_JSON, "[1,null]"), "00000009015b312c6e756c6c5d");
    CHECK_STR(enc(ARUS_T_STRING, "\xc3\xbc\t\\"), "00000004c3bc095c");
    CHECK_STR(enc(ARUS_T_STRING, ""), "00000000");
    CHECK_STR(enc(ARUS_T_BYTES, "\x01\xff"), "0000000201ff");
}

/* What the server must judge itself (errors worded by PostgreSQL, rounding, specials). */
static void test_left_to_text(void)
{
    const struct {
        enum arus_ltype lt;
        const char *v;
    } cases[] = {
        {ARUS_T_BOOL, "t"},
        {ARUS_T_INT16, "32768"},
        {ARUS_T_INT32, "2147483648"},
        {ARUS_T_INT64, "9223372036854775808"},
        {ARUS_T_INT64, "12a"},
        {ARUS_T_INT64, ""},
        {ARUS_T_INT64, "-"},
        {ARUS_T_DECIMAL, "NaN"},
        {ARUS_T_DECIMAL, "1e5"},
        {ARUS_T_DECIMAL, "."},
        {ARUS_T_DECIMAL, "-"},
        {ARUS_T_FLOAT64, "NaN"},
        {ARUS_T_FLOAT64, "-Infinity"},
        {ARUS_T_FLOAT64, "1e999"},
        {ARUS_T_FLOAT32, "1e50"},
        {ARUS_T_DATE, "2023-02-29"},
        {ARUS_T_DATE, "0000-01-01"},
        {ARUS_T_DATE, "infinity"},
        {ARUS_T_TIMESTAMP, "2024-01-01 24:00:00"},
        {ARUS_T_TIMESTAMP, "2024-01-01 00:00:00.1234567"},
        {ARUS_T_TIMESTAMP, "2024-01-01 00:00:00."},
        {ARUS_T_TIMESTAMPTZ, "2024-01-01 00:00:00+02"},
        {ARUS_T_UUID, "0c8f6e0e1d0f4d5e9f5e2c8b1a8f0e11"},
        {ARUS_T_UUID, "0c8f6e0e-1d0f-4d5e-9f5e-2c8b1a8f0e1g"},
        {ARUS_T_STRING, "\xff"},
        {ARUS_T_STRING, "\xed\xa0\x80"}, /* a UTF-16 surrogate */
        {ARUS_T_STRING, "\xc0\x80"},     /* an overlong NUL */
        {ARUS_T_STRING, "\xe2\x82"},     /* cut short */
        {ARUS_T_TIME, "12:00:00"},
        {ARUS_T_INTERVAL, "P1D"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        CHECK_STR(enc(cases[i].lt, cases[i].v), "text");
    /* A NUL byte: text COPY reports it in arus's own words. */
    struct arus_type t = {.ltype = ARUS_T_STRING};
    struct arus_strbuf sb;
    arus_strbuf_init(&sb);
    CHECK(!arus__pg_bin_cell(&sb, &t, "a\0b", 3));
    t.ltype = ARUS_T_BYTES;
    arus_strbuf_reset(&sb);
    CHECK(arus__pg_bin_cell(&sb, &t, "a\0b", 3));
    CHECK_INT(sb.len, 7);
    arus_strbuf_cleanup(&sb);
}

static void test_framing_and_fits(void)
{
    struct arus_strbuf sb;
    arus_strbuf_init(&sb);
    arus__pg_bin_header(&sb);
    arus__pg_bin_row(&sb, 3);
    arus__pg_bin_trailer(&sb);
    CHECK_INT(sb.len, 19 + 2 + 2);
    CHECK(memcmp(sb.data, "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0\0\3\377\377", 23) == 0);
    arus_strbuf_cleanup(&sb);

    struct arus_type t = {.ltype = ARUS_T_STRING};
    CHECK(arus__pg_bin_fits(&t, 25) && arus__pg_bin_fits(&t, 1043) && !arus__pg_bin_fits(&t, 3802));
    t.ltype = ARUS_T_JSON;
    CHECK(arus__pg_bin_fits(&t, 3802) && !arus__pg_bin_fits(&t, 114));
    t.ltype = ARUS_T_INT32;
    CHECK(arus__pg_bin_fits(&t, 23) && !arus__pg_bin_fits(&t, 20));
    t.ltype = ARUS_T_UINT64;
    CHECK(arus__pg_bin_fits(&t, 1700));
    t.ltype = ARUS_T_TIMESTAMPTZ;
    CHECK(arus__pg_bin_fits(&t, 1184) && !arus__pg_bin_fits(&t, 1114));
    t.ltype = ARUS_T_TIME;
    CHECK(!arus__pg_bin_fits(&t, 1083));
}

int main(void)
{
    RUN(test_values);
    RUN(test_left_to_text);
    RUN(test_framing_and_fits);
    return check_exit();
}

/* MySQL/MariaDB binlog decoder from captured events (tests/unit/mysql/fixtures/README.md): the
 * whole capture against its golden JSON lines, hand-checked hostile values (signed integers,
 * negative TIME, fractions, zero dates, ENUM/SET, charsets, minimal images), and corrupt input
 * (checksum, truncation). */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "arus/arena.h"
#include "arus/error.h"
#include "arus/strbuf.h"
#include "check.h"
#include "connectors/mysql/binlog.h"
#include "connectors/mysql/cdc.h"
#include "unit/support/read_file.h"

static char fixture_dir[2048];

static char *slurp(const char *name, size_t *len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", fixture_dir, name);
    return test_read_file(path, len);
}

struct fixture {
    char *events, *golden, *colls;
    size_t nevents, ngolden, ncolls;
    struct arus_arena *a;
    struct my_collations coll;
};

static bool fixture_load(struct fixture *f)
{
    memset(f, 0, sizeof *f);
    f->events = slurp("binlog_types.bin", &f->nevents);
    f->golden = slurp("binlog_types.jsonl", &f->ngolden);
    f->colls = slurp("binlog_types.coll", &f->ncolls);
    f->a = arus_arena_create(0);
    struct arus_error err;
    return f->events && f->golden && f->colls &&
           arus__my_collations_parse(f->colls, f->ncolls, f->a, &f->coll, &err) == ARUS_OK;
}

static void fixture_free(struct fixture *f)
{
    free(f->events);
    free(f->golden);
    free(f->colls);
    arus_arena_destroy(f->a);
}

/* Load the fixture and decode the whole capture into out (JSON lines). */
static bool fixture_decode(struct fixture *f, struct arus_strbuf *out)
{
    struct arus_error err;
    arus_strbuf_init(out);
    return fixture_load(f) && arus__my_binlog_replay((const uint8_t *)f->events, f->nevents,
                                                     &f->coll, out, &err) == ARUS_OK;
}

static void test_golden(void)
{
    struct fixture f;
    struct arus_strbuf out;
    REQUIRE(fixture_decode(&f, &out));
    CHECK_INT(out.len, f.ngolden);
    CHECK(out.len == f.ngolden && memcmp(out.data, f.golden, out.len) == 0);
    arus_strbuf_cleanup(&out);
    fixture_free(&f);
}

/* The values libmariadb's own row decoder gets wrong, and the extract path's renderings. */
static void test_hostile_values(void)
{
    static const char *const want[] = {
        /* signed and unsigned integers of every width, YEAR before an unsigned column */
        "\"y\":\"2024\",\"tiu\":\"255\",\"ti\":\"-128\",\"si\":\"-3\",\"siu\":\"65535\"",
        "\"i\":\"-7\",\"iu\":\"4294967295\",\"bi\":\"-9223372036854775808\","
        "\"biu\":\"18446744073709551615\"",
        /* DECIMAL(65,30), a bare fraction, scale 0 */
        "\"d1\":\"-12345678901234567890123456789012345.123456789012345678901234567890\","
        "\"d2\":\"-0.50\",\"d3\":\"99999\",\"d4\":\"0.000000001\",\"d5\":\"-0.999999999\"",
        "\"f\":\"3.4e+38\",\"dbl\":\"1.7976931348623157e+308\"",
        /* CHAR without its trailing spaces, hostile VARCHAR */
        "\"c\":\"ab\",\"vc\":\"quote ' dq \\\" bs \\\\ nl \\n tab \\t nul \\u0000 end\"",
        "\"lt\":\"long \xf0\x9f\x98\x80\"",
        /* BINARY(8) padded back with zeros: a\0b\0\0\0\0\0 */
        "\"bn\":\"YQBiAAAAAAA=\"",
        "\"e\":\"\xc3\xa7 d\",\"s\":\"x,z;\",\"bt1\":\"1\",\"bt17\":\"65537\","
        "\"bt64\":\"18446744073709551615\"",
        /* negative TIME, TIME(n) fractions, DATETIME2/TIMESTAMP2 fractions in UTC */
        "\"tm\":\"-838:59:59\",\"tm3\":\"-00:00:01.5\",\"tm6\":\"838:59:59\","
        "\"tm1\":\"-12:34:56.7\"",
        "\"dtm\":\"9999-12-31 23:59:59\",\"dtm2\":\"2000-01-01 00:00:00.01\","
        "\"dtm6\":\"1000-01-01 00:00:00.000001\",\"ts\":\"1970-01-01 00:00:01\","
        "\"ts4\":\"2038-01-19 03:14:07.9999\",\"ts6\":\"2001-02-03 04:05:06.000007\"",
        /* zero dates and zero-part dates are NULL, as the extract renders them */
        "\"dt\":null,\"tm\":\"00:00:00\",\"tm3\":\"00:00:00\",\"tm6\":\"-00:00:00.000001\"",
        "\"dtm\":null,\"dtm2\":null,\"dtm6\":null,\"ts\":null,\"ts4\":null",
        /* an update's new negative TIME(6) */
        "\"tm6\":\"-100:00:00.00001\"",
        /* MINIMAL image: key only before, changed columns only after */
        "\"before\":{\"id\":\"1\"},\"after\":{\"si\":\"-32768\",\"lt\":\"minimal\","
        "\"bl\":\"AAE=\"}}",
        /* charsets to UTF-8: latin1 (cp1252 euro and per-mille), ucs2, utf32, cp1251, gbk */
        "\"l1\":\"caf\xc3\xa9 \xe2\x82\xac\xe2\x80\xb0\"",
        "\"uc\":\"\xc4\x80\xc4\x92\"",
        "\"u32\":\"\xf0\x9d\x84\x9e clef\",\"cp\":\"\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5"
        "\xd1\x82\",\"gb\":\"\xe4\xb8\xad\xe6\x96\x87\"",
        "\"el\":\"\xc3\x9f\",\"sl\":\"\xc3\xa4,\xc3\xb6\"",
    };
    struct fixture f;
    struct arus_strbuf out;
    REQUIRE(fixture_decode(&f, &out));
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!strstr(out.data, want[i])) {
            fprintf(stderr, "  missing: %s\n", want[i]);
            CHECK(!"decoded value");
        }
    arus_strbuf_cleanup(&out);
    fixture_free(&f);
}

/* Transactions: every row change between a BEGIN and a COMMIT of the same GTID. */
static void test_transactions(void)
{
    struct fixture f;
    struct arus_strbuf out;
    REQUIRE(fixture_decode(&f, &out));
    int open = 0, rows = 0, ddl = 0;
    for (char *line = out.data; line && *line;) {
        char *eol = strchr(line, '\n');
        *eol = '\0';
        if (strstr(line, "\"kind\":\"begin\"")) {
            CHECK(!open);
            open = 1;
        } else if (strstr(line, "\"kind\":\"commit\"")) {
            CHECK(open);
            open = 0;
        } else if (strstr(line, "\"kind\":\"ddl\"")) {
            CHECK(!open);
            ddl++;
        } else {
            CHECK(open);
            rows++;
        }
        line = eol + 1;
    }
    CHECK_INT(rows, 15);
    CHECK_INT(ddl, 3);
    arus_strbuf_cleanup(&out);
    fixture_free(&f);
}

static void test_corrupt(void)
{
    struct fixture f;
    struct arus_strbuf out;
    struct arus_error err;
    arus_strbuf_init(&out);
    REQUIRE(fixture_load(&f));
    /* one flipped byte in the first event after the FORMAT_DESCRIPTION */
    size_t first = (size_t)arus__my_le((const uint8_t *)f.events + 9, 4);
    f.events[first + 25] ^= 0x40;
    CHECK_INT(arus__my_binlog_replay((const uint8_t *)f.events, f.nevents, &f.coll, &out, &err),
              ARUS_EDATA);
    CHECK(strstr(err.msg, "CRC32 checksum mismatch") != NULL);
    f.events[first + 25] ^= 0x40;
    /* cut inside an event */
    arus_strbuf_reset(&out);
    f.nevents = first + 10;
    CHECK_INT(arus__my_binlog_replay((const uint8_t *)f.events, f.nevents, &f.coll, &out, &err),
              ARUS_EDATA);
    CHECK(strstr(err.msg, "bad event at offset") != NULL);
    arus_strbuf_cleanup(&out);
    fixture_free(&f);
}

/* Append one event (header with type, log_pos; body; CRC32) to sb. */
static void put_event(struct arus_strbuf *sb, uint8_t type, uint32_t log_pos, const void *body,
                      size_t n)
{
    uint8_t h[19] = {0};
    uint32_t size = (uint32_t)(19 + n + 4);
    h[4] = type;
    h[5] = 1; /* server id 1 */
    for (int i = 0; i < 4; i++) {
        h[9 + i] = (uint8_t)(size >> (8 * i));
        h[13 + i] = (uint8_t)(log_pos >> (8 * i));
    }
    size_t start = sb->len;
    arus_strbuf_append(sb, h, sizeof h);
    arus_strbuf_append(sb, body, n);
    uint32_t crc = (uint32_t)crc32(0L, (const Bytef *)sb->data + start, (uInt)(sb->len - start));
    uint8_t t[4] = {(uint8_t)crc, (uint8_t)(crc >> 8), (uint8_t)(crc >> 16), (uint8_t)(crc >> 24)};
    arus_strbuf_append(sb, t, 4);
}

/* MySQL 8 writes v2 rows events (an extra-data block after the flags): the same rows as v1
 * must decode to the same changes. */
static void test_rows_v2(void)
{
    struct fixture f;
    struct arus_strbuf v2, out;
    struct arus_error err;
    arus_strbuf_init(&v2);
    arus_strbuf_init(&out);
    REQUIRE(fixture_load(&f));
    size_t converted = 0;
    for (size_t off = 0; off < f.nevents;) {
        const uint8_t *ev = (const uint8_t *)f.events + off;
        size_t n = (size_t)arus__my_le(ev + 9, 4);
        if (ev[4] >= 23 && ev[4] <= 25) {
            /* table id(6) flags(2), then extra-data length 2 (itself only) */
            struct arus_strbuf body;
            arus_strbuf_init(&body);
            arus_strbuf_append(&body, ev + 19, 8);
            arus_strbuf_append(&body, "\x02\x00", 2);
            arus_strbuf_append(&body, ev + 27, n - 27 - 4);
            put_event(&v2, (uint8_t)(ev[4] + 7), (uint32_t)arus__my_le(ev + 13, 4), body.data,
                      body.len);
            arus_strbuf_cleanup(&body);
            converted++;
        } else {
            arus_strbuf_append(&v2, ev, n);
        }
        off += n;
    }
    CHECK(converted >= 10);
    CHECK_INT(arus__my_binlog_replay((const uint8_t *)v2.data, v2.len, &f.coll, &out, &err),
              ARUS_OK);
    CHECK(out.len == f.ngolden && memcmp(out.data, f.golden, out.len) == 0);
    arus_strbuf_cleanup(&out);
    arus_strbuf_cleanup(&v2);
    fixture_free(&f);
}

/* MySQL's transaction framing: GTID_LOG_EVENT (uuid:n), QUERY BEGIN, ..., XID; and a DDL. */
static void test_mysql_gtid(void)
{
    struct arus_strbuf ev, out;
    struct arus_error err;
    arus_strbuf_init(&ev);
    arus_strbuf_init(&out);
    uint8_t gtid[25] = {1,    0x3e, 0x11, 0xfa, 0x47, 0x71, 0xca, 0x11, 0xe1,
                        0x9e, 0x33, 0xc8, 0x0a, 0xa9, 0x42, 0x95, 0x62, 77};
    /* QUERY: thread(4) time(4) dblen(1) error(2) statuslen(2) db NUL statement */
    static const char begin[] = "\0\0\0\0\0\0\0\0\x01\0\0\0\0d\0BEGIN";
    static const char ddl[] = "\0\0\0\0\0\0\0\0\x01\0\0\0\0d\0ALTER TABLE t ADD c INT";
    uint8_t xid[8] = {9};
    put_event(&ev, MY_EV_MYSQL_GTID, 100, gtid, sizeof gtid);
    put_event(&ev, MY_EV_QUERY, 200, begin, sizeof begin - 1);
    put_event(&ev, MY_EV_XID, 300, xid, sizeof xid);
    gtid[17] = 78;
    put_event(&ev, MY_EV_MYSQL_GTID, 400, gtid, sizeof gtid);
    put_event(&ev, MY_EV_QUERY, 500, ddl, sizeof ddl - 1);
    CHECK_INT(arus__my_binlog_replay((const uint8_t *)ev.data, ev.len, NULL, &out, &err), ARUS_OK);
    CHECK_STR(out.data,
              "{\"kind\":\"begin\",\"gtid\":\"3e11fa47-71ca-11e1-9e33-c80aa9429562:77\","
              "\"pos\":200}\n"
              "{\"kind\":\"commit\",\"gtid\":\"3e11fa47-71ca-11e1-9e33-c80aa9429562:77\","
              "\"pos\":300}\n"
              "{\"kind\":\"ddl\",\"gtid\":\"3e11fa47-71ca-11e1-9e33-c80aa9429562:78\","
              "\"pos\":500,\"database\":\"d\",\"statement\":\"ALTER TABLE t ADD c INT\"}\n");
    arus_strbuf_cleanup(&out);
    arus_strbuf_cleanup(&ev);
}

/* Inputs the fuzzer found: a row image of no columns (never advanced: endless loop) and an
 * ENUM label list longer than its field. Both must fail cleanly. */
static void test_fuzz_findings(void)
{
    static const uint8_t map_int[] = {1, 0, 0, 0, 0, 0, 0, 0, 1, 'd', 0, 1, 't', 0, 1, 3, 0, 0};
    static const uint8_t rows_none[] = {1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0xAA};
    static const uint8_t map_enum[] = {1,   0, 0, 0,   0, 0,    0, 0, 1, 'd', 0, 1,
                                       't', 0, 1, 254, 2, 0xF7, 1, 0, 6, 2,   5, 0};
    struct arus_strbuf ev, out;
    struct arus_error err;
    arus_strbuf_init(&ev);
    arus_strbuf_init(&out);
    put_event(&ev, MY_EV_TABLE_MAP, 100, map_int, sizeof map_int);
    put_event(&ev, 23, 200, rows_none, sizeof rows_none);
    CHECK_INT(arus__my_binlog_replay((const uint8_t *)ev.data, ev.len, NULL, &out, &err),
              ARUS_EDATA);
    CHECK(strstr(err.msg, "empty row image") != NULL);
    arus_strbuf_reset(&ev);
    put_event(&ev, MY_EV_TABLE_MAP, 100, map_enum, sizeof map_enum);
    CHECK_INT(arus__my_binlog_replay((const uint8_t *)ev.data, ev.len, NULL, &out, &err),
              ARUS_EDATA);
    CHECK(strstr(err.msg, "bad optional metadata") != NULL);
    arus_strbuf_cleanup(&out);
    arus_strbuf_cleanup(&ev);
}

static void test_gtid_state(void)
{
    char st[64] = "";
    struct arus_error err;
    CHECK_INT(arus__my_gtid_state_merge(st, sizeof st, "0-1-5", &err), ARUS_OK);
    CHECK_STR(st, "0-1-5");
    CHECK_INT(arus__my_gtid_state_merge(st, sizeof st, "1-2-7", &err), ARUS_OK);
    CHECK_STR(st, "0-1-5,1-2-7");
    CHECK_INT(arus__my_gtid_state_merge(st, sizeof st, "0-3-6", &err), ARUS_OK);
    CHECK_STR(st, "0-3-6,1-2-7");
    CHECK_INT(arus__my_gtid_state_merge(st, sizeof st, "1-2-x", &err), ARUS_EINVAL);
    CHECK_INT(arus__my_gtid_state_merge(st, 12, "2-2-123456", &err), ARUS_EINVAL);
    CHECK_STR(st, "0-3-6,1-2-7");
}

/* CDC positions (GTID states) order per domain; a missing domain is sequence 0; malformed
 * states sort first. */
static void test_position_cmp(void)
{
    CHECK_INT(arus__my_cdc_position_cmp("0-1-5", "0-1-5"), 0);
    CHECK(arus__my_cdc_position_cmp("0-1-6", "0-1-5") > 0);
    CHECK(arus__my_cdc_position_cmp("0-1-5", "0-2-10") < 0);
    CHECK(arus__my_cdc_position_cmp("0-1-5,1-2-7", "0-1-5") > 0);
    CHECK(arus__my_cdc_position_cmp("0-1-5", "1-2-7,0-1-5") < 0);
    CHECK_INT(arus__my_cdc_position_cmp("1-2-7,0-1-5", "0-1-5,1-2-7"), 0);
    CHECK(arus__my_cdc_position_cmp("0-1-5", "") > 0);
    CHECK_INT(arus__my_cdc_position_cmp("", ""), 0);
    CHECK(arus__my_cdc_position_cmp("0-1-x", "") < 0);
    CHECK(arus__my_cdc_position_cmp("0-1-5", "garbage") > 0);
    CHECK_INT(arus__my_cdc_position_cmp("bad", "worse"), 0);
    /* diverged states order the same way from both sides (smallest differing domain) */
    CHECK(arus__my_cdc_position_cmp("0-1-6,1-2-3", "0-1-5,1-2-4") > 0);
    CHECK(arus__my_cdc_position_cmp("0-1-5,1-2-4", "0-1-6,1-2-3") < 0);
}

/* Binding the table's schema (what the watermark path reads) turns tinyint(1) into BOOL; other
 * tables are skipped. */
static int bind_bool(void *ctx, struct my_tablemap *tm, struct arus_error *err)
{
    (void)err;
    if (strcmp(tm->table, "t_types") == 0)
        arus__my_tablemap_bind_schema(tm, ctx);
    else
        tm->skip = true;
    return ARUS_OK;
}

static void test_bind_schema(void)
{
    struct fixture f;
    struct arus_strbuf out;
    REQUIRE(fixture_decode(&f, &out));
    struct arus_column cols[2] = {{.name = "id", .type = {.ltype = ARUS_T_INT32}},
                                  {.name = "B", .type = {.ltype = ARUS_T_BOOL}}};
    struct arus_table_schema t = {.name = "t_types", .columns = cols, .ncolumns = 2};
    struct my_stream s;
    struct arus_arena *a = arus_arena_create(0);
    struct arus_error err;
    arus__my_stream_init(&s, true, &f.coll, bind_bool, &t);
    int trues = 0, falses = 0, others = 0;
    for (size_t off = 0; off < f.nevents;) {
        size_t n = (size_t)arus__my_le((const uint8_t *)f.events + off + 9, 4);
        REQUIRE(arus__my_stream_feed(&s, (const uint8_t *)f.events + off, n, &err) == ARUS_OK);
        struct my_change c;
        while (arus__my_stream_next(&s, a, &c, &err) > 0)
            if (c.table && strcmp(c.table->table, "t_types") != 0)
                others++;
            else if (c.kind == MY_CH_INSERT && c.after.cells[1].data) {
                trues += strcmp(c.after.cells[1].data, "true") == 0;
                falses += strcmp(c.after.cells[1].data, "false") == 0;
            }
        off += n;
    }
    CHECK_INT(trues, 2); /* rows 1 and 4 */
    CHECK_INT(falses, 1);
    CHECK_INT(others, 0); /* t_charsets skipped */
    arus__my_stream_cleanup(&s);
    arus_arena_destroy(a);
    arus_strbuf_cleanup(&out);
    fixture_free(&f);
}

/* A rows event of a skipped table is not read, so its CRC32 is not computed either: one with a
 * corrupt row image passes, while the same corruption in a captured table's rows event (and in
 * any table map) is a checksum mismatch. */
static void test_skipped_rows_unchecked(void)
{
    struct fixture f;
    REQUIRE(fixture_load(&f));
    struct arus_column cols[2] = {{.name = "id", .type = {.ltype = ARUS_T_INT32}},
                                  {.name = "B", .type = {.ltype = ARUS_T_BOOL}}};
    struct arus_table_schema t = {.name = "t_types", .columns = cols, .ncolumns = 2};
    struct my_stream s;
    struct arus_error err;
    arus__my_stream_init(&s, true, &f.coll, bind_bool, &t);
    int skipped = 0, captured = 0, maps = 0;
    for (size_t off = 0; off < f.nevents;) {
        uint8_t *ev = (uint8_t *)f.events + off;
        size_t n = (size_t)arus__my_le(ev + 9, 4);
        bool rows = arus__my_is_rows_event(ev[4]);
        if (rows || ev[4] == MY_EV_TABLE_MAP) {
            /* the last byte before the CRC32: row data, or a map's last metadata byte */
            ev[n - 5] ^= 0x01;
            const struct my_tablemap *m = NULL;
            for (size_t i = 0; rows && i < s.nmaps; i++)
                if (s.maps[i]->table_id == arus__my_le(ev + 19, 6))
                    m = s.maps[i];
            int rc = arus__my_stream_feed(&s, ev, n, &err);
            if (m && m->skip) {
                CHECK_INT(rc, ARUS_OK);
                skipped++;
            } else {
                CHECK_INT(rc, ARUS_EDATA);
                CHECK(strstr(err.msg, "CRC32 checksum mismatch") != NULL);
                captured += rows;
                maps += !rows;
            }
            ev[n - 5] ^= 0x01;
        }
        REQUIRE(arus__my_stream_feed(&s, ev, n, &err) == ARUS_OK);
        off += n;
    }
    CHECK(skipped > 0);
    CHECK(captured > 0);
    CHECK(maps > 0);
    arus__my_stream_cleanup(&s);
    fixture_free(&f);
}

static void test_collations(void)
{
    struct arus_arena *a = arus_arena_create(0);
    struct my_collations c;
    struct arus_error err;
    const char text[] = "8 latin1\n45 utf8mb4\n\n33 utf8mb3\n";
    CHECK_INT(arus__my_collations_parse(text, sizeof text - 1, a, &c, &err), ARUS_OK);
    CHECK_STR(arus__my_collation_charset(&c, 45), "utf8mb4");
    CHECK_STR(arus__my_collation_charset(&c, 8), "latin1");
    CHECK_STR(arus__my_collation_charset(&c, 63), "binary");
    CHECK(arus__my_collation_charset(&c, 9999) == NULL);
    CHECK_INT(arus__my_collations_parse("x", 1, a, &c, &err), ARUS_EINVAL);
    arus_arena_destroy(a);
}

int main(void)
{
    char src[2048];
    snprintf(src, sizeof src, "%s", __FILE__);
    snprintf(fixture_dir, sizeof fixture_dir, "%s/fixtures", dirname(src));
    RUN(test_golden);
    RUN(test_hostile_values);
    RUN(test_transactions);
    RUN(test_corrupt);
    RUN(test_rows_v2);
    RUN(test_mysql_gtid);
    RUN(test_fuzz_findings);
    RUN(test_gtid_state);
    RUN(test_position_cmp);
    RUN(test_bind_schema);
    RUN(test_skipped_rows_unchecked);
    RUN(test_collations);
    return check_exit();
}

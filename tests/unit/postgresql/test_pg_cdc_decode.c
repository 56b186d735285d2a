/* The pgoutput decoder on hand-built messages (no server): Begin, Commit, Origin, Relation,
 * Type, Insert, Update with and without the old key, Delete by key and by whole row, unchanged
 * TOASTed values, Truncate; truncated and unknown messages fail in one line; LSN text both
 * ways and position order. */
#include <stdint.h>
#include <string.h>

#include "arus/arena.h"
#include "check.h"
#include "connectors/postgresql/cdc.h"

/* A message under construction. */
struct msg {
    unsigned char b[512];
    size_t n;
};

static void put(struct msg *m, uint64_t v, size_t bytes)
{
    for (size_t i = bytes; i-- > 0;)
        m->b[m->n++] = (unsigned char)(v >> (8 * i));
}

static void put_str(struct msg *m, const char *s)
{
    size_t n = strlen(s) + 1;
    memcpy(m->b + m->n, s, n);
    m->n += n;
}

static void put_text(struct msg *m, const char *s)
{
    put(m, 't', 1);
    put(m, strlen(s), 4);
    memcpy(m->b + m->n, s, strlen(s));
    m->n += strlen(s);
}

static struct arus_arena *arena;

static int decode(const struct msg *m, struct pg_msg *out, struct arus_error *err)
{
    arus_arena_reset(arena);
    arus_error_clear(err);
    return arus__pg_decode((const char *)m->b, m->n, arena, out, err);
}

static void test_begin_commit_origin(void)
{
    struct msg m = {0};
    struct pg_msg d;
    struct arus_error err;
    put(&m, 'B', 1);
    put(&m, 0x000000010000ABCDull, 8);
    put(&m, 123456789, 8);
    put(&m, 77, 4);
    REQUIRE(decode(&m, &d, &err) == ARUS_OK);
    CHECK(d.type == 'B' && d.lsn == 0x000000010000ABCDull && d.time == 123456789 && d.xid == 77);

    m.n = 0;
    put(&m, 'C', 1);
    put(&m, 0, 1);
    put(&m, 0x10, 8);
    put(&m, 0x28, 8);
    put(&m, 5, 8);
    REQUIRE(decode(&m, &d, &err) == ARUS_OK);
    CHECK(d.type == 'C' && d.lsn == 0x10 && d.end_lsn == 0x28 && d.time == 5);

    m.n = 0;
    put(&m, 'O', 1);
    put(&m, 0x99, 8);
    put_str(&m, "origin1");
    REQUIRE(decode(&m, &d, &err) == ARUS_OK);
    CHECK(d.type == 'O' && d.lsn == 0x99);
    CHECK_STR(d.relname, "origin1");
}

static void test_relation_and_type(void)
{
    struct msg m = {0};
    struct pg_msg d;
    struct arus_error err;
    put(&m, 'R', 1);
    put(&m, 16384, 4);
    put_str(&m, "we\"ird");
    put_str(&m, "t;1");
    put(&m, 'f', 1);
    put(&m, 2, 2);
    put(&m, 1, 1);
    put_str(&m, "id");
    put(&m, 20, 4);
    put(&m, 0xFFFFFFFF, 4);
    put(&m, 0, 1);
    put_str(&m, "va l");
    put(&m, 1043, 4);
    put(&m, 24, 4);
    REQUIRE(decode(&m, &d, &err) == ARUS_OK);
    CHECK(d.type == 'R' && d.relid == 16384 && d.replident == 'f' && d.ncolumns == 2);
    CHECK_STR(d.nspname, "we\"ird");
    CHECK_STR(d.relname, "t;1");
    CHECK(d.columns[0].key && d.columns[0].type_oid == 20 && d.columns[0].typmod == -1);
    CHECK(!d.columns[1].key && d.columns[1].typmod == 24);
    CHECK_STR(d.columns[1].name, "va l");

    m.n = 0;
    put(&m, 'Y', 1);
    put(&m, 90001, 4);
    put_str(&m, "public");
    put_str(&m, "mood");
    REQUIRE(decode(&m, &d, &err) == ARUS_OK);
    CHECK(d.type == 'Y' && d.relid == 90001);
    CHECK_STR(d.relname, "mood");
}

static void test_row_changes(void)
{
    struct msg m = {0};
    struct pg_msg d;
    struct arus_error err;
    put(&m, 'I', 1);
    put(&m, 16384, 4);
    put(&m, 'N', 1);
    put(&m, 3, 2);
    put_text(&m, "42");
    put(&m, 'n', 1);
    put_text(&m, "");
    REQUIRE(decode(&m, &d, &err) == ARUS_OK);
    CHECK(d.type == 'I' && d.relid == 16384 && d.nvalues == 3 && d.old_kind == 0);
    CHECK(d.values[0].kind == 't' && d.values[0].len == 2 &&
          memcmp(d.values[0].data, "42", 2) == 0);
    CHECK(d.values[1].kind == 'n' && d.values[2].kind == 't' && d.values[2].len == 0);

    /* Update that changed the key: old key, then the new row with an unchanged TOAST value. */
    m.n = 0;
    put(&m, 'U', 1);
    put(&m, 16384, 4);
    put(&m, 'K', 1);
    put(&m, 2, 2);
    put_text(&m, "1");
    put(&m, 'n', 1);
    put(&m, 'N', 1);
    put(&m, 2, 2);
    put_text(&m, "2");
    put(&m, 'u', 1);
    REQUIRE(decode(&m, &d, &err) == ARUS_OK);
    CHECK(d.type == 'U' && d.old_kind == 'K' && d.nold == 2 && d.nvalues == 2);
    CHECK(d.old_values[0].len == 1 && d.old_values[0].data[0] == '1');
    CHECK(d.values[0].data[0] == '2' && d.values[1].kind == 'u');

    /* Update without the old key. */
    m.n = 0;
    put(&m, 'U', 1);
    put(&m, 7, 4);
    put(&m, 'N', 1);
    put(&m, 1, 2);
    put_text(&m, "x");
    REQUIRE(decode(&m, &d, &err) == ARUS_OK);
    CHECK(d.old_kind == 0 && d.nvalues == 1);

    /* Delete with the whole old row (REPLICA IDENTITY FULL). */
    m.n = 0;
    put(&m, 'D', 1);
    put(&m, 7, 4);
    put(&m, 'O', 1);
    put(&m, 2, 2);
    put_text(&m, "5");
    put_text(&m, "five");
    REQUIRE(decode(&m, &d, &err) == ARUS_OK);
    CHECK(d.type == 'D' && d.old_kind == 'O' && d.nold == 2 && d.old_values[1].len == 4);

    m.n = 0;
    put(&m, 'T', 1);
    put(&m, 2, 4);
    put(&m, 1, 1);
    put(&m, 10, 4);
    put(&m, 11, 4);
    REQUIRE(decode(&m, &d, &err) == ARUS_OK);
    CHECK(d.type == 'T' && d.nrelids == 2 && d.relids[0] == 10 && d.relids[1] == 11 &&
          d.truncate_flags == 1);
}

static void test_malformed(void)
{
    struct msg m = {0};
    struct pg_msg d;
    struct arus_error err;
    put(&m, 'I', 1);
    put(&m, 1, 4);
    put(&m, 'N', 1);
    put(&m, 1, 2);
    put(&m, 't', 1);
    put(&m, 100, 4); /* says 100 bytes, has 2 */
    put(&m, 'a', 1);
    put(&m, 'b', 1);
    CHECK_INT(decode(&m, &d, &err), ARUS_EDATA);
    CHECK_STR(err.msg, "pgoutput message 'I': truncated or malformed (15 bytes)");

    m.n = 0;
    put(&m, 'R', 1);
    put(&m, 1, 4);
    put(&m, 'x', 1); /* a name without its NUL */
    CHECK_INT(decode(&m, &d, &err), ARUS_EDATA);

    m.n = 0;
    put(&m, 'D', 1);
    put(&m, 1, 4);
    put(&m, 'N', 1); /* a delete must name the old row */
    CHECK_INT(decode(&m, &d, &err), ARUS_EDATA);

    m.n = 0;
    put(&m, 'T', 1);
    put(&m, 0x7FFFFFFF, 4); /* an absurd count */
    put(&m, 0, 1);
    CHECK_INT(decode(&m, &d, &err), ARUS_EDATA);

    m.n = 0;
    put(&m, 'Z', 1);
    CHECK_INT(decode(&m, &d, &err), ARUS_EDATA);
    CHECK_STR(err.msg, "pgoutput message 'Z' (0x5a): unknown type");
}

static void test_lsn(void)
{
    char buf[32];
    uint64_t v = 0;
    arus__pg_lsn_format(0x00000003DA044FE8ull, buf, sizeof buf);
    CHECK_STR(buf, "3/DA044FE8");
    CHECK(arus__pg_lsn_parse("3/DA044FE8", &v) && v == 0x00000003DA044FE8ull);
    CHECK(arus__pg_lsn_parse("0/0", &v) && v == 0);
    CHECK(arus__pg_lsn_parse("ffffffff/ffffffff", &v) && v == UINT64_MAX);
    CHECK(!arus__pg_lsn_parse("3DA044FE8", &v));
    CHECK(!arus__pg_lsn_parse("/1", &v) && !arus__pg_lsn_parse("1/", &v));
    CHECK(!arus__pg_lsn_parse("123456789/1", &v) && !arus__pg_lsn_parse("1/x", &v));
    CHECK(!arus__pg_lsn_parse(NULL, &v));
    CHECK(arus__pg_cdc_position_cmp("0/10", "0/9") > 0);
    CHECK(arus__pg_cdc_position_cmp("1/0", "0/FFFFFFFF") > 0);
    CHECK(arus__pg_cdc_position_cmp("0/A", "0/a") == 0);
    CHECK(arus__pg_cdc_position_cmp("junk", "0/0") < 0);
}

int main(void)
{
    arena = arus_arena_create(0);
    RUN(test_begin_commit_origin);
    RUN(test_relation_and_type);
    RUN(test_row_changes);
    RUN(test_malformed);
    RUN(test_lsn);
    arus_arena_destroy(arena);
    return check_exit();
}

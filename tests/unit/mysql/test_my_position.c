/* Positions of MySQL/MariaDB binlog CDC without a server: MySQL GTID sets (parse, format,
 * add, contains, subset, the position order), MySQL's GTID and PREVIOUS_GTIDS events from byte
 * fixtures built per the documented layout, binlog file positions and their order across
 * rotations, the position-kind dispatch, and the server flavour's settings/grants decision. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arus/error.h"
#include "arus/strbuf.h"
#include "check.h"
#include "connectors/mysql/binlog.h"
#include "connectors/mysql/cdc.h"
#include "connectors/mysql/position.h"

#define U1 "3e11fa47-71ca-11e1-9e33-c80aa9429562"
#define U2 "4f22ab58-82db-22f2-af44-d91bb0530673"

/* The canonical text of a parsed set, or "ERR: message". Caller frees. */
static char *canon(const char *text)
{
    struct my_gtid_set s = {0};
    struct arus_error err;
    struct arus_strbuf sb;
    arus_strbuf_init(&sb);
    if (arus__my_gtid_set_parse(text, &s, &err) != ARUS_OK)
        arus_strbuf_appendf(&sb, "ERR: %s", err.msg);
    else
        arus__my_gtid_set_format(&s, &sb);
    arus__my_gtid_set_cleanup(&s);
    char *out = strdup(sb.data ? sb.data : "");
    arus_strbuf_cleanup(&sb);
    return out;
}

#define CHECK_CANON(text, want)                                                                    \
    do {                                                                                           \
        char *c_ = canon(text);                                                                    \
        CHECK_STR(c_, want);                                                                       \
        free(c_);                                                                                  \
    } while (0)

static void test_gtid_set_text(void)
{
    CHECK_CANON("", "");
    CHECK_CANON(U1 ":1-5:11-18", U1 ":1-5:11-18");
    /* MySQL prints upper case too, with ",\n" between servers; sorted by uuid */
    CHECK_CANON(
        "4F22AB58-82DB-22F2-AF44-D91BB0530673:1-27,\n3E11FA47-71CA-11E1-9E33-C80AA9429562:7",
        U1 ":7," U2 ":1-27");
    /* overlapping, adjacent and unordered intervals merge; one transaction prints as n */
    CHECK_CANON(U1 ":11-18:1-5:6-10:3:20", U1 ":1-18:20");
    CHECK_CANON(U1 ":1-3," U1 ":4-9", U1 ":1-9");
    char *long_set = malloc(64 * 60);
    size_t k = 0;
    for (int i = 0; i < 60; i++) /* 60 servers: far past the old 64-byte position limit */
        k += (size_t)snprintf(long_set + k, 64 * 60 - k, "%s%08x-71ca-11e1-9e33-c80aa9429562:1-%d",
                              i ? "," : "", 0x10000000 + i, i + 2);
    char *c = canon(long_set);
    CHECK_STR(c, long_set);
    CHECK(strlen(c) > 2500);
    free(c);
    free(long_set);
    CHECK_CANON(U1,
                "ERR: GTID set \"" U1 "\": malformed at \"" U1 "\" (expected uuid:n[-m][:n[-m]]... "
                "joined by ',')");
    CHECK_CANON(U1 ":0", "ERR: GTID set \"" U1 ":0\": malformed at \"" U1 ":0\" (expected "
                         "uuid:n[-m][:n[-m]]... joined by ',')");
    CHECK_CANON(U1 ":5-3", "ERR: GTID set \"" U1 ":5-3\": malformed at \"" U1 ":5-3\" (expected "
                           "uuid:n[-m][:n[-m]]... joined by ',')");
    CHECK_CANON("3e11fa47-71ca-11e1-9e33-c80aa942956:1",
                "ERR: GTID set "
                "\"3e11fa47-71ca-11e1-9e33-c80aa942956:1\": malformed at "
                "\"3e11fa47-71ca-11e1-9e33-c80aa942956:1\" (expected uuid:n[-m][:n[-m]]... "
                "joined by ',')");
    CHECK_CANON(U1 ":tag:1-5", "ERR: GTID set \"" U1 ":tag:1-5\": tagged GTIDs (MySQL 8.3) are "
                               "not supported");
    CHECK_CANON(U1 ":1-2;", "ERR: GTID set \"" U1 ":1-2;\": malformed at \"" U1 ":1-2\" "
                            "(expected uuid:n[-m][:n[-m]]... joined by ',')");
}

static struct my_gtid_set parse(const char *text)
{
    struct my_gtid_set s = {0};
    struct arus_error err;
    if (arus__my_gtid_set_parse(text, &s, &err) != ARUS_OK)
        fprintf(stderr, "parse %s: %s\n", text, err.msg);
    return s;
}

static void test_gtid_set_ops(void)
{
    uint8_t u1[16], u2[16];
    REQUIRE(arus__my_uuid_parse(U1, u1) && arus__my_uuid_parse(U2, u2));
    struct my_gtid_set s = parse(U1 ":1-5:11-18");
    CHECK(arus__my_gtid_set_contains(&s, u1, 1));
    CHECK(arus__my_gtid_set_contains(&s, u1, 5));
    CHECK(!arus__my_gtid_set_contains(&s, u1, 6));
    CHECK(arus__my_gtid_set_contains(&s, u1, 18));
    CHECK(!arus__my_gtid_set_contains(&s, u2, 1));
    /* adding fills the gap: 6..10 join both neighbours */
    for (uint64_t g = 6; g <= 10; g++)
        arus__my_gtid_set_add(&s, u1, g);
    arus__my_gtid_set_add(&s, u2, 3);
    struct arus_strbuf sb;
    arus_strbuf_init(&sb);
    arus__my_gtid_set_format(&s, &sb);
    CHECK_STR(sb.data, U1 ":1-18," U2 ":3");
    arus_strbuf_cleanup(&sb);
    arus__my_gtid_set_cleanup(&s);

    struct my_gtid_set a = parse(U1 ":1-5"), b = parse(U1 ":1-9," U2 ":1"), c = parse(U1 ":1-4:6");
    struct my_gtid_set a2 = parse(U1 ":1-3:4-5"), e = parse("");
    CHECK(arus__my_gtid_set_subset(&a, &b));
    CHECK(!arus__my_gtid_set_subset(&b, &a));
    CHECK(arus__my_gtid_set_subset(&e, &a));
    CHECK(!arus__my_gtid_set_subset(&c, &a));
    CHECK_INT(arus__my_gtid_set_cmp(&a, &a2), 0);
    CHECK_INT(arus__my_gtid_set_cmp(&a, &b), -1);
    CHECK_INT(arus__my_gtid_set_cmp(&b, &a), 1);
    CHECK_INT(arus__my_gtid_set_cmp(&e, &a), -1);
    /* diverged (a has 5, c has 6 but not 5): a total, antisymmetric order */
    int ac = arus__my_gtid_set_cmp(&a, &c), ca = arus__my_gtid_set_cmp(&c, &a);
    CHECK(ac != 0 && ac == -ca);
    struct my_gtid_set *all[] = {&a, &b, &c, &a2, &e};
    for (size_t i = 0; i < 5; i++)
        arus__my_gtid_set_cleanup(all[i]);
}

/* The apply loop's rule through the source's comparison: a transaction's position is the
 * stored set with its GTID added; it is skipped when that is not above the stored set, i.e.
 * when the stored set already contains the GTID. */
static void test_gtid_set_positions(void)
{
    const char *stored = U1 ":1-10," U2 ":1-3";
    CHECK(arus__my_cdc_position_cmp(U1 ":1-10," U2 ":1-3", stored) == 0); /* u1:7, applied */
    CHECK(arus__my_cdc_position_cmp(U1 ":1-11," U2 ":1-3", stored) > 0);  /* u1:11, new */
    CHECK(arus__my_cdc_position_cmp(U1 ":1-10," U2 ":1-4", stored) > 0);  /* u2:4, new */
    CHECK(arus__my_cdc_position_cmp(stored, U1 ":1-11," U2 ":1-3") < 0);
    CHECK(arus__my_cdc_position_cmp(stored, "") > 0);
    CHECK(arus__my_cdc_position_cmp("", stored) < 0);
    CHECK_INT(arus__my_pos_kind(stored), MY_POS_MYSQL_GTIDS);
}

static void test_mysql_events(void)
{
    /* GTID_LOG_EVENT body: flags, sid, gno, then the logical clock (type 2, last_committed,
     * sequence_number) which is not read */
    uint8_t g[42] = {0x01};
    REQUIRE(arus__my_uuid_parse(U1, g + 1));
    g[17] = 0x2a; /* gno 42 + 2^40 */
    g[22] = 0x01;
    g[25] = 2;
    uint8_t uuid[16];
    uint64_t gno = 0;
    struct arus_error err;
    CHECK_INT(arus__my_gtid_event_decode(g, sizeof g, uuid, &gno, &err), ARUS_OK);
    CHECK(memcmp(uuid, g + 1, 16) == 0);
    CHECK(gno == 42 + (1ULL << 40));
    CHECK_INT(arus__my_gtid_event_decode(g, 24, uuid, &gno, &err), ARUS_EDATA);
    CHECK_STR(err.msg, "GTID event: 24 bytes, needs at least 25");

    /* PREVIOUS_GTIDS: 2 sids; U2 with [1, 28) and U1 with [1, 6) and [11, 19) (end exclusive) */
    uint8_t p[8 + 24 + 16 + 24 + 32] = {2};
    size_t o = 8;
    arus__my_uuid_parse(U2, p + o);
    p[o + 16] = 1;
    p[o + 24] = 1;
    p[o + 32] = 28;
    o += 40;
    arus__my_uuid_parse(U1, p + o);
    p[o + 16] = 2;
    p[o + 24] = 1;
    p[o + 32] = 6;
    p[o + 40] = 11;
    p[o + 48] = 19;
    struct my_gtid_set s = {0};
    REQUIRE(arus__my_previous_gtids_decode(p, sizeof p, &s, &err) == ARUS_OK);
    struct arus_strbuf sb;
    arus_strbuf_init(&sb);
    arus__my_gtid_set_format(&s, &sb);
    CHECK_STR(sb.data, U1 ":1-5:11-18," U2 ":1-27");
    arus_strbuf_cleanup(&sb);
    /* every truncation refused, and an empty interval */
    for (size_t n = 0; n < sizeof p; n++)
        CHECK_INT(arus__my_previous_gtids_decode(p, n, &s, &err), ARUS_EDATA);
    p[o + 48] = 11;
    CHECK_INT(arus__my_previous_gtids_decode(p, sizeof p, &s, &err), ARUS_EDATA);
    CHECK_STR(err.msg, "PREVIOUS_GTIDS event: bad interval [11, 11)");
    /* a count far past the buffer */
    p[0] = 0xff;
    p[7] = 0x7f;
    CHECK_INT(arus__my_previous_gtids_decode(p, sizeof p, &s, &err), ARUS_EDATA);
    arus__my_gtid_set_cleanup(&s);
}

static void test_filepos(void)
{
    struct my_filepos a, b;
    struct arus_error err;
    REQUIRE(arus__my_filepos_parse("binlog.000003:1234", &a, &err) == ARUS_OK);
    CHECK_STR(a.file, "binlog.000003");
    CHECK(a.pos == 1234);
    CHECK_INT(arus__my_filepos_parse("binlog.000003", &a, &err), ARUS_EINVAL);
    CHECK_STR(err.msg, "binlog position \"binlog.000003\": expected file:offset (e.g. "
                       "binlog.000003:1234)");
    CHECK_INT(arus__my_filepos_parse(":4", &a, &err), ARUS_EINVAL);
    CHECK_INT(arus__my_filepos_parse("binlog.000003:12x", &a, &err), ARUS_EINVAL);
    /* order across a rotation: by the file's number, also past 6 digits */
    const char *order[] = {"binlog.000009:99999", "binlog.000010:4", "binlog.000010:256",
                           "binlog.999999:4", "binlog.1000000:4"};
    for (size_t i = 0; i + 1 < sizeof order / sizeof order[0]; i++) {
        arus__my_filepos_parse(order[i], &a, &err);
        arus__my_filepos_parse(order[i + 1], &b, &err);
        CHECK(arus__my_filepos_cmp(&a, &b) < 0);
        CHECK(arus__my_filepos_cmp(&b, &a) > 0);
        CHECK(arus__my_cdc_position_cmp(order[i], order[i + 1]) < 0);
    }
    CHECK(arus__my_cdc_position_cmp("binlog.000010:256", "binlog.000010:256") == 0);
    CHECK(arus__my_cdc_position_cmp("binlog.000010:256", "") > 0);
    /* kinds */
    CHECK_INT(arus__my_pos_kind("mysql-bin.000001:4"), MY_POS_FILE);
    CHECK_INT(arus__my_pos_kind("0-1-42,1-2-7"), MY_POS_MARIADB);
    CHECK_INT(arus__my_pos_kind(""), MY_POS_NONE);
    CHECK_INT(arus__my_pos_kind("nonsense"), MY_POS_INVALID);
    /* different kinds are never equal, and the order is antisymmetric */
    int x = arus__my_cdc_position_cmp("0-1-42", "binlog.000001:4");
    CHECK(x != 0 && x == -arus__my_cdc_position_cmp("binlog.000001:4", "0-1-42"));
    CHECK(arus__my_cdc_position_cmp("nonsense", "binlog.000001:4") < 0);
}

/* The settings check's decision per flavour. */
static char *decide(enum my_flavour f, bool gtid, const char *const *vars, size_t n,
                    const char *grants)
{
    struct arus_strbuf sb;
    arus_strbuf_init(&sb);
    arus__my_cdc_check_values(f, gtid, vars, n, grants, &sb);
    char *out = strdup(sb.data ? sb.data : "");
    arus_strbuf_cleanup(&sb);
    return out;
}

static void test_flavour(void)
{
    CHECK_INT(arus__my_flavour("10.11.6-MariaDB-0+deb12u1-log"), MY_FLAVOUR_MARIADB);
    CHECK_INT(arus__my_flavour("5.5.5-10.11.6-MariaDB"), MY_FLAVOUR_MARIADB);
    CHECK_INT(arus__my_flavour("8.0.36"), MY_FLAVOUR_MYSQL);
    CHECK_INT(arus__my_flavour("8.4.0-log"), MY_FLAVOUR_MYSQL);

    static const char *const good[] = {"log_bin",          "ON",   "binlog_format",       "ROW",
                                       "binlog_row_image", "FULL", "binlog_row_metadata", "FULL"};
    static const char *const mysql_good[] = {"log_bin",
                                             "ON",
                                             "binlog_format",
                                             "ROW",
                                             "binlog_row_image",
                                             "FULL",
                                             "binlog_row_metadata",
                                             "FULL",
                                             "binlog_row_value_options",
                                             "",
                                             "gtid_mode",
                                             "ON",
                                             "enforce_gtid_consistency",
                                             "ON"};
    static const char *const mysql_bad[] = {"log_bin",
                                            "ON",
                                            "binlog_format",
                                            "MIXED",
                                            "binlog_row_image",
                                            "FULL",
                                            "binlog_row_metadata",
                                            "MINIMAL",
                                            "binlog_row_value_options",
                                            "PARTIAL_JSON",
                                            "gtid_mode",
                                            "OFF_PERMISSIVE",
                                            "enforce_gtid_consistency",
                                            "OFF"};
    const char *maria_grants = "GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO `a`@`%`\n";
    const char *mysql_grants =
        "GRANT RELOAD, REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO `a`@`%`\n";
    char *d = decide(MY_FLAVOUR_MARIADB, true, good, 4, maria_grants);
    CHECK_STR(d, "");
    free(d);
    /* MariaDB's old name for BINLOG MONITOR passes; a MySQL grant list lacks it */
    d = decide(MY_FLAVOUR_MARIADB, false, good, 4, mysql_grants);
    CHECK_STR(d, "");
    free(d);
    d = decide(MY_FLAVOUR_MARIADB, false, good, 4, "GRANT REPLICATION SLAVE ON *.* TO `a`@`%`\n");
    CHECK_STR(d,
              "grant BINLOG MONITOR is missing (GRANT BINLOG MONITOR ON *.* TO the arus user)\n");
    free(d);
    d = decide(MY_FLAVOUR_MYSQL, true, mysql_good, 7, mysql_grants);
    CHECK_STR(d, "");
    free(d);
    /* file positions need no GTIDs; MySQL < 8.0.3 has no binlog_row_value_options: fine */
    d = decide(MY_FLAVOUR_MYSQL, false, good, 4, mysql_grants);
    CHECK_STR(d, "");
    free(d);
    d = decide(MY_FLAVOUR_MYSQL, true, mysql_bad, 7, maria_grants);
    CHECK_STR(d,
              "binlog_format is MIXED, needs ROW (SET GLOBAL binlog_format = ROW, and in the "
              "server config)\n"
              "binlog_row_metadata is MINIMAL, needs FULL (SET GLOBAL binlog_row_metadata = FULL, "
              "and in the server config)\n"
              "binlog_row_value_options is PARTIAL_JSON, needs '' (SET GLOBAL "
              "binlog_row_value_options = '', and in the server config)\n"
              "gtid_mode is OFF_PERMISSIVE, needs ON (gtid_mode = ON in the server config (or "
              "cdc.position: file))\n"
              "enforce_gtid_consistency is OFF, needs ON (enforce_gtid_consistency = ON in the "
              "server config (or cdc.position: file))\n"
              "grant REPLICATION CLIENT is missing (GRANT REPLICATION CLIENT ON *.* TO the arus "
              "user)\n"
              "grant RELOAD is missing (GRANT RELOAD ON *.* TO the arus user)\n");
    free(d);
    d = decide(MY_FLAVOUR_MYSQL, false, mysql_bad, 7,
               "GRANT ALL PRIVILEGES ON *.* TO `root`@`%`\n");
    CHECK(strstr(d, "gtid_mode") == NULL && strstr(d, "grant") == NULL);
    free(d);
}

int main(void)
{
    RUN(test_gtid_set_text);
    RUN(test_gtid_set_ops);
    RUN(test_gtid_set_positions);
    RUN(test_mysql_events);
    RUN(test_filepos);
    RUN(test_flavour);
    return check_exit();
}

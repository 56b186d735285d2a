/* MySQL type mapping: COLUMN_TYPE text -> logical type (every family the MySQL source reads,
 * including the lossy edges: tinyint(1) vs tinyint(4), unsigned widths, 65-digit decimals) and
 * logical type -> MySQL DDL. */
#include <stdlib.h>

#include "arus/strbuf.h"
#include "arus/util.h"
#include "check.h"
#include "connectors/mysql/typemap.h"

static enum arus_ltype from(const char *native)
{
    struct arus_type t;
    arus__my_type_from_native(native, &t);
    return t.ltype;
}

static void test_integers(void)
{
    CHECK_INT(from("tinyint(1)"), ARUS_T_BOOL);
    CHECK_INT(from("bool"), ARUS_T_BOOL);
    CHECK_INT(from("boolean"), ARUS_T_BOOL);
    CHECK_INT(from("tinyint(4)"), ARUS_T_INT16);
    CHECK_INT(from("tinyint(1) unsigned"), ARUS_T_INT16);
    CHECK_INT(from("tinyint"), ARUS_T_INT16);
    CHECK_INT(from("smallint(6)"), ARUS_T_INT16);
    CHECK_INT(from("smallint(5) unsigned"), ARUS_T_INT32);
    CHECK_INT(from("mediumint(8) unsigned"), ARUS_T_INT32);
    CHECK_INT(from("int(11)"), ARUS_T_INT32);
    CHECK_INT(from("int(10) unsigned"), ARUS_T_INT64);
    CHECK_INT(from("int unsigned zerofill"), ARUS_T_INT64);
    CHECK_INT(from("bigint(20)"), ARUS_T_INT64);
    CHECK_INT(from("bigint(20) unsigned"), ARUS_T_UINT64);
    CHECK_INT(from("BIGINT UNSIGNED"), ARUS_T_UINT64);
    CHECK_INT(from("year(4)"), ARUS_T_INT16);
    CHECK_INT(from("bit(5)"), ARUS_T_INT64);
}

static void test_decimal_float(void)
{
    struct arus_type t;
    arus__my_type_from_native("decimal(65,30)", &t);
    CHECK_INT(t.ltype, ARUS_T_DECIMAL);
    CHECK_INT(t.precision, 65);
    CHECK_INT(t.scale, 30);
    arus__my_type_from_native("decimal(12,2) unsigned", &t);
    CHECK_INT(t.precision, 12);
    CHECK_INT(t.scale, 2);
    arus__my_type_from_native("decimal(10)", &t);
    CHECK_INT(t.scale, 0);
    CHECK_INT(from("float"), ARUS_T_FLOAT32);
    CHECK_INT(from("double"), ARUS_T_FLOAT64);
    CHECK_INT(from("double(10,2)"), ARUS_T_FLOAT64);
}

static void test_text_binary_temporal(void)
{
    struct arus_type t;
    arus__my_type_from_native("varchar(100)", &t);
    CHECK_INT(t.ltype, ARUS_T_STRING);
    CHECK_INT(t.length, 100);
    arus__my_type_from_native("longtext", &t);
    CHECK_INT(t.ltype, ARUS_T_STRING);
    CHECK_INT(t.length, 0);
    CHECK_INT(from("char(3)"), ARUS_T_STRING);
    CHECK_INT(from("enum('a','b')"), ARUS_T_STRING);
    CHECK_INT(from("set('x','y')"), ARUS_T_STRING);
    CHECK_INT(from("geometry_unknown"), ARUS_T_STRING);
    CHECK_INT(from("json"), ARUS_T_JSON);
    CHECK_INT(from("blob"), ARUS_T_BYTES);
    CHECK_INT(from("varbinary(16)"), ARUS_T_BYTES);
    CHECK_INT(from("binary(4)"), ARUS_T_BYTES);
    CHECK_INT(from("date"), ARUS_T_DATE);
    CHECK_INT(from("datetime(6)"), ARUS_T_TIMESTAMP);
    CHECK_INT(from("timestamp(6)"), ARUS_T_TIMESTAMPTZ);
    CHECK_INT(from("time(3)"), ARUS_T_TIME);
    CHECK_INT(from("uuid"), ARUS_T_UUID);
}

/* The hand-written cell formatters give exactly what the snprintf formats they replace gave
 * (the shortest-%.*g loop for doubles, "%04u-%02u-%02u %02u:%02u:%02u.%06lu" trimmed; the
 * integers: tests/unit/test_core.c). */
static int slow_double(char *buf, size_t n, double d, bool is_float)
{
    int lo = is_float ? 6 : 15, hi = is_float ? 9 : 17;
    for (int p = lo; p < hi; p++) {
        int len = snprintf(buf, n, "%.*g", p, d);
        if (is_float ? strtof(buf, NULL) == (float)d : strtod(buf, NULL) == d)
            return len;
    }
    return snprintf(buf, n, "%.*g", hi, d);
}

static void test_fast_formatters(void)
{
    char a[64], b[64];
    const double ds[] = {1, -1, 3, 0.5, 1e14, 999999999999999, 1e15, -1e15, 123456, 1e6,
                         999999, 1000000, 1e10, -0.0, 0.0, 1.0 / 3, 2.5e-7, 16777216};
    for (size_t i = 0; i < sizeof ds / sizeof *ds; i++)
        for (int f = 0; f < 2; f++) {
            double d = f ? (double)(float)ds[i] : ds[i];
            int n = slow_double(b, sizeof b, d, f);
            CHECK_INT(arus__my_format_double(a, sizeof a, d, f), n);
            CHECK_STR(a, b);
        }
    MYSQL_TIME t = {.year = 7, .month = 1, .day = 2, .hour = 3, .minute = 4, .second = 5};
    arus__my_format_time(a, sizeof a, &t, MYSQL_TYPE_DATETIME);
    CHECK_STR(a, "0007-01-02 03:04:05");
    t.second_part = 120000;
    arus__my_format_time(a, sizeof a, &t, MYSQL_TYPE_DATETIME);
    CHECK_STR(a, "0007-01-02 03:04:05.12");
    arus__my_format_time(a, sizeof a, &t, MYSQL_TYPE_DATE);
    CHECK_STR(a, "0007-01-02");
    t = (MYSQL_TIME){.year = 9999, .month = 12, .day = 31, .hour = 23, .minute = 59,
                     .second = 59, .second_part = 999999};
    CHECK_INT(arus__my_format_time(a, sizeof a, &t, MYSQL_TYPE_TIMESTAMP), 26);
    CHECK_STR(a, "9999-12-31 23:59:59.999999");
}

static void check_ddl(enum arus_ltype lt, int length, int precision, int scale, const char *want)
{
    struct arus_type t = {lt, length, precision, scale};
    struct arus_strbuf sb;
    arus_strbuf_init(&sb);
    arus__my_type_to_native(&t, &sb);
    CHECK_STR(arus_strbuf_cstr(&sb), want);
    arus_strbuf_cleanup(&sb);
}

static void test_to_mysql(void)
{
    check_ddl(ARUS_T_BOOL, 0, 0, 0, "TINYINT(1)");
    check_ddl(ARUS_T_INT16, 0, 0, 0, "SMALLINT");
    check_ddl(ARUS_T_UINT64, 0, 0, 0, "BIGINT UNSIGNED");
    check_ddl(ARUS_T_DECIMAL, 0, 65, 10, "DECIMAL(65,10)");
    check_ddl(ARUS_T_DECIMAL, 0, 0, 0, "DECIMAL(65,30)");
    check_ddl(ARUS_T_DECIMAL, 0, 80, 40, "DECIMAL(65,30)");
    check_ddl(ARUS_T_STRING, 40, 0, 0, "VARCHAR(40)");
    check_ddl(ARUS_T_STRING, 1000, 0, 0, "TEXT");
    check_ddl(ARUS_T_STRING, 0, 0, 0, "LONGTEXT");
    check_ddl(ARUS_T_BYTES, 0, 0, 0, "LONGBLOB");
    check_ddl(ARUS_T_TIMESTAMPTZ, 0, 0, 0, "DATETIME(6)");
    check_ddl(ARUS_T_TIME, 0, 0, 0, "TIME(6)");
    check_ddl(ARUS_T_JSON, 0, 0, 0, "JSON");
    check_ddl(ARUS_T_UUID, 0, 0, 0, "CHAR(36)");
}

int main(void)
{
    RUN(test_integers);
    RUN(test_decimal_float);
    RUN(test_text_binary_temporal);
    RUN(test_to_mysql);
    RUN(test_fast_formatters);
    return check_exit();
}

/* Golden strings for the logical -> ClickHouse column type map: every logical type, Nullable
 * wrapping, Decimal limits (wider than 38 digits or unconstrained -> String) and the
 * DateTime64-or-String choice for timestamps. */
#include "arus/strbuf.h"
#include "check.h"
#include "connectors/clickhouse/typemap.h"

static const char *ch(enum arus_ltype lt, int p, int s, bool nullable, bool dt64)
{
    static struct arus_strbuf sb;
    arus_strbuf_cleanup(&sb);
    arus_strbuf_init(&sb);
    struct arus_type t = {.ltype = lt, .precision = p, .scale = s};
    arus__ch_type_to_native(&t, nullable, dt64, &sb);
    return arus_strbuf_cstr(&sb);
}

static void test_scalars(void)
{
    CHECK_STR(ch(ARUS_T_BOOL, 0, 0, false, false), "UInt8");
    CHECK_STR(ch(ARUS_T_INT16, 0, 0, false, false), "Int16");
    CHECK_STR(ch(ARUS_T_INT32, 0, 0, false, false), "Int32");
    CHECK_STR(ch(ARUS_T_INT64, 0, 0, false, false), "Int64");
    CHECK_STR(ch(ARUS_T_UINT64, 0, 0, false, false), "UInt64");
    CHECK_STR(ch(ARUS_T_FLOAT32, 0, 0, false, false), "Float32");
    CHECK_STR(ch(ARUS_T_FLOAT64, 0, 0, false, false), "Float64");
    CHECK_STR(ch(ARUS_T_STRING, 0, 0, false, false), "String");
    CHECK_STR(ch(ARUS_T_BYTES, 0, 0, false, false), "String");
    CHECK_STR(ch(ARUS_T_UUID, 0, 0, false, false), "UUID");
    CHECK_STR(ch(ARUS_T_DATE, 0, 0, false, false), "Date");
    CHECK_STR(ch(ARUS_T_TIME, 0, 0, false, false), "String");
    CHECK_STR(ch(ARUS_T_JSON, 0, 0, false, false), "String");
    CHECK_STR(ch(ARUS_T_INTERVAL, 0, 0, false, false), "String");
}

static void test_decimal(void)
{
    CHECK_STR(ch(ARUS_T_DECIMAL, 10, 2, false, false), "Decimal(10, 2)");
    CHECK_STR(ch(ARUS_T_DECIMAL, 38, 10, false, false), "Decimal(38, 10)");
    CHECK_STR(ch(ARUS_T_DECIMAL, 39, 0, false, false), "String");
    CHECK_STR(ch(ARUS_T_DECIMAL, 0, 0, false, false), "String");
    CHECK_STR(ch(ARUS_T_DECIMAL, 65, 30, true, false), "Nullable(String)");
}

static void test_timestamps(void)
{
    CHECK_STR(ch(ARUS_T_TIMESTAMP, 0, 0, false, true), "DateTime64(6, 'UTC')");
    CHECK_STR(ch(ARUS_T_TIMESTAMPTZ, 0, 0, true, true), "Nullable(DateTime64(6, 'UTC'))");
    CHECK_STR(ch(ARUS_T_TIMESTAMP, 0, 0, false, false), "String");
    CHECK_STR(ch(ARUS_T_TIMESTAMPTZ, 0, 0, true, false), "Nullable(String)");
}

static void test_nullable(void)
{
    CHECK_STR(ch(ARUS_T_INT64, 0, 0, true, false), "Nullable(Int64)");
    CHECK_STR(ch(ARUS_T_DATE, 0, 0, true, false), "Nullable(Date)");
    CHECK_STR(ch(ARUS_T_DECIMAL, 12, 4, true, false), "Nullable(Decimal(12, 4))");
}

int main(void)
{
    RUN(test_scalars);
    RUN(test_decimal);
    RUN(test_timestamps);
    RUN(test_nullable);
    return check_exit();
}

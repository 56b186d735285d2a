/* The SQLite type map, table by table: declared type -> logical type -> the declared type arus
 * writes, which must read back as the same logical type. */
#include "arus/strbuf.h"
#include "check.h"
#include "connectors/sqlite/typemap.h"

static void check_sqlite_type(const char *native, enum arus_ltype lt, const char *back)
{
    struct arus_type t;
    arus__sqlite_type_from_native(native, &t);
    CHECK_STR(arus_ltype_name(t.ltype), arus_ltype_name(lt));
    struct arus_strbuf sb;
    arus_strbuf_init(&sb);
    arus__sqlite_type_to_native(&t, &sb);
    CHECK_STR(arus_strbuf_cstr(&sb), back);
    arus_strbuf_cleanup(&sb);
}

static void test_typemap_sqlite(void)
{
    check_sqlite_type("INTEGER", ARUS_T_INT64, "BIGINT");
    check_sqlite_type("BOOLEAN", ARUS_T_BOOL, "BOOLEAN");
    check_sqlite_type("tinyint(1)", ARUS_T_BOOL, "BOOLEAN");
    check_sqlite_type("TINYINT", ARUS_T_INT16, "SMALLINT");
    check_sqlite_type("DECIMAL(38,10)", ARUS_T_DECIMAL, "DECIMAL_TEXT(38,10)");
    check_sqlite_type("U64_TEXT", ARUS_T_UINT64, "U64_TEXT");
    check_sqlite_type("REAL", ARUS_T_FLOAT64, "DOUBLE");
    check_sqlite_type("VARCHAR(20)", ARUS_T_STRING, "VARCHAR(20)");
    check_sqlite_type("TEXT", ARUS_T_STRING, "TEXT");
    check_sqlite_type("", ARUS_T_STRING, "TEXT");
    check_sqlite_type("BLOB", ARUS_T_BYTES, "BLOB");
    check_sqlite_type("DATE", ARUS_T_DATE, "DATE");
    check_sqlite_type("DATETIME", ARUS_T_TIMESTAMP, "TIMESTAMP");
    check_sqlite_type("TIMESTAMPTZ", ARUS_T_TIMESTAMPTZ, "TIMESTAMPTZ");
    check_sqlite_type("TIME", ARUS_T_TIME, "TIME");
    check_sqlite_type("JSON", ARUS_T_JSON, "JSON_TEXT");
    check_sqlite_type("UUID", ARUS_T_UUID, "UUID");
    check_sqlite_type("INTERVAL", ARUS_T_INTERVAL, "INTERVAL");
}

int main(void)
{
    RUN(test_typemap_sqlite);
    return check_exit();
}

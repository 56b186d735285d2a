/* PostgreSQL type mapping: format_type() texts to logical types (with precision, scale and
 * length kept), logical types to DDL, and the round trip native -> logical -> native for the
 * types the source and destination share. */
#include "arus/strbuf.h"
#include "check.h"
#include "connectors/postgresql/typemap.h"

static struct arus_type from(const char *native)
{
    struct arus_type t;
    arus__pg_type_from_native(native, &t);
    return t;
}

static void test_from_postgres(void)
{
    CHECK_INT(from("smallint").ltype, ARUS_T_INT16);
    CHECK_INT(from("integer").ltype, ARUS_T_INT32);
    CHECK_INT(from("bigint").ltype, ARUS_T_INT64);
    CHECK_INT(from("boolean").ltype, ARUS_T_BOOL);
    CHECK_INT(from("real").ltype, ARUS_T_FLOAT32);
    CHECK_INT(from("double precision").ltype, ARUS_T_FLOAT64);
    CHECK_INT(from("text").ltype, ARUS_T_STRING);
    CHECK_INT(from("bytea").ltype, ARUS_T_BYTES);
    CHECK_INT(from("uuid").ltype, ARUS_T_UUID);
    CHECK_INT(from("date").ltype, ARUS_T_DATE);
    CHECK_INT(from("time without time zone").ltype, ARUS_T_TIME);
    CHECK_INT(from("time(3) without time zone").ltype, ARUS_T_TIME);
    CHECK_INT(from("timestamp without time zone").ltype, ARUS_T_TIMESTAMP);
    CHECK_INT(from("timestamp(3) with time zone").ltype, ARUS_T_TIMESTAMPTZ);
    CHECK_INT(from("timestamptz").ltype, ARUS_T_TIMESTAMPTZ);
    CHECK_INT(from("json").ltype, ARUS_T_JSON);
    CHECK_INT(from("jsonb").ltype, ARUS_T_JSON);
    CHECK_INT(from("interval").ltype, ARUS_T_INTERVAL);
    CHECK_INT(from("interval year to month").ltype, ARUS_T_INTERVAL);
    CHECK_INT(from("INT4").ltype, ARUS_T_INT32);

    struct arus_type n = from("numeric(38,10)");
    CHECK_INT(n.ltype, ARUS_T_DECIMAL);
    CHECK_INT(n.precision, 38);
    CHECK_INT(n.scale, 10);
    n = from("numeric(12)");
    CHECK_INT(n.precision, 12);
    CHECK_INT(n.scale, 0);
    n = from("numeric");
    CHECK_INT(n.ltype, ARUS_T_DECIMAL);
    CHECK_INT(n.precision, 0);

    CHECK_INT(from("character varying(40)").length, 40);
    CHECK_INT(from("character varying").length, 0);
    CHECK_INT(from("character(3)").length, 3);
    CHECK_INT(from("character").length, 1);
}

/* Arrays become JSON; whatever is unknown (enums, network types, timetz, domains) is kept as
 * text rather than lost. */
static void test_arrays_and_unknown(void)
{
    CHECK_INT(from("integer[]").ltype, ARUS_T_JSON);
    CHECK_INT(from("character varying(10)[]").ltype, ARUS_T_JSON);
    CHECK_INT(from("text[]").ltype, ARUS_T_JSON);
    CHECK_INT(from("mood").ltype, ARUS_T_STRING);
    CHECK_INT(from("\"My Enum\"").ltype, ARUS_T_STRING);
    CHECK_INT(from("inet").ltype, ARUS_T_STRING);
    CHECK_INT(from("time with time zone").ltype, ARUS_T_STRING);
    CHECK_INT(from("money").ltype, ARUS_T_STRING);
    CHECK_INT(from("mood").length, 0);
}

static void check_ddl(struct arus_type t, const char *want)
{
    struct arus_strbuf sb;
    arus_strbuf_init(&sb);
    arus__pg_type_to_native(&t, &sb);
    CHECK_STR(arus_strbuf_cstr(&sb), want);
    arus_strbuf_cleanup(&sb);
}

static void test_to_postgres(void)
{
    check_ddl((struct arus_type){.ltype = ARUS_T_BOOL}, "boolean");
    check_ddl((struct arus_type){.ltype = ARUS_T_INT16}, "smallint");
    check_ddl((struct arus_type){.ltype = ARUS_T_INT32}, "integer");
    check_ddl((struct arus_type){.ltype = ARUS_T_INT64}, "bigint");
    check_ddl((struct arus_type){.ltype = ARUS_T_UINT64}, "numeric(20,0)");
    check_ddl((struct arus_type){.ltype = ARUS_T_DECIMAL, .precision = 38, .scale = 10},
              "numeric(38,10)");
    check_ddl((struct arus_type){.ltype = ARUS_T_DECIMAL}, "numeric");
    check_ddl((struct arus_type){.ltype = ARUS_T_DECIMAL, .precision = 65, .scale = 30},
              "numeric(65,30)");
    check_ddl((struct arus_type){.ltype = ARUS_T_FLOAT32}, "real");
    check_ddl((struct arus_type){.ltype = ARUS_T_FLOAT64}, "double precision");
    check_ddl((struct arus_type){.ltype = ARUS_T_STRING}, "text");
    check_ddl((struct arus_type){.ltype = ARUS_T_STRING, .length = 255}, "varchar(255)");
    check_ddl((struct arus_type){.ltype = ARUS_T_BYTES}, "bytea");
    check_ddl((struct arus_type){.ltype = ARUS_T_UUID}, "uuid");
    check_ddl((struct arus_type){.ltype = ARUS_T_DATE}, "date");
    check_ddl((struct arus_type){.ltype = ARUS_T_TIME}, "time");
    check_ddl((struct arus_type){.ltype = ARUS_T_TIMESTAMP}, "timestamp");
    check_ddl((struct arus_type){.ltype = ARUS_T_TIMESTAMPTZ}, "timestamptz");
    check_ddl((struct arus_type){.ltype = ARUS_T_JSON}, "jsonb");
    check_ddl((struct arus_type){.ltype = ARUS_T_INTERVAL}, "interval");
}

/* Native -> logical -> native keeps the shape of the shared types. */
static void test_round_trip(void)
{
    static const char *const cases[][2] = {
        {"numeric(38,10)", "numeric(38,10)"},
        {"character varying(40)", "varchar(40)"},
        {"timestamp with time zone", "timestamptz"},
        {"timestamp without time zone", "timestamp"},
        {"double precision", "double precision"},
        {"jsonb", "jsonb"},
        {"integer[]", "jsonb"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_ddl(from(cases[i][0]), cases[i][1]);
}

int main(void)
{
    RUN(test_from_postgres);
    RUN(test_arrays_and_unknown);
    RUN(test_to_postgres);
    RUN(test_round_trip);
    return check_exit();
}

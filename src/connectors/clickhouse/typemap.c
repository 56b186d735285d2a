/* Logical type -> ClickHouse column type. Chosen to keep data exactly: DECIMAL stays Decimal
 * only where ClickHouse can hold it (precision 1..38), wider or unconstrained numerics become
 * String; timestamps are DateTime64(6, 'UTC') where the server has it and String (canonical
 * "YYYY-MM-DD HH:MM:SS[.ffffff]" text) on older servers, because DateTime would drop the
 * microseconds and String sorts the same way while keeping them. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "arus/strbuf.h"
#include "connectors/clickhouse/typemap.h"

/* ClickHouse Decimal holds at most 38 digits; precision 0 is PostgreSQL's unconstrained
 * numeric, whose scale varies per value, so no fixed Decimal(P,S) fits it. */
static bool ch_decimal_fits(const struct arus_type *t)
{
    return t->precision >= 1 && t->precision <= 38 && t->scale >= 0 && t->scale <= t->precision;
}

static void ch_base_type(const struct arus_type *t, bool datetime64, struct arus_strbuf *sb)
{
    switch (t->ltype) {
    case ARUS_T_BOOL:
        arus_strbuf_puts(sb, "UInt8");
        return;
    case ARUS_T_INT16:
        arus_strbuf_puts(sb, "Int16");
        return;
    case ARUS_T_INT32:
        arus_strbuf_puts(sb, "Int32");
        return;
    case ARUS_T_INT64:
        arus_strbuf_puts(sb, "Int64");
        return;
    case ARUS_T_UINT64:
        arus_strbuf_puts(sb, "UInt64");
        return;
    case ARUS_T_FLOAT32:
        arus_strbuf_puts(sb, "Float32");
        return;
    case ARUS_T_FLOAT64:
        arus_strbuf_puts(sb, "Float64");
        return;
    case ARUS_T_DECIMAL:
        if (ch_decimal_fits(t))
            arus_strbuf_appendf(sb, "Decimal(%d, %d)", t->precision, t->scale);
        else
            arus_strbuf_puts(sb, "String");
        return;
    case ARUS_T_UUID:
        arus_strbuf_puts(sb, "UUID");
        return;
    case ARUS_T_DATE:
        arus_strbuf_puts(sb, "Date");
        return;
    case ARUS_T_TIMESTAMP:
    case ARUS_T_TIMESTAMPTZ:
        arus_strbuf_puts(sb, datetime64 ? "DateTime64(6, 'UTC')" : "String");
        return;
    case ARUS_T_STRING:
    case ARUS_T_BYTES:
    case ARUS_T_TIME:
    case ARUS_T_JSON:
    case ARUS_T_INTERVAL:
    case ARUS_T__COUNT:
        break;
    }
    arus_strbuf_puts(sb, "String");
}

void arus__ch_type_to_native(const struct arus_type *t, bool nullable, bool datetime64,
                             struct arus_strbuf *sb)
{
    if (nullable)
        arus_strbuf_puts(sb, "Nullable(");
    ch_base_type(t, datetime64, sb);
    if (nullable)
        arus_strbuf_putc(sb, ')');
}

/* Only the types arus itself creates need to come back exactly; anything else reads as text,
 * which the engine treats as holding every value. */
void arus__ch_type_from_native(const char *native, struct arus_type *out, bool *nullable)
{
    static const struct {
        const char *name;
        enum arus_ltype ltype;
    } plain[] = {
        {"Int8", ARUS_T_INT16},     {"Int16", ARUS_T_INT16},     {"Int32", ARUS_T_INT32},
        {"Int64", ARUS_T_INT64},    {"UInt8", ARUS_T_BOOL},      {"UInt16", ARUS_T_INT32},
        {"UInt32", ARUS_T_INT64},   {"UInt64", ARUS_T_UINT64},   {"Float32", ARUS_T_FLOAT32},
        {"Float64", ARUS_T_FLOAT64}, {"UUID", ARUS_T_UUID},      {"Date", ARUS_T_DATE},
        {"DateTime", ARUS_T_TIMESTAMP},
    };
    size_t n = strlen(native);
    *nullable = n > 10 && strncmp(native, "Nullable(", 9) == 0 && native[n - 1] == ')';
    char inner[128];
    snprintf(inner, sizeof inner, "%.*s", *nullable ? (int)(n - 10) : (int)n,
             *nullable ? native + 9 : native);
    *out = (struct arus_type){.ltype = ARUS_T_STRING};
    for (size_t i = 0; i < sizeof plain / sizeof *plain; i++)
        if (strcmp(inner, plain[i].name) == 0)
            out->ltype = plain[i].ltype;
    int p = 0, sc = 0;
    if (sscanf(inner, "Decimal(%d, %d)", &p, &sc) == 2 || sscanf(inner, "Decimal(%d,%d)", &p, &sc) == 2)
        *out = (struct arus_type){.ltype = ARUS_T_DECIMAL, .precision = p, .scale = sc};
    else if (strncmp(inner, "DateTime64", 10) == 0)
        out->ltype = ARUS_T_TIMESTAMP;
    else if (sscanf(inner, "FixedString(%d)", &p) == 1)
        out->length = p;
}

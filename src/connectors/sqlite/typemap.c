/* SQLite declared types <-> logical types. SQLite stores by affinity, so the destination side
 * picks declared names whose affinity keeps values exact: DECIMAL and UINT64 get TEXT affinity
 * (NUMERIC affinity would turn 38-digit decimals into doubles), JSON too (NUMERIC affinity
 * would rewrite "1.0" as 1). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arus/strbuf.h"
#include "connectors/sqlite/typemap.h"

static void sqlite_lower(const char *in, char *out, size_t n)
{
    size_t i = 0;
    for (; in[i] && i + 1 < n; i++)
        out[i] = (char)tolower((unsigned char)in[i]);
    out[i] = '\0';
}

/* "(p,s)" or "(n)" after the type name. */
static void sqlite_modifiers(const char *t, int *a, int *b)
{
    const char *paren = strchr(t, '(');
    *a = *b = 0;
    if (paren)
        sscanf(paren, "(%d,%d)", a, b);
}

void arus__sqlite_type_from_native(const char *native, struct arus_type *out)
{
    char t[128];
    sqlite_lower(native ? native : "", t, sizeof t);
    memset(out, 0, sizeof *out);
    int a, b;
    sqlite_modifiers(t, &a, &b);
    if (strstr(t, "u64_text"))
        out->ltype = ARUS_T_UINT64;
    else if (strncmp(t, "bool", 4) == 0 || strcmp(t, "tinyint(1)") == 0)
        out->ltype = ARUS_T_BOOL;
    else if (strstr(t, "smallint") || strstr(t, "tinyint"))
        out->ltype = ARUS_T_INT16;
    else if (strstr(t, "int") && !strstr(t, "interval"))
        out->ltype = strstr(t, "mediumint") ? ARUS_T_INT32 : ARUS_T_INT64;
    else if (strstr(t, "decimal") || strstr(t, "numeric")) {
        out->ltype = ARUS_T_DECIMAL;
        out->precision = a;
        out->scale = b;
    } else if (strstr(t, "real") || strstr(t, "floa") || strstr(t, "doub"))
        out->ltype = strcmp(t, "float") == 0 ? ARUS_T_FLOAT32 : ARUS_T_FLOAT64;
    else if (strstr(t, "timestamptz") || strstr(t, "with time zone"))
        out->ltype = ARUS_T_TIMESTAMPTZ;
    else if (strstr(t, "timestamp") || strstr(t, "datetime"))
        out->ltype = ARUS_T_TIMESTAMP;
    else if (strstr(t, "date"))
        out->ltype = ARUS_T_DATE;
    else if (strstr(t, "interval"))
        out->ltype = ARUS_T_INTERVAL;
    else if (strstr(t, "time"))
        out->ltype = ARUS_T_TIME;
    else if (strstr(t, "json"))
        out->ltype = ARUS_T_JSON;
    else if (strstr(t, "uuid"))
        out->ltype = ARUS_T_UUID;
    else if (strstr(t, "blob") || strstr(t, "binary") || strstr(t, "bytea"))
        out->ltype = ARUS_T_BYTES;
    else {
        out->ltype = ARUS_T_STRING;
        if (strstr(t, "char"))
            out->length = a;
    }
}

void arus__sqlite_type_to_native(const struct arus_type *t, struct arus_strbuf *sb)
{
    switch (t->ltype) {
    case ARUS_T_BOOL:
        arus_strbuf_puts(sb, "BOOLEAN");
        break;
    case ARUS_T_INT16:
        arus_strbuf_puts(sb, "SMALLINT");
        break;
    case ARUS_T_INT32:
        arus_strbuf_puts(sb, "INTEGER");
        break;
    case ARUS_T_INT64:
        arus_strbuf_puts(sb, "BIGINT");
        break;
    case ARUS_T_UINT64:
        arus_strbuf_puts(sb, "U64_TEXT");
        break;
    case ARUS_T_DECIMAL:
        if (t->precision > 0)
            arus_strbuf_appendf(sb, "DECIMAL_TEXT(%d,%d)", t->precision, t->scale);
        else
            arus_strbuf_puts(sb, "DECIMAL_TEXT");
        break;
    case ARUS_T_FLOAT32:
        arus_strbuf_puts(sb, "FLOAT");
        break;
    case ARUS_T_FLOAT64:
        arus_strbuf_puts(sb, "DOUBLE");
        break;
    case ARUS_T_STRING:
        if (t->length > 0)
            arus_strbuf_appendf(sb, "VARCHAR(%d)", t->length);
        else
            arus_strbuf_puts(sb, "TEXT");
        break;
    case ARUS_T_BYTES:
        arus_strbuf_puts(sb, "BLOB");
        break;
    case ARUS_T_UUID:
        arus_strbuf_puts(sb, "UUID");
        break;
    case ARUS_T_DATE:
        arus_strbuf_puts(sb, "DATE");
        break;
    case ARUS_T_TIME:
        arus_strbuf_puts(sb, "TIME");
        break;
    case ARUS_T_TIMESTAMP:
        arus_strbuf_puts(sb, "TIMESTAMP");
        break;
    case ARUS_T_TIMESTAMPTZ:
        arus_strbuf_puts(sb, "TIMESTAMPTZ");
        break;
    case ARUS_T_JSON:
        arus_strbuf_puts(sb, "JSON_TEXT");
        break;
    case ARUS_T_INTERVAL:
        arus_strbuf_puts(sb, "INTERVAL");
        break;
    default:
        arus_strbuf_puts(sb, "TEXT");
        break;
    }
}

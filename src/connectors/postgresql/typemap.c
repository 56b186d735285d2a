/* PostgreSQL type mapping: format_type() text -> logical type (source side) and logical type ->
 * PostgreSQL DDL (destination side). Faithful where the spec's table would lose data:
 * numeric keeps precision/scale, timestamp stays without zone, arrays become JSON, and
 * anything unknown (enums, inet, money, domains, ...) travels as STRING. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arus/strbuf.h"
#include "connectors/postgresql/typemap.h"

/* Name -> logical type for the base names format_type() prints, plus the common aliases
 * (int4, varchar, timestamptz, ...) so hand-written type names map too. */
static const struct {
    const char *name;
    enum arus_ltype ltype;
} pg_names[] = {
    {"boolean", ARUS_T_BOOL},
    {"bool", ARUS_T_BOOL},
    {"smallint", ARUS_T_INT16},
    {"int2", ARUS_T_INT16},
    {"smallserial", ARUS_T_INT16},
    {"integer", ARUS_T_INT32},
    {"int", ARUS_T_INT32},
    {"int4", ARUS_T_INT32},
    {"serial", ARUS_T_INT32},
    {"bigint", ARUS_T_INT64},
    {"int8", ARUS_T_INT64},
    {"bigserial", ARUS_T_INT64},
    {"oid", ARUS_T_INT64},
    {"numeric", ARUS_T_DECIMAL},
    {"decimal", ARUS_T_DECIMAL},
    {"real", ARUS_T_FLOAT32},
    {"float4", ARUS_T_FLOAT32},
    {"double precision", ARUS_T_FLOAT64},
    {"float8", ARUS_T_FLOAT64},
    {"float", ARUS_T_FLOAT64},
    {"text", ARUS_T_STRING},
    {"character varying", ARUS_T_STRING},
    {"varchar", ARUS_T_STRING},
    {"character", ARUS_T_STRING},
    {"char", ARUS_T_STRING},
    {"bytea", ARUS_T_BYTES},
    {"uuid", ARUS_T_UUID},
    {"date", ARUS_T_DATE},
    {"time without time zone", ARUS_T_TIME},
    {"time", ARUS_T_TIME},
    {"timestamp without time zone", ARUS_T_TIMESTAMP},
    {"timestamp", ARUS_T_TIMESTAMP},
    {"timestamp with time zone", ARUS_T_TIMESTAMPTZ},
    {"timestamptz", ARUS_T_TIMESTAMPTZ},
    {"json", ARUS_T_JSON},
    {"jsonb", ARUS_T_JSON},
    {"interval", ARUS_T_INTERVAL},
};

/* Split "name(a,b) rest" into the name with the modifier list removed ("time(3) without time
 * zone" -> "time without time zone") and up to two modifiers. */
static void pg_split(const char *native, char *base, size_t n, int mods[2], int *nmods)
{
    const char *open = strchr(native, '(');
    const char *close = open ? strchr(open, ')') : NULL;
    *nmods = 0;
    if (!open || !close) {
        snprintf(base, n, "%s", native);
        return;
    }
    snprintf(base, n, "%.*s%s", (int)(open - native), native, close + 1);
    for (const char *p = open + 1; p < close && *nmods < 2;) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p)
            break;
        mods[(*nmods)++] = (int)v;
        p = end;
        while (p < close && (*p == ',' || *p == ' '))
            p++;
    }
}

void arus__pg_type_from_native(const char *native, struct arus_type *out)
{
    char base[128];
    int mods[2] = {0, 0}, nmods;
    size_t len = strlen(native);

    memset(out, 0, sizeof *out);
    out->ltype = ARUS_T_STRING;
    /* Arrays (any element type) are rendered with to_json() by the source. */
    if (len >= 2 && strcmp(native + len - 2, "[]") == 0) {
        out->ltype = ARUS_T_JSON;
        return;
    }
    pg_split(native, base, sizeof base, mods, &nmods);
    /* "interval year to month" and friends are intervals too. */
    if (strncasecmp(base, "interval", 8) == 0) {
        out->ltype = ARUS_T_INTERVAL;
        return;
    }
    for (size_t i = 0; i < sizeof pg_names / sizeof pg_names[0]; i++) {
        if (strcasecmp(base, pg_names[i].name) != 0)
            continue;
        out->ltype = pg_names[i].ltype;
        if (out->ltype == ARUS_T_DECIMAL && nmods > 0) {
            out->precision = mods[0];
            out->scale = nmods > 1 ? mods[1] : 0;
        } else if (out->ltype == ARUS_T_STRING && nmods > 0) {
            out->length = mods[0];
        } else if (out->ltype == ARUS_T_STRING && strcasecmp(base, "character") == 0) {
            out->length = 1; /* bare "character" is char(1) */
        }
        return;
    }
}

void arus__pg_type_to_native(const struct arus_type *t, struct arus_strbuf *sb)
{
    switch (t->ltype) {
    case ARUS_T_BOOL:
        arus_strbuf_puts(sb, "boolean");
        return;
    case ARUS_T_INT16:
        arus_strbuf_puts(sb, "smallint");
        return;
    case ARUS_T_INT32:
        arus_strbuf_puts(sb, "integer");
        return;
    case ARUS_T_INT64:
        arus_strbuf_puts(sb, "bigint");
        return;
    case ARUS_T_UINT64:
        arus_strbuf_puts(sb, "numeric(20,0)");
        return;
    case ARUS_T_DECIMAL:
        /* PostgreSQL numeric allows precision 1..1000; anything else stays unconstrained. */
        if (t->precision > 0 && t->precision <= 1000 && t->scale >= 0 && t->scale <= t->precision)
            arus_strbuf_appendf(sb, "numeric(%d,%d)", t->precision, t->scale);
        else
            arus_strbuf_puts(sb, "numeric");
        return;
    case ARUS_T_FLOAT32:
        arus_strbuf_puts(sb, "real");
        return;
    case ARUS_T_FLOAT64:
        arus_strbuf_puts(sb, "double precision");
        return;
    case ARUS_T_STRING:
        if (t->length > 0 && t->length <= 10485760)
            arus_strbuf_appendf(sb, "varchar(%d)", t->length);
        else
            arus_strbuf_puts(sb, "text");
        return;
    case ARUS_T_BYTES:
        arus_strbuf_puts(sb, "bytea");
        return;
    case ARUS_T_UUID:
        arus_strbuf_puts(sb, "uuid");
        return;
    case ARUS_T_DATE:
        arus_strbuf_puts(sb, "date");
        return;
    case ARUS_T_TIME:
        arus_strbuf_puts(sb, "time");
        return;
    case ARUS_T_TIMESTAMP:
        arus_strbuf_puts(sb, "timestamp");
        return;
    case ARUS_T_TIMESTAMPTZ:
        arus_strbuf_puts(sb, "timestamptz");
        return;
    case ARUS_T_JSON:
        arus_strbuf_puts(sb, "jsonb");
        return;
    case ARUS_T_INTERVAL:
        arus_strbuf_puts(sb, "interval");
        return;
    case ARUS_T__COUNT:
        break;
    }
    arus_strbuf_puts(sb, "text");
}

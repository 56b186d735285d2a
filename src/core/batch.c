/* Batches of canonical-text cells, and their rendering as JSON objects for the raw landing zone
 * (numbers exact, never through a double). */
#include <stdlib.h>
#include <string.h>

#include "arus/arena.h"
#include "arus/strbuf.h"
#include "arus/types.h"
#include "arus/util.h"

struct arus_batch *arus_batch_create(const struct arus_table_schema *schema, size_t capacity)
{
    struct arus_batch *b = arus_xcalloc(1, sizeof *b);
    b->arena = arus_arena_create(256 * 1024);
    b->schema = schema;
    b->ncolumns = schema->ncolumns;
    b->capacity = capacity ? capacity : 1;
    b->cells = arus_xcalloc(b->capacity * (b->ncolumns ? b->ncolumns : 1), sizeof *b->cells);
    return b;
}

void arus_batch_destroy(struct arus_batch *b)
{
    if (!b)
        return;
    arus_arena_destroy(b->arena);
    free(b->cells);
    free(b);
}

void arus_batch_clear(struct arus_batch *b)
{
    b->nrows = 0;
    arus_arena_reset(b->arena);
}

struct arus_cell *arus_batch_add_row(struct arus_batch *b)
{
    struct arus_cell *row = arus_batch_row(b, b->nrows++);
    memset(row, 0, b->ncolumns * sizeof *row);
    return row;
}

void arus_cell_set(struct arus_batch *b, struct arus_cell *c, const void *p, size_t n)
{
    c->data = arus_arena_memdup(b->arena, p, n);
    c->len = n;
}

static bool is_finite_number(const struct arus_cell *c)
{
    return arus_is_decimal_text(c->data, c->len);
}

/* "YYYY-MM-DD HH:MM:SS[.f]" -> ISO-8601 with 'T' (and 'Z' when the value is UTC). */
static void put_iso_timestamp(struct arus_strbuf *sb, const struct arus_cell *c, bool utc)
{
    arus_strbuf_putc(sb, '"');
    for (size_t i = 0; i < c->len; i++) {
        char ch = c->data[i];
        if (ch == ' ' && i == 10)
            ch = 'T';
        if (ch == '"' || ch == '\\' || (unsigned char)ch < 0x20)
            continue; /* canonical timestamps never hold these; never emit broken JSON */
        arus_strbuf_putc(sb, ch);
    }
    if (utc)
        arus_strbuf_putc(sb, 'Z');
    arus_strbuf_putc(sb, '"');
}

static void put_json_value(struct arus_strbuf *sb, const struct arus_column *col,
                           const struct arus_cell *c)
{
    if (!c->data) {
        arus_strbuf_puts(sb, "null");
        return;
    }
    switch (col->type.ltype) {
    case ARUS_T_BOOL:
        arus_strbuf_puts(sb, c->len && (c->data[0] == 't' || c->data[0] == '1') ? "true"
                                                                                 : "false");
        return;
    case ARUS_T_INT16:
    case ARUS_T_INT32:
    case ARUS_T_INT64:
    case ARUS_T_UINT64:
    case ARUS_T_DECIMAL:
    case ARUS_T_FLOAT32:
    case ARUS_T_FLOAT64:
        /* Exact numeric text is a valid JSON number once a bare "." edge case is excluded;
         * NaN/Infinity and exponent forms become strings. */
        if (is_finite_number(c) && c->data[c->len - 1] != '.' && c->data[0] != '.' &&
            !(c->len > 1 && c->data[0] == '-' && c->data[1] == '.'))
            arus_strbuf_append(sb, c->data, c->len);
        else
            arus_json_quote(sb, c->data, c->len);
        return;
    case ARUS_T_BYTES:
        arus_strbuf_putc(sb, '"');
        arus_base64_append(sb, (const unsigned char *)c->data, c->len);
        arus_strbuf_putc(sb, '"');
        return;
    case ARUS_T_TIMESTAMP:
        put_iso_timestamp(sb, c, false);
        return;
    case ARUS_T_TIMESTAMPTZ:
        put_iso_timestamp(sb, c, true);
        return;
    case ARUS_T_JSON:
        /* Sources deliver valid JSON; guard against the empty string anyway. */
        if (c->len)
            arus_strbuf_append(sb, c->data, c->len);
        else
            arus_strbuf_puts(sb, "null");
        return;
    default:
        arus_json_quote(sb, c->data, c->len);
        return;
    }
}

void arus_row_to_json(const struct arus_batch *b, size_t r, struct arus_strbuf *sb)
{
    const struct arus_cell *row = arus_batch_row(b, r);
    arus_strbuf_putc(sb, '{');
    for (size_t i = 0; i < b->ncolumns; i++) {
        const struct arus_column *col = &b->schema->columns[i];
        if (i)
            arus_strbuf_putc(sb, ',');
        arus_json_quote(sb, col->name, strlen(col->name));
        arus_strbuf_putc(sb, ':');
        put_json_value(sb, col, &row[i]);
    }
    arus_strbuf_putc(sb, '}');
}

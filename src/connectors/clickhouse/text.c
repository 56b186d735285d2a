/* Text helpers of the ClickHouse destination (see text.h): quoting, TabSeparated cell
 * writing with the per-type value rules, exception detection in response bodies, version
 * parsing. Pure functions, no I/O. */
#include "connectors/clickhouse/text.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arus/arena.h"
#include "arus/strbuf.h"

void arus__ch_quote_ident(struct arus_strbuf *sb, const char *name)
{
    arus_sql_quote_ident(sb, name, '"', true);
}

void arus__ch_quote_table(struct arus_strbuf *sb, const char *db, const char *table)
{
    arus__ch_quote_ident(sb, db);
    arus_strbuf_putc(sb, '.');
    arus__ch_quote_ident(sb, table);
}

/* The one place a value becomes SQL text. ClickHouse 18.16 has no query parameters
 * ("Unknown setting param_x"), so the few values a statement needs (pipeline and table names
 * in state lookups, database/table names in system.columns lookups) are written as literals.
 * Inside '...' the ClickHouse lexer ends the literal only at an unescaped quote and treats
 * backslash as the escape character; escaping exactly those two makes any byte string safe.
 * A C string holds no NUL, the only other byte the lexer could stop at. */
void arus__ch_quote_string(struct arus_strbuf *sb, const char *s)
{
    arus_strbuf_putc(sb, '\'');
    for (const char *p = s; *p; p++) {
        if (*p == '\\' || *p == '\'')
            arus_strbuf_putc(sb, '\\');
        arus_strbuf_putc(sb, *p);
    }
    arus_strbuf_putc(sb, '\'');
}

/* What each byte becomes in TabSeparated: 0 = itself, else the letter after a backslash. */
static const char ch_tsv_escapes[256] = {
    ['\\'] = '\\', ['\t'] = 't', ['\n'] = 'n', ['\r'] = 'r', [0] = '0',
};

/* Per 64-bit word: whether some byte may need an escape, i.e. is below 14 (NUL, tab, newline,
 * carriage return and a few control bytes that do not) or a backslash. Exact as a yes/no. */
#define CH_ONES UINT64_C(0x0101010101010101)
static bool ch_word_may_escape(uint64_t w)
{
    uint64_t b = w ^ (CH_ONES * '\\');
    return ((((w - CH_ONES * 14) & ~w) | ((b - CH_ONES) & ~b)) & (CH_ONES * 0x80)) != 0;
}

/* Written straight into the buffer, reserved once for the worst case (every byte escaped):
 * this runs for every text cell of every row, so eight bytes are checked and copied at once
 * while none of them needs an escape. */
void arus__ch_tsv_escape(struct arus_strbuf *sb, const char *p, size_t n)
{
    arus_strbuf_reserve(sb, 2 * n);
    char *o = sb->data + sb->len;
    size_t i = 0;
    while (i < n) {
        uint64_t w;
        if (i + 8 <= n) {
            memcpy(&w, p + i, 8);
            if (!ch_word_may_escape(w)) {
                memcpy(o, &w, 8);
                o += 8;
                i += 8;
                continue;
            }
        }
        for (size_t stop = i + 8 < n ? i + 8 : n; i < stop; i++) {
            char e = ch_tsv_escapes[(unsigned char)p[i]];
            if (e) {
                *o++ = '\\';
                *o++ = e;
            } else {
                *o++ = p[i];
            }
        }
    }
    sb->len = (size_t)(o - sb->data);
    sb->data[sb->len] = '\0';
}

size_t arus__ch_tsv_unescape(char *p, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (c == '\\' && i + 1 < n) {
            c = p[++i];
            switch (c) {
            case 't':
                c = '\t';
                break;
            case 'n':
                c = '\n';
                break;
            case 'r':
                c = '\r';
                break;
            case '0':
                c = '\0';
                break;
            case 'b':
                c = '\b';
                break;
            case 'f':
                c = '\f';
                break;
            default:
                break; /* \\ \' and unknown escapes stand for the character itself */
            }
        }
        p[o++] = c;
    }
    p[o] = '\0';
    return o;
}

size_t arus__ch_tsv_split_row(char **pos, char *end, char **fields, size_t max)
{
    char *p = *pos;
    if (p >= end)
        return 0;
    size_t nf = 0;
    for (;;) {
        char *f = p;
        while (p < end && *p != '\t' && *p != '\n')
            p += (*p == '\\' && p + 1 < end) ? 2 : 1;
        char sep = p < end ? *p : '\n';
        size_t n = (size_t)(p - f);
        if (nf < max) {
            if (n == 2 && f[0] == '\\' && f[1] == 'N')
                fields[nf] = NULL;
            else {
                /* the separator byte (or the buffer's NUL at end) takes the terminator */
                arus__ch_tsv_unescape(f, n);
                fields[nf] = f;
            }
        }
        nf++;
        if (p < end)
            p++;
        if (sep == '\n')
            break;
    }
    *pos = p;
    return nf;
}

void arus__ch_value_spec_init(struct ch_value_spec *vs, const struct arus_type *t,
                              const char *ch_type)
{
    vs->nullable = strncmp(ch_type, "Nullable(", 9) == 0;
    const char *base = vs->nullable ? ch_type + 9 : ch_type;
    vs->kind = CH_V_TEXT;
    vs->scale = t->scale;
    if (t->ltype == ARUS_T_BOOL)
        vs->kind = CH_V_BOOL;
    else if (t->ltype == ARUS_T_FLOAT32 || t->ltype == ARUS_T_FLOAT64)
        vs->kind = CH_V_FLOAT;
    else if (strncmp(base, "Decimal", 7) == 0) {
        vs->kind = CH_V_DECIMAL;
        /* The DDL type is authoritative: "Decimal(P, S)". */
        if (sscanf(base, "Decimal(%d,%d)", &vs->precision, &vs->scale) != 2)
            vs->precision = 38;
    } else if (strncmp(base, "Date", 4) == 0 && (base[4] == '\0' || base[4] == ')'))
        vs->kind = CH_V_DATE;
    else if (strncmp(base, "DateTime64", 10) == 0)
        vs->kind = CH_V_DATETIME64;
}

/* Canonical dates compare correctly as text ("YYYY-MM-DD"), so a range check is two memcmp. */
static bool ch_date_in(const struct arus_cell *c, const char *lo, const char *hi)
{
    return c->len >= 10 && memcmp(c->data, lo, 10) >= 0 && memcmp(c->data, hi, 10) <= 0;
}

/* Append a canonical decimal as Decimal(P,S) text, exactly or not at all: fraction digits
 * beyond S are dropped only when they are zeros, and the integer part must fit in P - S digits.
 * Anything else would change the value (18.16 would refuse or round it), so it is refused and
 * the row goes to the dead letters like PostgreSQL and MySQL refusals. */
static bool ch_decimal_exact(struct arus_strbuf *sb, const char *p, size_t n, int precision,
                             int scale, const char **why)
{
    const char *dot = memchr(p, '.', n);
    size_t int_end = dot ? (size_t)(dot - p) : n;
    size_t i = (n && p[0] == '-') ? 1 : 0;
    while (i + 1 < int_end && p[i] == '0')
        i++;
    size_t int_digits = int_end - i;
    if (int_digits == 1 && p[i] == '0')
        int_digits = 0;
    if ((long)int_digits > (long)precision - scale) {
        *why = "has more integer digits than the column's Decimal(P,S) holds";
        return false;
    }
    size_t keep = n;
    if (dot && n - int_end - 1 > (size_t)scale) {
        keep = int_end + (scale > 0 ? 1 + (size_t)scale : 0);
        for (size_t k = keep; k < n; k++)
            if (p[k] >= '1' && p[k] <= '9') {
                *why = "has more fraction digits than the column's Decimal(P,S) keeps";
                return false;
            }
    }
    arus_strbuf_append(sb, p, keep);
    return true;
}

static bool ch_cell_is(const struct arus_cell *c, const char *s)
{
    size_t n = strlen(s);
    return c->len == n && memcmp(c->data, s, n) == 0;
}

bool arus__ch_tsv_cell(struct arus_strbuf *sb, const struct ch_value_spec *vs,
                       const struct arus_cell *c, const char **why)
{
    if (!c->data) {
        if (!vs->nullable) {
            *why = "null in a primary-key or not-null column";
            return false;
        }
        arus_strbuf_append(sb, "\\N", 2);
        return true;
    }
    switch (vs->kind) {
    case CH_V_BOOL:
        if (ch_cell_is(c, "true") || ch_cell_is(c, "false")) {
            arus_strbuf_putc(sb, c->data[0] == 't' ? '1' : '0');
            return true;
        }
        *why = "not a boolean";
        return false;
    case CH_V_FLOAT:
        if (ch_cell_is(c, "NaN"))
            arus_strbuf_puts(sb, "nan");
        else if (ch_cell_is(c, "Infinity"))
            arus_strbuf_puts(sb, "inf");
        else if (ch_cell_is(c, "-Infinity"))
            arus_strbuf_puts(sb, "-inf");
        else
            break;
        return true;
    case CH_V_DECIMAL:
        if (ch_cell_is(c, "NaN")) {
            *why = "NaN has no ClickHouse Decimal representation";
            return false;
        }
        return ch_decimal_exact(sb, c->data, c->len, vs->precision, vs->scale, why);
    case CH_V_DATE:
        /* 18.16 silently stores out-of-range dates as 0000-00-00; refuse instead. */
        if (c->len != 10 || !ch_date_in(c, "1970-01-01", "2105-12-31")) {
            *why = "outside ClickHouse's Date range 1970-01-01..2105-12-31";
            return false;
        }
        break;
    case CH_V_DATETIME64:
        if (!ch_date_in(c, "1925-01-01", "2283-11-10")) {
            *why = "outside ClickHouse's DateTime64 range 1925-01-01..2283-11-10";
            return false;
        }
        break;
    case CH_V_TEXT:
        break;
    }
    arus__ch_tsv_escape(sb, c->data, c->len);
    return true;
}

static bool ch_exception_at(const char *p, const char *end)
{
    static const char code[] = "Code: ";
    size_t n = (size_t)(end - p);
    if (n < sizeof code || memcmp(p, code, sizeof code - 1) != 0)
        return false;
    p += sizeof code - 1;
    const char *digits = p;
    while (p < end && *p >= '0' && *p <= '9')
        p++;
    if (p == digits)
        return false;
    static const char old_form[] = ", e.displayText() = ";
    static const char new_form[] = ". DB::Exception";
    n = (size_t)(end - p);
    return (n >= sizeof old_form - 1 && memcmp(p, old_form, sizeof old_form - 1) == 0) ||
           (n >= sizeof new_form - 1 && memcmp(p, new_form, sizeof new_form - 1) == 0);
}

bool arus__ch_find_exception(const char *body, size_t n, const char **line, size_t *len)
{
    const char *end = body + n;
    for (const char *p = body; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl : end;
        if (ch_exception_at(p, eol)) {
            static const char what[] = ", e.what() = ";
            const char *cut = eol;
            for (const char *q = p; q + sizeof what - 1 <= eol; q++) {
                if (memcmp(q, what, sizeof what - 1) == 0) {
                    cut = q;
                    break;
                }
            }
            while (cut > p && (cut[-1] == '\r' || cut[-1] == ' '))
                cut--;
            *line = p;
            *len = (size_t)(cut - p);
            return true;
        }
        p = nl ? nl + 1 : end;
    }
    return false;
}

bool arus__ch_parse_version(const char *s, int *major, int *minor)
{
    char *end;
    long ma = strtol(s, &end, 10);
    if (end == s || *end != '.')
        return false;
    const char *m = end + 1;
    long mi = strtol(m, &end, 10);
    if (end == m || ma < 0 || mi < 0 || ma > 10000 || mi > 10000)
        return false;
    *major = (int)ma;
    *minor = (int)mi;
    return true;
}

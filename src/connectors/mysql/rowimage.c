/* Row-image decoder for MySQL/MariaDB row-based binlogs, written by hand because libmariadb's
 * mariadb_rpl_extract_rows mis-decodes signed integers, CHAR/ENUM/SET, negative TIME and minimal
 * images (docs/cdc-mysql.md). Byte layouts follow the server's Field::pack formats; every value
 * is rendered as the watermark extract (source.c) renders the same row, charsets converted to
 * UTF-8 the way a utf8mb4 session receives them. */
#include "connectors/mysql/rowimage.h"

#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arus/arena.h"
#include "arus/error.h"
#include "arus/strbuf.h"
#include "arus/util.h"
#include "connectors/mysql/typemap.h"

/* TABLE_MAP optional metadata field types (binlog_row_metadata). */
enum {
    MY_TM_SIGNEDNESS = 1,
    MY_TM_DEFAULT_CHARSET = 2,
    MY_TM_COLUMN_CHARSET = 3,
    MY_TM_COLUMN_NAME = 4,
    MY_TM_SET_STR_VALUE = 5,
    MY_TM_ENUM_STR_VALUE = 6,
    MY_TM_GEOMETRY_TYPE = 7,
    MY_TM_SIMPLE_PRIMARY_KEY = 8,
    MY_TM_PRIMARY_KEY_WITH_PREFIX = 9,
    MY_TM_ENUM_AND_SET_DEFAULT_CHARSET = 10,
    MY_TM_ENUM_AND_SET_COLUMN_CHARSET = 11,
};

/* ---- byte readers */

struct my_rd {
    const uint8_t *p, *end;
    bool bad;
};

static bool my_rd_need(struct my_rd *r, size_t n)
{
    if (r->bad || (size_t)(r->end - r->p) < n) {
        r->bad = true;
        return false;
    }
    return true;
}

static uint64_t my_be(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = (v << 8) | p[i];
    return v;
}

static uint64_t my_rd_le(struct my_rd *r, size_t n)
{
    if (!my_rd_need(r, n))
        return 0;
    uint64_t v = arus__my_le(r->p, n);
    r->p += n;
    return v;
}

/* The protocol's length-encoded integer (packed integer of TABLE_MAP and rows events). */
static uint64_t my_rd_packed(struct my_rd *r)
{
    if (!my_rd_need(r, 1))
        return 0;
    uint8_t b = *r->p++;
    if (b < 251)
        return b;
    if (b == 252)
        return my_rd_le(r, 2);
    if (b == 253)
        return my_rd_le(r, 3);
    if (b == 254)
        return my_rd_le(r, 8);
    r->bad = true; /* 251 is NULL, 255 undefined: neither belongs in these events */
    return 0;
}

static uint64_t my_rd_be_2(struct my_rd *r)
{
    if (!my_rd_need(r, 2))
        return 0;
    uint64_t v = my_be(r->p, 2);
    r->p += 2;
    return v;
}

static const uint8_t *my_rd_bytes(struct my_rd *r, size_t n)
{
    if (!my_rd_need(r, n))
        return NULL;
    const uint8_t *p = r->p;
    r->p += n;
    return p;
}

static bool my_bit(const uint8_t *bitmap, size_t i) { return (bitmap[i / 8] >> (i % 8)) & 1; }

/* ---- collations and charsets */

static int my_coll_cmp(const void *a, const void *b)
{
    uint32_t x = ((const struct my_collation *)a)->id, y = ((const struct my_collation *)b)->id;
    return x < y ? -1 : x > y;
}

int arus__my_collations_parse(const char *text, size_t len, struct arus_arena *a,
                              struct my_collations *out, struct arus_error *err)
{
    size_t cap = 1;
    for (size_t i = 0; i < len; i++)
        cap += text[i] == '\n';
    struct my_collation *v = arus_arena_calloc(a, cap, sizeof *v);
    size_t n = 0;
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        const char *sp = memchr(p, ' ', (size_t)(eol - p));
        if (eol > p && !sp)
            return arus_error_set(err, ARUS_EINVAL, "collation list: expected \"ID CHARSET\"");
        if (sp) {
            char *num_end;
            unsigned long id = strtoul(p, &num_end, 10);
            if (num_end != sp || sp + 1 >= eol)
                return arus_error_set(err, ARUS_EINVAL, "collation list: expected \"ID CHARSET\"");
            v[n].id = (uint32_t)id;
            v[n].charset = arus_arena_memdup(a, sp + 1, (size_t)(eol - sp - 1));
            n++;
        }
        p = eol + 1;
    }
    qsort(v, n, sizeof *v, my_coll_cmp);
    out->v = v;
    out->n = n;
    return ARUS_OK;
}

const char *arus__my_collation_charset(const struct my_collations *c, uint32_t id)
{
    if (id == MY_COLLATION_BINARY)
        return "binary";
    if (!c || !c->n)
        return NULL;
    struct my_collation key = {.id = id};
    const struct my_collation *hit = bsearch(&key, c->v, c->n, sizeof key, my_coll_cmp);
    return hit ? hit->charset : NULL;
}

/* MySQL charset name -> iconv name, for the charsets that are not UTF-8 already. latin1 is
 * converted by hand (my_latin1_utf8); charsets glibc cannot convert are left out and reported
 * as unsupported. */
static const char *my_iconv_name(const char *cs)
{
    static const char *const map[][2] = {
        {"latin2", "ISO-8859-2"},  {"latin5", "ISO-8859-9"},
        {"latin7", "ISO-8859-13"}, {"greek", "ISO-8859-7"},
        {"hebrew", "ISO-8859-8"},  {"cp1250", "CP1250"},
        {"cp1251", "CP1251"},      {"cp1256", "CP1256"},
        {"cp1257", "CP1257"},      {"cp850", "CP850"},
        {"cp852", "CP852"},        {"cp866", "CP866"},
        {"koi8r", "KOI8-R"},       {"koi8u", "KOI8-U"},
        {"macroman", "MACINTOSH"}, {"macce", "MAC-CENTRALEUROPE"},
        {"armscii8", "ARMSCII-8"}, {"geostd8", "GEORGIAN-PS"},
        {"tis620", "TIS-620"},     {"ucs2", "UCS-2BE"},
        {"utf16", "UTF-16BE"},     {"utf16le", "UTF-16LE"},
        {"utf32", "UTF-32BE"},     {"gbk", "GBK"},
        {"gb2312", "GB2312"},      {"gb18030", "GB18030"},
        {"big5", "BIG5"},          {"sjis", "SHIFT_JIS"},
        {"cp932", "CP932"},        {"ujis", "EUC-JP"},
        {"eucjpms", "EUC-JP-MS"},  {"euckr", "EUC-KR"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(map[i][0], cs) == 0)
            return map[i][1];
    return NULL;
}

static bool my_is_utf8(const char *cs)
{
    return strcmp(cs, "utf8mb4") == 0 || strcmp(cs, "utf8mb3") == 0 || strcmp(cs, "utf8") == 0 ||
           strcmp(cs, "ascii") == 0;
}

/* MySQL's latin1 is cp1252 except that the five bytes cp1252 leaves undefined map to the C1
 * controls of the same value; glibc's CP1252 rejects those, hence this table. */
static const uint16_t my_latin1_80_9f[32] = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};

static void my_put_utf8(struct arus_strbuf *sb, uint32_t cp)
{
    char b[3];
    if (cp < 0x80) {
        arus_strbuf_putc(sb, (char)cp);
    } else if (cp < 0x800) {
        b[0] = (char)(0xC0 | (cp >> 6));
        b[1] = (char)(0x80 | (cp & 0x3F));
        arus_strbuf_append(sb, b, 2);
    } else {
        b[0] = (char)(0xE0 | (cp >> 12));
        b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (char)(0x80 | (cp & 0x3F));
        arus_strbuf_append(sb, b, 3);
    }
}

/* iconv descriptors from a charset to UTF-8, opened once per thread and kept for the process:
 * opening one per value would dominate decoding. */
#define MY_ICONV_CACHE 16
static _Thread_local struct {
    const char *name;
    iconv_t cd;
} my_iconv_cache[MY_ICONV_CACHE];

static iconv_t my_iconv_get(const char *iconv_name)
{
    for (size_t i = 0; i < MY_ICONV_CACHE; i++) {
        if (my_iconv_cache[i].name && strcmp(my_iconv_cache[i].name, iconv_name) == 0)
            return my_iconv_cache[i].cd;
        if (!my_iconv_cache[i].name) {
            iconv_t cd = iconv_open("UTF-8", iconv_name);
            if (cd == (iconv_t)-1)
                return cd;
            my_iconv_cache[i].name = iconv_name; /* a string literal of my_iconv_name */
            my_iconv_cache[i].cd = cd;
            return cd;
        }
    }
    return iconv_open("UTF-8", iconv_name); /* cache full: rare, closed by the caller */
}

static bool my_iconv_cached(iconv_t cd)
{
    for (size_t i = 0; i < MY_ICONV_CACHE; i++)
        if (my_iconv_cache[i].name && my_iconv_cache[i].cd == cd)
            return true;
    return false;
}

/* Convert n bytes of charset cs to UTF-8 into sb. Bytes the charset cannot map become '?', as
 * the server's own conversion to a utf8mb4 session does. ARUS_ENOTSUP for an unknown
 * charset. */
static int my_to_utf8(const char *cs, const uint8_t *p, size_t n, struct arus_strbuf *sb,
                      struct arus_error *err)
{
    if (n == 0)
        return ARUS_OK;
    if (my_is_utf8(cs) || strcmp(cs, "binary") == 0) {
        arus_strbuf_append(sb, p, n);
        return ARUS_OK;
    }
    if (strcmp(cs, "latin1") == 0) {
        for (size_t i = 0; i < n; i++)
            my_put_utf8(sb, p[i] >= 0x80 && p[i] < 0xA0 ? my_latin1_80_9f[p[i] - 0x80] : p[i]);
        return ARUS_OK;
    }
    const char *name = my_iconv_name(cs);
    iconv_t cd = name ? my_iconv_get(name) : (iconv_t)-1;
    if (cd == (iconv_t)-1)
        return arus_error_set(err, ARUS_ENOTSUP, "charset %s is not supported by the decoder", cs);
    iconv(cd, NULL, NULL, NULL, NULL);
    char *in = (char *)p;
    size_t inleft = n;
    while (inleft > 0) {
        char buf[1024], *out = buf;
        size_t outleft = sizeof buf;
        size_t r = iconv(cd, &in, &inleft, &out, &outleft);
        arus_strbuf_append(sb, buf, (size_t)(out - buf));
        if (r == (size_t)-1 && errno != E2BIG) { /* EILSEQ / EINVAL: skip one byte */
            arus_strbuf_putc(sb, '?');
            in++;
            inleft--;
        }
    }
    if (!my_iconv_cached(cd))
        iconv_close(cd);
    return ARUS_OK;
}

/* ---- TABLE_MAP */

static bool my_is_char_column(const struct my_tm_column *c)
{
    switch (c->type) {
    case MY_BT_VARCHAR:
    case MY_BT_TINY_BLOB:
    case MY_BT_MEDIUM_BLOB:
    case MY_BT_LONG_BLOB:
    case MY_BT_BLOB:
        return true;
    case MY_BT_STRING:
    case MY_BT_VAR_STRING:
        return c->real_type == MY_BT_STRING || c->real_type == MY_BT_VAR_STRING;
    default:
        return false;
    }
}

static bool my_is_enum_set(const struct my_tm_column *c)
{
    return c->real_type == MY_BT_ENUM || c->real_type == MY_BT_SET;
}

/* Columns the SIGNEDNESS bitmap has a bit for: MariaDB counts YEAR (a Field_tiny there),
 * MySQL does not. */
static bool my_is_numeric(const struct my_tm_column *c, bool mariadb)
{
    switch (c->type) {
    case MY_BT_YEAR:
        return mariadb;
    case MY_BT_TINY:
    case MY_BT_SHORT:
    case MY_BT_INT24:
    case MY_BT_LONG:
    case MY_BT_LONGLONG:
    case MY_BT_FLOAT:
    case MY_BT_DOUBLE:
    case MY_BT_NEWDECIMAL:
    case MY_BT_DECIMAL:
        return true;
    default:
        return false;
    }
}

/* Type metadata of one column (its length depends on the type), and what it implies. */
static void my_tm_meta(struct my_rd *r, struct my_tm_column *c)
{
    c->real_type = c->type;
    switch (c->type) {
    case MY_BT_FLOAT:
    case MY_BT_DOUBLE:
    case MY_BT_BLOB:
    case MY_BT_TINY_BLOB:
    case MY_BT_MEDIUM_BLOB:
    case MY_BT_LONG_BLOB:
    case MY_BT_GEOMETRY:
    case MY_BT_JSON:
    case MY_BT_TIME2:
    case MY_BT_DATETIME2:
    case MY_BT_TIMESTAMP2:
        c->meta = (uint16_t)my_rd_le(r, 1);
        break;
    case MY_BT_VARCHAR:
    case MY_BT_BIT:
        c->meta = (uint16_t)my_rd_le(r, 2);
        break;
    case MY_BT_NEWDECIMAL:
    case MY_BT_STRING:
    case MY_BT_VAR_STRING:
    case MY_BT_ENUM:
    case MY_BT_SET:
        c->meta = (uint16_t)my_rd_be_2(r);
        break;
    default:
        c->meta = 0;
        break;
    }
    if (c->type == MY_BT_STRING || c->type == MY_BT_VAR_STRING) {
        uint8_t b0 = (uint8_t)(c->meta >> 8), b1 = (uint8_t)(c->meta & 0xFF);
        /* lengths past 255 borrow two bits of the real-type byte (Field_string::do_save_field_
         * metadata) */
        if ((b0 & 0x30) != 0x30) {
            c->real_type = (uint8_t)(b0 | 0x30);
            c->max_len = b1 | ((uint32_t)((b0 & 0x30) ^ 0x30) << 4);
        } else {
            c->real_type = b0;
            c->max_len = b1;
        }
    } else if (c->type == MY_BT_ENUM || c->type == MY_BT_SET) {
        c->max_len = c->meta & 0xFF;
    }
}

/* Whether the type metadata is within what servers write: the decoder relies on it for buffer
 * sizes (DECIMAL digits, fraction bytes, length prefixes), so a corrupt event must stop here. */
static bool my_tm_meta_ok(const struct my_tm_column *c)
{
    unsigned hi = c->meta >> 8, lo = c->meta & 0xFF;
    switch (c->type) {
    case MY_BT_TIME2:
    case MY_BT_DATETIME2:
    case MY_BT_TIMESTAMP2:
        return c->meta <= 6;
    case MY_BT_NEWDECIMAL:
        return hi >= 1 && hi <= 65 && lo <= 30 && lo <= hi;
    case MY_BT_BIT:
        return hi <= 8 && lo < 8 && (hi < 8 || lo == 0);
    case MY_BT_BLOB:
    case MY_BT_TINY_BLOB:
    case MY_BT_MEDIUM_BLOB:
    case MY_BT_LONG_BLOB:
    case MY_BT_GEOMETRY:
    case MY_BT_JSON:
        return c->meta >= 1 && c->meta <= 4;
    case MY_BT_STRING:
    case MY_BT_VAR_STRING:
    case MY_BT_ENUM:
    case MY_BT_SET:
        if (c->real_type == MY_BT_ENUM)
            return c->max_len == 1 || c->max_len == 2;
        if (c->real_type == MY_BT_SET)
            return c->max_len >= 1 && c->max_len <= 8;
        return true;
    default:
        return true;
    }
}

/* The logical type the watermark path's typemap gives the column (before schema refinement). */
static enum arus_ltype my_tm_ltype(const struct my_tm_column *c)
{
    bool bin = c->collation == MY_COLLATION_BINARY;
    switch (c->type) {
    case MY_BT_TINY:
    case MY_BT_YEAR:
        return ARUS_T_INT16;
    case MY_BT_SHORT:
        return c->is_unsigned ? ARUS_T_INT32 : ARUS_T_INT16;
    case MY_BT_INT24:
        return ARUS_T_INT32;
    case MY_BT_LONG:
        return c->is_unsigned ? ARUS_T_INT64 : ARUS_T_INT32;
    case MY_BT_LONGLONG:
        return c->is_unsigned ? ARUS_T_UINT64 : ARUS_T_INT64;
    case MY_BT_BIT:
        return ARUS_T_INT64;
    case MY_BT_NEWDECIMAL:
    case MY_BT_DECIMAL:
        return ARUS_T_DECIMAL;
    case MY_BT_FLOAT:
        return ARUS_T_FLOAT32;
    case MY_BT_DOUBLE:
        return ARUS_T_FLOAT64;
    case MY_BT_DATE:
    case MY_BT_NEWDATE:
        return ARUS_T_DATE;
    case MY_BT_DATETIME:
    case MY_BT_DATETIME2:
        return ARUS_T_TIMESTAMP;
    case MY_BT_TIMESTAMP:
    case MY_BT_TIMESTAMP2:
        return ARUS_T_TIMESTAMPTZ;
    case MY_BT_TIME:
    case MY_BT_TIME2:
        return ARUS_T_TIME;
    case MY_BT_JSON:
        return ARUS_T_JSON;
    default:
        return !my_is_enum_set(c) && bin ? ARUS_T_BYTES : ARUS_T_STRING;
    }
}

/* Default charset + (column, collation) exceptions, over the columns include() selects. */
static void my_tm_default_charset(struct my_rd *f, struct my_tablemap *tm,
                                  bool (*include)(const struct my_tm_column *))
{
    uint64_t def = my_rd_packed(f);
    for (size_t i = 0; i < tm->ncolumns; i++)
        if (include(&tm->columns[i]))
            tm->columns[i].collation = (uint32_t)def;
    while (!f->bad && f->p < f->end) {
        uint64_t idx = my_rd_packed(f), coll = my_rd_packed(f);
        /* idx counts only the included columns */
        for (size_t i = 0, seen = 0; i < tm->ncolumns; i++) {
            if (!include(&tm->columns[i]))
                continue;
            if (seen++ == idx) {
                tm->columns[i].collation = (uint32_t)coll;
                break;
            }
        }
    }
}

static void my_tm_column_charset(struct my_rd *f, struct my_tablemap *tm,
                                 bool (*include)(const struct my_tm_column *))
{
    for (size_t i = 0; i < tm->ncolumns && !f->bad; i++)
        if (include(&tm->columns[i]))
            tm->columns[i].collation = (uint32_t)my_rd_packed(f);
}

/* ENUM or SET member strings, per column of that kind in order. Their charset is only known
 * after the whole metadata is read, so the raw bytes are kept and converted later. */
struct my_raw_labels {
    const uint8_t **p;
    size_t *n;
};

static void my_tm_labels(struct my_rd *f, struct my_tablemap *tm, uint8_t kind,
                         struct arus_arena *a, struct my_raw_labels *raw)
{
    for (size_t i = 0; i < tm->ncolumns && !f->bad; i++) {
        struct my_tm_column *c = &tm->columns[i];
        if (c->real_type != kind)
            continue;
        size_t n = (size_t)my_rd_packed(f);
        if (f->bad || n > (size_t)(f->end - f->p)) {
            f->bad = true;
            break;
        }
        c->nlabels = n;
        c->labels = arus_arena_calloc(a, c->nlabels + 1, sizeof *c->labels);
        raw[i].p = arus_arena_calloc(a, c->nlabels + 1, sizeof *raw[i].p);
        raw[i].n = arus_arena_calloc(a, c->nlabels + 1, sizeof *raw[i].n);
        for (size_t k = 0; k < c->nlabels && !f->bad; k++) {
            raw[i].n[k] = (size_t)my_rd_packed(f);
            raw[i].p[k] = my_rd_bytes(f, raw[i].n[k]);
        }
    }
}

static void my_tm_pk(struct my_rd *f, struct my_tablemap *tm, bool with_prefix)
{
    int ord = 1;
    while (!f->bad && f->p < f->end) {
        uint64_t idx = my_rd_packed(f);
        if (with_prefix)
            (void)my_rd_packed(f);
        if (idx < tm->ncolumns)
            tm->columns[idx].pk_ordinal = ord++;
    }
}

static void my_tm_names(struct my_rd *f, struct my_tablemap *tm, struct arus_arena *a)
{
    for (size_t i = 0; i < tm->ncolumns && !f->bad; i++) {
        size_t n = (size_t)my_rd_packed(f);
        const uint8_t *s = my_rd_bytes(f, n);
        if (s)
            tm->columns[i].name = arus_arena_memdup(a, s, n);
    }
    tm->has_names = !f->bad;
}

static void my_tm_signedness(struct my_rd *f, struct my_tablemap *tm, bool mariadb)
{
    size_t k = 0;
    for (size_t i = 0; i < tm->ncolumns; i++) {
        struct my_tm_column *c = &tm->columns[i];
        if (!my_is_numeric(c, mariadb))
            continue;
        if ((size_t)(f->end - f->p) <= k / 8)
            break;
        c->is_unsigned = (f->p[k / 8] >> (7 - k % 8)) & 1; /* most significant bit first */
        k++;
    }
}

/* One optional metadata field (type, length, value). */
static void my_tm_optional(struct my_rd *f, struct my_tablemap *tm, uint8_t type, bool mariadb,
                           struct arus_arena *a, struct my_raw_labels *raw)
{
    switch (type) {
    case MY_TM_SIGNEDNESS:
        my_tm_signedness(f, tm, mariadb);
        break;
    case MY_TM_DEFAULT_CHARSET:
        my_tm_default_charset(f, tm, my_is_char_column);
        break;
    case MY_TM_COLUMN_CHARSET:
        my_tm_column_charset(f, tm, my_is_char_column);
        break;
    case MY_TM_ENUM_AND_SET_DEFAULT_CHARSET:
        my_tm_default_charset(f, tm, my_is_enum_set);
        break;
    case MY_TM_ENUM_AND_SET_COLUMN_CHARSET:
        my_tm_column_charset(f, tm, my_is_enum_set);
        break;
    case MY_TM_COLUMN_NAME:
        my_tm_names(f, tm, a);
        break;
    case MY_TM_SET_STR_VALUE:
        my_tm_labels(f, tm, MY_BT_SET, a, raw);
        break;
    case MY_TM_ENUM_STR_VALUE:
        my_tm_labels(f, tm, MY_BT_ENUM, a, raw);
        break;
    case MY_TM_SIMPLE_PRIMARY_KEY:
        my_tm_pk(f, tm, false);
        break;
    case MY_TM_PRIMARY_KEY_WITH_PREFIX:
        my_tm_pk(f, tm, true);
        break;
    default: /* GEOMETRY_TYPE and fields of newer servers: not needed */
        break;
    }
}

/* ENUM/SET labels to UTF-8 now that their columns' charsets are known. */
static int my_tm_convert_labels(struct my_tablemap *tm, const struct my_raw_labels *raw,
                                struct arus_arena *a, struct arus_error *err)
{
    struct arus_strbuf sb;
    int rc = ARUS_OK;
    arus_strbuf_init(&sb);
    for (size_t i = 0; i < tm->ncolumns && rc == ARUS_OK; i++) {
        struct my_tm_column *c = &tm->columns[i];
        for (size_t k = 0; k < c->nlabels && rc == ARUS_OK; k++) {
            arus_strbuf_reset(&sb);
            rc =
                my_to_utf8(c->charset ? c->charset : "utf8mb4", raw[i].p[k], raw[i].n[k], &sb, err);
            c->labels[k] = arus_arena_memdup(a, sb.data ? sb.data : "", sb.len);
        }
    }
    arus_strbuf_cleanup(&sb);
    return rc;
}

int arus__my_tablemap_parse(const uint8_t *body, size_t len, const struct my_collations *coll,
                            bool mariadb, struct arus_arena *a, struct my_tablemap *out,
                            struct arus_error *err)
{
    struct my_rd r = {body, body + len, false};
    struct my_tablemap tm = {0};
    tm.table_id = my_rd_le(&r, 6);
    (void)my_rd_le(&r, 2); /* flags */
    size_t n = (size_t)my_rd_le(&r, 1);
    const uint8_t *s = my_rd_bytes(&r, n + 1);
    tm.database = s ? arus_arena_memdup(a, s, n) : "";
    n = (size_t)my_rd_le(&r, 1);
    s = my_rd_bytes(&r, n + 1);
    tm.table = s ? arus_arena_memdup(a, s, n) : "";
    tm.ncolumns = (size_t)my_rd_packed(&r);
    if (r.bad || tm.ncolumns > len)
        return arus_error_set(err, ARUS_EDATA, "table map event: truncated");
    tm.columns = arus_arena_calloc(a, tm.ncolumns + 1, sizeof *tm.columns);
    const uint8_t *types = my_rd_bytes(&r, tm.ncolumns);
    size_t meta_len = (size_t)my_rd_packed(&r);
    const uint8_t *meta = my_rd_bytes(&r, meta_len);
    const uint8_t *nulls = my_rd_bytes(&r, (tm.ncolumns + 7) / 8);
    if (r.bad)
        return arus_error_set(err, ARUS_EDATA, "table map of `%s`.`%s`: truncated", tm.database,
                              tm.table);
    struct my_rd m = {meta, meta + meta_len, false};
    for (size_t i = 0; i < tm.ncolumns; i++) {
        tm.columns[i].type = types[i];
        tm.columns[i].nullable = my_bit(nulls, i);
        my_tm_meta(&m, &tm.columns[i]);
        if (!my_tm_meta_ok(&tm.columns[i]))
            m.bad = true;
    }
    if (m.bad)
        return arus_error_set(err, ARUS_EDATA, "table map of `%s`.`%s`: bad column metadata",
                              tm.database, tm.table);
    struct my_raw_labels *raw = arus_arena_calloc(a, tm.ncolumns + 1, sizeof *raw);
    while (!r.bad && r.p < r.end) {
        uint8_t type = (uint8_t)my_rd_le(&r, 1);
        size_t flen = (size_t)my_rd_packed(&r);
        const uint8_t *field = my_rd_bytes(&r, flen);
        if (!field)
            break;
        struct my_rd f = {field, field + flen, false};
        my_tm_optional(&f, &tm, type, mariadb, a, raw);
        if (f.bad)
            r.bad = true;
    }
    if (r.bad)
        return arus_error_set(err, ARUS_EDATA, "table map of `%s`.`%s`: bad optional metadata",
                              tm.database, tm.table);
    for (size_t i = 0; i < tm.ncolumns; i++) {
        struct my_tm_column *c = &tm.columns[i];
        if (c->collation)
            c->charset = arus__my_collation_charset(coll, c->collation);
        c->ltype = my_tm_ltype(c);
    }
    int rc = my_tm_convert_labels(&tm, raw, a, err);
    if (rc != ARUS_OK)
        return arus_error_prefix(err, "table map of `%s`.`%s`", tm.database, tm.table);
    *out = tm;
    return ARUS_OK;
}

void arus__my_tablemap_bind_schema(struct my_tablemap *tm, const struct arus_table_schema *t)
{
    for (size_t i = 0; i < tm->ncolumns; i++) {
        struct my_tm_column *c = &tm->columns[i];
        int k = c->name ? arus_schema_find(t, c->name) : (i < t->ncolumns ? (int)i : -1);
        if (k < 0)
            continue;
        enum arus_ltype lt = t->columns[k].type.ltype;
        if ((lt == ARUS_T_BOOL && c->type == MY_BT_TINY) ||
            (lt == ARUS_T_JSON && c->ltype == ARUS_T_STRING))
            c->ltype = lt;
    }
}

/* ---- rows events */

int arus__my_rows_parse(uint8_t event_type, const uint8_t *body, size_t len,
                        struct my_rows_event *out, struct arus_error *err)
{
    struct my_rd r = {body, body + len, false};
    struct my_rows_event ev = {0};
    bool v2;
    if (!arus__my_is_rows_event(event_type))
        return arus_error_set(err, ARUS_EINVAL, "event type %u is not a rows event", event_type);
    if (event_type >= MY_EV_WRITE_V1 && event_type <= MY_EV_DELETE_V1) {
        ev.kind = (enum my_rows_kind)(event_type - MY_EV_WRITE_V1);
        v2 = false;
    } else if (event_type >= MY_EV_WRITE_V2 && event_type <= MY_EV_DELETE_V2) {
        ev.kind = (enum my_rows_kind)(event_type - MY_EV_WRITE_V2);
        v2 = true;
    } else { /* MariaDB's compressed rows events */
        return arus_error_set(err, ARUS_ENOTSUP,
                              "compressed rows events are not supported (set "
                              "log_bin_compress=OFF on the server)");
    }
    ev.table_id = my_rd_le(&r, 6);
    ev.flags = (uint16_t)my_rd_le(&r, 2);
    if (v2) {
        size_t extra = (size_t)my_rd_le(&r, 2); /* counts its own two bytes */
        if (extra >= 2)
            (void)my_rd_bytes(&r, extra - 2);
    }
    ev.ncolumns = (size_t)my_rd_packed(&r);
    ev.present = my_rd_bytes(&r, (ev.ncolumns + 7) / 8);
    ev.present_after =
        ev.kind == MY_ROWS_UPDATE ? my_rd_bytes(&r, (ev.ncolumns + 7) / 8) : ev.present;
    if (r.bad)
        return arus_error_set(err, ARUS_EDATA, "rows event: truncated header");
    ev.rows = r.p;
    ev.end = r.end;
    *out = ev;
    return ARUS_OK;
}

/* Bytes of the fractional part of a TIME2/DATETIME2/TIMESTAMP2 with fsp digits. */
static size_t my_frac_bytes(unsigned fsp) { return (fsp + 1) / 2; }

/* Fraction of a DATETIME2/TIMESTAMP2 in microseconds: 1, 2 or 3 big-endian bytes holding
 * hundredths, ten-thousandths or millionths. */
static const int64_t my_frac_scale[4] = {0, 10000, 100, 1};

static int64_t my_frac_micros(const uint8_t *p, unsigned fsp)
{
    size_t n = my_frac_bytes(fsp);
    return n ? (int64_t)my_be(p, n) * my_frac_scale[n] : 0;
}

/* TIME2 as the server's packed value (my_time_packed_from_binary): integer part in the high
 * bits, microseconds in the low 24, negative times as a whole negative number. */
static int64_t my_time2_packed(const uint8_t *v, unsigned fsp)
{
    size_t fb = my_frac_bytes(fsp);
    if (fb == 3)
        return (int64_t)my_be(v, 6) - 0x800000000000LL;
    int64_t intpart = (int64_t)my_be(v, 3) - 0x800000;
    int64_t frac = fb ? (int64_t)my_be(v + 3, fb) : 0;
    if (intpart < 0 && frac) {
        intpart++;
        frac -= (int64_t)1 << (8 * fb);
    }
    return intpart * ((int64_t)1 << 24) + frac * my_frac_scale[fb];
}

/* Bytes the value of column c takes in an image, or 0 for length-prefixed values (*prefix
 * then holds the prefix size). */
static size_t my_fixed_size(const struct my_tm_column *c, size_t *prefix)
{
    *prefix = 0;
    switch (c->type) {
    case MY_BT_TINY:
    case MY_BT_YEAR:
        return 1;
    case MY_BT_SHORT:
        return 2;
    case MY_BT_INT24:
    case MY_BT_DATE:
    case MY_BT_NEWDATE:
    case MY_BT_TIME:
        return 3;
    case MY_BT_LONG:
    case MY_BT_FLOAT:
    case MY_BT_TIMESTAMP:
        return 4;
    case MY_BT_LONGLONG:
    case MY_BT_DOUBLE:
    case MY_BT_DATETIME:
        return 8;
    case MY_BT_TIME2:
        return 3 + my_frac_bytes(c->meta);
    case MY_BT_DATETIME2:
        return 5 + my_frac_bytes(c->meta);
    case MY_BT_TIMESTAMP2:
        return 4 + my_frac_bytes(c->meta);
    case MY_BT_BIT:
        return (c->meta >> 8) + ((c->meta & 0xFF) ? 1 : 0);
    case MY_BT_NEWDECIMAL:
        return arus__my_decimal_size(c->meta >> 8, c->meta & 0xFF);
    case MY_BT_VARCHAR:
        *prefix = c->meta > 255 ? 2 : 1;
        return 0;
    case MY_BT_STRING:
    case MY_BT_VAR_STRING:
        if (my_is_enum_set(c))
            return c->max_len;
        *prefix = c->max_len > 255 ? 2 : 1;
        return 0;
    case MY_BT_ENUM:
    case MY_BT_SET:
        return c->max_len;
    case MY_BT_BLOB:
    case MY_BT_TINY_BLOB:
    case MY_BT_MEDIUM_BLOB:
    case MY_BT_LONG_BLOB:
    case MY_BT_GEOMETRY:
    case MY_BT_JSON:
        *prefix = c->meta;
        return 0;
    default:
        return (size_t)-1;
    }
}

/* DECIMAL's binary format (decimal2bin): sign in the top bit, 9 digits per 4 bytes; a group
 * of 0-9 leftover digits takes my_dig2bytes[n] bytes. */
static const uint8_t my_dig2bytes[10] = {0, 1, 1, 2, 2, 3, 3, 4, 4, 4};

size_t arus__my_decimal_size(unsigned prec, unsigned scale)
{
    unsigned intg = prec > scale ? prec - scale : 0;
    return (intg / 9) * 4 + my_dig2bytes[intg % 9] + (scale / 9) * 4 + my_dig2bytes[scale % 9];
}

void arus__my_decimal_text(const uint8_t *src, size_t size, unsigned prec, unsigned scale,
                           struct arus_strbuf *sb)
{
    uint8_t b[64];
    unsigned intg = prec > scale ? prec - scale : 0;
    memcpy(b, src, size);
    bool neg = !(b[0] & 0x80);
    b[0] ^= 0x80;
    if (neg)
        for (size_t i = 0; i < size; i++)
            b[i] = (uint8_t)~b[i];
    char digits[160];
    size_t nd = 1, pos = 0; /* digits[0] is room for a "0" before a bare fraction */
    unsigned groups[2][2] = {{intg % 9, intg / 9}, {scale / 9, scale % 9}};
    /* integer part: leading partial group, then full groups; fraction: full, then partial */
    for (int part = 0; part < 2; part++) {
        for (int g = 0; g < 2; g++) {
            bool partial = (part == 0) == (g == 0);
            unsigned count = partial ? 1 : groups[part][g];
            unsigned ndig = partial ? groups[part][g] : 9;
            if (partial && ndig == 0)
                continue;
            size_t nb = partial ? my_dig2bytes[ndig] : 4;
            for (unsigned k = 0; k < count; k++) {
                nd += (size_t)snprintf(digits + nd, sizeof digits - nd, "%0*u", (int)ndig,
                                       (unsigned)my_be(b + pos, nb));
                pos += nb;
            }
        }
        if (part == 0)
            digits[nd++] = '.';
    }
    digits[nd] = '\0';
    char *d = digits + 1;
    while (*d == '0' && d[1] != '.')
        d++;
    if (*d == '.') /* DECIMAL(M,M): no integer digits stored, the server prints "0." */
        *--d = '0';
    size_t len = strlen(d);
    if (scale == 0)
        len--; /* the '.' */
    bool zero = strspn(d, "0.") == len;
    if (neg && !zero)
        arus_strbuf_putc(sb, '-');
    arus_strbuf_append(sb, d, len);
}

/* CHAR/VARCHAR/TEXT/BINARY/BLOB and ENUM/SET values. */
static int my_render_string(const struct my_tm_column *c, const uint8_t *v, size_t n,
                            struct arus_strbuf *sb, struct arus_error *err)
{
    if (my_is_enum_set(c)) {
        uint64_t x = arus__my_le(v, n);
        if (!c->labels && x)
            return arus_error_set(err, ARUS_ENOTSUP,
                                  "ENUM/SET values need binlog_row_metadata=FULL");
        if (c->real_type == MY_BT_ENUM) { /* index 0 is the '' of an invalid value */
            if (x > c->nlabels)
                return arus_error_set(err, ARUS_EDATA, "ENUM index %llu out of range",
                                      (unsigned long long)x);
            if (x)
                arus_strbuf_puts(sb, c->labels[x - 1]);
            return ARUS_OK;
        }
        bool first = true;
        for (size_t k = 0; k < c->nlabels && k < 64; k++) {
            if (!((x >> k) & 1))
                continue;
            if (!first)
                arus_strbuf_putc(sb, ',');
            arus_strbuf_puts(sb, c->labels[k]);
            first = false;
        }
        return ARUS_OK;
    }
    if (c->ltype == ARUS_T_BYTES) {
        arus_strbuf_append(sb, v, n);
        /* BINARY(n) is logged without its trailing 0x00 padding, which the extract returns */
        if (c->type == MY_BT_STRING)
            for (size_t k = n; k < c->max_len; k++)
                arus_strbuf_putc(sb, '\0');
        return ARUS_OK;
    }
    if (!c->charset)
        return arus_error_set(err, ARUS_ENOTSUP,
                              "charset of collation %u unknown (binlog_row_metadata=FULL "
                              "needed)",
                              (unsigned)c->collation);
    size_t start = sb->len;
    int rc = my_to_utf8(c->charset, v, n, sb, err);
    /* CHAR values come back without trailing spaces from the extract (no
     * PAD_CHAR_TO_FULL_LENGTH), whatever the server logged */
    if (rc == ARUS_OK && c->type == MY_BT_STRING)
        while (sb->len > start && sb->data[sb->len - 1] == ' ')
            sb->len--;
    return rc;
}

/* A DATE/TIME/DATETIME/TIMESTAMP value of any binlog format into *t (zeroed by the caller);
 * returns the MYSQL_TYPE_* arus__my_format_time renders it as. TIMESTAMPs become UTC. */
static enum enum_field_types my_temporal(const struct my_tm_column *c, const uint8_t *v,
                                         MYSQL_TIME *t)
{
    switch (c->type) {
    case MY_BT_DATE:
    case MY_BT_NEWDATE: {
        uint32_t d = (uint32_t)arus__my_le(v, 3);
        t->day = d & 31;
        t->month = (d >> 5) & 15;
        t->year = d >> 9;
        return MYSQL_TYPE_DATE;
    }
    case MY_BT_TIME: { /* pre-5.6 format: HHMMSS as a signed decimal number */
        int32_t x = (int32_t)arus__my_le(v, 3);
        if (x & 0x800000)
            x -= 0x1000000;
        t->neg = x < 0;
        uint32_t ax = (uint32_t)(x < 0 ? -x : x);
        t->hour = ax / 10000;
        t->minute = (ax / 100) % 100;
        t->second = ax % 100;
        return MYSQL_TYPE_TIME;
    }
    case MY_BT_TIME2: {
        int64_t packed = my_time2_packed(v, c->meta);
        t->neg = packed < 0;
        if (packed < 0)
            packed = -packed;
        int64_t hms = packed >> 24;
        t->second_part = (unsigned long)(packed % (1 << 24));
        t->hour = (unsigned)((hms >> 12) % (1 << 10));
        t->minute = (unsigned)((hms >> 6) % (1 << 6));
        t->second = (unsigned)(hms % (1 << 6));
        return MYSQL_TYPE_TIME;
    }
    case MY_BT_DATETIME: { /* pre-5.6 format: YYYYMMDDhhmmss as a decimal number */
        uint64_t x = arus__my_le(v, 8);
        uint64_t dpart = x / 1000000, tpart = x % 1000000;
        t->year = (unsigned)(dpart / 10000);
        t->month = (unsigned)(dpart / 100 % 100);
        t->day = (unsigned)(dpart % 100);
        t->hour = (unsigned)(tpart / 10000);
        t->minute = (unsigned)(tpart / 100 % 100);
        t->second = (unsigned)(tpart % 100);
        break;
    }
    case MY_BT_DATETIME2: { /* my_datetime_packed_from_binary */
        int64_t intpart = (int64_t)my_be(v, 5) - 0x8000000000LL;
        int64_t ymdhms = intpart, ymd = ymdhms >> 17, ym = ymd >> 5, hms = ymdhms % (1 << 17);
        t->second_part = (unsigned long)my_frac_micros(v + 5, c->meta);
        t->day = (unsigned)(ymd % (1 << 5));
        t->month = (unsigned)(ym % 13);
        t->year = (unsigned)(ym / 13);
        t->second = (unsigned)(hms % (1 << 6));
        t->minute = (unsigned)((hms >> 6) % (1 << 6));
        t->hour = (unsigned)(hms >> 12);
        break;
    }
    case MY_BT_TIMESTAMP:
    case MY_BT_TIMESTAMP2: {
        int64_t secs = (int64_t)(c->type == MY_BT_TIMESTAMP ? arus__my_le(v, 4) : my_be(v, 4));
        if (c->type == MY_BT_TIMESTAMP2)
            t->second_part = (unsigned long)my_frac_micros(v + 4, c->meta);
        if (secs != 0) { /* 0 is the zero timestamp 0000-00-00 00:00:00 */
            int64_t y, rem = secs % 86400;
            arus_civil_from_days(secs / 86400, &y, &t->month, &t->day);
            t->year = (unsigned)y;
            t->hour = (unsigned)(rem / 3600);
            t->minute = (unsigned)(rem / 60 % 60);
            t->second = (unsigned)(rem % 60);
        }
        break;
    }
    default:
        break;
    }
    return MYSQL_TYPE_DATETIME;
}

/* Render one fixed-size or length-prefixed value of column c into sb; *is_null set for zero
 * dates (rendered NULL as the extract path does). */
static int my_render(const struct my_tm_column *c, const uint8_t *v, size_t n,
                     struct arus_strbuf *sb, bool *is_null, struct arus_error *err)
{
    char tmp[80];
    int len = -1;
    MYSQL_TIME t = {0};
    enum enum_field_types tt = MYSQL_TYPE_DATETIME;
    switch (c->type) {
    case MY_BT_TINY:
    case MY_BT_SHORT:
    case MY_BT_INT24:
    case MY_BT_LONG:
    case MY_BT_LONGLONG: {
        uint64_t u = arus__my_le(v, n);
        if (c->ltype == ARUS_T_BOOL) {
            len = snprintf(tmp, sizeof tmp, "%s", u ? "true" : "false");
        } else if (c->is_unsigned) {
            len = arus_format_integer(tmp, (long long)u, true);
        } else {
            if (n < 8 && (u >> (8 * n - 1)) & 1)
                u |= ~(uint64_t)0 << (8 * n); /* sign-extend */
            len = arus_format_integer(tmp, (long long)(int64_t)u, false);
        }
        break;
    }
    case MY_BT_YEAR:
        len = snprintf(tmp, sizeof tmp, "%u", v[0] ? 1900u + v[0] : 0u);
        break;
    case MY_BT_BIT:
        len = snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)my_be(v, n));
        break;
    case MY_BT_FLOAT: {
        float f;
        uint32_t u = (uint32_t)arus__my_le(v, 4);
        memcpy(&f, &u, 4);
        len = arus__my_format_double(tmp, sizeof tmp, f, true);
        break;
    }
    case MY_BT_DOUBLE: {
        double d;
        uint64_t u = arus__my_le(v, 8);
        memcpy(&d, &u, 8);
        len = arus__my_format_double(tmp, sizeof tmp, d, false);
        break;
    }
    case MY_BT_NEWDECIMAL:
        arus__my_decimal_text(v, n, c->meta >> 8, c->meta & 0xFF, sb);
        return ARUS_OK;
    case MY_BT_DATE:
    case MY_BT_NEWDATE:
    case MY_BT_TIME:
    case MY_BT_TIME2:
    case MY_BT_DATETIME:
    case MY_BT_DATETIME2:
    case MY_BT_TIMESTAMP:
    case MY_BT_TIMESTAMP2:
        tt = my_temporal(c, v, &t);
        break;
    case MY_BT_JSON:
        return arus__my_json_binary_text(v, n, sb, err);
    case MY_BT_GEOMETRY:
        return arus_error_set(err, ARUS_ENOTSUP, "geometry columns are not decoded");
    default:
        return my_render_string(c, v, n, sb, err);
    }
    if (len < 0) { /* a temporal value filled t */
        if (tt != MYSQL_TYPE_TIME && (t.month == 0 || t.day == 0)) {
            *is_null = true;
            return ARUS_OK;
        }
        len = arus__my_format_time(tmp, sizeof tmp, &t, tt);
    }
    arus_strbuf_append(sb, tmp, (size_t)len);
    return ARUS_OK;
}

/* The column's name for messages: its name, or its position without FULL metadata. */
static const char *my_col_label(const struct my_tm_column *c, size_t i, char *buf, size_t n)
{
    if (c->name)
        return c->name;
    snprintf(buf, n, "#%zu", i + 1);
    return buf;
}

int arus__my_row_decode(const struct my_tablemap *tm, const uint8_t *bitmap, const uint8_t **p,
                        const uint8_t *end, struct arus_arena *a, struct my_row_image *out,
                        struct arus_error *err)
{
    struct my_rd r = {*p, end, false};
    size_t npresent = 0;
    for (size_t i = 0; i < tm->ncolumns; i++)
        npresent += my_bit(bitmap, i);
    const uint8_t *nulls = my_rd_bytes(&r, (npresent + 7) / 8);
    if (!nulls)
        return arus_error_set(err, ARUS_EDATA, "row of `%s`.`%s`: truncated", tm->database,
                              tm->table);
    struct my_row_image img = {
        .cells = arus_arena_calloc(a, tm->ncolumns + 1, sizeof *img.cells),
        .present = arus_arena_calloc(a, tm->ncolumns + 1, sizeof *img.present),
        .ncolumns = tm->ncolumns,
    };
    struct arus_strbuf sb;
    arus_strbuf_init(&sb);
    int rc = ARUS_OK;
    size_t k = 0, i;
    for (i = 0; i < tm->ncolumns && rc == ARUS_OK; i++) {
        const struct my_tm_column *c = &tm->columns[i];
        if (!my_bit(bitmap, i))
            continue;
        img.present[i] = true;
        if (my_bit(nulls, k++))
            continue;
        size_t prefix, n = my_fixed_size(c, &prefix);
        if (n == (size_t)-1) {
            rc = arus_error_set(err, ARUS_ENOTSUP, "column type %u is not supported", c->type);
            break;
        }
        if (prefix)
            n = (size_t)my_rd_le(&r, prefix);
        const uint8_t *v = my_rd_bytes(&r, n);
        if (!v) {
            rc = arus_error_set(err, ARUS_EDATA, "truncated value");
            break;
        }
        bool is_null = false;
        arus_strbuf_reset(&sb);
        rc = my_render(c, v, n, &sb, &is_null, err);
        if (rc != ARUS_OK)
            break;
        if (is_null)
            img.zero_dates++;
        else
            arus_cell_set_borrowed(&img.cells[i],
                                   arus_arena_memdup(a, sb.data ? sb.data : "", sb.len), sb.len);
    }
    arus_strbuf_cleanup(&sb);
    if (rc != ARUS_OK) {
        char buf[24];
        return arus_error_prefix(err, "row of `%s`.`%s` column `%s`", tm->database, tm->table,
                                 my_col_label(&tm->columns[i], i, buf, sizeof buf));
    }
    *p = r.p;
    *out = img;
    return ARUS_OK;
}

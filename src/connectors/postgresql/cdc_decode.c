/* pgoutput (proto_version 1) message decoder: Begin, Commit, Origin, Relation, Type, Insert,
 * Update, Delete, Truncate. Written by hand because no Debian library decodes pgoutput; it
 * reads big-endian integers and NUL-terminated strings with bounds checks on every field, since
 * the bytes come from the network. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "arus/arena.h"
#include "connectors/postgresql/cdc.h"

struct pg_reader {
    const unsigned char *p;
    size_t n;
    size_t at;
    bool bad;
};

static uint64_t pg_rd_int(struct pg_reader *r, size_t bytes)
{
    uint64_t v = 0;
    if (r->bad || r->n - r->at < bytes) {
        r->bad = true;
        return 0;
    }
    for (size_t i = 0; i < bytes; i++)
        v = v << 8 | r->p[r->at++];
    return v;
}

static const char *pg_rd_str(struct pg_reader *r)
{
    if (r->bad)
        return "";
    const unsigned char *end = memchr(r->p + r->at, '\0', r->n - r->at);
    if (!end) {
        r->bad = true;
        return "";
    }
    const char *s = (const char *)r->p + r->at;
    r->at = (size_t)(end - r->p) + 1;
    return s;
}

/* TupleData: Int16 count, then per column 'n' | 'u' | 't' Int32 len, bytes. */
static void pg_rd_tuple(struct pg_reader *r, struct arus_arena *a, struct pg_value **out, size_t *n)
{
    size_t count = (size_t)pg_rd_int(r, 2);
    struct pg_value *v = arus_arena_calloc(a, count + 1, sizeof *v);
    for (size_t i = 0; i < count && !r->bad; i++) {
        v[i].kind = (char)pg_rd_int(r, 1);
        if (v[i].kind == 'n' || v[i].kind == 'u')
            continue;
        if (v[i].kind != 't') {
            r->bad = true;
            break;
        }
        size_t len = (size_t)pg_rd_int(r, 4);
        if (r->bad || r->n - r->at < len) {
            r->bad = true;
            break;
        }
        v[i].data = (const char *)r->p + r->at;
        v[i].len = len;
        r->at += len;
    }
    *out = v;
    *n = count;
}

int arus__pg_decode(const char *buf, size_t n, struct arus_arena *a, struct pg_msg *m,
                    struct arus_error *err)
{
    struct pg_reader r = {.p = (const unsigned char *)buf, .n = n};
    memset(m, 0, sizeof *m);
    m->type = (char)pg_rd_int(&r, 1);
    switch (m->type) {
    case 'B':
        m->lsn = pg_rd_int(&r, 8);
        m->time = (int64_t)pg_rd_int(&r, 8);
        m->xid = (uint32_t)pg_rd_int(&r, 4);
        break;
    case 'C':
        pg_rd_int(&r, 1); /* flags, unused */
        m->lsn = pg_rd_int(&r, 8);
        m->end_lsn = pg_rd_int(&r, 8);
        m->time = (int64_t)pg_rd_int(&r, 8);
        break;
    case 'O':
        m->lsn = pg_rd_int(&r, 8);
        m->relname = pg_rd_str(&r);
        break;
    case 'R':
        m->relid = (uint32_t)pg_rd_int(&r, 4);
        m->nspname = pg_rd_str(&r);
        m->relname = pg_rd_str(&r);
        m->replident = (char)pg_rd_int(&r, 1);
        m->ncolumns = (size_t)pg_rd_int(&r, 2);
        m->columns = arus_arena_calloc(a, m->ncolumns + 1, sizeof *m->columns);
        for (size_t i = 0; i < m->ncolumns && !r.bad; i++) {
            m->columns[i].key = pg_rd_int(&r, 1) & 1;
            m->columns[i].name = pg_rd_str(&r);
            m->columns[i].type_oid = (uint32_t)pg_rd_int(&r, 4);
            m->columns[i].typmod = (int32_t)(uint32_t)pg_rd_int(&r, 4);
        }
        break;
    case 'Y':
        m->relid = (uint32_t)pg_rd_int(&r, 4);
        m->nspname = pg_rd_str(&r);
        m->relname = pg_rd_str(&r);
        break;
    case 'I':
        m->relid = (uint32_t)pg_rd_int(&r, 4);
        if (pg_rd_int(&r, 1) != 'N')
            r.bad = true;
        pg_rd_tuple(&r, a, &m->values, &m->nvalues);
        break;
    case 'U':
    case 'D': {
        m->relid = (uint32_t)pg_rd_int(&r, 4);
        char k = (char)pg_rd_int(&r, 1);
        if (k == 'K' || k == 'O') {
            m->old_kind = k;
            pg_rd_tuple(&r, a, &m->old_values, &m->nold);
            if (m->type == 'U')
                k = (char)pg_rd_int(&r, 1);
        } else if (m->type == 'D') {
            r.bad = true;
        }
        if (m->type == 'U') {
            if (k != 'N')
                r.bad = true;
            pg_rd_tuple(&r, a, &m->values, &m->nvalues);
        }
        break;
    }
    case 'T':
        m->nrelids = (size_t)pg_rd_int(&r, 4);
        m->truncate_flags = (uint8_t)pg_rd_int(&r, 1);
        if (m->nrelids > n) { /* each oid takes 4 bytes: a larger count is garbage */
            r.bad = true;
            break;
        }
        m->relids = arus_arena_calloc(a, m->nrelids + 1, sizeof *m->relids);
        for (size_t i = 0; i < m->nrelids && !r.bad; i++)
            m->relids[i] = (uint32_t)pg_rd_int(&r, 4);
        break;
    default:
        return arus_error_set(err, ARUS_EDATA, "pgoutput message '%c' (0x%02x): unknown type",
                              m->type >= 32 && m->type < 127 ? m->type : '?',
                              (unsigned char)m->type);
    }
    if (r.bad)
        return arus_error_set(err, ARUS_EDATA,
                              "pgoutput message '%c': truncated or malformed "
                              "(%zu bytes)",
                              m->type, n);
    return ARUS_OK;
}

void arus__pg_lsn_format(uint64_t lsn, char *buf, size_t n)
{
    snprintf(buf, n, "%" PRIX32 "/%" PRIX32, (uint32_t)(lsn >> 32), (uint32_t)lsn);
}

/* One half of an LSN: 1 to 8 hex digits ending at stop; *end is left after them. */
static bool pg_lsn_half(const char *p, char stop, uint64_t *out, const char **end)
{
    uint64_t v = 0;
    size_t digits = 0;
    for (; *p && *p != stop; p++, digits++) {
        char c = *p;
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                       : -1;
        if (d < 0 || digits >= 8)
            return false;
        v = v << 4 | (uint64_t)d;
    }
    *out = v;
    *end = p;
    return digits > 0 && *p == stop;
}

bool arus__pg_lsn_parse(const char *text, uint64_t *out)
{
    uint64_t hi, lo;
    const char *p;
    if (!text || !pg_lsn_half(text, '/', &hi, &p) || !pg_lsn_half(p + 1, '\0', &lo, &p))
        return false;
    *out = hi << 32 | lo;
    return true;
}

int arus__pg_cdc_position_cmp(const char *a, const char *b)
{
    uint64_t x = 0, y = 0;
    bool ga = arus__pg_lsn_parse(a, &x), gb = arus__pg_lsn_parse(b, &y);
    if (!ga || !gb)
        return (int)ga - (int)gb;
    return x < y ? -1 : x > y;
}

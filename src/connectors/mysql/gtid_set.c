/* MySQL GTID sets (server_uuid:transaction intervals): parse and print MySQL's text form, add,
 * membership, subset and the position order the apply loop skips by, and the two binlog events
 * that carry them (GTID_LOG_EVENT, PREVIOUS_GTIDS_LOG_EVENT). Written by hand: no Debian library
 * handles MySQL GTIDs (libmariadb knows only MariaDB's domain-server-seq). */
#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "arus/arena.h"
#include "arus/error.h"
#include "arus/strbuf.h"
#include "connectors/mysql/position.h"
#include "connectors/mysql/rowimage.h"

#define MY_GNO_MAX ((uint64_t)INT64_MAX)

void arus__my_gtid_set_cleanup(struct my_gtid_set *s)
{
    for (size_t i = 0; i < s->nsids; i++)
        free(s->sids[i].iv);
    free(s->sids);
    memset(s, 0, sizeof *s);
}

static int my_hex(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

bool arus__my_uuid_parse(const char *text, uint8_t out[16])
{
    size_t k = 0;
    for (size_t i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (text[i] != '-')
                return false;
            continue;
        }
        int hi = my_hex((unsigned char)text[i]);
        int lo = hi < 0 ? -1 : my_hex((unsigned char)text[++i]);
        if (lo < 0)
            return false;
        out[k++] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

void arus__my_uuid_format(const uint8_t uuid[16], char out[37])
{
    static const char hex[] = "0123456789abcdef";
    size_t k = 0;
    for (size_t i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[k++] = '-';
        out[k++] = hex[uuid[i] >> 4];
        out[k++] = hex[uuid[i] & 15];
    }
    out[k] = '\0';
}

/* The sid of uuid, inserted in uuid order when create (else NULL when absent). */
static struct my_gtid_sid *my_sid(struct my_gtid_set *s, const uint8_t uuid[16], bool create)
{
    size_t i = 0;
    while (i < s->nsids && memcmp(s->sids[i].uuid, uuid, 16) < 0)
        i++;
    if (i < s->nsids && memcmp(s->sids[i].uuid, uuid, 16) == 0)
        return &s->sids[i];
    if (!create)
        return NULL;
    if (s->nsids == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 4;
        s->sids = arus_xrealloc(s->sids, s->cap * sizeof *s->sids);
    }
    memmove(&s->sids[i + 1], &s->sids[i], (s->nsids - i) * sizeof *s->sids);
    s->nsids++;
    memset(&s->sids[i], 0, sizeof s->sids[i]);
    memcpy(s->sids[i].uuid, uuid, 16);
    return &s->sids[i];
}

/* Add [first, last] to a sid, merging overlapping and adjacent intervals. */
static void my_sid_add(struct my_gtid_sid *d, uint64_t first, uint64_t last)
{
    size_t i = 0;
    while (i < d->niv && d->iv[i].last + 1 < first)
        i++;
    size_t j = i; /* intervals i..j-1 touch [first, last] */
    while (j < d->niv && d->iv[j].first <= last + 1) {
        if (d->iv[j].first < first)
            first = d->iv[j].first;
        if (d->iv[j].last > last)
            last = d->iv[j].last;
        j++;
    }
    if (j == i) { /* nothing touched: insert */
        if (d->niv == d->cap) {
            d->cap = d->cap ? 2 * d->cap : 4;
            d->iv = arus_xrealloc(d->iv, d->cap * sizeof *d->iv);
        }
        memmove(&d->iv[i + 1], &d->iv[i], (d->niv - i) * sizeof *d->iv);
        d->niv++;
    } else { /* i..j-1 become one */
        memmove(&d->iv[i + 1], &d->iv[j], (d->niv - j) * sizeof *d->iv);
        d->niv -= j - i - 1;
    }
    d->iv[i].first = first;
    d->iv[i].last = last;
}

void arus__my_gtid_set_add(struct my_gtid_set *s, const uint8_t uuid[16], uint64_t gno)
{
    my_sid_add(my_sid(s, uuid, true), gno, gno);
}

bool arus__my_gtid_set_contains(const struct my_gtid_set *s, const uint8_t uuid[16], uint64_t gno)
{
    const struct my_gtid_sid *d = my_sid((struct my_gtid_set *)s, uuid, false);
    for (size_t i = 0; d && i < d->niv; i++)
        if (gno >= d->iv[i].first && gno <= d->iv[i].last)
            return true;
    return false;
}

/* One transaction number at *p (1 .. 2^63-1), advancing past it. */
static bool my_gno(const char **p, uint64_t *out)
{
    if (!isdigit((unsigned char)**p))
        return false;
    char *e;
    unsigned long long v = strtoull(*p, &e, 10);
    if (v == 0 || v > MY_GNO_MAX)
        return false;
    *out = v;
    *p = e;
    return true;
}

static const char *my_skip_space(const char *p)
{
    while (isspace((unsigned char)*p))
        p++;
    return p;
}

int arus__my_gtid_set_parse(const char *text, struct my_gtid_set *out, struct arus_error *err)
{
    struct my_gtid_set s = {0};
    const char *p = my_skip_space(text);
    while (*p) {
        const char *item = p;
        uint8_t uuid[16];
        if (strlen(p) < 36 || !arus__my_uuid_parse(p, uuid))
            goto bad;
        p = my_skip_space(p + 36);
        struct my_gtid_sid *d = my_sid(&s, uuid, true);
        if (*p != ':')
            goto bad;
        while (*p == ':') {
            p = my_skip_space(p + 1);
            uint64_t first, last;
            if (isalpha((unsigned char)*p) || *p == '_') {
                arus__my_gtid_set_cleanup(&s);
                return arus_error_set(err, ARUS_EINVAL,
                                      "GTID set \"%.200s\": tagged GTIDs (MySQL 8.3) are not "
                                      "supported",
                                      text);
            }
            if (!my_gno(&p, &first))
                goto bad;
            last = first;
            if (*p == '-') {
                p++;
                if (!my_gno(&p, &last) || last < first)
                    goto bad;
            }
            my_sid_add(d, first, last);
            p = my_skip_space(p);
        }
        if (*p == ',')
            p = my_skip_space(p + 1);
        else if (*p)
            goto bad;
        continue;
    bad:
        arus__my_gtid_set_cleanup(&s);
        return arus_error_set(err, ARUS_EINVAL,
                              "GTID set \"%.200s\": malformed at \"%.40s\" (expected "
                              "uuid:n[-m][:n[-m]]... joined by ',')",
                              text, item);
    }
    arus__my_gtid_set_cleanup(out);
    *out = s;
    return ARUS_OK;
}

void arus__my_gtid_set_format(const struct my_gtid_set *s, struct arus_strbuf *sb)
{
    bool first = true;
    for (size_t i = 0; i < s->nsids; i++) {
        const struct my_gtid_sid *d = &s->sids[i];
        if (!d->niv)
            continue;
        char u[37];
        arus__my_uuid_format(d->uuid, u);
        arus_strbuf_appendf(sb, "%s%s", first ? "" : ",", u);
        first = false;
        for (size_t k = 0; k < d->niv; k++) {
            if (d->iv[k].first == d->iv[k].last)
                arus_strbuf_appendf(sb, ":%" PRIu64, d->iv[k].first);
            else
                arus_strbuf_appendf(sb, ":%" PRIu64 "-%" PRIu64, d->iv[k].first, d->iv[k].last);
        }
    }
}

bool arus__my_gtid_set_subset(const struct my_gtid_set *a, const struct my_gtid_set *b)
{
    for (size_t i = 0; i < a->nsids; i++) {
        const struct my_gtid_sid *x = &a->sids[i];
        const struct my_gtid_sid *y = my_sid((struct my_gtid_set *)b, x->uuid, false);
        size_t k = 0;
        for (size_t j = 0; j < x->niv; j++) {
            /* b's intervals are disjoint and non-adjacent: one must hold all of x's */
            while (y && k < y->niv && y->iv[k].last < x->iv[j].first)
                k++;
            if (!y || k == y->niv || y->iv[k].first > x->iv[j].first ||
                y->iv[k].last < x->iv[j].last)
                return false;
        }
    }
    return true;
}

/* Transactions in the set, saturating (only the tie-break of diverged sets uses it). */
static uint64_t my_gtid_count(const struct my_gtid_set *s)
{
    uint64_t n = 0;
    for (size_t i = 0; i < s->nsids; i++)
        for (size_t k = 0; k < s->sids[i].niv; k++) {
            uint64_t w = s->sids[i].iv[k].last - s->sids[i].iv[k].first + 1;
            n = n > UINT64_MAX - w ? UINT64_MAX : n + w;
        }
    return n;
}

int arus__my_gtid_set_cmp(const struct my_gtid_set *a, const struct my_gtid_set *b)
{
    bool ab = arus__my_gtid_set_subset(a, b), ba = arus__my_gtid_set_subset(b, a);
    if (ab && ba)
        return 0;
    if (ab || ba)
        return ab ? -1 : 1;
    uint64_t na = my_gtid_count(a), nb = my_gtid_count(b);
    if (na != nb)
        return na < nb ? -1 : 1;
    struct arus_strbuf x, y;
    arus_strbuf_init(&x);
    arus_strbuf_init(&y);
    arus__my_gtid_set_format(a, &x);
    arus__my_gtid_set_format(b, &y);
    int c = strcmp(x.data ? x.data : "", y.data ? y.data : "");
    arus_strbuf_cleanup(&x);
    arus_strbuf_cleanup(&y);
    return c < 0 ? -1 : c > 0; /* never 0: equal text means equal sets, handled above */
}

int arus__my_gtid_event_decode(const uint8_t *body, size_t len, uint8_t uuid[16], uint64_t *gno,
                               struct arus_error *err)
{
    if (len < 25)
        return arus_error_set(err, ARUS_EDATA, "GTID event: %zu bytes, needs at least 25", len);
    memcpy(uuid, body + 1, 16);
    *gno = arus__my_le(body + 17, 8);
    return ARUS_OK;
}

int arus__my_previous_gtids_decode(const uint8_t *body, size_t len, struct my_gtid_set *out,
                                   struct arus_error *err)
{
    struct my_gtid_set s = {0};
    size_t off = 8;
    if (len < 8)
        goto truncated;
    uint64_t nsids = arus__my_le(body, 8);
    for (uint64_t i = 0; i < nsids; i++) {
        if (len - off < 24)
            goto truncated;
        struct my_gtid_sid *d = my_sid(&s, body + off, true);
        uint64_t niv = arus__my_le(body + off + 16, 8);
        off += 24;
        if (niv > (len - off) / 16)
            goto truncated;
        for (uint64_t k = 0; k < niv; k++, off += 16) {
            uint64_t start = arus__my_le(body + off, 8), end = arus__my_le(body + off + 8, 8);
            if (start < 1 || end <= start || end - 1 > MY_GNO_MAX) {
                arus__my_gtid_set_cleanup(&s);
                return arus_error_set(
                    err, ARUS_EDATA,
                    "PREVIOUS_GTIDS event: bad interval [%" PRIu64 ", %" PRIu64 ")", start, end);
            }
            my_sid_add(d, start, end - 1);
        }
    }
    arus__my_gtid_set_cleanup(out);
    *out = s;
    return ARUS_OK;
truncated:
    arus__my_gtid_set_cleanup(&s);
    return arus_error_set(err, ARUS_EDATA, "PREVIOUS_GTIDS event: truncated (%zu bytes)", len);
}

/* Binlog file positions ("binlog.000003:1234"): parse and order them, and tell the three kinds
 * of position text apart (MariaDB GTID state, file position, MySQL GTID set) so one comparison
 * serves every pipeline. A file position is where the next event starts (the resume point of
 * COM_BINLOG_DUMP), see docs/cdc-mysql.md "Positions". */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arus/error.h"
#include "connectors/mysql/position.h"

int arus__my_filepos_parse(const char *text, struct my_filepos *out, struct arus_error *err)
{
    const char *colon = strrchr(text, ':');
    bool ok = colon && colon > text && (size_t)(colon - text) < sizeof out->file &&
              isdigit((unsigned char)colon[1]);
    for (const char *p = text; ok && p < colon; p++)
        ok = *p != ',' && !isspace((unsigned char)*p);
    char *end = NULL;
    unsigned long long pos = ok ? strtoull(colon + 1, &end, 10) : 0;
    if (!ok || *end)
        return arus_error_set(err, ARUS_EINVAL,
                              "binlog position \"%.200s\": expected file:offset "
                              "(e.g. binlog.000003:1234)",
                              text);
    memcpy(out->file, text, (size_t)(colon - text));
    out->file[colon - text] = '\0';
    out->pos = pos;
    return ARUS_OK;
}

bool arus__my_is_filepos(const char *text)
{
    /* a GTID set's ':' follows a 36-character uuid with no '.'; a binlog file name has an
     * extension (the server's numbered files) */
    const char *colon = strrchr(text, ':');
    if (!colon || !isdigit((unsigned char)colon[1]) || colon[1 + strspn(colon + 1, "0123456789")])
        return false;
    const char *dot = memchr(text, '.', (size_t)(colon - text));
    return dot && !memchr(text, ',', (size_t)(colon - text));
}

/* The number after the file name's last '.', or false when it has none. */
static bool my_file_seq(const char *file, unsigned long long *out)
{
    const char *dot = strrchr(file, '.');
    if (!dot || !dot[1] || dot[1 + strspn(dot + 1, "0123456789")])
        return false;
    *out = strtoull(dot + 1, NULL, 10);
    return true;
}

int arus__my_filepos_cmp(const struct my_filepos *a, const struct my_filepos *b)
{
    unsigned long long x, y;
    size_t la = strrchr(a->file, '.') ? (size_t)(strrchr(a->file, '.') - a->file) : 0;
    size_t lb = strrchr(b->file, '.') ? (size_t)(strrchr(b->file, '.') - b->file) : 0;
    int c;
    /* same base name with numbered extensions: by number (000009 < 000010 < 1000000) */
    if (my_file_seq(a->file, &x) && my_file_seq(b->file, &y) && la == lb &&
        memcmp(a->file, b->file, la) == 0)
        c = x < y ? -1 : x > y;
    else
        c = strcmp(a->file, b->file);
    if (c)
        return c < 0 ? -1 : 1;
    return a->pos < b->pos ? -1 : a->pos > b->pos;
}

/* Whether text is a MariaDB GTID state: domain-server-seq entries joined by ','. */
static bool my_is_mariadb_state(const char *text)
{
    for (const char *p = text;;) {
        for (int part = 0; part < 3; part++) {
            size_t n = strspn(p, "0123456789");
            if (!n || (part < 2 && p[n] != '-'))
                return false;
            p += n + (part < 2);
        }
        if (!*p)
            return true;
        if (*p++ != ',')
            return false;
    }
}

enum my_pos_kind arus__my_pos_kind(const char *text)
{
    if (!text || !*text)
        return text ? MY_POS_NONE : MY_POS_INVALID;
    if (my_is_mariadb_state(text))
        return MY_POS_MARIADB;
    if (arus__my_is_filepos(text))
        return MY_POS_FILE;
    uint8_t uuid[16];
    const char *p = text;
    while (isspace((unsigned char)*p))
        p++;
    if (strlen(p) > 36 && arus__my_uuid_parse(p, uuid))
        return MY_POS_MYSQL_GTIDS;
    return MY_POS_INVALID;
}

int arus__my_pos_cmp(const char *a, const char *b)
{
    enum my_pos_kind ka = arus__my_pos_kind(a), kb = arus__my_pos_kind(b);
    /* "" (the start) is below every position; a malformed one below everything; different
     * kinds (a pipeline switched modes) by kind, never equal */
    if (ka == MY_POS_INVALID || kb == MY_POS_INVALID || ka == MY_POS_NONE || kb == MY_POS_NONE ||
        (ka != kb && !(ka == MY_POS_MYSQL_GTIDS && kb == MY_POS_MYSQL_GTIDS)))
        return ka == kb ? 0 : ka < kb ? -1 : 1;
    if (ka == MY_POS_FILE) {
        struct my_filepos x, y;
        arus__my_filepos_parse(a, &x, NULL);
        arus__my_filepos_parse(b, &y, NULL);
        return arus__my_filepos_cmp(&x, &y);
    }
    struct my_gtid_set x = {0}, y = {0};
    bool okx = arus__my_gtid_set_parse(a, &x, NULL) == ARUS_OK;
    bool oky = arus__my_gtid_set_parse(b, &y, NULL) == ARUS_OK;
    int c = okx && oky ? arus__my_gtid_set_cmp(&x, &y) : okx - oky;
    arus__my_gtid_set_cleanup(&x);
    arus__my_gtid_set_cleanup(&y);
    return c;
}

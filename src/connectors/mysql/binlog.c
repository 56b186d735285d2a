/* Binlog change stream: event framing and CRC32 check, transaction boundaries (GTID .. XID or
 * COMMIT), table maps, rows events handed out one row at a time, DDL and heartbeats; and the
 * reader that feeds it from a COM_BINLOG_DUMP resumed at a MariaDB GTID through libmariadb's
 * mariadb_rpl.h (framing only: every event is decoded here from its raw bytes, so captured
 * events replay through exactly the same code in unit tests). */
#include "connectors/mysql/binlog.h"

#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <ma_pvio.h>
#include <mariadb_rpl.h>
#include <mysqld_error.h>
#include <zlib.h>

#include "arus/arena.h"
#include "arus/error.h"
#include "arus/strbuf.h"
#include "arus/util.h"
#include "connectors/mysql/conn.h"
#include "connectors/mysql/position.h"

/* GTID event flag: a statement without BEGIN/COMMIT (DDL, non-transactional). */
#define MY_FL_STANDALONE 0x01

/* Split a raw event (header, body, and a CRC32 trailer when checksum) into header and body
 * (*body borrows from ev), the CRC32 not verified yet (my_event_crc). ARUS_EDATA when truncated
 * or the size field disagrees with len. */
static int my_event_split_unverified(const uint8_t *ev, size_t len, bool checksum,
                                     struct my_event_header *h, const uint8_t **body,
                                     size_t *body_len, struct arus_error *err)
{
    size_t trailer = checksum ? 4 : 0;
    if (len < MY_BINLOG_HEADER_LEN + trailer)
        return arus_error_set(err, ARUS_EDATA, "binlog event: truncated (%zu bytes)", len);
    h->timestamp = (uint32_t)arus__my_le(ev, 4);
    h->type = ev[4];
    h->server_id = (uint32_t)arus__my_le(ev + 5, 4);
    h->size = (uint32_t)arus__my_le(ev + 9, 4);
    h->log_pos = (uint32_t)arus__my_le(ev + 13, 4);
    h->flags = (uint16_t)arus__my_le(ev + 17, 2);
    if (h->size != len)
        return arus_error_set(err, ARUS_EDATA,
                              "binlog event type %u at %" PRIu32 ": size %" PRIu32
                              " but %zu bytes received",
                              h->type, h->log_pos, h->size, len);
    *body = ev + MY_BINLOG_HEADER_LEN;
    *body_len = len - MY_BINLOG_HEADER_LEN - trailer;
    return ARUS_OK;
}

/* Verify the CRC32 trailer of ev (len bytes, header h). */
static int my_event_crc(const uint8_t *ev, size_t len, const struct my_event_header *h,
                        struct arus_error *err)
{
    uint32_t want = (uint32_t)arus__my_le(ev + len - 4, 4);
    uint32_t got = (uint32_t)crc32(0L, ev, (uInt)(len - 4));
    if (want != got)
        return arus_error_set(err, ARUS_EDATA,
                              "binlog event type %u at %" PRIu32 ": CRC32 checksum mismatch",
                              h->type, h->log_pos);
    return ARUS_OK;
}

void arus__my_stream_init(struct my_stream *s, bool checksum, const struct my_collations *coll,
                          my_tablemap_fn on_tablemap, void *ctx)
{
    memset(s, 0, sizeof *s);
    s->checksum = checksum;
    s->mariadb = true;
    s->coll = coll;
    s->on_tablemap = on_tablemap;
    s->ctx = ctx;
    s->maps_arena = arus_arena_create(0);
}

void arus__my_stream_cleanup(struct my_stream *s)
{
    arus_arena_destroy(s->maps_arena);
    memset(s, 0, sizeof *s);
}

static void my_forget_maps(struct my_stream *s)
{
    arus_arena_reset(s->maps_arena);
    s->nmaps = 0;
}

static const struct my_tablemap *my_find_map(const struct my_stream *s, uint64_t table_id)
{
    for (size_t i = s->nmaps; i-- > 0;)
        if (s->maps[i]->table_id == table_id)
            return s->maps[i];
    return NULL;
}

static int my_on_tablemap(struct my_stream *s, struct arus_error *err)
{
    struct my_tablemap *tm = arus_arena_calloc(s->maps_arena, 1, sizeof *tm);
    int rc =
        arus__my_tablemap_parse(s->body, s->body_len, s->coll, s->mariadb, s->maps_arena, tm, err);
    if (rc != ARUS_OK)
        return rc;
    if (s->on_tablemap && (rc = s->on_tablemap(s->ctx, tm, err)) != ARUS_OK)
        return rc;
    for (size_t i = 0; i < s->nmaps; i++)
        if (s->maps[i]->table_id == tm->table_id) {
            s->maps[i] = tm;
            return ARUS_OK;
        }
    /* a statement touching more tables than this without a new transaction: keep the newest */
    if (s->nmaps == MY_STREAM_MAX_TABLES)
        memmove(s->maps, s->maps + 1, --s->nmaps * sizeof *s->maps);
    s->maps[s->nmaps++] = tm;
    return ARUS_OK;
}

static void my_set_gtid_mariadb(struct my_stream *s)
{
    if (s->body_len < 13)
        return;
    uint64_t seq = arus__my_le(s->body, 8);
    uint32_t domain = (uint32_t)arus__my_le(s->body + 8, 4);
    snprintf(s->gtid, sizeof s->gtid, "%" PRIu32 "-%" PRIu32 "-%" PRIu64, domain, s->h.server_id,
             seq);
}

/* MySQL's GTID event: flags(1) sid(16) gno(8) -> "uuid:gno". */
static void my_set_gtid_mysql(struct my_stream *s)
{
    uint8_t uuid[16];
    uint64_t gno;
    char u[37];
    if (arus__my_gtid_event_decode(s->body, s->body_len, uuid, &gno, NULL) != ARUS_OK)
        return;
    arus__my_uuid_format(uuid, u);
    snprintf(s->gtid, sizeof s->gtid, "%s:%" PRIu64, u, gno);
}

/* QUERY event: statement text and default database. */
static int my_query_parts(const struct my_stream *s, const char **db, size_t *dblen,
                          const char **stmt, size_t *stmtlen, struct arus_error *err)
{
    if (s->body_len < 13)
        return arus_error_set(err, ARUS_EDATA, "query event: truncated");
    *dblen = s->body[8];
    size_t status_len = (size_t)arus__my_le(s->body + 11, 2);
    size_t off = 13 + status_len;
    if (off + *dblen + 1 > s->body_len)
        return arus_error_set(err, ARUS_EDATA, "query event: truncated");
    *db = (const char *)s->body + off;
    *stmt = (const char *)s->body + off + *dblen + 1;
    *stmtlen = s->body_len - off - *dblen - 1;
    return ARUS_OK;
}

static bool my_stmt_is(const char *stmt, size_t n, const char *word)
{
    size_t w = strlen(word);
    return n >= w && strncasecmp(stmt, word, w) == 0 &&
           (n == w || stmt[w] == ' ' || stmt[w] == '\t' || stmt[w] == '\n');
}

int arus__my_stream_feed(struct my_stream *s, const uint8_t *ev, size_t len, struct arus_error *err)
{
    /* the FORMAT_DESCRIPTION says itself whether events are checksummed: its last byte before
     * the (optional) CRC is the algorithm */
    bool checksum = s->checksum;
    if (len > MY_BINLOG_HEADER_LEN && ev[4] == MY_EV_FORMAT_DESCRIPTION && len >= 5)
        checksum = ev[len - 5] == 1;
    int rc = my_event_split_unverified(ev, len, checksum, &s->h, &s->body, &s->body_len, err);
    if (rc != ARUS_OK)
        return rc;
    s->pending = false;
    /* A rows event of a table not captured is skipped unread, so its CRC32 is not computed:
     * on a busy server whose changes are mostly elsewhere that was a quarter of arus's CPU.
     * Every other event is verified (a rows event whose header does not parse, names no map
     * or disagrees with it too, so corruption reads as such); a corrupt table id that turned a
     * captured table's rows into those of an uncaptured table mapped in the same transaction
     * would go unseen. */
    bool rows = arus__my_is_rows_event(s->h.type);
    int parsed = ARUS_OK;
    if (rows) {
        parsed = arus__my_rows_parse(s->h.type, s->body, s->body_len, &s->rows, err);
        s->rows_map = parsed == ARUS_OK ? my_find_map(s, s->rows.table_id) : NULL;
    }
    bool unread = rows && s->rows_map && s->rows_map->skip &&
                  s->rows.ncolumns == s->rows_map->ncolumns;
    if (checksum && !unread && (rc = my_event_crc(ev, len, &s->h, err)) != ARUS_OK)
        return rc;
    if (parsed != ARUS_OK)
        return parsed;
    switch (s->h.type) {
    case MY_EV_FORMAT_DESCRIPTION: /* binlog version(2), server version(50), ... */
        s->checksum = checksum;
        if (s->body_len >= 52) {
            char version[51];
            memcpy(version, s->body + 2, 50);
            version[50] = '\0';
            s->mariadb = strstr(version, "MariaDB") != NULL;
        }
        break;
    case MY_EV_ROTATE:
        if (s->body_len >= 8) {
            size_t n = s->body_len - 8;
            if (n >= sizeof s->file)
                n = sizeof s->file - 1;
            memcpy(s->file, s->body + 8, n);
            s->file[n] = '\0';
            s->pos = arus__my_le(s->body, 8);
            s->pending = true;
        }
        return ARUS_OK;
    case MY_EV_GTID:
        my_set_gtid_mariadb(s);
        my_forget_maps(s);
        s->annotate = NULL;
        s->in_trx = s->body_len > 12 && !(s->body[12] & MY_FL_STANDALONE);
        s->pending = s->in_trx; /* BEGIN */
        break;
    case MY_EV_MYSQL_GTID:
    case MY_EV_MYSQL_ANONYMOUS_GTID:
        my_set_gtid_mysql(s);
        my_forget_maps(s);
        s->annotate = NULL;
        s->mysql_gtid_pending = true;
        break;
    case MY_EV_TABLE_MAP:
        rc = my_on_tablemap(s, err);
        break;
    case MY_EV_ANNOTATE_ROWS:
    case MY_EV_ROWS_QUERY:
        /* MySQL's ROWS_QUERY starts with a length byte the text repeats */
        if (s->body_len > 0) {
            /* copied: the rows it describes come in later events, after this buffer is gone */
            size_t skip = s->h.type == MY_EV_ROWS_QUERY;
            s->annotate_len = s->body_len - skip;
            s->annotate = arus_arena_memdup(s->maps_arena, s->body + skip, s->annotate_len);
        }
        break;
    case MY_EV_XID:
    case MY_EV_QUERY:
    case MY_EV_HEARTBEAT:
        s->pending = true;
        break;
    case MY_EV_XA_PREPARE:
        /* the prepared half of an XA transaction has no commit here: grouping it would be
         * wrong, so stop clearly */
        return arus_error_set(err, ARUS_ENOTSUP,
                              "XA transaction %s in the binlog: XA PREPARE is not supported by "
                              "binlog CDC",
                              s->gtid);
    default: /* rows events; STOP, GTID_LIST, checkpoints, statement-format helpers: nothing */
        if (!rows)
            break;
        if (!s->rows_map)
            return arus_error_set(err, ARUS_EDATA,
                                  "rows event for table id %" PRIu64 " without a table map",
                                  s->rows.table_id);
        if (s->rows.ncolumns != s->rows_map->ncolumns)
            return arus_error_set(err, ARUS_EDATA,
                                  "rows event of `%s`.`%s`: %zu columns, "
                                  "table map has %zu",
                                  s->rows_map->database, s->rows_map->table, s->rows.ncolumns,
                                  s->rows_map->ncolumns);
        s->pending = !s->rows_map->skip && s->rows.rows < s->rows.end;
        break;
    }
    /* artificial events (log_pos 0) do not move the position */
    if (rc == ARUS_OK && s->h.log_pos != 0 && s->h.type != MY_EV_HEARTBEAT)
        s->pos = s->h.log_pos;
    return rc;
}

static void my_change_base(const struct my_stream *s, struct my_change *out,
                           enum my_change_kind kind)
{
    memset(out, 0, sizeof *out);
    out->kind = kind;
    out->gtid = s->gtid;
    out->file = s->file;
    out->pos = s->pos;
    out->timestamp = s->h.timestamp;
}

static int my_next_row(struct my_stream *s, struct arus_arena *a, struct my_change *out,
                       struct arus_error *err)
{
    static const enum my_change_kind kinds[] = {MY_CH_INSERT, MY_CH_UPDATE, MY_CH_DELETE};
    const struct my_rows_event *r = &s->rows;
    my_change_base(s, out, kinds[r->kind]);
    out->table = s->rows_map;
    out->statement = s->annotate;
    out->statement_len = s->annotate ? s->annotate_len : 0;
    struct my_row_image *first = r->kind == MY_ROWS_WRITE ? &out->after : &out->before;
    const uint8_t *start = s->rows.rows;
    int rc = arus__my_row_decode(s->rows_map, r->present, &s->rows.rows, r->end, a, first, err);
    if (rc == ARUS_OK && r->kind == MY_ROWS_UPDATE)
        rc = arus__my_row_decode(s->rows_map, r->present_after, &s->rows.rows, r->end, a,
                                 &out->after, err);
    if (rc != ARUS_OK)
        return rc;
    if (s->rows.rows == start) /* no columns, no bytes: the event would never end */
        return arus_error_set(err, ARUS_EDATA, "rows event of `%s`.`%s`: empty row image",
                              s->rows_map->database, s->rows_map->table);
    s->pending = s->rows.rows < r->end;
    return 1;
}

int arus__my_stream_next(struct my_stream *s, struct arus_arena *a, struct my_change *out,
                         struct arus_error *err)
{
    if (!s->pending)
        return 0;
    const char *db = NULL, *stmt = NULL;
    size_t dblen = 0, stmtlen = 0;
    int rc;
    switch (s->h.type) {
    case MY_EV_GTID:
        my_change_base(s, out, MY_CH_BEGIN);
        break;
    case MY_EV_XID:
        s->in_trx = false;
        my_change_base(s, out, MY_CH_COMMIT);
        break;
    case MY_EV_ROTATE:
        my_change_base(s, out, MY_CH_ROTATE);
        break;
    case MY_EV_HEARTBEAT:
        my_change_base(s, out, MY_CH_HEARTBEAT);
        if (s->h.log_pos)
            out->pos = s->h.log_pos;
        break;
    case MY_EV_QUERY:
        if ((rc = my_query_parts(s, &db, &dblen, &stmt, &stmtlen, err)) != ARUS_OK)
            return rc;
        s->pending = false;
        if (my_stmt_is(stmt, stmtlen, "BEGIN")) {
            if (!s->mysql_gtid_pending)
                return 0; /* MariaDB: the GTID event already began it */
            s->mysql_gtid_pending = false;
            s->in_trx = true;
            my_change_base(s, out, MY_CH_BEGIN);
            return 1;
        }
        if (my_stmt_is(stmt, stmtlen, "COMMIT") || my_stmt_is(stmt, stmtlen, "ROLLBACK")) {
            /* COMMIT ends a non-transactional group; a logged ROLLBACK still means its
             * non-transactional changes happened */
            if (stmtlen > 8 && my_stmt_is(stmt, stmtlen, "ROLLBACK") &&
                strncasecmp(stmt + 9, "TO", 2) == 0)
                return 0;
            s->in_trx = false;
            my_change_base(s, out, MY_CH_COMMIT);
            return 1;
        }
        if (my_stmt_is(stmt, stmtlen, "SAVEPOINT"))
            return 0;
        s->mysql_gtid_pending = false;
        my_change_base(s, out, MY_CH_DDL);
        out->database = arus_arena_memdup(a, db, dblen);
        out->statement = arus_arena_memdup(a, stmt, stmtlen);
        out->statement_len = stmtlen;
        return 1;
    default:
        return my_next_row(s, a, out, err);
    }
    s->pending = false;
    return 1;
}

static void my_image_json(const struct my_tablemap *tm, const struct my_row_image *img,
                          struct arus_strbuf *sb)
{
    bool first = true;
    arus_strbuf_putc(sb, '{');
    for (size_t i = 0; i < img->ncolumns; i++) {
        const struct my_tm_column *col = &tm->columns[i];
        if (!img->present[i])
            continue;
        if (!first)
            arus_strbuf_putc(sb, ',');
        first = false;
        char pos[24];
        snprintf(pos, sizeof pos, "#%zu", i + 1);
        const char *name = col->name ? col->name : pos;
        arus_json_quote(sb, name, strlen(name));
        arus_strbuf_putc(sb, ':');
        const struct arus_cell *cell = &img->cells[i];
        if (!cell->data) {
            arus_strbuf_puts(sb, "null");
        } else if (col->ltype == ARUS_T_BYTES) {
            arus_strbuf_putc(sb, '"');
            arus_base64_append(sb, (const unsigned char *)cell->data, cell->len);
            arus_strbuf_putc(sb, '"');
        } else {
            arus_json_quote(sb, cell->data, cell->len);
        }
    }
    arus_strbuf_putc(sb, '}');
}

void arus__my_change_to_json(const struct my_change *c, struct arus_strbuf *sb)
{
    static const char *const kinds[] = {"none",   "begin", "insert",    "update", "delete",
                                        "commit", "ddl",   "heartbeat", "rotate", "end"};
    arus_strbuf_appendf(sb, "{\"kind\":\"%s\",\"gtid\":", kinds[c->kind]);
    arus_json_quote(sb, c->gtid ? c->gtid : "", c->gtid ? strlen(c->gtid) : 0);
    arus_strbuf_appendf(sb, ",\"pos\":%" PRIu64, c->pos);
    if (c->table) {
        arus_strbuf_puts(sb, ",\"table\":");
        struct arus_strbuf name;
        arus_strbuf_init(&name);
        arus_strbuf_appendf(&name, "%s.%s", c->table->database, c->table->table);
        arus_json_quote(sb, name.data, name.len);
        arus_strbuf_cleanup(&name);
        if (c->statement) {
            arus_strbuf_puts(sb, ",\"statement\":");
            arus_json_quote(sb, c->statement, c->statement_len);
        }
        if (c->kind != MY_CH_INSERT) {
            arus_strbuf_puts(sb, ",\"before\":");
            my_image_json(c->table, &c->before, sb);
        }
        if (c->kind != MY_CH_DELETE) {
            arus_strbuf_puts(sb, ",\"after\":");
            my_image_json(c->table, &c->after, sb);
        }
    } else if (c->kind == MY_CH_DDL) {
        arus_strbuf_puts(sb, ",\"database\":");
        arus_json_quote(sb, c->database, strlen(c->database));
        arus_strbuf_puts(sb, ",\"statement\":");
        arus_json_quote(sb, c->statement, c->statement_len);
    }
    arus_strbuf_putc(sb, '}');
}

int arus__my_binlog_replay(const uint8_t *buf, size_t len, const struct my_collations *coll,
                           struct arus_strbuf *out, struct arus_error *err)
{
    struct my_stream s;
    struct arus_arena *a = arus_arena_create(0);
    int rc = ARUS_OK;
    arus__my_stream_init(&s, true, coll, NULL, NULL);
    for (size_t off = 0; rc == ARUS_OK && off < len;) {
        size_t n = off + MY_BINLOG_HEADER_LEN <= len ? (size_t)arus__my_le(buf + off + 9, 4) : 0;
        if (n < MY_BINLOG_HEADER_LEN || n > len - off) {
            rc = arus_error_set(err, ARUS_EDATA, "captured events: bad event at offset %zu", off);
            break;
        }
        rc = arus__my_stream_feed(&s, buf + off, n, err);
        struct my_change c;
        int got = 0;
        while (rc == ARUS_OK && (got = arus__my_stream_next(&s, a, &c, err)) > 0) {
            if (!out)
                continue;
            arus__my_change_to_json(&c, out);
            arus_strbuf_putc(out, '\n');
        }
        if (got < 0)
            rc = got;
        arus_arena_reset(a);
        off += n;
    }
    arus__my_stream_cleanup(&s);
    arus_arena_destroy(a);
    return rc;
}

/* Domain of a "domain-server-seq" GTID; false when malformed. */
static bool my_gtid_domain(const char *g, size_t len, unsigned long *domain)
{
    char buf[96], *end;
    if (len == 0 || len >= sizeof buf)
        return false;
    memcpy(buf, g, len);
    buf[len] = '\0';
    *domain = strtoul(buf, &end, 10);
    if (end == buf || *end != '-')
        return false;
    char *p = end + 1;
    strtoul(p, &end, 10);
    if (end == p || *end != '-')
        return false;
    p = end + 1;
    strtoull(p, &end, 10);
    return end != p && *end == '\0';
}

int arus__my_gtid_state_merge(char *state, size_t n, const char *gtid, struct arus_error *err)
{
    unsigned long domain, d;
    if (!my_gtid_domain(gtid, strlen(gtid), &domain))
        return arus_error_set(err, ARUS_EINVAL, "malformed MariaDB GTID \"%s\"", gtid);
    struct arus_strbuf sb;
    arus_strbuf_init(&sb);
    bool replaced = false;
    for (const char *p = state; *p;) {
        size_t len = strcspn(p, ",");
        if (sb.len)
            arus_strbuf_putc(&sb, ',');
        if (my_gtid_domain(p, len, &d) && d == domain) {
            arus_strbuf_puts(&sb, gtid);
            replaced = true;
        } else {
            arus_strbuf_append(&sb, p, len);
        }
        p += len + (p[len] == ',');
    }
    if (!replaced) {
        if (sb.len)
            arus_strbuf_putc(&sb, ',');
        arus_strbuf_puts(&sb, gtid);
    }
    int rc = ARUS_OK;
    if (sb.len >= n)
        rc = arus_error_set(err, ARUS_EINVAL, "GTID state longer than %zu bytes", n);
    else
        memcpy(state, sb.data, sb.len + 1);
    arus_strbuf_cleanup(&sb);
    return rc;
}

/* ---- reader */

struct my_binlog {
    MYSQL *db;
    MARIADB_RPL *rpl;
    MARIADB_RPL_EVENT *ev;
    struct arus_arena *arena; /* collations */
    struct my_collations coll;
    struct my_stream stream;
    const char *gtid;
    bool end;
    void (*on_event)(void *ctx, const uint8_t *ev, size_t len);
    void *ctx;
    double deadline; /* arus_monotonic() past which a read waits no more (0: blocks) */
};

/* Every collation id the server knows, for the row decoder's charset conversion. */
static int my_read_collations(struct my_binlog *b, struct arus_error *err)
{
    struct my_rows rows;
    int rc = arus__my_query(b->db,
                            "SELECT ID, CHARACTER_SET_NAME FROM information_schema.COLLATIONS "
                            "WHERE ID IS NOT NULL",
                            NULL, 0, b->arena, &rows, NULL, err, "read the collation list");
    if (rc != ARUS_OK)
        return rc;
    struct arus_strbuf sb;
    arus_strbuf_init(&sb);
    for (size_t r = 0; r < rows.nrows; r++)
        if (rows.cells[2 * r] && rows.cells[2 * r + 1])
            arus_strbuf_appendf(&sb, "%s %s\n", rows.cells[2 * r], rows.cells[2 * r + 1]);
    rc = arus__my_collations_parse(sb.data ? sb.data : "", sb.len, b->arena, &b->coll, err);
    arus_strbuf_cleanup(&sb);
    return rc;
}

static int my_set_var(MYSQL *db, const char *sql, const char *value, struct arus_error *err)
{
    struct my_param p = my_str(value);
    return arus__my_query(db, sql, value ? &p : NULL, value ? 1 : 0, NULL, NULL, NULL, err,
                          "prepare the binlog dump session");
}

int arus__my_binlog_open(MYSQL *db, const struct my_binlog_opts *opts, struct my_binlog **out,
                         struct arus_error *err)
{
    struct my_binlog *b = arus_xcalloc(1, sizeof *b);
    b->db = db;
    b->on_event = opts->on_event;
    b->ctx = opts->ctx;
    b->arena = arus_arena_create(0);
    char where[600];
    if (opts->file) /* the position named in messages */
        snprintf(where, sizeof where, "%s:%llu", opts->file, (unsigned long long)opts->pos);
    b->gtid = arus_arena_strdup(b->arena, opts->file ? where : opts->gtid ? opts->gtid : "");
    char hb[64];
    /* the period is in nanoseconds; 0 switches heartbeats off */
    snprintf(hb, sizeof hb, "%llu", (unsigned long long)opts->heartbeat_seconds * 1000000000ULL);
    int rc;
    if ((rc = my_read_collations(b, err)) != ARUS_OK ||
        (rc = my_set_var(db, "SET @mariadb_slave_capability = 4", NULL, err)) != ARUS_OK ||
        (rc = my_set_var(db, "SET @master_binlog_checksum = @@global.binlog_checksum", NULL,
                         err)) != ARUS_OK ||
        (!opts->file &&
         (rc = my_set_var(db, "SET @slave_connect_state = ?", b->gtid, err)) != ARUS_OK) ||
        (!opts->file &&
         (rc = my_set_var(db, "SET @slave_gtid_strict_mode = 1", NULL, err)) != ARUS_OK) ||
        (rc = my_set_var(db, "SET @master_heartbeat_period = CAST(? AS UNSIGNED)", hb, err)) !=
            ARUS_OK)
        goto fail;
    struct my_rows cs;
    if ((rc = arus__my_query(db, "SELECT @@global.binlog_checksum", NULL, 0, b->arena, &cs, NULL,
                             err, "read binlog_checksum")) != ARUS_OK)
        goto fail;
    bool checksum = cs.nrows && cs.cells[0] && strcasecmp(cs.cells[0], "NONE") != 0;
    arus__my_stream_init(&b->stream, checksum, &b->coll, opts->on_tablemap, opts->ctx);
    b->rpl = mariadb_rpl_init(db);
    if (!b->rpl) {
        rc = arus__my_fail(db, ARUS_ECONNECT, err, "start the binlog dump");
        goto fail;
    }
    unsigned server_id = opts->server_id ? opts->server_id : 0x40000000u | (unsigned)getpid();
    unsigned flags = MARIADB_RPL_BINLOG_SEND_ANNOTATE_ROWS |
                     (opts->non_block ? MARIADB_RPL_BINLOG_DUMP_NON_BLOCK : 0);
    /* libmariadb sends COM_BINLOG_DUMP only (never MySQL's COM_BINLOG_DUMP_GTID): MySQL is
     * resumed by file/position, MariaDB by either */
    if (opts->file) {
        mariadb_rpl_optionsv(b->rpl, MARIADB_RPL_FILENAME, opts->file, strlen(opts->file));
        mariadb_rpl_optionsv(b->rpl, MARIADB_RPL_START, (unsigned long)opts->pos);
    } else {
        mariadb_rpl_optionsv(b->rpl, MARIADB_RPL_FILENAME, "", (size_t)0);
        mariadb_rpl_optionsv(b->rpl, MARIADB_RPL_START, 4UL);
    }
    mariadb_rpl_optionsv(b->rpl, MARIADB_RPL_SERVER_ID, server_id);
    mariadb_rpl_optionsv(b->rpl, MARIADB_RPL_FLAGS, flags);
    if (mariadb_rpl_open(b->rpl) != 0) {
        rc = arus__my_fail(db, ARUS_ECONNECT, err, "start the binlog dump");
        goto fail;
    }
    *out = b;
    return ARUS_OK;
fail:
    arus__my_binlog_close(b);
    return rc;
}

/* The dump failed: name the fix when the position is gone from the server. */
static int my_dump_error(struct my_binlog *b, struct arus_error *err)
{
    unsigned code = mysql_errno(b->db);
    if (code == ER_MASTER_FATAL_ERROR_READING_BINLOG || code == ER_UNKNOWN_TARGET_BINLOG) {
        const char *msg = mysql_error(b->db);
        if (strstr(msg, "purged") || strstr(msg, "Could not find GTID") ||
            strstr(msg, "Could not find first log file"))
            return arus_error_set(err, ARUS_ENOTFOUND,
                                  "binlog position %s is no longer on the server (its binlogs "
                                  "were purged): take a new snapshot (full resync) and keep "
                                  "binlogs longer (expire_logs_days / binlog_expire_logs_"
                                  "seconds); server said: %s",
                                  b->gtid, msg);
        return arus_error_set(err, ARUS_EQUERY, "read the binlog from %s: %s", b->gtid, msg);
    }
    return arus__my_fail(b->db, ARUS_ECONNECT, err, "read the binlog");
}

void arus__my_binlog_set_timeout(struct my_binlog *b, double timeout)
{
    b->deadline = timeout >= 0 ? arus_monotonic() + timeout : 0;
}

/* Whether the next packet arrives before the deadline: bytes already in libmariadb's read-ahead
 * cache (ma_pvio.h: cache_pos up to cache + cache_size; an uncompressed connection buffers
 * nothing else), or the socket readable in time. A TLS or compressed connection keeps buffers
 * of its own that cannot be looked into: its read blocks (the heartbeats bound it). */
static bool my_readable(struct my_binlog *b)
{
    MARIADB_PVIO *pvio = b->db->net.pvio;
    if (!b->deadline || !pvio || pvio->ctls || b->db->net.compress)
        return true;
    if (pvio->cache && pvio->cache_pos < pvio->cache + pvio->cache_size)
        return true;
    double left = b->deadline - arus_monotonic();
    struct pollfd pfd = {.fd = (int)mysql_get_socket(b->db), .events = POLLIN};
    /* a poll error is left to the read, which reports it */
    return poll(&pfd, 1, left > 0 ? (int)(left * 1000 + 0.999) : 0) != 0;
}

int arus__my_binlog_next(struct my_binlog *b, struct arus_arena *a, struct my_change *out,
                         struct arus_error *err)
{
    for (;;) {
        int got = arus__my_stream_next(&b->stream, a, out, err);
        if (got < 0)
            return got;
        if (got > 0)
            return ARUS_OK;
        if (b->end) {
            memset(out, 0, sizeof *out);
            out->kind = MY_CH_END;
            out->gtid = b->stream.gtid;
            out->file = b->stream.file;
            out->pos = b->stream.pos;
            return ARUS_OK;
        }
        if (!my_readable(b)) { /* nothing within the timeout: idle, like a heartbeat */
            memset(out, 0, sizeof *out);
            out->kind = MY_CH_HEARTBEAT;
            out->file = b->stream.file;
            out->pos = b->stream.pos;
            return ARUS_OK;
        }
        b->ev = mariadb_rpl_fetch(b->rpl, b->ev);
        if (!b->ev) {
            if (mysql_errno(b->db) != 0)
                return my_dump_error(b, err);
            b->end = true; /* the non-blocking dump's EOF packet */
            continue;
        }
        const uint8_t *raw = b->ev->raw_data + b->ev->raw_data_ofs;
        size_t len = b->ev->raw_data_size - b->ev->raw_data_ofs;
        if (b->on_event)
            b->on_event(b->ctx, raw, len);
        int rc = arus__my_stream_feed(&b->stream, raw, len, err);
        if (rc != ARUS_OK)
            return rc;
    }
}

const struct my_collations *arus__my_binlog_collations(const struct my_binlog *b)
{
    return &b->coll;
}

void arus__my_binlog_close(struct my_binlog *b)
{
    if (!b)
        return;
    if (b->ev)
        mariadb_free_rpl_event(b->ev);
    if (b->rpl)
        mariadb_rpl_close(b->rpl);
    if (b->db)
        mysql_close(b->db);
    if (b->stream.maps_arena)
        arus__my_stream_cleanup(&b->stream);
    arus_arena_destroy(b->arena);
    free(b);
}

/* PostgreSQL change data capture over libpq's replication protocol with the built-in pgoutput
 * plugin (docs/cdc.md): checks of settings and privileges, the publication and logical slot of a
 * pipeline, the exported snapshot the first copy reads, START_REPLICATION, pgoutput messages
 * turned into arus change events (cells in the same canonical text as the COPY extract), and
 * standby status updates that report a flush position only after the destination committed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <time.h>

#include "arus/arena.h"
#include "arus/log.h"
#include "arus/strbuf.h"
#include "arus/util.h"
#include "connectors/postgresql/cdc.h"
#include "connectors/postgresql/extract.h"

/* Microseconds between the Unix epoch and PostgreSQL's (2000-01-01). */
#define PG_EPOCH_OFFSET_US 946684800000000LL
/* A standby status update at least this often keeps wal_sender_timeout (default 60 s) away. */
#define PG_STATUS_INTERVAL 10.0
/* Attempts, 0.2 s apart, to start streaming from a slot another walsender still holds. */
#define PG_SLOT_BUSY_TRIES 25
/* Without follow, an idle stream is asked for its position this often. */
#define PG_ASK_INTERVAL 0.05

/* One relation as the stream describes it (Relation message), with arus's view of it. */
struct pg_rel {
    uint32_t relid;
    char *name;                      /* arus table name */
    struct arus_table_schema schema; /* columns in the message's order */
    bool *to_json;                   /* the COPY extract reads this column through to_json() */
    unsigned version;
    struct arus_arena *arena;
};

struct pg_cdc {
    PGconn *repl;
    char slot[64];
    char publication[64];
    bool snapshot;  /* the ordinary connection is inside the slot's snapshot */
    bool streaming; /* START_REPLICATION ran */
    bool follow;
    uint64_t target; /* without follow: stop once the stream passed this */
    bool reached;    /* ... and it has */
    bool in_txn;
    uint64_t last_commit, last_end; /* the newest Commit message */
    uint64_t received;              /* the newest WAL position the server reported */
    uint64_t flushed;               /* reported as flushed (0: nothing yet) */
    double last_status;
    double last_ask; /* when a status update last asked for a reply */
    struct pg_rel *rels;
    size_t nrels;
    unsigned versions;
    struct arus_arena *ev; /* event memory, reset by every cdc_next */
    char *buf;             /* the last PQgetCopyData buffer */
    uint32_t *trunc;       /* relations of a Truncate message still to report */
    size_t ntrunc, itrunc;
    char pos[32];
};

static struct pg_source *pg_src(struct arus_source *base) { return (struct pg_source *)base; }

static void pg_rel_free(struct pg_rel *r)
{
    arus_arena_destroy(r->arena);
    memset(r, 0, sizeof *r);
}

void arus__pg_cdc_destroy(struct pg_cdc *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->nrels; i++)
        pg_rel_free(&c->rels[i]);
    free(c->rels);
    PQfreemem(c->buf);
    PQfinish(c->repl);
    arus_arena_destroy(c->ev);
    free(c->trunc);
    free(c);
}

/* "arus_<pipeline>" with every character outside [a-z0-9_] as '_' (slot names allow no
 * more), at most 63 characters. */
static void pg_derived_name(char *out, size_t n, const char *given, const char *pipeline)
{
    if (given) {
        snprintf(out, n, "%s", given);
        return;
    }
    size_t o = (size_t)snprintf(out, n, "arus_");
    for (const char *p = pipeline; *p && o + 1 < n && o < 63; p++) {
        char c = *p;
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        out[o++] = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ? c : '_';
    }
    out[o] = '\0';
}

static const char *pg_name(const struct pg_source *s) { return s->base.endpoint->name; }

/* One-value query: the first cell of the first row into buf ("" when NULL or no row). */
static int pg_scalar(PGconn *c, const char *sql, int n, const char *const *params, char *buf,
                     size_t size, const char *what, struct arus_error *err)
{
    PGresult *r;
    int rc = arus__pg_query(c, sql, n, params, &r, what, err);
    if (rc)
        return rc;
    snprintf(buf, size, "%s", PQntuples(r) && !PQgetisnull(r, 0, 0) ? PQgetvalue(r, 0, 0) : "");
    PQclear(r);
    return ARUS_OK;
}

/* wal_level and the REPLICATION attribute, each missing one in one line. */
static int pg_check_settings(struct pg_source *s, struct arus_error *err)
{
    char level[32], repl[8], user[128];
    int rc = pg_scalar(s->conn, "SELECT current_setting('wal_level')", 0, NULL, level, sizeof level,
                       "read wal_level", err);
    if (rc)
        return rc;
    if (strcmp(level, "logical") != 0)
        return arus_error_set(err, ARUS_ECONFIG,
                              "source \"%s\": wal_level is \"%s\", change data capture needs "
                              "wal_level = logical (ALTER SYSTEM SET wal_level = logical, then "
                              "restart PostgreSQL; see docs/cdc.md)",
                              pg_name(s), level);
    if ((rc = pg_scalar(s->conn,
                        "SELECT CASE WHEN rolreplication OR rolsuper THEN 't' ELSE 'f' END "
                        "FROM pg_roles WHERE rolname = current_user",
                        0, NULL, repl, sizeof repl, "read role attributes", err)) ||
        (rc = pg_scalar(s->conn, "SELECT current_user", 0, NULL, user, sizeof user, "read role",
                        err)))
        return rc;
    if (strcmp(repl, "t") != 0)
        return arus_error_set(err, ARUS_ECONFIG,
                              "source \"%s\": role \"%s\" lacks the REPLICATION attribute "
                              "(ALTER ROLE ... REPLICATION; see docs/cdc.md)",
                              pg_name(s), user);
    return ARUS_OK;
}

/* The relation behind an arus table name: its oid, namespace and name, the replica identity
 * and whether it has a primary key. */
static const char pg_rel_sql[] =
    "SELECT c.oid, n.nspname, c.relname, c.relreplident, "
    "EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary) "
    "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE c.relkind IN ('r', 'p') "
    "AND ((n.nspname = $1 AND c.relname = $2) OR n.nspname || '.' || c.relname = $2) "
    "ORDER BY (n.nspname = $1 AND c.relname = $2) DESC LIMIT 1";

/* Every table exists, can be addressed by key in the log (REPLICA IDENTITY), and is in the
 * publication (added, or created with them, when o->create). */
static int pg_check_tables(struct pg_source *s, struct pg_cdc *c, const struct arus_cdc_options *o,
                           struct arus_error *err)
{
    struct arus_strbuf missing, sql;
    arus_strbuf_init(&missing);
    arus_strbuf_init(&sql);
    int rc = ARUS_OK;
    char exists[8];
    const char *pub[1] = {c->publication};
    rc = pg_scalar(s->conn, "SELECT 't' FROM pg_publication WHERE pubname = $1", 1, pub, exists,
                   sizeof exists, "look up publication", err);
    for (size_t i = 0; rc == ARUS_OK && i < o->ntables; i++) {
        const char *params[2] = {s->schema, o->tables[i]};
        PGresult *r;
        if ((rc = arus__pg_query(s->conn, pg_rel_sql, 2, params, &r, "look up table", err)))
            break;
        if (PQntuples(r) == 0) {
            rc = arus_error_set(err, ARUS_ENOTFOUND, "table \"%s\" not found in schema \"%s\"",
                                o->tables[i], s->schema);
            PQclear(r);
            break;
        }
        char ident = PQgetvalue(r, 0, 3)[0];
        bool pk = PQgetvalue(r, 0, 4)[0] == 't';
        if (ident == 'n' || (ident == 'd' && !pk))
            rc = arus_error_set(err, ARUS_ECONFIG,
                                "table \"%s\": no primary key and REPLICA IDENTITY %s: deletes "
                                "and updates would not name their row (ALTER TABLE ... REPLICA "
                                "IDENTITY FULL; see docs/cdc.md)",
                                o->tables[i], ident == 'n' ? "NOTHING" : "DEFAULT");
        if (rc == ARUS_OK && exists[0]) {
            const char *in[2] = {c->publication, PQgetvalue(r, 0, 0)};
            char found[8];
            rc = pg_scalar(s->conn,
                           "SELECT 't' FROM pg_publication p, "
                           "LATERAL pg_get_publication_tables(p.pubname) t "
                           "WHERE p.pubname = $1 AND t.relid = $2::oid",
                           2, in, found, sizeof found, "read publication tables", err);
            if (rc == ARUS_OK && !found[0]) {
                arus_strbuf_puts(&missing, missing.len ? ", " : "");
                arus__pg_qualified(&missing, PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 2));
            }
        } else if (rc == ARUS_OK) {
            arus_strbuf_puts(&missing, missing.len ? ", " : "");
            arus__pg_qualified(&missing, PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 2));
        }
        PQclear(r);
    }
    if (rc == ARUS_OK && missing.len) {
        if (!o->create) {
            rc = arus_error_set(err, ARUS_ECONFIG,
                                "source \"%s\": publication \"%s\" %s %s (cdc.create is false; "
                                "see docs/cdc.md)",
                                pg_name(s), c->publication,
                                exists[0] ? "lacks" : "does not exist for", missing.data);
        } else {
            arus_strbuf_puts(&sql, exists[0] ? "ALTER PUBLICATION " : "CREATE PUBLICATION ");
            arus_sql_quote_ident(&sql, c->publication, '"', false);
            arus_strbuf_puts(&sql, exists[0] ? " ADD TABLE " : " FOR TABLE ");
            arus_strbuf_puts(&sql, missing.data);
            char what[160];
            snprintf(what, sizeof what, "source \"%s\": %s publication \"%s\"", pg_name(s),
                     exists[0] ? "alter" : "create", c->publication);
            rc = arus__pg_exec(s->conn, arus_strbuf_cstr(&sql), what, err);
            if (rc == ARUS_EQUERY && strcmp(err->sqlstate, "42501") == 0)
                arus_error_set(err, ARUS_ECONFIG,
                               "%s: %s (the role must own the tables, or a DBA creates the "
                               "publication; see docs/cdc.md)",
                               what, strchr(err->msg, ':') ? strrchr(err->msg, ':') + 2 : err->msg);
        }
    }
    arus_strbuf_cleanup(&missing);
    arus_strbuf_cleanup(&sql);
    return rc;
}

/* The slot's confirmed position, "" when there is no such slot. Slot names are per server: one
 * of another database is refused (never used, never dropped). */
static int pg_slot_lookup(struct pg_source *s, const char *slot, char *confirmed, size_t n,
                          bool *exists, struct arus_error *err)
{
    const char *p[1] = {slot};
    PGresult *r;
    int rc = arus__pg_query(s->conn,
                            "SELECT COALESCE(confirmed_flush_lsn::text, ''), database, "
                            "database = current_database() FROM pg_replication_slots "
                            "WHERE slot_name = $1",
                            1, p, &r, "look up replication slot", err);
    if (rc)
        return rc;
    *exists = PQntuples(r) > 0;
    if (*exists && PQgetvalue(r, 0, 2)[0] != 't')
        rc = arus_error_set(err, ARUS_ECONFIG,
                            "source \"%s\": replication slot \"%s\" belongs to database \"%s\" "
                            "(slot names are per server: set cdc.slot)",
                            pg_name(s), slot, PQgetvalue(r, 0, 1));
    else
        snprintf(confirmed, n, "%s", *exists ? PQgetvalue(r, 0, 0) : "");
    PQclear(r);
    return rc;
}

static int pg_slot_drop(struct pg_source *s, const char *slot, struct arus_error *err)
{
    const char *p[1] = {slot};
    PGresult *r;
    int rc = arus__pg_query(s->conn,
                            "SELECT pg_drop_replication_slot(slot_name) FROM "
                            "pg_replication_slots WHERE slot_name = $1 "
                            "AND database = current_database()",
                            1, p, &r, "drop replication slot", err);
    PQclear(r);
    return rc;
}

/* CREATE_REPLICATION_SLOT ... EXPORT_SNAPSHOT, then the ordinary connection adopts the
 * snapshot: until cdc_stream the extracts read the tables as of the slot's consistent point.
 * The replication connection must run nothing else meanwhile (that would end the export). */
static int pg_slot_create(struct pg_source *s, struct pg_cdc *c, struct arus_cdc_start *out,
                          struct arus_error *err)
{
    struct arus_strbuf sql;
    arus_strbuf_init(&sql);
    arus_strbuf_puts(&sql, "CREATE_REPLICATION_SLOT ");
    arus_sql_quote_ident(&sql, c->slot, '"', false);
    arus_strbuf_puts(&sql, " LOGICAL pgoutput EXPORT_SNAPSHOT");
    char what[160];
    snprintf(what, sizeof what, "source \"%s\": create replication slot \"%s\"", pg_name(s),
             c->slot);
    PGresult *r = PQexec(c->repl, arus_strbuf_cstr(&sql));
    arus_strbuf_cleanup(&sql);
    int rc = ARUS_OK;
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1 || PQnfields(r) < 3) {
        rc = arus__pg_fail(c->repl, r, err, what);
        PQclear(r);
        return rc;
    }
    uint64_t consistent = 0;
    if (!arus__pg_lsn_parse(PQgetvalue(r, 0, 1), &consistent) || consistent == 0) {
        rc = arus_error_set(err, ARUS_EQUERY, "%s: unexpected consistent point \"%s\"", what,
                            PQgetvalue(r, 0, 1));
        PQclear(r);
        return rc;
    }
    /* Transactions committing at or after the consistent point are not in the snapshot; the
     * position names the last one that is (positions are commit LSNs, skipped when <=). */
    arus__pg_lsn_format(consistent - 1, out->position, sizeof out->position);
    char *lit = PQescapeLiteral(s->conn, PQgetvalue(r, 0, 2), strlen(PQgetvalue(r, 0, 2)));
    PQclear(r);
    if (!lit)
        return arus__pg_fail(s->conn, NULL, err, what);
    arus_strbuf_init(&sql);
    arus_strbuf_puts(&sql, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; "
                           "SET TRANSACTION SNAPSHOT ");
    arus_strbuf_puts(&sql, lit);
    PQfreemem(lit);
    rc = arus__pg_exec(s->conn, arus_strbuf_cstr(&sql), "adopt the slot's snapshot", err);
    arus_strbuf_cleanup(&sql);
    if (rc == ARUS_OK) {
        c->snapshot = true;
        out->snapshot = true;
        arus_log(ARUS_LOG_INFO, "cdc", "source \"%s\": created slot \"%s\" at %s", pg_name(s),
                 c->slot, out->position);
    }
    return rc;
}

int arus__pg_cdc_start(struct arus_source *base, const struct arus_cdc_options *o,
                       struct arus_cdc_start *out, struct arus_error *err)
{
    struct pg_source *s = pg_src(base);
    arus__pg_cdc_destroy(s->cdc);
    struct pg_cdc *c = s->cdc = arus_xcalloc(1, sizeof *c);
    c->ev = arus_arena_create(0);
    pg_derived_name(c->slot, sizeof c->slot, o->slot, o->pipeline);
    pg_derived_name(c->publication, sizeof c->publication, o->publication, o->pipeline);
    memset(out, 0, sizeof *out);
    int rc;
    if ((rc = pg_check_settings(s, err)) || (rc = pg_check_tables(s, c, o, err)))
        return rc;
    char target[32], confirmed[32];
    bool exists;
    /* The insert position: with synchronous_commit off the flush position can lag commits
     * that already returned. */
    if ((rc = pg_scalar(s->conn, "SELECT pg_current_wal_insert_lsn()::text", 0, NULL, target,
                        sizeof target, "read the WAL position", err)) ||
        (rc = pg_slot_lookup(s, c->slot, confirmed, sizeof confirmed, &exists, err)))
        return rc;
    arus__pg_lsn_parse(target, &c->target);
    if (exists && o->position) {
        snprintf(out->position, sizeof out->position, "%s", o->position);
    } else if (exists && !o->create) {
        /* A slot a DBA made: no snapshot to copy in; the copy overlaps the stream from the
         * slot's position, and applying by key makes the overlap converge. */
        uint64_t lsn = 0;
        arus__pg_lsn_parse(confirmed, &lsn);
        arus__pg_lsn_format(lsn ? lsn - 1 : 0, out->position, sizeof out->position);
    } else if (!o->create) {
        return arus_error_set(err, ARUS_ECONFIG,
                              "source \"%s\": replication slot \"%s\" does not exist (cdc.create "
                              "is false; see docs/cdc.md)",
                              pg_name(s), c->slot);
    } else {
        if (exists) {
            /* Nothing of this slot reached the destination: start over with a snapshot. */
            if ((rc = pg_slot_drop(s, c->slot, err)))
                return rc;
        } else if (o->position) {
            arus_log(ARUS_LOG_WARN, "cdc",
                     "source \"%s\": replication slot \"%s\" is gone: copying every table again",
                     pg_name(s), c->slot);
        }
        if ((rc = arus__pg_connect_replication(&s->set, &c->repl, err)))
            return rc;
        return pg_slot_create(s, c, out, err);
    }
    return arus__pg_connect_replication(&s->set, &c->repl, err);
}

int arus__pg_cdc_stream(struct arus_source *base, const char *from, bool follow,
                        struct arus_error *err)
{
    struct pg_source *s = pg_src(base);
    struct pg_cdc *c = s->cdc;
    int rc;
    uint64_t start = 0;
    if (!c || !c->repl)
        return arus_error_set(err, ARUS_EINTERNAL, "cdc_stream before cdc_start");
    if (c->snapshot) {
        c->snapshot = false;
        if ((rc = arus__pg_exec(s->conn, "COMMIT", "end the snapshot", err)))
            return rc;
    }
    if (!arus__pg_lsn_parse(from, &start))
        return arus_error_set(err, ARUS_ECONFIG, "source \"%s\": bad stored position \"%s\"",
                              pg_name(s), from ? from : "");
    c->follow = follow;
    char lsn[32];
    arus__pg_lsn_format(start, lsn, sizeof lsn);
    struct arus_strbuf sql, pubs;
    arus_strbuf_init(&sql);
    arus_strbuf_init(&pubs);
    arus_sql_quote_ident(&pubs, c->publication, '"', false);
    char *lit = PQescapeLiteral(c->repl, pubs.data, pubs.len);
    arus_strbuf_puts(&sql, "START_REPLICATION SLOT ");
    arus_sql_quote_ident(&sql, c->slot, '"', false);
    arus_strbuf_appendf(&sql, " LOGICAL %s (proto_version '1', publication_names %s)", lsn,
                        lit ? lit : "''");
    PQfreemem(lit);
    char what[160];
    snprintf(what, sizeof what, "source \"%s\": start replication from slot \"%s\"", pg_name(s),
             c->slot);
    /* The walsender of a reader that was just killed may hold the slot a moment longer
     * (SQLSTATE 55006, object in use): wait for it, a few seconds at most. */
    for (int tries = 0;; tries++) {
        PGresult *r = PQexec(c->repl, arus_strbuf_cstr(&sql));
        rc = PQresultStatus(r) == PGRES_COPY_BOTH ? ARUS_OK : arus__pg_fail(c->repl, r, err, what);
        PQclear(r);
        if (rc == ARUS_OK || tries >= PG_SLOT_BUSY_TRIES || strcmp(err->sqlstate, "55006") != 0)
            break;
        struct timespec pause = {.tv_nsec = 200 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    arus_strbuf_cleanup(&sql);
    arus_strbuf_cleanup(&pubs);
    if (rc)
        return rc;
    c->streaming = true;
    c->last_status = arus_monotonic();
    arus_log(ARUS_LOG_INFO, "cdc", "source \"%s\": streaming slot \"%s\" from %s%s", pg_name(s),
             c->slot, lsn, follow ? "" : " to the current end");
    return ARUS_OK;
}

static void pg_put64(unsigned char *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (unsigned char)v;
}

static uint64_t pg_get64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

/* Standby status update: written = what arrived, flushed = applied = what the destination
 * committed (never more). */
static int pg_send_status(struct pg_cdc *c, bool reply, struct arus_error *err)
{
    unsigned char m[34];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t now = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000 - PG_EPOCH_OFFSET_US;
    uint64_t written = c->received > c->flushed ? c->received : c->flushed;
    m[0] = 'r';
    pg_put64(m + 1, written);
    pg_put64(m + 9, c->flushed);
    pg_put64(m + 17, c->flushed);
    pg_put64(m + 25, (uint64_t)now);
    m[33] = reply;
    if (PQputCopyData(c->repl, (const char *)m, sizeof m) != 1 || PQflush(c->repl) != 0)
        return arus__pg_fail(c->repl, NULL, err, "send standby status");
    c->last_status = arus_monotonic();
    if (reply)
        c->last_ask = c->last_status;
    return ARUS_OK;
}

int arus__pg_cdc_ack(struct arus_source *base, const char *position, struct arus_error *err)
{
    struct pg_cdc *c = pg_src(base)->cdc;
    uint64_t lsn = 0;
    if (!c || !arus__pg_lsn_parse(position, &lsn))
        return arus_error_set(err, ARUS_EINVAL, "acknowledge \"%s\": not a position",
                              position ? position : "");
    /* The server may drop the WAL before the flush position: report the end of the committed
     * transaction's commit record, which the newest Commit message gave. */
    uint64_t flush = lsn == c->last_commit && c->last_end ? c->last_end : lsn;
    if (flush <= c->flushed)
        return ARUS_OK;
    c->flushed = flush;
    return c->streaming ? pg_send_status(c, false, err) : ARUS_OK;
}

/* ---- relations and row values */

static struct pg_rel *pg_rel_find(struct pg_cdc *c, uint32_t relid)
{
    for (size_t i = 0; i < c->nrels; i++)
        if (c->rels[i].relid == relid)
            return &c->rels[i];
    return NULL;
}

static bool pg_is_json(const char *t)
{
    return t && (strcmp(t, "json") == 0 || strcmp(t, "jsonb") == 0);
}

/* A Relation message: the columns as the catalog types them (the same logical types the copy
 * used), in the message's order; a column the catalog no longer has stays text. */
static int pg_rel_update(struct pg_source *s, struct pg_cdc *c, const struct pg_msg *m,
                         struct arus_error *err)
{
    struct pg_rel *r = pg_rel_find(c, m->relid);
    if (!r) {
        c->rels = arus_xrealloc(c->rels, (c->nrels + 1) * sizeof *c->rels);
        r = &c->rels[c->nrels++];
        memset(r, 0, sizeof *r);
    } else {
        pg_rel_free(r);
    }
    r->relid = m->relid;
    r->arena = arus_arena_create(0);
    r->version = ++c->versions;
    char oid[16];
    snprintf(oid, sizeof oid, "%u", m->relid);
    struct arus_table_schema cat;
    int rc = arus__pg_load_table(s, oid, m->nspname, m->relname, "0", r->arena, &cat, err);
    if (rc)
        return rc;
    r->name = cat.name;
    r->schema = cat;
    r->schema.ncolumns = m->ncolumns;
    r->schema.columns = arus_arena_calloc(r->arena, m->ncolumns + 1, sizeof *r->schema.columns);
    r->to_json = arus_arena_calloc(r->arena, m->ncolumns + 1, sizeof *r->to_json);
    for (size_t i = 0; i < m->ncolumns; i++) {
        struct arus_column *col = &r->schema.columns[i];
        int k = arus_schema_find(&cat, m->columns[i].name);
        if (k >= 0 && strcmp(cat.columns[k].name, m->columns[i].name) == 0) {
            *col = cat.columns[k];
        } else {
            col->name = arus_arena_strdup(r->arena, m->columns[i].name);
            col->source_type = "text";
            col->type.ltype = ARUS_T_STRING;
            col->nullable = true;
        }
        r->to_json[i] = col->type.ltype == ARUS_T_JSON && !pg_is_json(col->source_type);
    }
    return ARUS_OK;
}

/* Arrays and the like: the copy read them as to_json(); so does this, on the ordinary
 * connection. The type text is the server's own format_type() output. */
static int pg_value_json(struct pg_source *s, struct pg_cdc *c, const struct arus_column *col,
                         const char *text, struct arus_cell *cell, struct arus_error *err)
{
    struct arus_strbuf sql;
    arus_strbuf_init(&sql);
    arus_strbuf_puts(&sql, "SELECT to_json($1::");
    arus_strbuf_puts(&sql, col->source_type);
    arus_strbuf_puts(&sql, ")::text");
    PGresult *r;
    const char *p[1] = {text};
    int rc =
        arus__pg_query(s->conn, arus_strbuf_cstr(&sql), 1, p, &r, "convert a value to json", err);
    arus_strbuf_cleanup(&sql);
    if (rc)
        return rc;
    size_t n = (size_t)PQgetlength(r, 0, 0);
    cell->data = arus_arena_memdup(c->ev, PQgetvalue(r, 0, 0), n);
    cell->len = n;
    PQclear(r);
    return ARUS_OK;
}

static int pg_values(struct pg_source *s, struct pg_cdc *c, const struct pg_rel *r,
                     const struct pg_value *v, size_t n, struct arus_cell **cells, bool **unchanged,
                     struct arus_error *err)
{
    if (n != r->schema.ncolumns)
        return arus_error_set(err, ARUS_EDATA,
                              "table \"%s\": a change has %zu columns, its relation %zu", r->name,
                              n, r->schema.ncolumns);
    *cells = arus_arena_calloc(c->ev, n + 1, sizeof **cells);
    bool *u = arus_arena_calloc(c->ev, n + 1, sizeof *u);
    bool any = false;
    char what[300];
    snprintf(what, sizeof what, "change of \"%s\"", r->name);
    for (size_t i = 0; i < n; i++) {
        if (v[i].kind == 'u') {
            u[i] = any = true;
            continue;
        }
        if (v[i].kind != 't')
            continue;
        char *p = arus_arena_memdup(c->ev, v[i].data, v[i].len);
        int rc = r->to_json[i] ? pg_value_json(s, c, &r->schema.columns[i], p, &(*cells)[i], err)
                               : arus__pg_canonical(&r->schema.columns[i], what, &(*cells)[i], p,
                                                    v[i].len, err);
        if (rc)
            return rc;
    }
    if (unchanged)
        *unchanged = any ? u : NULL;
    return ARUS_OK;
}

static int pg_row_event(struct pg_source *s, struct pg_cdc *c, const struct pg_msg *m,
                        struct arus_cdc_event *ev, struct arus_error *err)
{
    const struct pg_rel *r = pg_rel_find(c, m->relid);
    if (!r)
        return arus_error_set(err, ARUS_EDATA, "change of relation %u before its description",
                              m->relid);
    struct arus_cell *cells = NULL, *old = NULL;
    bool *unchanged = NULL;
    int rc = ARUS_OK;
    ev->kind = ARUS_CDC_ROW;
    ev->op = m->type == 'I' ? 'i' : m->type == 'U' ? 'u' : 'd';
    ev->table = r->name;
    ev->schema = &r->schema;
    ev->schema_version = r->version;
    if (m->type == 'D')
        rc = pg_values(s, c, r, m->old_values, m->nold, &cells, NULL, err);
    else
        rc = pg_values(s, c, r, m->values, m->nvalues, &cells, &unchanged, err);
    if (rc == ARUS_OK && m->type == 'U' && m->old_kind)
        rc = pg_values(s, c, r, m->old_values, m->nold, &old, NULL, err);
    ev->cells = cells;
    ev->old_cells = old;
    ev->unchanged = unchanged;
    return rc;
}

static int pg_truncate_event(struct pg_cdc *c, struct arus_cdc_event *ev, struct arus_error *err)
{
    const struct pg_rel *r = pg_rel_find(c, c->trunc[c->itrunc++]);
    if (!r)
        return arus_error_set(err, ARUS_EDATA, "truncate of relation %u before its description",
                              c->trunc[c->itrunc - 1]);
    ev->kind = ARUS_CDC_TRUNCATE;
    ev->table = r->name;
    ev->schema = &r->schema;
    ev->schema_version = r->version;
    return ARUS_OK;
}

/* One XLogData payload; *done when it made an event. */
static int pg_handle(struct pg_source *s, struct pg_cdc *c, const char *p, size_t n,
                     struct arus_cdc_event *ev, bool *done, struct arus_error *err)
{
    struct pg_msg m;
    int rc = arus__pg_decode(p, n, c->ev, &m, err);
    if (rc)
        return rc;
    *done = false;
    switch (m.type) {
    case 'B':
        c->in_txn = true;
        arus__pg_lsn_format(m.lsn, c->pos, sizeof c->pos);
        ev->kind = ARUS_CDC_BEGIN;
        ev->position = c->pos;
        *done = true;
        break;
    case 'C':
        c->in_txn = false;
        c->last_commit = m.lsn;
        c->last_end = m.end_lsn;
        if (!c->follow && m.end_lsn >= c->target)
            c->reached = true;
        arus__pg_lsn_format(m.lsn, c->pos, sizeof c->pos);
        ev->kind = ARUS_CDC_COMMIT;
        ev->position = c->pos;
        *done = true;
        break;
    case 'R':
        return pg_rel_update(s, c, &m, err);
    case 'I':
    case 'U':
    case 'D':
        *done = true;
        return pg_row_event(s, c, &m, ev, err);
    case 'T':
        free(c->trunc);
        c->trunc = arus_xcalloc(m.nrelids + 1, sizeof *c->trunc);
        memcpy(c->trunc, m.relids, m.nrelids * sizeof *c->trunc);
        c->ntrunc = m.nrelids;
        c->itrunc = 0;
        if (c->ntrunc) {
            *done = true;
            return pg_truncate_event(c, ev, err);
        }
        break;
    default: /* Origin, Type: nothing to apply */
        break;
    }
    return ARUS_OK;
}

/* Wait until the socket is readable or the deadline passes; false on timeout. */
static bool pg_wait(PGconn *conn, double deadline)
{
    double left = deadline - arus_monotonic();
    if (left <= 0)
        return false;
    int fd = PQsocket(conn);
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(fd, &rd);
    struct timeval tv = {.tv_sec = (time_t)left,
                         .tv_usec = (suseconds_t)((left - (time_t)left) * 1e6)};
    return select(fd + 1, &rd, NULL, NULL, &tv) > 0;
}

static int pg_stream_ended(struct pg_source *s, struct pg_cdc *c, struct arus_error *err)
{
    PGresult *r;
    int rc = ARUS_OK;
    char what[160];
    snprintf(what, sizeof what, "source \"%s\": replication stream of slot \"%s\"", pg_name(s),
             c->slot);
    while ((r = PQgetResult(c->repl))) {
        if (rc == ARUS_OK && PQresultStatus(r) != PGRES_COMMAND_OK &&
            PQresultStatus(r) != PGRES_COPY_OUT)
            rc = arus__pg_fail(c->repl, r, err, what);
        PQclear(r);
        if (PQstatus(c->repl) == CONNECTION_BAD)
            break;
    }
    if (rc == ARUS_OK)
        rc = arus__pg_fail(c->repl, NULL, err, what);
    if (rc == ARUS_EQUERY && PQstatus(c->repl) == CONNECTION_BAD)
        err->code = rc = ARUS_ECONNECT;
    return rc;
}

int arus__pg_cdc_next(struct arus_source *base, struct arus_cdc_event *ev, double timeout,
                      struct arus_error *err)
{
    struct pg_source *s = pg_src(base);
    struct pg_cdc *c = s->cdc;
    if (!c || !c->streaming)
        return arus_error_set(err, ARUS_EINTERNAL, "cdc_next before cdc_stream");
    arus_arena_reset(c->ev);
    PQfreemem(c->buf);
    c->buf = NULL;
    memset(ev, 0, sizeof *ev);
    if (c->itrunc < c->ntrunc)
        return pg_truncate_event(c, ev, err);
    double deadline = arus_monotonic() + timeout;
    int rc;
    for (;;) {
        if (!c->follow && c->reached && !c->in_txn) {
            ev->kind = ARUS_CDC_END;
            return ARUS_OK;
        }
        if (arus_monotonic() - c->last_status >= PG_STATUS_INTERVAL &&
            (rc = pg_send_status(c, false, err)))
            return rc;
        int len = PQgetCopyData(c->repl, &c->buf, 1);
        if (len == 0) {
            /* Without follow, an idle stream is asked for its position: the keepalive that
             * answers tells when the end seen at start has passed. */
            if (!c->follow && !c->in_txn && arus_monotonic() - c->last_ask >= PG_ASK_INTERVAL &&
                (rc = pg_send_status(c, true, err)))
                return rc;
            if (!pg_wait(c->repl, deadline)) {
                ev->kind = ARUS_CDC_IDLE;
                return ARUS_OK;
            }
            if (!PQconsumeInput(c->repl))
                return pg_stream_ended(s, c, err);
            continue;
        }
        if (len < 0)
            return pg_stream_ended(s, c, err);
        const unsigned char *b = (const unsigned char *)c->buf;
        if (b[0] == 'k' && len >= 18) {
            uint64_t end = pg_get64(b + 1);
            arus_log(ARUS_LOG_TRACE, "cdc", "keepalive at %llX (end %llX)", (unsigned long long)end,
                     (unsigned long long)c->target);
            c->received = end > c->received ? end : c->received;
            if (!c->follow && end >= c->target)
                c->reached = true;
            if (b[17] && (rc = pg_send_status(c, false, err)))
                return rc;
        } else if (b[0] == 'w' && len >= 25) {
            uint64_t start = pg_get64(b + 1);
            c->received = start > c->received ? start : c->received;
            bool done;
            if ((rc = pg_handle(s, c, c->buf + 25, (size_t)len - 25, ev, &done, err)))
                return rc;
            if (done)
                return ARUS_OK;
        } else {
            return arus_error_set(err, ARUS_EDATA,
                                  "source \"%s\": unexpected replication message '%c'", pg_name(s),
                                  b[0]);
        }
        PQfreemem(c->buf);
        c->buf = NULL;
    }
}

/* ---- status, drop */

int arus__pg_cdc_status(struct arus_source *base, const struct arus_cdc_options *o,
                        struct arus_arena *a, struct arus_cdc_status *out, struct arus_error *err)
{
    struct pg_source *s = pg_src(base);
    char slot[64], pub[64];
    pg_derived_name(slot, sizeof slot, o->slot, o->pipeline);
    pg_derived_name(pub, sizeof pub, o->publication, o->pipeline);
    memset(out, 0, sizeof *out);
    out->slot = arus_arena_strdup(a, slot);
    out->publication = arus_arena_strdup(a, pub);
    out->lag_bytes = out->retained_bytes = -1;
    out->lag_seconds = -1;
    const char *p[1] = {slot};
    PGresult *r;
    int rc = arus__pg_query(s->conn,
                            "SELECT active, confirmed_flush_lsn::text, pg_current_wal_lsn()::text, "
                            "pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint, "
                            "pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint "
                            "FROM pg_replication_slots WHERE slot_name = $1 "
                            "AND database = current_database()",
                            1, p, &r, "read replication slot", err);
    if (rc)
        return rc;
    if (PQntuples(r) == 1) {
        out->exists = true;
        out->active = PQgetvalue(r, 0, 0)[0] == 't';
        out->confirmed = PQgetisnull(r, 0, 1) ? NULL : arus_arena_strdup(a, PQgetvalue(r, 0, 1));
        out->current = arus_arena_strdup(a, PQgetvalue(r, 0, 2));
        if (!PQgetisnull(r, 0, 3))
            out->lag_bytes = strtoll(PQgetvalue(r, 0, 3), NULL, 10);
        if (!PQgetisnull(r, 0, 4))
            out->retained_bytes = strtoll(PQgetvalue(r, 0, 4), NULL, 10);
        if (o->warn_retained > 0 && out->retained_bytes > o->warn_retained) {
            char line[300];
            snprintf(line, sizeof line,
                     "slot \"%s\" retains %lld bytes of WAL (more than cdc.warn_retained_bytes "
                     "%lld): run arus sync, or arus cdc drop to release it",
                     slot, (long long)out->retained_bytes, (long long)o->warn_retained);
            out->warning = arus_arena_strdup(a, line);
        }
    }
    PQclear(r);
    return ARUS_OK;
}

int arus__pg_cdc_drop(struct arus_source *base, const struct arus_cdc_options *o,
                      struct arus_error *err)
{
    struct pg_source *s = pg_src(base);
    char slot[64], pub[64];
    pg_derived_name(slot, sizeof slot, o->slot, o->pipeline);
    pg_derived_name(pub, sizeof pub, o->publication, o->pipeline);
    int rc = pg_slot_drop(s, slot, err);
    if (rc)
        return rc;
    struct arus_strbuf sql;
    arus_strbuf_init(&sql);
    arus_strbuf_puts(&sql, "DROP PUBLICATION IF EXISTS ");
    arus_sql_quote_ident(&sql, pub, '"', false);
    rc = arus__pg_exec(s->conn, arus_strbuf_cstr(&sql), "drop publication", err);
    arus_strbuf_cleanup(&sql);
    return rc;
}

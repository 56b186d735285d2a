/* The lease table of arus serve's coordination in PostgreSQL (include/arus/lease.h):
 * arus_state.serve_leases, one row per (pipeline, tick). The first process to insert a row runs
 * that tick; a row left unfinished past expires_at (its holder killed) is claimed by another
 * process with FOR UPDATE SKIP LOCKED. The connection settings are the connector's own, so
 * coordination reads an endpoint exactly as a sync does. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arus/arena.h"
#include "arus/lease.h"
#include "arus/strbuf.h"
#include "connectors/postgresql/conn.h"

/* Several processes start together: the advisory lock keeps their CREATEs from racing. */
static const char create_sql[] =
    "BEGIN; SELECT pg_advisory_xact_lock(hashtext('arus_state.serve_leases'));"
    "CREATE SCHEMA IF NOT EXISTS arus_state;"
    "CREATE TABLE IF NOT EXISTS arus_state.serve_leases ("
    " pipeline text NOT NULL, tick bigint NOT NULL, holder text NOT NULL,"
    " expires_at timestamptz NOT NULL, done boolean NOT NULL DEFAULT false,"
    " run_id text, status text,"
    " PRIMARY KEY (pipeline, tick)); COMMIT";

struct arus_lease_store {
    PGconn *conn;
    struct pg_settings settings;
};

static int pg_lease_connected(struct arus_lease_store *st, struct arus_error *err)
{
    if (st->conn && PQstatus(st->conn) == CONNECTION_OK)
        return ARUS_OK;
    PQfinish(st->conn);
    st->conn = NULL;
    return arus__pg_connect(&st->settings, &st->conn, err);
}

/* Run sql with params; reconnects once when the connection was lost. *out gets the result on
 * success (caller PQclear's it). */
static int pg_lease_query(struct arus_lease_store *st, const char *sql, int n,
                          const char *const *params, PGresult **out, const char *what,
                          struct arus_error *err)
{
    for (int attempt = 0;; attempt++) {
        int rc = pg_lease_connected(st, err);
        if (rc)
            return rc;
        rc = arus__pg_query(st->conn, sql, n, params, out, what, err);
        if (rc != ARUS_ECONNECT || attempt > 0)
            return rc;
    }
}

/* A statement whose only outcome is whether it changed one row. */
static int pg_lease_one_row(struct arus_lease_store *st, const char *sql, int n,
                            const char *const *params, bool *one, const char *what,
                            struct arus_error *err)
{
    PGresult *r = NULL;
    int rc = pg_lease_query(st, sql, n, params, &r, what, err);
    if (rc == ARUS_OK && one)
        *one = strcmp(PQcmdTuples(r), "1") == 0;
    PQclear(r);
    return rc;
}

int arus_lease_store_open(const struct arus_endpoint *ep, struct arus_lease_store **out,
                          struct arus_error *err)
{
    struct arus_lease_store *st = arus_xcalloc(1, sizeof *st);
    int rc = arus__pg_settings_read(ep, &st->settings, err);
    if (rc == ARUS_OK)
        rc = pg_lease_connected(st, err);
    if (rc == ARUS_OK)
        rc = arus__pg_exec(st->conn, create_sql, "create arus_state.serve_leases", err);
    if (rc) {
        arus_lease_store_close(st);
        return rc;
    }
    *out = st;
    return ARUS_OK;
}

void arus_lease_store_close(struct arus_lease_store *st)
{
    if (!st)
        return;
    PQfinish(st->conn);
    free(st);
}

int arus_lease_acquire(struct arus_lease_store *st, const char *pipeline, int64_t tick,
                       const char *holder, double seconds, bool *ours, struct arus_error *err)
{
    char t[24], s[32];
    snprintf(t, sizeof t, "%lld", (long long)tick);
    snprintf(s, sizeof s, "%.3f", seconds);
    const char *p[] = {pipeline, t, holder, s};
    return pg_lease_one_row(st,
                            "INSERT INTO arus_state.serve_leases (pipeline, tick, holder,"
                            " expires_at) VALUES ($1, $2, $3, now() + $4 * interval '1 second')"
                            " ON CONFLICT DO NOTHING",
                            4, p, ours, "lease a run", err);
}

int arus_lease_follow(struct arus_lease_store *st, const char *pipeline, const char *holder,
                      double seconds, bool *ours, struct arus_error *err)
{
    char s[32];
    snprintf(s, sizeof s, "%.3f", seconds);
    const char *p[] = {pipeline, holder, s};
    return pg_lease_one_row(st,
                            "INSERT INTO arus_state.serve_leases AS o (pipeline, tick, holder,"
                            " expires_at) VALUES ($1, 0, $2, now() + $3 * interval '1 second')"
                            " ON CONFLICT (pipeline, tick) DO UPDATE SET holder = excluded.holder,"
                            " expires_at = excluded.expires_at, done = false, run_id = NULL,"
                            " status = NULL"
                            " WHERE o.done OR o.expires_at < now() OR o.holder = excluded.holder",
                            3, p, ours, "lease a follow run", err);
}

int arus_lease_renew(struct arus_lease_store *st, const char *holder, double seconds,
                     struct arus_error *err)
{
    char s[32];
    snprintf(s, sizeof s, "%.3f", seconds);
    const char *p[] = {holder, s};
    return pg_lease_one_row(st,
                            "UPDATE arus_state.serve_leases SET expires_at = now() + $2 * interval "
                            "'1 second' WHERE holder = $1 AND NOT done",
                            2, p, NULL, "renew leases", err);
}

int arus_lease_release(struct arus_lease_store *st, const char *pipeline, int64_t tick,
                       const char *holder, const char *run_id, const char *status,
                       struct arus_error *err)
{
    char t[24];
    snprintf(t, sizeof t, "%lld", (long long)tick);
    const char *p[] = {pipeline, t, holder, run_id, status};
    return pg_lease_one_row(st,
                            "UPDATE arus_state.serve_leases SET done = true, expires_at = now(),"
                            " run_id = $4, status = $5 WHERE pipeline = $1 AND tick = $2 AND"
                            " holder = $3",
                            5, p, NULL, "end a lease", err);
}

int arus_lease_hand_back(struct arus_lease_store *st, const char *pipeline, int64_t tick,
                         const char *holder, struct arus_error *err)
{
    char t[24];
    snprintf(t, sizeof t, "%lld", (long long)tick);
    const char *p[] = {pipeline, t, holder};
    return pg_lease_one_row(st,
                            "UPDATE arus_state.serve_leases SET expires_at = now()"
                            " WHERE pipeline = $1 AND tick = $2 AND holder = $3 AND NOT done",
                            3, p, NULL, "hand a lease back", err);
}

/* A PostgreSQL text[] literal of names: {"a","b"} with " and \ escaped. */
static void pg_lease_array(struct arus_strbuf *sb, const char *const *names, size_t n)
{
    arus_strbuf_putc(sb, '{');
    for (size_t i = 0; i < n; i++) {
        arus_strbuf_puts(sb, i ? ",\"" : "\"");
        for (const char *c = names[i]; *c; c++) {
            if (*c == '"' || *c == '\\')
                arus_strbuf_putc(sb, '\\');
            arus_strbuf_putc(sb, *c);
        }
        arus_strbuf_putc(sb, '"');
    }
    arus_strbuf_putc(sb, '}');
}

int arus_lease_take_over(struct arus_lease_store *st, const char *holder, double seconds,
                         const char *const *pipelines, size_t n, bool *found, size_t *which,
                         int64_t *tick, struct arus_error *err)
{
    *found = false;
    char s[32];
    snprintf(s, sizeof s, "%.3f", seconds);
    struct arus_strbuf names;
    arus_strbuf_init(&names);
    pg_lease_array(&names, pipelines, n);
    const char *p[] = {holder, s, arus_strbuf_cstr(&names)};
    PGresult *r = NULL;
    int rc = pg_lease_query(st,
                            "UPDATE arus_state.serve_leases l SET holder = $1,"
                            " expires_at = now() + $2 * interval '1 second'"
                            " FROM (SELECT pipeline, tick FROM arus_state.serve_leases"
                            " WHERE NOT done AND expires_at < now() AND tick <> 0"
                            " AND pipeline = ANY ($3::text[])"
                            " ORDER BY tick LIMIT 1 FOR UPDATE SKIP LOCKED) x"
                            " WHERE l.pipeline = x.pipeline AND l.tick = x.tick"
                            " RETURNING l.pipeline, l.tick",
                            3, p, &r, "take over an expired lease", err);
    for (size_t i = 0; rc == ARUS_OK && PQntuples(r) > 0 && i < n; i++)
        if (strcmp(pipelines[i], PQgetvalue(r, 0, 0)) == 0) {
            *found = true;
            *which = i;
            *tick = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
            break;
        }
    PQclear(r);
    arus_strbuf_cleanup(&names);
    return rc;
}

/* Leases of scheduled runs in PostgreSQL (serve.coordination), so several arus serve processes
 * with the same config run each tick once. Table arus_state.serve_leases holds one row per
 * (pipeline, tick): the first process to insert it runs the tick; its holder renews expires_at
 * (heartbeat) while it runs and sets done at the end. A row left unfinished past expires_at
 * (holder killed) is claimed by another process with FOR UPDATE SKIP LOCKED and run again from
 * the committed watermarks. A follow pipeline (sync_mode cdc) has one row with tick 0: whoever
 * holds it follows; it is taken again (serve_lease_follow) once done or expired, never by the
 * tick take-over. The connection settings are the PostgreSQL connector's
 * (arus__pg_settings_read / arus__pg_connect), so coordination reads an endpoint exactly as a
 * sync does. */
#include "serve/lease.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "arus/arus.h"
#include "serve/serve.h"

#ifdef ARUS_SERVE_LEASE
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

struct serve_lease {
    pthread_mutex_t mu; /* one libpq connection, used by the main loop, workers, heartbeat */
    PGconn *conn;
    struct pg_settings settings;
    char holder[128]; /* host:pid:random, unique per process */
    char seconds[32]; /* lease_time as text, a statement parameter */
    double lease_seconds;
    pthread_t heartbeat;
    pthread_cond_t stop_cv;
    bool stopping;
};

static int ensure_connected(struct serve_lease *l, struct arus_error *err)
{
    if (l->conn && PQstatus(l->conn) == CONNECTION_OK)
        return ARUS_OK;
    PQfinish(l->conn);
    l->conn = NULL;
    return arus__pg_connect(&l->settings, &l->conn, err);
}

/* Run sql with params on the shared connection (l->mu held); reconnects once when the
 * connection was lost. *out gets the result on success (caller PQclear's it). */
static int lease_query(struct serve_lease *l, const char *sql, int n, const char *const *params,
                       PGresult **out, const char *what, struct arus_error *err)
{
    for (int attempt = 0;; attempt++) {
        int rc = ensure_connected(l, err);
        if (rc)
            return rc;
        rc = arus__pg_query(l->conn, sql, n, params, out, what, err);
        if (rc != ARUS_ECONNECT || attempt > 0)
            return rc;
    }
}

static void *heartbeat_main(void *arg)
{
    struct serve_lease *l = arg;
    pthread_mutex_lock(&l->mu);
    while (!l->stopping) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        double step = l->lease_seconds / 3;
        ts.tv_sec += (time_t)step;
        ts.tv_nsec += (long)((step - (double)(time_t)step) * 1e9);
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&l->stop_cv, &l->mu, &ts);
        if (l->stopping)
            break;
        const char *p[] = {l->holder, l->seconds};
        PGresult *r = NULL;
        struct arus_error err;
        arus_error_clear(&err);
        if (lease_query(l,
                        "UPDATE arus_state.serve_leases SET expires_at = now() + $2 * interval "
                        "'1 second' WHERE holder = $1 AND NOT done",
                        2, p, &r, "renew leases", &err) != ARUS_OK)
            arus_log(ARUS_LOG_WARN, "lease", "%s", err.msg);
        PQclear(r);
    }
    pthread_mutex_unlock(&l->mu);
    return NULL;
}

int serve_lease_create(const struct arus_config *cfg, const char *endpoint, double lease_seconds,
                       struct serve_lease **out, struct arus_error *err)
{
    const struct arus_endpoint *ep = arus_config_destination(cfg, endpoint);
    if (!ep)
        ep = arus_config_source(cfg, endpoint);
    if (!ep || strcmp(ep->type, "postgresql") != 0)
        return arus_error_set(err, ARUS_ECONFIG,
                              "serve.coordination: \"%s\" is not a postgresql source or "
                              "destination of %s",
                              endpoint, cfg->path);
    struct serve_lease *l = arus_xcalloc(1, sizeof *l);
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->stop_cv, NULL);
    l->lease_seconds = lease_seconds;
    snprintf(l->seconds, sizeof l->seconds, "%.3f", lease_seconds);
    char host[64] = "";
    gethostname(host, sizeof host - 1);
    char rnd[37];
    arus_uuid_v4(rnd);
    snprintf(l->holder, sizeof l->holder, "%s:%d:%.8s", host, (int)getpid(), rnd);
    int rc = arus__pg_settings_read(ep, &l->settings, err);
    if (rc == ARUS_OK)
        rc = ensure_connected(l, err);
    if (rc == ARUS_OK)
        rc = arus__pg_exec(l->conn, create_sql, "create arus_state.serve_leases", err);
    if (rc == ARUS_OK && pthread_create(&l->heartbeat, NULL, heartbeat_main, l) != 0)
        rc = arus_error_set(err, ARUS_EINTERNAL, "cannot start the lease heartbeat thread");
    if (rc) {
        PQfinish(l->conn);
        free(l);
        return rc;
    }
    arus_log(ARUS_LOG_INFO, "lease", "coordinating through \"%s\" as %s", endpoint, l->holder);
    *out = l;
    return ARUS_OK;
}

void serve_lease_destroy(struct serve_lease *l)
{
    if (!l)
        return;
    pthread_mutex_lock(&l->mu);
    l->stopping = true;
    pthread_cond_broadcast(&l->stop_cv);
    pthread_mutex_unlock(&l->mu);
    pthread_join(l->heartbeat, NULL);
    PQfinish(l->conn);
    free(l);
}

bool serve_lease_acquire(struct serve_lease *l, const char *pipeline, int64_t tick,
                         struct arus_error *err)
{
    char t[24];
    snprintf(t, sizeof t, "%lld", (long long)tick);
    const char *p[] = {pipeline, t, l->holder, l->seconds};
    PGresult *r = NULL;
    pthread_mutex_lock(&l->mu);
    int rc = lease_query(l,
                         "INSERT INTO arus_state.serve_leases (pipeline, tick, holder, expires_at)"
                         " VALUES ($1, $2, $3, now() + $4 * interval '1 second')"
                         " ON CONFLICT DO NOTHING",
                         4, p, &r, "lease a run", err);
    bool ours = rc == ARUS_OK && strcmp(PQcmdTuples(r), "1") == 0;
    PQclear(r);
    pthread_mutex_unlock(&l->mu);
    return ours;
}

bool serve_lease_follow(struct serve_lease *l, const char *pipeline, struct arus_error *err)
{
    const char *p[] = {pipeline, l->holder, l->seconds};
    PGresult *r = NULL;
    pthread_mutex_lock(&l->mu);
    int rc = lease_query(l,
                         "INSERT INTO arus_state.serve_leases AS o (pipeline, tick, holder,"
                         " expires_at) VALUES ($1, 0, $2, now() + $3 * interval '1 second')"
                         " ON CONFLICT (pipeline, tick) DO UPDATE SET holder = excluded.holder,"
                         " expires_at = excluded.expires_at, done = false, run_id = NULL,"
                         " status = NULL"
                         " WHERE o.done OR o.expires_at < now() OR o.holder = excluded.holder",
                         3, p, &r, "lease a follow run", err);
    bool ours = rc == ARUS_OK && strcmp(PQcmdTuples(r), "1") == 0;
    PQclear(r);
    pthread_mutex_unlock(&l->mu);
    return ours;
}

/* UPDATE the lease row of run (held by this process) with sql, whose $1..$3 are pipeline,
 * tick, holder and $4 status (may be unused). */
static void lease_update(struct serve_lease *l, const struct serve_run *run, const char *sql,
                         const char *status, const char *what)
{
    char t[24];
    snprintf(t, sizeof t, "%lld", (long long)run->tick);
    const char *p[] = {run->pipeline, t, l->holder, run->id, status};
    PGresult *r = NULL;
    struct arus_error err;
    arus_error_clear(&err);
    pthread_mutex_lock(&l->mu);
    if (lease_query(l, sql, status ? 5 : 3, p, &r, what, &err) != ARUS_OK)
        arus_log(ARUS_LOG_WARN, "lease", "pipeline \"%s\": %s", run->pipeline, err.msg);
    PQclear(r);
    pthread_mutex_unlock(&l->mu);
}

void serve_lease_release(struct serve_lease *l, const struct serve_run *run, const char *status)
{
    lease_update(l, run,
                 "UPDATE arus_state.serve_leases SET done = true, expires_at = now(),"
                 " run_id = $4, status = $5 WHERE pipeline = $1 AND tick = $2 AND holder = $3",
                 status, "end a lease");
}

void serve_lease_hand_back(struct serve_lease *l, const struct serve_run *run)
{
    lease_update(l, run,
                 "UPDATE arus_state.serve_leases SET expires_at = now()"
                 " WHERE pipeline = $1 AND tick = $2 AND holder = $3 AND NOT done",
                 NULL, "hand a lease back");
}

/* A PostgreSQL text[] literal of names: {"a","b"} with " and \ escaped. */
static void array_literal(struct arus_strbuf *sb, const char *const *names, size_t n)
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

void serve_lease_take_over(struct serve_lease *l, struct serve *s)
{
    /* Only pipelines idle here: a lease claimed for a pipeline busy here would wait. */
    pthread_mutex_lock(&s->mu);
    const char **idle = arus_xcalloc(s->sched.njobs + 1, sizeof *idle);
    size_t n = 0;
    for (size_t i = 0; i < s->sched.njobs; i++)
        if (s->sched.jobs[i].state == SERVE_IDLE && !s->sched.jobs[i].paused)
            idle[n++] = arus_xstrdup(s->sched.jobs[i].name);
    pthread_mutex_unlock(&s->mu);
    struct arus_strbuf names;
    arus_strbuf_init(&names);
    array_literal(&names, idle, n);
    const char *p[] = {l->holder, l->seconds, arus_strbuf_cstr(&names)};
    PGresult *r = NULL;
    struct arus_error err;
    arus_error_clear(&err);
    pthread_mutex_lock(&l->mu);
    int rc = n == 0 ? ARUS_OK
                    : lease_query(l,
                                  "UPDATE arus_state.serve_leases l SET holder = $1,"
                                  " expires_at = now() + $2 * interval '1 second'"
                                  " FROM (SELECT pipeline, tick FROM arus_state.serve_leases"
                                  " WHERE NOT done AND expires_at < now() AND tick <> 0"
                                  " AND pipeline = ANY ($3::text[])"
                                  " ORDER BY tick LIMIT 1 FOR UPDATE SKIP LOCKED) x"
                                  " WHERE l.pipeline = x.pipeline AND l.tick = x.tick"
                                  " RETURNING l.pipeline, l.tick",
                                  3, p, &r, "take over an expired lease", &err);
    pthread_mutex_unlock(&l->mu);
    if (rc != ARUS_OK)
        arus_log(ARUS_LOG_WARN, "lease", "%s", err.msg);
    for (int i = 0; r && rc == ARUS_OK && i < PQntuples(r); i++) {
        const char *pipeline = PQgetvalue(r, i, 0);
        int64_t tick = strtoll(PQgetvalue(r, i, 1), NULL, 10);
        pthread_mutex_lock(&s->mu);
        int j = serve_sched_find(&s->sched, pipeline);
        if (j >= 0 && serve_sched_trigger(&s->sched, (size_t)j) == ARUS_OK) {
            struct serve_run *run = serve_enqueue(s, pipeline, "takeover");
            run->tick = tick;
            arus_log(ARUS_LOG_WARN, "lease",
                     "pipeline \"%s\": took over the run of tick %lld (its holder's lease "
                     "expired)",
                     pipeline, (long long)tick);
        }
        pthread_mutex_unlock(&s->mu);
    }
    PQclear(r);
    arus_strbuf_cleanup(&names);
    for (size_t i = 0; i < n; i++)
        free((char *)idle[i]);
    free(idle);
}

#else /* built without the PostgreSQL connector */

int serve_lease_create(const struct arus_config *cfg, const char *endpoint, double lease_seconds,
                       struct serve_lease **out, struct arus_error *err)
{
    (void)cfg;
    (void)lease_seconds;
    *out = NULL;
    return arus_error_set(err, ARUS_ECONFIG,
                          "serve.coordination (\"%s\") needs the postgresql connector, which "
                          "this arus was built without",
                          endpoint);
}

void serve_lease_destroy(struct serve_lease *l) { (void)l; }

bool serve_lease_acquire(struct serve_lease *l, const char *pipeline, int64_t tick,
                         struct arus_error *err)
{
    (void)l, (void)pipeline, (void)tick, (void)err;
    return true;
}

bool serve_lease_follow(struct serve_lease *l, const char *pipeline, struct arus_error *err)
{
    (void)l, (void)pipeline, (void)err;
    return true;
}

void serve_lease_release(struct serve_lease *l, const struct serve_run *run, const char *status)
{
    (void)l, (void)run, (void)status;
}

void serve_lease_hand_back(struct serve_lease *l, const struct serve_run *run)
{
    (void)l, (void)run;
}

void serve_lease_take_over(struct serve_lease *l, struct serve *s) { (void)l, (void)s; }
#endif

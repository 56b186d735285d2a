/* Leases of scheduled runs (serve.coordination), so several arus serve processes with the same
 * config run each tick once. The lease table lives in PostgreSQL (include/arus/lease.h; the
 * connector's src/connectors/postgresql/lease.c): the first process to insert a (pipeline,
 * tick) row runs the tick; its holder renews expires_at (heartbeat) while it runs and sets done
 * at the end. A row left unfinished past expires_at (holder killed) is claimed by another
 * process and run again from the committed watermarks. A follow pipeline (sync_mode cdc) has
 * one row with tick 0: whoever holds it follows; it is taken again (serve_lease_follow) once
 * done or expired, never by the tick take-over. */
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
#include "arus/lease.h"

struct serve_lease {
    pthread_mutex_t mu; /* one store (connection), used by the main loop, workers, heartbeat */
    struct arus_lease_store *store;
    char holder[128]; /* host:pid:random, unique per process */
    double lease_seconds;
    pthread_t heartbeat;
    pthread_cond_t stop_cv;
    bool stopping;
};

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
        struct arus_error err;
        arus_error_clear(&err);
        if (arus_lease_renew(l->store, l->holder, l->lease_seconds, &err) != ARUS_OK)
            arus_log(ARUS_LOG_WARN, "lease", "%s", err.msg);
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
    char host[64] = "";
    gethostname(host, sizeof host - 1);
    char rnd[37];
    arus_uuid_v4(rnd);
    snprintf(l->holder, sizeof l->holder, "%s:%d:%.8s", host, (int)getpid(), rnd);
    int rc = arus_lease_store_open(ep, &l->store, err);
    if (rc == ARUS_OK && pthread_create(&l->heartbeat, NULL, heartbeat_main, l) != 0)
        rc = arus_error_set(err, ARUS_EINTERNAL, "cannot start the lease heartbeat thread");
    if (rc) {
        arus_lease_store_close(l->store);
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
    arus_lease_store_close(l->store);
    free(l);
}

bool serve_lease_acquire(struct serve_lease *l, const char *pipeline, int64_t tick,
                         struct arus_error *err)
{
    bool ours = false;
    pthread_mutex_lock(&l->mu);
    arus_lease_acquire(l->store, pipeline, tick, l->holder, l->lease_seconds, &ours, err);
    pthread_mutex_unlock(&l->mu);
    return ours;
}

bool serve_lease_follow(struct serve_lease *l, const char *pipeline, struct arus_error *err)
{
    bool ours = false;
    pthread_mutex_lock(&l->mu);
    arus_lease_follow(l->store, pipeline, l->holder, l->lease_seconds, &ours, err);
    pthread_mutex_unlock(&l->mu);
    return ours;
}

void serve_lease_release(struct serve_lease *l, const struct serve_run *run, const char *status)
{
    struct arus_error err;
    arus_error_clear(&err);
    pthread_mutex_lock(&l->mu);
    int rc =
        arus_lease_release(l->store, run->pipeline, run->tick, l->holder, run->id, status, &err);
    pthread_mutex_unlock(&l->mu);
    if (rc != ARUS_OK)
        arus_log(ARUS_LOG_WARN, "lease", "pipeline \"%s\": %s", run->pipeline, err.msg);
}

void serve_lease_hand_back(struct serve_lease *l, const struct serve_run *run)
{
    struct arus_error err;
    arus_error_clear(&err);
    pthread_mutex_lock(&l->mu);
    int rc = arus_lease_hand_back(l->store, run->pipeline, run->tick, l->holder, &err);
    pthread_mutex_unlock(&l->mu);
    if (rc != ARUS_OK)
        arus_log(ARUS_LOG_WARN, "lease", "pipeline \"%s\": %s", run->pipeline, err.msg);
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
    struct arus_error err;
    arus_error_clear(&err);
    bool found = false;
    size_t which = 0;
    int64_t tick = 0;
    pthread_mutex_lock(&l->mu);
    int rc = n == 0 ? ARUS_OK
                    : arus_lease_take_over(l->store, l->holder, l->lease_seconds, idle, n, &found,
                                           &which, &tick, &err);
    pthread_mutex_unlock(&l->mu);
    if (rc != ARUS_OK)
        arus_log(ARUS_LOG_WARN, "lease", "%s", err.msg);
    if (rc == ARUS_OK && found) {
        const char *pipeline = idle[which];
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

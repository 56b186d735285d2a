/* arus serve's state and main loop: settings from the serve: section, the run queue and the
 * recent runs, then the loop itself: signals are blocked in every thread and taken here with
 * sigtimedwait, which also sleeps until the next scheduled fire time. SIGTERM/SIGINT stop
 * scheduling and wait (serve.shutdown_timeout at most) for the runs in flight; SIGHUP rereads
 * the config, keeping runs in flight on the config they started with. */
#include "serve/serve.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "serve/http.h"
#include "serve/lease.h"
#include "serve/webhooks.h"

static const char *const serve_keys[] = {"listen",           "api_token", "workers",
                                         "shutdown_timeout", "webhooks",  "coordination",
                                         "lease_time",       NULL};

static int64_t wall_clock(void) { return (int64_t)time(NULL); }

int serve_settings_load(const struct arus_config *cfg, struct serve_settings *set,
                        struct arus_error *err)
{
    *set = (struct serve_settings){.workers = 2, .shutdown_timeout = 30, .lease_seconds = 30};
    snprintf(set->listen, sizeof set->listen, "%s", SERVE_DEFAULT_LISTEN);
    const struct arus_cfg_node *m = cfg->serve;
    if (!m)
        return ARUS_OK;
    for (size_t i = 0; i < m->nchildren; i++) {
        size_t k = 0;
        while (serve_keys[k] && strcmp(serve_keys[k], m->children[i]->key) != 0)
            k++;
        if (!serve_keys[k])
            return arus_cfg_fail(m->children[i], m->children[i]->key, err,
                                 "unknown serve setting (known: listen, api_token, workers, "
                                 "shutdown_timeout, webhooks, coordination, lease_time)");
    }
    const char *listen = NULL;
    int rc = arus_cfg_str(m, "listen", &listen, err);
    if (rc == ARUS_OK && listen)
        snprintf(set->listen, sizeof set->listen, "%s", listen);
    if (rc == ARUS_OK)
        rc = arus_cfg_str(m, "api_token", &set->api_token, err);
    if (rc == ARUS_OK && set->api_token && strlen(set->api_token) < 16)
        rc = arus_cfg_fail(arus_cfg_get(m, "api_token"), "api_token", err,
                           "too short (at least 16 characters)");
    if (rc == ARUS_OK)
        rc = arus_cfg_int(m, "workers", &set->workers, err);
    if (rc == ARUS_OK && (set->workers < 1 || set->workers > 64))
        rc = arus_cfg_fail(arus_cfg_get(m, "workers"), "workers", err,
                           "expected an integer from 1 to 64");
    if (rc == ARUS_OK)
        rc = arus_cfg_seconds(m, "shutdown_timeout", &set->shutdown_timeout, err);
    if (rc == ARUS_OK)
        rc = arus_cfg_seconds(m, "lease_time", &set->lease_seconds, err);
    if (rc == ARUS_OK && set->lease_seconds < 1)
        rc =
            arus_cfg_fail(arus_cfg_get(m, "lease_time"), "lease_time", err, "expected at least 1s");
    if (rc == ARUS_OK)
        rc = arus_cfg_str(m, "coordination", &set->coordination, err);
    return rc;
}

struct serve_run *serve_run_new(struct serve *s, const char *name, const char *trigger)
{
    struct serve_run *run = arus_xcalloc(1, sizeof *run);
    arus_uuid_v4(run->id);
    run->pipeline = arus_xstrdup(name);
    run->trigger = trigger;
    run->status = "queued";
    run->queued_at = (double)s->now();
    arus_strbuf_init(&run->log);
    return run;
}

struct serve_run *serve_enqueue(struct serve *s, const char *name, const char *trigger)
{
    struct serve_run *run = serve_run_new(s, name, trigger);
    if (s->queue_tail)
        s->queue_tail->next = run;
    else
        s->queue = run;
    s->queue_tail = run;
    pthread_cond_signal(&s->work);
    return run;
}

void serve_wake(struct serve *s) { pthread_kill(s->main_thread, SIGUSR1); }

struct serve_pstat *serve_pstat(struct serve *s, const char *name)
{
    for (size_t i = 0; i < s->npstats; i++)
        if (strcmp(s->pstats[i].name, name) == 0)
            return &s->pstats[i];
    s->pstats = realloc(s->pstats, (s->npstats + 1) * sizeof *s->pstats);
    if (!s->pstats)
        abort();
    struct serve_pstat *ps = &s->pstats[s->npstats++];
    memset(ps, 0, sizeof *ps);
    ps->name = arus_xstrdup(name);
    return ps;
}

struct serve_run *serve_find_run(struct serve *s, const char *id)
{
    for (struct serve_run *r = s->queue; r; r = r->next)
        if (strcmp(r->id, id) == 0)
            return r;
    for (struct serve_run *r = s->runs; r; r = r->next)
        if (strcmp(r->id, id) == 0)
            return r;
    return NULL;
}

void serve_run_free(struct serve_run *r)
{
    free(r->pipeline);
    free(r->tables);
    arus_strbuf_cleanup(&r->log);
    free(r);
}

/* Keep the newest SERVE_MAX_RUNS runs; older finished ones go (running ones stay). */
static void trim_runs(struct serve *s)
{
    size_t kept = 0;
    for (struct serve_run **p = &s->runs; *p;) {
        struct serve_run *r = *p;
        if (++kept > SERVE_MAX_RUNS && r->finished_at > 0) {
            *p = r->next;
            serve_run_free(r);
            s->nruns--;
        } else {
            p = &r->next;
        }
    }
}

void serve_cfg_unref(struct serve_cfg *c)
{
    if (c && --c->refs == 0) {
        arus_config_destroy(c->cfg);
        free(c);
    }
}

/* Check what serve needs before listening: a schedule per pipeline that parses, no cycles, a
 * token for a non-loopback address. */
static int startup_checks(struct serve *s, struct arus_error *err)
{
    if (!s->api_token && !serve_listen_is_loopback(s->set.listen))
        return arus_error_set(err, ARUS_ECONFIG,
                              "serve: refusing to listen on %s without serve.api_token (set one, "
                              "or listen on a loopback address such as 127.0.0.1)",
                              s->set.listen);
    return ARUS_OK;
}

/* SIGHUP: the new config replaces the old one for runs started from now on, with its
 * api_token and shutdown_timeout; listen, workers, webhooks and coordination need a restart.
 * A config that fails to load or check leaves everything as it was. */
static void reload(struct serve *s)
{
    struct arus_config *cfg = NULL;
    struct arus_error err;
    arus_error_clear(&err);
    struct serve_sched sched;
    struct serve_settings set;
    int rc = arus_config_load(s->config_path, &cfg, &err);
    if (rc == ARUS_OK)
        rc = serve_settings_load(cfg, &set, &err);
    if (rc == ARUS_OK && !set.api_token && !serve_listen_is_loopback(s->set.listen))
        rc = arus_error_set(&err, ARUS_ECONFIG, "serve.api_token is gone but %s is not loopback",
                            s->set.listen);
    if (rc == ARUS_OK)
        rc = serve_sched_init(&sched, cfg, s->now(), &err);
    if (rc != ARUS_OK) {
        arus_log(ARUS_LOG_ERROR, "serve", "reload of %s failed, keeping the running config: %s",
                 s->config_path, err.msg);
        arus_config_destroy(cfg);
        return;
    }
    struct serve_cfg *c = arus_xcalloc(1, sizeof *c);
    c->cfg = cfg;
    c->refs = 1;
    pthread_mutex_lock(&s->mu);
    serve_sched_carry(&sched, &s->sched);
    serve_sched_cleanup(&s->sched);
    s->sched = sched;
    serve_cfg_unref(s->cfg);
    s->cfg = c;
    free(s->api_token);
    s->api_token = set.api_token ? arus_xstrdup(set.api_token) : NULL;
    s->set.shutdown_timeout = set.shutdown_timeout;
    serve_follow_stop(s, NULL); /* they commit and start again on the new config */
    pthread_mutex_unlock(&s->mu);
    if (strcmp(set.listen, s->set.listen) != 0 || set.workers != s->set.workers)
        arus_log(ARUS_LOG_WARN, "serve", "serve.listen and serve.workers change on restart only");
    arus_log(ARUS_LOG_WARN, "serve", "reloaded %s: %zu pipelines", s->config_path, cfg->npipelines);
}

/* Queue a run of each due job; with coordination only the ticks this process leases (the
 * database is asked without s->mu held). */
static void fire(struct serve *s, int64_t now)
{
    pthread_mutex_lock(&s->mu);
    size_t cap = s->sched.njobs + 1;
    size_t *due = arus_xcalloc(cap, sizeof *due);
    char **names = arus_xcalloc(cap, sizeof *names);
    int64_t *ticks = arus_xcalloc(cap, sizeof *ticks);
    size_t n = serve_sched_tick(&s->sched, now, due, cap);
    for (size_t k = 0; k < n; k++) {
        names[k] = arus_xstrdup(s->sched.jobs[due[k]].name);
        ticks[k] = s->sched.jobs[due[k]].fired_at;
    }
    pthread_mutex_unlock(&s->mu);
    for (size_t k = 0; k < n; k++) {
        struct arus_error err;
        arus_error_clear(&err);
        /* Without the database no tick is run: running unleased could run it twice. */
        bool ours = !s->lease || serve_lease_acquire(s->lease, names[k], ticks[k], &err);
        if (err.msg[0])
            arus_log(ARUS_LOG_WARN, "lease", "pipeline \"%s\": tick not run: %s", names[k],
                     err.msg);
        pthread_mutex_lock(&s->mu);
        int j = serve_sched_find(&s->sched, names[k]); /* (a reload may have removed it) */
        if (ours && j >= 0)
            serve_enqueue(s, names[k], "schedule")->tick = s->lease ? ticks[k] : 0;
        else if (j >= 0 && s->sched.jobs[j].state == SERVE_QUEUED)
            s->sched.jobs[j].state = SERVE_IDLE; /* another process runs this tick */
        pthread_mutex_unlock(&s->mu);
        if (ours && j < 0 && s->lease) {
            struct serve_run gone = {.pipeline = names[k], .tick = ticks[k]};
            serve_lease_release(s->lease, &gone, "skipped");
        }
        free(names[k]);
    }
    free(ticks);
    free(names);
    free(due);
}

/* Fire due ticks; returns how long to sleep (seconds, at most 1 with coordination). */
static double tick(struct serve *s)
{
    int64_t now = s->now();
    fire(s, now);
    serve_follow_tick(s);
    pthread_mutex_lock(&s->mu);
    trim_runs(s);
    int64_t wake = serve_sched_next_wake(&s->sched);
    pthread_mutex_unlock(&s->mu);
    /* Until the fire time to the microsecond: now is whole seconds. */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    double sleep = wake ? (double)wake - ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9) : 60;
    if (s->lease && sleep > 1)
        sleep = 1;
    return sleep < 0.001 ? 0.001 : sleep > 60 ? 60 : sleep;
}

/* Stop: no more runs start; wait up to shutdown_timeout for those in flight. Queued runs are
 * cancelled. Returns whether every run ended in time. */
static bool drain(struct serve *s)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += (time_t)s->set.shutdown_timeout;
    pthread_mutex_lock(&s->mu);
    s->stopping = true;
    pthread_cond_broadcast(&s->work);
    serve_follow_stop(s, NULL);
    for (struct serve_run *r = s->queue, *next; r; r = next) {
        next = r->next;
        r->status = "cancelled";
        r->finished_at = (double)s->now();
        if (s->lease && r->tick)
            serve_lease_hand_back(s->lease, r);
        r->next = s->runs;
        s->runs = r;
        s->nruns++;
    }
    s->queue = s->queue_tail = NULL;
    int rc = 0;
    while (s->in_flight > 0 && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&s->idle, &s->mu, &deadline);
    bool done = s->in_flight == 0;
    pthread_mutex_unlock(&s->mu);
    return done;
}

static void serve_free(struct serve *s)
{
    serve_sched_cleanup(&s->sched);
    for (struct serve_run *r = s->runs, *next; r; r = next) {
        next = r->next;
        serve_run_free(r);
    }
    for (size_t i = 0; i < s->npstats; i++) {
        for (size_t t = 0; t < s->pstats[i].ntables; t++)
            free(s->pstats[i].tables[t].table);
        free(s->pstats[i].tables);
        free(s->pstats[i].name);
    }
    free(s->pstats);
    free(s->api_token);
    serve_cfg_unref(s->cfg);
}

int serve_main(const char *config_path, struct arus_config *cfg, const char *listen,
               struct arus_error *err)
{
    struct serve s = {.config_path = config_path, .now = wall_clock};
    pthread_mutex_init(&s.mu, NULL);
    pthread_cond_init(&s.work, NULL);
    pthread_cond_init(&s.idle, NULL);
    s.cfg = arus_xcalloc(1, sizeof *s.cfg);
    s.cfg->cfg = cfg;
    s.cfg->refs = 1;
    s.started_at = (double)s.now();
    struct serve_http *http = NULL;
    pthread_t *threads = NULL, history, lag;
    bool clean = true, history_started = false, lag_started = false;
    int rc = serve_settings_load(cfg, &s.set, err);
    if (rc == ARUS_OK && listen)
        snprintf(s.set.listen, sizeof s.set.listen, "%s", listen);
    if (rc == ARUS_OK && s.set.api_token)
        s.api_token = arus_xstrdup(s.set.api_token);
    if (rc == ARUS_OK)
        rc = startup_checks(&s, err);
    if (rc == ARUS_OK)
        rc = serve_sched_init(&s.sched, cfg, s.now(), err);
    if (rc == ARUS_OK)
        rc = serve_webhooks_create(cfg, &s.hooks, err);
    if (rc == ARUS_OK && s.set.coordination)
        rc = serve_lease_create(cfg, s.set.coordination, s.set.lease_seconds, &s.lease, err);
    /* Every thread started from here inherits the blocked signals; only sigtimedwait below
     * takes them. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGHUP);
    sigaddset(&sigs, SIGUSR1); /* serve_wake */
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    s.main_thread = pthread_self();
    signal(SIGPIPE, SIG_IGN);
    if (rc == ARUS_OK)
        rc = serve_http_start(&s, s.set.listen, &http, err);
    if (rc == ARUS_OK)
        rc = serve_workers_start(&s, (int)s.set.workers, &threads, err);
    if (rc == ARUS_OK)
        history_started = (rc = serve_history_start(&s, &history, err)) == ARUS_OK;
    if (rc == ARUS_OK)
        lag_started = (rc = serve_follow_lag_start(&s, &lag, err)) == ARUS_OK;
    if (rc != ARUS_OK)
        goto out;
    arus_log(ARUS_LOG_WARN, "serve", "listening on http://%s (%zu pipelines, %lld workers)",
             s.set.listen, cfg->npipelines, (long long)s.set.workers);
    for (;;) {
        double sleep = tick(&s);
        if (s.lease)
            serve_lease_take_over(s.lease, &s);
        struct timespec ts = {.tv_sec = (time_t)sleep,
                              .tv_nsec = (long)((sleep - (double)(time_t)sleep) * 1e9)};
        int sig = sigtimedwait(&sigs, NULL, &ts);
        if (sig == SIGHUP)
            reload(&s);
        else if (sig == SIGTERM || sig == SIGINT)
            break;
    }
    arus_log(ARUS_LOG_WARN, "serve", "stopping: waiting up to %.0fs for runs in flight",
             s.set.shutdown_timeout);
    clean = drain(&s);
    if (!clean)
        arus_log(ARUS_LOG_WARN, "serve",
                 "runs still in flight after %.0fs: exiting; they resume from their last "
                 "committed batch on the next run",
                 s.set.shutdown_timeout);
out:
    serve_http_stop(http);
    if (threads && clean) {
        pthread_mutex_lock(&s.mu); /* (already so, unless startup failed after the workers) */
        s.stopping = true;
        pthread_cond_broadcast(&s.work);
        pthread_mutex_unlock(&s.mu);
        for (int64_t i = 0; i < s.set.workers; i++)
            pthread_join(threads[i], NULL);
    }
    if (history_started && clean)
        pthread_join(history, NULL);
    if (lag_started && clean)
        pthread_join(lag, NULL);
    if (clean)
        serve_follow_join(&s);
    serve_webhooks_destroy(s.hooks);
    serve_lease_destroy(s.lease);
    if (!clean)
        _exit(0); /* workers still hold the state: no clean-up under their feet */
    free(threads);
    serve_free(&s);
    return rc;
}

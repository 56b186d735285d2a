/* Follow runs of arus serve: a pipeline whose tables use sync_mode cdc runs as one long-lived
 * `arus sync P --follow` on a thread of its own (not a worker of the pool: a follow run never
 * ends by itself, so in the pool it would hold a slot for good and starve scheduled
 * pipelines). Serve owns its stop flag: pause, SIGHUP and shutdown set it, and the engine
 * finishes the source transaction it reads, commits and returns. A failed run is restarted
 * after a backoff (scheduler.c), and with serve.coordination only the holder of the
 * pipeline's follow lease runs it (lease.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "serve/lease.h"
#include "serve/serve.h"

/* Seconds before a process that did not get a follow lease asks again. */
#define FOLLOW_LEASE_RETRY 2
/* Seconds between two reads of the follow pipelines' log lag (cdc_status, a short connection
 * to each source: cheap at this pace, too slow to do on every /metrics scrape). */
#define FOLLOW_LAG_PERIOD 10

struct serve_follow {
    struct serve_follow *next;
    struct serve *s;
    char *name;
    volatile sig_atomic_t stop; /* the engine's stop flag (arus_sync_options.stop) */
    pthread_t thread;
    bool joinable;         /* started and not joined yet */
    bool ended;            /* its run ended: the thread returns without touching s again */
    struct serve_cfg *cfg; /* the config the run started with */
    struct serve_run *run; /* the run in flight (in s->runs), NULL between runs */
    int64_t lag_bytes;     /* log not yet confirmed by the destination, -1 = unknown */
};

/* The follow slot of pipeline name, created on first use (s->mu held). */
static struct serve_follow *follow_of(struct serve *s, const char *name)
{
    for (struct serve_follow *f = s->follows; f; f = f->next)
        if (strcmp(f->name, name) == 0)
            return f;
    struct serve_follow *f = arus_xcalloc(1, sizeof *f);
    f->s = s;
    f->name = arus_xstrdup(name);
    f->lag_bytes = -1;
    f->next = s->follows;
    s->follows = f;
    return f;
}

static void *follow_main(void *arg)
{
    struct serve_follow *f = arg;
    struct serve *s = f->s;
    int rc = serve_run_pipeline(s, f->cfg, f->run, &f->stop); /* returns with s->mu held */
    int i = serve_sched_find(&s->sched, f->name);
    const struct arus_pipeline *p = arus_config_pipeline(s->cfg->cfg, f->name);
    if (i >= 0 && p)
        serve_sched_follow_ended(&s->sched, (size_t)i, rc != ARUS_OK, s->now(),
                                 p->initial_backoff_seconds, p->max_backoff_seconds, 0);
    if (rc != ARUS_OK && i >= 0)
        arus_log(ARUS_LOG_WARN, "serve",
                 "pipeline \"%s\": follow run failed, starting again in %llds", f->name,
                 (long long)(s->sched.jobs[i].restart_at - s->now()));
    serve_cfg_unref(f->cfg);
    f->cfg = NULL;
    f->run = NULL;
    f->ended = true;
    s->in_flight--;
    pthread_cond_broadcast(&s->idle);
    serve_wake(s); /* the main loop starts it again (resume, reload) or sleeps until then */
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/* Start the follow run of job i (s->mu held). */
static void start(struct serve *s, size_t i)
{
    const char *name = s->sched.jobs[i].name;
    struct serve_follow *f = follow_of(s, name);
    struct serve_run *run = serve_run_new(s, name, "follow");
    run->follow = true;
    run->status = "running";
    run->started_at = (double)s->now();
    run->next = s->runs;
    s->runs = run;
    s->nruns++;
    f->stop = 0;
    f->ended = false;
    f->run = run;
    f->cfg = s->cfg;
    f->cfg->refs++;
    s->in_flight++;
    if (pthread_create(&f->thread, NULL, follow_main, f) == 0) {
        f->joinable = true;
        return;
    }
    run->status = "failed";
    run->finished_at = run->started_at;
    snprintf(run->error, sizeof run->error, "cannot start the follow thread");
    serve_cfg_unref(f->cfg);
    f->cfg = NULL;
    f->run = NULL;
    s->in_flight--;
    serve_sched_follow_ended(&s->sched, i, true, s->now(), 1, 60, 0);
}

/* Join the threads whose run ended (s->mu held: they no longer need it). */
static void join_ended(struct serve *s)
{
    for (struct serve_follow *f = s->follows; f; f = f->next)
        if (f->joinable && f->ended) {
            pthread_join(f->thread, NULL);
            f->joinable = false;
        }
}

void serve_follow_tick(struct serve *s)
{
    pthread_mutex_lock(&s->mu);
    join_ended(s);
    size_t cap = s->sched.njobs + 1, n = 0;
    size_t *due = arus_xcalloc(cap, sizeof *due);
    char **names = arus_xcalloc(cap, sizeof *names);
    if (!s->stopping)
        n = serve_sched_follow_due(&s->sched, s->now(), due, cap);
    for (size_t k = 0; k < n; k++)
        names[k] = arus_xstrdup(s->sched.jobs[due[k]].name);
    pthread_mutex_unlock(&s->mu);
    for (size_t k = 0; k < n; k++) {
        struct arus_error err;
        arus_error_clear(&err);
        /* The database is asked without s->mu held; without it nothing follows (two
         * followers of one slot would fight over it). */
        bool ours = !s->lease || serve_lease_follow(s->lease, names[k], &err);
        if (err.msg[0])
            arus_log(ARUS_LOG_WARN, "lease", "pipeline \"%s\": not following: %s", names[k],
                     err.msg);
        pthread_mutex_lock(&s->mu);
        int j = serve_sched_find(&s->sched, names[k]); /* (a reload may have removed it) */
        bool go = j >= 0 && ours && !s->stopping && !s->sched.jobs[j].paused;
        if (go)
            start(s, (size_t)j);
        else if (j >= 0)
            serve_sched_follow_ended(&s->sched, (size_t)j, false, s->now(), 0, 0,
                                     ours ? 0 : FOLLOW_LEASE_RETRY);
        pthread_mutex_unlock(&s->mu);
        if (ours && s->lease && !go) {
            struct serve_run gone = {.pipeline = names[k], .follow = true};
            serve_lease_release(s->lease, &gone, "skipped");
        }
        free(names[k]);
    }
    free(names);
    free(due);
}

void serve_follow_stop(struct serve *s, const char *name)
{
    for (struct serve_follow *f = s->follows; f; f = f->next)
        if (f->run && (!name || strcmp(f->name, name) == 0))
            f->stop = 1;
}

void serve_follow_join(struct serve *s)
{
    for (struct serve_follow *f = s->follows, *next; f; f = next) {
        next = f->next;
        if (f->joinable)
            pthread_join(f->thread, NULL);
        free(f->name);
        free(f);
    }
    s->follows = NULL;
}

int64_t serve_follow_lag(struct serve *s, const char *name)
{
    for (struct serve_follow *f = s->follows; f; f = f->next)
        if (strcmp(f->name, name) == 0)
            return f->lag_bytes;
    return -1;
}

/* The replication lag in bytes of pipeline p's slot (-1 when unknown: no slot yet, the source
 * unreachable or without change capture). */
static int64_t read_lag(const struct arus_config *cfg, const struct arus_pipeline *p)
{
    struct arus_source *src = NULL;
    struct arus_arena *a = arus_arena_create(0);
    struct arus_error err;
    arus_error_clear(&err);
    struct arus_cdc_options o = {
        .pipeline = p->name, .slot = p->cdc_slot, .publication = p->cdc_publication};
    struct arus_cdc_status st;
    memset(&st, 0, sizeof st);
    int64_t lag = -1;
    if (arus_source_create(arus_config_source(cfg, p->source), &src, &err) == ARUS_OK &&
        arus_source_connect(src, &err) == ARUS_OK &&
        arus_source_cdc_status(src, &o, a, &st, &err) == ARUS_OK && st.exists)
        lag = st.lag_bytes;
    arus_source_close(src);
    arus_arena_destroy(a);
    return lag;
}

/* Every FOLLOW_LAG_PERIOD seconds, the lag of each follow pipeline of the current config. */
static void *lag_main(void *arg)
{
    struct serve *s = arg;
    pthread_mutex_lock(&s->mu);
    for (int64_t next = 0; !s->stopping;) {
        if (s->now() < next) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_sec += 1; /* s->idle is broadcast often enough; stopping is checked each second */
            pthread_cond_timedwait(&s->idle, &s->mu, &ts);
            continue;
        }
        next = s->now() + FOLLOW_LAG_PERIOD;
        struct serve_cfg *c = s->cfg;
        c->refs++;
        for (size_t i = 0; i < c->cfg->npipelines && !s->stopping; i++) {
            const struct arus_pipeline *p = &c->cfg->pipelines[i];
            if (!serve_pipeline_follows(p))
                continue;
            pthread_mutex_unlock(&s->mu);
            int64_t lag = read_lag(c->cfg, p);
            pthread_mutex_lock(&s->mu);
            follow_of(s, p->name)->lag_bytes = lag;
        }
        serve_cfg_unref(c);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

int serve_follow_lag_start(struct serve *s, pthread_t *thread, struct arus_error *err)
{
    if (pthread_create(thread, NULL, lag_main, s) != 0)
        return arus_error_set(err, ARUS_EINTERNAL, "cannot start the cdc lag thread");
    return ARUS_OK;
}

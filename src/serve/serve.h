/* `arus serve`: the shared state of the service (config, scheduler, run queue, recent runs,
 * per-pipeline statistics) behind one mutex, and the entry point the CLI calls. The other
 * files of src/serve/ each do one job on this state: workers.c runs queued pipelines, follow.c
 * the long-lived follow runs of cdc pipelines, http.c/api.c answer HTTP, metrics.c renders
 * /metrics, webhooks.c sends alerts, lease.c coordinates several processes, history.c reads
 * the last runs from before a start; scheduler.c and cron.c decide when pipelines run. */
#ifndef ARUS_SERVE_SERVE_H
#define ARUS_SERVE_SERVE_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "arus/arus.h"
#include "serve/scheduler.h"

#define SERVE_DEFAULT_LISTEN "127.0.0.1:8420"
#define SERVE_MAX_RUNS       500        /* recent runs kept in memory (with their log lines) */
#define SERVE_MAX_LOG        (64 << 10) /* log bytes kept per run */
#define SERVE_NBUCKETS       8          /* run duration histogram buckets, the last is +Inf */

/* Upper bounds (seconds) of the first SERVE_NBUCKETS - 1 duration buckets (metrics.c). */
extern const double serve_duration_buckets[SERVE_NBUCKETS - 1];

struct serve_webhooks;
struct serve_lease;
struct serve_follow;

/* A loaded config shared by the runs started while it was current (SIGHUP swaps it). */
struct serve_cfg {
    struct arus_config *cfg;
    int refs;
};

/* One run started by serve: queued -> running -> ok | failed | skipped (the pipeline lock was
 * held elsewhere) | cancelled (still queued at shutdown). */
struct serve_run {
    char id[37];
    char *pipeline;
    const char *trigger; /* "schedule" | "api" | "dependency" | "takeover" | "follow" (static) */
    const char *status;  /* static */
    int64_t tick;        /* the scheduled fire time it runs for (leased), 0 = not scheduled */
    bool follow;         /* a follow run (sync_mode cdc) on a thread of its own, see follow.c */
    double queued_at, started_at, finished_at; /* Unix seconds; 0 = not yet */
    struct arus_table_report *tables;
    size_t ntables;
    char error[ARUS_ERROR_MSG_MAX];
    struct arus_strbuf log; /* the run's log lines, '\n'-separated */
    struct serve_run *next; /* newer -> older (s->runs), or the queue order (s->queue) */
};

struct serve_table_stat {
    char *table;
    int64_t extracted, loaded, deleted, dead_lettered; /* totals since start */
    double watermark_at; /* a time watermark as Unix seconds (after the last run), 0 = none */
};

/* Statistics of one pipeline by name; they outlive reloads. */
struct serve_pstat {
    char *name;
    int64_t runs_ok, runs_failed;
    double last_success; /* Unix seconds, 0 = none */
    uint64_t buckets[SERVE_NBUCKETS];
    double duration_sum;
    uint64_t duration_count;
    struct serve_table_stat *tables;
    size_t ntables;
    bool last_ok, has_last;
    char last_run_id[37];
};

struct serve_settings {
    char listen[256];
    const char *api_token; /* NULL = no authentication (loopback only) */
    int64_t workers;
    double shutdown_timeout;
    const char *coordination; /* PostgreSQL endpoint name, NULL = one process */
    double lease_seconds;     /* lease validity without a heartbeat */
};

struct serve {
    pthread_mutex_t mu;
    pthread_cond_t work; /* a run was queued, or stopping */
    pthread_cond_t idle; /* a run ended */
    const char *config_path;
    struct serve_cfg *cfg;     /* current config */
    struct serve_settings set; /* its strings are only read at start (they live in the first
                                  config); the token in force is api_token */
    char *api_token;           /* owned; NULL = no authentication; replaced by SIGHUP */
    struct serve_sched sched;
    struct serve_run *queue, *queue_tail;
    struct serve_run *runs; /* every run kept, newest first */
    size_t nruns;
    struct serve_pstat *pstats;
    size_t npstats;
    int in_flight;
    bool stopping;
    double started_at;
    int64_t (*now)(void);  /* the clock (Unix seconds); tests may replace it */
    pthread_t main_thread; /* runs the schedule; serve_wake interrupts its sleep */
    struct serve_webhooks *hooks;
    struct serve_lease *lease;
    struct serve_follow *follows; /* follow runs' threads and stop flags, by pipeline */
};

/* Run the service until SIGTERM/SIGINT (then ARUS_OK) or a startup failure (its code, with the
 * message in err: ARUS_ECONFIG for settings, schedules, cycles, a non-loopback address without
 * token; ARUS_EIO when it cannot listen; ARUS_ECONNECT when coordination's database is
 * unreachable). cfg is owned by serve from here on (freed before returning); config_path is
 * reread on SIGHUP; listen overrides serve.listen when not NULL. */
int serve_main(const char *config_path, struct arus_config *cfg, const char *listen,
               struct arus_error *err);

/* Read the serve: section of cfg into set (defaults for what is absent). ARUS_ECONFIG
 * "FILE:LINE: serve.KEY: ..." on a bad value. Strings are borrowed from cfg. */
int serve_settings_load(const struct arus_config *cfg, struct serve_settings *set,
                        struct arus_error *err);

/* ---- with s->mu held */

/* A new run of pipeline name (trigger: a static string) with a new run id, in no list. */
struct serve_run *serve_run_new(struct serve *s, const char *name, const char *trigger);
/* Queue a run of pipeline name (trigger: a static string) with a new run id; returns it. */
struct serve_run *serve_enqueue(struct serve *s, const char *name, const char *trigger);
/* The statistics slot of pipeline name (created on first use). */
struct serve_pstat *serve_pstat(struct serve *s, const char *name);
/* The schedule changed (pause, resume): make the main loop compute its next wake-up now. */
void serve_wake(struct serve *s);
/* The kept run with this id, or NULL. */
struct serve_run *serve_find_run(struct serve *s, const char *id);
/* Drop the config reference taken by a worker. */
void serve_cfg_unref(struct serve_cfg *c);

/* Free a run that is in no list. */
void serve_run_free(struct serve_run *r);

/* ---- history.c */

/* Start the thread that reads each pipeline's newest run from its destination's history (for
 * pipelines this process has not run yet), stopping early once s->stopping is set; the caller
 * joins it. ARUS_EINTERNAL when it cannot start. */
int serve_history_start(struct serve *s, pthread_t *thread, struct arus_error *err);

/* ---- workers.c */

/* Start n worker threads taking runs from s->queue; they stop when s->stopping is set and
 * s->work broadcast, and the caller joins them from *threads (n entries, caller frees). On
 * failure (ARUS_EINTERNAL) the started ones are stopped and joined and *threads is NULL. */
int serve_workers_start(struct serve *s, int n, pthread_t **threads, struct arus_error *err);

/* Run run (already in s->runs, status running) on config c with the engine (s->mu not held):
 * its log lines go to the run; stop != NULL makes it a follow run that ends (committed) once
 * *stop is set. Releases its lease, then records the outcome (status, tables, statistics,
 * webhooks) and returns the engine's code WITH s->mu HELD, so the caller updates the
 * scheduler in the same critical section. */
int serve_run_pipeline(struct serve *s, struct serve_cfg *c, struct serve_run *run,
                       const volatile sig_atomic_t *stop);

/* ---- follow.c: pipelines whose tables use sync_mode cdc run as one long-lived follow run
 * each, on a thread of their own (outside the worker pool, so they never starve scheduled
 * runs), restarted with backoff after a failure. */

/* Join the follow threads that ended; start the follow jobs that are due (with coordination,
 * only those whose follow lease this process holds). Called by the main loop, s->mu not held;
 * does nothing once s->stopping. */
void serve_follow_tick(struct serve *s);
/* Ask the follow run of pipeline name (NULL: every one) to commit and end (s->mu held). */
void serve_follow_stop(struct serve *s, const char *name);
/* Join every follow thread and free the follow list (they have ended or been asked to). */
void serve_follow_join(struct serve *s);
/* The last read replication lag of follow pipeline name in bytes (the source's log past the
 * position the destination confirmed), -1 when unknown (s->mu held). */
int64_t serve_follow_lag(struct serve *s, const char *name);
/* Start the thread that reads the follow pipelines' lag every few seconds until s->stopping;
 * the caller joins it. ARUS_EINTERNAL when it cannot start. */
int serve_follow_lag_start(struct serve *s, pthread_t *thread, struct arus_error *err);

#endif

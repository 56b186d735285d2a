/* When each pipeline of `arus serve` runs: cron ticks, dependencies (depends_on, a DAG checked
 * for cycles), pause, manual triggers, and the rule that a pipeline queued or running is never
 * started twice (its tick is skipped and counted). No threads and no clock of its own: callers
 * pass the time, so tests drive it with a fake clock; the serve object locks around it. */
#ifndef ARUS_SERVE_SCHEDULER_H
#define ARUS_SERVE_SCHEDULER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "serve/cron.h"

struct arus_config;
struct arus_error;
struct arus_pipeline;

enum serve_job_state { SERVE_IDLE, SERVE_QUEUED, SERVE_RUNNING };

struct serve_job {
    const char *name; /* borrowed from the config */
    bool scheduled;   /* has a schedule */
    struct serve_cron cron;
    bool paused;
    size_t *deps; /* indexes of the pipelines this one runs after */
    bool *dep_ok; /* deps[i] succeeded since this job last started */
    size_t ndeps;
    int64_t next_fire; /* Unix seconds; 0 = none (no schedule) */
    int64_t fired_at;  /* the fire time of its last tick (the same in every process) */
    enum serve_job_state state;
    int64_t skipped_ticks;
    /* A follow job (its tables use sync_mode cdc): one long-lived follow run instead of
     * scheduled ones, restarted after a failure with backoff (serve_sched_follow_*). */
    bool follow;
    int64_t restart_at; /* Unix seconds: not started again before */
    int failures;       /* follow runs failed in a row */
};

struct serve_sched {
    struct serve_job *jobs; /* one per pipeline, in config order */
    size_t njobs;
};

/* Build the jobs of cfg's pipelines at time now: parse every schedule (time zone included),
 * resolve depends_on, reject dependency cycles, compute the first fire times. Returns ARUS_OK
 * or ARUS_ECONFIG "FILE:LINE: pipelines.P.KEY: ..." (s is then empty). Borrows cfg's strings
 * while s lives. Caller frees with serve_sched_cleanup. */
int serve_sched_init(struct serve_sched *s, const struct arus_config *cfg, int64_t now,
                     struct arus_error *err);
void serve_sched_cleanup(struct serve_sched *s);

/* After a config reload: take over state, skipped ticks and pause of the jobs of old with the
 * same name (a pause through the API outlives the reload; a queued or running job stays so). */
void serve_sched_carry(struct serve_sched *s, const struct serve_sched *old);

/* Index of the job named name, or -1. */
int serve_sched_find(const struct serve_sched *s, const char *name);

/* Fire every job whose time has come (next_fire <= now): an idle, unpaused job becomes
 * queued and its index is written to due[] (at most cap); a queued or running one has the
 * tick counted in skipped_ticks; a paused one lets it pass. Each fired job's next fire time is
 * computed from now (ticks missed while the process was down are not replayed). Returns the
 * number of indexes written. */
size_t serve_sched_tick(struct serve_sched *s, int64_t now, size_t *due, size_t cap);

/* Queue job i now (run now). ARUS_EBUSY when it is already queued or running. */
int serve_sched_trigger(struct serve_sched *s, size_t i);

/* Pause or resume job i at time now. A resumed job's next fire time is computed from now (the
 * ticks it missed while paused are not run). */
void serve_sched_set_paused(struct serve_sched *s, size_t i, bool paused, int64_t now);

/* Job i left the queue and started: its dependency marks start over. */
void serve_sched_started(struct serve_sched *s, size_t i);

/* Job i ended (ok: it succeeded). On success every job depending on it notes it; each idle,
 * unpaused job whose dependencies have all succeeded since its last start becomes queued and
 * is written to due[] (at most cap), job i itself included when its upstreams succeeded while
 * it ran. Returns the number written. */
size_t serve_sched_finished(struct serve_sched *s, size_t i, bool ok, size_t *due, size_t cap);

/* Earliest next_fire over the jobs not paused (and restart_at of idle follow jobs), or 0 when
 * none is due. */
int64_t serve_sched_next_wake(const struct serve_sched *s);

/* Whether pipeline p runs as a follow job: sync_mode cdc on the pipeline or on a table
 * setting that is not disabled (known from the config alone, without connecting). */
bool serve_pipeline_follows(const struct arus_pipeline *p);

/* Follow jobs to start at time now: each idle, unpaused follow job whose restart_at has come
 * becomes running and its index is written to due[] (at most cap). Returns the number written.
 * A caller that cannot start one (another process holds it) calls serve_sched_follow_ended
 * with failed = false and retry seconds. */
size_t serve_sched_follow_due(struct serve_sched *s, int64_t now, size_t *due, size_t cap);

/* Follow job i ended at time now. failed: the run failed, so it starts again after a backoff
 * of initial * 2^(failures in a row - 1) seconds, at most max; otherwise (stopped by pause,
 * reload, or not ours) after retry seconds (0 = at once) and the failure count starts over. */
void serve_sched_follow_ended(struct serve_sched *s, size_t i, bool failed, int64_t now,
                              double initial, double max, double retry);

#endif

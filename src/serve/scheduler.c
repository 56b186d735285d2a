/* The scheduler's state machine (see scheduler.h): per job a cron, dependency marks and a
 * state idle -> queued -> running -> idle. Cycle detection is a depth-first search. */
#include "serve/scheduler.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arus/arena.h"
#include "arus/config.h"
#include "arus/error.h"
#include "arus/strbuf.h"

static int sched_fail(const struct arus_pipeline *p, const char *key, struct arus_error *err,
                      const char *why)
{
    const struct arus_cfg_node *n = arus_cfg_get(p->node, key);
    if (!n)
        n = p->node;
    return arus_error_set(err, ARUS_ECONFIG, "%s:%d: pipelines.%s.%s: %s", n->file, n->line,
                          p->name, key, why);
}

/* DFS colors: 0 unvisited, 1 on the current path, 2 done. On a cycle writes it to sb. */
static bool find_cycle(const struct serve_sched *s, size_t i, int *color, size_t *path,
                       size_t depth, struct arus_strbuf *sb)
{
    color[i] = 1;
    path[depth] = i;
    for (size_t d = 0; d < s->jobs[i].ndeps; d++) {
        size_t j = s->jobs[i].deps[d];
        if (color[j] == 1) {
            size_t k = 0;
            while (path[k] != j)
                k++;
            for (; k <= depth; k++)
                arus_strbuf_appendf(sb, "%s -> ", s->jobs[path[k]].name);
            arus_strbuf_puts(sb, s->jobs[j].name);
            return true;
        }
        if (color[j] == 0 && find_cycle(s, j, color, path, depth + 1, sb))
            return true;
    }
    color[i] = 2;
    return false;
}

static int check_cycles(const struct serve_sched *s, const struct arus_config *cfg,
                        struct arus_error *err)
{
    int rc = ARUS_OK;
    int *color = arus_xcalloc(s->njobs + 1, sizeof *color);
    size_t *path = arus_xcalloc(s->njobs + 1, sizeof *path);
    struct arus_strbuf sb;
    arus_strbuf_init(&sb);
    for (size_t i = 0; i < s->njobs && rc == ARUS_OK; i++) {
        if (color[i] || !find_cycle(s, i, color, path, 0, &sb))
            continue;
        char why[600];
        snprintf(why, sizeof why, "dependency cycle %s", arus_strbuf_cstr(&sb));
        rc = sched_fail(&cfg->pipelines[i], "depends_on", err, why);
    }
    arus_strbuf_cleanup(&sb);
    free(path);
    free(color);
    return rc;
}

int serve_sched_init(struct serve_sched *s, const struct arus_config *cfg, int64_t now,
                     struct arus_error *err)
{
    memset(s, 0, sizeof *s);
    s->jobs = arus_xcalloc(cfg->npipelines + 1, sizeof *s->jobs);
    s->njobs = cfg->npipelines;
    int rc = ARUS_OK;
    for (size_t i = 0; i < s->njobs && rc == ARUS_OK; i++) {
        const struct arus_pipeline *p = &cfg->pipelines[i];
        struct serve_job *j = &s->jobs[i];
        j->name = p->name;
        j->paused = p->paused;
        j->follow = serve_pipeline_follows(p);
        j->deps = arus_xcalloc(p->ndepends_on + 1, sizeof *j->deps);
        j->dep_ok = arus_xcalloc(p->ndepends_on + 1, sizeof *j->dep_ok);
        j->ndeps = p->ndepends_on;
        for (size_t d = 0; d < p->ndepends_on; d++) {
            const struct arus_pipeline *up = arus_config_pipeline(cfg, p->depends_on[d]);
            j->deps[d] = (size_t)(up - cfg->pipelines);
        }
        if (p->timezone && !p->schedule) {
            rc = sched_fail(p, "timezone", err, "needs a schedule");
        } else if (p->schedule) {
            struct arus_error e;
            arus_error_clear(&e);
            j->scheduled = true;
            if (serve_cron_parse(p->schedule, p->timezone, &j->cron, &e) != ARUS_OK)
                rc =
                    sched_fail(p, strstr(e.msg, "time zone") ? "timezone" : "schedule", err, e.msg);
            else if (!serve_cron_next(&j->cron, now, &j->next_fire))
                rc = sched_fail(p, "schedule", err, "never fires");
        }
    }
    if (rc == ARUS_OK)
        rc = check_cycles(s, cfg, err);
    if (rc)
        serve_sched_cleanup(s);
    return rc;
}

void serve_sched_cleanup(struct serve_sched *s)
{
    for (size_t i = 0; s->jobs && i < s->njobs; i++) {
        free(s->jobs[i].deps);
        free(s->jobs[i].dep_ok);
    }
    free(s->jobs);
    memset(s, 0, sizeof *s);
}

int serve_sched_find(const struct serve_sched *s, const char *name)
{
    for (size_t i = 0; i < s->njobs; i++)
        if (strcmp(s->jobs[i].name, name) == 0)
            return (int)i;
    return -1;
}

void serve_sched_carry(struct serve_sched *s, const struct serve_sched *old)
{
    for (size_t i = 0; i < s->njobs; i++) {
        int o = serve_sched_find(old, s->jobs[i].name);
        if (o < 0)
            continue;
        s->jobs[i].state = old->jobs[o].state;
        s->jobs[i].skipped_ticks = old->jobs[o].skipped_ticks;
        s->jobs[i].paused |= old->jobs[o].paused;
        s->jobs[i].restart_at = old->jobs[o].restart_at;
        s->jobs[i].failures = old->jobs[o].failures;
    }
}

size_t serve_sched_tick(struct serve_sched *s, int64_t now, size_t *due, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < s->njobs; i++) {
        struct serve_job *j = &s->jobs[i];
        if (!j->scheduled || j->follow || j->next_fire > now)
            continue;
        j->fired_at = j->next_fire;
        if (j->paused) {
        } else if (j->state != SERVE_IDLE) {
            j->skipped_ticks++;
        } else if (n < cap) {
            j->state = SERVE_QUEUED;
            due[n++] = i;
        }
        if (!serve_cron_next(&j->cron, now, &j->next_fire)) {
            j->next_fire = 0;
            j->scheduled = false;
        }
    }
    return n;
}

int serve_sched_trigger(struct serve_sched *s, size_t i)
{
    if (s->jobs[i].state != SERVE_IDLE)
        return ARUS_EBUSY;
    s->jobs[i].state = SERVE_QUEUED;
    return ARUS_OK;
}

void serve_sched_set_paused(struct serve_sched *s, size_t i, bool paused, int64_t now)
{
    struct serve_job *j = &s->jobs[i];
    if (j->paused && !paused && j->scheduled && !serve_cron_next(&j->cron, now, &j->next_fire)) {
        j->next_fire = 0;
        j->scheduled = false;
    }
    j->paused = paused;
}

void serve_sched_started(struct serve_sched *s, size_t i)
{
    struct serve_job *j = &s->jobs[i];
    j->state = SERVE_RUNNING;
    memset(j->dep_ok, 0, j->ndeps * sizeof *j->dep_ok);
}

static bool deps_done(const struct serve_job *j)
{
    for (size_t d = 0; d < j->ndeps; d++)
        if (!j->dep_ok[d])
            return false;
    return j->ndeps > 0;
}

size_t serve_sched_finished(struct serve_sched *s, size_t i, bool ok, size_t *due, size_t cap)
{
    size_t n = 0;
    s->jobs[i].state = SERVE_IDLE;
    for (size_t k = 0; k < s->njobs; k++) {
        struct serve_job *j = &s->jobs[k];
        for (size_t d = 0; ok && d < j->ndeps; d++)
            if (j->deps[d] == i)
                j->dep_ok[d] = true;
        if (j->state == SERVE_IDLE && !j->paused && !j->follow && deps_done(j) && n < cap) {
            j->state = SERVE_QUEUED;
            due[n++] = k;
        }
    }
    return n;
}

int64_t serve_sched_next_wake(const struct serve_sched *s)
{
    int64_t t = 0;
    for (size_t i = 0; i < s->njobs; i++) {
        const struct serve_job *j = &s->jobs[i];
        int64_t at = j->follow ? (j->state == SERVE_IDLE ? j->restart_at : 0)
                               : (j->scheduled ? j->next_fire : 0);
        if (at > 0 && !j->paused && (t == 0 || at < t))
            t = at;
    }
    return t;
}

bool serve_pipeline_follows(const struct arus_pipeline *p)
{
    if (p->sync_mode && strcmp(p->sync_mode, "cdc") == 0)
        return true;
    for (size_t i = 0; i < p->noverrides; i++)
        if (!p->overrides[i].disabled && p->overrides[i].sync_mode &&
            strcmp(p->overrides[i].sync_mode, "cdc") == 0)
            return true;
    return false;
}

size_t serve_sched_follow_due(struct serve_sched *s, int64_t now, size_t *due, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < s->njobs && n < cap; i++) {
        struct serve_job *j = &s->jobs[i];
        if (j->follow && !j->paused && j->state == SERVE_IDLE && j->restart_at <= now) {
            j->state = SERVE_RUNNING;
            due[n++] = i;
        }
    }
    return n;
}

void serve_sched_follow_ended(struct serve_sched *s, size_t i, bool failed, int64_t now,
                              double initial, double max, double retry)
{
    struct serve_job *j = &s->jobs[i];
    j->state = SERVE_IDLE;
    if (!failed) {
        j->failures = 0;
        j->restart_at = now + (int64_t)retry;
        return;
    }
    double wait = initial > 0 ? initial : 1;
    for (int k = 1; k < j->failures + 1 && wait < max; k++)
        wait *= 2;
    j->failures++;
    j->restart_at = now + (int64_t)(wait < max ? wait : max);
}

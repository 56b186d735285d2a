/* The serve scheduler driven by a fake clock: cron ticks, skipped ticks while running, pause,
 * manual triggers, depends_on chains, dependency cycles as config errors, reload carry-over,
 * follow jobs (sync_mode cdc) started at once and restarted with a doubling backoff. */
#include <stdlib.h>

#include "arus/config.h"
#include "arus/error.h"
#include "check.h"
#include "serve/scheduler.h"

#define T0 1767225600 /* 2026-01-01 00:00:00 UTC */

static struct arus_config *load(const char *pipelines, struct arus_error *err)
{
    char yaml[2048];
    snprintf(yaml, sizeof yaml,
             "sources: {s: {type: sqlite, path: /tmp/x.db}}\n"
             "destinations: {d: {type: sqlite, path: /tmp/y.db}}\n"
             "pipelines:\n%s",
             pipelines);
    struct arus_config *cfg = NULL;
    arus_error_clear(err);
    if (arus_config_load_string("t.yml", yaml, strlen(yaml), &cfg, err) != ARUS_OK)
        return NULL;
    return cfg;
}

static void test_ticks_and_skips(void)
{
    struct arus_error err;
    struct arus_config *cfg = load("  a: {source: s, destination: d, schedule: '*/5 * * * *'}\n"
                                   "  b: {source: s, destination: d, schedule: '@every 60s',"
                                   " paused: true}\n"
                                   "  c: {source: s, destination: d}\n",
                                   &err);
    REQUIRE(cfg);
    struct serve_sched s;
    REQUIRE(serve_sched_init(&s, cfg, T0, &err) == ARUS_OK);
    size_t due[8];
    CHECK_INT(s.jobs[0].next_fire, T0 + 300);
    CHECK_INT(serve_sched_next_wake(&s), T0 + 300); /* b is paused, c has no schedule */
    CHECK_INT(serve_sched_tick(&s, T0 + 299, due, 8), 0);
    CHECK_INT(serve_sched_tick(&s, T0 + 300, due, 8), 1);
    CHECK_INT(due[0], 0);
    CHECK_INT(s.jobs[0].state, SERVE_QUEUED);
    CHECK_INT(s.jobs[0].next_fire, T0 + 600);
    serve_sched_started(&s, 0);
    /* Still running at the next tick: not started twice, the tick counted as skipped. */
    CHECK_INT(serve_sched_tick(&s, T0 + 600, due, 8), 0);
    CHECK_INT(s.jobs[0].skipped_ticks, 1);
    CHECK_INT(serve_sched_finished(&s, 0, true, due, 8), 0);
    CHECK_INT(s.jobs[0].state, SERVE_IDLE);
    /* A late wake-up fires once, not once per missed tick. */
    CHECK_INT(serve_sched_tick(&s, T0 + 1900, due, 8), 1);
    CHECK_INT(s.jobs[0].next_fire, T0 + 2100);
    CHECK_INT(serve_sched_trigger(&s, 0), ARUS_EBUSY);
    serve_sched_started(&s, 0);
    serve_sched_finished(&s, 0, false, due, 8);
    /* Paused: ticks pass without running; a manual trigger still works. */
    CHECK_INT(serve_sched_tick(&s, T0 + 3600, due, 8), 1);
    CHECK_INT(due[0], 0);
    CHECK_INT(s.jobs[1].skipped_ticks, 0);
    CHECK_INT(serve_sched_trigger(&s, 2), ARUS_OK);
    CHECK_INT(serve_sched_trigger(&s, 2), ARUS_EBUSY);
    /* Resumed later: the ticks missed while paused are not run, the next one is from now. */
    CHECK_INT(s.jobs[1].next_fire, T0 + 3660);
    serve_sched_set_paused(&s, 1, false, T0 + 7230);
    CHECK(!s.jobs[1].paused);
    CHECK_INT(s.jobs[1].next_fire, T0 + 7260);
    CHECK_INT(serve_sched_next_wake(&s), T0 + 3900); /* a (every 5 minutes) comes first */
    serve_sched_set_paused(&s, 0, true, T0 + 7230);
    CHECK(s.jobs[0].paused);
    CHECK_INT(serve_sched_find(&s, "c"), 2);
    CHECK_INT(serve_sched_find(&s, "zz"), -1);
    serve_sched_cleanup(&s);
    arus_config_destroy(cfg);
}

static void test_dependencies(void)
{
    struct arus_error err;
    struct arus_config *cfg = load("  a: {source: s, destination: d, schedule: '@hourly'}\n"
                                   "  b: {source: s, destination: d}\n"
                                   "  c: {source: s, destination: d, depends_on: [a, b]}\n"
                                   "  e: {source: s, destination: d, depends_on: c}\n",
                                   &err);
    REQUIRE(cfg);
    struct serve_sched s;
    REQUIRE(serve_sched_init(&s, cfg, T0, &err) == ARUS_OK);
    size_t due[8];
    serve_sched_started(&s, 0);
    CHECK_INT(serve_sched_finished(&s, 0, true, due, 8), 0); /* c still waits for b */
    serve_sched_started(&s, 1);
    CHECK_INT(serve_sched_finished(&s, 1, false, due, 8), 0); /* b failed */
    serve_sched_started(&s, 1);
    REQUIRE(serve_sched_finished(&s, 1, true, due, 8) == 1);
    CHECK_INT(due[0], 2);
    serve_sched_started(&s, 2);
    /* a succeeds again while c runs: c runs once more when it ends, and e after c. */
    serve_sched_started(&s, 0);
    CHECK_INT(serve_sched_finished(&s, 0, true, due, 8), 0);
    serve_sched_started(&s, 1);
    CHECK_INT(serve_sched_finished(&s, 1, true, due, 8), 0);
    REQUIRE(serve_sched_finished(&s, 2, true, due, 8) == 2);
    CHECK_INT(due[0], 2);
    CHECK_INT(due[1], 3);
    serve_sched_cleanup(&s);
    arus_config_destroy(cfg);
}

static void expect_error(const char *pipelines, const char *msg)
{
    struct arus_error err;
    struct arus_config *cfg = load(pipelines, &err);
    if (!cfg) {
        CHECK_STR(err.msg, msg);
        return;
    }
    struct serve_sched s;
    CHECK_INT(serve_sched_init(&s, cfg, T0, &err), ARUS_ECONFIG);
    CHECK_STR(err.msg, msg);
    arus_config_destroy(cfg);
}

static void test_config_errors(void)
{
    expect_error("  a: {source: s, destination: d, depends_on: [b]}\n"
                 "  b: {source: s, destination: d, depends_on: [c]}\n"
                 "  c: {source: s, destination: d, depends_on: [a]}\n",
                 "t.yml:4: pipelines.a.depends_on: dependency cycle a -> b -> c -> a");
    expect_error("  a: {source: s, destination: d}\n"
                 "  b: {source: s, destination: d, depends_on: [c]}\n"
                 "  c: {source: s, destination: d, depends_on: [b]}\n",
                 "t.yml:5: pipelines.b.depends_on: dependency cycle b -> c -> b");
    expect_error("  a: {source: s, destination: d, depends_on: [a]}\n",
                 "t.yml:4: pipelines.a.depends_on: a pipeline cannot depend on itself");
    expect_error("  a: {source: s, destination: d, depends_on: [x]}\n",
                 "t.yml:4: pipelines.a.depends_on: pipeline \"x\" is not defined under "
                 "pipelines");
    expect_error("  a: {source: s, destination: d, schedule: '* * *'}\n",
                 "t.yml:4: pipelines.a.schedule: schedule \"* * *\" has 3 fields (expected 5: "
                 "minute hour day-of-month month day-of-week)");
    expect_error("  a: {source: s, destination: d, schedule: '@daily', timezone: Nowhere/X}\n",
                 "t.yml:4: pipelines.a.timezone: unknown time zone \"Nowhere/X\"");
    expect_error("  a: {source: s, destination: d, schedule: '0 0 31 2 *'}\n",
                 "t.yml:4: pipelines.a.schedule: never fires");
}

static void test_reload_carry(void)
{
    struct arus_error err;
    struct arus_config *c1 = load("  a: {source: s, destination: d, schedule: '@hourly'}\n"
                                  "  b: {source: s, destination: d}\n",
                                  &err);
    struct arus_config *c2 = load("  b: {source: s, destination: d}\n"
                                  "  a: {source: s, destination: d, schedule: '@daily'}\n",
                                  &err);
    REQUIRE(c1 && c2);
    struct serve_sched s1, s2;
    REQUIRE(serve_sched_init(&s1, c1, T0, &err) == ARUS_OK);
    REQUIRE(serve_sched_init(&s2, c2, T0, &err) == ARUS_OK);
    serve_sched_started(&s1, 0);
    s1.jobs[0].skipped_ticks = 3;
    s1.jobs[1].paused = true;
    serve_sched_carry(&s2, &s1);
    CHECK_INT(s2.jobs[1].state, SERVE_RUNNING);
    CHECK_INT(s2.jobs[1].skipped_ticks, 3);
    CHECK(s2.jobs[0].paused);
    CHECK_INT(s2.jobs[1].next_fire, T0 + 86400);
    serve_sched_cleanup(&s1);
    serve_sched_cleanup(&s2);
    arus_config_destroy(c1);
    arus_config_destroy(c2);
}

static void test_follow_backoff(void)
{
    struct arus_error err;
    struct arus_config *cfg =
        load("  f: {source: s, destination: d, sync_mode: cdc, schedule: '@every 60s'}\n"
             "  g: {source: s, destination: d, tables: [x, {name: y, sync_mode: cdc}]}\n"
             "  h: {source: s, destination: d, sync_mode: cdc, paused: true}\n"
             "  n: {source: s, destination: d, tables: [{name: y, sync_mode: cdc, enabled: false}],"
             " depends_on: [f]}\n",
             &err);
    REQUIRE(cfg);
    struct serve_sched s;
    REQUIRE(serve_sched_init(&s, cfg, T0, &err) == ARUS_OK);
    CHECK(s.jobs[0].follow && s.jobs[1].follow && s.jobs[2].follow && !s.jobs[3].follow);
    size_t due[8];
    /* At start every unpaused follow job is due; its schedule never fires a tick. */
    CHECK_INT(serve_sched_follow_due(&s, T0, due, 8), 2);
    CHECK_INT(due[0], 0);
    CHECK_INT(due[1], 1);
    CHECK_INT(s.jobs[0].state, SERVE_RUNNING);
    CHECK_INT(serve_sched_follow_due(&s, T0, due, 8), 0);
    CHECK_INT(serve_sched_tick(&s, T0 + 60, due, 8), 0);
    CHECK_INT(s.jobs[0].skipped_ticks, 0);
    CHECK_INT(serve_sched_trigger(&s, 0), ARUS_EBUSY); /* run now: 409 while it follows */
    /* Failures in a row wait 2, 4, 8, ... seconds, at most 10. */
    int64_t now = T0 + 100;
    const int64_t waits[] = {2, 4, 8, 10, 10};
    for (size_t k = 0; k < 5; k++) {
        serve_sched_follow_ended(&s, 0, true, now, 2, 10, 0);
        CHECK_INT(s.jobs[0].state, SERVE_IDLE);
        CHECK_INT(s.jobs[0].restart_at, now + waits[k]);
        CHECK_INT(serve_sched_next_wake(&s), now + waits[k]);
        CHECK_INT(serve_sched_follow_due(&s, now + waits[k] - 1, due, 8), 0);
        now += waits[k];
        CHECK_INT(serve_sched_follow_due(&s, now, due, 8), 1);
    }
    /* A run that ended well (pause, reload) starts over: at once, the backoff reset. */
    serve_sched_follow_ended(&s, 0, false, now, 2, 10, 0);
    CHECK_INT(s.jobs[0].failures, 0);
    CHECK_INT(serve_sched_follow_due(&s, now, due, 8), 1);
    serve_sched_follow_ended(&s, 0, true, now, 2, 10, 0);
    CHECK_INT(s.jobs[0].restart_at, now + 2);
    /* Paused: not started. */
    serve_sched_set_paused(&s, 0, true, now);
    CHECK_INT(serve_sched_follow_due(&s, now + 100, due, 8), 0);
    CHECK_INT(serve_sched_next_wake(&s), 0);
    serve_sched_set_paused(&s, 2, false, now);
    CHECK_INT(serve_sched_follow_due(&s, now, due, 8), 1);
    CHECK_INT(due[0], 2);
    /* Another process holds the lease: asked again after the retry, the count untouched. */
    serve_sched_follow_ended(&s, 2, false, now, 2, 10, 2);
    CHECK_INT(s.jobs[2].restart_at, now + 2);
    serve_sched_cleanup(&s);
    arus_config_destroy(cfg);
}

int main(void)
{
    RUN(test_ticks_and_skips);
    RUN(test_dependencies);
    RUN(test_config_errors);
    RUN(test_reload_carry);
    RUN(test_follow_backoff);
    return check_exit();
}

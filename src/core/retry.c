/* Running a configured pipeline with retries: a lost server ends the attempt, fresh connections
 * and the committed watermarks start the next one after an exponential backoff. */
#include <math.h>
#include <string.h>
#include <time.h>

#include "arus/log.h"
#include "arus/sync.h"
#include "core/sync_internal.h"

static bool retryable(int code)
{
    return code == ARUS_ECONNECT || code == ARUS_ETIMEOUT;
}

static void sleep_seconds(double s)
{
    struct timespec ts = {.tv_sec = (time_t)s, .tv_nsec = (long)((s - floor(s)) * 1e9)};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

int arus__pipeline_endpoints(const struct arus_config *cfg, const struct arus_pipeline *p,
                             struct arus_source **src, struct arus_destination **dst,
                             struct arus_error *err)
{
    int rc = arus_source_create(arus_config_source(cfg, p->source), src, err);
    if (rc == ARUS_OK)
        rc = arus_destination_create(arus_config_destination(cfg, p->destination), dst, err);
    return rc;
}

static int attempt(const struct arus_config *cfg, const struct arus_pipeline *p,
                   const struct arus_sync_options *opt, struct arus_sync_report *report,
                   struct arus_error *err)
{
    struct arus_source *src = NULL;
    struct arus_destination *dst = NULL;
    int rc = arus__pipeline_endpoints(cfg, p, &src, &dst, err);
    if (rc == ARUS_OK)
        rc = arus_sync_run(src, dst, p, opt, report, err);
    arus_destination_close(dst);
    arus_source_close(src);
    return rc;
}

int arus_sync_pipeline(const struct arus_config *cfg, const char *name,
                       const struct arus_sync_options *opt, struct arus_sync_report *report,
                       struct arus_error *err)
{
    const struct arus_pipeline *p = arus_config_pipeline(cfg, name);
    memset(report, 0, sizeof *report);
    if (!p)
        return arus_error_set(err, ARUS_ECONFIG, "%s: no pipeline named \"%s\"", cfg->path,
                              name);
    double delay = p->initial_backoff_seconds;
    /* Only a server that answered before is worth waiting for; a first attempt that cannot
     * connect (wrong password, wrong host) is a configuration problem. */
    bool reached = false;
    for (int64_t tries = 0;; tries++) {
        int rc = attempt(cfg, p, opt, report, err);
        reached |= report->connected;
        if (rc == ARUS_OK || !retryable(rc) || !reached || tries >= p->max_retries)
            return rc;
        arus_log(ARUS_LOG_WARN, "sync", "pipeline \"%s\": %s; retry %lld of %lld in %.1fs",
                 p->name, err->msg, (long long)tries + 1, (long long)p->max_retries, delay);
        arus_sync_report_cleanup(report);
        sleep_seconds(delay);
        delay = fmin(delay * 2, p->max_backoff_seconds);
    }
}

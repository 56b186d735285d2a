/* Prometheus text format for arus serve (names: arus_<what>_<unit>[_total], labels pipeline
 * and table; README lists them). Counters start at 0 when the process starts. */
#include "serve/metrics.h"

#include <stdio.h>
#include <string.h>

#include "serve/serve.h"

/* Label values escape backslash, double quote and newline (exposition format). */
static void label(struct arus_strbuf *out, const char *name, const char *value, bool first)
{
    arus_strbuf_appendf(out, "%s%s=\"", first ? "" : ",", name);
    for (const char *p = value; *p; p++) {
        if (*p == '\\' || *p == '"')
            arus_strbuf_putc(out, '\\');
        if (*p == '\n')
            arus_strbuf_puts(out, "\\n");
        else
            arus_strbuf_putc(out, *p);
    }
    arus_strbuf_putc(out, '"');
}

static void header(struct arus_strbuf *out, const char *name, const char *type, const char *help)
{
    arus_strbuf_appendf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

const double serve_duration_buckets[SERVE_NBUCKETS - 1] = {1, 5, 15, 60, 300, 900, 3600};

static void per_table(struct arus_strbuf *out, const struct serve *s, const char *name,
                      const char *help, size_t field)
{
    header(out, name, "counter", help);
    for (size_t i = 0; i < s->npstats; i++)
        for (size_t t = 0; t < s->pstats[i].ntables; t++) {
            const struct serve_table_stat *ts = &s->pstats[i].tables[t];
            const int64_t v[] = {ts->extracted, ts->loaded, ts->deleted, ts->dead_lettered};
            arus_strbuf_appendf(out, "%s{", name);
            label(out, "pipeline", s->pstats[i].name, true);
            label(out, "table", ts->table, false);
            arus_strbuf_appendf(out, "} %lld\n", (long long)v[field]);
        }
}

/* One sample per pipeline of the current config, from its statistics (zero when it never
 * ran) or its scheduler job. */
static void per_pipeline(struct arus_strbuf *out, struct serve *s, const char *name,
                         const char *type, const char *help, int what)
{
    header(out, name, type, help);
    for (size_t i = 0; i < s->sched.njobs; i++) {
        const struct serve_job *j = &s->sched.jobs[i];
        const struct serve_pstat *ps = serve_pstat(s, j->name);
        arus_strbuf_appendf(out, "%s{", name);
        label(out, "pipeline", j->name, true);
        switch (what) {
        case 0:
            arus_strbuf_appendf(out, "} %lld\n", (long long)ps->runs_failed);
            break;
        case 1:
            arus_strbuf_appendf(out, "} %lld\n", (long long)ps->runs_ok);
            break;
        case 2:
            arus_strbuf_appendf(out, "} %.0f\n", ps->last_success);
            break;
        case 3:
            arus_strbuf_appendf(out, "} %lld\n", (long long)j->skipped_ticks);
            break;
        case 4:
            arus_strbuf_appendf(out, "} %d\n", j->paused ? 1 : 0);
            break;
        default:
            arus_strbuf_appendf(out, "} %d\n", j->state == SERVE_RUNNING ? 1 : 0);
            break;
        }
    }
}

void serve_metrics_render(struct serve *s, struct arus_strbuf *out)
{
    pthread_mutex_lock(&s->mu);
    per_table(out, s, "arus_rows_extracted_total", "Rows read from the source.", 0);
    per_table(out, s, "arus_rows_loaded_total", "Rows inserted or changed in the destination.", 1);
    per_table(out, s, "arus_rows_deleted_total", "Rows deleted in the destination (soft deletes).",
              2);
    per_table(out, s, "arus_rows_dead_lettered_total",
              "Rows the destination refused, kept in _dead_letters.", 3);
    per_pipeline(out, s, "arus_runs_failed_total", "counter", "Runs that failed.", 0);
    per_pipeline(out, s, "arus_runs_succeeded_total", "counter", "Runs that succeeded.", 1);
    per_pipeline(out, s, "arus_last_success_timestamp_seconds", "gauge",
                 "Unix time the last successful run ended (0: none known).", 2);
    per_pipeline(out, s, "arus_skipped_ticks_total", "counter",
                 "Scheduled ticks skipped because the pipeline was still queued or running.", 3);
    per_pipeline(out, s, "arus_pipeline_paused", "gauge", "1 while the pipeline is paused.", 4);
    per_pipeline(out, s, "arus_pipeline_running", "gauge", "1 while a run of it is in flight.", 5);
    header(out, "arus_run_duration_seconds", "histogram", "Duration of finished runs.");
    for (size_t i = 0; i < s->npstats; i++) {
        const struct serve_pstat *ps = &s->pstats[i];
        uint64_t cum = 0;
        for (size_t b = 0; b < SERVE_NBUCKETS; b++) {
            cum += ps->buckets[b];
            arus_strbuf_puts(out, "arus_run_duration_seconds_bucket{");
            label(out, "pipeline", ps->name, true);
            char le[32] = "+Inf";
            if (b < SERVE_NBUCKETS - 1)
                snprintf(le, sizeof le, "%g", serve_duration_buckets[b]);
            label(out, "le", le, false);
            arus_strbuf_appendf(out, "} %llu\n", (unsigned long long)cum);
        }
        arus_strbuf_puts(out, "arus_run_duration_seconds_sum{");
        label(out, "pipeline", ps->name, true);
        arus_strbuf_appendf(out, "} %.3f\narus_run_duration_seconds_count{", ps->duration_sum);
        label(out, "pipeline", ps->name, true);
        arus_strbuf_appendf(out, "} %llu\n", (unsigned long long)ps->duration_count);
    }
    header(out, "arus_watermark_age_seconds", "gauge",
           "Age of a table's watermark when it is a time (now - watermark), after its last run.");
    double now = (double)s->now();
    for (size_t i = 0; i < s->npstats; i++)
        for (size_t t = 0; t < s->pstats[i].ntables; t++) {
            const struct serve_table_stat *ts = &s->pstats[i].tables[t];
            if (ts->watermark_at <= 0)
                continue;
            arus_strbuf_puts(out, "arus_watermark_age_seconds{");
            label(out, "pipeline", s->pstats[i].name, true);
            label(out, "table", ts->table, false);
            arus_strbuf_appendf(out, "} %.0f\n", now - ts->watermark_at);
        }
    header(out, "arus_cdc_lag_bytes", "gauge",
           "Change log of a follow pipeline (sync_mode cdc) past the position its destination "
           "confirmed, read every few seconds.");
    for (size_t i = 0; i < s->sched.njobs; i++) {
        int64_t lag = s->sched.jobs[i].follow ? serve_follow_lag(s, s->sched.jobs[i].name) : -1;
        if (lag < 0)
            continue;
        arus_strbuf_puts(out, "arus_cdc_lag_bytes{");
        label(out, "pipeline", s->sched.jobs[i].name, true);
        arus_strbuf_appendf(out, "} %lld\n", (long long)lag);
    }
    header(out, "arus_runs_in_flight", "gauge", "Runs executing now.");
    arus_strbuf_appendf(out, "arus_runs_in_flight %d\n", s->in_flight);
    size_t queued = 0;
    for (const struct serve_run *r = s->queue; r; r = r->next)
        queued++;
    header(out, "arus_runs_queued", "gauge", "Runs waiting for a free worker.");
    arus_strbuf_appendf(out, "arus_runs_queued %zu\n", queued);
    header(out, "arus_start_time_seconds", "gauge", "Unix time arus serve started.");
    arus_strbuf_appendf(out, "arus_start_time_seconds %.0f\n", s->started_at);
    pthread_mutex_unlock(&s->mu);
}

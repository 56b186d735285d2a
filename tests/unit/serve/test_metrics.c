/* /metrics text of arus serve against a golden exposition: counters per pipeline and table,
 * the duration histogram (cumulative buckets, _sum, _count), gauges, label escaping. */
#include <stdlib.h>

#include "arus/arus.h"
#include "check.h"
#include "serve/metrics.h"
#include "serve/serve.h"

static int64_t fake_now(void) { return 1767225600; /* 2026-01-01 00:00:00 UTC */ }

static void test_golden(void)
{
    static const char yaml[] = "sources: {s: {type: sqlite, path: /tmp/x.db}}\n"
                               "destinations: {d: {type: sqlite, path: /tmp/y.db}}\n"
                               "pipelines:\n"
                               "  'p\"1': {source: s, destination: d, schedule: '@hourly'}\n";
    struct arus_config *cfg = NULL;
    struct arus_error err;
    arus_error_clear(&err);
    REQUIRE(arus_config_load_string("t.yml", yaml, strlen(yaml), &cfg, &err) == ARUS_OK);
    struct serve s = {.now = fake_now, .started_at = 1767225000};
    pthread_mutex_init(&s.mu, NULL);
    REQUIRE(serve_sched_init(&s.sched, cfg, fake_now(), &err) == ARUS_OK);
    s.sched.jobs[0].skipped_ticks = 2;
    s.sched.jobs[0].state = SERVE_RUNNING;
    s.in_flight = 1;
    struct serve_pstat *ps = serve_pstat(&s, "p\"1");
    ps->runs_ok = 2;
    ps->runs_failed = 1;
    ps->last_success = 1767225500;
    ps->buckets[0] = 2; /* <= 1s */
    ps->buckets[3] = 1; /* <= 60s */
    ps->duration_sum = 31.5;
    ps->duration_count = 3;
    ps->tables = calloc(1, sizeof *ps->tables);
    ps->ntables = 1;
    ps->tables[0] = (struct serve_table_stat){.table = strdup("orders\\x"),
                                              .extracted = 10,
                                              .loaded = 9,
                                              .deleted = 1,
                                              .dead_lettered = 0,
                                              .watermark_at = 1767225540};
    struct arus_strbuf out;
    arus_strbuf_init(&out);
    serve_metrics_render(&s, &out);
    CHECK_STR(arus_strbuf_cstr(&out),
              "# HELP arus_rows_extracted_total Rows read from the source.\n"
              "# TYPE arus_rows_extracted_total counter\n"
              "arus_rows_extracted_total{pipeline=\"p\\\"1\",table=\"orders\\\\x\"} 10\n"
              "# HELP arus_rows_loaded_total Rows inserted or changed in the destination.\n"
              "# TYPE arus_rows_loaded_total counter\n"
              "arus_rows_loaded_total{pipeline=\"p\\\"1\",table=\"orders\\\\x\"} 9\n"
              "# HELP arus_rows_deleted_total Rows deleted in the destination (soft deletes).\n"
              "# TYPE arus_rows_deleted_total counter\n"
              "arus_rows_deleted_total{pipeline=\"p\\\"1\",table=\"orders\\\\x\"} 1\n"
              "# HELP arus_rows_dead_lettered_total Rows the destination refused, kept in "
              "_dead_letters.\n"
              "# TYPE arus_rows_dead_lettered_total counter\n"
              "arus_rows_dead_lettered_total{pipeline=\"p\\\"1\",table=\"orders\\\\x\"} 0\n"
              "# HELP arus_runs_failed_total Runs that failed.\n"
              "# TYPE arus_runs_failed_total counter\n"
              "arus_runs_failed_total{pipeline=\"p\\\"1\"} 1\n"
              "# HELP arus_runs_succeeded_total Runs that succeeded.\n"
              "# TYPE arus_runs_succeeded_total counter\n"
              "arus_runs_succeeded_total{pipeline=\"p\\\"1\"} 2\n"
              "# HELP arus_last_success_timestamp_seconds Unix time the last successful run "
              "ended (0: none known).\n"
              "# TYPE arus_last_success_timestamp_seconds gauge\n"
              "arus_last_success_timestamp_seconds{pipeline=\"p\\\"1\"} 1767225500\n"
              "# HELP arus_skipped_ticks_total Scheduled ticks skipped because the pipeline was "
              "still queued or running.\n"
              "# TYPE arus_skipped_ticks_total counter\n"
              "arus_skipped_ticks_total{pipeline=\"p\\\"1\"} 2\n"
              "# HELP arus_pipeline_paused 1 while the pipeline is paused.\n"
              "# TYPE arus_pipeline_paused gauge\n"
              "arus_pipeline_paused{pipeline=\"p\\\"1\"} 0\n"
              "# HELP arus_pipeline_running 1 while a run of it is in flight.\n"
              "# TYPE arus_pipeline_running gauge\n"
              "arus_pipeline_running{pipeline=\"p\\\"1\"} 1\n"
              "# HELP arus_run_duration_seconds Duration of finished runs.\n"
              "# TYPE arus_run_duration_seconds histogram\n"
              "arus_run_duration_seconds_bucket{pipeline=\"p\\\"1\",le=\"1\"} 2\n"
              "arus_run_duration_seconds_bucket{pipeline=\"p\\\"1\",le=\"5\"} 2\n"
              "arus_run_duration_seconds_bucket{pipeline=\"p\\\"1\",le=\"15\"} 2\n"
              "arus_run_duration_seconds_bucket{pipeline=\"p\\\"1\",le=\"60\"} 3\n"
              "arus_run_duration_seconds_bucket{pipeline=\"p\\\"1\",le=\"300\"} 3\n"
              "arus_run_duration_seconds_bucket{pipeline=\"p\\\"1\",le=\"900\"} 3\n"
              "arus_run_duration_seconds_bucket{pipeline=\"p\\\"1\",le=\"3600\"} 3\n"
              "arus_run_duration_seconds_bucket{pipeline=\"p\\\"1\",le=\"+Inf\"} 3\n"
              "arus_run_duration_seconds_sum{pipeline=\"p\\\"1\"} 31.500\n"
              "arus_run_duration_seconds_count{pipeline=\"p\\\"1\"} 3\n"
              "# HELP arus_watermark_age_seconds Age of a table's watermark when it is a time "
              "(now - watermark), after its last run.\n"
              "# TYPE arus_watermark_age_seconds gauge\n"
              "arus_watermark_age_seconds{pipeline=\"p\\\"1\",table=\"orders\\\\x\"} 60\n"
              "# HELP arus_cdc_lag_bytes Change log of a follow pipeline (sync_mode cdc) past "
              "the position its destination confirmed, read every few seconds.\n"
              "# TYPE arus_cdc_lag_bytes gauge\n"
              "# HELP arus_runs_in_flight Runs executing now.\n"
              "# TYPE arus_runs_in_flight gauge\n"
              "arus_runs_in_flight 1\n"
              "# HELP arus_runs_queued Runs waiting for a free worker.\n"
              "# TYPE arus_runs_queued gauge\n"
              "arus_runs_queued 0\n"
              "# HELP arus_start_time_seconds Unix time arus serve started.\n"
              "# TYPE arus_start_time_seconds gauge\n"
              "arus_start_time_seconds 1767225000\n");
    arus_strbuf_cleanup(&out);
    free(ps->tables[0].table);
    free(ps->tables);
    free(ps->name);
    free(s.pstats);
    serve_sched_cleanup(&s.sched);
    arus_config_destroy(cfg);
}

int main(void)
{
    RUN(test_golden);
    return check_exit();
}

/* arus state | runs PIPELINE: read watermarks and run history from the pipeline's
 * destination. Read-only: nothing is created, and without state tables the lists are empty. */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

/* Parse "VERB PIPELINE [--limit N]" (--limit only when limit is set) into *pipeline (borrowed
 * from argv). False when the verb must end with *exit_code. */
static bool parse_args(const struct cli *cli, const char *help, const char **pipeline, long *limit,
                       int *exit_code)
{
    *pipeline = NULL;
    const struct cli_opt opts[] = {{.name = "--limit", .number = limit}, {0}};
    const struct cli_args spec = {.help = help,
                                  .opts = limit ? opts : NULL,
                                  .pos = {pipeline},
                                  .missing = "missing PIPELINE"};
    return cli_parse_args(cli, &spec, exit_code);
}

/* How far the commit horizon held the stored watermark behind the newest row delivered: a
 * duration for time watermarks ("12.5s behind 2024-01-01 10:00:12.5"), "-" when not held. */
static void held_text(const struct arus_table_state *st, char *buf, size_t n)
{
    int64_t held, stored;
    if (!st->held_from || !st->watermark) {
        snprintf(buf, n, "-");
    } else if (arus_parse_timestamp(st->held_from, strlen(st->held_from), &held) &&
               arus_parse_timestamp(st->watermark, strlen(st->watermark), &stored)) {
        snprintf(buf, n, "%.1fs behind %s", (double)(held - stored) / 1e6, st->held_from);
    } else {
        snprintf(buf, n, "behind %s", st->held_from);
    }
}

static int list_state(const struct cli *cli, const struct arus_config *cfg,
                      const struct arus_pipeline *p, struct arus_destination *dst, void *ctx,
                      struct arus_error *err)
{
    (void)cfg;
    (void)ctx;
    const char *pipeline = p->name;
    struct arus_arena *a = arus_arena_create(0);
    const char **tables = NULL;
    struct arus_table_state *st = NULL;
    size_t n = 0;
    int rc = arus_destination_list_state(dst, pipeline, a, &tables, &st, &n, err);
    if (rc == ARUS_OK && cli->json) {
        printf("[");
        for (size_t i = 0; i < n; i++) {
            printf(i ? ",{" : "{");
            json_field(stdout, "table", tables[i], true);
            json_field(stdout, "watermark", st[i].watermark, false);
            json_field(stdout, "deletes_watermark", st[i].deletes_watermark, false);
            json_field(stdout, "run_id", st[i].run_id, false);
            json_field(stdout, "updated_at", st[i].updated_at, false);
            json_field(stdout, "held_from", st[i].held_from, false);
            printf("}");
        }
        printf("]\n");
    } else if (rc == ARUS_OK) {
        printf("%-32s %-28s %-28s %-36s %s\n", "TABLE", "WATERMARK", "UPDATED_AT", "RUN_ID",
               "HELD");
        for (size_t i = 0; i < n; i++) {
            char held[64];
            held_text(&st[i], held, sizeof held);
            printf(
                "%-32s %-28s %-28s %-36s %s\n", tables[i], st[i].watermark ? st[i].watermark : "-",
                st[i].updated_at ? st[i].updated_at : "-", st[i].run_id ? st[i].run_id : "-", held);
        }
    }
    arus_arena_destroy(a);
    return rc;
}

int cmd_state(const struct cli *cli)
{
    const char *pipeline = NULL;
    int ec;
    if (!parse_args(cli,
                    "usage: arus state PIPELINE [--json]\nShow the stored watermark "
                    "of every table of the pipeline, and how far the commit horizon\n"
                    "held it behind the newest row delivered (HELD).",
                    &pipeline, NULL, &ec))
        return ec;
    return cli_run_pipeline(cli, pipeline, list_state, NULL);
}

static void print_run_json(const struct arus_run_record *r, bool first)
{
    printf(first ? "{" : ",{");
    json_field(stdout, "run_id", r->run_id, true);
    json_field(stdout, "table", r->table, false);
    json_field(stdout, "mode", r->mode, false);
    json_field(stdout, "status", r->status, false);
    json_field(stdout, "started_at", r->started_at, false);
    json_field(stdout, "finished_at", r->finished_at, false);
    printf(",\"rows_extracted\":%lld,\"rows_loaded\":%lld,\"rows_deleted\":%lld,"
           "\"rows_dead_lettered\":%lld",
           (long long)r->rows_extracted, (long long)r->rows_loaded, (long long)r->rows_deleted,
           (long long)r->rows_dead_lettered);
    json_field(stdout, "error", r->error, false);
    printf("}");
}

static bool is_running(const struct arus_run_record *r)
{
    return r->status && strcmp(r->status, ARUS_RUN_RUNNING) == 0;
}

/* The pipeline's newest runs, with "running" rows of dead processes shown as aborted. Such a
 * row stays "running" in the table until the pipeline's next run. While we hold the pipeline
 * lock no live process owns one, so the history is read again under the lock (a run that ended
 * in between shows how it ended) and its running rows are shown as aborted. Taking the lock and
 * releasing it writes no data; when it cannot be taken a live run holds it (or we cannot tell),
 * and rows are shown as stored. */
static int list_runs(struct arus_destination *dst, const char *pipeline, size_t limit,
                     struct arus_arena *a, struct arus_run_record **runs, size_t *n,
                     struct arus_error *err)
{
    int rc = arus_destination_list_runs(dst, pipeline, limit, a, runs, n, err);
    bool running = false;
    for (size_t i = 0; rc == ARUS_OK && i < *n; i++)
        running |= is_running(&(*runs)[i]);
    struct arus_error ignored;
    arus_error_clear(&ignored);
    if (!running || arus_destination_lock(dst, pipeline, &ignored) != ARUS_OK)
        return rc;
    rc = arus_destination_list_runs(dst, pipeline, limit, a, runs, n, err);
    arus_destination_unlock(dst, pipeline, &ignored);
    for (size_t i = 0; rc == ARUS_OK && i < *n; i++)
        if (is_running(&(*runs)[i]))
            arus_run_mark_aborted(&(*runs)[i], NULL);
    return rc;
}

static int show_runs(const struct cli *cli, const struct arus_config *cfg,
                     const struct arus_pipeline *p, struct arus_destination *dst, void *ctx,
                     struct arus_error *err)
{
    (void)cfg;
    const long *limit = ctx;
    struct arus_arena *a = arus_arena_create(0);
    struct arus_run_record *runs = NULL;
    size_t n = 0;
    int rc = list_runs(dst, p->name, (size_t)*limit, a, &runs, &n, err);
    if (rc == ARUS_OK && cli->json) {
        printf("[");
        for (size_t i = 0; i < n; i++)
            print_run_json(&runs[i], i == 0);
        printf("]\n");
    } else if (rc == ARUS_OK) {
        printf("%-36s %-24s %-12s %-7s %-26s %9s %9s %8s %5s %s\n", "RUN_ID", "TABLE", "MODE",
               "STATUS", "STARTED_AT", "EXTRACTED", "LOADED", "DELETED", "DEAD", "ERROR");
        for (size_t i = 0; i < n; i++) {
            const struct arus_run_record *r = &runs[i];
            printf("%-36s %-24s %-12s %-7s %-26s %9lld %9lld %8lld %5lld %s\n", r->run_id, r->table,
                   r->mode ? r->mode : "-", r->status, r->started_at ? r->started_at : "-",
                   (long long)r->rows_extracted, (long long)r->rows_loaded,
                   (long long)r->rows_deleted, (long long)r->rows_dead_lettered,
                   r->error ? r->error : "");
        }
    }
    arus_arena_destroy(a);
    return rc;
}

int cmd_runs(const struct cli *cli)
{
    const char *pipeline = NULL;
    long limit = 20;
    int ec;
    if (!parse_args(cli,
                    "usage: arus runs PIPELINE [--limit N] [--json]\nShow run history "
                    "(one row per run and table), newest first; default 20 rows.",
                    &pipeline, &limit, &ec))
        return ec;
    return cli_run_pipeline(cli, pipeline, show_runs, &limit);
}

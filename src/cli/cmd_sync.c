/* arus sync PIPELINE: build the pipeline's source and destination from the config, run the
 * engine, show live progress on a TTY and one summary line per table otherwise. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

struct progress {
    bool tty;
};

/* Rows read per second: what the user waits on (loaded counts only changed rows). */
static double rate(const struct arus_table_report *t)
{
    return t->seconds > 0 ? (double)t->rows_extracted / t->seconds : 0;
}

static void on_progress(void *ctx, const struct arus_table_report *t, bool done)
{
    struct progress *p = ctx;
    if (!p->tty)
        return;
    char eta[32] = "";
    /* Only a full refresh (or reload) knows how much is left: the whole table. */
    if (!done && strcmp(t->mode, "incremental") != 0 && rate(t) > 0 &&
        t->rows_estimate > t->rows_extracted)
        snprintf(eta, sizeof eta, "  ETA %.0fs",
                 (double)(t->rows_estimate - t->rows_extracted) / rate(t));
    fprintf(stderr, "\r\033[K%-32s %12lld rows  %10.0f rows/s%s%s", t->table,
            (long long)t->rows_extracted, rate(t), eta, done ? "\n" : "");
}

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

/* --follow ends on SIGINT/SIGTERM after committing what arrived (exit 0). */
static void catch_stop_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

static void print_text(const struct arus_sync_report *r)
{
    for (size_t i = 0; i < r->ntables; i++) {
        const struct arus_table_report *t = &r->tables[i];
        printf("%-32s %-12s extracted=%lld loaded=%lld deleted=%lld dead_letters=%lld %.2fs "
               "%.0f rows/s %s%s\n",
               t->table, t->mode, (long long)t->rows_extracted, (long long)t->rows_loaded,
               (long long)t->rows_deleted, (long long)t->rows_dead_lettered, t->seconds, rate(t),
               t->status ? "FAILED: " : "ok", t->status ? t->error : "");
    }
}

static void print_json(const struct arus_sync_report *r, const char *pipeline, int rc,
                       const struct arus_error *err)
{
    printf("{");
    json_field(stdout, "pipeline", pipeline, true);
    json_field(stdout, "run_id", r->run_id, false);
    json_key(stdout, "ok", false);
    printf(rc ? "false" : "true");
    json_field(stdout, "error", rc ? err->msg : NULL, false);
    json_key(stdout, "tables", false);
    printf("[");
    for (size_t i = 0; i < r->ntables; i++) {
        const struct arus_table_report *t = &r->tables[i];
        printf(i ? ",{" : "{");
        json_field(stdout, "table", t->table, true);
        json_field(stdout, "mode", t->mode, false);
        if (t->reload_reason[0])
            json_field(stdout, "reload_reason", t->reload_reason, false);
        if (t->notes[0])
            json_field(stdout, "notes", t->notes, false);
        printf(",\"rows_extracted\":%lld,\"rows_loaded\":%lld,\"rows_deleted\":%lld,"
               "\"rows_dead_lettered\":%lld,\"seconds\":%.3f",
               (long long)t->rows_extracted, (long long)t->rows_loaded,
               (long long)t->rows_deleted, (long long)t->rows_dead_lettered, t->seconds);
        json_field(stdout, "status", t->status ? "failed" : "ok", false);
        json_field(stdout, "error", t->status ? t->error : NULL, false);
        printf(",\"rows_null_watermark\":%lld", (long long)t->rows_null_watermark);
        json_field(stdout, "horizon", t->horizon[0] ? t->horizon : NULL, false);
        json_field(stdout, "held_from", t->delivered[0] ? t->delivered : NULL, false);
        printf("}");
    }
    printf("]}\n");
}

/* The options and name of the run, passed through cli_run(). */
struct sync_run {
    const char *pipeline;
    struct arus_sync_options opt;
};

static int run_sync(const struct cli *cli, const struct arus_config *cfg, void *ctx,
                    struct arus_error *err)
{
    struct sync_run *r = ctx;
    struct arus_sync_report report = {0};
    struct progress prog = {.tty = isatty(STDERR_FILENO) && !cli->json};
    r->opt.progress = on_progress;
    r->opt.progress_ctx = &prog;
    r->opt.stop = &stop_requested;
    if (r->opt.follow)
        catch_stop_signals();
    int rc = arus_sync_pipeline(cfg, r->pipeline, &r->opt, &report, err);
    if (cli->json)
        print_json(&report, r->pipeline, rc, err);
    else
        print_text(&report);
    arus_sync_report_cleanup(&report);
    return rc;
}

int cmd_sync(const struct cli *cli)
{
    struct sync_run r = {0};
    const struct cli_opt opts[] = {
        {.name = "--table", .value = &r.opt.table},
        {.name = "--from", .value = &r.opt.from},
        {.name = "--full-refresh", .flag = &r.opt.full_refresh},
        {.name = "--follow", .flag = &r.opt.follow},
        {0},
    };
    const struct cli_args spec = {
        .help = "usage: arus sync PIPELINE [--table T] [--full-refresh] [--from VALUE] [--follow]\n"
                "                [--json]\n"
                "Sync the pipeline's tables (or only T). Incremental tables continue from\n"
                "their stored watermark; --full-refresh reloads every selected table into a\n"
                "shadow table and swaps it in atomically; --from backfills: incremental\n"
                "tables re-read from VALUE (a timestamp, or the watermark column's value),\n"
                "keeping their stored watermark. Tables with sync_mode: cdc apply the\n"
                "source's change log up to its end at start; with --follow they keep\n"
                "streaming until SIGINT/SIGTERM, then commit and exit 0.",
        .opts = opts,
        .pos = {&r.pipeline},
        .missing = "missing PIPELINE (see arus sync --help)",
    };
    int ec;
    if (!cli_parse_args(cli, &spec, &ec))
        return ec;
    if (r.opt.from && r.opt.full_refresh) {
        fprintf(stderr, "arus: sync: --from and --full-refresh exclude each other\n");
        return EXIT_USAGE;
    }
    return cli_run(cli, run_sync, &r);
}

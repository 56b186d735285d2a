/* arus verify PIPELINE: compare the pipeline's source and destination tables by primary key,
 * print what differs (text or --json), optionally repair it; exit 8 when drift was found. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static bool drifted(const struct arus_verify_table *t)
{
    return t->count[ARUS_VERIFY_MISSING] || t->count[ARUS_VERIFY_EXTRA] ||
           t->count[ARUS_VERIFY_CHANGED];
}

static void print_text(const struct arus_verify_report *r, bool repair)
{
    for (size_t i = 0; i < r->ntables; i++) {
        const struct arus_verify_table *t = &r->tables[i];
        if (t->status) {
            printf("%-32s FAILED: %s\n", t->table, t->error);
            continue;
        }
        if (t->skipped) {
            printf("%-32s skipped: no primary key\n", t->table);
            continue;
        }
        printf("%-32s source=%lld destination=%lld missing=%lld extra=%lld changed=%lld %.2fs "
               "%s\n",
               t->table, (long long)t->source_rows, (long long)t->destination_rows,
               (long long)t->count[ARUS_VERIFY_MISSING], (long long)t->count[ARUS_VERIFY_EXTRA],
               (long long)t->count[ARUS_VERIFY_CHANGED], t->seconds,
               !drifted(t) ? "equal"
               : repair    ? "repaired"
                           : "DRIFT");
        for (int k = 0; k < ARUS_VERIFY__KINDS; k++) {
            if (!t->nkeys[k])
                continue;
            printf("  %s:", arus_verify_kind_name(k));
            for (size_t j = 0; j < t->nkeys[k]; j++)
                printf(" [%s]", t->keys[k][j]);
            printf("%s\n", t->count[k] > (int64_t)t->nkeys[k] ? " ..." : "");
        }
        if (t->ranges_differing) {
            printf("  ranges: %lld of %lld differ:", (long long)t->ranges_differing,
                   (long long)t->ranges);
            for (size_t j = 0; j < t->nrange; j++)
                printf(" [%s .. %s]", t->range[j].first ? t->range[j].first : "",
                       t->range[j].last ? t->range[j].last : "end");
            printf("%s\n", t->ranges_differing > (int64_t)t->nrange ? " ..." : "");
        }
        if (repair && drifted(t))
            printf("  repaired: %lld row(s) re-copied, %lld deleted\n", (long long)t->rows_repaired,
                   (long long)t->rows_deleted);
    }
}

static void print_json(const struct arus_verify_report *r, const char *pipeline, bool repair,
                       int rc, const struct arus_error *err)
{
    printf("{");
    json_field(stdout, "pipeline", pipeline, true);
    printf(",\"ok\":%s,\"drift\":%s,\"repair\":%s", rc ? "false" : "true",
           r->drifted ? "true" : "false", repair ? "true" : "false");
    json_field(stdout, "error", rc ? err->msg : NULL, false);
    json_key(stdout, "tables", false);
    printf("[");
    for (size_t i = 0; i < r->ntables; i++) {
        const struct arus_verify_table *t = &r->tables[i];
        printf(i ? ",{" : "{");
        json_field(stdout, "table", t->table, true);
        json_field(stdout, "status",
                   t->status    ? "failed"
                   : t->skipped ? "skipped"
                   : drifted(t) ? "drift"
                                : "equal",
                   false);
        json_field(stdout, "error", t->status ? t->error : NULL, false);
        printf(",\"source_rows\":%lld,\"destination_rows\":%lld,\"rows_compared\":%lld,"
               "\"rows_matched\":%lld",
               (long long)t->source_rows, (long long)t->destination_rows,
               (long long)(t->rows_matched + t->count[ARUS_VERIFY_CHANGED]),
               (long long)t->rows_matched);
        for (int k = 0; k < ARUS_VERIFY__KINDS; k++)
            printf(",\"%s\":%lld", arus_verify_kind_name(k), (long long)t->count[k]);
        printf(",\"source_checksum\":\"%016" PRIx64 "\",\"destination_checksum\":\"%016" PRIx64
               "\"",
               t->source_checksum, t->destination_checksum);
        printf(",\"rows_repaired\":%lld,\"rows_deleted\":%lld,\"seconds\":%.3f",
               (long long)t->rows_repaired, (long long)t->rows_deleted, t->seconds);
        printf(",\"ranges\":%lld,\"ranges_differing\":%lld", (long long)t->ranges,
               (long long)t->ranges_differing);
        json_key(stdout, "differing_ranges", false);
        printf("[");
        for (size_t j = 0; j < t->nrange; j++) {
            const struct arus_verify_range *g = &t->range[j];
            printf(j ? ",{" : "{");
            json_field(stdout, "first", g->first, true);
            json_field(stdout, "last", g->last, false);
            printf(
                ",\"source_rows\":%lld,\"destination_rows\":%lld,\"source_checksum\":\"%016" PRIx64
                "\",\"destination_checksum\":\"%016" PRIx64 "\"}",
                (long long)g->source_rows, (long long)g->destination_rows, g->source_checksum,
                g->destination_checksum);
        }
        printf("]");
        json_key(stdout, "keys", false);
        printf("{");
        for (int k = 0; k < ARUS_VERIFY__KINDS; k++) {
            json_key(stdout, arus_verify_kind_name(k), k == 0);
            printf("[");
            for (size_t j = 0; j < t->nkeys[k]; j++) {
                printf(j ? "," : "");
                json_str(stdout, t->keys[k][j]);
            }
            printf("]");
        }
        printf("}}");
    }
    printf("]}\n");
}

/* The options and name of the run, passed through cli_run(); drift is what it found. */
struct verify_run {
    const char *pipeline;
    struct arus_verify_options opt;
    bool drift;
};

static int run_verify(const struct cli *cli, const struct arus_config *cfg, void *ctx,
                      struct arus_error *err)
{
    struct verify_run *r = ctx;
    struct arus_verify_report report = {0};
    int rc = arus_verify_pipeline(cfg, r->pipeline, &r->opt, &report, err);
    if (cli->json)
        print_json(&report, r->pipeline, r->opt.repair, rc, err);
    else
        print_text(&report, r->opt.repair);
    r->drift = report.drifted > 0;
    arus_verify_report_cleanup(&report);
    return rc;
}

int cmd_verify(const struct cli *cli)
{
    struct verify_run r = {0};
    const struct cli_opt opts[] = {
        {.name = "--table", .value = &r.opt.table},
        {.name = "--repair", .flag = &r.opt.repair},
        {0},
    };
    const struct cli_args spec = {
        .help = "usage: arus verify PIPELINE [--table T] [--repair] [--json]\n"
                "Compare every selected table (or only T) of the pipeline between source and\n"
                "destination by primary key: rows missing downstream, extra downstream (gone\n"
                "or soft-deleted in the source) and changed. --repair re-copies missing and\n"
                "changed rows through the normal load path and deletes extra ones; watermarks\n"
                "stay as they are. Exit 0 when equal, 8 when drift was found (also when\n"
                "--repair fixed it). Tables without a primary key are skipped.",
        .opts = opts,
        .pos = {&r.pipeline},
        .missing = "missing PIPELINE (see arus verify --help)",
    };
    int ec;
    if (!cli_parse_args(cli, &spec, &ec))
        return ec;
    ec = cli_run(cli, run_verify, &r);
    return ec || !r.drift ? ec : EXIT_DRIFT;
}

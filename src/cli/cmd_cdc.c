/* arus cdc status|drop PIPELINE: the change-capture side of a pipeline in its source (slot,
 * confirmed position, lag, retained log; or dropping slot and publication). Status also reads
 * the destination's stored position for the lag in seconds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arus/state.h"
#include "cli/cli.h"

static const char cdc_help[] =
    "usage: arus cdc status|drop PIPELINE [--json]\n"
    "status: the pipeline's replication slot, the position the source knows as applied, lag\n"
    "in bytes and seconds, and the log the slot retains (a warning past\n"
    "cdc.warn_retained_bytes). drop: drop the slot and the publication (the next sync copies\n"
    "every table again). MariaDB keeps no slot: status shows the stored GTID, lag in\n"
    "transactions and whether a run is streaming the pipeline now (active).";

/* Seconds since the destination last committed a position (ts: its stored state), when the
 * source is behind. */
static double lag_seconds(const struct arus_table_state *ts, const struct arus_cdc_status *st)
{
    if (st->lag_bytes <= 0)
        return st->lag_bytes == 0 ? 0 : -1;
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (!ts->updated_at || sscanf(ts->updated_at, "%d-%d-%d %d:%d:%d", &tm.tm_year, &tm.tm_mon,
                                  &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return difftime(time(NULL), timegm(&tm));
}

static void print_status(const struct cli *cli, const char *pipeline,
                         const struct arus_cdc_status *st, double lag)
{
    if (cli->json) {
        printf("{");
        json_field(stdout, "pipeline", pipeline, true);
        json_field(stdout, "slot", st->slot, false);
        json_field(stdout, "publication", st->publication, false);
        printf(",\"exists\":%s,\"active\":%s", st->exists ? "true" : "false",
               st->active ? "true" : "false");
        json_field(stdout, "confirmed", st->confirmed, false);
        json_field(stdout, "current", st->current, false);
        printf(",\"lag_bytes\":%lld,\"lag_seconds\":%.0f,\"retained_bytes\":%lld",
               (long long)st->lag_bytes, lag, (long long)st->retained_bytes);
        if (st->lag_unit)
            json_field(stdout, "lag_unit", st->lag_unit, false);
        json_field(stdout, "warning", st->warning, false);
        printf("}\n");
        return;
    }
    if (!st->exists) {
        printf("slot %s: does not exist (publication %s)\n", st->slot, st->publication);
        return;
    }
    printf("slot %s (%s), publication %s\nconfirmed %s, current %s\nlag %lld %s, %.0f s\n"
           "retained %s %lld bytes\n",
           st->slot, st->active ? "active" : "inactive", st->publication,
           st->confirmed ? st->confirmed : "-", st->current ? st->current : "-",
           (long long)st->lag_bytes, st->lag_unit ? st->lag_unit : "bytes", lag,
           st->log_name ? st->log_name : "WAL", (long long)st->retained_bytes);
}

/* The verb's arguments, passed through cli_run(). */
struct cdc_run {
    const char *action;
    const char *pipeline;
};

static int run_cdc(const struct cli *cli, const struct arus_config *cfg, void *ctx,
                   struct arus_error *err)
{
    const struct cdc_run *r = ctx;
    const char *pipeline = r->pipeline;
    struct arus_source *src = NULL;
    struct arus_destination *dst = NULL;
    struct arus_arena *a = arus_arena_create(0);
    const struct arus_pipeline *p = arus_config_pipeline(cfg, pipeline);
    int rc = ARUS_OK;
    if (!p)
        rc = arus_error_set(err, ARUS_ECONFIG, "%s: no pipeline named \"%s\"", cfg->path, pipeline);
    if (rc == ARUS_OK)
        rc = arus_source_create(arus_config_source(cfg, p->source), &src, err);
    if (rc == ARUS_OK)
        rc = arus_destination_create(arus_config_destination(cfg, p->destination), &dst, err);
    if (rc == ARUS_OK)
        rc = arus_source_connect(src, err);
    struct arus_cdc_options o = {
        .pipeline = pipeline,
        .slot = p ? p->cdc_slot : NULL,
        .publication = p ? p->cdc_publication : NULL,
        .warn_retained = p ? p->cdc_warn_retained : 0,
        .position_kind = p ? p->cdc_position : NULL,
    };
    if (rc == ARUS_OK && strcmp(r->action, "drop") == 0) {
        rc = arus_source_cdc_drop(src, &o, err);
        if (rc == ARUS_OK && !cli->json)
            printf("dropped the replication slot and publication of pipeline %s\n", pipeline);
    } else if (rc == ARUS_OK) {
        /* The stored position, when the destination has one: a source without a slot (MariaDB)
         * checks it against the log it still keeps. */
        struct arus_table_state ts;
        struct arus_error ignored;
        memset(&ts, 0, sizeof ts);
        arus_error_clear(&ignored);
        if (arus_destination_connect(dst, &ignored) == ARUS_OK &&
            arus_destination_get_watermark(dst, pipeline, ARUS_CDC_POSITION_ROW, a, &ts,
                                           &ignored) == ARUS_OK &&
            ts.watermark && ts.watermark[0])
            o.position = ts.watermark;
        struct arus_cdc_status st;
        rc = arus_source_cdc_status(src, &o, a, &st, err);
        if (rc == ARUS_OK) {
            print_status(cli, pipeline, &st, lag_seconds(&ts, &st));
            if (st.warning)
                fprintf(stderr, "arus: warning: %s\n", st.warning);
        }
    }
    arus_destination_close(dst);
    arus_source_close(src);
    arus_arena_destroy(a);
    return rc;
}

int cmd_cdc(const struct cli *cli)
{
    struct cdc_run r = {0};
    const struct cli_args spec = {.help = cdc_help, .pos = {&r.action, &r.pipeline}};
    int ec;
    if (!cli_parse_args(cli, &spec, &ec))
        return ec;
    if (!r.action || !r.pipeline ||
        (strcmp(r.action, "status") != 0 && strcmp(r.action, "drop") != 0)) {
        fprintf(stderr, "arus: cdc: expected status or drop and a PIPELINE (see arus cdc "
                        "--help)\n");
        return EXIT_USAGE;
    }
    return cli_run(cli, run_cdc, &r);
}

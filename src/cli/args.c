/* Shared plumbing of the CLI verbs: one argument parser driven by a per-verb table of options
 * (so every verb answers --help, --json, unknown and missing arguments the same way), and the
 * "load the config, run, print the error, map its code to an exit status" tail. */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static bool is_opt(const struct cli_opt *o, const char *a)
{
    return strcmp(a, o->name) == 0 || (o->alias && strcmp(a, o->alias) == 0);
}

/* Apply option o found at argv[*i]; false (message printed) when its value is wrong. */
static bool take_opt(const struct cli *cli, const struct cli_opt *o, int *i)
{
    if (o->flag) {
        *o->flag = true;
        return true;
    }
    const char *v = cli->argv[++*i];
    if (o->value) {
        *o->value = v;
        return true;
    }
    char *end;
    *o->number = strtol(v, &end, 10);
    if (*end || *o->number <= 0) {
        fprintf(stderr, "arus: %s: %s needs a positive number\n", cli->argv[0], o->name);
        return false;
    }
    return true;
}

bool cli_parse_args(const struct cli *cli, const struct cli_args *spec, int *exit_code)
{
    size_t npos = 0;
    *exit_code = 0;
    for (int i = 1; i < cli->argc; i++) {
        const char *a = cli->argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            puts(spec->help);
            return false;
        }
        const struct cli_opt *o = spec->opts;
        /* A valued option without its value is an unexpected argument. */
        while (o && o->name && !(is_opt(o, a) && (o->flag || i + 1 < cli->argc)))
            o++;
        if (o && o->name) {
            if (!take_opt(cli, o, &i)) {
                *exit_code = EXIT_USAGE;
                return false;
            }
        } else if (strcmp(a, "--json") == 0) {
            /* main() already set cli->json */
        } else if (a[0] != '-' && npos < CLI_MAX_POSITIONAL && spec->pos[npos]) {
            *spec->pos[npos++] = a;
        } else {
            fprintf(stderr, "arus: %s: unexpected argument \"%s\"\n", cli->argv[0], a);
            *exit_code = EXIT_USAGE;
            return false;
        }
    }
    if (spec->missing && npos == 0) {
        fprintf(stderr, "arus: %s: %s\n", cli->argv[0], spec->missing);
        *exit_code = EXIT_USAGE;
        return false;
    }
    return true;
}

int cli_run(const struct cli *cli, cli_run_fn fn, void *ctx)
{
    struct arus_config *cfg = NULL;
    int ec = cli_load_config(cli, &cfg);
    if (ec)
        return ec;
    struct arus_error err;
    arus_error_clear(&err);
    int rc = fn(cli, cfg, ctx, &err);
    ec = rc ? cli_fail(&err) : 0;
    arus_config_destroy(cfg);
    return ec;
}

int cli_open_pipeline(const struct arus_config *cfg, const char *name,
                      const struct arus_pipeline **p, struct arus_destination **dst,
                      struct arus_error *err)
{
    *p = arus_config_pipeline(cfg, name);
    if (!*p)
        return arus_error_set(err, ARUS_ECONFIG, "%s: no pipeline named \"%s\"", cfg->path, name);
    int rc = arus_destination_create(arus_config_destination(cfg, (*p)->destination), dst, err);
    return rc ? rc : arus_destination_connect(*dst, err);
}

struct pipeline_run {
    const char *pipeline;
    cli_pipeline_fn fn;
    void *ctx;
};

static int run_on_pipeline(const struct cli *cli, const struct arus_config *cfg, void *ctx,
                           struct arus_error *err)
{
    const struct pipeline_run *r = ctx;
    const struct arus_pipeline *p = NULL;
    struct arus_destination *dst = NULL;
    int rc = cli_open_pipeline(cfg, r->pipeline, &p, &dst, err);
    if (rc == ARUS_OK)
        rc = r->fn(cli, cfg, p, dst, r->ctx, err);
    arus_destination_close(dst);
    return rc;
}

int cli_run_pipeline(const struct cli *cli, const char *pipeline, cli_pipeline_fn fn, void *ctx)
{
    struct pipeline_run r = {.pipeline = pipeline, .fn = fn, .ctx = ctx};
    return cli_run(cli, run_on_pipeline, &r);
}

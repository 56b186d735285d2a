/* arus serve [--listen HOST:PORT]: run pipelines on their schedules with the REST API, metrics,
 * webhooks and the web console (src/serve/). */
#include "cli/cli.h"
#include "serve/serve.h"

int cmd_serve(const struct cli *cli)
{
    const char *listen = NULL;
    const struct cli_opt opts[] = {
        {.name = "--listen", .value = &listen},
        {0},
    };
    const struct cli_args spec = {
        .help = "usage: arus serve [--listen HOST:PORT]\n"
                "Run the pipelines on their schedules (schedule:, depends_on:) and serve the\n"
                "REST API (/api/v1), /metrics, /healthz and the web console on HOST:PORT\n"
                "(default serve.listen or " SERVE_DEFAULT_LISTEN "). SIGTERM/SIGINT stop after\n"
                "the runs in flight; SIGHUP reloads the config.",
        .opts = opts,
    };
    int ec;
    if (!cli_parse_args(cli, &spec, &ec))
        return ec;
    /* serve owns the config from here on (it rereads it on SIGHUP): not cli_run's shape */
    struct arus_config *cfg = NULL;
    if ((ec = cli_load_config(cli, &cfg)))
        return ec;
    struct arus_error err;
    arus_error_clear(&err);
    int rc = serve_main(cli->config_path, cfg, listen, &err);
    return rc ? cli_fail(&err) : 0;
}

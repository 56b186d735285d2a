/* arus serve [--listen HOST:PORT]: run pipelines on their schedules with the REST API, metrics,
 * webhooks and the web console (src/serve/). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "serve/serve.h"

int cmd_serve(const struct cli *cli)
{
    const char *listen = NULL;
    for (int i = 1; i < cli->argc; i++) {
        const char *a = cli->argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            puts("usage: arus serve [--listen HOST:PORT]\n"
                 "Run the pipelines on their schedules (schedule:, depends_on:) and serve the\n"
                 "REST API (/api/v1), /metrics, /healthz and the web console on HOST:PORT\n"
                 "(default serve.listen or " SERVE_DEFAULT_LISTEN "). SIGTERM/SIGINT stop after\n"
                 "the runs in flight; SIGHUP reloads the config.");
            return 0;
        } else if (strcmp(a, "--listen") == 0 && i + 1 < cli->argc) {
            listen = cli->argv[++i];
        } else if (strcmp(a, "--json") != 0) {
            fprintf(stderr, "arus: serve: unexpected argument \"%s\"\n", a);
            return EXIT_USAGE;
        }
    }
    struct arus_config *cfg = NULL;
    int ec = cli_load_config(cli, &cfg);
    if (ec)
        return ec;
    struct arus_error err;
    arus_error_clear(&err);
    int rc = serve_main(cli->config_path, cfg, listen, &err);
    return rc ? cli_fail(&err) : 0;
}

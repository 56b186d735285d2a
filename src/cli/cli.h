/* Shared state and helpers of the arus CLI verbs. */
#ifndef ARUS_CLI_H
#define ARUS_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "arus/arus.h"

/* Documented exit codes (README "Exit codes"). */
enum cli_exit {
    EXIT_OK_ = 0,
    EXIT_INTERNAL = 1,
    EXIT_USAGE = 2,
    EXIT_CONFIG = 3,
    EXIT_CONNECT = 4,
    EXIT_FAILED = 5,
    EXIT_BUSY = 6,
    EXIT_UNSUPPORTED = 7, /* the connector cannot do what was asked (ARUS_ENOTSUP) */
    EXIT_DRIFT = 8,       /* arus verify found rows that differ */
};

struct cli {
    const char *config_path;
    bool json;
    int argc;         /* the verb's own arguments (argv[0] is the verb) */
    char **argv;
};

/* Exit code for an arus error code. */
int cli_exit_code(int code);
/* Print "arus: <message>" to stderr and return the exit code for err. */
int cli_fail(const struct arus_error *err);
/* Load the config named by cli->config_path; prints the error and returns an exit code > 0 on
 * failure, 0 on success. */
int cli_load_config(const struct cli *cli, struct arus_config **cfg);
/* True if argv holds --help / -h. */
bool cli_wants_help(int argc, char **argv);

/* JSON output helpers: a string value (or null), and "key": prefixes. */
void json_str(FILE *f, const char *s);
void json_key(FILE *f, const char *key, bool first);
/* "key": "value" (value may be NULL: null), preceded by a comma unless first. */
void json_field(FILE *f, const char *key, const char *value, bool first);

/* Pipeline `name` of cfg and its destination, created and connected (nothing created there).
 * ARUS_ECONFIG naming the config file when there is no such pipeline. */
int cli_open_pipeline(const struct arus_config *cfg, const char *name,
                      const struct arus_pipeline **p, struct arus_destination **dst,
                      struct arus_error *err);

int cmd_connectors(const struct cli *cli);
int cmd_check(const struct cli *cli);
int cmd_discover(const struct cli *cli);
int cmd_sync(const struct cli *cli);
int cmd_state(const struct cli *cli);
int cmd_runs(const struct cli *cli);
int cmd_verify(const struct cli *cli);
int cmd_cdc(const struct cli *cli);
int cmd_reset(const struct cli *cli);
int cmd_dead_letters(const struct cli *cli);
int cmd_serve(const struct cli *cli);

#endif

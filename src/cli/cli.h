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

/* An option a verb accepts besides --help/-h and --json (which every verb accepts): a flag
 * (sets *flag), a value (the next argument goes to *value) or a positive number (the next
 * argument, parsed, goes to *number). Exactly one of flag, value, number is set. */
struct cli_opt {
    const char *name;  /* "--table" */
    const char *alias; /* "-y", or NULL */
    bool *flag;
    const char **value;
    long *number;
};

enum { CLI_MAX_POSITIONAL = 2 };

/* What a verb accepts: the help printed on --help/-h, its options (ended by an entry without a
 * name; NULL for none), its positional arguments (filled in order; a NULL slot ends them), and
 * the message printed as "arus: VERB: <missing>" when the first one is absent (NULL: the verb
 * checks itself). */
struct cli_args {
    const char *help;
    const struct cli_opt *opts;
    const char **pos[CLI_MAX_POSITIONAL];
    const char *missing;
};

/* Parse the verb's arguments cli->argv[1..] against spec. False when the verb must end with
 * *exit_code: 0 after printing the help, EXIT_USAGE after "arus: VERB: unexpected argument
 * \"A\"" (or the missing message, or "OPT needs a positive number") on stderr. */
bool cli_parse_args(const struct cli *cli, const struct cli_args *spec, int *exit_code);

/* What a verb does with the loaded config: ARUS_OK, or a negative code with err set. */
typedef int (*cli_run_fn)(const struct cli *cli, const struct arus_config *cfg, void *ctx,
                          struct arus_error *err);
/* Load the config, run fn, print its error: the exit status (0, or the one of the error). */
int cli_run(const struct cli *cli, cli_run_fn fn, void *ctx);

/* What a verb does once the destination of its pipeline p is connected. */
typedef int (*cli_pipeline_fn)(const struct cli *cli, const struct arus_config *cfg,
                               const struct arus_pipeline *p, struct arus_destination *dst,
                               void *ctx, struct arus_error *err);
/* cli_run() connecting the destination of pipeline `pipeline` (cli_open_pipeline) for fn. */
int cli_run_pipeline(const struct cli *cli, const char *pipeline, cli_pipeline_fn fn, void *ctx);

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

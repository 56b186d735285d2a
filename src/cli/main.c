/* arus CLI entry point: global options, verb dispatch, help and exit codes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

static const char usage[] =
    "usage: arus [-c arus.yml] [--json] [-v|-q] [--log-format F] <command> [args]\n"
    "\n"
    "commands:\n"
    "  connectors                 list registered source and destination connectors\n"
    "  check                      test the connection of every source and destination\n"
    "  discover SOURCE [--schemas] [--pipeline P]\n"
    "                             list tables, columns, detected sync mode, row estimate\n"
    "                             (--schemas: the source's schemas; --pipeline: what P's\n"
    "                             rules select)\n"
    "  sync PIPELINE [--table T] [--full-refresh] [--from VALUE] [--follow]\n"
    "                             run a pipeline (all its tables, or one; --from: backfill);\n"
    "                             --follow keeps applying the change log (sync_mode: cdc)\n"
    "                             until SIGTERM\n"
    "  state PIPELINE             show stored watermarks\n"
    "  runs PIPELINE [--limit N]  show run history, newest first\n"
    "  verify PIPELINE [--table T] [--repair]\n"
    "                             compare source and destination rows by primary key\n"
    "                             (--repair: re-copy missing/changed rows, delete extra ones)\n"
    "  cdc status|drop PIPELINE   change capture: slot, lag, retained log | drop slot and\n"
    "                             publication\n"
    "  reset PIPELINE [--table T] [--yes]\n"
    "                             forget stored watermarks: the next sync reloads in full\n"
    "  dead-letters PIPELINE [--table T] [--replay]\n"
    "                             list refused rows with the reason; --replay loads them again\n"
    "  serve [--listen HOST:PORT] run pipelines on schedules with a REST API, metrics and\n"
    "                             a web console (default 127.0.0.1:8420)\n"
    "\n"
    "options:\n"
    "  -c, --config FILE   config file (default: $ARUS_CONFIG or ./arus.yml)\n"
    "  --json              machine-readable output\n"
    "  -v, --verbose       more logging (repeat for debug/trace); -q, --quiet: errors only\n"
    "  --log-format F      text (default) or json: one JSON object per log line\n"
    "                      (also $ARUS_LOG_FORMAT)\n"
    "  -h, --help          this help (also: arus <command> --help)\n"
    "  --version           print the version\n"
    "\n"
    "exit codes: 0 ok, 1 internal error, 2 usage, 3 config error, 4 connection error,\n"
    "            5 sync/operation failed, 6 pipeline already running,\n"
    "            7 not supported by the connector, 8 verify found drift\n";

int cli_exit_code(int code)
{
    switch (code) {
    case ARUS_OK: return EXIT_OK_;
    case ARUS_ECONFIG: return EXIT_CONFIG;
    case ARUS_ECONNECT:
    case ARUS_ETIMEOUT: return EXIT_CONNECT;
    case ARUS_EBUSY: return EXIT_BUSY;
    case ARUS_ENOTSUP: return EXIT_UNSUPPORTED;
    case ARUS_EINTERNAL: return EXIT_INTERNAL;
    default: return EXIT_FAILED;
    }
}

int cli_fail(const struct arus_error *err)
{
    const char *msg = err->msg[0] ? err->msg : arus_code_name(err->code);
    if (arus_log_get_format() == ARUS_LOG_FORMAT_JSON)
        arus__log_write(ARUS_LOG_ERROR, "arus", "%s", msg);
    else
        fprintf(stderr, "arus: %s\n", msg);
    return cli_exit_code(err->code);
}

int cli_load_config(const struct cli *cli, struct arus_config **cfg)
{
    struct arus_error err;
    arus_error_clear(&err);
    if (arus_config_load(cli->config_path, cfg, &err) != ARUS_OK)
        return cli_fail(&err);
    return 0;
}

bool cli_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return true;
    return false;
}

void json_str(FILE *f, const char *s)
{
    if (!s) {
        fputs("null", f);
        return;
    }
    struct arus_strbuf sb;
    arus_strbuf_init(&sb);
    arus_json_quote(&sb, s, strlen(s));
    fwrite(sb.data, 1, sb.len, f);
    arus_strbuf_cleanup(&sb);
}

void json_key(FILE *f, const char *key, bool first)
{
    if (!first)
        fputc(',', f);
    json_str(f, key);
    fputc(':', f);
}

void json_field(FILE *f, const char *key, const char *value, bool first)
{
    json_key(f, key, first);
    json_str(f, value);
}

static const struct {
    const char *name;
    int (*fn)(const struct cli *);
} verbs[] = {
    {"connectors", cmd_connectors}, {"check", cmd_check}, {"discover", cmd_discover},
    {"sync", cmd_sync},             {"state", cmd_state}, {"runs", cmd_runs},
    {"verify", cmd_verify},
    {"cdc", cmd_cdc},
    {"reset", cmd_reset},           {"dead-letters", cmd_dead_letters},
    {"serve", cmd_serve},
};

int main(int argc, char **argv)
{
    struct cli cli = {.config_path = getenv("ARUS_CONFIG")};
    if (!cli.config_path)
        cli.config_path = "arus.yml";
    int verbosity = ARUS_LOG_WARN;
    const char *env_level = getenv("ARUS_LOG_LEVEL");
    if (env_level && arus_log_level_parse(env_level) >= 0)
        verbosity = arus_log_level_parse(env_level);
    const char *format = getenv("ARUS_LOG_FORMAT");
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        if ((strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) && i + 1 < argc)
            cli.config_path = argv[++i];
        else if (strcmp(a, "--json") == 0)
            cli.json = true;
        else if (strcmp(a, "--log-format") == 0 && i + 1 < argc)
            format = argv[++i];
        else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0)
            verbosity++;
        else if (strcmp(a, "-vv") == 0)
            verbosity += 2;
        else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0)
            verbosity = ARUS_LOG_ERROR;
        else if (strcmp(a, "--version") == 0) {
            printf("arus %s\n", ARUS_VERSION);
            return 0;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(usage, stdout);
            return 0;
        } else {
            fprintf(stderr, "arus: unknown option \"%s\"\n%s", a, usage);
            return EXIT_USAGE;
        }
    }
    arus_log_set_level(verbosity > ARUS_LOG_TRACE ? ARUS_LOG_TRACE : verbosity);
    if (format && arus_log_format_parse(format) < 0) {
        fprintf(stderr, "arus: --log-format: expected text or json, got \"%s\"\n", format);
        return EXIT_USAGE;
    }
    if (format)
        arus_log_set_format((enum arus_log_format)arus_log_format_parse(format));
    if (i >= argc) {
        fputs(usage, stderr);
        return EXIT_USAGE;
    }
    /* Options may also follow the verb (arus sync p --json). */
    for (int k = i + 1; k < argc; k++)
        if (strcmp(argv[k], "--json") == 0)
            cli.json = true;
    cli.argc = argc - i;
    cli.argv = argv + i;
    for (size_t v = 0; v < sizeof verbs / sizeof *verbs; v++)
        if (strcmp(argv[i], verbs[v].name) == 0)
            return verbs[v].fn(&cli);
    fprintf(stderr, "arus: unknown command \"%s\"\n%s", argv[i], usage);
    return EXIT_USAGE;
}

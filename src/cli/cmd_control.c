/* Operator controls: arus reset PIPELINE (forget stored watermarks so the next sync reloads in
 * full) and arus dead-letters PIPELINE (list the rows the destination refused, --replay them
 * once the destination was fixed). Both hold the pipeline lock while they change anything. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

/* Arguments shared by both verbs: PIPELINE [--table T] plus the verb's flags. */
struct control_args {
    const char *pipeline;
    const char *table;
    bool yes;    /* reset: confirmed on the command line */
    bool replay; /* dead-letters */
};

/* Parse the verb's arguments: PIPELINE [--table T] plus its own flag (reset: --yes/-y,
 * dead-letters: --replay). False when the verb must end with *exit_code. */
static bool parse_args(const struct cli *cli, const char *help, const char *missing, bool reset,
                       struct control_args *a, int *exit_code)
{
    memset(a, 0, sizeof *a);
    const struct cli_opt opts[] = {
        {.name = "--table", .value = &a->table},
        reset ? (struct cli_opt){.name = "--yes", .alias = "-y", .flag = &a->yes}
              : (struct cli_opt){.name = "--replay", .flag = &a->replay},
        {0},
    };
    const struct cli_args spec = {
        .help = help, .opts = opts, .pos = {&a->pipeline}, .missing = missing};
    return cli_parse_args(cli, &spec, exit_code);
}

/* Ask on a terminal; elsewhere the operator must have said --yes. */
static int confirm_reset(const struct control_args *a)
{
    if (a->yes)
        return 0;
    if (!isatty(STDIN_FILENO)) {
        fprintf(stderr, "arus: reset: this forgets stored watermarks; confirm with --yes\n");
        return EXIT_USAGE;
    }
    fprintf(stderr,
            "Forget the stored watermark of %s%s%s in pipeline \"%s\"? The next sync reloads "
            "it in full. [y/N] ",
            a->table ? "table \"" : "every table", a->table ? a->table : "", a->table ? "\"" : "",
            a->pipeline);
    char line[16];
    if (fgets(line, sizeof line, stdin) && (line[0] == 'y' || line[0] == 'Y'))
        return 0;
    fprintf(stderr, "arus: reset: cancelled\n");
    return EXIT_USAGE;
}

/* The tables with stored state (a watermark of either kind), allocated in ar. */
static int stored_tables(struct arus_destination *dst, const char *pipeline, struct arus_arena *ar,
                         const char ***names, size_t *n, struct arus_error *err)
{
    const char **tables = NULL;
    struct arus_table_state *st = NULL;
    size_t all = 0;
    int rc = arus_destination_list_state(dst, pipeline, ar, &tables, &st, &all, err);
    if (rc)
        return rc;
    *n = 0;
    *names = arus_arena_calloc(ar, all + 1, sizeof **names);
    for (size_t i = 0; i < all; i++)
        if (st[i].watermark || st[i].deletes_watermark)
            (*names)[(*n)++] = tables[i];
    return ARUS_OK;
}

static int do_reset(const struct cli *cli, const struct arus_config *cfg,
                    const struct arus_pipeline *p, struct arus_destination *dst, void *ctx,
                    struct arus_error *err)
{
    const struct control_args *a = ctx;
    (void)cfg;
    (void)p;
    struct arus_arena *ar = arus_arena_create(0);
    const char **names = NULL;
    size_t n = 0;
    bool locked = false;
    int64_t forgotten = 0;
    int rc = arus_destination_lock(dst, a->pipeline, err);
    locked = rc == ARUS_OK;
    if (rc == ARUS_OK)
        rc = stored_tables(dst, a->pipeline, ar, &names, &n, err);
    bool known = !a->table;
    for (size_t i = 0; rc == ARUS_OK && a->table && i < n; i++)
        known |= strcmp(names[i], a->table) == 0;
    if (rc == ARUS_OK && !known)
        rc = arus_error_set(err, ARUS_ENOTFOUND,
                            "reset: pipeline \"%s\" has no stored state for table \"%s\"",
                            a->pipeline, a->table);
    /* a whole pipeline's reset also forgets what no listed table shows: the rows of a split
     * load that never finished a table (its next run would resume into a shadow the user may
     * have dropped since) */
    if (rc == ARUS_OK && (n || !a->table))
        rc = arus_destination_forget_state(dst, a->pipeline, a->table, &forgotten, err);
    if (rc == ARUS_OK && cli->json) {
        printf("{");
        json_field(stdout, "pipeline", a->pipeline, true);
        printf(",\"tables\":[");
        for (size_t i = 0, k = 0; i < n; i++)
            if (!a->table || strcmp(names[i], a->table) == 0) {
                printf(k++ ? "," : "");
                json_str(stdout, names[i]);
            }
        printf("]}\n");
    } else if (rc == ARUS_OK && n == 0 && forgotten) {
        printf("reset pipeline \"%s\": forgot an unfinished split load; the next sync starts "
               "over\n",
               a->pipeline);
    } else if (rc == ARUS_OK && n == 0) {
        printf("pipeline \"%s\" has no stored state: nothing to reset\n", a->pipeline);
    } else if (rc == ARUS_OK) {
        /* tables, not rows: split-load rows go with them */
        printf("reset pipeline \"%s\": forgot the stored state of %zu table(s):", a->pipeline,
               a->table ? (size_t)1 : n);
        for (size_t i = 0; i < n; i++)
            if (!a->table || strcmp(names[i], a->table) == 0)
                printf(" %s", names[i]);
        printf("; the next sync reloads %s in full\n", a->table ? "it" : "them");
    }
    if (locked) {
        struct arus_error ignored;
        arus_error_clear(&ignored);
        arus_destination_unlock(dst, a->pipeline, &ignored);
    }
    arus_arena_destroy(ar);
    return rc;
}

int cmd_reset(const struct cli *cli)
{
    struct control_args a;
    int ec;
    if (!parse_args(cli,
                    "usage: arus reset PIPELINE [--table T] [--yes] [--json]\n"
                    "Forget the stored watermarks of the pipeline (or of table T only): the\n"
                    "next sync re-reads those tables in full into a shadow table and swaps\n"
                    "it in. Asks for confirmation on a terminal; elsewhere needs --yes.\n"
                    "Run history is kept. Exit 5 when T has no stored state.",
                    "missing PIPELINE (see arus reset --help)", true, &a, &ec))
        return ec;
    if ((ec = confirm_reset(&a)))
        return ec;
    return cli_run_pipeline(cli, a.pipeline, do_reset, &a);
}

static void print_dead_letters(const struct cli *cli, const struct arus_dead_letter *dl, size_t n)
{
    if (cli->json) {
        printf("[");
        for (size_t i = 0; i < n; i++) {
            printf(i ? ",{" : "{");
            json_field(stdout, "table", dl[i].table, true);
            json_field(stdout, "created_at", dl[i].created_at, false);
            json_field(stdout, "run_id", dl[i].run_id, false);
            json_field(stdout, "error", dl[i].error, false);
            /* the row as the JSON object it is stored as */
            printf(",\"row\":%s}", dl[i].row_data && dl[i].row_data[0] ? dl[i].row_data : "null");
        }
        printf("]\n");
        return;
    }
    printf("%-24s %-26s %s\n", "TABLE", "CREATED_AT", "ERROR / ROW");
    for (size_t i = 0; i < n; i++)
        printf("%-24s %-26s %s\n%-51s %s\n", dl[i].table, dl[i].created_at ? dl[i].created_at : "-",
               dl[i].error, "", dl[i].row_data);
    printf("%zu dead letter(s)\n", n);
}

static int do_list(const struct cli *cli, const struct arus_config *cfg,
                   const struct arus_pipeline *p, struct arus_destination *dst, void *ctx,
                   struct arus_error *err)
{
    const struct control_args *a = ctx;
    (void)cfg;
    struct arus_arena *ar = arus_arena_create(0);
    struct arus_dead_letter *dl = NULL;
    size_t n = 0;
    struct arus_target t = {.pipeline = p->name,
                            .source_name = p->source,
                            .table = a->table,
                            .raw_schema = p->raw_schema,
                            .target_schema = p->target_schema};
    int rc = arus_destination_list_dead_letters(dst, &t, ar, &dl, &n, err);
    if (rc == ARUS_OK)
        print_dead_letters(cli, dl, n);
    arus_arena_destroy(ar);
    return rc;
}

static int do_replay(const struct cli *cli, const struct arus_config *cfg,
                     const struct arus_pipeline *p, struct arus_destination *dst, void *ctx,
                     struct arus_error *err)
{
    const struct control_args *a = ctx;
    struct arus_source *src = NULL;
    struct arus_replay_report rep;
    memset(&rep, 0, sizeof rep);
    int rc = arus_source_create(arus_config_source(cfg, p->source), &src, err);
    if (rc == ARUS_OK)
        rc = arus_dead_letters_replay(src, dst, p, a->table, &rep, err);
    if (rc == ARUS_OK || rc == ARUS_EDATA) {
        if (cli->json)
            printf("{\"replayed\":%lld,\"still_refused\":%lld}\n", (long long)rep.replayed,
                   (long long)rep.still_refused);
        else
            printf("replayed %lld dead letter(s) of pipeline \"%s\"; %lld still refused\n",
                   (long long)rep.replayed, a->pipeline, (long long)rep.still_refused);
    }
    arus_source_close(src);
    return rc;
}

int cmd_dead_letters(const struct cli *cli)
{
    struct control_args a;
    int ec;
    if (!parse_args(cli,
                    "usage: arus dead-letters PIPELINE [--table T] [--json] [--replay]\n"
                    "List the rows the destination refused (kept in <raw_schema>._dead_letters)\n"
                    "with the reason, oldest first. --replay loads them again: rows that now\n"
                    "load leave the table; exit 5 when some are still refused.",
                    "missing PIPELINE (see arus dead-letters --help)", false, &a, &ec))
        return ec;
    return cli_run_pipeline(cli, a.pipeline, a.replay ? do_replay : do_list, &a);
}

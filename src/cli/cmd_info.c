/* arus connectors | check | discover: what is registered, whether endpoints answer, and what a
 * source holds. */
#include <string.h>

#include "cli/cli.h"

/* One registered connector as `arus connectors` shows it. */
struct entry {
    const char *name;    /* registered name (may be an alias) */
    const char *impl;    /* the ops table's own name */
    const char *caps[4]; /* what it can do, ncaps words */
    size_t ncaps;
};

/* Entry i of the source registry; false past the end. */
static bool source_entry(size_t i, struct entry *e)
{
    const struct arus_source_ops *ops = NULL;
    if (!(e->name = arus_registry_source_name(i, &ops)))
        return false;
    e->impl = ops->name;
    e->ncaps = 0;
    if (arus_source_ops_can_extract_soft_deletes(ops))
        e->caps[e->ncaps++] = "soft_deletes";
    if (arus_source_ops_can_discover_schemas(ops))
        e->caps[e->ncaps++] = "schemas";
    if (arus_source_ops_can_cdc(ops))
        e->caps[e->ncaps++] = "cdc";
    return true;
}

static bool destination_entry(size_t i, struct entry *e)
{
    const struct arus_destination_ops *ops = NULL;
    if (!(e->name = arus_registry_destination_name(i, &ops)))
        return false;
    e->impl = ops->name;
    e->ncaps = 0;
    if (arus_destination_ops_has_transactions(ops))
        e->caps[e->ncaps++] = "transactions";
    if (arus_destination_ops_can_delete_rows(ops))
        e->caps[e->ncaps++] = "soft_deletes";
    if (arus_destination_ops_can_dead_letter(ops))
        e->caps[e->ncaps++] = "dead_letters";
    if (arus_destination_ops_can_read_rows(ops))
        e->caps[e->ncaps++] = "verify";
    return true;
}

static void print_entry_text(const char *kind, const struct entry *e)
{
    printf("%-12s %-12s %-14s ", kind, e->name, e->impl);
    for (size_t c = 0; c < e->ncaps; c++)
        printf("%s%s", c ? "," : "", e->caps[c]);
    printf("%s\n", e->ncaps ? "" : "-");
}

static void print_entry_json(const struct entry *e, bool first)
{
    printf(first ? "{" : ",{");
    json_field(stdout, "name", e->name, true);
    json_field(stdout, "implementation", e->impl, false);
    json_key(stdout, "capabilities", false);
    printf("[");
    for (size_t c = 0; c < e->ncaps; c++) {
        printf(c ? "," : "");
        json_str(stdout, e->caps[c]);
    }
    printf("]}");
}

int cmd_connectors(const struct cli *cli)
{
    if (cli_wants_help(cli->argc, cli->argv)) {
        puts("usage: arus connectors [--json]\nList registered connectors ("
             "mariadb is an alias of mysql) and what each\ncan do: transactions (a batch and its "
             "watermark commit together), soft_deletes\n(extract deleted rows / delete them by "
             "key), dead_letters (keep refused rows),\nschemas (arus discover --schemas), verify "
             "(read typed rows back: arus verify,\ndelete_missing).");
        return 0;
    }
    static const struct {
        const char *kind;
        bool (*entry)(size_t, struct entry *);
    } registries[] = {{"source", source_entry}, {"destination", destination_entry}};
    if (cli->json)
        printf("{");
    else
        printf("%-12s %-12s %-14s %s\n", "KIND", "NAME", "IMPLEMENTATION", "CAPABILITIES");
    for (size_t k = 0; k < 2; k++) {
        struct entry e;
        if (cli->json)
            printf("%s\"%ss\":[", k ? "," : "", registries[k].kind);
        for (size_t i = 0; registries[k].entry(i, &e); i++) {
            if (cli->json)
                print_entry_json(&e, i == 0);
            else
                print_entry_text(registries[k].kind, &e);
        }
        if (cli->json)
            printf("]");
    }
    if (cli->json)
        printf("}\n");
    return 0;
}

/* Connect + round trip one endpoint; fills err on failure. */
static int check_endpoint(const struct arus_endpoint *ep, bool is_source, struct arus_error *err)
{
    int rc;
    if (is_source) {
        struct arus_source *s = NULL;
        if ((rc = arus_source_create(ep, &s, err)) == ARUS_OK &&
            (rc = arus_source_connect(s, err)) == ARUS_OK)
            rc = arus_source_test_connection(s, err);
        arus_source_close(s);
    } else {
        struct arus_destination *d = NULL;
        if ((rc = arus_destination_create(ep, &d, err)) == ARUS_OK &&
            (rc = arus_destination_connect(d, err)) == ARUS_OK)
            rc = arus_destination_test_connection(d, err);
        arus_destination_close(d);
    }
    return rc;
}

int cmd_check(const struct cli *cli)
{
    if (cli_wants_help(cli->argc, cli->argv)) {
        puts("usage: arus check [--json]\nConnect to every source and destination of the config "
             "and run a round trip.\nExit 4 if any fails.");
        return 0;
    }
    struct arus_config *cfg = NULL;
    int ec = cli_load_config(cli, &cfg);
    if (ec)
        return ec;
    int worst = 0;
    if (cli->json)
        printf("[");
    size_t total = cfg->nsources + cfg->ndestinations;
    for (size_t i = 0; i < total; i++) {
        bool is_source = i < cfg->nsources;
        const struct arus_endpoint *ep =
            is_source ? &cfg->sources[i] : &cfg->destinations[i - cfg->nsources];
        struct arus_error err;
        arus_error_clear(&err);
        int rc = check_endpoint(ep, is_source, &err);
        if (rc && !worst)
            worst = cli_exit_code(rc);
        if (cli->json) {
            printf(i ? ",{" : "{");
            json_field(stdout, "kind", is_source ? "source" : "destination", true);
            json_field(stdout, "name", ep->name, false);
            json_field(stdout, "type", ep->type, false);
            json_key(stdout, "ok", false);
            printf(rc ? "false" : "true");
            json_field(stdout, "error", rc ? err.msg : NULL, false);
            printf("}");
        } else {
            printf("%-12s %-20s %-12s %s\n", is_source ? "source" : "destination", ep->name,
                   ep->type, rc ? err.msg : "ok");
        }
    }
    if (cli->json)
        printf("]\n");
    arus_config_destroy(cfg);
    return worst;
}

static const char *load_mode_name(enum arus_load_mode m)
{
    return m == ARUS_LOAD_RAW ? "raw" : m == ARUS_LOAD_NORMALIZED ? "normalized" : "raw+normalized";
}

/* What the pipeline's rules do with column i, for discover --pipeline. */
static const char *column_rule(const struct arus_table_rules *r, size_t i)
{
    if (!r->column_as[i])
        return "excluded";
    return r->hashed[i] ? "hashed" : "kept";
}

static void print_table_json(const struct arus_table_schema *t, const struct arus_sync_mode *m,
                             const struct arus_table_rules *r, bool first)
{
    printf(first ? "{" : ",{");
    json_field(stdout, "schema", t->schema_name, true);
    json_field(stdout, "table", t->name, false);
    json_key(stdout, "row_estimate", false);
    printf("%lld", (long long)t->row_count_estimate);
    json_field(stdout, "sync_mode", m->mode == ARUS_SYNC_INCREMENTAL ? "incremental" : "full_refresh", false);
    json_field(stdout, "watermark_column", m->watermark_column, false);
    json_field(stdout, "deleted_at_column", m->deleted_at_column, false);
    json_key(stdout, "columns", false);
    printf("[");
    for (size_t i = 0; i < t->ncolumns; i++) {
        const struct arus_column *c = &t->columns[i];
        printf(i ? ",{" : "{");
        json_field(stdout, "name", c->name, true);
        json_field(stdout, "source_type", c->source_type, false);
        json_field(stdout, "type", arus_ltype_name(c->type.ltype), false);
        json_key(stdout, "nullable", false);
        printf(c->nullable ? "true" : "false");
        json_key(stdout, "pk", false);
        printf("%d", c->pk_ordinal);
        if (r && r->column_as) {
            json_field(stdout, "rule", column_rule(r, i), false);
            json_field(stdout, "destination_name", r->column_as[i], false);
        }
        printf("}");
    }
    printf("]");
    if (r) {
        json_key(stdout, "pipeline", false);
        printf("{\"selected\":%s", r->selected ? "true" : "false");
        json_field(stdout, "reason", r->why[0] ? r->why : NULL, false);
        json_field(stdout, "destination_table", r->dest_table, false);
        json_field(stdout, "load_mode", load_mode_name(r->load_mode), false);
        printf("}");
    }
    printf("}");
}

static void print_table_text(const struct arus_table_schema *t, const struct arus_sync_mode *m,
                             const struct arus_table_rules *r)
{
    /* Sources name tables outside their default namespace "schema.table" already. */
    size_t sl = t->schema_name ? strlen(t->schema_name) : 0;
    bool qualified = !sl || (strncmp(t->name, t->schema_name, sl) == 0 && t->name[sl] == '.');
    printf("%s%s%s  (~%lld rows)  %s", qualified ? "" : t->schema_name, qualified ? "" : ".",
           t->name, (long long)t->row_count_estimate,
           m->mode == ARUS_SYNC_INCREMENTAL ? "incremental" : "full_refresh");
    if (m->watermark_column)
        printf(" on %s", m->watermark_column);
    if (m->deleted_at_column)
        printf(", soft deletes via %s", m->deleted_at_column);
    if (r && r->selected && r->column_as)
        printf("  -> %s (%s)", r->dest_table, load_mode_name(r->load_mode));
    else if (r)
        printf("  [not synced: %s]", r->why);
    printf("\n");
    for (size_t i = 0; i < t->ncolumns; i++) {
        const struct arus_column *c = &t->columns[i];
        printf("    %-30s %-24s %-12s%s%s", c->name, c->source_type ? c->source_type : "",
               arus_ltype_name(c->type.ltype), c->nullable ? "" : " not null",
               c->pk_ordinal ? " pk" : "");
        if (r && r->selected && r->column_as && strcmp(column_rule(r, i), "kept") != 0)
            printf("  [%s]", column_rule(r, i));
        if (r && r->selected && r->column_as && r->column_as[i] &&
            strcmp(r->column_as[i], c->name) != 0)
            printf("  -> %s", r->column_as[i]);
        printf("\n");
    }
}

/* Connect and list the source's schemas (arus discover SOURCE --schemas): one per line, or a
 * JSON array. */
static int print_schemas(const struct cli *cli, struct arus_source *src, struct arus_arena *a,
                         struct arus_error *err)
{
    char **names = NULL;
    size_t n = 0;
    int rc;
    /* A source without schemas says so without connecting. */
    if ((arus_source_can_discover_schemas(src) && (rc = arus_source_connect(src, err))) ||
        (rc = arus_source_discover_schemas(src, a, &names, &n, err)))
        return rc;
    if (cli->json)
        printf("[");
    for (size_t i = 0; i < n; i++) {
        if (!cli->json) {
            printf("%s\n", names[i]);
            continue;
        }
        printf(i ? "," : "");
        json_str(stdout, names[i]);
    }
    if (cli->json)
        printf("]\n");
    return ARUS_OK;
}

/* An incremental table without primary key cannot re-read rows (it would append them twice),
 * so rows whose watermark is NULL are read by its first sync only: say so now. */
static void warn_keyless_nulls(const struct arus_table_schema *t, const struct arus_sync_mode *m)
{
    int wm = m->watermark_column ? arus_schema_find(t, m->watermark_column) : -1;
    if (m->mode != ARUS_SYNC_INCREMENTAL || wm < 0 || !t->columns[wm].nullable)
        return;
    for (size_t i = 0; i < t->ncolumns; i++)
        if (t->columns[i].pk_ordinal)
            return;
    arus_log(ARUS_LOG_WARN, "discover",
             "table \"%s\" has no primary key: rows whose \"%s\" is NULL will be read by its "
             "first sync only (docs/consistency.md)",
             t->name, m->watermark_column);
}

/* Connect and list the source's tables with columns and detected sync mode. */
/* With a pipeline, each table also shows what its rules select; a rule that does not fit a
 * table is shown there and makes the command end with a config error. */
static int print_tables(const struct cli *cli, struct arus_source *src,
                        const struct arus_pipeline *p, struct arus_arena *a,
                        struct arus_error *err)
{
    struct arus_table_schema *tables = NULL;
    size_t n = 0;
    int rc;
    if ((rc = arus_source_connect(src, err)) ||
        (rc = arus_source_discover_tables(src, a, &tables, &n, err)))
        return rc;
    if (cli->json)
        printf("[");
    for (size_t i = 0; i < n; i++) {
        struct arus_sync_mode m;
        struct arus_table_rules rules;
        struct arus_error why;
        arus_error_clear(&why);
        if (p && arus_pipeline_table_rules(p, &tables[i], a, &rules, &why) != ARUS_OK &&
            rc == ARUS_OK) {
            rules.column_as = NULL;
            rc = arus_error_set(err, ARUS_ECONFIG, "pipeline \"%s\": %s", p->name, why.msg);
        }
        arus_source_detect_sync_mode(src, &tables[i], &m);
        warn_keyless_nulls(&tables[i], &m);
        if (cli->json)
            print_table_json(&tables[i], &m, p ? &rules : NULL, i == 0);
        else
            print_table_text(&tables[i], &m, p ? &rules : NULL);
    }
    if (cli->json)
        printf("]\n");
    return rc;
}

static const char discover_usage[] =
    "usage: arus discover SOURCE [--schemas] [--pipeline P] [--json]\nList the source's tables "
    "with columns (native and logical type), primary key,\nrow estimate and the detected sync "
    "mode. --schemas lists the source's schemas\ninstead (all non-system ones, whatever "
    "schema_include selects); exit 7 for\na source without schemas (only PostgreSQL has them). "
    "--pipeline shows what\nP's rules select: tables synced or not (tables:, exclude:, enabled:),"
    "\ndestination names (rename:), columns excluded or hashed; exit 3 when a\nrule names a "
    "column a table lacks.";

/* The verb's arguments, passed through cli_run(). */
struct discover_run {
    const char *name;
    const char *pipeline;
    bool schemas;
};

static int run_discover(const struct cli *cli, const struct arus_config *cfg, void *ctx,
                        struct arus_error *err)
{
    const struct discover_run *r = ctx;
    const struct arus_endpoint *ep = arus_config_source(cfg, r->name);
    struct arus_source *src = NULL;
    struct arus_arena *a = arus_arena_create(0);
    const struct arus_pipeline *p = r->pipeline ? arus_config_pipeline(cfg, r->pipeline) : NULL;
    int rc;
    if (!ep)
        rc = arus_error_set(err, ARUS_ECONFIG, "%s: no source named \"%s\"", cfg->path, r->name);
    else if (r->pipeline && !p)
        rc = arus_error_set(err, ARUS_ECONFIG, "%s: no pipeline named \"%s\"", cfg->path,
                            r->pipeline);
    else if (p && strcmp(p->source, r->name) != 0)
        rc = arus_error_set(err, ARUS_ECONFIG, "pipeline \"%s\" reads source \"%s\", not \"%s\"",
                            r->pipeline, p->source, r->name);
    else if ((rc = arus_source_create(ep, &src, err)) == ARUS_OK)
        rc = r->schemas ? print_schemas(cli, src, a, err) : print_tables(cli, src, p, a, err);
    arus_source_close(src);
    arus_arena_destroy(a);
    return rc;
}

int cmd_discover(const struct cli *cli)
{
    struct discover_run r = {0};
    const struct cli_opt opts[] = {
        {.name = "--schemas", .flag = &r.schemas},
        {.name = "--pipeline", .value = &r.pipeline},
        {0},
    };
    const struct cli_args spec = {.help = discover_usage, .opts = opts, .pos = {&r.name}};
    int ec;
    /* --help anywhere wins over wrong arguments. */
    if (cli_wants_help(cli->argc, cli->argv)) {
        puts(discover_usage);
        return 0;
    }
    if (!cli_parse_args(cli, &spec, &ec))
        return ec;
    if (!r.name) {
        puts(discover_usage);
        return EXIT_USAGE;
    }
    return cli_run(cli, run_discover, &r);
}

/* Validation of `pipelines:` into struct arus_pipeline: known keys only, source/destination
 * defined, table selection (names, globs, per-table override maps), and typed options with
 * their defaults and ranges. Every error names file:line and the full key path. */
#include <stdio.h>
#include <string.h>

#include "arus/arena.h"
#include "arus/config.h"
#include "arus/error.h"
#include "arus/strbuf.h"
#include "core/config_internal.h"

#define BATCH_MIN 1
#define BATCH_MAX 10000000
#define PARALLELISM_MAX 64

static const char *const pipeline_keys[] = {
    "source",        "destination", "tables",   "batch_size",       "load_mode",
    "target_schema", "raw_schema",  "lookback", "max_dead_letters", "max_retries",
    "initial_backoff", "max_backoff", "commit_horizon", "delete_missing", "sync_mode", "cdc",
    "exclude", "hash_key", "schema_changes", "dropped_columns", "schedule", "timezone", "paused",
    "depends_on", "parallelism", "split_min_rows", NULL,
};
static const char *const cdc_keys[] = {
    "slot", "publication", "create", "warn_retained_bytes", "max_latency", "position", NULL,
};
static const char *const override_keys[] = {
    "name", "watermark_column", "primary_key", "sync_mode", "deleted_at_column",
    "commit_horizon", "delete_missing", "columns", "exclude_columns", "hash_columns", "rename",
    "load_mode", "enabled", "parallelism", NULL,
};

/* Reject any key of map not in keys (NULL-terminated), listing the known ones. */
static int check_keys(const struct arus_cfg_node *map, const char *prefix, const char *const *keys,
                      const char *what, struct arus_error *err)
{
    for (size_t i = 0; i < map->nchildren; i++) {
        const struct arus_cfg_node *n = map->children[i];
        size_t k = 0;
        while (keys[k] && strcmp(keys[k], n->key) != 0)
            k++;
        if (keys[k])
            continue;
        struct arus_strbuf sb;
        arus_strbuf_init(&sb);
        arus_strbuf_appendf(&sb, "unknown %s (known: ", what);
        for (k = 0; keys[k]; k++)
            arus_strbuf_appendf(&sb, "%s%s", k ? ", " : "", keys[k]);
        arus_strbuf_putc(&sb, ')');
        int rc = arus__cfg_fail(n, prefix, n->key, err, arus_strbuf_cstr(&sb));
        arus_strbuf_cleanup(&sb);
        return rc;
    }
    return ARUS_OK;
}

/* A non-empty optional string (schema or column name). */
static int opt_name(const struct arus_cfg_node *map, const char *prefix, const char *key,
                    const char **out, struct arus_error *err)
{
    const char *v = NULL;
    int rc = arus__cfg_str(map, prefix, key, &v, err);
    if (rc == ARUS_OK && v && !v[0])
        return arus__cfg_fail(arus_cfg_get(map, key), prefix, key, err, "must not be empty");
    if (rc == ARUS_OK && v)
        *out = v;
    return rc;
}

/* `source:` / `destination:` naming an endpoint defined in the same file. */
static int endpoint_ref(const struct arus_config *cfg, const struct arus_cfg_node *map,
                        const char *prefix, const char *key, const char **out,
                        struct arus_error *err)
{
    bool source = strcmp(key, "source") == 0;
    const char *name;
    int rc = arus__cfg_require_str(map, prefix, key, &name, err);
    if (rc)
        return rc;
    if (source ? arus_config_source(cfg, name) : arus_config_destination(cfg, name)) {
        *out = name;
        return ARUS_OK;
    }
    const struct arus_cfg_node *n = arus_cfg_get(map, key);
    char why[300];
    snprintf(why, sizeof why, "%s \"%.200s\" is not defined under %s", key, arus__cfg_shown(n),
             source ? "sources" : "destinations");
    return arus__cfg_fail(n, prefix, key, err, why);
}

/* primary_key: "a,b" or [a, b]; stored comma-separated. */
static int primary_key(struct arus_arena *a, const struct arus_cfg_node *item, const char *prefix,
                       const char **out, struct arus_error *err)
{
    static const char expected[] = "expected a column name, \"a,b\" or a list of column names";
    const struct arus_cfg_node *n = arus_cfg_get(item, "primary_key");
    if (!n)
        return ARUS_OK;
    if (n->kind == ARUS_CFG_SCALAR && n->scalar[0]) {
        *out = n->scalar;
        return ARUS_OK;
    }
    if (n->kind != ARUS_CFG_LIST || !n->nchildren)
        return arus__cfg_fail(n, prefix, "primary_key", err, expected);
    struct arus_strbuf sb;
    arus_strbuf_init(&sb);
    for (size_t i = 0; i < n->nchildren; i++) {
        const struct arus_cfg_node *c = n->children[i];
        if (c->kind != ARUS_CFG_SCALAR || !c->scalar[0]) {
            arus_strbuf_cleanup(&sb);
            return arus__cfg_fail(c, prefix, "primary_key", err, expected);
        }
        arus_strbuf_appendf(&sb, "%s%s", i ? "," : "", c->scalar);
    }
    *out = arus_arena_memdup(a, arus_strbuf_cstr(&sb), sb.len);
    arus_strbuf_cleanup(&sb);
    return ARUS_OK;
}

/* sync_mode (of a table or the pipeline) is one of the three words. */
static int sync_mode_word(const struct arus_cfg_node *map, const char *prefix, const char *mode,
                          struct arus_error *err)
{
    if (!mode || strcmp(mode, "incremental") == 0 || strcmp(mode, "full_refresh") == 0 ||
        strcmp(mode, "cdc") == 0)
        return ARUS_OK;
    return arus__cfg_fail(arus_cfg_get(map, "sync_mode"), prefix, "sync_mode", err,
                          "expected incremental, full_refresh or cdc");
}

/* A list of non-empty names (columns, globs) under key; out and n are left alone when absent. */
static int name_list(struct arus_arena *a, const struct arus_cfg_node *map, const char *prefix,
                     const char *key, const char ***out, size_t *n, struct arus_error *err)
{
    const struct arus_cfg_node *l = arus_cfg_get(map, key);
    if (!l)
        return ARUS_OK;
    if (l->kind != ARUS_CFG_LIST || !l->nchildren)
        return arus__cfg_fail(l, prefix, key, err, "expected a non-empty list of names");
    *out = arus_arena_calloc(a, l->nchildren, sizeof **out);
    for (size_t i = 0; i < l->nchildren; i++) {
        const struct arus_cfg_node *c = l->children[i];
        if (c->kind != ARUS_CFG_SCALAR || !c->scalar[0])
            return arus__cfg_fail(c, prefix, key, err, "expected a non-empty name");
        (*out)[i] = c->scalar;
    }
    *n = l->nchildren;
    return ARUS_OK;
}

/* load_mode: normalized | raw | raw+normalized, at pipeline or table level. */
static int load_mode(const struct arus_cfg_node *map, const char *prefix,
                     enum arus_load_mode *out, struct arus_error *err)
{
    const char *mode = NULL;
    int rc = arus__cfg_str(map, prefix, "load_mode", &mode, err);
    if (rc || !mode)
        return rc;
    if (strcmp(mode, "normalized") == 0)
        *out = ARUS_LOAD_NORMALIZED;
    else if (strcmp(mode, "raw") == 0)
        *out = ARUS_LOAD_RAW;
    else if (strcmp(mode, "raw+normalized") == 0)
        *out = ARUS_LOAD_RAW_AND_NORMALIZED;
    else
        return arus__cfg_fail(arus_cfg_get(map, "load_mode"), prefix, "load_mode", err,
                              "expected normalized, raw or raw+normalized");
    return ARUS_OK;
}

/* rename: NEW_TABLE_NAME, or {table: NEW_TABLE_NAME, columns: {source_column: new_name}}. */
static int rename_rule(struct arus_arena *a, const struct arus_cfg_node *item, const char *prefix,
                       struct arus_table_override *o, struct arus_error *err)
{
    static const char expected[] =
        "expected a table name or {table: NAME, columns: {column: new_name, ...}}";
    const struct arus_cfg_node *r = arus_cfg_get(item, "rename");
    if (!r)
        return ARUS_OK;
    if (r->kind == ARUS_CFG_SCALAR && r->scalar[0]) {
        o->rename_table = r->scalar;
        return ARUS_OK;
    }
    const char *rprefix = arus__cfg_join(a, prefix, "rename");
    static const char *const keys[] = {"table", "columns", NULL};
    if (r->kind != ARUS_CFG_MAP)
        return arus__cfg_fail(r, prefix, "rename", err, expected);
    int rc = check_keys(r, rprefix, keys, "rename setting", err);
    if (rc == ARUS_OK)
        rc = opt_name(r, rprefix, "table", &o->rename_table, err);
    const struct arus_cfg_node *cols = arus_cfg_get(r, "columns");
    if (rc || !cols)
        return rc;
    if (cols->kind != ARUS_CFG_MAP || !cols->nchildren)
        return arus__cfg_fail(cols, rprefix, "columns", err,
                              "expected a map of source column -> destination name");
    o->rename_from = arus_arena_calloc(a, cols->nchildren, sizeof *o->rename_from);
    o->rename_to = arus_arena_calloc(a, cols->nchildren, sizeof *o->rename_to);
    for (size_t i = 0; i < cols->nchildren; i++) {
        const struct arus_cfg_node *c = cols->children[i];
        if (c->kind != ARUS_CFG_SCALAR || !c->scalar[0] || !c->key[0])
            return arus__cfg_fail(c, rprefix, "columns", err, "expected column: new_name");
        o->rename_from[i] = c->key;
        o->rename_to[i] = c->scalar;
    }
    o->nrename = cols->nchildren;
    return ARUS_OK;
}

/* The column rules of one table override: columns | exclude_columns, hash_columns, rename,
 * load_mode, enabled. */
static int column_rules(struct arus_arena *a, const struct arus_cfg_node *item, const char *prefix,
                        struct arus_table_override *o, struct arus_error *err)
{
    bool enabled = true;
    int rc = name_list(a, item, prefix, "columns", &o->columns, &o->ncolumns, err);
    if (rc == ARUS_OK)
        rc = name_list(a, item, prefix, "exclude_columns", &o->exclude_columns,
                       &o->nexclude_columns, err);
    if (rc == ARUS_OK && o->columns && o->exclude_columns)
        rc = arus__cfg_fail(arus_cfg_get(item, "exclude_columns"), prefix, "exclude_columns", err,
                            "not allowed together with columns (list what to keep, or what to "
                            "leave out)");
    if (rc == ARUS_OK)
        rc = name_list(a, item, prefix, "hash_columns", &o->hash_columns, &o->nhash_columns, err);
    if (rc == ARUS_OK)
        rc = rename_rule(a, item, prefix, o, err);
    if (rc == ARUS_OK)
        rc = load_mode(item, prefix, &o->load_mode, err);
    if (rc == ARUS_OK)
        rc = arus__cfg_bool(item, prefix, "enabled", &enabled, err);
    o->disabled = !enabled;
    return rc;
}

/* One `tables:` item given as a map: selects `name` and records its override. */
/* `parallelism:` of a pipeline or a table (connection pairs): an integer from 1 to 64. */
static int parallelism(const struct arus_cfg_node *node, const char *prefix, int64_t *out,
                       struct arus_error *err)
{
    int rc = arus__cfg_int(node, prefix, "parallelism", out, err);
    if (rc == ARUS_OK && (*out < 1 || *out > PARALLELISM_MAX))
        rc = arus__cfg_fail(arus_cfg_get(node, "parallelism"), prefix, "parallelism", err,
                            "expected an integer from 1 to 64");
    return rc;
}

static int table_override(struct arus_arena *a, const struct arus_cfg_node *item,
                          const char *prefix, struct arus_table_override *o, struct arus_error *err)
{
    int rc = check_keys(item, prefix, override_keys, "table setting", err);
    if (rc == ARUS_OK)
        rc = arus__cfg_require_str(item, prefix, "name", &o->name, err);
    if (rc == ARUS_OK && !o->name[0])
        rc = arus__cfg_fail(arus_cfg_get(item, "name"), prefix, "name", err, "must not be empty");
    if (rc == ARUS_OK)
        rc = opt_name(item, prefix, "watermark_column", &o->watermark_column, err);
    if (rc == ARUS_OK)
        rc = opt_name(item, prefix, "deleted_at_column", &o->deleted_at_column, err);
    if (rc == ARUS_OK)
        rc = primary_key(a, item, prefix, &o->primary_key, err);
    if (rc == ARUS_OK)
        rc = arus__cfg_str(item, prefix, "sync_mode", &o->sync_mode, err);
    if (rc == ARUS_OK && arus_cfg_get(item, "delete_missing")) {
        bool on = false;
        rc = arus__cfg_bool(item, prefix, "delete_missing", &on, err);
        o->delete_missing = on ? 1 : -1;
    }
    if (rc == ARUS_OK)
        rc = sync_mode_word(item, prefix, o->sync_mode, err);
    o->commit_horizon = -1;
    bool horizon;
    if (rc == ARUS_OK && arus_cfg_get(item, "commit_horizon") &&
        (rc = arus__cfg_bool(item, prefix, "commit_horizon", &horizon, err)) == ARUS_OK)
        o->commit_horizon = horizon;
    if (rc == ARUS_OK && arus_cfg_get(item, "parallelism"))
        rc = parallelism(item, prefix, &o->parallelism, err);
    if (rc == ARUS_OK)
        rc = column_rules(a, item, prefix, o, err);
    return rc;
}

static int load_tables(struct arus_arena *a, struct arus_pipeline *p, const char *prefix,
                       struct arus_error *err)
{
    const struct arus_cfg_node *list = arus_cfg_get(p->node, "tables");
    if (!list) {
        p->tables = arus_arena_alloc(a, sizeof *p->tables);
        p->tables[0] = "*";
        p->ntables = 1;
        return ARUS_OK;
    }
    if (list->kind != ARUS_CFG_LIST || !list->nchildren)
        return arus__cfg_fail(list, prefix, "tables", err,
                              "expected a non-empty list of table names, globs or "
                              "{name: ...} maps");
    p->tables = arus_arena_calloc(a, list->nchildren, sizeof *p->tables);
    p->overrides = arus_arena_calloc(a, list->nchildren, sizeof *p->overrides);
    for (size_t i = 0; i < list->nchildren; i++) {
        const struct arus_cfg_node *item = list->children[i];
        char label[64];
        snprintf(label, sizeof label, "tables[%zu]", i);
        const char *item_prefix = arus__cfg_join(a, prefix, label);
        if (item->kind == ARUS_CFG_MAP) {
            struct arus_table_override *o = &p->overrides[p->noverrides++];
            int rc = table_override(a, item, item_prefix, o, err);
            if (rc)
                return rc;
            p->tables[p->ntables++] = o->name;
        } else if (item->kind == ARUS_CFG_SCALAR && item->scalar[0]) {
            p->tables[p->ntables++] = item->scalar;
        } else {
            return arus__cfg_fail(item, prefix, label, err,
                                  "expected a table name, a glob or a {name: ...} map");
        }
    }
    return ARUS_OK;
}

static int load_options(struct arus_pipeline *p, const char *prefix, struct arus_error *err)
{
    int rc = arus__cfg_int(p->node, prefix, "batch_size", &p->batch_size, err);
    if (rc == ARUS_OK && (p->batch_size < BATCH_MIN || p->batch_size > BATCH_MAX))
        rc = arus__cfg_fail(arus_cfg_get(p->node, "batch_size"), prefix, "batch_size", err,
                            "expected an integer from 1 to 10000000");
    if (rc == ARUS_OK)
        rc = parallelism(p->node, prefix, &p->parallelism, err);
    if (rc == ARUS_OK)
        rc = arus__cfg_int(p->node, prefix, "split_min_rows", &p->split_min_rows, err);
    if (rc == ARUS_OK && p->split_min_rows < 1)
        rc = arus__cfg_fail(arus_cfg_get(p->node, "split_min_rows"), prefix, "split_min_rows",
                            err, "expected a positive integer");
    if (rc == ARUS_OK)
        rc = load_mode(p->node, prefix, &p->load_mode, err);
    if (rc == ARUS_OK)
        rc = opt_name(p->node, prefix, "target_schema", &p->target_schema, err);
    if (rc == ARUS_OK)
        rc = opt_name(p->node, prefix, "raw_schema", &p->raw_schema, err);
    if (rc == ARUS_OK)
        rc = arus__cfg_seconds(p->node, prefix, "lookback", &p->lookback_seconds, err);
    if (rc == ARUS_OK)
        rc = arus__cfg_bool(p->node, prefix, "commit_horizon", &p->commit_horizon, err);
    if (rc == ARUS_OK)
        rc = arus__cfg_int(p->node, prefix, "max_dead_letters", &p->max_dead_letters, err);
    if (rc == ARUS_OK && p->max_dead_letters < 0)
        rc = arus__cfg_fail(arus_cfg_get(p->node, "max_dead_letters"), prefix, "max_dead_letters",
                            err, "expected an integer >= 0");
    if (rc == ARUS_OK)
        rc = arus__cfg_int(p->node, prefix, "max_retries", &p->max_retries, err);
    if (rc == ARUS_OK && (p->max_retries < 0 || p->max_retries > 100))
        rc = arus__cfg_fail(arus_cfg_get(p->node, "max_retries"), prefix, "max_retries", err,
                            "expected an integer from 0 to 100");
    if (rc == ARUS_OK)
        rc = arus__cfg_seconds(p->node, prefix, "initial_backoff", &p->initial_backoff_seconds,
                               err);
    if (rc == ARUS_OK)
        rc = arus__cfg_seconds(p->node, prefix, "max_backoff", &p->max_backoff_seconds, err);
    if (rc == ARUS_OK)
        rc = arus__cfg_bool(p->node, prefix, "delete_missing", &p->delete_missing, err);
    if (rc == ARUS_OK)
        rc = arus__cfg_str(p->node, prefix, "sync_mode", &p->sync_mode, err);
    if (rc == ARUS_OK)
        rc = sync_mode_word(p->node, prefix, p->sync_mode, err);
    return rc;
}

/* cdc: {slot, publication, create, warn_retained_bytes, max_latency, position} */
static int load_cdc(struct arus_arena *a, struct arus_pipeline *p, const char *prefix,
                    struct arus_error *err)
{
    const struct arus_cfg_node *m = arus_cfg_get(p->node, "cdc");
    if (!m)
        return ARUS_OK;
    if (m->kind != ARUS_CFG_MAP)
        return arus__cfg_fail(m, prefix, "cdc", err, "expected a map of settings");
    const char *cp = arus__cfg_join(a, prefix, "cdc");
    int rc = check_keys(m, cp, cdc_keys, "cdc setting", err);
    if (rc == ARUS_OK)
        rc = opt_name(m, cp, "slot", &p->cdc_slot, err);
    if (rc == ARUS_OK)
        rc = opt_name(m, cp, "publication", &p->cdc_publication, err);
    if (rc == ARUS_OK)
        rc = arus_cfg_bool(m, "create", &p->cdc_create, err);
    if (rc == ARUS_OK)
        rc = arus__cfg_int(m, cp, "warn_retained_bytes", &p->cdc_warn_retained, err);
    if (rc == ARUS_OK)
        rc = arus__cfg_seconds(m, cp, "max_latency", &p->cdc_max_latency, err);
    if (rc == ARUS_OK && p->cdc_max_latency <= 0)
        rc = arus__cfg_fail(arus_cfg_get(m, "max_latency"), cp, "max_latency", err,
                            "expected a duration above 0");
    if (rc == ARUS_OK)
        rc = opt_name(m, cp, "position", &p->cdc_position, err);
    if (rc == ARUS_OK && p->cdc_position && strcmp(p->cdc_position, "gtid") != 0 &&
        strcmp(p->cdc_position, "file") != 0)
        rc = arus__cfg_fail(arus_cfg_get(m, "position"), cp, "position", err,
                            "expected gtid or file");
    return rc;
}

bool arus_pipeline_table_cdc(const struct arus_pipeline *p, const char *table)
{
    const struct arus_table_override *o = arus_pipeline_override(p, table);
    const char *mode = o && o->sync_mode ? o->sync_mode : p->sync_mode;
    return mode && strcmp(mode, "cdc") == 0;
}

/* One of words[] (NULL-terminated) under key into *out (its index); absent: left alone. */
static int word(const struct arus_cfg_node *map, const char *prefix, const char *key,
                const char *const *words, const char *expected, int *out, struct arus_error *err)
{
    const char *v = NULL;
    int rc = arus__cfg_str(map, prefix, key, &v, err);
    if (rc || !v)
        return rc;
    for (int i = 0; words[i]; i++)
        if (strcmp(v, words[i]) == 0) {
            *out = i;
            return ARUS_OK;
        }
    return arus__cfg_fail(arus_cfg_get(map, key), prefix, key, err, expected);
}

/* schema_changes: evolve | freeze | fail; dropped_columns: keep | null | fail (the enums'
 * order). */
static int load_schema_policy(struct arus_pipeline *p, const char *prefix, struct arus_error *err)
{
    static const char *const changes[] = {"evolve", "freeze", "fail", NULL};
    static const char *const dropped[] = {"keep", "null", "fail", NULL};
    int c = (int)p->schema_changes, d = (int)p->dropped_columns;
    int rc = word(p->node, prefix, "schema_changes", changes, "expected evolve, freeze or fail",
                  &c, err);
    if (rc == ARUS_OK)
        rc = word(p->node, prefix, "dropped_columns", dropped, "expected keep, null or fail", &d,
                  err);
    p->schema_changes = (enum arus_schema_policy)c;
    p->dropped_columns = (enum arus_dropped_policy)d;
    return rc;
}

/* exclude: globs, and hash_key (required, non-empty, once any table hashes a column). */
static int load_selection(struct arus_arena *a, struct arus_pipeline *p, const char *prefix,
                          struct arus_error *err)
{
    int rc = name_list(a, p->node, prefix, "exclude", &p->exclude, &p->nexclude, err);
    if (rc == ARUS_OK)
        rc = arus__cfg_str(p->node, prefix, "hash_key", &p->hash_key, err);
    if (rc == ARUS_OK && p->hash_key && !p->hash_key[0])
        rc = arus__cfg_fail(arus_cfg_get(p->node, "hash_key"), prefix, "hash_key", err,
                            "must not be empty (the variable it names is set but empty)");
    for (size_t i = 0; rc == ARUS_OK && !p->hash_key && i < p->noverrides; i++)
        if (p->overrides[i].hash_columns)
            rc = arus__cfg_fail(p->node, NULL, prefix, err,
                                "hash_columns needs hash_key: ${VARIABLE} holding the secret key");
    return rc;
}

/* schedule, timezone, paused (read by arus serve, which checks the cron syntax and the zone). */
static int load_serve_options(struct arus_pipeline *p, const char *prefix, struct arus_error *err)
{
    int rc = opt_name(p->node, prefix, "schedule", &p->schedule, err);
    if (rc == ARUS_OK)
        rc = opt_name(p->node, prefix, "timezone", &p->timezone, err);
    if (rc == ARUS_OK)
        rc = arus_cfg_bool(p->node, "paused", &p->paused, err);
    return rc;
}

/* depends_on: [pipeline, ...], each defined in the same file (cycles are checked by serve). */
static int load_depends_on(struct arus_config *cfg, const struct arus_cfg_node *pipelines,
                           struct arus_pipeline *p, const char *prefix, struct arus_error *err)
{
    const struct arus_cfg_node *list = arus_cfg_get(p->node, "depends_on");
    if (!list)
        return ARUS_OK;
    if (list->kind == ARUS_CFG_SCALAR && list->scalar[0]) {
        p->depends_on = arus_arena_alloc(cfg->arena, sizeof *p->depends_on);
        p->depends_on[0] = list->scalar;
        p->ndepends_on = 1;
    } else if (list->kind == ARUS_CFG_LIST) {
        p->depends_on = arus_arena_calloc(cfg->arena, list->nchildren + 1, sizeof *p->depends_on);
        for (size_t i = 0; i < list->nchildren; i++) {
            const struct arus_cfg_node *c = list->children[i];
            if (c->kind != ARUS_CFG_SCALAR || !c->scalar[0])
                return arus__cfg_fail(c, prefix, "depends_on", err, "expected a pipeline name");
            p->depends_on[p->ndepends_on++] = c->scalar;
        }
    } else {
        return arus__cfg_fail(list, prefix, "depends_on", err,
                              "expected a pipeline name or a list of pipeline names");
    }
    for (size_t i = 0; i < p->ndepends_on; i++) {
        char why[300];
        if (strcmp(p->depends_on[i], p->name) == 0)
            return arus__cfg_fail(list, prefix, "depends_on", err,
                                  "a pipeline cannot depend on itself");
        if (arus_cfg_get(pipelines, p->depends_on[i]))
            continue;
        snprintf(why, sizeof why, "pipeline \"%.200s\" is not defined under pipelines",
                 p->depends_on[i]);
        return arus__cfg_fail(list, prefix, "depends_on", err, why);
    }
    return ARUS_OK;
}

int arus__cfg_load_pipelines(struct arus_config *cfg, const struct arus_cfg_node *map,
                             struct arus_error *err)
{
    if (map->kind != ARUS_CFG_MAP)
        return arus__cfg_fail(map, NULL, "pipelines", err, "expected a map of name -> settings");
    struct arus_pipeline *ps = arus_arena_calloc(cfg->arena, map->nchildren + 1, sizeof *ps);
    for (size_t i = 0; i < map->nchildren; i++) {
        const struct arus_cfg_node *n = map->children[i];
        const char *prefix = arus__cfg_join(cfg->arena, "pipelines", n->key);
        struct arus_pipeline *p = &ps[i];
        int rc;
        if (!n->key[0])
            return arus__cfg_fail(n, NULL, "pipelines", err, "empty name");
        if (n->kind != ARUS_CFG_MAP)
            return arus__cfg_fail(n, NULL, prefix, err, "expected a map of settings");
        *p = (struct arus_pipeline){
            .name = n->key,
            .node = n,
            .batch_size = 10000,
            .load_mode = ARUS_LOAD_NORMALIZED,
            .max_retries = 3,
            .initial_backoff_seconds = 2,
            .max_backoff_seconds = 60,
            .commit_horizon = true,
            .cdc_create = true,
            .cdc_warn_retained = (int64_t)1 << 30,
            .cdc_max_latency = 0.5,
            .parallelism = 1,
            .split_min_rows = ARUS_SPLIT_MIN_ROWS,
        };
        rc = check_keys(n, prefix, pipeline_keys, "pipeline setting", err);
        if (rc == ARUS_OK)
            rc = endpoint_ref(cfg, n, prefix, "source", &p->source, err);
        if (rc == ARUS_OK)
            rc = endpoint_ref(cfg, n, prefix, "destination", &p->destination, err);
        if (rc == ARUS_OK)
            rc = load_tables(cfg->arena, p, prefix, err);
        if (rc == ARUS_OK)
            rc = load_options(p, prefix, err);
        if (rc == ARUS_OK)
            rc = load_cdc(cfg->arena, p, prefix, err);
        if (rc == ARUS_OK)
            rc = load_selection(cfg->arena, p, prefix, err);
        if (rc == ARUS_OK)
            rc = load_schema_policy(p, prefix, err);
        if (rc == ARUS_OK)
            rc = load_serve_options(p, prefix, err);
        if (rc == ARUS_OK)
            rc = load_depends_on(cfg, map, p, prefix, err);
        if (rc)
            return rc;
    }
    cfg->pipelines = ps;
    cfg->npipelines = map->nchildren;
    return ARUS_OK;
}

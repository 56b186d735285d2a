/* Reading the config tree: child lookup, typed accessors with "FILE:LINE: KEY: expected ..."
 * errors (shared by core and every connector), table globs, per-table overrides, and the
 * loaded config's endpoints and pipelines by name. Values
 * are never quoted back in messages: they may be interpolated secrets. */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arus/arena.h"
#include "arus/config.h"
#include "arus/error.h"
#include "core/config_internal.h"

const char *arus__cfg_join(struct arus_arena *a, const char *prefix, const char *key)
{
    if (!prefix || !prefix[0])
        return key;
    size_t n = strlen(prefix) + strlen(key) + 2;
    char *s = arus_arena_alloc(a, n);
    snprintf(s, n, "%s.%s", prefix, key);
    return s;
}

const struct arus_cfg_node *arus_cfg_get(const struct arus_cfg_node *map, const char *key)
{
    if (!map || map->kind != ARUS_CFG_MAP)
        return NULL;
    for (size_t i = 0; i < map->nchildren; i++)
        if (strcmp(map->children[i]->key, key) == 0)
            return map->children[i];
    return NULL;
}

int arus__cfg_fail(const struct arus_cfg_node *node, const char *prefix, const char *key,
                   struct arus_error *err, const char *why)
{
    const char *file = node && node->file ? node->file : "(config)";
    int line = node ? node->line : 0;
    if (prefix && prefix[0])
        return arus_error_set(err, ARUS_ECONFIG, "%s:%d: %s.%s: %s", file, line, prefix, key, why);
    return arus_error_set(err, ARUS_ECONFIG, "%s:%d: %s: %s", file, line, key, why);
}

int arus_cfg_fail(const struct arus_cfg_node *node, const char *key, struct arus_error *err,
                  const char *why)
{
    return arus__cfg_fail(node, NULL, key, err, why);
}

/* The scalar child `key`: ARUS_OK with *out NULL when absent, an error when not a scalar. */
static int scalar(const struct arus_cfg_node *map, const char *prefix, const char *key,
                  const char *expected, const struct arus_cfg_node **out, struct arus_error *err)
{
    const struct arus_cfg_node *n = arus_cfg_get(map, key);
    if (n && n->kind != ARUS_CFG_SCALAR)
        return arus__cfg_fail(n, prefix, key, err, expected);
    *out = n;
    return ARUS_OK;
}

int arus__cfg_str(const struct arus_cfg_node *map, const char *prefix, const char *key,
                  const char **out, struct arus_error *err)
{
    const struct arus_cfg_node *n = NULL;
    int rc = scalar(map, prefix, key, "expected a string", &n, err);
    if (rc == ARUS_OK && n)
        *out = n->scalar;
    return rc;
}

int arus__cfg_require_str(const struct arus_cfg_node *map, const char *prefix, const char *key,
                          const char **out, struct arus_error *err)
{
    if (!arus_cfg_get(map, key)) {
        const char *file = map && map->file ? map->file : "(config)";
        int line = map ? map->line : 0;
        if (prefix && prefix[0])
            return arus_error_set(err, ARUS_ECONFIG, "%s:%d: %s.%s is required", file, line, prefix,
                                  key);
        return arus_error_set(err, ARUS_ECONFIG, "%s:%d: %s is required", file, line, key);
    }
    return arus__cfg_str(map, prefix, key, out, err);
}

int arus__cfg_int(const struct arus_cfg_node *map, const char *prefix, const char *key,
                  int64_t *out, struct arus_error *err)
{
    static const char expected[] = "expected an integer";
    const struct arus_cfg_node *n = NULL;
    int rc = scalar(map, prefix, key, expected, &n, err);
    if (rc || !n)
        return rc;
    const char *s = n->scalar;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    /* strtoll skips leading blanks; a config integer is digits with an optional sign only. */
    if (!(s[0] == '-' || s[0] == '+' || (s[0] >= '0' && s[0] <= '9')) || *end || errno)
        return arus__cfg_fail(n, prefix, key, err, expected);
    *out = v;
    return ARUS_OK;
}

int arus__cfg_seconds(const struct arus_cfg_node *map, const char *prefix, const char *key,
                      double *out, struct arus_error *err)
{
    static const char expected[] =
        "expected a duration: seconds, or a number with unit s, m, h or d (\"30s\", \"5m\")";
    const struct arus_cfg_node *n = NULL;
    int rc = scalar(map, prefix, key, expected, &n, err);
    if (rc || !n)
        return rc;
    /* Parsed by hand: strtod would also take "inf", "nan", hex and leading blanks. */
    const char *s = n->scalar;
    double v = 0, scale = 1;
    size_t i = 0, digits = 0;
    for (; s[i] >= '0' && s[i] <= '9'; i++, digits++)
        v = v * 10 + (s[i] - '0');
    if (s[i] == '.') {
        double frac = 0.1;
        for (i++; s[i] >= '0' && s[i] <= '9'; i++, digits++, frac /= 10)
            v += (s[i] - '0') * frac;
    }
    switch (s[i]) {
    case '\0':
        break;
    case 's':
        i++;
        break;
    case 'm':
        scale = 60;
        i++;
        break;
    case 'h':
        scale = 3600;
        i++;
        break;
    case 'd':
        scale = 86400;
        i++;
        break;
    default:
        digits = 0;
    }
    /* Over a century is a typo, and would overflow time arithmetic downstream. */
    if (!digits || s[i] || v * scale > 100 * 365.25 * 86400)
        return arus__cfg_fail(n, prefix, key, err, expected);
    *out = v * scale;
    return ARUS_OK;
}

int arus_cfg_str(const struct arus_cfg_node *map, const char *key, const char **out,
                 struct arus_error *err)
{
    return arus__cfg_str(map, NULL, key, out, err);
}

int arus_cfg_require_str(const struct arus_cfg_node *map, const char *key, const char **out,
                         struct arus_error *err)
{
    return arus__cfg_require_str(map, NULL, key, out, err);
}

int arus_cfg_int(const struct arus_cfg_node *map, const char *key, int64_t *out,
                 struct arus_error *err)
{
    return arus__cfg_int(map, NULL, key, out, err);
}

int arus_cfg_seconds(const struct arus_cfg_node *map, const char *key, double *out,
                     struct arus_error *err)
{
    return arus__cfg_seconds(map, NULL, key, out, err);
}

int arus_cfg_bool(const struct arus_cfg_node *map, const char *key, bool *out,
                  struct arus_error *err)
{
    return arus__cfg_bool(map, NULL, key, out, err);
}

int arus__cfg_bool(const struct arus_cfg_node *map, const char *prefix, const char *key,
                   bool *out, struct arus_error *err)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    static const char expected[] = "expected true or false";
    const struct arus_cfg_node *n = NULL;
    int rc = scalar(map, prefix, key, expected, &n, err);
    if (rc || !n)
        return rc;
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (strcasecmp(n->scalar, yes[i]) == 0) {
            *out = true;
            return ARUS_OK;
        }
        if (strcasecmp(n->scalar, no[i]) == 0) {
            *out = false;
            return ARUS_OK;
        }
    }
    return arus__cfg_fail(n, prefix, key, err, expected);
}

bool arus_glob_match(const char *pattern, const char *name)
{
    return fnmatch(pattern, name, 0) == 0;
}

const struct arus_table_override *arus_pipeline_override(const struct arus_pipeline *p,
                                                         const char *table)
{
    for (size_t i = 0; i < p->noverrides; i++)
        if (strcmp(p->overrides[i].name, table) == 0)
            return &p->overrides[i];
    for (size_t i = 0; i < p->noverrides; i++)
        if (arus_glob_match(p->overrides[i].name, table))
            return &p->overrides[i];
    return NULL;
}

bool arus_pipeline_delete_missing(const struct arus_pipeline *p, const char *table)
{
    const struct arus_table_override *o = arus_pipeline_override(p, table);
    if (o && o->delete_missing)
        return o->delete_missing > 0;
    return p->delete_missing;
}

bool arus_pipeline_skips(const struct arus_pipeline *p, const char *table, char *why, size_t n)
{
    for (size_t i = 0; i < p->nexclude; i++)
        if (arus_glob_match(p->exclude[i], table)) {
            snprintf(why, n, "excluded by exclude: %s", p->exclude[i]);
            return true;
        }
    const struct arus_table_override *o = arus_pipeline_override(p, table);
    if (o && o->disabled) {
        snprintf(why, n, "disabled (enabled: false)");
        return true;
    }
    return false;
}

enum arus_load_mode arus_pipeline_load_mode(const struct arus_pipeline *p, const char *table)
{
    const struct arus_table_override *o = arus_pipeline_override(p, table);
    return o && o->load_mode ? o->load_mode : p->load_mode;
}

static const struct arus_endpoint *find_endpoint(const struct arus_endpoint *eps, size_t n,
                                                 const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(eps[i].name, name) == 0)
            return &eps[i];
    return NULL;
}

const struct arus_endpoint *arus_config_source(const struct arus_config *cfg, const char *name)
{
    return find_endpoint(cfg->sources, cfg->nsources, name);
}

const struct arus_endpoint *arus_config_destination(const struct arus_config *cfg, const char *name)
{
    return find_endpoint(cfg->destinations, cfg->ndestinations, name);
}

const struct arus_pipeline *arus_config_pipeline(const struct arus_config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->npipelines; i++)
        if (strcmp(cfg->pipelines[i].name, name) == 0)
            return &cfg->pipelines[i];
    return NULL;
}

/* arus.yml loading: read the file, parse it (config_yaml.c), validate the top level and the
 * sources/destinations against the connector registry, then the pipelines
 * (config_pipeline.c). Everything lives in the config's arena; destroy frees it at once. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arus/arena.h"
#include "arus/config.h"
#include "arus/error.h"
#include "arus/log.h"
#include "arus/registry.h"
#include "arus/strbuf.h"
#include "core/config_internal.h"

/* A config is a few KiB; the cap keeps a wrong path (a log, a device) from eating memory. */
#define CFG_MAX_FILE (16u << 20)

/* Whether name is an element of the ", "-separated list. */
static bool name_listed(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; (p = strstr(p, name)); p += n)
        if ((p == list || p[-1] == ' ') && (p[n] == ',' || p[n] == '\0'))
            return true;
    return false;
}

/* "unknown source connector "x" (known: a, b)" for the type node of an endpoint. */
static int unknown_type(const struct arus_cfg_node *type, const char *prefix, bool source,
                        struct arus_error *err)
{
    struct arus_strbuf sb;
    arus_strbuf_init(&sb);
    arus_strbuf_appendf(&sb,
                        "unknown %s connector \"%s\" (known: ", source ? "source" : "destination",
                        arus__cfg_shown(type));
    size_t start = sb.len, i = 0;
    for (const char *name;; i++) {
        if (source) {
            const struct arus_source_ops *ops;
            name = arus_registry_source_name(i, &ops);
        } else {
            const struct arus_destination_ops *ops;
            name = arus_registry_destination_name(i, &ops);
        }
        if (!name)
            break;
        /* A name registered again (shadowing) is listed once. */
        if (!name_listed(arus_strbuf_cstr(&sb) + start, name))
            arus_strbuf_appendf(&sb, "%s%s", i ? ", " : "", name);
    }
    arus_strbuf_puts(&sb, i ? ")" : "none)");
    int rc = arus__cfg_fail(type, prefix, "type", err, arus_strbuf_cstr(&sb));
    arus_strbuf_cleanup(&sb);
    return rc;
}

/* `sources:` or `destinations:`: a map of name -> settings with a registered `type`. */
static int load_endpoints(struct arus_config *cfg, const struct arus_cfg_node *map, bool source,
                          struct arus_error *err)
{
    struct arus_endpoint *eps = arus_arena_calloc(cfg->arena, map->nchildren + 1, sizeof *eps);
    if (map->kind != ARUS_CFG_MAP)
        return arus__cfg_fail(map, NULL, map->key, err, "expected a map of name -> settings");
    for (size_t i = 0; i < map->nchildren; i++) {
        const struct arus_cfg_node *n = map->children[i];
        const char *prefix = arus__cfg_join(cfg->arena, map->key, n->key);
        int rc;
        if (!n->key[0])
            return arus__cfg_fail(n, NULL, map->key, err, "empty name");
        if (n->kind != ARUS_CFG_MAP)
            return arus__cfg_fail(n, NULL, prefix, err, "expected a map of settings");
        rc = arus__cfg_require_str(n, prefix, "type", &eps[i].type, err);
        if (rc)
            return rc;
        bool known = source ? arus_registry_source(eps[i].type) != NULL
                            : arus_registry_destination(eps[i].type) != NULL;
        if (!known)
            return unknown_type(arus_cfg_get(n, "type"), prefix, source, err);
        eps[i].name = n->key;
        eps[i].node = n;
    }
    if (source) {
        cfg->sources = eps;
        cfg->nsources = map->nchildren;
    } else {
        cfg->destinations = eps;
        cfg->ndestinations = map->nchildren;
    }
    return ARUS_OK;
}

static int validate(struct arus_config *cfg, struct arus_error *err)
{
    const struct arus_cfg_node *root = cfg->root;
    if (!root)
        return ARUS_OK; /* an empty file: nothing configured */
    if (root->kind != ARUS_CFG_MAP)
        return arus_error_set(err, ARUS_ECONFIG,
                              "%s:%d: expected a map with sources, destinations and pipelines",
                              root->file, root->line);
    for (size_t i = 0; i < root->nchildren; i++) {
        const char *k = root->children[i]->key;
        if (strcmp(k, "sources") && strcmp(k, "destinations") && strcmp(k, "pipelines") &&
            strcmp(k, "serve"))
            return arus__cfg_fail(root->children[i], NULL, k, err,
                                  "unknown top-level key (expected sources, destinations, "
                                  "pipelines or serve)");
    }
    /* Endpoints first, whatever the order in the file: pipelines refer to them. */
    const struct arus_cfg_node *n;
    int rc;
    if ((n = arus_cfg_get(root, "sources")) && (rc = load_endpoints(cfg, n, true, err)))
        return rc;
    if ((n = arus_cfg_get(root, "destinations")) && (rc = load_endpoints(cfg, n, false, err)))
        return rc;
    if ((n = arus_cfg_get(root, "pipelines")) && (rc = arus__cfg_load_pipelines(cfg, n, err)))
        return rc;
    if ((n = arus_cfg_get(root, "serve")) && n->kind != ARUS_CFG_MAP)
        return arus__cfg_fail(n, NULL, "serve", err, "expected a map of settings");
    cfg->serve = n;
    return ARUS_OK;
}

/* Parse + validate into a new config; secrets (if wanted) lists literal passwords. */
static int load_text(const char *name, const char *yaml, size_t len, struct arus_config **out,
                     struct arus__cfg_secret **secrets, struct arus_error *err)
{
    struct arus_arena *a = arus_arena_create(0);
    struct arus_config *cfg = arus_arena_calloc(a, 1, sizeof *cfg);
    struct arus__cfg_secret *found = NULL;
    cfg->arena = a;
    cfg->path = arus_arena_strdup(a, name);
    int rc = arus__cfg_parse(a, cfg->path, yaml, len, &cfg->root, &found, err);
    if (rc == ARUS_OK)
        rc = validate(cfg, err);
    if (rc) {
        arus_arena_destroy(a);
        return rc;
    }
    if (secrets)
        *secrets = found;
    *out = cfg;
    return ARUS_OK;
}

int arus_config_load_string(const char *name, const char *yaml, size_t len,
                            struct arus_config **out, struct arus_error *err)
{
    return load_text(name, yaml, len, out, NULL, err);
}

int arus_config_load(const char *path, struct arus_config **out, struct arus_error *err)
{
    struct stat st;
    char *text = NULL;
    size_t len = 0;
    int rc = ARUS_OK;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) != 0) {
        rc = arus_error_set(err, ARUS_ECONFIG, "cannot read config %s: %s", path, strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode) || (uintmax_t)st.st_size > CFG_MAX_FILE) {
        rc = arus_error_set(err, ARUS_ECONFIG, "cannot read config %s: %s", path,
                            S_ISREG(st.st_mode) ? "larger than 16 MiB" : "not a regular file");
        goto out;
    }
    text = arus_xmalloc((size_t)st.st_size + 1);
    while (len < (size_t)st.st_size) {
        ssize_t r = read(fd, text + len, (size_t)st.st_size - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) { /* shrank under us: parse what we have */
            if (r < 0)
                rc = arus_error_set(err, ARUS_ECONFIG, "cannot read config %s: %s", path,
                                    strerror(errno));
            break;
        }
        len += (size_t)r;
    }
    if (rc)
        goto out;
    struct arus__cfg_secret *secrets = NULL;
    rc = load_text(path, text, len, out, &secrets, err);
    if (rc == ARUS_OK && (st.st_mode & (S_IRGRP | S_IROTH))) {
        for (const struct arus__cfg_secret *s = secrets; s; s = s->next)
            arus_log(ARUS_LOG_WARN, "config",
                     "%s:%d: %s holds a literal password and the file is readable by "
                     "group/others; use ${VAR} or chmod 600 %s",
                     path, s->line, s->path, path);
    }
out:
    free(text);
    if (fd >= 0)
        close(fd);
    return rc;
}

void arus_config_destroy(struct arus_config *cfg)
{
    if (cfg)
        arus_arena_destroy(cfg->arena);
}

/* Internals shared by the config loader's files: the YAML -> node tree parser
 * (config_yaml.c), the accessors (config_access.c), and the validation of endpoints
 * (config.c) and pipelines (config_pipeline.c). */
#ifndef ARUS_CORE_CONFIG_INTERNAL_H
#define ARUS_CORE_CONFIG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arus/config.h"

struct arus_arena;
struct arus_error;

/* A scalar under a key named "password" whose text came from the file itself, not from
 * ${VAR}, or a "url" whose user-info holds such a password: reported so arus_config_load can
 * warn when the file is readable by others. */
struct arus__cfg_secret {
    const char *path; /* dotted key path, e.g. "sources.pg.password" */
    int line;
    struct arus__cfg_secret *next;
};

/* Every node the parser makes is one of these. The flag keeps ${VAR} values (possibly
 * secrets) out of messages even where a value is normally quoted back, like a connector type. */
struct arus__cfg_node {
    struct arus_cfg_node pub;
    bool interpolated; /* scalar text contains at least one ${VAR} expansion */
};

/* A scalar's text for quoting in a message, or a placeholder when it came from ${VAR}.
 * Only for nodes of a tree made by arus__cfg_parse. */
const char *arus__cfg_shown(const struct arus_cfg_node *n);

/* Parse yaml[0..len) into a node tree allocated in a, with ${VAR} interpolation applied to
 * every scalar value (keys are taken literally). `file` is used in messages and stored in every
 * node. *root is NULL for an empty document. Errors are ARUS_ECONFIG "FILE:LINE: ...", and
 * never contain an interpolated value. *root and *secrets are written only on success. */
int arus__cfg_parse(struct arus_arena *a, const char *file, const char *yaml, size_t len,
                    struct arus_cfg_node **root, struct arus__cfg_secret **secrets,
                    struct arus_error *err);

/* The public accessors with messages naming "PREFIX.KEY" instead of "KEY" (prefix may be
 * NULL), so the loader's own errors carry the full key path. */
int arus__cfg_str(const struct arus_cfg_node *map, const char *prefix, const char *key,
                  const char **out, struct arus_error *err);
int arus__cfg_require_str(const struct arus_cfg_node *map, const char *prefix, const char *key,
                          const char **out, struct arus_error *err);
int arus__cfg_int(const struct arus_cfg_node *map, const char *prefix, const char *key,
                  int64_t *out, struct arus_error *err);
int arus__cfg_seconds(const struct arus_cfg_node *map, const char *prefix, const char *key,
                      double *out, struct arus_error *err);
int arus__cfg_bool(const struct arus_cfg_node *map, const char *prefix, const char *key,
                   bool *out, struct arus_error *err);
/* arus_cfg_fail with a "PREFIX.KEY" label. */
int arus__cfg_fail(const struct arus_cfg_node *node, const char *prefix, const char *key,
                   struct arus_error *err, const char *why);

/* Validate the `pipelines` map (endpoints must already be in cfg) into cfg->pipelines. */
int arus__cfg_load_pipelines(struct arus_config *cfg, const struct arus_cfg_node *map,
                             struct arus_error *err);

/* "A.B" allocated in a (just B when A is NULL or empty). */
const char *arus__cfg_join(struct arus_arena *a, const char *prefix, const char *key);

#endif

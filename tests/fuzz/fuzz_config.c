/* libFuzzer target for the config loader: any bytes through arus_config_load_string must give
 * either a config (then walked with every accessor) or one ARUS_ECONFIG line that never
 * contains an interpolated secret. Build and run with scripts/fuzz.sh. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arus/arus.h"

/* Long and unlikely, so it only shows up in a message if the loader leaks ${VAR} values. */
#define SECRET "Zq7-fuzz-secret-4417"

static const struct arus_source_ops fuzz_src = {.abi_version = ARUS_SOURCE_ABI, .name = "src"};
static const struct arus_destination_ops fuzz_dst = {.abi_version = ARUS_DESTINATION_ABI,
                                                     .name = "dst"};

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    arus_registry_add_source("src", &fuzz_src);
    arus_registry_add_destination("dst", &fuzz_dst);
    setenv("PW", SECRET, 1);
    setenv("EMPTY", "", 1);
    unsetenv("UNSET");
    return 0;
}

static bool has_secret(const void *p, size_t n)
{
    size_t k = strlen(SECRET);
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp((const char *)p + i, SECRET, k) == 0)
            return true;
    return false;
}

/* Run every typed accessor on every key of an endpoint map: the value parsers get fuzzed
 * with whatever the YAML produced. */
static void walk_endpoint(const struct arus_endpoint *ep, bool literal_secret)
{
    struct arus_error err;
    for (size_t i = 0; i < ep->node->nchildren; i++) {
        const char *key = ep->node->children[i]->key, *s;
        int64_t n;
        bool b;
        double d;
        arus_cfg_str(ep->node, key, &s, &err);
        arus_cfg_int(ep->node, key, &n, &err);
        arus_cfg_bool(ep->node, key, &b, &err);
        arus_cfg_seconds(ep->node, key, &d, &err);
        if (strstr(err.msg, SECRET) && !literal_secret)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct arus_config *cfg = NULL;
    struct arus_error err;
    arus_error_clear(&err);
    /* The secret may only appear in a message when the input itself spells it out. */
    bool literal_secret = has_secret(data, size);
    if (arus_config_load_string("fuzz.yml", (const char *)data, size, &cfg, &err) != ARUS_OK) {
        if (err.code != ARUS_ECONFIG || strchr(err.msg, '\n') || !err.msg[0])
            abort();
        if (strstr(err.msg, SECRET) && !literal_secret)
            abort();
        return 0;
    }
    for (size_t i = 0; i < cfg->nsources; i++)
        walk_endpoint(&cfg->sources[i], literal_secret);
    for (size_t i = 0; i < cfg->ndestinations; i++)
        walk_endpoint(&cfg->destinations[i], literal_secret);
    for (size_t i = 0; i < cfg->npipelines; i++) {
        const struct arus_pipeline *p = &cfg->pipelines[i];
        if (!arus_config_source(cfg, p->source) || !arus_config_destination(cfg, p->destination) ||
            arus_config_pipeline(cfg, p->name) == NULL || p->ntables == 0)
            abort();
        arus_pipeline_override(p, "orders");
        for (size_t t = 0; t < p->ntables; t++)
            arus_glob_match(p->tables[t], "customer_orders_2024");
    }
    arus_config_destroy(cfg);
    return 0;
}

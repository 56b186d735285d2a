/* Which tables a run covers, and primary-key overrides from the pipeline config. */
#include <stdbool.h>
#include <string.h>

#include "arus/arena.h"
#include "core/sync_internal.h"

static bool has_glob(const char *s)
{
    return strpbrk(s, "*?[") != NULL;
}

static bool selected(const struct arus_pipeline *p, const char *table)
{
    char why[128];
    for (size_t i = 0; i < p->ntables; i++)
        if (arus_glob_match(p->tables[i], table))
            return !arus_pipeline_skips(p, table, why, sizeof why);
    return false;
}

int arus__select_tables(struct arus_source *src, const struct arus_pipeline *p, const char *only,
                        struct arus_arena *a, const char ***out, size_t *n,
                        struct arus_error *err)
{
    if (only) {
        char why[128];
        if (arus_pipeline_skips(p, only, why, sizeof why))
            return arus_error_set(err, ARUS_ENOTFOUND, "table \"%s\" is %s in pipeline \"%s\"",
                                  only, why, p->name);
        if (!selected(p, only))
            return arus_error_set(err, ARUS_ENOTFOUND,
                                  "table \"%s\" is not selected by pipeline \"%s\"", only,
                                  p->name);
        const char **one = arus_arena_alloc(a, sizeof *one);
        one[0] = arus_arena_strdup(a, only);
        *out = one;
        *n = 1;
        return ARUS_OK;
    }
    bool globs = false;
    for (size_t i = 0; i < p->ntables; i++)
        globs |= has_glob(p->tables[i]);
    if (!globs) {
        const char **names = arus_arena_calloc(a, p->ntables, sizeof *names);
        size_t k = 0;
        for (size_t i = 0; i < p->ntables; i++)
            if (selected(p, p->tables[i]))
                names[k++] = p->tables[i];
        *out = names;
        *n = k;
        return ARUS_OK;
    }
    struct arus_table_schema *found = NULL;
    size_t nfound = 0;
    int rc = arus_source_discover_tables(src, a, &found, &nfound, err);
    if (rc)
        return rc;
    const char **names = arus_arena_calloc(a, nfound ? nfound : 1, sizeof *names);
    size_t k = 0;
    for (size_t i = 0; i < nfound; i++)
        if (selected(p, found[i].name))
            names[k++] = found[i].name;
    *out = names;
    *n = k;
    return ARUS_OK;
}

int arus__apply_primary_key(struct arus_table_schema *t, const char *columns,
                            struct arus_error *err)
{
    for (size_t i = 0; i < t->ncolumns; i++)
        t->columns[i].pk_ordinal = 0;
    int ord = 0;
    const char *p = columns;
    while (*p) {
        size_t len = strcspn(p, ",");
        while (len && (*p == ' ')) {
            p++;
            len--;
        }
        size_t trimmed = len;
        while (trimmed && p[trimmed - 1] == ' ')
            trimmed--;
        char name[256];
        if (trimmed == 0 || trimmed >= sizeof name)
            return arus_error_set(err, ARUS_ECONFIG, "primary_key \"%s\" is malformed", columns);
        memcpy(name, p, trimmed);
        name[trimmed] = '\0';
        int i = arus_schema_find(t, name);
        if (i < 0)
            return arus_error_set(err, ARUS_ECONFIG, "primary_key column \"%s\" not found", name);
        t->columns[i].pk_ordinal = ++ord;
        p += len;
        if (*p == ',')
            p++;
    }
    return ARUS_OK;
}

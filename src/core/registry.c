/* Connector lookup by name: the built-in tables CMake generated, then connectors a host program
 * (or a test) added at run time, which shadow built-ins of the same name and are checked for an
 * ABI version this build can use. Sources and destinations share one implementation over untyped
 * entries. */
#include "arus/registry.h"

#include <string.h>

#include "core/registry_internal.h"

#define MAX_ADDED 64

struct registry {
    const struct arus__registry_entry *builtin;
    struct arus__registry_entry added[MAX_ADDED];
    size_t nadded;
};

static struct registry sources = {arus__builtin_sources, {{0}}, 0};
static struct registry destinations = {arus__builtin_destinations, {{0}}, 0};

static int reg_add(struct registry *r, const char *name, const void *ops)
{
    if (!name || !ops || r->nadded == MAX_ADDED)
        return ARUS_EINVAL;
    r->added[r->nadded++] = (struct arus__registry_entry){name, ops};
    return ARUS_OK;
}

static const void *reg_find(const struct registry *r, const char *name)
{
    for (size_t i = r->nadded; i-- > 0;)
        if (strcmp(r->added[i].name, name) == 0)
            return r->added[i].ops;
    for (const struct arus__registry_entry *b = r->builtin; b->name; b++)
        if (strcmp(b->name, name) == 0)
            return b->ops;
    return NULL;
}

static const char *reg_name(const struct registry *r, size_t i, const void **ops)
{
    size_t nbuiltin = 0;
    while (r->builtin[nbuiltin].name)
        nbuiltin++;
    const struct arus__registry_entry *e = NULL;
    if (i < nbuiltin)
        e = &r->builtin[i];
    else if (i - nbuiltin < r->nadded)
        e = &r->added[i - nbuiltin];
    if (!e)
        return NULL;
    if (ops)
        *ops = e->ops;
    return e->name;
}

/* Only the fields every ABI version has are read here (abi_version, name): a table from an
 * older header may end before later slots. */
static int reg_check(const char *kind, const char *name, int version, int min, int max,
                     struct arus_error *err)
{
    if (!name)
        return arus_error_set(err, ARUS_EINVAL, "%s connector without a name", kind);
    if (version > max)
        return arus_error_set(err, ARUS_EINVAL,
                              "%s connector \"%s\" is built for %s ABI %d, this arus supports "
                              "%d to %d: the connector needs a newer arus",
                              kind, name, kind, version, min, max);
    if (version < min)
        return arus_error_set(err, ARUS_EINVAL,
                              "%s connector \"%s\" is built for %s ABI %d, this arus supports "
                              "%d to %d: rebuild the connector against this arus's headers",
                              kind, name, kind, version, min, max);
    return ARUS_OK;
}

int arus_registry_check_source(const struct arus_source_ops *ops, struct arus_error *err)
{
    if (!ops)
        return arus_error_set(err, ARUS_EINVAL, "source connector without an ops table");
    return reg_check("source", ops->name, ops->abi_version, ARUS_SOURCE_ABI_MIN, ARUS_SOURCE_ABI,
                     err);
}

int arus_registry_check_destination(const struct arus_destination_ops *ops,
                                    struct arus_error *err)
{
    if (!ops)
        return arus_error_set(err, ARUS_EINVAL, "destination connector without an ops table");
    return reg_check("destination", ops->name, ops->abi_version, ARUS_DESTINATION_ABI_MIN,
                     ARUS_DESTINATION_ABI, err);
}

int arus_registry_add_source(const char *name, const struct arus_source_ops *ops)
{
    if (arus_registry_check_source(ops, NULL) != ARUS_OK)
        return ARUS_EINVAL;
    return reg_add(&sources, name, ops);
}

int arus_registry_add_destination(const char *name, const struct arus_destination_ops *ops)
{
    if (arus_registry_check_destination(ops, NULL) != ARUS_OK)
        return ARUS_EINVAL;
    return reg_add(&destinations, name, ops);
}

const struct arus_source_ops *arus_registry_source(const char *name)
{
    return reg_find(&sources, name);
}

const struct arus_destination_ops *arus_registry_destination(const char *name)
{
    return reg_find(&destinations, name);
}

const char *arus_registry_source_name(size_t i, const struct arus_source_ops **ops)
{
    const void *p = NULL;
    const char *name = reg_name(&sources, i, &p);
    if (name && ops)
        *ops = p;
    return name;
}

const char *arus_registry_destination_name(size_t i, const struct arus_destination_ops **ops)
{
    const void *p = NULL;
    const char *name = reg_name(&destinations, i, &p);
    if (name && ops)
        *ops = p;
    return name;
}

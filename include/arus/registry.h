/* Connector registry: built-in connectors come from a table CMake generates from
 * cmake/connectors.cmake (each behind ARUS_WITH_<NAME>); host programs and tests add their own
 * with arus_registry_add_*. Lookup is by exact name; "mariadb" is an alias of "mysql". */
#ifndef ARUS_REGISTRY_H
#define ARUS_REGISTRY_H

#include <stddef.h>

#include "arus/destination.h"
#include "arus/source.h"

/* The ops registered under name, or NULL. */
const struct arus_source_ops *arus_registry_source(const char *name);
const struct arus_destination_ops *arus_registry_destination(const char *name);

/* Register ops under name (ops->name is the implementation; name may be an alias). Later
 * registrations shadow earlier ones of the same name. Returns ARUS_EINVAL when the check below
 * refuses ops, when name is NULL, or when 64 connectors were already added. The pointers are
 * borrowed for the life of the process. */
int arus_registry_add_source(const char *name, const struct arus_source_ops *ops);
int arus_registry_add_destination(const char *name, const struct arus_destination_ops *ops);

/* Whether the registry accepts ops, and why not: ARUS_OK, or ARUS_EINVAL with a message in err
 * (which may be NULL) for a NULL table, a table without a name, or an abi_version outside
 * ARUS_SOURCE_ABI_MIN..ARUS_SOURCE_ABI (ARUS_DESTINATION_ABI_MIN..ARUS_DESTINATION_ABI): a newer
 * one means the connector needs a newer arus, an older one that it must be rebuilt against
 * this arus's headers. Within the range, older connectors load (slots their version lacks count
 * as absent). A host calls this to report why arus_registry_add_* refused a connector. */
int arus_registry_check_source(const struct arus_source_ops *ops, struct arus_error *err);
int arus_registry_check_destination(const struct arus_destination_ops *ops,
                                    struct arus_error *err);

/* Iterate registered names in registration order: i from 0 while it returns non-NULL. */
const char *arus_registry_source_name(size_t i, const struct arus_source_ops **ops);
const char *arus_registry_destination_name(size_t i, const struct arus_destination_ops **ops);

#endif

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
 * registrations shadow earlier ones of the same name. Returns ARUS_EINVAL on ABI mismatch.
 * The pointers are borrowed for the life of the process. */
int arus_registry_add_source(const char *name, const struct arus_source_ops *ops);
int arus_registry_add_destination(const char *name, const struct arus_destination_ops *ops);

/* Iterate registered names in registration order: i from 0 while it returns non-NULL. */
const char *arus_registry_source_name(size_t i, const struct arus_source_ops **ops);
const char *arus_registry_destination_name(size_t i, const struct arus_destination_ops **ops);

#endif

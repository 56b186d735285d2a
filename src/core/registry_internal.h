/* Shape of the CMake-generated built-in connector tables (registry_builtin.c): name -> ops
 * (a struct arus_source_ops or struct arus_destination_ops, by table). */
#ifndef ARUS_REGISTRY_INTERNAL_H
#define ARUS_REGISTRY_INTERNAL_H

struct arus__registry_entry {
    const char *name;
    const void *ops;
};

/* NULL-terminated. */
extern const struct arus__registry_entry arus__builtin_sources[];
extern const struct arus__registry_entry arus__builtin_destinations[];

#endif

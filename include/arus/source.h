/* The source connector interface (the spec's BaseSource) as an ops table, plus the core
 * wrappers that everybody else calls. A connector exports one const struct arus_source_ops
 * and keeps everything else static; its instance struct embeds struct arus_source first. */
#ifndef ARUS_SOURCE_H
#define ARUS_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arus/config.h"
#include "arus/error.h"
#include "arus/types.h"

/* The version of struct arus_source_ops this header declares, and the oldest one the registry
 * still accepts (see arus_registry_check_source). New slots are appended, so a connector built
 * against version v has every slot up to v's last (a changed slot raises the minimum instead);
 * the core wrappers read a slot added after ARUS_SOURCE_ABI_MIN only when the connector's
 * abi_version reaches the slot's version: an older connector's table ends before it. */
#define ARUS_SOURCE_ABI 1
#define ARUS_SOURCE_ABI_MIN ARUS_SOURCE_ABI /* extract_open's argument changed in 2 */

struct arus_source;
struct arus_extract;

/* What one extract stream reads. Rows come back ordered by (watermark column, primary key)
 * for incremental tables, as ONE streamed query per call of extract_open, so batch boundaries
 * can never split or drop rows that share a watermark. A full refresh may return rows in any
 * order (the refreshed table replaces the old one whole). */
struct arus_extract_request {
    const struct arus_table_schema *table;  /* columns to read, in batch order (borrowed) */
    const struct arus_sync_mode *mode;
    const char *watermark_from; /* incremental: inclusive lower bound in the watermark column's
                                   canonical text; NULL = from the start (NULL watermarks too) */
    size_t batch_size;
    bool deleted_only;          /* set by arus_source_extract_soft_deletes: rows whose
                                   deleted_at is set and whose watermark (or deleted_at) is
                                   >= watermark_from; otherwise rows with deleted_at IS NULL */
};

struct arus_source_ops {
    int abi_version; /* ARUS_SOURCE_ABI of the header the connector was built with */
    const char *name;
    unsigned flags;  /* none defined yet (optional slots say what a source can do): 0 */

    /* Build an unconnected instance from the endpoint's config (validate keys here, with
     * file:line errors via the arus_cfg_* accessors). *out is written only on success. */
    int (*create)(const struct arus_endpoint *ep, struct arus_source **out,
                  struct arus_error *err);
    /* Open the connection (UTC session, timeouts). Error text names the endpoint and
     * host:port, never the password. */
    int (*connect)(struct arus_source *src, struct arus_error *err);
    /* Release everything; called exactly once, also after failed connect or create. */
    void (*close)(struct arus_source *src);
    /* A cheap round trip (SELECT 1 / ping). */
    int (*test_connection)(struct arus_source *src, struct arus_error *err);
    /* All tables (no views/system tables) with columns, PK and row estimate, allocated in a. */
    int (*discover_tables)(struct arus_source *src, struct arus_arena *a,
                           struct arus_table_schema **out, size_t *n, struct arus_error *err);
    /* One table's schema (columns in source order, types mapped to logical types, PK,
     * estimate) allocated in a. ARUS_ENOTFOUND with "table \"x\" not found in ..." if absent. */
    int (*get_table_columns)(struct arus_source *src, const char *table, struct arus_arena *a,
                             struct arus_table_schema **out, struct arus_error *err);
    /* Start a stream (see struct arus_extract_request). Memory must stay bounded by the batch:
     * use the driver's streaming path, never buffer the whole result. */
    int (*extract_open)(struct arus_source *src, const struct arus_extract_request *req,
                        struct arus_extract **out, struct arus_error *err);
    /* Append rows to b until it is full or the stream ends. End of stream is reported by
     * returning ARUS_OK with no row appended. Cells are canonical text (types.h). */
    int (*extract_next)(struct arus_extract *x, struct arus_batch *b, struct arus_error *err);
    /* End the stream early or after its end; frees x. x may be NULL. */
    void (*extract_close)(struct arus_extract *x);

    /* ---- optional slots (may be NULL) ---- */

    /* Like extract_open with req->deleted_only = true (the spec's extract_soft_deletes). */
    int (*extract_soft_deletes)(struct arus_source *src, const struct arus_extract_request *req,
                                struct arus_extract **out, struct arus_error *err);
    /* Non-system schema names (PostgreSQL), allocated in a. */
    int (*discover_schemas)(struct arus_source *src, struct arus_arena *a, char ***out,
                            size_t *n, struct arus_error *err);
};

/* Base of every source instance: the connector's private struct embeds this first. */
struct arus_source {
    const struct arus_source_ops *ops;
    const struct arus_endpoint *endpoint; /* borrowed from the config */
};

/* Core wrappers: the only callers of the slots above (the engine, the CLI and host programs use
 * these). Each dispatches to the slot of the same name; a failure the connector left without a
 * message gets "<operation> on source "<name>" (<type>) failed"; an optional slot that is NULL
 * yields ARUS_ENOTSUP naming the source. arus_source_create looks the type up in the registry.
 * Arguments and ownership as for the slots. */
int arus_source_create(const struct arus_endpoint *ep, struct arus_source **out,
                       struct arus_error *err);
int arus_source_connect(struct arus_source *src, struct arus_error *err);
void arus_source_close(struct arus_source *src); /* NULL is a no-op */
int arus_source_test_connection(struct arus_source *src, struct arus_error *err);
int arus_source_discover_tables(struct arus_source *src, struct arus_arena *a,
                                struct arus_table_schema **out, size_t *n,
                                struct arus_error *err);
int arus_source_get_table_columns(struct arus_source *src, const char *table,
                                  struct arus_arena *a, struct arus_table_schema **out,
                                  struct arus_error *err);
/* The spec's detect_sync_mode: the shared rules of arus_detect_sync_mode. */
void arus_source_detect_sync_mode(struct arus_source *src, const struct arus_table_schema *t,
                                  struct arus_sync_mode *out);
int arus_source_extract_open(struct arus_source *src, const struct arus_extract_request *req,
                             struct arus_extract **out, struct arus_error *err);
int arus_source_extract_next(struct arus_source *src, struct arus_extract *x,
                             struct arus_batch *b, struct arus_error *err);
void arus_source_extract_close(struct arus_source *src, struct arus_extract *x);
bool arus_source_can_extract_soft_deletes(const struct arus_source *src);
int arus_source_extract_soft_deletes(struct arus_source *src,
                                     const struct arus_extract_request *req,
                                     struct arus_extract **out, struct arus_error *err);
/* The spec's discover_schemas: the source's non-system schema names (all of them, whatever
 * schema_include selects for discovery), *out an array of *n strings allocated in a. ARUS_ENOTSUP
 * with "source "<name>" (<type>) has no schemas" for sources without namespaces. */
bool arus_source_can_discover_schemas(const struct arus_source *src);
int arus_source_discover_schemas(struct arus_source *src, struct arus_arena *a, char ***out,
                                 size_t *n, struct arus_error *err);
/* What a source connector can do, from its ops table alone (for `arus connectors`, before any
 * endpoint exists): the optional slot is there. */
bool arus_source_ops_can_extract_soft_deletes(const struct arus_source_ops *ops);
bool arus_source_ops_can_discover_schemas(const struct arus_source_ops *ops);

#endif

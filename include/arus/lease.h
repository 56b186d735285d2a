/* The lease table of arus serve's coordination (serve.coordination), as a store the PostgreSQL
 * connector implements (src/connectors/postgresql/lease.c): one row per (pipeline, tick) that
 * says which process runs it, until when (expires_at, renewed by heartbeats) and whether it is
 * done; tick 0 is a follow pipeline's row. src/serve/lease.c builds the coordination on it
 * (threads, holder identity, the scheduler), so serve includes no connector header. Available
 * when arus is built with the postgresql connector (ARUS_WITH_POSTGRESQL). */
#ifndef ARUS_LEASE_H
#define ARUS_LEASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arus/config.h"
#include "arus/error.h"

struct arus_lease_store;

/* Connect to PostgreSQL endpoint ep (a source or destination: its connection settings only)
 * and create the lease table if missing. ARUS_ECONFIG / ARUS_ECONNECT / ARUS_EQUERY on failure.
 * Caller frees with arus_lease_store_close (NULL: no-op). Not thread-safe: callers serialise. */
int arus_lease_store_open(const struct arus_endpoint *ep, struct arus_lease_store **out,
                          struct arus_error *err);
void arus_lease_store_close(struct arus_lease_store *st);

/* Each call runs one statement, reconnecting once when the connection was lost; holder names
 * the calling process, seconds how long a lease lives without a heartbeat. */
/* Insert the lease of (pipeline, tick) for holder: *ours true when this call made it. */
int arus_lease_acquire(struct arus_lease_store *st, const char *pipeline, int64_t tick,
                       const char *holder, double seconds, bool *ours, struct arus_error *err);
/* Take the follow row (tick 0) of pipeline when free, done, expired or holder's already:
 * *ours true when holder has it now. */
int arus_lease_follow(struct arus_lease_store *st, const char *pipeline, const char *holder,
                      double seconds, bool *ours, struct arus_error *err);
/* Heartbeat: push expires_at of holder's unfinished leases seconds ahead. */
int arus_lease_renew(struct arus_lease_store *st, const char *holder, double seconds,
                     struct arus_error *err);
/* Mark holder's lease of (pipeline, tick) done with the run's id and status. */
int arus_lease_release(struct arus_lease_store *st, const char *pipeline, int64_t tick,
                       const char *holder, const char *run_id, const char *status,
                       struct arus_error *err);
/* Let holder's unfinished lease of (pipeline, tick) expire now. */
int arus_lease_hand_back(struct arus_lease_store *st, const char *pipeline, int64_t tick,
                         const char *holder, struct arus_error *err);
/* Claim for holder the oldest expired, unfinished tick (not a follow row) of one of
 * pipelines[0..n), skipping rows another process is claiming: *found, and then *which (index
 * into pipelines) and *tick. */
int arus_lease_take_over(struct arus_lease_store *st, const char *holder, double seconds,
                         const char *const *pipelines, size_t n, bool *found, size_t *which,
                         int64_t *tick, struct arus_error *err);

#endif

/* Coordination of several arus serve processes (serve.coordination): each scheduled run is
 * leased in a PostgreSQL table, so it runs once across the group, and each follow pipeline
 * (sync_mode cdc) is followed by one process; leases carry heartbeats and expire, so the work
 * of a killed process is taken over. */
#ifndef ARUS_SERVE_LEASE_H
#define ARUS_SERVE_LEASE_H

#include <stdbool.h>
#include <stdint.h>

struct arus_config;
struct arus_error;
struct serve;
struct serve_run;

struct serve_lease;

/* Connect to the PostgreSQL endpoint named endpoint (a source or destination of cfg) and
 * create the lease table if missing. lease_seconds: how long a lease lives without a
 * heartbeat. ARUS_ECONFIG / ARUS_ECONNECT on failure. Caller frees with serve_lease_destroy. */
int serve_lease_create(const struct arus_config *cfg, const char *endpoint, double lease_seconds,
                       struct serve_lease **out, struct arus_error *err);
void serve_lease_destroy(struct serve_lease *l);

/* Claim (pipeline, tick) for this process: true when it is ours to run (this process made the
 * lease), false when another process did (or the database cannot be reached: err says why).
 * Heartbeats keep the lease alive until serve_lease_release. Thread-safe. */
bool serve_lease_acquire(struct serve_lease *l, const char *pipeline, int64_t tick,
                         struct arus_error *err);
/* Claim the follow lease of pipeline (its row with tick 0) for this process: true when it is
 * ours (free, done, expired, or already ours), false when another process holds it (or the
 * database cannot be reached: err says why). Heartbeats keep it alive like a tick's lease;
 * serve_lease_release of the follow run (run->follow) ends it. Thread-safe. */
bool serve_lease_follow(struct serve_lease *l, const char *pipeline, struct arus_error *err);
/* The leased run (run->tick != 0, or a follow run) ended with status ("ok", "failed",
 * "skipped"): mark its lease done, recording the run id and status. */
void serve_lease_release(struct serve_lease *l, const struct serve_run *run, const char *status);
/* The leased run never started (cancelled at shutdown): let the lease expire now, so another
 * process takes the tick over. */
void serve_lease_hand_back(struct serve_lease *l, const struct serve_run *run);

/* Expired, unfinished leases of other processes (their holder died): queue a run of each
 * such pipeline for its tick on s (s->mu not held). Called periodically by the main loop. */
void serve_lease_take_over(struct serve_lease *l, struct serve *s);

#endif

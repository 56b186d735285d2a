/* Alerts of arus serve: serve.webhooks: [{url, events, format, secret}]. Events are queued
 * and sent by a thread of their own (libcurl), with retries and backoff, so a slow or failing
 * receiver never holds up a run. */
#ifndef ARUS_SERVE_WEBHOOKS_H
#define ARUS_SERVE_WEBHOOKS_H

struct arus_config;
struct arus_error;
struct serve_run;
struct serve_webhooks;

/* Read serve.webhooks of cfg and start the sender thread (none when the list is empty: *out
 * NULL). ARUS_ECONFIG on a bad entry. Caller frees with serve_webhooks_destroy, which sends
 * what is queued (within a few seconds) and stops the thread. */
int serve_webhooks_create(const struct arus_config *cfg, struct serve_webhooks **out,
                          struct arus_error *err);
void serve_webhooks_destroy(struct serve_webhooks *w);

/* Queue event (run_failed, run_recovered, run_succeeded) about run to every webhook
 * subscribed to it. Copies what it needs; never blocks on the network. */
void serve_webhooks_notify(struct serve_webhooks *w, const struct serve_run *run,
                           const char *event);

#endif

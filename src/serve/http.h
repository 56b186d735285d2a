/* The HTTP listener of arus serve (libmicrohttpd, a thread per connection): reads requests
 * (bodies capped at SERVE_MAX_BODY, answered 413 beyond), hands them to api.c. */
#ifndef ARUS_SERVE_HTTP_H
#define ARUS_SERVE_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#define SERVE_MAX_BODY (64 << 10)

struct arus_error;
struct serve;
struct serve_http;

/* Whether "HOST:PORT" ([v6]:PORT too) names a loopback address (after resolving HOST). */
bool serve_listen_is_loopback(const char *listen);

/* Listen on listen ("HOST:PORT") and serve s until serve_http_stop. ARUS_ECONFIG for a bad
 * address, ARUS_EIO when it cannot listen (port in use). */
int serve_http_start(struct serve *s, const char *listen, struct serve_http **out,
                     struct arus_error *err);
void serve_http_stop(struct serve_http *h); /* NULL is a no-op */

#endif

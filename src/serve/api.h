/* The routes of arus serve: REST API /api/v1 (JSON), /healthz, /metrics and the console
 * files, independent of the HTTP library (http.c adapts libmicrohttpd to this). */
#ifndef ARUS_SERVE_API_H
#define ARUS_SERVE_API_H

#include <stdbool.h>
#include <stddef.h>

struct serve;

struct serve_request {
    const char *method;
    const char *path;          /* URL path, percent-decoded */
    const char *authorization; /* header value or NULL */
    const char *limit;         /* ?limit= or NULL */
    const char *body;          /* NUL-terminated, may be NULL */
    size_t body_len;
    bool body_too_large;
};

struct serve_response {
    int status;
    const char *content_type; /* static */
    char *body;               /* malloc'ed unless body_static */
    size_t len;
    bool body_static;
};

/* Answer req into resp (caller frees resp->body unless body_static). Locks s->mu as needed;
 * routes that read run history or dead letters connect to the pipeline's destination. */
void serve_api_handle(struct serve *s, const struct serve_request *req,
                      struct serve_response *resp);

#endif

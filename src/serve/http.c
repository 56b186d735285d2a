/* libmicrohttpd adapter of arus serve: a thread per connection (a slow destination read in one
 * request never holds up another), request bodies collected up to SERVE_MAX_BODY, everything
 * else decided by serve_api_handle. */
#include "serve/http.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arus/arus.h"
#include "serve/api.h"
#include "serve/serve.h"

struct serve_http {
    struct MHD_Daemon *daemon;
};

/* Per-request state across libmicrohttpd's upload callbacks. */
struct upload {
    struct arus_strbuf body;
    bool too_large;
};

/* Split "HOST:PORT" / "[HOST]:PORT" into host and port; false when malformed. */
static bool split_listen(const char *listen, char *host, size_t hostlen, char *port, size_t portlen)
{
    const char *colon;
    const char *h = listen;
    size_t n;
    if (listen[0] == '[') {
        const char *close = strchr(listen, ']');
        if (!close || close[1] != ':')
            return false;
        h = listen + 1;
        n = (size_t)(close - h);
        colon = close + 1;
    } else {
        colon = strrchr(listen, ':');
        if (!colon)
            return false;
        n = (size_t)(colon - listen);
    }
    if (n == 0 || n >= hostlen || strlen(colon + 1) == 0 || strlen(colon + 1) >= portlen)
        return false;
    memcpy(host, h, n);
    host[n] = '\0';
    snprintf(port, portlen, "%s", colon + 1);
    return strspn(port, "0123456789") == strlen(port);
}

static int resolve(const char *listen, struct addrinfo **res)
{
    char host[256], port[16];
    if (!split_listen(listen, host, sizeof host, port, sizeof port))
        return EAI_NONAME;
    struct addrinfo hints = {
        .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE};
    return getaddrinfo(host, port, &hints, res);
}

bool serve_listen_is_loopback(const char *listen)
{
    struct addrinfo *res = NULL;
    if (resolve(listen, &res) != 0)
        return false;
    bool loop = true;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        if (ai->ai_family == AF_INET) {
            const struct sockaddr_in *in = (const struct sockaddr_in *)ai->ai_addr;
            loop &= (ntohl(in->sin_addr.s_addr) >> 24) == 127;
        } else if (ai->ai_family == AF_INET6) {
            const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ai->ai_addr;
            loop &= IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
        } else {
            loop = false;
        }
    }
    freeaddrinfo(res);
    return loop;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_size, void **con_cls)
{
    (void)version;
    struct serve *s = cls;
    struct upload *up = *con_cls;
    if (!up) {
        up = arus_xcalloc(1, sizeof *up);
        arus_strbuf_init(&up->body);
        *con_cls = up;
        return MHD_YES;
    }
    if (*upload_size) {
        if (up->body.len + *upload_size > SERVE_MAX_BODY)
            up->too_large = true;
        else
            arus_strbuf_append(&up->body, upload_data, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    struct serve_request req = {
        .method = method,
        .path = url,
        .authorization = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization"),
        .limit = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "limit"),
        .body = arus_strbuf_cstr(&up->body),
        .body_len = up->body.len,
        .body_too_large = up->too_large,
    };
    struct serve_response resp;
    serve_api_handle(s, &req, &resp);
    struct MHD_Response *r = MHD_create_response_from_buffer(
        resp.len, resp.body, resp.body_static ? MHD_RESPMEM_PERSISTENT : MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(r, "Content-Type", resp.content_type);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    if (resp.status == 401)
        MHD_add_response_header(r, "WWW-Authenticate", "Bearer");
    enum MHD_Result ok = MHD_queue_response(conn, (unsigned)resp.status, r);
    MHD_destroy_response(r);
    return ok;
}

static void request_done(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    struct upload *up = *con_cls;
    if (up) {
        arus_strbuf_cleanup(&up->body);
        free(up);
    }
    *con_cls = NULL;
}

int serve_http_start(struct serve *s, const char *listen, struct serve_http **out,
                     struct arus_error *err)
{
    struct addrinfo *res = NULL;
    int gai = resolve(listen, &res);
    if (gai != 0)
        return arus_error_set(err, ARUS_ECONFIG, "serve: bad listen address \"%s\": %s", listen,
                              gai == EAI_NONAME ? "expected HOST:PORT" : gai_strerror(gai));
    unsigned flags =
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
    if (res->ai_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    struct MHD_Daemon *d = MHD_start_daemon(
        flags, 0, NULL, NULL, handle, s, MHD_OPTION_SOCK_ADDR, res->ai_addr,
        MHD_OPTION_NOTIFY_COMPLETED, request_done, NULL, MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_END);
    freeaddrinfo(res);
    if (!d)
        return arus_error_set(err, ARUS_EIO, "serve: cannot listen on %s (address in use?)",
                              listen);
    *out = arus_xcalloc(1, sizeof **out);
    (*out)->daemon = d;
    return ARUS_OK;
}

void serve_http_stop(struct serve_http *h)
{
    if (!h)
        return;
    MHD_stop_daemon(h->daemon);
    free(h);
}

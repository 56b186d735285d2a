/* The ClickHouse HTTP client: one libcurl easy handle reused for every request (keep-alive),
 * credentials in X-ClickHouse-User/X-ClickHouse-Key headers (never in the URL), optional gzip
 * request bodies, and server exceptions turned into one-line errors. */
#ifndef ARUS_CH_HTTP_H
#define ARUS_CH_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "arus/strbuf.h"

struct arus_error;

struct ch_http_options {
    const char *host;
    int port;
    const char *username;
    const char *password; /* may be NULL */
    const char *database; /* session default database */
    bool secure;          /* https */
    const char *ca_file;  /* may be NULL */
    bool gzip;            /* compress request bodies */
    double connect_timeout;
    double timeout; /* 0 = none */
};

struct ch_http {
    void *curl;       /* CURL * (kept opaque so only ch_http.c sees curl.h) */
    void *headers;    /* struct curl_slist *: credentials */
    void *gz_headers; /* the same plus Content-Encoding: gzip */
    char *base_url;   /* "http[s]://host:port/?database=<escaped>" */
    bool gzip;
    long status;              /* HTTP status of the last request */
    struct arus_strbuf resp;  /* body of the last response */
    struct arus_strbuf url;   /* scratch */
    struct arus_strbuf zbody; /* scratch: gzip-compressed request body */
    char exception_code[16];  /* X-ClickHouse-Exception-Code of the last response */
    long requests;            /* totals, for the debug log at close */
    double seconds;
    double bytes_sent;
};

/* Set up the handle (no network traffic). Caller releases with ch_http_cleanup, also after a
 * failure. Returns ARUS_OK or ARUS_EINTERNAL. */
int ch_http_init(struct ch_http *h, const struct ch_http_options *o, struct arus_error *err);
void ch_http_cleanup(struct ch_http *h);

/* Limit every following request to `seconds` in total (0 = no limit). */
void ch_http_set_timeout(struct ch_http *h, double seconds);

/* Run one statement. Without body the statement is POSTed as the request body (DDL, SELECT);
 * with body (len bytes, e.g. TabSeparated rows) the statement goes in the URL's query=
 * parameter and body is POSTed (INSERT ... FORMAT TabSeparated). The response body is left in
 * h->resp (NUL-terminated). Failures: ARUS_ECONNECT (network, 401/403 authentication),
 * ARUS_ETIMEOUT, ARUS_ENOTFOUND (unknown database/table, codes 60/81), ARUS_EQUERY (any other
 * server exception, also one inside a 200 response), each with a one-line message: curl's
 * error text or the server's "Code: NNN, e.displayText() = ..." line. */
int ch_http_exec(struct ch_http *h, const char *stmt, const char *body, size_t len,
                 struct arus_error *err);

#endif

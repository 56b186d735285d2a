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
    void *curl;       /* CURL * (kept opaque so only http.c sees curl.h) */
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

/* Set up the handle (no network traffic). Caller releases with arus__ch_http_cleanup, also after a
 * failure. Returns ARUS_OK or ARUS_EINTERNAL. */
int arus__ch_http_init(struct ch_http *h, const struct ch_http_options *o, struct arus_error *err);
void arus__ch_http_cleanup(struct ch_http *h);

/* Limit every following request to `seconds` in total (0 = no limit). */
void arus__ch_http_set_timeout(struct ch_http *h, double seconds);

/* Run one statement. Without body the statement is POSTed as the request body (DDL, SELECT);
 * with body (len bytes, e.g. TabSeparated rows) the statement goes in the URL's query=
 * parameter and body is POSTed (INSERT ... FORMAT TabSeparated). The response body is left in
 * h->resp (NUL-terminated). Failures: ARUS_ECONNECT (network, 401/403 authentication),
 * ARUS_ETIMEOUT, ARUS_ENOTFOUND (unknown database/table, codes 60/81), ARUS_EQUERY (any other
 * server exception, also one inside a 200 response), each with a one-line message: curl's
 * error text or the server's "Code: NNN, e.displayText() = ..." line. */
int arus__ch_http_exec(struct ch_http *h, const char *stmt, const char *body, size_t len,
                       struct arus_error *err);

/* One INSERT whose rows are uploaded as they come (HTTP/1.1 chunked transfer encoding), so one
 * request, and one part on the server, can span many batches while memory holds only the
 * batch being written. It has its own handle and keep-alive connection, driven by a libcurl
 * multi handle: between writes the upload is paused and the caller keeps control. */
struct ch_stream {
    struct ch_http http; /* own handle; resp/status/exception_code of the request */
    void *multi;         /* CURLM * */
    void *z;             /* z_stream * of an open gzip request */
    bool open;           /* a request is in flight */
    bool paused;         /* libcurl sent everything written so far and waits for more */
    bool eof;            /* the body is complete */
    bool done;           /* the transfer finished, with curl code `result` */
    int result;
    const char *data; /* the write being handed to libcurl */
    size_t len, off;
    char errbuf[256]; /* CURL_ERROR_SIZE */
};

/* Start "stmt" (an INSERT ... FORMAT ...) with an empty body to be written. The handle is set
 * up from o on first use. Fails only on setup (ARUS_EINTERNAL). */
int arus__ch_stream_open(struct ch_stream *s, const struct ch_http_options *o, const char *stmt,
                         struct arus_error *err);
/* Send p[0..n) (gzip-compressed when o->gzip) and return once libcurl has handed it to the
 * socket. A server that ended the request early (an exception) fails here, with the errors of
 * arus__ch_http_exec; the stream is then closed. */
int arus__ch_stream_write(struct ch_stream *s, const char *p, size_t n, struct arus_error *err);
/* End the body and wait for the server's answer: ARUS_OK once it accepted every row (no-op
 * when no request is open); otherwise the errors of arus__ch_http_exec, also for an exception
 * inside a 200 body. The stream is closed either way. */
int arus__ch_stream_finish(struct ch_stream *s, struct arus_error *err);
/* Abort an open request (the server drops the unfinished INSERT) and free everything. */
void arus__ch_stream_cleanup(struct ch_stream *s);

#endif

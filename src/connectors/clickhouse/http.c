/* ClickHouse HTTP client on one reused libcurl easy handle (see http.h). Statements without
 * data go in the POST body; INSERTs put the statement in the URL and stream the rows as the
 * body. A server exception is recognised by HTTP status, the X-ClickHouse-Exception-Code header
 * (newer servers) or an exception line inside a 200 body (older servers, mid-stream). */
#include "connectors/clickhouse/http.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include "arus/arena.h"
#include "arus/error.h"
#include "arus/util.h"
#include "connectors/clickhouse/text.h"

static size_t ch_on_body(char *p, size_t size, size_t n, void *ud)
{
    struct ch_http *h = ud;
    arus_strbuf_append(&h->resp, p, size * n);
    return size * n;
}

static size_t ch_on_header(char *p, size_t size, size_t n, void *ud)
{
    struct ch_http *h = ud;
    static const char name[] = "X-ClickHouse-Exception-Code:";
    size_t len = size * n;
    if (len > sizeof name && strncasecmp(p, name, sizeof name - 1) == 0) {
        const char *v = p + sizeof name - 1;
        size_t vn = len - (sizeof name - 1);
        while (vn && (*v == ' ')) {
            v++;
            vn--;
        }
        while (vn && (v[vn - 1] == '\r' || v[vn - 1] == '\n' || v[vn - 1] == ' '))
            vn--;
        if (vn >= sizeof h->exception_code)
            vn = sizeof h->exception_code - 1;
        memcpy(h->exception_code, v, vn);
        h->exception_code[vn] = '\0';
    }
    return len;
}

static struct curl_slist *ch_header(struct curl_slist *l, const char *name, const char *value)
{
    struct arus_strbuf sb;
    arus_strbuf_init(&sb);
    arus_strbuf_appendf(&sb, "%s: %s", name, value);
    struct curl_slist *r = curl_slist_append(l, arus_strbuf_cstr(&sb));
    arus_strbuf_cleanup(&sb);
    return r;
}

int arus__ch_http_init(struct ch_http *h, const struct ch_http_options *o, struct arus_error *err)
{
    memset(h, 0, sizeof *h);
    arus_strbuf_init(&h->resp);
    arus_strbuf_init(&h->url);
    arus_strbuf_init(&h->zbody);
    h->gzip = o->gzip;
    CURL *c = curl_easy_init();
    if (!c)
        return arus_error_set(err, ARUS_EINTERNAL, "libcurl: cannot create a handle");
    h->curl = c;

    char *db = curl_easy_escape(c, o->database, 0);
    struct arus_strbuf sb;
    arus_strbuf_init(&sb);
    arus_strbuf_appendf(&sb, "%s://%s:%d/?database=%s", o->secure ? "https" : "http", o->host,
                        o->port, db ? db : "");
    curl_free(db);
    h->base_url = arus_strbuf_detach(&sb);

    /* Headers rather than basic auth or URL parameters: the URL is what proxies and server
     * logs record. */
    struct curl_slist *hd = ch_header(NULL, "X-ClickHouse-User", o->username);
    if (o->password && *o->password)
        hd = ch_header(hd, "X-ClickHouse-Key", o->password);
    hd = curl_slist_append(hd, "Expect:"); /* no 100-continue round trip per INSERT */
    h->headers = hd;
    struct curl_slist *gz = ch_header(NULL, "X-ClickHouse-User", o->username);
    if (o->password && *o->password)
        gz = ch_header(gz, "X-ClickHouse-Key", o->password);
    gz = curl_slist_append(gz, "Expect:");
    gz = curl_slist_append(gz, "Content-Encoding: gzip");
    h->gz_headers = gz;

    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
    /* ClickHouse closes idle keep-alive connections after keep_alive_timeout (3 s by default);
     * reusing one just as the server closes it fails the request, so idle ones are replaced. */
    curl_easy_setopt(c, CURLOPT_MAXAGE_CONN, 2L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)(o->connect_timeout * 1000));
    arus__ch_http_set_timeout(h, o->timeout);
    if (o->ca_file)
        curl_easy_setopt(c, CURLOPT_CAINFO, o->ca_file);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, ch_on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, h);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, ch_on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, h);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    return ARUS_OK;
}

void arus__ch_http_set_timeout(struct ch_http *h, double seconds)
{
    curl_easy_setopt(h->curl, CURLOPT_TIMEOUT_MS, seconds > 0 ? (long)(seconds * 1000) : 0L);
}

void arus__ch_http_cleanup(struct ch_http *h)
{
    if (h->curl)
        curl_easy_cleanup(h->curl);
    curl_slist_free_all(h->headers);
    curl_slist_free_all(h->gz_headers);
    free(h->base_url);
    arus_strbuf_cleanup(&h->resp);
    arus_strbuf_cleanup(&h->url);
    arus_strbuf_cleanup(&h->zbody);
    memset(h, 0, sizeof *h);
}

/* gzip (RFC 1952) of p[0..n) into h->zbody. */
static int ch_gzip(struct ch_http *h, const char *p, size_t n, struct arus_error *err)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return arus_error_set(err, ARUS_EINTERNAL, "zlib: cannot start gzip");
    arus_strbuf_reset(&h->zbody);
    size_t bound = deflateBound(&z, (uLong)n);
    arus_strbuf_reserve(&h->zbody, bound + 1);
    z.next_in = (Bytef *)(uintptr_t)p;
    z.avail_in = (uInt)n;
    z.next_out = (Bytef *)h->zbody.data;
    z.avail_out = (uInt)bound;
    int rc = deflate(&z, Z_FINISH);
    h->zbody.len = z.total_out;
    h->zbody.data[h->zbody.len] = '\0';
    deflateEnd(&z);
    if (rc != Z_STREAM_END)
        return arus_error_set(err, ARUS_EINTERNAL, "zlib: gzip failed (%d)", rc);
    return ARUS_OK;
}

/* Classify a server exception: authentication (192 unknown user, 193 wrong password,
 * 516 newer servers' authentication failure) and missing database/table get their own codes
 * so the CLI can tell a connection problem from a refused statement. */
static int ch_server_error(struct ch_http *h, const char *line, size_t len, struct arus_error *err)
{
    int code = ARUS_EQUERY;
    long ch_code = strtol(line + 6, NULL, 10);
    if (h->status == 401 || h->status == 403 || ch_code == 192 || ch_code == 193 || ch_code == 516)
        code = ARUS_ECONNECT;
    else if (ch_code == 81 || ch_code == 60)
        code = ARUS_ENOTFOUND;
    if (len > ARUS_ERROR_MSG_MAX - 64)
        len = ARUS_ERROR_MSG_MAX - 64;
    arus_error_set(err, code, "%.*s", (int)len, line);
    if (err)
        err->driver_code = (int)ch_code;
    return code;
}

/* The outcome of a finished request. A server exception in the body wins over a transport
 * error: a server that refuses a streamed INSERT answers before the upload ends, and the
 * upload may then fail on the closed connection. */
static int ch_verdict(struct ch_http *h, CURLcode cc, const char *errbuf, struct arus_error *err)
{
    const char *line;
    size_t n;
    if (cc == CURLE_OK || h->resp.len)
        curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &h->status);
    if (arus__ch_find_exception(h->resp.data ? h->resp.data : "", h->resp.len, &line, &n))
        return ch_server_error(h, line, n, err);
    if (cc != CURLE_OK) {
        int code = cc == CURLE_OPERATION_TIMEDOUT ? ARUS_ETIMEOUT : ARUS_ECONNECT;
        arus_error_set(err, code, "%s", errbuf[0] ? errbuf : curl_easy_strerror(cc));
        if (err)
            err->driver_code = (int)cc;
        return code;
    }
    if (h->status != 200 || h->exception_code[0]) {
        /* An error without the usual text (a proxy page, an empty body): say what we got. */
        const char *b = arus_strbuf_cstr(&h->resp);
        const char *nl = strchr(b, '\n');
        int bl = (int)(nl ? (size_t)(nl - b) : strlen(b));
        if (bl > 200)
            bl = 200;
        if (h->status == 401 || h->status == 403)
            return arus_error_set(err, ARUS_ECONNECT, "authentication failed (HTTP %ld)",
                                  h->status);
        return arus_error_set(err, ARUS_EQUERY, "HTTP %ld%s%s%s%.*s", h->status,
                              h->exception_code[0] ? ", exception code " : "", h->exception_code,
                              bl ? ": " : "", bl, b);
    }
    return ARUS_OK;
}

/* Reset the response state and point the handle at base_url, with the statement in query=
 * when a body follows. */
static void ch_request_start(struct ch_http *h, const char *stmt, bool with_body)
{
    arus_strbuf_reset(&h->resp);
    arus_strbuf_reset(&h->url);
    h->exception_code[0] = '\0';
    h->status = 0;
    arus_strbuf_puts(&h->url, h->base_url);
    if (with_body) {
        char *q = curl_easy_escape(h->curl, stmt, 0);
        arus_strbuf_appendf(&h->url, "&query=%s", q ? q : "");
        curl_free(q);
    }
    curl_easy_setopt(h->curl, CURLOPT_URL, arus_strbuf_cstr(&h->url));
}

int arus__ch_http_exec(struct ch_http *h, const char *stmt, const char *body, size_t len,
                       struct arus_error *err)
{
    CURL *c = h->curl;
    char errbuf[CURL_ERROR_SIZE];
    errbuf[0] = '\0';
    ch_request_start(h, stmt, body != NULL);
    const char *post = stmt;
    size_t post_len = strlen(stmt);
    struct curl_slist *hd = h->headers;
    if (body) {
        post = body;
        post_len = len;
        if (h->gzip) {
            int rc = ch_gzip(h, body, len, err);
            if (rc != ARUS_OK)
                return rc;
            post = h->zbody.data;
            post_len = h->zbody.len;
            hd = h->gz_headers;
        }
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hd);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, post);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)post_len);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    double t0 = arus_monotonic();
    CURLcode cc = curl_easy_perform(c);
    h->seconds += arus_monotonic() - t0;
    h->requests++;
    h->bytes_sent += (double)post_len;
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);
    return ch_verdict(h, cc, errbuf, err);
}

/* ---- streamed INSERTs */

/* libcurl asks for more body: hand over the current write, end the body at eof, or pause the
 * upload until arus__ch_stream_write has more. */
static size_t ch_on_read(char *buf, size_t size, size_t n, void *ud)
{
    struct ch_stream *s = ud;
    size_t room = size * n, left = s->len - s->off;
    if (left) {
        size_t k = left < room ? left : room;
        memcpy(buf, s->data + s->off, k);
        s->off += k;
        return k;
    }
    if (s->eof)
        return 0;
    s->paused = true;
    return CURL_READFUNC_PAUSE;
}

static int ch_stream_setup(struct ch_stream *s, const struct ch_http_options *o,
                           struct arus_error *err)
{
    int rc = arus__ch_http_init(&s->http, o, err);
    if (rc != ARUS_OK)
        return rc;
    s->multi = curl_multi_init();
    if (!s->multi)
        return arus_error_set(err, ARUS_EINTERNAL, "libcurl: cannot create a multi handle");
    CURL *c = s->http.curl;
    /* POST without a size: libcurl sends the body with chunked transfer encoding */
    curl_easy_setopt(c, CURLOPT_READFUNCTION, ch_on_read);
    curl_easy_setopt(c, CURLOPT_READDATA, s);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, o->gzip ? s->http.gz_headers : s->http.headers);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, s->errbuf);
    return ARUS_OK;
}

/* Run the transfer until it finishes, or (until_done false) until libcurl has taken all of
 * the current write and paused for more. */
static void ch_stream_drive(struct ch_stream *s, bool until_done)
{
    CURLM *m = s->multi;
    double t0 = arus_monotonic();
    while (!s->done) {
        int running = 0;
        CURLMcode mc = curl_multi_perform(m, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(m, &left)))
            if (msg->msg == CURLMSG_DONE) {
                s->done = true;
                s->result = (int)msg->data.result;
            }
        if (mc != CURLM_OK && !s->done) {
            s->done = true;
            s->result = (int)CURLE_SEND_ERROR;
            snprintf(s->errbuf, sizeof s->errbuf, "libcurl: %s", curl_multi_strerror(mc));
        }
        if (s->done || (!until_done && s->paused && s->off == s->len))
            break;
        curl_multi_poll(m, NULL, 0, 1000, NULL);
    }
    s->http.seconds += arus_monotonic() - t0;
}

/* The transfer is over (finished or given up): collect its outcome and close the stream. */
static int ch_stream_end(struct ch_stream *s, struct arus_error *err)
{
    int rc = ARUS_OK;
    if (s->done)
        rc = ch_verdict(&s->http, (CURLcode)s->result, s->errbuf, err);
    curl_multi_remove_handle(s->multi, s->http.curl);
    if (s->z) {
        deflateEnd(s->z);
        free(s->z);
        s->z = NULL;
    }
    s->open = false;
    s->data = NULL;
    s->len = s->off = 0;
    return rc;
}

int arus__ch_stream_open(struct ch_stream *s, const struct ch_http_options *o, const char *stmt,
                         struct arus_error *err)
{
    if (!s->multi) {
        int rc = ch_stream_setup(s, o, err);
        if (rc != ARUS_OK)
            return rc;
    }
    ch_request_start(&s->http, stmt, true);
    s->paused = s->eof = s->done = false;
    s->result = CURLE_OK;
    s->errbuf[0] = '\0';
    s->data = NULL;
    s->len = s->off = 0;
    if (o->gzip) {
        z_stream *z = arus_xcalloc(1, sizeof *z);
        if (deflateInit2(z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
            free(z);
            return arus_error_set(err, ARUS_EINTERNAL, "zlib: cannot start gzip");
        }
        s->z = z;
    }
    if (curl_multi_add_handle(s->multi, s->http.curl) != CURLM_OK) {
        s->open = true;
        ch_stream_end(s, NULL);
        return arus_error_set(err, ARUS_EINTERNAL, "libcurl: cannot start a request");
    }
    s->open = true;
    s->http.requests++;
    return ARUS_OK;
}

/* Compress p[0..n) into s->http.zbody, flushed (Z_SYNC_FLUSH) so every write leaves at once,
 * or ended (Z_FINISH). */
static int ch_stream_deflate(struct ch_stream *s, const char *p, size_t n, int flush,
                             struct arus_error *err)
{
    z_stream *z = s->z;
    struct arus_strbuf *out = &s->http.zbody;
    arus_strbuf_reset(out);
    z->next_in = (Bytef *)(uintptr_t)p;
    z->avail_in = (uInt)n;
    int rc;
    do {
        arus_strbuf_reserve(out, n / 2 + 4096);
        size_t room = out->cap - out->len - 1;
        z->next_out = (Bytef *)out->data + out->len;
        z->avail_out = (uInt)room;
        rc = deflate(z, flush);
        out->len += room - z->avail_out;
        if (rc == Z_STREAM_ERROR)
            return arus_error_set(err, ARUS_EINTERNAL, "zlib: gzip failed (%d)", rc);
    } while (z->avail_out == 0 || (flush == Z_FINISH && rc != Z_STREAM_END));
    out->data[out->len] = '\0';
    return ARUS_OK;
}

/* Hand p[0..n) to libcurl (eof: as the end of the body) and run the transfer. */
static void ch_stream_send(struct ch_stream *s, const char *p, size_t n, bool eof)
{
    s->data = p;
    s->len = n;
    s->off = 0;
    s->eof = eof;
    s->http.bytes_sent += (double)n;
    if (s->paused) {
        s->paused = false;
        curl_easy_pause(s->http.curl, CURLPAUSE_CONT);
    }
    ch_stream_drive(s, eof);
    s->data = NULL;
    s->len = s->off = 0;
}

int arus__ch_stream_write(struct ch_stream *s, const char *p, size_t n, struct arus_error *err)
{
    if (s->z) {
        int rc = ch_stream_deflate(s, p, n, Z_SYNC_FLUSH, err);
        if (rc != ARUS_OK) {
            ch_stream_end(s, NULL);
            return rc;
        }
        p = s->http.zbody.data;
        n = s->http.zbody.len;
    }
    ch_stream_send(s, p, n, false);
    if (!s->done)
        return ARUS_OK;
    int rc = ch_stream_end(s, err);
    if (rc == ARUS_OK) /* an answer before the end of the body cannot be a success */
        rc = arus_error_set(err, ARUS_EQUERY, "server ended the insert early (HTTP %ld)",
                            s->http.status);
    return rc;
}

int arus__ch_stream_finish(struct ch_stream *s, struct arus_error *err)
{
    if (!s->open)
        return ARUS_OK;
    const char *p = "";
    size_t n = 0;
    if (s->z && !s->done) {
        int rc = ch_stream_deflate(s, "", 0, Z_FINISH, err);
        if (rc != ARUS_OK) {
            ch_stream_end(s, NULL);
            return rc;
        }
        p = s->http.zbody.data;
        n = s->http.zbody.len;
    }
    if (!s->done)
        ch_stream_send(s, p, n, true);
    return ch_stream_end(s, err);
}

void arus__ch_stream_cleanup(struct ch_stream *s)
{
    if (s->open)
        ch_stream_end(s, NULL);
    if (s->multi)
        curl_multi_cleanup(s->multi);
    arus__ch_http_cleanup(&s->http);
    memset(s, 0, sizeof *s);
}

/* Webhooks of arus serve (see webhooks.h): a queue and one sender thread with libcurl. Each
 * message is POSTed as JSON (or Slack's {"text": ...} form), signed with HMAC-SHA256 of the body
 * (OpenSSL) in X-Arus-Signature when the hook has a secret, and retried with doubling delays. */
#include "serve/webhooks.h"

#include <curl/curl.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arus/arus.h"
#include "serve/serve.h"

#define HOOK_ATTEMPTS    4   /* first try + 3 retries */
#define HOOK_FIRST_DELAY 1.0 /* seconds, doubled per retry */
#define HOOK_TIMEOUT     10L /* seconds per POST */

static const char *const known_events[] = {"run_failed", "run_recovered", "run_succeeded", NULL};

struct hook {
    char *url;
    char *secret; /* NULL = unsigned */
    bool slack;
    unsigned events; /* bit i: known_events[i] */
};

struct msg {
    struct msg *next;
    size_t hook;
    char *event;
    char *body;
    int attempts;
    double due; /* CLOCK_REALTIME seconds of the next try */
};

struct serve_webhooks {
    struct hook *hooks;
    size_t n;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct msg *head, *tail;
    bool stopping;
};

static int event_bit(const char *name)
{
    for (int i = 0; known_events[i]; i++)
        if (strcmp(known_events[i], name) == 0)
            return i;
    return -1;
}

static int load_hook(const struct arus_cfg_node *item, struct hook *h, struct arus_error *err)
{
    const char *url = NULL, *secret = NULL, *format = NULL;
    if (item->kind != ARUS_CFG_MAP)
        return arus_cfg_fail(item, "webhooks", err, "expected a map {url, events, format, secret}");
    for (size_t i = 0; i < item->nchildren; i++) {
        const char *k = item->children[i]->key;
        if (strcmp(k, "url") && strcmp(k, "events") && strcmp(k, "format") && strcmp(k, "secret"))
            return arus_cfg_fail(item->children[i], k, err,
                                 "unknown webhook setting (known: url, events, format, secret)");
    }
    int rc = arus_cfg_require_str(item, "url", &url, err);
    if (rc == ARUS_OK)
        rc = arus_cfg_str(item, "secret", &secret, err);
    if (rc == ARUS_OK)
        rc = arus_cfg_str(item, "format", &format, err);
    if (rc == ARUS_OK && format && strcmp(format, "json") && strcmp(format, "slack"))
        rc = arus_cfg_fail(arus_cfg_get(item, "format"), "format", err, "expected json or slack");
    if (rc == ARUS_OK && strncmp(url, "http://", 7) && strncmp(url, "https://", 8))
        rc = arus_cfg_fail(arus_cfg_get(item, "url"), "url", err, "expected an http(s) URL");
    if (rc)
        return rc;
    const struct arus_cfg_node *ev = arus_cfg_get(item, "events");
    h->events = 0;
    if (!ev) {
        h->events = 1u << 0 | 1u << 1; /* run_failed, run_recovered */
    } else if (ev->kind != ARUS_CFG_LIST || !ev->nchildren) {
        return arus_cfg_fail(ev, "events", err, "expected a list of events");
    } else {
        for (size_t i = 0; i < ev->nchildren; i++) {
            int b =
                ev->children[i]->kind == ARUS_CFG_SCALAR ? event_bit(ev->children[i]->scalar) : -1;
            if (b < 0)
                return arus_cfg_fail(ev->children[i], "events", err,
                                     "unknown event (known: run_failed, run_recovered, "
                                     "run_succeeded)");
            h->events |= 1u << b;
        }
    }
    h->url = arus_xstrdup(url);
    h->secret = secret && secret[0] ? arus_xstrdup(secret) : NULL;
    h->slack = format && strcmp(format, "slack") == 0;
    return ARUS_OK;
}

/* Lower-case hex HMAC-SHA256 of body with key. */
static void sign(const char *key, const char *body, char hex[65])
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    HMAC(EVP_sha256(), key, (int)strlen(key), (const unsigned char *)body, strlen(body), mac, &len);
    for (unsigned i = 0; i < len && i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", mac[i]);
    hex[64] = '\0';
}

static size_t discard(char *p, size_t size, size_t n, void *ctx)
{
    (void)p;
    (void)ctx;
    return size * n;
}

/* One POST; true on a 2xx answer. */
static bool post(const struct hook *h, const struct msg *m, char *why, size_t whylen)
{
    CURL *c = curl_easy_init();
    if (!c) {
        snprintf(why, whylen, "curl_easy_init failed");
        return false;
    }
    char errbuf[CURL_ERROR_SIZE] = "", hdr[160];
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
    snprintf(hdr, sizeof hdr, "X-Arus-Event: %s", m->event);
    headers = curl_slist_append(headers, hdr);
    if (h->secret) {
        char hex[65];
        sign(h->secret, m->body, hex);
        snprintf(hdr, sizeof hdr, "X-Arus-Signature: sha256=%s", hex);
        headers = curl_slist_append(headers, hdr);
    }
    curl_easy_setopt(c, CURLOPT_URL, h->url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, m->body);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, HOOK_TIMEOUT);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (rc != CURLE_OK)
        snprintf(why, whylen, "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
    else if (status < 200 || status > 299)
        snprintf(why, whylen, "HTTP status %ld", status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(c);
    return rc == CURLE_OK && status >= 200 && status <= 299;
}

static void msg_free(struct msg *m)
{
    free(m->event);
    free(m->body);
    free(m);
}

static double now_real(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void append(struct serve_webhooks *w, struct msg *m)
{
    m->next = NULL;
    if (w->tail)
        w->tail->next = m;
    else
        w->head = m;
    w->tail = m;
}

/* Whether m is the oldest queued message of its hook: a hook gets its events in order. */
static bool first_of_hook(const struct serve_webhooks *w, const struct msg *m)
{
    for (const struct msg *p = w->head; p != m; p = p->next)
        if (p->hook == m->hook)
            return false;
    return true;
}

/* The queued message to try next, waiting until it is due (w->mu held); it stays queued. NULL
 * when stopping with nothing queued. At shutdown what is queued is tried at once. */
static struct msg *next_due(struct serve_webhooks *w)
{
    for (;;) {
        while (!w->head && !w->stopping)
            pthread_cond_wait(&w->cv, &w->mu);
        if (!w->head)
            return NULL;
        struct msg *best = NULL;
        for (struct msg *m = w->head; m; m = m->next)
            if (first_of_hook(w, m) && (!best || m->due < best->due))
                best = m;
        if (best->due <= now_real() || w->stopping)
            return best;
        struct timespec ts = {.tv_sec = (time_t)best->due,
                              .tv_nsec = (long)((best->due - (double)(time_t)best->due) * 1e9)};
        pthread_cond_timedwait(&w->cv, &w->mu, &ts);
    }
}

static void unlink_msg(struct serve_webhooks *w, struct msg *m)
{
    struct msg **p = &w->head;
    while (*p != m)
        p = &(*p)->next;
    *p = m->next;
    w->tail = NULL;
    for (struct msg *t = w->head; t; t = t->next)
        w->tail = t;
}

/* One message at a time; a failed one is tried again later (doubling delays) while the
 * other hooks' messages go on, so a dead receiver delays only its own events. */
static void *sender(void *arg)
{
    struct serve_webhooks *w = arg;
    pthread_mutex_lock(&w->mu);
    for (struct msg *m; (m = next_due(w));) {
        const struct hook *h = &w->hooks[m->hook];
        char why[CURL_ERROR_SIZE + 32] = "";
        pthread_mutex_unlock(&w->mu);
        bool ok = post(h, m, why, sizeof why);
        pthread_mutex_lock(&w->mu);
        m->attempts++;
        bool last = m->attempts >= HOOK_ATTEMPTS || w->stopping;
        if (!ok) {
            char *url = arus_redact(h->url);
            arus_log(ARUS_LOG_WARN, "webhook", "%s to %s: %s%s", m->event, url, why,
                     last ? "; giving up" : "; retrying");
            free(url);
        }
        if (ok || last) {
            unlink_msg(w, m);
            msg_free(m);
        } else {
            m->due = now_real() + HOOK_FIRST_DELAY * (double)(1 << (m->attempts - 1));
        }
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

int serve_webhooks_create(const struct arus_config *cfg, struct serve_webhooks **out,
                          struct arus_error *err)
{
    *out = NULL;
    const struct arus_cfg_node *list = cfg->serve ? arus_cfg_get(cfg->serve, "webhooks") : NULL;
    if (!list)
        return ARUS_OK;
    if (list->kind != ARUS_CFG_LIST)
        return arus_cfg_fail(list, "webhooks", err, "expected a list of {url, events, ...}");
    if (!list->nchildren)
        return ARUS_OK;
    struct serve_webhooks *w = arus_xcalloc(1, sizeof *w);
    w->hooks = arus_xcalloc(list->nchildren, sizeof *w->hooks);
    for (; w->n < list->nchildren; w->n++) {
        int rc = load_hook(list->children[w->n], &w->hooks[w->n], err);
        if (rc) {
            serve_webhooks_destroy(w);
            return rc;
        }
    }
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (pthread_create(&w->thread, NULL, sender, w) != 0) {
        serve_webhooks_destroy(w);
        return arus_error_set(err, ARUS_EINTERNAL, "cannot start the webhook thread");
    }
    *out = w;
    return ARUS_OK;
}

void serve_webhooks_destroy(struct serve_webhooks *w)
{
    if (!w)
        return;
    if (w->thread) {
        pthread_mutex_lock(&w->mu);
        w->stopping = true;
        pthread_cond_broadcast(&w->cv);
        pthread_mutex_unlock(&w->mu);
        pthread_join(w->thread, NULL);
    }
    for (size_t i = 0; i < w->n; i++) {
        free(w->hooks[i].url);
        free(w->hooks[i].secret);
    }
    free(w->hooks);
    free(w);
}

static char *body_for(const struct hook *h, const struct serve_run *run, const char *event)
{
    char text[ARUS_ERROR_MSG_MAX + 300];
    int64_t loaded = 0;
    for (size_t i = 0; i < run->ntables; i++)
        loaded += run->tables[i].rows_loaded;
    if (strcmp(event, "run_failed") == 0)
        snprintf(text, sizeof text, "arus: pipeline %s failed (run %s): %s", run->pipeline, run->id,
                 run->error);
    else
        snprintf(text, sizeof text, "arus: pipeline %s %s (run %s, %lld rows loaded)",
                 run->pipeline, strcmp(event, "run_recovered") == 0 ? "recovered" : "succeeded",
                 run->id, (long long)loaded);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "text", json_object_new_string(text));
    if (!h->slack) {
        json_object_object_add(o, "event", json_object_new_string(event));
        json_object_object_add(o, "pipeline", json_object_new_string(run->pipeline));
        json_object_object_add(o, "run_id", json_object_new_string(run->id));
        json_object_object_add(o, "status", json_object_new_string(run->status));
        json_object_object_add(o, "error",
                               run->error[0] ? json_object_new_string(run->error) : NULL);
        json_object_object_add(o, "rows_loaded", json_object_new_int64(loaded));
        json_object_object_add(o, "started_at", json_object_new_double(run->started_at));
        json_object_object_add(o, "finished_at", json_object_new_double(run->finished_at));
    }
    char *body = arus_xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
    json_object_put(o);
    return body;
}

void serve_webhooks_notify(struct serve_webhooks *w, const struct serve_run *run, const char *event)
{
    int bit = event_bit(event);
    if (!w || bit < 0)
        return;
    pthread_mutex_lock(&w->mu);
    for (size_t i = 0; i < w->n; i++) {
        if (!(w->hooks[i].events & (1u << bit)))
            continue;
        struct msg *m = arus_xcalloc(1, sizeof *m);
        m->hook = i;
        m->event = arus_xstrdup(event);
        m->body = body_for(&w->hooks[i], run, event);
        m->due = now_real();
        append(w, m);
    }
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

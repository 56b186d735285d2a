/* Routes of arus serve (see api.h and docs/api.md): JSON built with json-c; every error is
 * {"error": "..."} with a fitting status. Secrets never leave: responses name endpoints and
 * pipelines, never connection settings. */
#include "serve/api.h"

#include <json-c/json.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "serve/assets.h"
#include "serve/http.h"
#include "serve/metrics.h"
#include "serve/serve.h"

#define API "/api/v1/"

static void respond_text(struct serve_response *r, int status, const char *type, char *body)
{
    r->status = status;
    r->content_type = type;
    r->body = body;
    r->len = strlen(body);
}

static void respond_json(struct serve_response *r, int status, json_object *o)
{
    respond_text(r, status, "application/json",
                 arus_xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN)));
    json_object_put(o);
}

static void respond_error(struct serve_response *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void respond_error(struct serve_response *r, int status, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "error", json_object_new_string(msg));
    respond_json(r, status, o);
}

static void add_str(json_object *o, const char *key, const char *v)
{
    json_object_object_add(o, key, v ? json_object_new_string(v) : NULL);
}

static void add_int(json_object *o, const char *key, int64_t v)
{
    json_object_object_add(o, key, json_object_new_int64(v));
}

/* Unix seconds as "YYYY-MM-DD HH:MM:SS" UTC, or null for 0. */
static void add_time(json_object *o, const char *key, double t)
{
    if (t <= 0) {
        json_object_object_add(o, key, NULL);
        return;
    }
    char buf[40];
    arus_format_timestamp((int64_t)t * 1000000, buf, sizeof buf);
    add_str(o, key, buf);
}

static json_object *table_json(const struct arus_table_report *t)
{
    json_object *o = json_object_new_object();
    add_str(o, "table", t->table);
    add_str(o, "mode", t->mode);
    add_int(o, "rows_extracted", t->rows_extracted);
    add_int(o, "rows_loaded", t->rows_loaded);
    add_int(o, "rows_deleted", t->rows_deleted);
    add_int(o, "rows_dead_lettered", t->rows_dead_lettered);
    json_object_object_add(o, "seconds", json_object_new_double(t->seconds));
    add_str(o, "status", t->status ? "failed" : "ok");
    add_str(o, "error", t->status ? t->error : NULL);
    return o;
}

/* A run kept in memory (s->mu held); with_log adds its tables and log lines. */
static json_object *run_json(const struct serve_run *r, bool with_details)
{
    json_object *o = json_object_new_object();
    add_str(o, "run_id", r->id);
    add_str(o, "pipeline", r->pipeline);
    add_str(o, "status", r->status);
    add_str(o, "trigger", r->trigger);
    add_time(o, "queued_at", r->queued_at);
    add_time(o, "started_at", r->started_at);
    add_time(o, "finished_at", r->finished_at);
    int64_t sum[4] = {0};
    for (size_t i = 0; i < r->ntables; i++) {
        sum[0] += r->tables[i].rows_extracted;
        sum[1] += r->tables[i].rows_loaded;
        sum[2] += r->tables[i].rows_deleted;
        sum[3] += r->tables[i].rows_dead_lettered;
    }
    add_int(o, "rows_extracted", sum[0]);
    add_int(o, "rows_loaded", sum[1]);
    add_int(o, "rows_deleted", sum[2]);
    add_int(o, "rows_dead_lettered", sum[3]);
    if (r->finished_at > 0 && r->started_at > 0)
        json_object_object_add(o, "seconds",
                               json_object_new_double(r->finished_at - r->started_at));
    add_str(o, "error", r->error[0] ? r->error : NULL);
    if (!with_details)
        return o;
    json_object *tables = json_object_new_array();
    for (size_t i = 0; i < r->ntables; i++)
        json_object_array_add(tables, table_json(&r->tables[i]));
    json_object_object_add(o, "tables", tables);
    json_object *log = json_object_new_array();
    const char *p = arus_strbuf_cstr(&r->log);
    for (const char *nl; (nl = strchr(p, '\n')); p = nl + 1)
        json_object_array_add(log, json_object_new_string_len(p, (int)(nl - p)));
    json_object_object_add(o, "log", log);
    return o;
}

/* The newest kept run of a pipeline (queued ones included), or NULL. */
static const struct serve_run *latest_run(struct serve *s, const char *name, bool finished)
{
    for (const struct serve_run *r = s->queue; r && !finished; r = r->next)
        if (strcmp(r->pipeline, name) == 0)
            return r;
    for (const struct serve_run *r = s->runs; r; r = r->next)
        if (strcmp(r->pipeline, name) == 0 && (!finished || r->finished_at > 0))
            return r;
    return NULL;
}

/* Summary of pipeline i of the current config (s->mu held). */
static json_object *pipeline_json(struct serve *s, size_t i)
{
    const struct arus_pipeline *p = &s->cfg->cfg->pipelines[i];
    const struct serve_job *j = &s->sched.jobs[i];
    struct serve_pstat *ps = serve_pstat(s, p->name);
    json_object *o = json_object_new_object();
    add_str(o, "name", p->name);
    add_str(o, "source", p->source);
    add_str(o, "destination", p->destination);
    add_str(o, "schedule", p->schedule);
    add_str(o, "timezone", p->timezone ? p->timezone : (p->schedule ? "UTC" : NULL));
    json_object *deps = json_object_new_array();
    for (size_t d = 0; d < p->ndepends_on; d++)
        json_object_array_add(deps, json_object_new_string(p->depends_on[d]));
    json_object_object_add(o, "depends_on", deps);
    json_object_object_add(o, "paused", json_object_new_boolean(j->paused));
    json_object_object_add(o, "follow", json_object_new_boolean(j->follow));
    const char *state = j->state == SERVE_RUNNING      ? "running"
                        : j->state == SERVE_QUEUED     ? "queued"
                        : ps->has_last && !ps->last_ok ? "failing"
                                                       : "idle";
    add_str(o, "state", state);
    const struct serve_run *last = latest_run(s, p->name, true);
    json_object_object_add(o, "last_run", last ? run_json(last, false) : NULL);
    add_time(o, "next_run",
             j->follow ? (j->state == SERVE_IDLE && !j->paused ? (double)j->restart_at : 0)
             : j->scheduled && !j->paused ? (double)j->next_fire
                                          : 0);
    add_time(o, "last_success", ps->last_success);
    /* Lag: the oldest time watermark of its tables after its last run. */
    double lag = -1, now = (double)s->now();
    for (size_t t = 0; t < ps->ntables; t++)
        if (ps->tables[t].watermark_at > 0 && now - ps->tables[t].watermark_at > lag)
            lag = now - ps->tables[t].watermark_at;
    json_object_object_add(o, "lag_seconds", lag >= 0 ? json_object_new_double(lag) : NULL);
    add_int(o, "skipped_ticks", j->skipped_ticks);
    int64_t cdc_lag = j->follow ? serve_follow_lag(s, p->name) : -1;
    json_object_object_add(o, "cdc_lag_bytes",
                           cdc_lag >= 0 ? json_object_new_int64(cdc_lag) : NULL);
    return o;
}

static void get_pipelines(struct serve *s, struct serve_response *resp)
{
    json_object *arr = json_object_new_array();
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < s->sched.njobs; i++)
        json_object_array_add(arr, pipeline_json(s, i));
    pthread_mutex_unlock(&s->mu);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "pipelines", arr);
    respond_json(resp, 200, o);
}

/* Connect to the destination of pipeline name (current config; s->mu not held). The config
 * reference is returned in *c for the caller to drop. */
static int open_destination(struct serve *s, const char *name, struct serve_cfg **c,
                            const struct arus_pipeline **p, struct arus_destination **dst,
                            struct arus_error *err)
{
    pthread_mutex_lock(&s->mu);
    *c = s->cfg;
    (*c)->refs++;
    pthread_mutex_unlock(&s->mu);
    *p = arus_config_pipeline((*c)->cfg, name);
    int rc =
        arus_destination_create(arus_config_destination((*c)->cfg, (*p)->destination), dst, err);
    if (rc == ARUS_OK)
        rc = arus_destination_connect(*dst, err);
    return rc;
}

static void close_destination(struct serve *s, struct serve_cfg *c, struct arus_destination *d)
{
    arus_destination_close(d);
    pthread_mutex_lock(&s->mu);
    serve_cfg_unref(c);
    pthread_mutex_unlock(&s->mu);
}

/* A history row's age in seconds from a timestamp watermark, or -1 when it is not a time. */
static double watermark_age(const char *wm)
{
    int64_t us;
    if (!wm || !arus_parse_timestamp(wm, strlen(wm), &us))
        return -1;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return (double)now.tv_sec - (double)us / 1e6;
}

static json_object *history_row_json(const struct arus_run_record *r)
{
    json_object *o = json_object_new_object();
    add_str(o, "run_id", r->run_id);
    add_str(o, "table", r->table);
    add_str(o, "mode", r->mode);
    add_str(o, "status", r->status);
    add_str(o, "started_at", r->started_at);
    add_str(o, "finished_at", r->finished_at);
    add_int(o, "rows_extracted", r->rows_extracted);
    add_int(o, "rows_loaded", r->rows_loaded);
    add_int(o, "rows_deleted", r->rows_deleted);
    add_int(o, "rows_dead_lettered", r->rows_dead_lettered);
    add_str(o, "error", r->error);
    return o;
}

static void get_pipeline(struct serve *s, size_t i, struct serve_response *resp)
{
    pthread_mutex_lock(&s->mu);
    json_object *o = pipeline_json(s, i);
    char name[256];
    snprintf(name, sizeof name, "%s", s->sched.jobs[i].name);
    pthread_mutex_unlock(&s->mu);
    struct serve_cfg *c = NULL;
    const struct arus_pipeline *p;
    struct arus_destination *dst = NULL;
    struct arus_error err;
    arus_error_clear(&err);
    struct arus_arena *a = arus_arena_create(0);
    const char **tables = NULL;
    struct arus_table_state *st = NULL;
    struct arus_run_record *runs = NULL;
    size_t n = 0, nruns = 0;
    int rc = open_destination(s, name, &c, &p, &dst, &err);
    if (rc == ARUS_OK)
        rc = arus_destination_list_state(dst, name, a, &tables, &st, &n, &err);
    if (rc == ARUS_OK)
        rc = arus_destination_list_runs(dst, name, 200, a, &runs, &nruns, &err);
    close_destination(s, c, dst);
    json_object *arr = json_object_new_array();
    for (size_t t = 0; rc == ARUS_OK && t < n; t++) {
        json_object *to = json_object_new_object();
        add_str(to, "table", tables[t]);
        add_str(to, "watermark", st[t].watermark);
        add_str(to, "updated_at", st[t].updated_at);
        double age = watermark_age(st[t].watermark);
        json_object_object_add(to, "lag_seconds", age >= 0 ? json_object_new_double(age) : NULL);
        const struct arus_run_record *last = NULL;
        for (size_t k = 0; k < nruns && !last; k++)
            if (strcmp(runs[k].table, tables[t]) == 0)
                last = &runs[k];
        add_str(to, "mode", last ? last->mode : NULL);
        json_object_object_add(to, "last_run", last ? history_row_json(last) : NULL);
        json_object_array_add(arr, to);
    }
    json_object_object_add(o, "tables", arr);
    add_str(o, "tables_error", rc ? err.msg : NULL);
    arus_arena_destroy(a);
    respond_json(resp, 200, o);
}

/* limit=N: 1..1000, default def. */
static bool parse_limit(const char *text, long def, long *out)
{
    *out = def;
    if (!text)
        return true;
    char *end;
    long v = strtol(text, &end, 10);
    if (!*text || *end || v < 1 || v > 1000)
        return false;
    *out = v;
    return true;
}

static int newest_first(const void *a, const void *b)
{
    const char *x =
        json_object_get_string(json_object_object_get(*(json_object *const *)a, "started_at"));
    const char *y =
        json_object_get_string(json_object_object_get(*(json_object *const *)b, "started_at"));
    return strcmp(y ? y : "", x ? x : "");
}

/* Runs of this process missing from the destination's history (queued ones, and runs that
 * failed before any table started: connection refused, table not found) join the list, which
 * stays newest first and at most limit long. */
static void add_kept_runs(struct serve *s, const char *name, json_object *arr, long limit)
{
    pthread_mutex_lock(&s->mu);
    for (int pass = 0; pass < 2; pass++)
        for (const struct serve_run *r = pass ? s->runs : s->queue; r; r = r->next) {
            if (strcmp(r->pipeline, name) != 0)
                continue;
            bool listed = false;
            for (size_t i = 0; i < json_object_array_length(arr) && !listed; i++)
                listed = strcmp(json_object_get_string(json_object_object_get(
                                    json_object_array_get_idx(arr, i), "run_id")),
                                r->id) == 0;
            if (listed)
                continue;
            json_object *o = run_json(r, false);
            if (r->started_at <= 0)
                add_time(o, "started_at", r->queued_at);
            json_object_object_add(o, "tables", json_object_new_array());
            json_object_array_add(arr, o);
        }
    pthread_mutex_unlock(&s->mu);
    json_object_array_sort(arr, newest_first);
    size_t n = json_object_array_length(arr);
    if ((long)n > limit)
        json_object_array_del_idx(arr, (size_t)limit, n - (size_t)limit);
}

/* Run history from the destination, grouped by run (newest first, at most limit runs). */
static void get_runs(struct serve *s, const char *name, long limit, struct serve_response *resp)
{
    struct serve_cfg *c = NULL;
    const struct arus_pipeline *p;
    struct arus_destination *dst = NULL;
    struct arus_error err;
    arus_error_clear(&err);
    struct arus_arena *a = arus_arena_create(0);
    struct arus_run_record *rows = NULL;
    size_t n = 0;
    int rc = open_destination(s, name, &c, &p, &dst, &err);
    if (rc == ARUS_OK)
        rc = arus_destination_list_runs(dst, name, (size_t)limit * 64, a, &rows, &n, &err);
    close_destination(s, c, dst);
    if (rc) {
        arus_arena_destroy(a);
        respond_error(resp, 502, "%s", err.msg);
        return;
    }
    json_object *arr = json_object_new_array();
    json_object *cur = NULL;
    const char *cur_id = NULL;
    for (size_t i = 0; i < n; i++) {
        const struct arus_run_record *r = &rows[i];
        if (!cur_id || strcmp(cur_id, r->run_id) != 0) {
            if ((long)json_object_array_length(arr) >= limit)
                break;
            cur = json_object_new_object();
            cur_id = r->run_id;
            add_str(cur, "run_id", r->run_id);
            add_str(cur, "status", r->status);
            add_str(cur, "started_at", r->started_at);
            add_str(cur, "finished_at", r->finished_at);
            json_object_object_add(cur, "tables", json_object_new_array());
            json_object_object_add(cur, "error", NULL);
            json_object_array_add(arr, cur);
        }
        json_object *tables;
        json_object_object_get_ex(cur, "tables", &tables);
        json_object_array_add(tables, history_row_json(r));
        /* A run failed when a table failed; it runs while a table runs. */
        if (r->status && (strcmp(r->status, "failed") == 0 || strcmp(r->status, "running") == 0))
            add_str(cur, "status", r->status);
        if (r->error)
            add_str(cur, "error", r->error);
        if (r->started_at && strcmp(r->started_at, json_object_get_string(json_object_object_get(
                                                       cur, "started_at"))) < 0)
            add_str(cur, "started_at", r->started_at);
    }
    /* Sum the counts per run. */
    for (size_t i = 0; i < json_object_array_length(arr); i++) {
        json_object *run = json_object_array_get_idx(arr, i), *tables;
        json_object_object_get_ex(run, "tables", &tables);
        static const char *const keys[] = {"rows_extracted", "rows_loaded", "rows_deleted",
                                           "rows_dead_lettered"};
        for (size_t k = 0; k < 4; k++) {
            int64_t sum = 0;
            for (size_t t = 0; t < json_object_array_length(tables); t++)
                sum += json_object_get_int64(
                    json_object_object_get(json_object_array_get_idx(tables, t), keys[k]));
            add_int(run, keys[k], sum);
        }
    }
    arus_arena_destroy(a);
    add_kept_runs(s, name, arr, limit);
    json_object *o = json_object_new_object();
    add_str(o, "pipeline", name);
    json_object_object_add(o, "runs", arr);
    respond_json(resp, 200, o);
}

static void get_dead_letters(struct serve *s, const char *name, long limit,
                             struct serve_response *resp)
{
    struct serve_cfg *c = NULL;
    const struct arus_pipeline *p;
    struct arus_destination *dst = NULL;
    struct arus_error err;
    arus_error_clear(&err);
    struct arus_arena *a = arus_arena_create(0);
    struct arus_dead_letter *rows = NULL;
    size_t n = 0;
    int rc = open_destination(s, name, &c, &p, &dst, &err);
    if (rc == ARUS_OK) {
        struct arus_target t = {.pipeline = p->name,
                                .source_name = p->source,
                                .raw_schema = p->raw_schema,
                                .target_schema = p->target_schema};
        rc = arus_destination_list_dead_letters(dst, &t, a, &rows, &n, &err);
    }
    close_destination(s, c, dst);
    if (rc) {
        arus_arena_destroy(a);
        respond_error(resp, rc == ARUS_ENOTSUP ? 501 : 502, "%s", err.msg);
        return;
    }
    /* the newest `limit` rows, newest first (the slot lists them oldest first) */
    json_object *arr = json_object_new_array();
    for (size_t i = n; i-- > 0 && n - i <= (size_t)limit;) {
        json_object *o = json_object_new_object();
        add_str(o, "table", rows[i].table);
        add_str(o, "run_id", rows[i].run_id);
        add_str(o, "row", rows[i].row_data);
        add_str(o, "error", rows[i].error);
        add_str(o, "created_at", rows[i].created_at);
        json_object_array_add(arr, o);
    }
    arus_arena_destroy(a);
    json_object *o = json_object_new_object();
    add_str(o, "pipeline", name);
    json_object_object_add(o, "dead_letters", arr);
    respond_json(resp, 200, o);
}

static void get_run(struct serve *s, const char *id, struct serve_response *resp)
{
    pthread_mutex_lock(&s->mu);
    const struct serve_run *r = serve_find_run(s, id);
    json_object *o = r ? run_json(r, true) : NULL;
    pthread_mutex_unlock(&s->mu);
    if (o)
        respond_json(resp, 200, o);
    else
        respond_error(resp, 404, "no run \"%s\" (runs of this process are kept, the newest %d)", id,
                      SERVE_MAX_RUNS);
}

/* POST bodies are optional JSON objects; a body that is not one is refused. */
static bool body_ok(const struct serve_request *req, struct serve_response *resp)
{
    if (req->body_too_large) {
        respond_error(resp, 413, "request body larger than %d bytes", SERVE_MAX_BODY);
        return false;
    }
    if (!req->body || req->body_len == 0)
        return true;
    enum json_tokener_error jerr;
    json_object *o = json_tokener_parse_verbose(req->body, &jerr);
    bool ok = o && json_object_is_type(o, json_type_object);
    if (!ok)
        respond_error(resp, 400, "malformed JSON body: %s",
                      o ? "expected an object" : json_tokener_error_desc(jerr));
    json_object_put(o);
    return ok;
}

static void post_action(struct serve *s, size_t i, const char *action, struct serve_response *resp)
{
    pthread_mutex_lock(&s->mu);
    struct serve_job *j = &s->sched.jobs[i];
    if (strcmp(action, "runs") == 0) {
        if (j->follow && j->state == SERVE_RUNNING) {
            pthread_mutex_unlock(&s->mu);
            respond_error(resp, 409,
                          "pipeline \"%s\" is following its change log (sync_mode cdc): its "
                          "changes arrive as they commit",
                          j->name);
            return;
        }
        if (serve_sched_trigger(&s->sched, i) != ARUS_OK) {
            pthread_mutex_unlock(&s->mu);
            respond_error(resp, 409, "pipeline \"%s\" is already queued or running", j->name);
            return;
        }
        struct serve_run *run = serve_enqueue(s, j->name, "api");
        json_object *o = json_object_new_object();
        add_str(o, "run_id", run->id);
        add_str(o, "pipeline", j->name);
        add_str(o, "status", run->status);
        pthread_mutex_unlock(&s->mu);
        respond_json(resp, 202, o);
        return;
    }
    bool pause = strcmp(action, "pause") == 0;
    serve_sched_set_paused(&s->sched, i, pause, s->now());
    if (pause)
        serve_follow_stop(s, j->name); /* the follow run commits and ends */
    json_object *o = pipeline_json(s, i);
    pthread_mutex_unlock(&s->mu);
    serve_wake(s);
    respond_json(resp, 200, o);
}

/* Constant-time comparison of the Bearer token (SIGHUP may replace it: read under s->mu). */
static bool authorized(struct serve *s, const char *auth)
{
    pthread_mutex_lock(&s->mu);
    const char *token = s->api_token;
    bool ok =
        !token || (auth && strncmp(auth, "Bearer ", 7) == 0 && strlen(auth + 7) == strlen(token) &&
                   CRYPTO_memcmp(auth + 7, token, strlen(token)) == 0);
    pthread_mutex_unlock(&s->mu);
    return ok;
}

static void serve_asset(const char *name, struct serve_response *resp)
{
    for (const struct serve_asset *a = serve_assets; a->name; a++) {
        if (strcmp(a->name, name) != 0)
            continue;
        const char *dot = strrchr(name, '.');
        resp->status = 200;
        resp->content_type = !dot                        ? "application/octet-stream"
                             : strcmp(dot, ".html") == 0 ? "text/html; charset=utf-8"
                             : strcmp(dot, ".css") == 0  ? "text/css; charset=utf-8"
                             : strcmp(dot, ".js") == 0   ? "text/javascript; charset=utf-8"
                             : strcmp(dot, ".svg") == 0  ? "image/svg+xml"
                                                         : "application/octet-stream";
        resp->body = (char *)a->data;
        resp->len = a->size;
        resp->body_static = true;
        return;
    }
    respond_error(resp, 404, "not found");
}

/* /api/v1/pipelines/{name}[/{what}] */
static void pipeline_routes(struct serve *s, const struct serve_request *req, const char *rest,
                            struct serve_response *resp)
{
    char name[256];
    const char *slash = strchr(rest, '/');
    size_t len = slash ? (size_t)(slash - rest) : strlen(rest);
    const char *what = slash ? slash + 1 : "";
    if (len == 0 || len >= sizeof name) {
        respond_error(resp, 404, "not found");
        return;
    }
    memcpy(name, rest, len);
    name[len] = '\0';
    pthread_mutex_lock(&s->mu);
    int i = serve_sched_find(&s->sched, name);
    pthread_mutex_unlock(&s->mu);
    if (i < 0) {
        respond_error(resp, 404, "no pipeline named \"%s\"", name);
        return;
    }
    bool get = strcmp(req->method, "GET") == 0, post = strcmp(req->method, "POST") == 0;
    long limit;
    if (!parse_limit(req->limit, 20, &limit)) {
        respond_error(resp, 400, "limit must be an integer from 1 to 1000");
        return;
    }
    if (!*what && get)
        get_pipeline(s, (size_t)i, resp);
    else if (strcmp(what, "runs") == 0 && get)
        get_runs(s, name, limit, resp);
    else if (strcmp(what, "dead-letters") == 0 && get)
        get_dead_letters(s, name, limit, resp);
    else if ((strcmp(what, "runs") == 0 || strcmp(what, "pause") == 0 ||
              strcmp(what, "resume") == 0) &&
             post) {
        if (body_ok(req, resp))
            post_action(s, (size_t)i, what, resp);
    } else if (!*what || strcmp(what, "runs") == 0 || strcmp(what, "dead-letters") == 0 ||
               strcmp(what, "pause") == 0 || strcmp(what, "resume") == 0)
        respond_error(resp, 405, "method %s not allowed on %s", req->method, req->path);
    else
        respond_error(resp, 404, "not found: %s", req->path);
}

void serve_api_handle(struct serve *s, const struct serve_request *req, struct serve_response *resp)
{
    memset(resp, 0, sizeof *resp);
    const char *path = req->path;
    bool get = strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;
    if (strcmp(path, "/healthz") == 0 && get) {
        respond_text(resp, 200, "application/json", arus_xstrdup("{\"status\":\"ok\"}"));
    } else if (strcmp(path, "/metrics") == 0 && get) {
        struct arus_strbuf sb;
        arus_strbuf_init(&sb);
        serve_metrics_render(s, &sb);
        respond_text(resp, 200, "text/plain; version=0.0.4; charset=utf-8",
                     arus_strbuf_detach(&sb));
    } else if (strncmp(path, "/api/", 5) == 0) {
        if (!authorized(s, req->authorization)) {
            respond_error(resp, 401, "missing or wrong bearer token");
        } else if (strncmp(path, API, strlen(API)) != 0) {
            respond_error(resp, 404, "unknown API version (this is /api/v1)");
        } else if (strcmp(path, API "pipelines") == 0) {
            if (get)
                get_pipelines(s, resp);
            else
                respond_error(resp, 405, "method %s not allowed on %s", req->method, path);
        } else if (strncmp(path, API "pipelines/", strlen(API "pipelines/")) == 0) {
            pipeline_routes(s, req, path + strlen(API "pipelines/"), resp);
        } else if (strncmp(path, API "runs/", strlen(API "runs/")) == 0 && get) {
            get_run(s, path + strlen(API "runs/"), resp);
        } else {
            respond_error(resp, 404, "not found: %s", path);
        }
    } else if (get && (strcmp(path, "/") == 0 || strcmp(path, "/index.html") == 0)) {
        serve_asset("index.html", resp);
    } else if (get && strchr(path + 1, '/') == NULL) {
        serve_asset(path + 1, resp);
    } else {
        respond_error(resp, 404, "not found: %s", path);
    }
}
